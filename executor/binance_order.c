/*
 * binance_order.c - placing one MARKET order on Binance and knowing its
 * outcome (backend.h's place), as a state machine in the event loop: every
 * look-up, pause and back-off is a transfer or a timer of this order's
 * own, so it holds up no other order.  Before sending, the exchange is
 * asked whether an order with the plan's client order id exists already (a
 * request replayed after a crash is answered from the exchange, never sent
 * twice).  A lost answer (timeout, connection lost, HTTP 5xx,
 * -1006/-1007) is settled by asking for that client order id, never by
 * sending again; a definite rejection (-1021 clock, 429 rate limit) may be
 * resent, because nothing was placed.  An order past its plan's deadline
 * is not written (binance_http.h: refused at the moment it would go out).
 * Between the look-up and the POST, binance_presend.c settles the
 * account's part (position mode, the position a reduce acts on, the
 * leverage); the parameters are bn_order_query's for that mode.  An order
 * refused for its mode (-4061, -1106) was not placed: the mode is read
 * again and the order rebuilt and sent once more.
 *
 * May: send POST and GET /fapi/v1/order.  May not: resend an order whose
 * outcome is unknown; report executed=1 without an exchange fill.
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "decimal.h"
#include "log.h"

#define SETTLE_ABSENT_GRACE_MS 2000     /* after recvWindow: "not placed" */
#define SETTLE_EXTRA_MS 10000           /* after recvWindow: give up */
#define FOLLOW_MAX_MS 20000            /* a NEW order: followed this long */
#define SEND_ATTEMPTS 3

enum found { Q_FOUND = 1, Q_ABSENT = 0, Q_FAILED = -1 };
enum { OR_START = 0, OR_CHECK, OR_SEND, OR_FOLLOW, OR_SETTLE };

static struct bn_book_entry *book_find(struct binance *b, const char *coid)
{
	for (unsigned i = 0; i < BN_BOOK_SIZE; i++)
		if (strcmp(b->book[i].coid, coid) == 0)
			return &b->book[i];
	return NULL;
}

static void book_put(struct binance *b, const char *coid,
    const struct exec_res *res)
{
	struct bn_book_entry *e = book_find(b, coid);
	if (!e)
		e = &b->book[b->book_next++ % BN_BOOK_SIZE];
	snprintf(e->coid, sizeof(e->coid), "%s", coid);
	e->res = *res;
}

static void log_order(const char *what, const struct order *o,
    const struct exec_res *res)
{
	char q[32], f[32];
	dec_format(q, sizeof(q), o->qty);
	dec_format(f, sizeof(f), res->filled_qty);
	log_info("binance: order %s %s %s qty=%s reduceOnly=%s: %s status=%s "
	    "filled=%s order_id=%s%s%s", o->coid, o->symbol, side_name(o->side), q,
	    o->reduce_only ? "true" : "false", what, res->status, f,
	    res->order_id[0] ? res->order_id : "-", res->error[0] ? " error=" : "",
	    res->error);
}

static void from_order(struct binance *b, const struct order *o,
    const struct bn_order *x, struct exec_res *res, const char *what)
{
	res->executed = x->executed_qty > 0;
	res->qty = x->orig_qty;
	res->filled_qty = x->executed_qty;
	res->avg_price = x->avg_price;
	snprintf(res->order_id, sizeof(res->order_id), "%s", x->order_id);
	snprintf(res->status, sizeof(res->status), "%s", x->status);
	res->error[0] = '\0';
	if (!res->executed)
		snprintf(res->error, sizeof(res->error), "order_not_filled:%s%s",
		    x->status, bn_status_final(x->status) ? "" :
		    " (still open on the exchange)");
	book_put(b, o->coid, res);
	log_order(what, o, res);
}

/* The reply is the order o asked for, not another one. */
static int same_order(const struct order *o, const struct bn_order *x,
    char *why, size_t whysz)
{
	if (strcmp(x->client_order_id, o->coid) == 0 &&
	    strcmp(x->symbol, o->symbol) == 0)
		return 1;
	snprintf(why, whysz, "reply describes another order");
	return 0;
}

