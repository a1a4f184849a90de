/*
 * fuzz_bn_reply.c - the small Binance reply parsers on the same arbitrary
 * body: bn_parse_order(), bn_parse_premium_index(), bn_parse_time(),
 * bn_parse_error(), and (on a NUL-terminated copy) bn_parse_header_uint().
 */
#include "fuzz.h"

#include <ctype.h>

#include "binance_parse.h"

static int printable_word(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz);
	if (n == 0 || n == sz)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

static void order(const char *body, size_t size)
{
	struct bn_order o;
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_order(body, size, &o, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0] != '\0');
		return;
	}
	FUZZ_CHECK(printable_word(o.symbol, sizeof(o.symbol)));
	FUZZ_CHECK(printable_word(o.client_order_id, sizeof(o.client_order_id)));
	FUZZ_CHECK(printable_word(o.status, sizeof(o.status)));
	FUZZ_CHECK(printable_word(o.order_id, sizeof(o.order_id)));
	for (const char *c = o.order_id; *c; c++)
		FUZZ_CHECK(isdigit((unsigned char)*c));
	FUZZ_CHECK(o.orig_qty >= 0 && o.executed_qty >= 0 && o.avg_price >= 0);
	FUZZ_CHECK(o.executed_qty <= o.orig_qty);
	int final = bn_status_final(o.status);
	FUZZ_CHECK(final == (strcmp(o.status, "NEW") != 0 &&
	    strcmp(o.status, "PARTIALLY_FILLED") != 0));
}

static void premium(const char *body, size_t size)
{
	char err[256];
	int64_t mark = -1;

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_premium_index(body, size, "BTCUSDT", &mark, err,
	    sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(mark > 0);
	else
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0] != '\0');
}

static void server_time(const char *body, size_t size)
{
	char err[256];
	int64_t ms = -1;

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_time(body, size, &ms, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(ms >= 1000000000000LL && ms <= 9999999999999LL);
	else
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0] != '\0');
}

static void error_reply(const char *body, size_t size)
{
	char msg[128], tiny[4];
	long code = 0;

	memset(msg, 'x', sizeof(msg));
	int rc = bn_parse_error(body, size, &code, msg, sizeof(msg));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(code >= -99999 && code <= 99999);
		FUZZ_CHECK(fuzz_printable(msg, sizeof(msg)));
		FUZZ_CHECK(bn_parse_error(body, size, &code, tiny, sizeof(tiny)) == 0);
		FUZZ_CHECK(fuzz_printable(tiny, sizeof(tiny)));
	}
}

static void header(const uint8_t *data, size_t size)
{
	char *v = fuzz_cstr(data, size);
	long out = -1;
	int rc = bn_parse_header_uint(v, 100000, &out);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(out >= 0 && out <= 100000);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size);      /* exact size: no NUL to lean on */
	if (!body)
		abort();
	memcpy(body, data, size);
	order(body, size);
	premium(body, size);
	server_time(body, size);
	error_reply(body, size);
	header(data, size);
	free(body);
	return 0;
}
