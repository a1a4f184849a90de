/*
 * binance_presend.c - the account's part of an order, between the look-up
 * of its client order id and its POST (binance_order.c), as steps of the
 * order's own state machine in the event loop:
 *   1. the position mode is known (binance_positions.c; read again at once
 *      after an order refused for its mode, -4061 or -1106);
 *   2. a reduce-only order: the positions are known, and bn_order_spec
 *      says which position it closes and cuts it to that position; flat
 *      (as last read, and again after one more read) is
 *      no_position_to_reduce:<SYM> (a close: close_no_position), nothing
 *      sent; a close (side CLOSE) takes the whole position or its
 *      close_fraction, and the executor's limits apply to that quantity
 *      (job->close_limits: rate, notional cap, hourly budget);
 *   3. an opening order: the symbol's leverage is the plan's, from the
 *      cache (`[LEVERAGE] <SYM>: already at <n>x (no change needed)`) or
 *      set with POST /fapi/v1/leverage (`[LEVERAGE] <SYM>: set to <n>x
 *      OK`).  -4028 counts as set only when positionRisk, read again, shows
 *      the plan's leverage; else, and on any other failure, the plan is
 *      refused leverage_not_set:<n>, nothing sent.
 * Then op->go(op): the spec and the mode in op, or a result error.
 *
 * May: read the account, set a symbol's leverage.  May not: send an order.
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "decimal.h"
#include "log.h"

enum { PS_MODE = 0, PS_MODE_AGAIN, PS_POSITIONS, PS_SPEC, PS_LEVERAGE,
	PS_LEV_CHECK, PS_GO };

static void pre_step(void *arg);

static void refuse(struct bn_op *op, const char *error)
{
	snprintf(op->j->res.error, sizeof(op->j->res.error), "%s", error);
	op->go(op);
}

static void leverage_done(struct bn_xfer *x, void *arg)
{
	struct bn_op *op = arg;
	const struct bn_reply *r = &x->r;
	const char *sym = op->j->o.symbol;
	int want = op->j->q.leverage, got;
	int64_t cap;
	long code = 0;
	char err[160], why[200];

	bn_account(op->b, r);
	if (r->outcome == BN_REPLY && r->status == 200 &&
	    bn_parse_leverage(r->body, r->len, sym, &got, &cap, err,
		sizeof(err)) == 0 && got == want) {
		bn_leverage_set(op->b, sym, got);
		log_info("[LEVERAGE] %s: set to %dx OK", sym, got);
		op->pre = PS_GO;
		return op->go(op);
	}
	if (bn_reply_error(r, &code, err, sizeof(err)) == 0 && code == -4028) {
		/* "Leverage N is not valid": only the account says if it is set */
		op->pre = PS_LEV_CHECK;
		if (bn_positions(op->b, 1, pre_step, op))
			pre_step(op);
		return;
	}
	bn_describe(r, why, sizeof(why));
	log_warn("[LEVERAGE] %s: setting %dx failed: %s", sym, want, why);
	snprintf(err, sizeof(err), "leverage_not_set:%d", want);
	refuse(op, err);
}

static void leverage(struct bn_op *op)
{
	const char *sym = op->j->o.symbol;
	int want = op->j->q.leverage;
	struct bn_query q;
	char err[ERROR_MAX];

	if (bn_leverage_get(op->b, sym) == want) {
		log_info("[LEVERAGE] %s: already at %dx (no change needed)", sym, want);
		op->pre = PS_GO;
		return op->go(op);
	}
	int64_t wait = bn_gate(op->b, 1, err, sizeof(err));
	if (wait < 0)
		return refuse(op, err);
	if (wait > 0)
		return loop_at(&op->t, mono_ms() + wait, pre_step, op);
	if (bn_leverage_query(&q, sym, want) < 0) {
		snprintf(err, sizeof(err), "leverage_not_set:%d", want);
		return refuse(op, err);
	}
	bn_signed(op->b, &op->x, 1, "/fapi/v1/leverage", &q, 0, leverage_done, op);
}

