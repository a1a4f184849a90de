/*
 * fuzz_bn_exchange_info.c - bn_parse_exchange_info() on arbitrary reply
 * bodies, wanting the default allowlist (BTCUSDT, ETHUSDT, TRXUSDT).
 */
#include "fuzz.h"

#include "binance_parse.h"

static const char *const wanted[] = { "BTCUSDT", "ETHUSDT", "TRXUSDT" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct filter_table t;
	static struct strlist want;
	struct bn_limits lim;
	char err[256];
	char *body = malloc(size);      /* exact size: no NUL to lean on */
	if (!body)
		abort();
	memcpy(body, data, size);

	if (want.n == 0)
		for (size_t i = 0; i < 3; i++)
			snprintf(want.item[want.n++], LIST_ITEM_MAX, "%s", wanted[i]);
	memset(err, 'x', sizeof(err));
	int rc = bn_parse_exchange_info(body, size, &want, &t, &lim, err,
	    sizeof(err));
	FUZZ_CHECK(rc >= -1 && rc <= want.n);
	FUZZ_CHECK(fuzz_printable(err, sizeof(err)));
	if (rc < 0) {
		FUZZ_CHECK(t.n == 0 && err[0] != '\0');
	} else {
		FUZZ_CHECK(t.n == rc);
		FUZZ_CHECK(lim.weight_1m >= 0 && lim.weight_1m <= 1000000);
		FUZZ_CHECK(lim.orders_10s >= 0 && lim.orders_10s <= 1000000);
		FUZZ_CHECK(lim.orders_1m >= 0 && lim.orders_1m <= 1000000);
	}
	for (int i = 0; i < t.n; i++) {
		const struct symbol_filter *f = &t.f[i];
		FUZZ_CHECK(fuzz_terminated(f->symbol, sizeof(f->symbol)));
		FUZZ_CHECK(strlist_has(&want, f->symbol, strlen(f->symbol)));
		FUZZ_CHECK(filters_find(&t, f->symbol) == f);    /* no duplicates */
		FUZZ_CHECK(f->step > 0);
		FUZZ_CHECK(f->min_qty >= 0 && f->max_qty >= 0);
		FUZZ_CHECK(f->max_qty == 0 || f->max_qty >= f->min_qty);
		FUZZ_CHECK(f->min_notional >= 0 && f->mark_price == 0);
	}
	free(body);
	return 0;
}
