/*
 * test_decimal.c - common/decimal.c: exact fixed-point parse, format, mul.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "decimal.h"

struct parse_ok {
	const char *in;
	int64_t want;
};

Test(decimal, parse_accepts_plain_decimals)
{
	static const struct parse_ok cases[] = {
		{ "0", 0 },
		{ "0.0", 0 },
		{ "1", 100000000LL },
		{ "12", 1200000000LL },
		{ "0.01", 1000000LL },
		{ "3.", 300000000LL },
		{ ".5", 50000000LL },
		{ "0.00000001", 1 },
		{ "000123.4500", 12345000000LL },
		{ "0000000000012", 1200000000LL },
		{ "1.23456789", 123456789LL },
		{ "9999999999.99999999", 999999999999999999LL },
		{ "0000000000000000000000001", 100000000LL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -42;
		const char *why = NULL;
		int rc = dec_parse(cases[i].in, strlen(cases[i].in), &v, &why);
		cr_assert_eq(rc, 0, "\"%s\" rejected: %s", cases[i].in,
		    why ? why : "(no reason)");
		cr_assert_eq(v, cases[i].want, "\"%s\" -> %lld, want %lld",
		    cases[i].in, (long long)v, (long long)cases[i].want);
	}
}

Test(decimal, parse_cuts_digits_past_the_eighth_place)
{
	static const struct parse_ok cases[] = {
		{ "0.000000019", 1 },
		{ "0.000000009", 0 },
		{ "1.999999999999", 199999999LL },
		{ "0.123456789123456789", 12345678LL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -42;
		const char *why = NULL;
		cr_assert_eq(dec_parse(cases[i].in, strlen(cases[i].in), &v, &why),
		    0, "\"%s\" rejected", cases[i].in);
		cr_assert_eq(v, cases[i].want, "\"%s\" -> %lld, want %lld",
		    cases[i].in, (long long)v, (long long)cases[i].want);
	}
}

Test(decimal, parse_rejects_everything_else)
{
	static const char *const bad[] = {
		"-1", "+1", "-0", "1e3", "1E3", "1e-3", " 1", "1 ", "\t1",
		"nan", "NaN", "inf", "-inf", "Infinity", ".", "1.2.3", "1,5",
		"0x10", "1_000", "12345678901", "99999999999.5", "1..2", "--1",
		"abc", "1a", "\x01", "\xff", "1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = -42;
		const char *why = NULL;
		int rc = dec_parse(bad[i], strlen(bad[i]), &v, &why);
		cr_assert_eq(rc, -1, "\"%s\" accepted as %lld", bad[i],
		    (long long)v);
		cr_assert_not_null(why, "\"%s\": no reason given", bad[i]);
		cr_assert_gt(strlen(why), 0);
	}
}

Test(decimal, parse_empty_is_rejected)
{
	int64_t v;
	const char *why = NULL;
	cr_assert_eq(dec_parse("", 0, &v, &why), -1);
	cr_assert_str_eq(why, "empty");
}

Test(decimal, parse_too_many_integer_digits_says_too_large)
{
	int64_t v;
	const char *why = NULL;
	cr_assert_eq(dec_parse("10000000000", 11, &v, &why), -1);
	cr_assert_str_eq(why, "too large");
	/* ten digits are the most, leading zeros do not count */
	cr_assert_eq(dec_parse("00009999999999", 14, &v, &why), 0);
	cr_assert_eq(v, 999999999900000000LL);
}

Test(decimal, parse_respects_the_length_not_the_nul)
{
	int64_t v = 0;
	const char *why = NULL;
	cr_assert_eq(dec_parse("1.5xyz", 3, &v, &why), 0);
	cr_assert_eq(v, 150000000LL);
	/* an embedded NUL inside the length is not a digit */
	cr_assert_eq(dec_parse("1\0" "5", 3, &v, &why), -1);
}

