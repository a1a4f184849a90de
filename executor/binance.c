/*
 * binance.c - the binance backend: Binance USDT-M futures over REST.  This
 * file holds the connection policy: the server time offset, rate limits
 * (429 back-off, 418 ban, slowing down near a limit), the symbol filters
 * from exchangeInfo (refreshed every 10 minutes, lazily), and the pool of
 * per-request state (struct bn_op).  The time and the filters are each
 * asked by one request at a time, whoever needs them meanwhile waits for
 * that answer (struct bn_waiters).  Mark prices are asked in
 * binance_prepare.c, orders placed and settled in binance_order.c, both
 * on top of this file; binance_backend.c assembles the backend.
 *
 * May: talk to the configured base URL, hold the API key and secret.
 * May not: log the secret, a signature or a signed query; trade a symbol
 * whose filters it does not know; send while banned; sleep.
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "log.h"

static struct bn_op ops[BN_OPS];

static struct bn_op *bn_op_get(struct binance *b, struct job *j)
{
	for (int i = 0; i < BN_OPS; i++) {
		struct bn_op *op = &ops[i];
		if (op->used)
			continue;
		struct bn_xfer x = op->x;       /* keeps its easy handle, buffer */
		memset(op, 0, sizeof(*op));
		op->x = x;
		op->used = 1;
		op->b = b;
		op->j = j;
		j->bk = op;
		return op;
	}
	return NULL;
}

static void no_op(void *arg)
{
	struct job *j = arg;
	j->done(j);
}

void bn_op_start(struct binance *b, struct job *j, int first,
    void (*fn)(void *))
{
	struct bn_op *op = bn_op_get(b, j);
	if (!op) {
		snprintf(j->res.error, sizeof(j->res.error), "executor_unavailable:"
		    "binance backend full");
		return loop_at(&j->t, 0, no_op, j);
	}
	op->step = first;
	loop_at(&op->t, 0, fn, op);
}

static void op_done(void *arg)
{
	struct bn_op *op = arg;
	struct job *j = op->j;
	op->used = 0;
	j->bk = NULL;
	j->done(j);
}

void bn_op_end(struct bn_op *op)
{
	loop_at(&op->t, 0, op_done, op);
}

int bn_symbol_index(const struct binance *b, const char *symbol)
{
	for (int i = 0; i < b->symbols.n; i++)
		if (strcmp(b->symbols.item[i], symbol) == 0)
			return i;
	return -1;
}

int bn_wait_add(struct bn_waiters *w, void (*fn)(void *), void *arg)
{
	if (w->n >= BN_WAITERS)
		return -1;
	w->fn[w->n] = fn;
	w->arg[w->n++] = arg;
	return 0;
}

void bn_wait_run(struct bn_waiters *w)
{
	struct bn_waiters now = *w;
	w->n = 0;
	for (int i = 0; i < now.n; i++)
		now.fn[i](now.arg[i]);
}

static int64_t secs_up(int64_t ms)
{
	return ms <= 0 ? 0 : (ms + 999) / 1000;
}

int64_t bn_gate(struct binance *b, int soft, char *err, size_t errlen)
{
	int64_t now = mono_ms();
	if (b->banned_until > now) {
		snprintf(err, errlen, "binance_banned:retry after %llds",
		    (long long)secs_up(b->banned_until - now));
		return -1;
	}
	int64_t until = b->backoff_until;
	if (soft && b->throttle_until > until)
		until = b->throttle_until;
	if (until <= now)
		return 0;
	if (until - now > BN_MAX_WAIT_MS) {
		snprintf(err, errlen, "binance_rate_limited:retry after %llds",
		    (long long)secs_up(until - now));
		return -1;
	}
	return until - now;
}

/* Milliseconds left in the exchange's current window of window_ms. */
static int64_t window_left(const struct binance *b, int64_t window_ms)
{
	int64_t server = wall_ms() + b->offset_ms;
	return window_ms - server % window_ms;
}