static void exchange_error(const struct bn_reply *r, char *out, size_t sz)
{
	long code;
	char msg[160];
	if (r->outcome != BN_REPLY)
		snprintf(out, sz, "binance_unreachable:%s", r->why);
	else if (bn_reply_error(r, &code, msg, sizeof(msg)) == 0)
		snprintf(out, sz, "binance_error:%ld:%s", code, msg);
	else
		snprintf(out, sz, "binance_error:0:HTTP %ld without an error code",
		    r->status);
}

static void unknown(const struct order *o, const char *cause,
    const char *last, int64_t waited, struct exec_res *res)
{
	res->executed = 0;
	res->filled_qty = 0;
	snprintf(res->status, sizeof(res->status), "UNKNOWN");
	snprintf(res->error, sizeof(res->error),
	    "order_unknown:%.90s; not settled after %llds (%.70s): check client order "
	    "id %s on the exchange", cause, (long long)(waited / 1000), last,
	    o->coid);
	log_error("❗ binance: order %s %s %s: outcome UNKNOWN (%s; last: %s): it "
	    "may or may not have executed; not sent again; check it by hand",
	    o->coid, o->symbol, side_name(o->side), cause, last);
}


/*
 * The order leaves the backend: drift (binance_drift.c) hears of it, and
 * of a fill it does not know exactly (an outcome unknown, a fill not
 * counted as this order's own whole fill).
 */
static void order_end(struct bn_op *op)
{
	const struct exec_res *res = &op->j->res;
	if (op->drift_busy) {
		if (strcmp(res->status, "UNKNOWN") == 0 ||
		    (res->filled_qty > 0 && !op->fill_counted))
			bn_drift_uncertain(op->b, op->j->o.symbol);
		bn_drift_order(op->b, op->j->o.symbol, -1);
		op->drift_busy = 0;
	}
	bn_op_end(op);
}

static void step(void *arg);

/* The order's step again after ms. */
static void pause_then(struct bn_op *op, int64_t ms)
{
	loop_at(&op->t, mono_ms() + ms, step, op);
}

static void rejected(struct bn_op *op, const char *error, const char *status)
{
	struct exec_res *res = &op->j->res;
	res->executed = 0;
	snprintf(res->status, sizeof(res->status), "%s", status);
	snprintf(res->error, sizeof(res->error), "%.*s",
	    (int)sizeof(res->error) - 1, error);
	log_order("not placed", &op->j->o, res);
	order_end(op);
}

static void found(struct bn_op *op, const char *what)
{
	from_order(op->b, &op->j->o, &op->o, &op->j->res, what);
	struct exec_res *res = &op->j->res;
	if (res->filled_qty > 0 && op->spec.side) {
		const struct bn_position *p = bn_positions_fill(op->b,
		    op->j->o.symbol, op->spec.pos_side, op->spec.side,
		    res->filled_qty, res->avg_price);
		if (p && p->amount >= -MSG_AMOUNT_MAX &&
		    p->amount <= MSG_AMOUNT_MAX) {   /* for the ledger */
			res->position_known = 1;
			res->position_amt = p->amount;
			res->position_entry = p->amount ? p->entry_price : 0;
		}
		op->fill_counted = bn_status_final(res->status);
	} else if (res->filled_qty > 0)     /* found, not sent by us now */
		bn_positions_changed(op->b);
	order_end(op);
}

/* The time offset is fresh: 1, or 0 and the step runs again once it is. */
static int time_ready(struct bn_op *op)
{
	return bn_time(op->b, 0, step, op);
}

/* ---- GET /fapi/v1/order by client order id; -1021 is resynced once */

static void on_query(struct bn_op *op, enum found k);

static void query_start(struct bn_op *op);

