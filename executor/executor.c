/*
 * executor.c - check, size and place one request.  Trusts nothing in the
 * request: symbol, side, flags and quantities are checked again here
 * against the executor's own settings before any backend sees them.
 */
#include "executor.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "coid.h"
#include "lane_limits.h"
#include "log.h"
#include "sizing.h"

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

int executor_check(const struct settings *s, const struct exec_req *q,
    char *err, size_t errlen)
{
	if (q->plan_id[0] == '\0' || !printable(q->plan_id)) {
		snprintf(err, errlen, "request_rejected:bad plan_id");
		return -1;
	}
	if (!strlist_has(&s->symbols, q->symbol, strlen(q->symbol))) {
		char sym[SYMBOL_MAX + 4];
		log_sanitize(sym, sizeof(sym), q->symbol, strlen(q->symbol));
		snprintf(err, errlen, "symbol_not_in_allowlist:%s", sym);
		return -1;
	}
	if (q->side != SIDE_BUY && q->side != SIDE_SELL) {
		snprintf(err, errlen, "invalid_side:%u", q->side);
		return -1;
	}
	if (q->reduce_only > 1) {
		snprintf(err, errlen, "request_rejected:bad reduce_only flag");
		return -1;
	}
	if (q->qty <= 0 || q->safe_qty < 0) {
		snprintf(err, errlen, "invalid_qty:not above 0");
		return -1;
	}
	return 0;
}

void executor_handle(const struct settings *s, struct backend *b,
    struct limits *l, enum lane lane, const struct exec_req *q,
    struct exec_res *res)
{
	memset(res, 0, sizeof(*res));
	res->seq = q->seq;
	snprintf(res->status, sizeof(res->status), "NOT_SENT");  /* refused here */
	if (executor_check(s, q, res->error, sizeof(res->error)) < 0)
		return;
	client_order_id(q->plan_id, res->client_order_id);

	const struct symbol_filter *f =
	    b->filter(b->state, q->symbol, res->error, sizeof(res->error));
	if (!f)
		return;
	struct sizing_in in = {
		.qty = q->qty,
		.safe_qty = q->safe_qty,
		.reduce_only = q->reduce_only,
		.allow_upsize = s->allow_upsize,
		.min_notional = s->min_notional,
	};
	if ((!q->reduce_only || s->max_notional[lane] > 0 ||
		s->hourly_notional[lane] > 0) &&
	    b->mark_price(b->state, q->symbol, &in.mark_price) < 0)
		in.mark_price = 0;
	int64_t qty;
	if (size_order(f, &in, &qty, res->error, sizeof(res->error)) < 0)
		return;
	if (limits_check(l, s, lane, q->reduce_only, qty, in.mark_price,
		wall_ms(), res->error, sizeof(res->error)) < 0)
		return;
	struct order o = {
		.symbol = q->symbol,
		.coid = res->client_order_id,
		.side = q->side,
		.reduce_only = q->reduce_only,
		.qty = qty,
	};
	res->qty = qty;
	if (b->place(b->state, &o, res) < 0 && res->error[0] == '\0')
		snprintf(res->error, sizeof(res->error), "order_failed:unknown");
}
