/*
 * sizing.c - exact order sizing against exchange filters (see sizing.h).
 */
#include "sizing.h"

#include <stdio.h>

#include "decimal.h"

static int64_t round_down(int64_t q, int64_t step)
{
	return q / step * step;
}

static int notional_reached(int64_t q, int64_t price, int64_t min)
{
	/* q * price / 1e8 >= min, exactly */
	return (__int128)q * price >= (__int128)min * DEC_SCALE;
}

static int upsize(int64_t step, int64_t price, int64_t min, int64_t *q)
{
	__int128 unit = (__int128)step * price;         /* 1e-16 USDT */
	__int128 need = (__int128)min * DEC_SCALE;
	__int128 k = (need + unit - 1) / unit;
	__int128 r = k * step;
	if (r > INT64_MAX)
		return -1;
	*q = (int64_t)r;
	return 0;
}

int size_order(const struct symbol_filter *f, const struct sizing_in *in,
    int64_t *out, char *err, size_t errlen)
{
	char a[32], b[32];
	int64_t q = in->qty;

	if (q <= 0 || f->step <= 0) {
		snprintf(err, errlen, "invalid_qty:not above 0");
		return -1;
	}
	if (in->safe_qty > 0 && in->safe_qty < q)
		q = in->safe_qty;
	q = round_down(q, f->step);
	if (q <= 0 || q < f->min_qty) {
		dec_format(a, sizeof(a), q);
		dec_format(b, sizeof(b), f->min_qty);
		snprintf(err, errlen, "min_notional_check_failed:qty %s below min qty %s",
		    a, b);
		return -1;
	}
	if (!in->reduce_only) {
		int64_t min = in->min_notional > 0 ? in->min_notional : f->min_notional;
		if (in->mark_price <= 0) {
			snprintf(err, errlen, "mark_price_unavailable");
			return -1;
		}
		if (!notional_reached(q, in->mark_price, min)) {
			dec_format(a, sizeof(a), dec_mul(q, in->mark_price));
			dec_format(b, sizeof(b), min);
			if (!in->allow_upsize) {
				snprintf(err, errlen,
				    "min_notional_check_failed:notional %s below %s", a, b);
				return -1;
			}
			if (upsize(f->step, in->mark_price, min, &q) < 0) {
				snprintf(err, errlen, "min_notional_check_failed:upsize overflow");
				return -1;
			}
			if (in->safe_qty > 0 && q > in->safe_qty) {
				dec_format(a, sizeof(a), q);
				dec_format(b, sizeof(b), in->safe_qty);
				snprintf(err, errlen,
				    "min_notional_check_failed:upsized qty %s above permit safe qty %s",
				    a, b);
				return -1;
			}
		}
	}
	if (f->max_qty > 0 && q > f->max_qty) {
		dec_format(a, sizeof(a), q);
		dec_format(b, sizeof(b), f->max_qty);
		snprintf(err, errlen, "max_qty_exceeded:qty %s above %s", a, b);
		return -1;
	}
	*out = q;
	return 0;
}
