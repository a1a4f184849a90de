/*
 * binance_positions.c - the account as the binance backend knows it: the
 * position mode (GET /fapi/v1/positionSide/dual), the allowed symbols'
 * positions and leverage (GET /fapi/v2/positionRisk).  Each is asked by
 * one request at a time and whoever needs it meanwhile waits for that
 * answer (struct bn_waiters, like the time and the filters in binance.c).
 * The mode is read at start and again when older than the filters' 10
 * minutes (or at once after an order refused for its mode); the positions
 * at start, after fills (at most one read per BN_POSITIONS_GAP_MS for
 * them: a read weighs 5, and a burst of fills is folded into one), when
 * an order needs them, and every INTENT_EXECUTOR_DRIFT_CHECK_SEC (one
 * timer); each read is compared with what our fills made the positions
 * (binance_drift.c).
 * binance_presend.c uses them before an order; binance_account.c says what
 * the order sends.
 *
 * May: read the account.  May not: send an order or change the account.
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "log.h"

int bn_leverage_get(const struct binance *b, const char *symbol)
{
	int i = bn_symbol_index(b, symbol);
	return i < 0 ? 0 : b->leverage[i];
}

void bn_leverage_set(struct binance *b, const char *symbol, int leverage)
{
	int i = bn_symbol_index(b, symbol);
	if (i >= 0)
		b->leverage[i] = leverage;
}

/* A signed GET of the account; none while banned or held back long. */
static void ask(struct binance *b, struct bn_xfer *x, const char *path,
    struct bn_query *q, bn_done_fn done)
{
	char err[96];
	if (bn_gate(b, 0, err, sizeof(err)) < 0)
		return bn_http_fail(x, err, done, b);
	bn_signed(b, x, 0, path, q, 0, done, b);
}

/* ---- the position mode */

static void mode_done(struct bn_xfer *x, void *arg)
{
	struct binance *b = arg;
	const struct bn_reply *r = &x->r;
	enum bn_pos_mode m;
	char err[120];

	bn_account(b, r);
	if (r->outcome == BN_REPLY && r->status == 200 &&
	    bn_parse_position_mode(r->body, r->len, &m, err, sizeof(err)) == 0) {
		if (!b->mode_at || m != b->mode)
			log_info("binance: the account is in %s mode", m == BN_HEDGE ?
			    "hedge (dual-side)" : "one-way");
		b->mode = m;
		b->mode_at = mono_ms();
		b->mode_why[0] = '\0';
	} else {
		if (r->outcome != BN_REPLY || r->status != 200)
			bn_describe(r, err, sizeof(err));
		snprintf(b->mode_why, sizeof(b->mode_why), "position mode: %s", err);
		log_warn("binance: %s (%s)", b->mode_why, b->mode_at ?
		    "keeping the previous" : "unknown");
	}
	bn_wait_run(&b->mode_w);
}

int bn_mode(struct binance *b, int force, void (*fn)(void *), void *arg)
{
	struct bn_query q;
	if (!force && b->mode_at && mono_ms() - b->mode_at <= BN_FILTERS_TTL_MS)
		return 1;
	if (fn && bn_wait_add(&b->mode_w, fn, arg) < 0)
		return 1;       /* no room to wait: go on with what is known */
	if (!b->mode_x.busy) {
		bn_query_init(&q);
		ask(b, &b->mode_x, "/fapi/v1/positionSide/dual", &q, mode_done);
	}
	return 0;
}

/* ---- the positions */

static void pos_done(struct bn_xfer *x, void *arg);

static void pos_start(struct binance *b)
{
	struct bn_query q;
	loop_cancel(&b->pos_t);
	b->pos_asked_at = mono_ms();
	bn_drift_read_sent(b);
	bn_position_risk_query(&q, NULL);
	ask(b, &b->pos_x, "/fapi/v2/positionRisk", &q, pos_done);
}

