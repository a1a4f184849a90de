/*
 * fuzz_bn_account.c - the account reply parsers on the same arbitrary body:
 * bn_parse_position_mode(), bn_parse_position_risk() (wanting BTCUSDT,
 * ETHUSDT, TRXUSDT, and wanting every symbol) and bn_parse_leverage().
 */
#include "fuzz.h"

#include "binance_account.h"

static void position_mode(const char *body, size_t size)
{
	enum bn_pos_mode m = (enum bn_pos_mode)7;
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_position_mode(body, size, &m, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(m == BN_ONE_WAY || m == BN_HEDGE);
	else
		FUZZ_CHECK(m == 7 && fuzz_printable(err, sizeof(err)) && err[0]);
}

static void check_position(const struct bn_position *p)
{
	size_t n = strnlen(p->symbol, sizeof(p->symbol));
	FUZZ_CHECK(n > 0 && n < sizeof(p->symbol));
	FUZZ_CHECK(fuzz_printable(p->symbol, sizeof(p->symbol)));
	FUZZ_CHECK(strchr(p->symbol, ' ') == NULL);
	FUZZ_CHECK(p->side == BN_PS_BOTH || p->side == BN_PS_LONG ||
	    p->side == BN_PS_SHORT);
	FUZZ_CHECK(p->leverage >= 1 && p->leverage <= BN_LEVERAGE_MAX);
	FUZZ_CHECK(p->entry_price >= 0 && p->mark_price >= 0);
	FUZZ_CHECK(p->side != BN_PS_LONG || p->amount >= 0);
	FUZZ_CHECK(p->side != BN_PS_SHORT || p->amount <= 0);
	FUZZ_CHECK(p->amount == 0 || p->entry_price > 0);
}

static void position_risk(const char *body, size_t size,
    const struct strlist *want)
{
	static struct bn_positions t;
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_position_risk(body, size, want, &t, err, sizeof(err));
	FUZZ_CHECK(rc >= -1);
	if (rc < 0) {
		FUZZ_CHECK(t.n == 0);
		FUZZ_CHECK(fuzz_printable(err, sizeof(err)) && err[0]);
		return;
	}
	FUZZ_CHECK((unsigned)rc == t.n && t.n <= BN_POSITIONS_MAX);
	for (unsigned i = 0; i < t.n; i++) {
		const struct bn_position *p = &t.p[i];
		check_position(p);
		FUZZ_CHECK(!want || strlist_has(want, p->symbol, strlen(p->symbol)));
		FUZZ_CHECK(bn_position_find(&t, p->symbol, p->side) == p);
	}
}

static void leverage(const char *body, size_t size)
{
	int l = -1;
	int64_t cap = -1;
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = bn_parse_leverage(body, size, "BTCUSDT", &l, &cap, err,
	    sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(l >= 1 && l <= BN_LEVERAGE_MAX && cap >= 0);
	else
		FUZZ_CHECK(l == -1 && fuzz_printable(err, sizeof(err)) && err[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct strlist want = { .n = 3,
		.item = { "BTCUSDT", "ETHUSDT", "TRXUSDT" } };
	char *body = malloc(size);      /* exact size: no NUL to lean on */
	if (!body)
		abort();
	memcpy(body, data, size);
	position_mode(body, size);
	position_risk(body, size, &want);
	position_risk(body, size, NULL);
	leverage(body, size);
	free(body);
	return 0;
}
