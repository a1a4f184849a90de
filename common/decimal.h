/*
 * decimal.h - exact fixed-point decimals for quantities, prices and
 * notionals: an int64_t counting units of 1e-8 (DEC_SCALE per 1).
 *
 * Plans, permits, filters and exchange replies carry decimals as text; they
 * are parsed here and never through floating point, so "round down to the
 * step" means exactly that.
 */
#ifndef QIE_DECIMAL_H
#define QIE_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#define DEC_SCALE 100000000LL   /* units per 1 */
#define DEC_FRAC_DIGITS 8
#define DEC_INT_DIGITS 10       /* at most 9,999,999,999.99999999 */

/*
 * Parses a plain non-negative decimal ("0.01", "12", "3.", ".5") of len
 * bytes.  Digits past the 8th decimal place are cut (rounded down).
 * Rejects signs, exponents, spaces, nan/inf and too many integer digits.
 * Returns 0, or -1 with a reason in *why.
 */
int dec_parse(const char *s, size_t len, int64_t *out, const char **why);

/*
 * A unix time in seconds ("1700000000", "1700000000.25") or, above 1e12,
 * in milliseconds; into unix milliseconds.  -1 with *why otherwise.
 */
int dec_parse_time_ms(const char *s, size_t len, int64_t *ms, const char **why);

/* Writes v with exactly `places` decimals (0..8), rounded down. */
void dec_format_fixed(char *buf, size_t sz, int64_t v, int places);
/* Writes v in its shortest exact form: "0.01", "1", "0.00000001". */
void dec_format(char *buf, size_t sz, int64_t v);

/* floor(a * b / DEC_SCALE) for non-negative a, b, saturating at INT64_MAX. */
int64_t dec_mul(int64_t a, int64_t b);

#endif
