/*
 * binance_prepare.c - what a request needs before sizing (backend.h's
 * prepare): its symbol's filters (refreshed first when due, one
 * exchangeInfo for all who wait) and, when asked, its mark price
 * (GET /fapi/v1/premiumIndex; a price read less than BN_MARK_MAX_AGE_MS
 * ago is used again, so orders in a row of one symbol cost no extra round
 * trip), each step answered in the event loop.
 *
 * May: read filters, ask for a price.  May not: send an order.
 */
#include <stdio.h>
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "log.h"

enum { PR_FILTERS = 0, PR_MARK };

/*
 * How long a mark price is used for the caps and the minimum notional:
 * a second, in which a market moves little next to those caps' margins.
 */
#define BN_MARK_MAX_AGE_MS 1000

/* The symbol's slot: its own, or a free (or the oldest) one. */
static struct bn_mark *mark_slot(struct binance *b, const char *symbol)
{
	struct bn_mark *old = &b->marks[0];
	for (int i = 0; i < LIST_MAX; i++) {
		struct bn_mark *m = &b->marks[i];
		if (strcmp(m->symbol, symbol) == 0)
			return m;
		if (m->at < old->at)
			old = m;
	}
	return old;
}

static void step(void *arg);

/* Waits ms in the loop, then the same step again. */
static void pause_then_step(struct bn_op *op, int64_t ms)
{
	loop_at(&op->t, mono_ms() + ms, step, op);
}

static void mark_done(struct bn_xfer *x, void *arg)
{
	struct bn_op *op = arg;
	struct job *j = op->j;
	char err[200];
	bn_account(op->b, &x->r);
	if (x->r.outcome == BN_REPLY && x->r.status == 200 &&
	    bn_parse_premium_index(x->r.body, x->r.len, j->q.symbol, &j->mark, err,
		sizeof(err)) == 0) {
		struct bn_mark *m = mark_slot(op->b, j->q.symbol);
		snprintf(m->symbol, sizeof(m->symbol), "%s", j->q.symbol);
		m->price = j->mark;
		m->at = mono_ms();
		return bn_op_end(op);
	}
	if (x->r.outcome != BN_REPLY || x->r.status != 200)
		bn_describe(&x->r, err, sizeof(err));
	log_warn("binance: mark price of %s unavailable: %s", j->q.symbol, err);
	j->mark = 0;
	bn_op_end(op);
}

static void ask_mark(struct bn_op *op)
{
	struct job *j = op->j;
	struct bn_query q;
	char err[200];
	const struct bn_mark *m = mark_slot(op->b, j->q.symbol);
	if (strcmp(m->symbol, j->q.symbol) == 0 && m->at &&
	    mono_ms() - m->at < BN_MARK_MAX_AGE_MS) {
		j->mark = m->price;
		return bn_op_end(op);
	}
	/* not held back by the slow-down: an order after it is, with its error */
	int64_t wait = bn_gate(op->b, 0, err, sizeof(err));
	if (wait > 0)
		return pause_then_step(op, wait);
	bn_query_init(&q);
	if (wait < 0 || bn_query_add(&q, "symbol", j->q.symbol) < 0) {
		if (wait < 0)
			log_warn("binance: mark price of %s not asked: %s", j->q.symbol,
			    err);
		j->mark = 0;
		return bn_op_end(op);
	}
	bn_http_start(op->b->http, &op->x, 0, "/fapi/v1/premiumIndex", q.s, 0,
	    mark_done, op);
}

static void find_filter(struct bn_op *op)
{
	struct binance *b = op->b;
	struct job *j = op->j;
	int64_t wait = bn_gate(b, 0, j->res.error, sizeof(j->res.error));
	if (wait > 0)
		return pause_then_step(op, wait);
	if (wait < 0)
		return bn_op_end(op);
	const struct symbol_filter *f = filters_find(&b->filters, j->q.symbol);
	if (!f) {
		snprintf(j->res.error, sizeof(j->res.error), "filters_unavailable:%s",
		    j->q.symbol);
		if (!b->filters_at)
			log_warn("binance: no filters for %s: %s", j->q.symbol,
			    b->filters_why);
		else
			log_warn("binance: no filters for %s: exchangeInfo does not list "
			    "it as TRADING with usable filters (%s)", j->q.symbol,
			    b->filters_why);
		return bn_op_end(op);
	}
	j->f = *f;
	if (!j->need_mark)
		return bn_op_end(op);
	op->step = PR_MARK;
	ask_mark(op);
}

static void step(void *arg)
{
	struct bn_op *op = arg;
	if (op->step == PR_MARK)
		return ask_mark(op);
	if (bn_filters(op->b, step, op))
		find_filter(op);
}

void bn_prepare(void *st, struct job *j)
{
	bn_op_start(st, j, PR_FILTERS, step);
}
