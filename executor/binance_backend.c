/*
 * binance_backend.c - the binance backend assembled (backend.h): its state,
 * its entry points (filters and mark prices in binance_prepare.c, orders
 * in binance_order.c, both on binance.c; the account, read at start, in
 * binance_positions.c) and whether it can trade yet.
 * The top of the binance files: it calls them, none calls it.
 *
 * May: hold the one struct binance of the process.  May not: log the
 * secret (it never reads it: credentials.c did).
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "log.h"

static struct binance bn_state;

static void reached(void *arg)
{
	struct binance *b = arg;
	if (!b->synced_at)
		return;
	log_info("binance: exchange %s reached", b->base_url);
	bn_filters(b, NULL, NULL);
	bn_mode(b, 1, NULL, NULL);
	bn_positions(b, 1, NULL, NULL);
}

/*
 * Ready once the exchange has answered its time once; until then a call
 * asks again (in the background, at most every BN_READY_RETRY_MS) and says
 * why not, as an ERROR line at most once a minute (and whenever the
 * reason changes).
 */
static int bn_ready(void *st, char *text, size_t sz)
{
	struct binance *b = st;

	if (b->synced_at) {
		bn_http_warm(b->http);  /* from now on (after the lock-down) */
		snprintf(text, sz, "backend binance, exchange %s", b->base_url);
		return 1;
	}
	int64_t now = mono_ms();
	if (!b->time_x.busy && now - b->time_tried_at >= BN_READY_RETRY_MS)
		bn_time(b, 1, reached, b);
	if (!b->time_why[0]) {
		snprintf(text, sz, "exchange %s: asking its time", b->base_url);
		return 0;
	}
	if (strcmp(b->time_logged, b->time_why) != 0 || !b->time_logged_at ||
	    now - b->time_logged_at >= 60000) {
		log_error("binance: %s", b->time_why);
		b->time_logged_at = now;
		snprintf(b->time_logged, sizeof(b->time_logged), "%s", b->time_why);
	}
	snprintf(text, sz, "%s", b->time_why);
	return 0;
}

static void bn_stats(void *st, char *text, size_t sz)
{
	struct binance *b = st;
	struct bn_http_stats h;
	bn_http_stats(b->http, &h);
	snprintf(text, sz, "binance: %llu requests, %llu orders; connections "
	    "opened: %llu in all, %llu by orders, %llu by warm-ups", h.requests,
	    h.orders, h.conns, h.order_conns, h.warmups);
}

static int time_done(void *arg)
{
	const struct binance *b = arg;
	return !b->time_x.busy;
}

static int filters_done(void *arg)
{
	const struct binance *b = arg;
	return !b->filters_x.busy;
}

static int account_done(void *arg)
{
	const struct binance *b = arg;
	return !b->mode_x.busy && !b->pos_x.busy;
}

int binance_backend_init(struct backend *be, const struct settings *s,
    const struct credentials *c, char *err, size_t errlen)
{
	struct binance *b = &bn_state;

	memset(b, 0, sizeof(*b));
	b->cred = *c;
	b->symbols = s->symbols;
	b->pos_every_ms = (int64_t)s->drift_check_sec * 1000;
	b->http = bn_http_new(s->binance_base_url, c->key, err, errlen);
	if (!b->http) {
		credentials_wipe(&b->cred);
		return -1;
	}
	be->name = "binance";
	be->state = b;
	be->prepare = bn_prepare;
	be->place = bn_place;
	be->ready = bn_ready;
	be->stats = bn_stats;
	b->base_url = s->binance_base_url;
	log_info("binance: exchange %s", s->binance_base_url);
	/* the first answers before the sandbox: name resolution and TLS load
	 * what they need now */
	bn_time(b, 1, NULL, NULL);
	loop_run_until(time_done, b, BN_TIMEOUT_MS + 1000);
	if (b->synced_at) {
		bn_filters(b, NULL, NULL);
		loop_run_until(filters_done, b, BN_INFO_TIMEOUT_MS + 1000);
		bn_mode(b, 1, NULL, NULL);
		bn_positions(b, 1, NULL, NULL);
		loop_run_until(account_done, b, BN_TIMEOUT_MS + 1000);
	}
	return 0;
}
