/*
 * test_filters.c - common/filters.c: the paper backend's filter table.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "filters.h"

#define D(x) ((int64_t)((x) * 100000000.0 + 0.5))

static void parse_ok(struct filter_table *t, const char *spec)
{
	char err[200] = "";
	cr_assert_eq(filters_parse(t, spec, err, sizeof(err)), 0,
	    "\"%s\" rejected: %s", spec, err);
}

static void assert_filter(const struct filter_table *t, const char *sym,
    int64_t step, int64_t min_qty, int64_t min_notional, int64_t mark)
{
	const struct symbol_filter *f = filters_find(t, sym);
	cr_assert_not_null(f, "%s not in the table", sym);
	cr_assert_str_eq(f->symbol, sym);
	cr_assert_eq(f->step, step, "%s step", sym);
	cr_assert_eq(f->min_qty, min_qty, "%s min qty", sym);
	cr_assert_eq(f->min_notional, min_notional, "%s min notional", sym);
	cr_assert_eq(f->mark_price, mark, "%s mark", sym);
	cr_assert_eq(f->max_qty, 0, "%s max qty", sym);
}

Test(filters, builtin_table)
{
	struct filter_table t;
	parse_ok(&t, "");
	cr_assert_eq(t.n, 3);
	assert_filter(&t, "BTCUSDT", 100000, 100000, 10000000000LL,
	    6000000000000LL);
	assert_filter(&t, "ETHUSDT", 100000, 100000, 2000000000LL,
	    300000000000LL);
	assert_filter(&t, "TRXUSDT", 100000000, 100000000, 500000000LL,
	    12000000LL);
	cr_assert_null(filters_find(&t, "DOGEUSDT"));
	cr_assert_null(filters_find(&t, ""));
}

Test(filters, spec_replaces_builtin_and_adds)
{
	struct filter_table t;
	parse_ok(&t, "ethusdt:0.01:0.02:25:3100.5,XRPUSDT:0.1:1:5:0.5");
	cr_assert_eq(t.n, 4, "ETHUSDT replaced in place, XRPUSDT added");
	assert_filter(&t, "ETHUSDT", 1000000, 2000000, 2500000000LL,
	    310050000000LL);
	assert_filter(&t, "XRPUSDT", 10000000, 100000000, 500000000LL, 50000000);
	/* untouched built-ins stay */
	assert_filter(&t, "BTCUSDT", 100000, 100000, 10000000000LL,
	    6000000000000LL);
}

Test(filters, later_entry_of_the_same_symbol_wins)
{
	struct filter_table t;
	parse_ok(&t, "XRPUSDT:1:1:1:1,XRPUSDT:2:2:2:2");
	cr_assert_eq(t.n, 4);
	assert_filter(&t, "XRPUSDT", D(2), D(2), D(2), D(2));
}

Test(filters, empty_entries_are_skipped)
{
	struct filter_table t;
	parse_ok(&t, ",,XRPUSDT:1:1:1:1,,");
	cr_assert_eq(t.n, 4);
	assert_filter(&t, "XRPUSDT", D(1), D(1), D(1), D(1));
}

Test(filters, zero_min_qty_and_notional_are_allowed)
{
	struct filter_table t;
	parse_ok(&t, "XRPUSDT:0.1:0:0:0.5");
	assert_filter(&t, "XRPUSDT", D(0.1), 0, 0, D(0.5));
}

Test(filters, bad_specs_are_rejected_with_a_reason)
{
	static const char *const bad[] = {
		"garbage",
		"XRPUSDT",
		"XRPUSDT:1:1:1",
		"XRPUSDT:1:1:1:1:1",
		"XRPUSDT:1:1:1:",
		":1:1:1:1",
		"XRP-USDT:1:1:1:1",
		"XRP USDT:1:1:1:1",
		"XRPUSDTXRPUSDTXRPUSDTXRP:1:1:1:1",      /* 24 characters */
		"XRPUSDT:0:1:1:1",                       /* step 0 */
		"XRPUSDT:1:1:1:0",                       /* mark 0 */
		"XRPUSDT:-1:1:1:1",
		"XRPUSDT:1:-1:1:1",
		"XRPUSDT:1:1:1e3:1",
		"XRPUSDT:1:1:1:nan",
		"XRPUSDT:1: 1:1:1",
		"XRPUSDT:1:1:1:1,bad",
		"BTCUSDT:0.001:0.001:100:60000;ETHUSDT:1:1:1:1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct filter_table t;
		char err[200] = "";
		cr_assert_eq(filters_parse(&t, bad[i], err, sizeof(err)), -1,
		    "\"%s\" accepted", bad[i]);
		cr_assert_gt(strlen(err), 0, "\"%s\": no reason", bad[i]);
	}
}

Test(filters, reason_names_the_symbol_and_field)
{
	struct filter_table t;
	char err[200] = "";
	cr_assert_eq(filters_parse(&t, "XRPUSDT:1:x:1:1", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "XRPUSDT"), "%s", err);
	cr_assert_not_null(strstr(err, "min qty"), "%s", err);
	cr_assert_eq(filters_parse(&t, "xrpusdt:1:1:1:0", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "XRPUSDT"), "%s", err);
	cr_assert_not_null(strstr(err, "mark price"), "%s", err);
}

Test(filters, at_most_filters_max_symbols)
{
	static char spec[FILTERS_MAX * 32];
	struct filter_table t;
	char err[200] = "";
	size_t n = 0;

	/* the three built-ins plus FILTERS_MAX-3 new ones fill the table */
	for (int i = 0; i < FILTERS_MAX - 3; i++)
		n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%sS%02dUSDT:1:1:1:1",
		    i ? "," : "", i);
	cr_assert_eq(filters_parse(&t, spec, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.n, FILTERS_MAX);
	cr_assert_not_null(filters_find(&t, "S00USDT"));
	cr_assert_not_null(filters_find(&t, "S60USDT"));
	/* replacing one still works when full */
	snprintf(spec + n, sizeof(spec) - n, ",BTCUSDT:1:1:1:1");
	cr_assert_eq(filters_parse(&t, spec, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.n, FILTERS_MAX);
	/* one more new symbol is too many */
	snprintf(spec + n, sizeof(spec) - n, ",EXTRAUSDT:1:1:1:1");
	cr_assert_eq(filters_parse(&t, spec, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "more than"), "%s", err);
}

Test(filters, a_reparse_starts_from_a_clean_table)
{
	struct filter_table t;
	parse_ok(&t, "XRPUSDT:1:1:1:1");
	cr_assert_not_null(filters_find(&t, "XRPUSDT"));
	parse_ok(&t, "");
	cr_assert_eq(t.n, 3);
	cr_assert_null(filters_find(&t, "XRPUSDT"));
}
