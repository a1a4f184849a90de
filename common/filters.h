/*
 * filters.h - exchange-style trading filters per symbol (step size, minimum
 * quantity, minimum notional) and, for the paper backend, a mark price.
 *
 * The paper backend's table is INTENT_EXECUTOR_PAPER_FILTERS:
 *   SYMBOL:STEP:MIN_QTY:MIN_NOTIONAL:MARK_PRICE[,SYMBOL:...]
 * Entries given replace the built-in ones of the same symbol.
 */
#ifndef QIE_FILTERS_H
#define QIE_FILTERS_H

#include <stddef.h>
#include <stdint.h>

#define FILTERS_MAX 64

struct symbol_filter {
	char symbol[24];
	int64_t step;           /* all values in 1e-8 units */
	int64_t min_qty;
	int64_t max_qty;        /* 0 = no maximum */
	int64_t min_notional;
	int64_t mark_price;     /* 0 = unknown */
};

struct filter_table {
	int n;
	struct symbol_filter f[FILTERS_MAX];
};

/* The built-in table (BTCUSDT, ETHUSDT, TRXUSDT) merged with spec. */
int filters_parse(struct filter_table *t, const char *spec, char *err,
    size_t errlen);
const struct symbol_filter *filters_find(const struct filter_table *t,
    const char *symbol);

#endif
