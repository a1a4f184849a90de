/*
 * test_sizing.c - executor/sizing.c: exact order sizing against filters.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "sizing.h"

#define ERRBUF 256

/* Decimal text to 1e-8 units (test inputs are always valid). */
static int64_t d(const char *s)
{
	int64_t v;
	const char *why;
	cr_assert_eq(dec_parse(s, strlen(s), &v, &why), 0, "bad test value %s", s);
	return v;
}

static struct symbol_filter filter(const char *sym, const char *step,
    const char *min_qty, const char *min_notional, const char *max_qty)
{
	struct symbol_filter f;
	memset(&f, 0, sizeof(f));
	snprintf(f.symbol, sizeof(f.symbol), "%s", sym);
	f.step = d(step);
	f.min_qty = d(min_qty);
	f.min_notional = d(min_notional);
	f.max_qty = d(max_qty);
	return f;
}

struct scase {
	const char *what;
	/* filter */
	const char *step, *min_qty, *min_notional, *max_qty;
	/* request */
	const char *qty, *safe_qty;
	int reduce_only, allow_upsize;
	const char *min_override, *mark;
	/* expected: out (when err is NULL) or the exact error */
	const char *out, *err;
};

static const struct scase cases[] = {
	/* rounding down to the step, exactly */
	{ "round down to the step", "0.001", "0.001", "20", "0",
	  "0.0123", "0", 0, 0, "0", "3000", "0.012", NULL },
	{ "round down, never up", "0.001", "0.001", "20", "0",
	  "0.01299999", "0", 0, 0, "0", "3000", "0.012", NULL },
	{ "already a step multiple", "0.001", "0.001", "20", "0",
	  "0.010", "0", 0, 0, "0", "3000", "0.01", NULL },
	{ "integer step", "1", "1", "5", "0",
	  "100.7", "0", 0, 0, "0", "0.12", "100", NULL },
	{ "tiny step", "0.00000001", "0.00000001", "0", "0",
	  "0.12345678", "0", 0, 0, "0", "1", "0.12345678", NULL },
	{ "odd step 0.003", "0.003", "0.003", "0", "0",
	  "0.01", "0", 1, 0, "0", "0", "0.009", NULL },
	/* minimum quantity */
	{ "below one step", "0.001", "0.001", "20", "0",
	  "0.0009", "0", 0, 0, "0", "3000", NULL,
	  "min_notional_check_failed:qty 0 below min qty 0.001" },
	{ "below min qty", "0.001", "0.01", "0", "0",
	  "0.009", "0", 0, 0, "0", "3000", NULL,
	  "min_notional_check_failed:qty 0.009 below min qty 0.01" },
	{ "rounded down onto min qty passes", "0.001", "0.01", "0", "0",
	  "0.0109", "0", 1, 0, "0", "0", "0.01", NULL },
	{ "min qty applies to reduce-only too", "0.001", "0.01", "0", "0",
	  "0.005", "0", 1, 0, "0", "0", NULL,
	  "min_notional_check_failed:qty 0.005 below min qty 0.01" },
	/* minimum notional */
	{ "min notional blocked", "0.001", "0.001", "20", "0",
	  "0.005", "0", 0, 0, "0", "3000", NULL,
	  "min_notional_check_failed:notional 15 below 20" },
	{ "notional exactly the minimum passes", "0.001", "0.001", "20", "0",
	  "0.004", "0", 0, 0, "0", "5000", "0.004", NULL },
	{ "notional one step short", "0.001", "0.001", "20", "0",
	  "0.003", "0", 0, 0, "0", "6666.66666666", NULL,
	  "min_notional_check_failed:notional 19.99999999 below 20" },
	{ "override replaces the filter's minimum", "0.001", "0.001", "20", "0",
	  "0.01", "0", 0, 0, "50", "3000", NULL,
	  "min_notional_check_failed:notional 30 below 50" },
	{ "override may be lower than the filter's", "0.001", "0.001", "20", "0",
	  "0.005", "0", 0, 0, "10", "3000", "0.005", NULL },
	{ "no minimum notional at all", "0.001", "0.001", "0", "0",
	  "0.001", "0", 0, 0, "0", "3000", "0.001", NULL },
	/* upsizing rounds UP to the smallest step multiple reaching it */
	{ "upsize rounds up", "0.001", "0.001", "20", "0",
	  "0.005", "0", 0, 1, "0", "3000", "0.007", NULL },
	{ "upsize exact multiple needs no extra step", "0.001", "0.001", "21", "0",
	  "0.005", "0", 0, 1, "0", "3000", "0.007", NULL },
	{ "upsize BTC", "0.001", "0.001", "100", "0",
	  "0.001", "0", 0, 1, "0", "60000", "0.002", NULL },
	{ "upsize with integer step", "1", "1", "5", "0",
	  "10", "0", 0, 1, "0", "0.12", "42", NULL },
	{ "upsize not needed leaves qty alone", "0.001", "0.001", "20", "0",
	  "0.0109", "0", 0, 1, "0", "3000", "0.01", NULL },
	{ "upsize to the override", "0.001", "0.001", "20", "0",
	  "0.01", "0", 0, 1, "100", "3000", "0.034", NULL },
	/* the permit's safe quantity */
	{ "safe qty applied first, then rounded", "0.001", "0.001", "20", "0",
	  "1", "0.0155", 0, 0, "0", "3000", "0.015", NULL },
	{ "safe qty above qty changes nothing", "0.001", "0.001", "20", "0",
	  "0.02", "5", 0, 0, "0", "3000", "0.02", NULL },
	{ "safe qty makes it too small", "0.001", "0.001", "20", "0",
	  "1", "0.0005", 1, 0, "0", "0", NULL,
	  "min_notional_check_failed:qty 0 below min qty 0.001" },
	{ "safe qty then min notional", "0.001", "0.001", "20", "0",
	  "1", "0.005", 0, 0, "0", "3000", NULL,
	  "min_notional_check_failed:notional 15 below 20" },
	{ "upsize above safe qty refused", "0.001", "0.001", "20", "0",
	  "0.005", "0.006", 0, 1, "0", "3000", NULL,
	  "min_notional_check_failed:upsized qty 0.007 above permit safe qty 0.006" },
	{ "upsize up to exactly the safe qty", "0.001", "0.001", "20", "0",
	  "0.005", "0.007", 0, 1, "0", "3000", "0.007", NULL },
	{ "smallest safe qty caps", "0.001", "0.001", "0", "0",
	  "1", "0.00000001", 1, 0, "0", "0", NULL,
	  "min_notional_check_failed:qty 0 below min qty 0.001" },
	/* reduce-only orders skip the notional check and need no price */
	{ "reduce-only skips notional", "0.001", "0.001", "20", "0",
	  "0.001", "0", 1, 0, "0", "3000", "0.001", NULL },
	{ "reduce-only needs no mark price", "0.001", "0.001", "20", "0",
	  "0.001", "0", 1, 0, "0", "0", "0.001", NULL },
	{ "reduce-only is never upsized", "0.001", "0.001", "20", "0",
	  "0.001", "0", 1, 1, "0", "3000", "0.001", NULL },
	/* opening orders need the mark price */
	{ "missing mark price", "0.001", "0.001", "20", "0",
	  "0.01", "0", 0, 0, "0", "0", NULL, "mark_price_unavailable" },
	{ "missing mark price with upsize", "0.001", "0.001", "20", "0",
	  "0.01", "0", 0, 1, "0", "0", NULL, "mark_price_unavailable" },
	/* maximum quantity */
	{ "above max qty", "0.001", "0.001", "0", "1",
	  "1.5", "0", 1, 0, "0", "0", NULL,
	  "max_qty_exceeded:qty 1.5 above 1" },
	{ "exactly max qty", "0.001", "0.001", "0", "1",
	  "1", "0", 1, 0, "0", "0", "1", NULL },
	{ "upsized above max qty", "1", "1", "100", "10",
	  "1", "0", 0, 1, "0", "5", NULL,
	  "max_qty_exceeded:qty 20 above 10" },
	/* nonsense */
	{ "zero qty", "0.001", "0.001", "0", "0",
	  "0", "0", 1, 0, "0", "0", NULL, "invalid_qty:not above 0" },
};