static void leverage_checked(struct bn_op *op)
{
	const char *sym = op->j->o.symbol;
	int want = op->j->q.leverage, have = bn_leverage_get(op->b, sym);
	char err[64];
	if (have == want) {
		log_info("[LEVERAGE] %s: already at %dx (no change needed)", sym, want);
		op->pre = PS_GO;
		return op->go(op);
	}
	log_warn("[LEVERAGE] %s: -4028 for %dx and the account is at %dx: not "
	    "set", sym, want, have);
	snprintf(err, sizeof(err), "leverage_not_set:%d", want);
	refuse(op, err);
}

static void spec(struct bn_op *op)
{
	struct job *j = op->j;
	struct binance *b = op->b;
	char err[ERROR_MAX], q0[32], q1[32];
	struct bn_plan_order po = {
		.symbol = j->o.symbol, .side = j->o.side,
		.reduce_only = j->o.reduce_only, .qty = j->o.qty,
		.close = j->q.side == SIDE_CLOSE,      /* o.side: once its side */
		.fraction = j->q.close_fraction, .step = j->f.step,
		.min_qty = j->f.min_qty,
	};
	op->mode = b->mode;
	if (bn_order_spec(b->mode, &b->pos, &po, &op->spec, err,
	    sizeof(err)) < 0) {
		if (!j->o.reduce_only || op->pos_reread)
			return refuse(op, err);
		op->pos_reread = 1;     /* flat as last read: read once more */
		if (!bn_positions(b, 1, pre_step, op))
			return;
		return refuse(op, err);
	}
	if (po.close) {         /* the position (or its part), its closing side */
		if (j->close_limits(j, op->spec.qty) < 0) {
			snprintf(err, sizeof(err), "%s", j->res.error);
			return refuse(op, err);
		}
		j->o.side = op->spec.side;
		j->o.qty = op->spec.qty;
		j->res.qty = op->spec.qty;
	}
	if (op->spec.cut) {
		dec_format(q0, sizeof(q0), j->o.qty);
		dec_format(q1, sizeof(q1), op->spec.qty);
		log_info("binance: order %s %s: reduce-only qty %s cut to the %s "
		    "position, %s", j->o.coid, j->o.symbol, q0,
		    bn_pos_side_name(op->spec.pos_side), q1);
		j->o.qty = op->spec.qty;
		j->res.qty = op->spec.qty;
	}
	if (op->spec.reduces) {
		op->pre = PS_GO;
		return op->go(op);
	}
	op->pre = PS_LEVERAGE;
	leverage(op);
}

static void pre_step(void *arg)
{
	struct bn_op *op = arg;
	struct binance *b = op->b;
	char err[ERROR_MAX];

	switch (op->pre) {
	case PS_MODE_AGAIN:
		op->pre = PS_MODE;
		if (!bn_mode(b, 1, pre_step, op))
			return;
		/* fall through */
	case PS_MODE:
		if (!bn_mode(b, 0, pre_step, op))
			return;
		if (!b->mode_at) {
			snprintf(err, sizeof(err), "account_unknown:%s", b->mode_why);
			return refuse(op, err);
		}
		op->pre = PS_POSITIONS;
		/* fall through */
	case PS_POSITIONS:
		if (op->j->o.reduce_only && !bn_positions(b, 0, pre_step, op))
			return;
		if (op->j->o.reduce_only && !b->pos_at) {
			snprintf(err, sizeof(err), "account_unknown:%s", b->pos_why);
			return refuse(op, err);
		}
		op->pre = PS_SPEC;
		/* fall through */
	case PS_SPEC:
		return spec(op);
	case PS_LEVERAGE:
		return leverage(op);
	case PS_LEV_CHECK:
		return leverage_checked(op);
	default:
		return op->go(op);
	}
}

void bn_presend(struct bn_op *op, int reread_mode,
    void (*go)(struct bn_op *op))
{
	op->go = go;
	op->pre = reread_mode ? PS_MODE_AGAIN : PS_MODE;
	pre_step(op);
}