static void resynced(void *arg)
{
	struct bn_op *op = arg;
	if (op->b->time_why[0]) {
		exchange_error(&op->x.r, op->last, sizeof(op->last));
		return on_query(op, Q_FAILED);
	}
	query_start(op);
}

static void query_done(struct bn_xfer *x, void *arg)
{
	struct bn_op *op = arg;
	const struct bn_reply *r = &x->r;
	long code;
	char msg[8];
	bn_account(op->b, r);
	if (r->outcome == BN_REPLY && r->status == 200) {
		struct bn_order y;
		if (bn_parse_order(r->body, r->len, &y, op->last, sizeof(op->last)) < 0 ||
		    !same_order(&op->j->o, &y, op->last, sizeof(op->last)))
			return on_query(op, Q_FAILED);
		op->o = y;
		return on_query(op, Q_FOUND);
	}
	int err = bn_reply_error(r, &code, msg, sizeof(msg)) == 0;
	if (err && code == -2013)
		return on_query(op, Q_ABSENT);
	exchange_error(r, op->last, sizeof(op->last));
	if (err && code == -1021 && !op->clock_retry) {
		op->clock_retry = 1;
		if (bn_time(op->b, 1, resynced, op))
			resynced(op);
		return;
	}
	on_query(op, Q_FAILED);
}

static void query_start(struct bn_op *op)
{
	struct bn_query q;
	bn_query_init(&q);
	bn_query_add(&q, "symbol", op->j->o.symbol);
	bn_query_add(&q, "origClientOrderId", op->j->o.coid);
	bn_signed(op->b, &op->x, 0, "/fapi/v1/order", &q, 0, query_done, op);
}

static void query(struct bn_op *op)
{
	op->clock_retry = 0;
	if (time_ready(op))
		query_start(op);
}

/* ---- settling an order whose outcome is unknown */

/*
 * The order was sent at sent_at (mono ms) and its outcome is unknown: ask
 * the exchange until it answers.  An order still absent once its receive
 * window is over can no longer be accepted: it was not placed.
 */
static void settle(struct bn_op *op, const char *cause)
{
	snprintf(op->cause, sizeof(op->cause), "%s", cause);
	snprintf(op->last, sizeof(op->last), "no answer yet");
	op->pause = 200;
	op->step = OR_SETTLE;
	log_warn("binance: order %s: outcome unknown (%s): asking the exchange, "
	    "not sending it again", op->j->o.coid, cause);
	step(op);
}

static void settle_give_up(struct bn_op *op)
{
	unknown(&op->j->o, op->cause, op->last, mono_ms() - op->sent_at,
	    &op->j->res);
	order_end(op);
}

/* After a look-up (or none possible now): wait and ask again, or give up. */
static void settle_again(struct bn_op *op)
{
	int64_t until = op->sent_at + BN_RECV_WINDOW_MS + SETTLE_EXTRA_MS;
	if (mono_ms() + op->pause > until)
		return settle_give_up(op);
	pause_then(op, op->pause);
	op->pause = op->pause * 2 > 1000 ? 1000 : op->pause * 2;
}

static void settle_step(struct bn_op *op)
{
	int64_t wait = bn_gate(op->b, 0, op->last, sizeof(op->last));
	if (wait == 0)
		return query(op);
	if (wait > 0)
		return pause_then(op, wait);
	if (op->b->banned_until > mono_ms())
		return settle_give_up(op);
	settle_again(op);
}

static void settled(struct bn_op *op, enum found k)
{
	struct exec_res *res = &op->j->res;
	if (k == Q_FOUND)
		return found(op, "settled");
	if (k == Q_ABSENT && mono_ms() >= op->sent_at + BN_RECV_WINDOW_MS +
	    SETTLE_ABSENT_GRACE_MS) {
		res->executed = 0;
		snprintf(res->status, sizeof(res->status), "NOT_FOUND");
		snprintf(res->error, sizeof(res->error),
		    "order_not_placed:%.150s; the exchange has no order %s "
		    "after its receive window", op->cause, op->j->o.coid);
		log_order("settled", &op->j->o, res);
		return order_end(op);
	}
	if (k == Q_ABSENT)
		snprintf(op->last, sizeof(op->last), "not on the exchange yet");
	settle_again(op);
}