static void pos_timer(void *arg)
{
	struct binance *b = arg;
	if (b->pos_x.busy)
		b->pos_again = 1;
	else
		pos_start(b);
}

void bn_positions_changed(struct binance *b)
{
	int64_t at = b->pos_asked_at + BN_POSITIONS_GAP_MS;
	if (b->pos_x.busy)
		b->pos_again = 1;
	else if (at <= mono_ms())
		pos_start(b);
	else
		loop_at(&b->pos_t, at, pos_timer, b);
}

static void pos_keep(struct binance *b, const struct bn_positions *t)
{
	b->pos = *t;
	b->pos_at = mono_ms();
	b->pos_why[0] = '\0';
	for (unsigned i = 0; i < t->n; i++)
		bn_leverage_set(b, t->p[i].symbol, t->p[i].leverage);
}

static void pos_done(struct bn_xfer *x, void *arg)
{
	struct binance *b = arg;
	const struct bn_reply *r = &x->r;
	static struct bn_positions t;
	char err[160];

	bn_account(b, r);
	if (r->outcome == BN_REPLY && r->status == 200 &&
	    bn_parse_position_risk(r->body, r->len, &b->symbols, &t, err,
		sizeof(err)) >= 0) {
		pos_keep(b, &t);
		bn_drift_read(b, &t);
	} else {
		if (r->outcome != BN_REPLY || r->status != 200)
			bn_describe(r, err, sizeof(err));
		snprintf(b->pos_why, sizeof(b->pos_why), "positionRisk: %.140s", err);
		log_warn("binance: %s (%s)", b->pos_why, b->pos_at ?
		    "keeping the previous positions" : "no positions known");
	}
	if (b->pos_again) {
		b->pos_again = 0;
		bn_positions_changed(b);
	} else {
		loop_at(&b->pos_t, mono_ms() + b->pos_every_ms, pos_timer, b);
	}
	bn_wait_run(&b->pos_w);
}

int bn_positions(struct binance *b, int force, void (*fn)(void *), void *arg)
{
	if (!force && b->pos_at)
		return 1;
	if (fn && bn_wait_add(&b->pos_w, fn, arg) < 0)
		return 1;
	if (!b->pos_x.busy)
		pos_start(b);
	return 0;
}

/* p after a fill of d (signed) at price: the amount moves; the entry
 * price is the weighted average when the position grows on its side, kept
 * when it shrinks, the fill's price on a new position or after a flip, 0
 * when flat (as the exchange computes it). */
static void apply_fill(struct bn_position *p, int64_t d, int64_t price)
{
	int64_t a = p->amount, n = a + d;
	if (n == 0)
		p->entry_price = 0;
	else if (a == 0 || (a < 0) != (n < 0) || p->entry_price <= 0)
		p->entry_price = price;
	else if ((n < 0 ? -n : n) > (a < 0 ? -a : a)) {
		__int128 abs_a = a < 0 ? -a : a, abs_d = d < 0 ? -d : d;
		__int128 v = abs_a * p->entry_price + abs_d * price;
		p->entry_price = (int64_t)((v + (abs_a + abs_d) / 2) /
		    (abs_a + abs_d));
	}
	p->amount = n;
}

const struct bn_position *bn_positions_fill(struct binance *b,
    const char *symbol, enum bn_pos_side ps, uint8_t side, int64_t qty,
    int64_t price)
{
	struct bn_positions *t = &b->pos;
	struct bn_position *p = (struct bn_position *)bn_position_find(t, symbol,
	    ps);
	if (!p && t->n < BN_POSITIONS_MAX) {
		p = &t->p[t->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->symbol, sizeof(p->symbol), "%s", symbol);
		p->side = ps;
		p->leverage = bn_leverage_get(b, symbol);
	}
	if (p)
		apply_fill(p, side == SIDE_BUY ? qty : -qty, price);
	bn_drift_fill(b, symbol, ps, side == SIDE_BUY ? qty : -qty);
	bn_positions_changed(b);
	return b->pos_at ? p : NULL;
}
