/*
 * test_harvest.c - workers/harvest.c: harvest-lane entries (CONTRACT.md,
 * "The harvest lane") from stream fields, and their checks in order.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harvest.h"

static struct settings S;
static struct bytes F[32];
static size_t NF;
static struct plan_ok OK;
static struct trade_tags T;
static char ERR[ERROR_MAX];

static void setup(void)
{
	char err[256];
	extern char **environ;
	static char *empty[] = { NULL };
	environ = empty;
	cr_assert_eq(config_load(&S, err, sizeof(err)), 0, "%s", err);
	NF = 0;
}

/* fields: name, value, ..., NULL */
static enum plan_verdict check_id(const char *id, const char *first, ...)
{
	va_list ap;
	struct harvest h;
	NF = 0;
	va_start(ap, first);
	for (const char *k = first; k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		F[NF++] = (struct bytes){ k, strlen(k) };
		F[NF++] = (struct bytes){ v, strlen(v) };
	}
	va_end(ap);
	harvest_from_fields(&h, F, NF);
	return harvest_check(&S, &h, id, &OK, &T, ERR, sizeof(ERR));
}
#define CHECK(...) check_id("1733100000000-7", __VA_ARGS__, NULL)

static void rejected(enum plan_verdict v, const char *want)
{
	cr_assert_eq(v, PLAN_REJECT, "accepted, want %s", want);
	cr_assert_str_eq(ERR, want);
}

Test(harvest, close_with_every_field, .init = setup)
{
	cr_assert_eq(CHECK("symbol", "ethusdt", "action", "CLOSE", "reason",
	    "take_profit", "R_net", "1.8", "pnl_usd", "12.5", "entry_price",
	    "3000", "exit_price", "3100", "plan_id", "ignored"), PLAN_OK, "%s", ERR);
	cr_assert_str_eq(OK.plan_id, "harvest-1733100000000-7");
	cr_assert_str_eq(OK.symbol, "ETHUSDT");
	cr_assert_eq(OK.side, SIDE_CLOSE);
	cr_assert_eq(OK.reduce_only, 1);
	cr_assert_eq(OK.leverage, 1);
	cr_assert_eq(OK.qty, 0);
	cr_assert_eq(OK.close_fraction, CLOSE_WHOLE, "no percentage: all of it");
	cr_assert_str_eq(T.model_id, "autonomous_exit");
	cr_assert_str_eq(T.source, "autonomous_trader");
	cr_assert_str_eq(T.reason, "take_profit");
	cr_assert_str_eq(T.r_net, "1.8");
	cr_assert_str_eq(T.pnl_usd, "12.5");
	cr_assert_str_eq(T.entry_price, "3000");
	cr_assert_str_eq(T.exit_price, "3100");
	cr_assert_eq(T.every_close, 1);
	cr_assert_str_eq(T.confidence, "");
}