/* ---- sending */

static void send_order(struct bn_op *op);
static void present(struct bn_op *op);

/* One reply to the order POST that is not a success: what to do. */
static void on_failure(struct bn_op *op, const struct bn_reply *r)
{
	long code = 0;
	char msg[160], err[ERROR_MAX];
	int has = bn_reply_error(r, &code, msg, sizeof(msg)) == 0;
	int last_try = op->tries >= SEND_ATTEMPTS;

	if (r->status >= 500 || (has && (code == -1006 || code == -1007 ||
	    code == -4116))) {
		snprintf(err, sizeof(err), "HTTP %ld%s%s", r->status,
		    has ? " code " : "", has ? (code == -4116 ? "-4116 duplicate" :
		    code == -1006 ? "-1006" : code == -1007 ? "-1007" : "") : "");
		return settle(op, err);
	}
	if (r->status == 418 || r->status == 429) {
		err[0] = '\0';
		int64_t wait = bn_gate(op->b, 0, err, sizeof(err));
		if (r->status == 429 && !last_try && wait >= 0)
			return pause_then(op, wait);    /* rejected: resend */
		if (r->status == 429 && strncmp(err, "binance_", 8) != 0)
			snprintf(err, sizeof(err), "binance_rate_limited:HTTP 429");
		return rejected(op, err, "REJECTED");
	}
	if (has && (code == -4061 || code == -1106) && !op->mode_retry &&
	    !last_try) {
		/* refused for the position mode, so not placed: the mode is read
		 * again and the order rebuilt for it, once */
		op->mode_retry = 1;
		log_warn("binance: order %s: refused for the position mode (%ld): "
		    "reading the mode again", op->j->o.coid, code);
		return bn_presend(op, 1, present);
	}
	if (has && code == -1021 && !last_try) {
		op->clock_retry = 1;            /* resend once the clock is synced */
		if (bn_time(op->b, 1, step, op))
			step(op);
		return;
	}
	exchange_error(r, err, sizeof(err));
	rejected(op, err, "REJECTED");
}

static void sent(struct bn_xfer *x, void *arg)
{
	struct bn_op *op = arg;
	const struct bn_reply *r = &x->r;
	char why[160];

	bn_account(op->b, r);
	if (r->outcome == BN_NOT_SENT && r->stale) {
		job_stale(op->j, wall_ms());
		log_order("not placed", &op->j->o, &op->j->res);
		return order_end(op);
	}
	if (r->outcome == BN_NOT_SENT) {
		snprintf(why, sizeof(why), "binance_unreachable:%s", r->why);
		return rejected(op, why, "REJECTED");
	}
	if (r->outcome == BN_UNKNOWN)
		return settle(op, r->why);
	if (r->status == 200) {
		if (bn_parse_order(r->body, r->len, &op->o, why, sizeof(why)) < 0 ||
		    !same_order(&op->j->o, &op->o, why, sizeof(why))) {
			char cause[200];
			snprintf(cause, sizeof(cause), "unexpected reply: %s", why);
			return settle(op, cause);
		}
		if (bn_status_final(op->o.status) || op->o.executed_qty > 0)
			return found(op, "placed");
		op->step = OR_FOLLOW;
		return pause_then(op, 300);
	}
	if (r->status < 400) {
		snprintf(why, sizeof(why), "unexpected HTTP %ld", r->status);
		return settle(op, why);
	}
	on_failure(op, r);
}

