/*
 * fuzz_decimal.c - dec_parse() against an independent reading of its
 * grammar, and its round trip through dec_format().
 *
 * Input: one decimal text; when it holds a '*', the two sides are also
 * multiplied with dec_mul().
 */
#include "fuzz.h"

#include "decimal.h"

#define DEC_MAX (9999999999LL * DEC_SCALE + 99999999LL)

/* The grammar of decimal.h: digits [. digits], at least one digit, at most
 * DEC_INT_DIGITS integer digits after leading zeros. */
static int grammar_ok(const char *s, size_t n)
{
	size_t i = 0, digits = 0, sig = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		digits++;
		if (sig || s[i] != '0')
			sig++;
	}
	if (sig > DEC_INT_DIGITS)
		return 0;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	return i == n && digits > 0;
}

static int parse(const uint8_t *data, size_t size, int64_t *v)
{
	const char *why = NULL;
	char buf[64];
	int64_t back = -1;
	char *s = malloc(size);         /* exact size: no NUL to lean on */
	if (!s)
		abort();
	memcpy(s, data, size);

	*v = -1;
	int rc = dec_parse(s, size, v, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK((rc == 0) == grammar_ok(s, size));
	if (rc == 0) {
		FUZZ_CHECK(*v >= 0 && *v <= DEC_MAX);
		dec_format(buf, sizeof(buf), *v);
		FUZZ_CHECK(dec_parse(buf, strlen(buf), &back, &why) == 0);
		FUZZ_CHECK(back == *v);
		for (int places = 0; places <= DEC_FRAC_DIGITS; places++) {
			dec_format_fixed(buf, sizeof(buf), *v, places);
			FUZZ_CHECK(dec_parse(buf, strlen(buf), &back, &why) == 0);
			FUZZ_CHECK(back <= *v);         /* rounded down */
		}
	} else {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	}
	free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t a, b;
	const uint8_t *star = memchr(data, '*', size);

	if (!star) {
		parse(data, size, &a);
		return 0;
	}
	size_t na = (size_t)(star - data);
	if (parse(data, na, &a) == 0 &&
	    parse(star + 1, size - na - 1, &b) == 0) {
		int64_t p = dec_mul(a, b);
		FUZZ_CHECK(p >= 0);
		FUZZ_CHECK(p == INT64_MAX ||
		    (__int128)p * DEC_SCALE <= (__int128)a * b);
	}
	return 0;
}