static void run_case(const struct scase *c)
{
	struct symbol_filter f = filter("ETHUSDT", c->step, c->min_qty,
	    c->min_notional, c->max_qty);
	struct sizing_in in = {
		.qty = d(c->qty),
		.safe_qty = d(c->safe_qty),
		.reduce_only = c->reduce_only,
		.allow_upsize = c->allow_upsize,
		.min_notional = d(c->min_override),
		.mark_price = d(c->mark),
	};
	int64_t out = -7;
	char err[ERRBUF];
	err[0] = '\0';
	int rc = size_order(&f, &in, &out, err, sizeof(err));
	if (c->err) {
		cr_assert_eq(rc, -1, "%s: sized to %lld instead of failing", c->what,
		    (long long)out);
		cr_assert_str_eq(err, c->err, "%s", c->what);
		cr_assert_eq(out, -7, "%s: out written on failure", c->what);
	} else {
		cr_assert_eq(rc, 0, "%s: failed: %s", c->what, err);
		char got[40];
		dec_format(got, sizeof(got), out);
		cr_assert_str_eq(got, c->out, "%s", c->what);
		cr_assert_eq(out % f.step, 0, "%s: not a step multiple", c->what);
	}
}

/*
 * One test per row of the table, so a failure names its case.  The
 * parameter is the row's index: Criterion copies parameters into a new
 * process, where pointers into the table would not be valid.
 */
