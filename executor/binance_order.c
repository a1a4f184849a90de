/*
 * binance_order.c - placing one MARKET order on Binance and knowing its
 * outcome.  Before sending, the exchange is asked whether an order with the
 * plan's client order id exists already (a request replayed after a crash
 * is answered from the exchange, never sent twice).  A lost answer
 * (timeout, connection lost, HTTP 5xx, -1006/-1007) is settled by asking
 * for that client order id, never by sending again; a definite rejection
 * (-1021 clock, 429 rate limit) may be resent, once, because nothing was
 * placed.
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
#define FOLLOW_UPS 3
#define SEND_ATTEMPTS 3

enum found { Q_FOUND = 1, Q_ABSENT = 0, Q_FAILED = -1 };

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

/* GET /fapi/v1/order by client order id; a -1021 is resynced and retried. */
static enum found query_order(struct binance *b, const struct order *o,
    struct bn_order *x, char *why, size_t whysz)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct bn_query q;
		struct bn_reply r;
		long code;
		char msg[8];
		bn_query_init(&q);
		bn_query_add(&q, "symbol", o->symbol);
		bn_query_add(&q, "origClientOrderId", o->coid);
		bn_signed(b, 0, "/fapi/v1/order", &q, 0, &r);
		if (r.outcome == BN_REPLY && r.status == 200) {
			if (bn_parse_order(r.body, r.len, x, why, whysz) == 0 &&
			    same_order(o, x, why, whysz))
				return Q_FOUND;
			return Q_FAILED;
		}
		int err = bn_reply_error(&r, &code, msg, sizeof(msg)) == 0;
		if (err && code == -2013)
			return Q_ABSENT;
		exchange_error(&r, why, whysz);
		if (!(err && code == -1021 && bn_sync_time(b) == 0))
			return Q_FAILED;
	}
	return Q_FAILED;
}

static void unknown(const struct order *o, const char *cause,
    const char *last, int64_t waited, struct exec_res *res)
{
	res->executed = 0;
	res->filled_qty = 0;
	snprintf(res->status, sizeof(res->status), "UNKNOWN");
	snprintf(res->error, sizeof(res->error),
	    "order_unknown:%s; not settled after %llds (%s): check client order "
	    "id %s on the exchange", cause, (long long)(waited / 1000), last,
	    o->coid);
	log_error("❗ binance: order %s %s %s: outcome UNKNOWN (%s; last: %s): it "
	    "may or may not have executed; not sent again; check it by hand",
	    o->coid, o->symbol, side_name(o->side), cause, last);
}

/*
 * The order was sent at sent_at (mono ms) and its outcome is unknown: ask
 * the exchange until it answers.  An order still absent once its receive
 * window is over can no longer be accepted: it was not placed.
 */
static int settle(struct binance *b, const struct order *o, int64_t sent_at,
    const char *cause, struct exec_res *res)
{
	int64_t absent_after = sent_at + BN_RECV_WINDOW_MS + SETTLE_ABSENT_GRACE_MS;
	int64_t deadline = sent_at + BN_RECV_WINDOW_MS + SETTLE_EXTRA_MS;
	int64_t pause = 200;
	char last[160] = "no answer yet";
	struct bn_order x;

	log_warn("binance: order %s: outcome unknown (%s): asking the exchange, "
	    "not sending it again", o->coid, cause);
	for (;;) {
		if (bn_gate(b, 0, last, sizeof(last)) == 0) {
			enum found k = query_order(b, o, &x, last, sizeof(last));
			if (k == Q_FOUND) {
				from_order(b, o, &x, res, "settled");
				return res->executed ? 0 : -1;
			}
			if (k == Q_ABSENT && mono_ms() >= absent_after) {
				res->executed = 0;
				snprintf(res->status, sizeof(res->status), "NOT_FOUND");
				snprintf(res->error, sizeof(res->error),
				    "order_not_placed:%s; the exchange has no order %s "
				    "after its receive window", cause, o->coid);
				log_order("settled", o, res);
				return -1;
			}
			if (k == Q_ABSENT)
				snprintf(last, sizeof(last), "not on the exchange yet");
		} else if (b->banned_until > mono_ms()) {
			break;
		}
		if (mono_ms() + pause > deadline)
			break;
		bn_sleep_ms(pause);
		pause = pause * 2 > 1000 ? 1000 : pause * 2;
	}
	unknown(o, cause, last, mono_ms() - sent_at, res);
	return -1;
}

/* A MARKET order accepted but not yet filled: look again, briefly. */
static void follow_up(struct binance *b, const struct order *o,
    struct bn_order *x)
{
	char why[160];
	for (int i = 0; i < FOLLOW_UPS && !bn_status_final(x->status) &&
	     x->executed_qty == 0; i++) {
		struct bn_order y;
		bn_sleep_ms(300);
		if (query_order(b, o, &y, why, sizeof(why)) != Q_FOUND)
			return;
		*x = y;
	}
}

