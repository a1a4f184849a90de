/*
 * drift.c - the executor's drift flags (see drift.h).
 */
#include "drift.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "decimal.h"
#include "log.h"

static struct {
	drift_send_fn send;
	int synced;
	int n;
	struct drift_report flag[LIST_MAX];
} D = { .synced = 1 };

static const char *const side_names[] = { "BOTH", "LONG", "SHORT" };

void drift_init(drift_send_fn send)
{
	D.send = send;
	D.synced = 0;
}

static struct drift_report *find(const char *symbol)
{
	for (int i = 0; i < D.n; i++)
		if (strcmp(D.flag[i].symbol, symbol) == 0)
			return &D.flag[i];
	return NULL;
}

/* symbol's flag, a new one if it had none; NULL when the table is full */
static struct drift_report *take(const char *symbol)
{
	struct drift_report *d = find(symbol);
	if (d || D.n >= LIST_MAX || !msg_symbol_ok(symbol))
		return d;
	d = &D.flag[D.n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->symbol, sizeof(d->symbol), "%s", symbol);
	return d;
}

static void send_one(const struct drift_report *d)
{
	if (D.send && D.send(d) < 0 && !d->recorded)
		log_info("drift: %s: reported once the main lane's link is attached",
		    d->symbol);
}

void drift_found(const char *symbol, uint8_t pos_side, int64_t expected,
    int64_t reported, int64_t step)
{
	char e[32], r[32], s[32];
	dec_format(e, sizeof(e), expected);
	dec_format(r, sizeof(r), reported);
	dec_format(s, sizeof(s), step);
	struct drift_report *d = take(symbol);
	log_error("⚠️ POSITION DRIFT: %s %s expected=%s reported=%s step=%s: "
	    "%s reduce-only on every lane until qiectl drift clear %s", symbol,
	    side_names[pos_side % 3], e, r, s, symbol, symbol);
	if (!d)
		return;
	*d = (struct drift_report){ .pos_side = pos_side, .expected = expected,
		.reported = reported, .step = step, .at_ms = wall_ms() };
	snprintf(d->symbol, sizeof(d->symbol), "%s", symbol);
	send_one(d);
}

void drift_hold(const char *symbol)
{
	struct drift_report *d = find(symbol);
	if (d) {
		d->recorded = 1;
		return;
	}
	d = take(symbol);
	if (!d)
		return;
	d->recorded = 1;
	log_warn("drift: %s reduce-only (restored from the drift hash) until "
	    "qiectl drift clear %s", symbol, symbol);
}

void drift_clear(const char *symbol)
{
	struct drift_report *d = find(symbol);
	if (!d)
		return;
	*d = D.flag[--D.n];
	log_info("drift: %s cleared (gone from the drift hash): it may open "
	    "positions again", symbol);
}

void drift_synced(void)
{
	if (!D.synced)
		log_info("drift: %d symbol(s) reduce-only for drift", D.n);
	D.synced = 1;
}

void drift_link_up(void)
{
	for (int i = 0; i < D.n; i++)
		send_one(&D.flag[i]);
}

int drift_refuses(const char *symbol, char *err, size_t errlen)
{
	if (!find(symbol))
		return 0;
	snprintf(err, errlen, "position_drift:%s", symbol);
	return 1;
}

int drift_known(void)
{
	return D.synced;
}

int drift_count(void)
{
	return D.n;
}