Test(harvest, partial_close_percentages, .init = setup)
{
	static const struct {
		const char *p;
		long long want;         /* -1: refused */
	} cases[] = {
		{ "0.5", 50000000 }, { "1", CLOSE_WHOLE }, { "1.0", CLOSE_WHOLE },
		{ ".25", 25000000 }, { "0.00000001", 1 }, { "0.123456789", 12345678 },
		{ "0", -1 }, { "0.0", -1 }, { "0.000000001", -1 }, { "1.00000001", -1 },
		{ "2", -1 }, { "-0.5", -1 }, { "+0.5", -1 }, { "0.5 ", -1 },
		{ " 0.5", -1 }, { "1e-1", -1 }, { "nan", -1 }, { "", -1 },
		{ "50%", -1 }, { "0.5000000000000000000000000000000000", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum plan_verdict v = CHECK("symbol", "BTCUSDT", "action",
		    "PARTIAL_CLOSE", "percentage", cases[i].p);
		if (cases[i].want < 0) {
			char want[80];
			snprintf(want, sizeof(want), "invalid_percentage:%s", cases[i].p);
			rejected(v, want);
			cr_assert_str_eq(OK.plan_id, "harvest-1733100000000-7",
			    "the plan_id is known whatever the verdict");
		} else {
			cr_assert_eq(v, PLAN_OK, "\"%s\": %s", cases[i].p, ERR);
			cr_assert_eq(OK.close_fraction, cases[i].want, "\"%s\"",
			    cases[i].p);
		}
	}
	/* CLOSE takes the percentage too (the contract: the order closes
	 * percentage of the position) */
	cr_assert_eq(CHECK("symbol", "BTCUSDT", "action", "close", "percentage",
	    "0.4"), PLAN_OK);
	cr_assert_eq(OK.close_fraction, 40000000);
}

Test(harvest, refusals_in_order, .init = setup)
{
	rejected(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "symbol",
	    "BTCUSDT"), "duplicate_field:symbol");
	rejected(CHECK("action", "CLOSE"), "missing_required_fields");
	rejected(CHECK("symbol", "ETHUSDT"), "missing_required_fields");
	rejected(CHECK("symbol", "", "action", "CLOSE"), "missing_required_fields");
	rejected(CHECK("symbol", "DOGEUSDT", "action", "CLOSE"),
	    "symbol_not_in_allowlist:DOGEUSDT");
	rejected(CHECK("symbol", "ETH-USDT", "action", "CLOSE"),
	    "symbol_not_in_allowlist:ETH-USDT");
	rejected(CHECK("symbol", "ETHUSDT", "action", "OPEN"),
	    "invalid_action:OPEN");
	rejected(CHECK("symbol", "ETHUSDT", "action", "FULL_CLOSE"),
	    "invalid_action:FULL_CLOSE");
	rejected(CHECK("symbol", "ETHUSDT", "action", "CLOSE\n"),
	    "invalid_action:CLOSE?");
	/* the symbol comes before the action, the action before the part */
	rejected(CHECK("symbol", "DOGEUSDT", "action", "OPEN", "percentage", "7"),
	    "symbol_not_in_allowlist:DOGEUSDT");
	rejected(CHECK("symbol", "ETHUSDT", "action", "OPEN", "percentage", "7"),
	    "invalid_action:OPEN");
}

Test(harvest, optional_texts_are_bounded, .init = setup)
{
	char reason[200];
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	rejected(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "reason", reason),
	    "field_too_long:reason");
	reason[127] = '\0';     /* 127 bytes: fits */
	cr_assert_eq(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "reason",
	    reason), PLAN_OK);
	rejected(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "pnl_usd",
	    "12345678901234567890123456789012"), "field_too_long:pnl_usd");
	rejected(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "exit_price",
	    "12345678901234567890123456789012"), "field_too_long:exit_price");
	/* control bytes are sanitized on the way to trade.closed */
	cr_assert_eq(CHECK("symbol", "ETHUSDT", "action", "CLOSE", "reason",
	    "a\x01" "b"), PLAN_OK);
	cr_assert_str_eq(T.reason, "a?b");
}

Test(harvest, plan_id_from_the_entry_id, .init = setup)
{
	char out[PLAN_ID_MAX + 1];
	cr_assert_eq(harvest_plan_id("1733100000000-0", out), 0);
	cr_assert_str_eq(out, "harvest-1733100000000-0");
	static const char *const bad[] = { "", "-", "1-", "-1", "1", "1-2-3",
		"1x-0", "1 -0", "0x1-0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(harvest_plan_id(bad[i], out), -1, "\"%s\"", bad[i]);
		cr_assert_str_eq(out, "");
	}
	char longid[PLAN_ID_MAX];
	memset(longid, '1', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	longid[10] = '-';
	cr_assert_eq(harvest_plan_id(longid, out), -1, "too long with the prefix");
	rejected(check_id("nope", "symbol", "ETHUSDT", "action", "CLOSE", NULL),
	    "invalid_plan_id:not a stream id");
	/* the derived id fits the client order id rule: qie-<plan_id> up to
	 * 32 characters, else a hash (executor/coid.c, test_coid.c) */
	cr_assert_lt(strlen("harvest-1733100000000-0"), 33);
}