static void near_limit(struct binance *b, long used, long limit,
    int64_t window_ms, const char *what)
{
	if (used < 0 || limit <= 0 || used * 10 < limit * 9)
		return;
	int64_t until = mono_ms() + window_left(b, window_ms);
	if (until <= b->throttle_until)
		return;
	b->throttle_until = until;
	log_warn("binance: %s %ld of %ld: slowing down, no new order for %lld ms",
	    what, used, limit, (long long)(until - mono_ms()));
}

void bn_account(struct binance *b, const struct bn_reply *r)
{
	int64_t now = mono_ms();
	if (r->outcome != BN_REPLY)
		return;
	if (r->status == 418) {
		long s = r->retry_after >= 0 ? r->retry_after : BN_BAN_DEFAULT_S;
		b->banned_until = now + (int64_t)s * 1000;
		log_error("binance: HTTP 418, this IP is banned: sending nothing for %lds",
		    s);
	} else if (r->status == 429) {
		long s = r->retry_after >= 0 ? r->retry_after : 1;
		if (now + (int64_t)s * 1000 > b->backoff_until)
			b->backoff_until = now + (int64_t)s * 1000;
		log_warn("binance: HTTP 429, request rate limit hit: backing off %lds", s);
	}
	near_limit(b, r->used_weight_1m, b->limits.weight_1m ? b->limits.weight_1m :
	    2400, 60000, "request weight per minute");
	near_limit(b, r->orders_10s, b->limits.orders_10s ? b->limits.orders_10s :
	    300, 10000, "orders per 10 s");
	near_limit(b, r->orders_1m, b->limits.orders_1m ? b->limits.orders_1m :
	    1200, 60000, "orders per minute");
}

int bn_reply_error(const struct bn_reply *r, long *code, char *msg,
    size_t msgsz)
{
	if (r->outcome != BN_REPLY)
		return -1;
	return bn_parse_error(r->body, r->len, code, msg, msgsz);
}

void bn_describe(const struct bn_reply *r, char *out, size_t sz)
{
	long code;
	char msg[120];
	if (r->outcome != BN_REPLY)
		snprintf(out, sz, "%s", r->why);
	else if (bn_reply_error(r, &code, msg, sizeof(msg)) == 0)
		snprintf(out, sz, "HTTP %ld, code %ld: %s", r->status, code, msg);
	else
		snprintf(out, sz, "HTTP %ld", r->status);
}

/* The time request ended: the offset, or why not; its waiters go on. */
static void time_done(struct bn_xfer *x, void *arg)
{
	struct binance *b = arg;
	const struct bn_reply *r = &x->r;
	char err[100], why[sizeof(r->why) + 40];
	int64_t server, t1 = wall_ms();

	bn_account(b, r);
	if (r->outcome != BN_REPLY || r->status != 200 ||
	    bn_parse_time(r->body, r->len, &server, err, sizeof(err)) < 0) {
		if (r->outcome == BN_REPLY && r->status == 200)
			snprintf(why, sizeof(why), "%s", err);
		else
			bn_describe(r, why, sizeof(why));
		log_warn("binance: server time unavailable: %s", why);
		if (r->outcome == BN_REPLY)
			snprintf(b->time_why, sizeof(b->time_why), "exchange %s answers "
			    "but not with its time: %s", b->base_url, why);
		else
			snprintf(b->time_why, sizeof(b->time_why), "exchange %s "
			    "unreachable: %s (under systemd the unit's "
			    "IPAddressAllow=localhost drops it: install the drop-in "
			    "binance-network.conf, see quantum-intent-executor(8))",
			    b->base_url, why);
	} else {
		b->offset_ms = server - (b->time_t0 + t1) / 2;
		b->synced_at = mono_ms();
		b->time_why[0] = '\0';
		log_info("binance: server time offset %lld ms", (long long)b->offset_ms);
	}
	bn_wait_run(&b->time_w);
}

