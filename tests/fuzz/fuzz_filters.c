/*
 * fuzz_filters.c - filters_parse() on INTENT_EXECUTOR_PAPER_FILTERS text
 * (SYMBOL:STEP:MIN_QTY:MIN_NOTIONAL:MARK_PRICE[,...]).
 */
#include "fuzz.h"

#include <ctype.h>

#include "filters.h"

static struct filter_table t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[160];
	char *spec = fuzz_cstr(data, size);

	memset(err, 'x', sizeof(err));
	int rc = filters_parse(&t, spec, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)));
		free(spec);
		return 0;
	}
	/* the three built-in symbols, then those given */
	FUZZ_CHECK(t.n >= 3 && t.n <= FILTERS_MAX);
	for (int i = 0; i < t.n; i++) {
		const struct symbol_filter *f = &t.f[i];
		size_t n = strnlen(f->symbol, sizeof(f->symbol));
		FUZZ_CHECK(n > 0 && n < sizeof(f->symbol));
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(isdigit((unsigned char)f->symbol[k]) ||
			    isupper((unsigned char)f->symbol[k]));
		FUZZ_CHECK(f->step > 0 && f->mark_price > 0);
		FUZZ_CHECK(f->min_qty >= 0 && f->min_notional >= 0);
		FUZZ_CHECK(f->max_qty == 0);
		FUZZ_CHECK(filters_find(&t, f->symbol) == f);    /* no duplicates */
	}
	FUZZ_CHECK(filters_find(&t, "BTCUSDT") && filters_find(&t, "ETHUSDT") &&
	    filters_find(&t, "TRXUSDT"));
	free(spec);
	return 0;
}