static void send_order(struct bn_op *op)
{
	struct bn_query q;
	if (op->clock_retry && op->b->time_why[0]) {
		char err[ERROR_MAX];
		exchange_error(&op->x.r, err, sizeof(err));
		return rejected(op, err, "REJECTED");
	}
	op->clock_retry = 0;
	if (!time_ready(op))
		return;
	if (bn_order_query(&q, op->mode, op->j->o.symbol, op->j->o.coid,
	    &op->spec) < 0)
		return rejected(op, "request_rejected:order parameters do not fit "
		    "the position mode", "NOT_SENT");
	op->tries++;
	op->sent_at = mono_ms();
	bn_signed(op->b, &op->x, 1, "/fapi/v1/order", &q, op->j->deadline_ms,
	    sent, op);
}

/* ---- the steps */

static void checked(struct bn_op *op, enum found k)
{
	char err[ERROR_MAX];
	if (k == Q_FOUND)
		return found(op, "already on the exchange, not sent again");
	if (k == Q_FAILED) {
		snprintf(err, sizeof(err), "%.200s (checking before sending; "
		    "nothing sent)", op->last);
		return rejected(op, err, "REJECTED");
	}
	op->step = OR_SEND;
	bn_presend(op, 0, present);
}

/* The account's part is done: send, or refuse with nothing sent. */
static void present(struct bn_op *op)
{
	char err[ERROR_MAX];
	if (op->j->res.error[0]) {
		snprintf(err, sizeof(err), "%s", op->j->res.error);
		return rejected(op, err, "NOT_SENT");
	}
	send_order(op);
}

/*
 * A MARKET order accepted with nothing filled yet (NEW): looked at again,
 * 300 ms to 1 s apart, until it is terminal or has a fill.  It may still fill,
 * so it is never reported as not executed: still open FOLLOW_MAX_MS after
 * it was sent, or not found any more, it is UNKNOWN (check by hand).
 */
static void followed(struct bn_op *op, enum found k)
{
	if (k == Q_FOUND && (bn_status_final(op->o.status) ||
	    op->o.executed_qty > 0))
		return found(op, "placed");
	if (k == Q_FOUND)
		snprintf(op->last, sizeof(op->last), "status %s, filled %lld units "
		    "of 1e-8", op->o.status, (long long)op->o.executed_qty);
	else if (k == Q_ABSENT)
		snprintf(op->last, sizeof(op->last), "accepted, then not found");
	int64_t wait = 300 + 100 * (int64_t)op->follow++;
	if (wait > 1000)
		wait = 1000;
	if (mono_ms() + wait <= op->sent_at + FOLLOW_MAX_MS)
		return pause_then(op, wait);
	snprintf(op->cause, sizeof(op->cause), "accepted %s, not over after %ds",
	    op->o.status, FOLLOW_MAX_MS / 1000);
	settle_give_up(op);
}

static void on_query(struct bn_op *op, enum found k)
{
	if (op->step == OR_CHECK)
		checked(op, k);
	else if (op->step == OR_FOLLOW)
		followed(op, k);
	else
		settled(op, k);
}

static void start(struct bn_op *op)
{
	char why[ERROR_MAX];
	struct exec_res *res = &op->j->res;
	const struct bn_book_entry *e = book_find(op->b, op->j->o.coid);
	if (e && bn_status_final(e->res.status)) {
		uint32_t seq = res->seq;
		*res = e->res;
		res->seq = seq;
		log_order("already placed, not sent again", &op->j->o, res);
		return order_end(op);
	}
	if (!op->drift_busy) {
		op->drift_busy = 1;
		bn_drift_order(op->b, op->j->o.symbol, 1);
	}
	int64_t wait = bn_gate(op->b, 1, why, sizeof(why));
	if (wait < 0)
		return rejected(op, why, "REJECTED");
	if (wait > 0)
		return pause_then(op, wait);
	op->step = OR_CHECK;
	query(op);
}

static void step(void *arg)
{
	struct bn_op *op = arg;
	switch (op->step) {
	case OR_START:
		return start(op);
	case OR_CHECK:
	case OR_FOLLOW:
		return query(op);
	case OR_SEND:
		return send_order(op);
	default:
		return settle_step(op);
	}
}

void bn_place(void *st, struct job *j)
{
	bn_op_start(st, j, OR_START, step);
}