int bn_time(struct binance *b, int force, void (*fn)(void *), void *arg)
{
	if (!force && b->synced_at && mono_ms() - b->synced_at <= BN_TIME_TTL_MS)
		return 1;
	if (fn && bn_wait_add(&b->time_w, fn, arg) < 0)
		return 1;       /* no room to wait: go on with the old offset */
	if (!b->time_x.busy) {
		b->time_tried_at = mono_ms();
		b->time_t0 = wall_ms();
		bn_http_start(b->http, &b->time_x, 0, "/fapi/v1/time", "", 0,
		    time_done, b);
	}
	return 0;
}

void bn_signed(struct binance *b, struct bn_xfer *x, int post,
    const char *path, struct bn_query *q, int64_t deadline_ms,
    bn_done_fn done, void *arg)
{
	bn_query_add_int(q, "recvWindow", BN_RECV_WINDOW_MS);
	bn_query_add_int(q, "timestamp", (long long)wall_ms() + b->offset_ms);
	if (bn_query_sign(q, b->cred.secret, b->cred.secret_len) < 0)
		bn_http_fail(x, "request could not be built", done, arg);
	else
		bn_http_start(b->http, x, post, path, q->s, deadline_ms, done, arg);
	explicit_bzero(q->s, sizeof(q->s));     /* held the signature */
}

/* Each allowed symbol without filters, named: absent or left out. */
static void name_missing(const struct binance *b, const char *left_out)
{
	for (int i = 0; i < b->symbols.n; i++) {
		const char *sym = b->symbols.item[i];
		if (filters_find(&b->filters, sym))
			continue;
		log_warn("binance: allowed symbol %s: %s", sym, strstr(left_out, sym) ?
		    "exchangeInfo lists it but not as usable (see left out)" :
		    "exchangeInfo does not list it: not traded");
	}
}

static void filters_done(struct bn_xfer *x, void *arg)
{
	struct binance *b = arg;
	const struct bn_reply *r = &x->r;
	struct filter_table t;
	struct bn_limits lim;
	char err[160];

	bn_account(b, r);
	int n = -1;
	if (r->outcome == BN_REPLY && r->status == 200)
		n = bn_parse_exchange_info(r->body, r->len, &b->symbols, &t, &lim, err,
		    sizeof(err));
	else
		bn_describe(r, err, sizeof(err));
	if (n < 0) {
		b->filters_retry_at = mono_ms() + BN_FILTERS_RETRY_MS;
		snprintf(b->filters_why, sizeof(b->filters_why), "exchangeInfo: %s", err);
		log_warn("binance: %s (%s filters)", b->filters_why,
		    b->filters_at ? "keeping the previous" : "no");
	} else {
		b->filters = t;
		b->limits = lim;
		b->filters_at = mono_ms();
		snprintf(b->filters_why, sizeof(b->filters_why), "left out: %s",
		    err[0] ? err : "none");
		log_info("binance: filters of %d of %d allowed symbols loaded%s%s", n,
		    b->symbols.n, err[0] ? "; left out: " : "", err);
		name_missing(b, err);
	}
	bn_wait_run(&b->filters_w);
}

int bn_filters(struct binance *b, void (*fn)(void *), void *arg)
{
	char gate[96] = "";
	int64_t now = mono_ms();
	if ((b->filters_at && now - b->filters_at <= BN_FILTERS_TTL_MS) ||
	    now < b->filters_retry_at)
		return 1;
	if (bn_gate(b, 1, gate, sizeof(gate)) != 0) {
		/* not now: the old filters (or none) stay */
		snprintf(b->filters_why, sizeof(b->filters_why), "%s", gate[0] ?
		    gate : "rate limited: asked later");
		return 1;
	}
	if (fn && bn_wait_add(&b->filters_w, fn, arg) < 0)
		return 1;
	if (!b->filters_x.busy) {
		b->filters_x.timeout_ms = BN_INFO_TIMEOUT_MS;
		bn_http_start(b->http, &b->filters_x, 0, "/fapi/v1/exchangeInfo", "",
		    0, filters_done, b);
	}
	return 0;
}
