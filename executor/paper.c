/*
 * paper.c - the paper backend: simulated market fills at the table's mark
 * price, no network.  It keeps a book of the client order ids it filled,
 * so the same id placed twice returns the first fill instead of a second.
 * Its order ids are paper-<n>, n counting up from the start's wall clock
 * in microseconds, so an executor started again never reuses one (the
 * position ledger counts a fill once per order id).
 * It keeps no positions, so it finds no position drift (drift.h): with it
 * a symbol is reduce-only for drift only while the drift hash says so (a
 * flag the main worker restores from an earlier binance run).
 * It answers like the exchange backend does, through the event loop: each
 * answer is a timer due at once (loop.h), never a call back from inside
 * prepare or place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "clock.h"
#include "loop.h"

#define BOOK_SIZE 4096

struct paper_fill {
	char coid[CLIENT_ORDER_ID_MAX + 1];
	char order_id[32];
	int64_t qty;
	int64_t price;
};

struct paper {
	struct filter_table table;
	struct paper_fill book[BOOK_SIZE];   /* ring, newest at next-1 */
	unsigned next;
	unsigned long long orders;
};

static struct paper paper_state;

static int paper_mark(const struct paper *p, const char *symbol,
    int64_t *price)
{
	const struct symbol_filter *f = filters_find(&p->table, symbol);
	if (!f || f->mark_price <= 0)
		return -1;
	*price = f->mark_price;
	return 0;
}

static void answer(void *arg)
{
	struct job *j = arg;
	j->done(j);
}

/* The answer, on the loop's next turn. */
static void answer_later(struct job *j)
{
	loop_at(&j->t, 0, answer, j);
}

static void paper_prepare(void *st, struct job *j)
{
	struct paper *p = st;
	const struct symbol_filter *f = filters_find(&p->table, j->q.symbol);
	if (!f)
		snprintf(j->res.error, sizeof(j->res.error), "filters_unavailable:%s",
		    j->q.symbol);
	else
		j->f = *f;
	if (f && j->need_mark && paper_mark(p, j->q.symbol, &j->mark) < 0)
		j->mark = 0;
	answer_later(j);
}

static const struct paper_fill *book_find(const struct paper *p,
    const char *coid)
{
	for (unsigned i = 0; i < BOOK_SIZE; i++)
		if (strcmp(p->book[i].coid, coid) == 0)
			return &p->book[i];
	return NULL;
}

static void fill_res(const struct paper_fill *f, struct exec_res *res)
{
	res->executed = 1;
	res->qty = f->qty;
	res->filled_qty = f->qty;
	res->avg_price = f->price;
	snprintf(res->order_id, sizeof(res->order_id), "%s", f->order_id);
	snprintf(res->status, sizeof(res->status), "FILLED");
}

static void paper_place(void *st, struct job *j)
{
	struct paper *p = st;
	const struct order *o = &j->o;
	const struct paper_fill *old = book_find(p, o->coid);
	if (old) {
		fill_res(old, &j->res);
		return answer_later(j);
	}
	if (job_stale(j, wall_ms()))
		return answer_later(j);
	if (o->side == SIDE_CLOSE) {    /* paper keeps no positions */
		snprintf(j->res.error, sizeof(j->res.error), "close_no_position");
		return answer_later(j);
	}
	struct paper_fill *f = &p->book[p->next++ % BOOK_SIZE];
	memset(f, 0, sizeof(*f));
	snprintf(f->coid, sizeof(f->coid), "%s", o->coid);
	snprintf(f->order_id, sizeof(f->order_id), "paper-%llu", ++p->orders);
	f->qty = o->qty;
	paper_mark(p, o->symbol, &f->price);
	fill_res(f, &j->res);
	answer_later(j);
}

int paper_backend_init(struct backend *b, const char *filter_spec,
    char *err, size_t errlen)
{
	char why[400];
	if (filters_parse(&paper_state.table, filter_spec, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "INTENT_EXECUTOR_PAPER_FILTERS: %s", why);
		return -1;
	}
	b->name = "paper";
	b->state = &paper_state;
	paper_state.orders = (unsigned long long)wall_ms() * 1000;
	b->prepare = paper_prepare;
	b->place = paper_place;
	return 0;
}
