/*
 * binance_backend.c - the binance backend assembled (backend.h): its state,
 * its entry points (filters and mark prices in binance.c, orders in
 * binance_order.c) and whether it can trade yet.  The top of the binance
 * files: it calls both, neither calls it.
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

/*
 * Ready once the exchange has answered its time once; until then every
 * call asks again and says why not, as an ERROR line at most once a
 * minute (and whenever the reason changes).
 */
static int bn_ready(void *st, char *text, size_t sz)
{
	struct binance *b = st;
	char before[sizeof(b->time_why)];

	if (b->synced_at) {
		snprintf(text, sz, "backend binance, exchange %s", b->base_url);
		return 1;
	}
	memcpy(before, b->time_why, sizeof(before));
	if (bn_sync_time(b) == 0) {
		if (!b->filters_at)
			bn_refresh_filters(b);
		log_info("binance: exchange %s reached", b->base_url);
		return bn_ready(st, text, sz);
	}
	int64_t now = mono_ms();
	if (strcmp(before, b->time_why) != 0 || !b->time_logged_at ||
	    now - b->time_logged_at >= 60000) {
		log_error("binance: %s", b->time_why);
		b->time_logged_at = now;
	}
	snprintf(text, sz, "%s", b->time_why);
	return 0;
}

static void answer(void *arg)
{
	struct job *j = arg;
	j->done(j);
}

static void bn_prepare(void *st, struct job *j)
{
	const struct symbol_filter *f = bn_filter(st, j->q.symbol, j->res.error,
	    sizeof(j->res.error));
	if (f) {
		j->f = *f;
		if (j->need_mark && bn_mark(st, j->q.symbol, &j->mark) < 0)
			j->mark = 0;
	}
	loop_at(&j->t, 0, answer, j);
}

static void bn_place_job(void *st, struct job *j)
{
	if (!job_stale(j, wall_ms()))
		bn_place(st, &j->o, &j->res);
	loop_at(&j->t, 0, answer, j);
}

int binance_backend_init(struct backend *be, const struct settings *s,
    const struct credentials *c, char *err, size_t errlen)
{
	struct binance *b = &bn_state;

	memset(b, 0, sizeof(*b));
	b->cred = *c;
	b->symbols = s->symbols;
	b->http = bn_http_new(s->binance_base_url, c->key, err, errlen);
	if (!b->http) {
		credentials_wipe(&b->cred);
		return -1;
	}
	be->name = "binance";
	be->state = b;
	be->prepare = bn_prepare;
	be->place = bn_place_job;
	be->ready = bn_ready;
	b->base_url = s->binance_base_url;
	log_info("binance: exchange %s", s->binance_base_url);
	if (bn_sync_time(b) == 0)
		bn_refresh_filters(b);
	return 0;
}