Test(decimal, format_fixed_rounds_down)
{
	char b[64];
	dec_format_fixed(b, sizeof(b), 1234567, 4);
	cr_assert_str_eq(b, "0.0123");
	dec_format_fixed(b, sizeof(b), 199999999, 0);
	cr_assert_str_eq(b, "1");
	dec_format_fixed(b, sizeof(b), 199999999, 2);
	cr_assert_str_eq(b, "1.99");
	dec_format_fixed(b, sizeof(b), 1, 8);
	cr_assert_str_eq(b, "0.00000001");
	dec_format_fixed(b, sizeof(b), 1000000, 4);
	cr_assert_str_eq(b, "0.0100");
	dec_format_fixed(b, sizeof(b), 0, 3);
	cr_assert_str_eq(b, "0.000");
	dec_format_fixed(b, sizeof(b), -150000000, 2);
	cr_assert_str_eq(b, "-1.50");
}

Test(decimal, format_fixed_clamps_places)
{
	char b[64];
	dec_format_fixed(b, sizeof(b), 123456789, -3);
	cr_assert_str_eq(b, "1");
	dec_format_fixed(b, sizeof(b), 123456789, 12);
	cr_assert_str_eq(b, "1.23456789");
}

Test(decimal, format_fixed_never_overruns_a_small_buffer)
{
	char b[8];
	memset(b, 'X', sizeof(b));
	dec_format_fixed(b, 5, 123456789, 8);
	cr_assert_str_eq(b, "1.23");
	cr_assert_eq(b[5], 'X');
}

Test(decimal, format_shortest_exact)
{
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 1, "0.00000001" },
		{ 1000000, "0.01" },
		{ 100000000, "1" },
		{ 1050000000, "10.5" },
		{ 123456789, "1.23456789" },
		{ 999999999999999999LL, "9999999999.99999999" },
		{ INT64_MAX, "92233720368.54775807" },
		{ -150000000, "-1.5" },
		{ -1, "-0.00000001" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[64];
		dec_format(b, sizeof(b), cases[i].v);
		cr_assert_str_eq(b, cases[i].want, "%lld -> \"%s\", want \"%s\"",
		    (long long)cases[i].v, b, cases[i].want);
	}
}

Test(decimal, format_then_parse_round_trips)
{
	/* deterministic spread of values over the whole accepted range */
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t v = (int64_t)(x % 1000000000000000000ULL);
		if (i % 4 == 0)
			v %= 100000000;         /* fractional only */
		if (i % 4 == 1)
			v -= v % 100000000;     /* whole only */
		char b[64];
		int64_t back = -1;
		const char *why = NULL;
		dec_format(b, sizeof(b), v);
		cr_assert_eq(dec_parse(b, strlen(b), &back, &why), 0,
		    "\"%s\" (from %lld) rejected: %s", b, (long long)v, why);
		cr_assert_eq(back, v, "%lld -> \"%s\" -> %lld", (long long)v, b,
		    (long long)back);
		if (strchr(b, '.'))
			cr_assert_neq(b[strlen(b) - 1], '0',
			    "\"%s\" is not the shortest form", b);
	}
}

Test(decimal, mul_floors)
{
	cr_assert_eq(dec_mul(150000000LL, 200000000LL), 300000000LL);
	cr_assert_eq(dec_mul(1, 50000000LL), 0);                /* 1e-8 * 0.5 */
	cr_assert_eq(dec_mul(300000000LL, 33333333LL), 99999999LL);
	cr_assert_eq(dec_mul(1000000LL, 300000000000LL), 3000000000LL); /* 0.01*3000 */
	cr_assert_eq(dec_mul(0, INT64_MAX), 0);
	/* exact beyond 64-bit intermediates: 9999999999.99999999 * 9 */
	cr_assert_eq(dec_mul(999999999999999999LL, 900000000LL),
	    8999999999999999991LL);
}

Test(decimal, mul_saturates)
{
	cr_assert_eq(dec_mul(INT64_MAX, INT64_MAX), INT64_MAX);
	cr_assert_eq(dec_mul(999999999999999999LL, 300000000000LL), INT64_MAX);
	/* just under and just over the limit */
	cr_assert_eq(dec_mul(INT64_MAX, DEC_SCALE), INT64_MAX);
	cr_assert_eq(dec_mul(INT64_MAX / 2, 2 * DEC_SCALE), INT64_MAX - 1);
}