static void build_order(struct bn_query *q, const struct order *o)
{
	char qty[32];
	dec_format(qty, sizeof(qty), o->qty);
	bn_query_init(q);
	bn_query_add(q, "symbol", o->symbol);
	bn_query_add(q, "side", side_name(o->side));
	bn_query_add(q, "type", "MARKET");
	bn_query_add(q, "quantity", qty);
	bn_query_add(q, "reduceOnly", o->reduce_only ? "true" : "false");
	bn_query_add(q, "newClientOrderId", o->coid);
	bn_query_add(q, "newOrderRespType", "RESULT");
}

static int rejected(const char *error, const char *status,
    const struct order *o, struct exec_res *res)
{
	res->executed = 0;
	snprintf(res->status, sizeof(res->status), "%s", status);
	snprintf(res->error, sizeof(res->error), "%.*s",
	    (int)sizeof(res->error) - 1, error);
	log_order("not placed", o, res);
	return -1;
}

/* One reply to the order POST that is not a success: what to do. */
static int on_failure(struct binance *b, const struct order *o,
    const struct bn_reply *r, int64_t sent_at, int last_try,
    struct exec_res *res)
{
	long code = 0;
	char msg[160], err[ERROR_MAX];
	int has = bn_reply_error(r, &code, msg, sizeof(msg)) == 0;

	if (r->status >= 500 || (has && (code == -1006 || code == -1007 ||
	    code == -4116))) {
		snprintf(err, sizeof(err), "HTTP %ld%s%s", r->status,
		    has ? " code " : "", has ? (code == -4116 ? "-4116 duplicate" :
		    code == -1006 ? "-1006" : code == -1007 ? "-1007" : "") : "");
		return settle(b, o, sent_at, err, res);
	}
	if (r->status == 418 || r->status == 429) {
		if (r->status == 429 && !last_try &&
		    bn_gate(b, 0, err, sizeof(err)) == 0)
			return 1;       /* waited out: rejected, so resend */
		bn_gate(b, 0, err, sizeof(err));
		if (r->status == 429 && strncmp(err, "binance_", 8) != 0)
			snprintf(err, sizeof(err), "binance_rate_limited:HTTP 429");
		return rejected(err, "REJECTED", o, res);
	}
	if (has && code == -1021 && !last_try && bn_sync_time(b) == 0)
		return 1;               /* clock resynced: rejected, so resend */
	exchange_error(r, err, sizeof(err));
	return rejected(err, "REJECTED", o, res);
}

/* 0 placed, -1 not (res says why), 1 rejected for a reason worth a resend. */
static int send_once(struct binance *b, const struct order *o, int last_try,
    struct exec_res *res)
{
	struct bn_query q;
	struct bn_reply r;
	struct bn_order x;
	char why[160];

	build_order(&q, o);
	int64_t sent_at = mono_ms();
	bn_signed(b, 1, "/fapi/v1/order", &q, 1, &r);
	if (r.outcome == BN_NOT_SENT) {
		snprintf(why, sizeof(why), "binance_unreachable:%s", r.why);
		return rejected(why, "REJECTED", o, res);
	}
	if (r.outcome == BN_UNKNOWN)
		return settle(b, o, sent_at, r.why, res);
	if (r.status == 200) {
		if (bn_parse_order(r.body, r.len, &x, why, sizeof(why)) < 0 ||
		    !same_order(o, &x, why, sizeof(why))) {
			char cause[200];
			snprintf(cause, sizeof(cause), "unexpected reply: %s", why);
			return settle(b, o, sent_at, cause, res);
		}
		follow_up(b, o, &x);
		from_order(b, o, &x, res, "placed");
		return res->executed ? 0 : -1;
	}
	if (r.status < 400) {
		snprintf(why, sizeof(why), "unexpected HTTP %ld", r.status);
		return settle(b, o, sent_at, why, res);
	}
	return on_failure(b, o, &r, sent_at, last_try, res);
}

int bn_place(void *st, const struct order *o, struct exec_res *res)
{
	struct binance *b = st;
	struct bn_order x;
	char why[ERROR_MAX];

	const struct bn_book_entry *e = book_find(b, o->coid);
	if (e && bn_status_final(e->res.status)) {
		uint32_t seq = res->seq;
		*res = e->res;
		res->seq = seq;
		log_order("already placed, not sent again", o, res);
		return res->executed ? 0 : -1;
	}
	if (bn_gate(b, 1, why, sizeof(why)) < 0)
		return rejected(why, "REJECTED", o, res);
	enum found k = query_order(b, o, &x, why, sizeof(why));
	if (k == Q_FOUND) {
		from_order(b, o, &x, res, "already on the exchange, not sent again");
		return res->executed ? 0 : -1;
	}
	if (k == Q_FAILED) {
		char err[ERROR_MAX];
		snprintf(err, sizeof(err), "%.200s (checking before sending; "
		    "nothing sent)", why);
		return rejected(err, "REJECTED", o, res);
	}
	for (int i = 0; i < SEND_ATTEMPTS; i++) {
		int rc = send_once(b, o, i == SEND_ATTEMPTS - 1, res);
		if (rc <= 0)
			return rc;
	}
	return -1;      /* not reached: the last try never asks for a resend */
}