#define NCASES (sizeof(cases) / sizeof(cases[0]))

ParameterizedTestParameters(sizing, table)
{
	static size_t rows[NCASES];
	for (size_t i = 0; i < NCASES; i++)
		rows[i] = i;
	return cr_make_param_array(size_t, rows, NCASES);
}

ParameterizedTest(size_t *row, sizing, table)
{
	cr_assert_lt(*row, NCASES);
	run_case(&cases[*row]);
}

Test(sizing, invalid_inputs)
{
	struct symbol_filter f = filter("X", "0.001", "0.001", "0", "0");
	struct sizing_in in = { .qty = -100000, .reduce_only = 1 };
	int64_t out = 0;
	char err[ERRBUF];
	cr_assert_eq(size_order(&f, &in, &out, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "invalid_qty:not above 0");
	f.step = 0;
	in.qty = 100000000;
	cr_assert_eq(size_order(&f, &in, &out, err, sizeof(err)), -1,
	    "a zero step must not divide");
}

/*
 * Every upsize lands on the smallest step multiple whose notional reaches
 * the minimum: that multiple reaches it, one step less does not.
 */
Test(sizing, upsize_is_the_smallest_reaching_multiple)
{
	static const char *const steps[] = { "0.001", "0.01", "1", "0.1",
		"0.00001", "0.003" };
	static const char *const marks[] = { "3000", "60000.1", "0.12",
		"1.23456789", "99.99", "7" };
	static const char *const mins[] = { "5", "20", "100", "5.5", "0.01" };
	int checked = 0;
	for (size_t a = 0; a < 6; a++) {
		for (size_t b = 0; b < 6; b++) {
			for (size_t c = 0; c < 5; c++) {
				struct symbol_filter f = filter("X", steps[a], "0",
				    mins[c], "0");
				struct sizing_in in = {
					.qty = f.step,
					.allow_upsize = 1,
					.mark_price = d(marks[b]),
				};
				int64_t out;
				char err[ERRBUF];
				cr_assert_eq(size_order(&f, &in, &out, err, sizeof(err)),
				    0, "step %s mark %s min %s: %s", steps[a], marks[b],
				    mins[c], err);
				__int128 need = (__int128)f.min_notional * DEC_SCALE;
				cr_assert_eq(out % f.step, 0);
				cr_assert((__int128)out * in.mark_price >= need,
				    "step %s mark %s min %s: %lld does not reach it",
				    steps[a], marks[b], mins[c], (long long)out);
				if (out > f.step) {
					cr_assert((__int128)(out - f.step) * in.mark_price <
					    need, "step %s mark %s min %s: %lld is not the "
					    "smallest", steps[a], marks[b], mins[c],
					    (long long)out);
					checked++;
				}
			}
		}
	}
	cr_assert_gt(checked, 100);
}

/* Without upsize, every result is the request rounded down to the step. */
Test(sizing, rounding_down_is_exact)
{
	struct symbol_filter f = filter("X", "0.001", "0", "0", "0");
	for (int64_t q = 1; q < 2000000; q += 7919) {
		struct sizing_in in = { .qty = q, .reduce_only = 1 };
		int64_t out = -1;
		char err[ERRBUF];
		int rc = size_order(&f, &in, &out, err, sizeof(err));
		if (q < f.step) {
			cr_assert_eq(rc, -1);
			continue;
		}
		cr_assert_eq(rc, 0, "%lld: %s", (long long)q, err);
		cr_assert_eq(out, q - q % f.step);
		cr_assert_leq(out, q);
		cr_assert_gt(out + f.step, q);
	}
}
