/*
 * binance.c - the binance backend: Binance USDT-M futures over REST.  This
 * file holds the connection policy: the server time offset, rate limits
 * (429 back-off, 418 ban, slowing down near a limit), the symbol filters
 * from exchangeInfo (refreshed every 10 minutes, lazily) and mark prices.
 * Orders are placed and settled in binance_order.c, which calls this file;
 * binance_backend.c assembles the backend from both.
 *
 * May: talk to the configured base URL, hold the API key and secret.
 * May not: log the secret, a signature or a signed query; trade a symbol
 * whose filters it does not know; send while banned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "binance_int.h"
#include "clock.h"
#include "idle.h"
#include "log.h"

/* Sleeps in steps of at most 250 ms, running idle_run() between them. */
void bn_sleep_ms(int64_t ms)
{
	int64_t until = mono_ms() + ms;
	for (int64_t left = ms; left > 0; left = until - mono_ms()) {
		int64_t step = left > 250 ? 250 : left;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = step * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		idle_run();
	}
}

static int64_t secs_up(int64_t ms)
{
	return ms <= 0 ? 0 : (ms + 999) / 1000;
}

int bn_gate(struct binance *b, int soft, char *err, size_t errlen)
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
	bn_sleep_ms(until - now);
	return 0;
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

/* Learns from a reply: bans, back-offs and how close the limits are. */
static void account(struct binance *b, const struct bn_reply *r)
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

static void request(struct binance *b, const char *path, const char *query,
    struct bn_reply *r)
{
	bn_http_request(b->http, 0, path, query, 0, r);
	account(b, r);
}

int bn_reply_error(const struct bn_reply *r, long *code, char *msg,
    size_t msgsz)
{
	if (r->outcome != BN_REPLY)
		return -1;
	return bn_parse_error(r->body, r->len, code, msg, msgsz);
}

/* "HTTP 503" or "timeout ..." or the exchange's error, for a log line. */
static void describe(const struct bn_reply *r, char *out, size_t sz)
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

int bn_sync_time(struct binance *b)
{
	struct bn_reply r;
	char err[100], why[sizeof(r.why) + 40];
	int64_t server;

	int64_t t0 = wall_ms();
	request(b, "/fapi/v1/time", "", &r);
	int64_t t1 = wall_ms();
	if (r.outcome != BN_REPLY || r.status != 200 ||
	    bn_parse_time(r.body, r.len, &server, err, sizeof(err)) < 0) {
		if (r.outcome == BN_REPLY && r.status == 200)
			snprintf(why, sizeof(why), "%s", err);
		else
			describe(&r, why, sizeof(why));
		log_warn("binance: server time unavailable: %s", why);
		if (r.outcome == BN_REPLY)
			snprintf(b->time_why, sizeof(b->time_why), "exchange %s answers "
			    "but not with its time: %s", b->base_url, why);
		else
			snprintf(b->time_why, sizeof(b->time_why), "exchange %s "
			    "unreachable: %s (under systemd the unit's "
			    "IPAddressAllow=localhost drops it: install the drop-in "
			    "binance-network.conf, see quantum-intent-executor(8))",
			    b->base_url, why);
		return -1;
	}
	b->offset_ms = server - (t0 + t1) / 2;
	b->synced_at = mono_ms();
	log_info("binance: server time offset %lld ms", (long long)b->offset_ms);
	return 0;
}

void bn_signed(struct binance *b, int post, const char *path,
    struct bn_query *q, int fresh, struct bn_reply *r)
{
	if (!b->synced_at || mono_ms() - b->synced_at > BN_TIME_TTL_MS)
		bn_sync_time(b);
	bn_query_add_int(q, "recvWindow", BN_RECV_WINDOW_MS);
	bn_query_add_int(q, "timestamp", (long long)wall_ms() + b->offset_ms);
	if (bn_query_sign(q, b->cred.secret, b->cred.secret_len) < 0) {
		memset(r, 0, sizeof(*r));
		r->outcome = BN_NOT_SENT;
		snprintf(r->why, sizeof(r->why), "request could not be built");
	} else {
		bn_http_request(b->http, post, path, q->s, fresh, r);
		account(b, r);
	}
	explicit_bzero(q->s, sizeof(q->s));     /* held the signature */
}

void bn_refresh_filters(struct binance *b)
{
	struct bn_reply r;
	struct filter_table t;
	struct bn_limits lim;
	char err[160], gate[96];

	if (bn_gate(b, 1, gate, sizeof(gate)) < 0) {
		snprintf(b->filters_why, sizeof(b->filters_why), "%s", gate);
		return;
	}
	request(b, "/fapi/v1/exchangeInfo", "", &r);
	int n = -1;
	if (r.outcome == BN_REPLY && r.status == 200)
		n = bn_parse_exchange_info(r.body, r.len, &b->symbols, &t, &lim, err,
		    sizeof(err));
	else
		describe(&r, err, sizeof(err));
	if (n < 0) {
		b->filters_retry_at = mono_ms() + BN_FILTERS_RETRY_MS;
		snprintf(b->filters_why, sizeof(b->filters_why), "exchangeInfo: %s", err);
		log_warn("binance: %s (%s filters)", b->filters_why,
		    b->filters_at ? "keeping the previous" : "no");
		return;
	}
	b->filters = t;
	b->limits = lim;
	b->filters_at = mono_ms();
	snprintf(b->filters_why, sizeof(b->filters_why), "left out: %s",
	    err[0] ? err : "none");
	log_info("binance: filters of %d of %d allowed symbols loaded%s%s", n,
	    b->symbols.n, err[0] ? "; left out: " : "", err);
}

const struct symbol_filter *bn_filter(void *st, const char *symbol,
    char *err, size_t errlen)
{
	struct binance *b = st;
	int64_t now = mono_ms();

	if ((!b->filters_at || now - b->filters_at > BN_FILTERS_TTL_MS) &&
	    now >= b->filters_retry_at)
		bn_refresh_filters(b);
	if (bn_gate(b, 0, err, errlen) < 0)
		return NULL;
	const struct symbol_filter *f = filters_find(&b->filters, symbol);
	if (!f) {
		snprintf(err, errlen, "filters_unavailable:%s", symbol);
		if (!b->filters_at)
			log_warn("binance: no filters for %s: %s", symbol, b->filters_why);
		else
			log_warn("binance: no filters for %s: exchangeInfo does not list "
			    "it as TRADING with usable filters (%s)", symbol,
			    b->filters_why);
	}
	return f;
}

int bn_mark(void *st, const char *symbol, int64_t *price)
{
	struct binance *b = st;
	struct bn_query q;
	struct bn_reply r;
	char err[200];

	/* not held back by the slow-down: an order after it is, with its error */
	if (bn_gate(b, 0, err, sizeof(err)) < 0) {
		log_warn("binance: mark price of %s not asked: %s", symbol, err);
		return -1;
	}
	bn_query_init(&q);
	if (bn_query_add(&q, "symbol", symbol) < 0)
		return -1;
	request(b, "/fapi/v1/premiumIndex", q.s, &r);
	if (r.outcome == BN_REPLY && r.status == 200 &&
	    bn_parse_premium_index(r.body, r.len, symbol, price, err,
		sizeof(err)) == 0)
		return 0;
	if (r.outcome != BN_REPLY || r.status != 200)
		describe(&r, err, sizeof(err));
	log_warn("binance: mark price of %s unavailable: %s", symbol, err);
	return -1;
}
