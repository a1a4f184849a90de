/*
 * sizing.h - turn a requested quantity into one the exchange accepts, in
 * exact integer multiples of the symbol's step.  Pure: no I/O.
 */
#ifndef QIE_SIZING_H
#define QIE_SIZING_H

#include <stddef.h>
#include <stdint.h>

#include "filters.h"

struct sizing_in {
	int64_t qty;            /* as asked, 1e-8 units */
	int64_t safe_qty;       /* permit's cap; 0 = none */
	int reduce_only;
	int allow_upsize;
	int64_t min_notional;   /* override; 0 = the filter's */
	int64_t mark_price;     /* 0 = unknown */
};

/*
 * The permit's safe quantity applies first (min), then the quantity is
 * rounded down to the step and checked against the minimum quantity.  An
 * opening order needs the mark price: below the minimum notional it is
 * blocked, or with allow_upsize raised to the smallest step multiple that
 * reaches it (never above the permit's safe quantity).
 * Returns 0 with *out set, or -1 with a result error "word:detail" in err.
 */
int size_order(const struct symbol_filter *f, const struct sizing_in *in,
    int64_t *out, char *err, size_t errlen);

#endif
