/*
 * binance_account.c - what an order sends in each position mode, and the
 * parameter strings of the account requests (see binance_account.h).
 *
 * May: compute.  May not: do I/O, keep state, send anything.
 */
#include "binance_account.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"

static int64_t amount_of(const struct bn_positions *t, const char *symbol,
    enum bn_pos_side side)
{
	const struct bn_position *p = bn_position_find(t, symbol, side);
	return p ? p->amount : 0;
}

static int64_t magnitude(int64_t v)
{
	return v < 0 ? -v : v;
}

/* A part of a position: |amt| x fraction, rounded down to the step. */
static int64_t part_of(int64_t amt, const struct bn_plan_order *o)
{
	if (o->fraction <= 0 || o->fraction >= CLOSE_WHOLE)
		return amt;
	int64_t q = (int64_t)((__int128)amt * o->fraction / CLOSE_WHOLE);
	return o->step > 0 ? q / o->step * o->step : q;
}

/* side CLOSE: the opposite side of the one open position, all of it or
 * the plan's part. */
static int close_all(enum bn_pos_mode mode, const struct bn_positions *t,
    const struct bn_plan_order *o, struct bn_order_spec *s, char *err,
    size_t errlen)
{
	const char *symbol = o->symbol;
	int64_t amt = amount_of(t, symbol, BN_PS_BOTH);
	s->pos_side = BN_PS_BOTH;
	if (mode == BN_HEDGE) {
		int64_t lng = amount_of(t, symbol, BN_PS_LONG);
		int64_t sht = amount_of(t, symbol, BN_PS_SHORT);
		if (lng && sht) {
			snprintf(err, errlen, "close_both_sides_open:%s", symbol);
			return -1;
		}
		amt = lng ? lng : sht;
		s->pos_side = lng ? BN_PS_LONG : BN_PS_SHORT;
	}
	if (amt == 0) {
		snprintf(err, errlen, "close_no_position");
		return -1;
	}
	s->side = amt > 0 ? SIDE_SELL : SIDE_BUY;
	s->qty = part_of(magnitude(amt), o);
	/* a whole position closes whatever its size */
	int part = o->fraction > 0 && o->fraction < CLOSE_WHOLE;
	if (s->qty <= 0 || (part && s->qty < o->min_qty)) {
		snprintf(err, errlen, "close_below_min_qty:%s", symbol);
		return -1;
	}
	s->reduces = 1;
	return 0;
}

int bn_order_spec(enum bn_pos_mode mode, const struct bn_positions *t,
    const struct bn_plan_order *o, struct bn_order_spec *s, char *err,
    size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (o->close)
		return close_all(mode, t, o, s, err, errlen);
	s->side = o->side;
	s->qty = o->qty;
	s->pos_side = BN_PS_BOTH;
	/* hedge: BUY opens LONG and closes SHORT, SELL the reverse */
	if (mode == BN_HEDGE)
		s->pos_side = (o->side == SIDE_BUY) != (o->reduce_only != 0) ?
		    BN_PS_LONG : BN_PS_SHORT;
	if (!o->reduce_only)
		return 0;
	/* what this side can shrink: a SELL a long, a BUY a short */
	int64_t amt = amount_of(t, o->symbol, s->pos_side);
	int64_t room = o->side == SIDE_SELL ? amt : -amt;
	if (room <= 0) {
		snprintf(err, errlen, "no_position_to_reduce:%s", o->symbol);
		return -1;
	}
	s->reduces = 1;
	if (s->qty > room) {
		s->qty = room;
		s->cut = 1;
	}
	return 0;
}

int bn_order_query(struct bn_query *q, enum bn_pos_mode mode,
    const char *symbol, const char *coid, const struct bn_order_spec *s)
{
	char qty[32];
	int hedge = mode == BN_HEDGE;

	bn_query_init(q);
	if (hedge == (s->pos_side == BN_PS_BOTH) ||
	    (s->side != SIDE_BUY && s->side != SIDE_SELL))
		return -1;
	dec_format(qty, sizeof(qty), s->qty);
	bn_query_add(q, "symbol", symbol);
	bn_query_add(q, "side", side_name(s->side));
	if (hedge)
		bn_query_add(q, "positionSide", bn_pos_side_name(s->pos_side));
	bn_query_add(q, "type", "MARKET");
	bn_query_add(q, "quantity", qty);
	if (!hedge)
		bn_query_add(q, "reduceOnly", s->reduces ? "true" : "false");
	bn_query_add(q, "newClientOrderId", coid);
	bn_query_add(q, "newOrderRespType", "RESULT");
	return q->overflow ? -1 : 0;
}

int bn_leverage_query(struct bn_query *q, const char *symbol, int leverage)
{
	bn_query_init(q);
	if (leverage < 1 || leverage > BN_LEVERAGE_MAX)
		return -1;
	bn_query_add(q, "symbol", symbol);
	bn_query_add_int(q, "leverage", leverage);
	return q->overflow ? -1 : 0;
}

int bn_position_risk_query(struct bn_query *q, const char *symbol)
{
	bn_query_init(q);
	if (symbol)
		bn_query_add(q, "symbol", symbol);
	return q->overflow ? -1 : 0;
}
