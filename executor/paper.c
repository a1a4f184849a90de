/*
 * paper.c - the paper backend: simulated market fills at the table's mark
 * price, no network.  It keeps a book of the client order ids it filled,
 * so the same id placed twice returns the first fill instead of a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

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

static const struct symbol_filter *paper_filter(void *st, const char *symbol,
    char *err, size_t errlen)
{
	struct paper *p = st;
	const struct symbol_filter *f = filters_find(&p->table, symbol);
	if (!f)
		snprintf(err, errlen, "filters_unavailable:%s", symbol);
	return f;
}

static int paper_mark(void *st, const char *symbol, int64_t *price)
{
	struct paper *p = st;
	const struct symbol_filter *f = filters_find(&p->table, symbol);
	if (!f || f->mark_price <= 0)
		return -1;
	*price = f->mark_price;
	return 0;
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

static int paper_place(void *st, const struct order *o, struct exec_res *res)
{
	struct paper *p = st;
	const struct paper_fill *old = book_find(p, o->coid);
	if (old) {
		fill_res(old, res);
		return 0;
	}
	struct paper_fill *f = &p->book[p->next++ % BOOK_SIZE];
	memset(f, 0, sizeof(*f));
	snprintf(f->coid, sizeof(f->coid), "%s", o->coid);
	snprintf(f->order_id, sizeof(f->order_id), "paper-%llu", ++p->orders);
	f->qty = o->qty;
	paper_mark(p, o->symbol, &f->price);
	fill_res(f, res);
	return 0;
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
	b->filter = paper_filter;
	b->mark_price = paper_mark;
	b->place = paper_place;
	return 0;
}
