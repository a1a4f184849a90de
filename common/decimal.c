/*
 * decimal.c - parse and format fixed-point decimals (units of 1e-8).
 * Pure functions: no I/O, no allocation.
 */
#include "decimal.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int dec_parse(const char *s, size_t len, int64_t *out, const char **why)
{
	int64_t ip = 0, fp = 0;
	size_t i = 0, idig = 0, fdig = 0;

	if (len == 0) {
		*why = "empty";
		return -1;
	}
	size_t sig = 0;
	for (; i < len && is_digit(s[i]); i++) {
		idig++;
		if (ip == 0 && s[i] == '0')
			continue;       /* leading zeros do not count */
		if (++sig > DEC_INT_DIGITS) {
			*why = "too large";
			return -1;
		}
		ip = ip * 10 + (s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++) {
			if (fdig < DEC_FRAC_DIGITS)
				fp = fp * 10 + (s[i] - '0');
			fdig++;
		}
	}
	if (i != len) {
		*why = "not a plain decimal number";
		return -1;
	}
	if (idig == 0 && fdig == 0) {
		*why = "no digits";
		return -1;
	}
	for (size_t k = fdig < DEC_FRAC_DIGITS ? fdig : DEC_FRAC_DIGITS;
	     k < DEC_FRAC_DIGITS; k++)
		fp *= 10;
	*out = ip * DEC_SCALE + fp;
	return 0;
}

int dec_parse_time_ms(const char *s, size_t len, int64_t *ms, const char **why)
{
	int64_t ip = 0, frac = 0;
	size_t i = 0, fd = 0;

	for (; i < len && is_digit(s[i]); i++) {
		if (i >= 16)
			return *why = "too large for a time", -1;
		ip = ip * 10 + (s[i] - '0');
	}
	if (i == 0)
		return *why = "not a unix time", -1;
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit(s[i]); i++, fd++)
			if (fd < 3)
				frac = frac * 10 + (s[i] - '0');
	if (i != len)
		return *why = "not a unix time", -1;
	for (; fd < 3; fd++)
		frac *= 10;
	*ms = ip > 1000000000000LL ? ip : ip * 1000 + frac;
	return 0;
}

void dec_format_fixed(char *buf, size_t sz, int64_t v, int places)
{
	int64_t div = 1;
	const char *sign = "";
	uint64_t u;

	if (places < 0)
		places = 0;
	if (places > DEC_FRAC_DIGITS)
		places = DEC_FRAC_DIGITS;
	for (int k = places; k < DEC_FRAC_DIGITS; k++)
		div *= 10;
	if (v < 0) {
		sign = "-";
		u = (uint64_t)0 - (uint64_t)v;
	} else {
		u = (uint64_t)v;
	}
	uint64_t ipart = u / (uint64_t)DEC_SCALE;
	uint64_t fpart = (u % (uint64_t)DEC_SCALE) / (uint64_t)div;
	if (places == 0)
		snprintf(buf, sz, "%s%llu", sign, (unsigned long long)ipart);
	else
		snprintf(buf, sz, "%s%llu.%0*llu", sign, (unsigned long long)ipart,
		    places, (unsigned long long)fpart);
}

void dec_format(char *buf, size_t sz, int64_t v)
{
	int places = DEC_FRAC_DIGITS;
	int64_t f = v < 0 ? -(v % DEC_SCALE) : v % DEC_SCALE;

	while (places > 0 && f % 10 == 0) {
		f /= 10;
		places--;
	}
	dec_format_fixed(buf, sz, v, places);
}

int64_t dec_mul(int64_t a, int64_t b)
{
	__int128 p = (__int128)a * b / DEC_SCALE;
	return p > INT64_MAX ? INT64_MAX : (int64_t)p;
}
