/*
 * harvest.h - an entry of the harvest lane (quantum:stream:harvest.intent,
 * CONTRACT.md "The harvest lane"): an autonomous exit the exit manager
 * decided, to close all or a part of a position.  It has no plan_id and
 * needs no permit; its plan_id is derived from its stream entry id
 * (HARVEST_PLAN_PREFIX + id) and its time is that id's milliseconds.
 * Pure functions over the entry's (field, value) byte strings, strict
 * like plan.c: what is not expected is refused with a clear error.
 */
#ifndef QIE_HARVEST_H
#define QIE_HARVEST_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "config.h"
#include "plan.h"

#define HARVEST_PLAN_PREFIX "harvest-"
#define HARVEST_MODEL_ID "autonomous_exit"      /* trade.closed's model_id */
#define HARVEST_SOURCE "autonomous_trader"      /* and its source */
#define HARVEST_PCT_MAX 32      /* longest percentage text accepted */

struct harvest {
	struct bytes symbol, action, percentage, reason, r_net, pnl_usd,
	    entry_price, exit_price;
	const char *dup;        /* name of a known field given twice */
};

/* Collects the known fields of an entry: nf (field, value) pairs. */
void harvest_from_fields(struct harvest *h, const struct bytes *fields,
    size_t nf);

/*
 * The plan_id of the entry with stream id `id` (HARVEST_PLAN_PREFIX + id):
 * 0, or -1 when id is not a stream id (digits, '-', digits) or too long.
 */
int harvest_plan_id(const char *id, char out[PLAN_ID_MAX + 1]);

/*
 * Checks, in order: duplicate fields, symbol and action present, symbol
 * allowlist, action (CLOSE or PARTIAL_CLOSE, any case), percentage
 * (absent: 1; else a plain decimal above 0 and at most 1), the optional
 * strings' lengths (reason, R_net, pnl_usd, entry_price, exit_price: each
 * at most the size of its trade.closed field).  PLAN_OK fills ok (side
 * CLOSE, reduce-only, leverage 1, qty 0, close_fraction the percentage in
 * 1e-8 units) and t (for trade.closed: model_id HARVEST_MODEL_ID, source
 * HARVEST_SOURCE, the entry's reason, R_net, pnl_usd and prices, written
 * after every close of the entry); PLAN_REJECT puts the result error in
 * err: duplicate_field:<name>, missing_required_fields,
 * symbol_not_in_allowlist:<sym>, invalid_action:<v>,
 * invalid_percentage:<v>, field_too_long:<name>.  ok->plan_id is set
 * from id whatever the verdict (harvest_plan_id()), "" when id is bad.
 */
enum plan_verdict harvest_check(const struct settings *s,
    const struct harvest *h, const char *id, struct plan_ok *ok,
    struct trade_tags *t, char *err, size_t errlen);

/* The action, sanitized, for logs ("" when absent). */
void harvest_action(const struct harvest *h, char *out, size_t sz);

#endif
