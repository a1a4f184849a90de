/*
 * lane_limits.c - per-lane policy, notional and rate caps (see lane_limits.h).
 */
#include "lane_limits.h"

#include <stdio.h>

#include "decimal.h"

static int hour_check(const struct limits *l, const struct settings *s,
    enum lane lane, int64_t notional, int64_t now_ms, char *err, size_t errlen)
{
	char a[40], b[40];
	int64_t budget = s->hourly_notional[lane];
	if (budget <= 0)
		return 0;
	int64_t total = spend_notional(&l->sp, lane, now_ms) + notional;
	if (total > budget) {
		dec_format(a, sizeof(a), total);
		dec_format(b, sizeof(b), budget);
		snprintf(err, errlen, "hourly_notional_exceeded:%s above %s USDT in "
		    "the last hour (lane %s)", a, b, lane_name(lane));
		return -1;
	}
	return 0;
}

int limits_check(struct limits *l, const struct settings *s, enum lane lane,
    int reduce_only, int64_t qty, int64_t price, int64_t now_ms, char *err,
    size_t errlen)
{
	char a[40], b[40];
	int64_t cap = s->max_notional[lane];

	if (lane == LANE_MANUAL && !reduce_only && !s->manual_allow_open) {
		snprintf(err, errlen, "lane_policy:manual lane orders must be "
		    "reduce-only (INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=false)");
		return -1;
	}
	if (cap > 0 || s->hourly_notional[lane] > 0) {
		if (price <= 0) {
			snprintf(err, errlen, "notional_cap_unverifiable:no mark price "
			    "for lane %s", lane_name(lane));
			return -1;
		}
		int64_t notional = dec_mul(qty, price);
		if (cap > 0 && notional > cap) {
			dec_format(a, sizeof(a), notional);
			dec_format(b, sizeof(b), cap);
			snprintf(err, errlen, "notional_cap_exceeded:%s above %s USDT "
			    "(lane %s)", a, b, lane_name(lane));
			return -1;
		}
	}
	int64_t notional = price > 0 ? dec_mul(qty, price) : 0;
	if (hour_check(l, s, lane, notional, now_ms, err, errlen) < 0)
		return -1;
	if (spend_orders(&l->sp, lane, now_ms) >= s->max_orders_per_min[lane]) {
		snprintf(err, errlen, "rate_limited:lane %s above %d orders/min",
		    lane_name(lane), s->max_orders_per_min[lane]);
		return -1;
	}
	spend_add(&l->sp, lane, now_ms, 1, notional);
	if (l->on_spend)
		l->on_spend(lane, now_ms, notional);
	return 0;
}
