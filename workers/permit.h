/*
 * permit.h - the risk service's permit for a plan, in either encoding
 * found in the field: a STRING holding a JSON object, or a HASH of string
 * fields.  Pure parsers; reading the key is the worker's business.
 *
 * allow/granted: a permit allows only if at least one of them is present
 * and every one present is true (JSON true, or "true"/"1"/"yes" in any
 * case, or the number 1).  safe_qty/safe_close_qty: |value|; the smallest
 * positive one caps the order quantity; 0 or absent: no cap.
 * symbol: the symbol it is for (A-Z, 0-9).  side: BUY or SELL, lane: main
 * or manual (any case): the order and the lane it is for (a permit that
 * names them binds to them: safety.c).  ts or timestamp: when it was
 * issued, unix seconds (or milliseconds above 1e12).  Every one of these
 * is optional; one that is there but not understood makes the permit
 * invalid.
 */
#ifndef QIE_PERMIT_H
#define QIE_PERMIT_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct permit {
	int allow;
	char reason[128];       /* printable ASCII */
	int64_t safe_qty;       /* 1e-8 units; 0 = no cap */
	char symbol[24];        /* the symbol it names, "" if none */
	uint8_t side;           /* SIDE_BUY, SIDE_SELL, 0 = unsaid */
	int lane;               /* LANE_MAIN, LANE_MANUAL, -1 = unsaid */
	int64_t ts_ms;          /* when it was issued (ts/timestamp), 0 = unsaid */
};

/* -1 with *why on anything but a JSON object of sensible fields. */
int permit_from_json(const char *s, size_t n, struct permit *pm,
    const char **why);
/* pairs: HGETALL's flat list of npairs*2 strings. */
int permit_from_hash(const struct bytes *pairs, size_t n, struct permit *pm,
    const char **why);

#endif
