/*
 * lane_limits.c - per-lane policy, notional and rate caps (see lane_limits.h).
 */
#include "lane_limits.h"

#include <stdio.h>

#include "decimal.h"

static int take_token(struct limits *l, int per_min, enum lane lane,
    int64_t now)
{
	int64_t cap = (int64_t)per_min * 1000;
	if (!l->started[lane]) {
		l->started[lane] = 1;
		l->tokens[lane] = cap;
	} else if (now > l->last_ms[lane]) {
		l->tokens[lane] += (now - l->last_ms[lane]) * per_min / 60;
		if (l->tokens[lane] > cap)
			l->tokens[lane] = cap;
	}
	l->last_ms[lane] = now;
	if (l->tokens[lane] < 1000)
		return -1;
	l->tokens[lane] -= 1000;
	return 0;
}

/* Notional of the last hour on the lane, buckets older than it ignored. */
static int64_t hour_spent(const struct limits *l, enum lane lane, int64_t min)
{
	int64_t sum = 0;
	for (int i = 0; i < LIMIT_MINUTES; i++)
		if (l->minute[lane][i] > min - LIMIT_MINUTES && l->minute[lane][i] <= min)
			sum += l->spent[lane][i];
	return sum;
}

static void hour_add(struct limits *l, enum lane lane, int64_t min, int64_t v)
{
	int i = (int)(min % LIMIT_MINUTES);
	if (l->minute[lane][i] != min) {
		l->minute[lane][i] = min;
		l->spent[lane][i] = 0;
	}
	l->spent[lane][i] += v;
}

static int hour_check(struct limits *l, const struct settings *s,
    enum lane lane, int64_t notional, int64_t now_ms, char *err, size_t errlen)
{
	char a[40], b[40];
	int64_t budget = s->hourly_notional[lane], min = now_ms / 60000 + 1;
	if (budget <= 0)
		return 0;
	int64_t total = hour_spent(l, lane, min) + notional;
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
	if (take_token(l, s->max_orders_per_min[lane], lane, now_ms) < 0) {
		snprintf(err, errlen, "rate_limited:lane %s above %d orders/min",
		    lane_name(lane), s->max_orders_per_min[lane]);
		return -1;
	}
	hour_add(l, lane, now_ms / 60000 + 1, notional);
	return 0;
}
