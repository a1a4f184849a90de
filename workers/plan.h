/*
 * plan.h - a plan entry as read from a lane's stream, and the checks that
 * need no Redis: field checks, decision guard, symbol allowlist, side, qty,
 * reduceOnly.
 * Pure functions over the entry's (field, value) byte strings.
 */
#ifndef QIE_PLAN_H
#define QIE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "config.h"
#include "msg.h"

#define FIELD_MAX 256   /* longest value accepted in a known field */
#define LEVERAGE_MAX MSG_LEVERAGE_MAX

struct plan {
	struct bytes plan_id, source, symbol, side, type, qty, reduce_only,
	    decision, error, reason, reason_codes, payload, timestamp, action,
	    leverage, confidence, model_id, r_net;
	const char *dup;        /* name of a known field given twice */
};

/* Collects the known fields of an entry: nf (field, value) pairs. */
void plan_from_fields(struct plan *p, const struct bytes *fields, size_t nf);

/*
 * The same for any struct of struct bytes (plan.c, harvest.c): each
 * known name's value at its offset in obj (zeroed first; an empty value
 * is "", an absent one NULL), and *dup the first name given twice.
 */
struct field_name {
	const char *name;
	size_t off;             /* of its struct bytes in obj */
};
void fields_collect(void *obj, size_t objsz, const struct field_name *k,
    size_t nk, const struct bytes *fields, size_t nf, const char **dup);

/* A symbol of 1..SYMBOL_MAX letters and digits, upper-cased into out
 * (SYMBOL_MAX + 1 bytes): 1, else 0. */
int plan_symbol(struct bytes b, char *out);
/* b equals s, any case. */
int bytes_eq_ci(struct bytes b, const char *s);

/* A plan that passed every check below, in the executor's terms. */
struct plan_ok {
	char plan_id[PLAN_ID_MAX + 1];
	char symbol[SYMBOL_MAX + 1];
	uint8_t side;
	int reduce_only;
	int leverage;           /* 1 to LEVERAGE_MAX (1 when absent) */
	int64_t qty;            /* a harvest entry's: 0 (the position's) */
	int64_t close_fraction; /* side CLOSE: the part of the position
				   (CLOSE_WHOLE: all of it); else 0 */
	int64_t plan_ms;        /* its time, unix ms (set by the worker) */
	int recovery;           /* sent before a crash: settle, never resend */
};

enum plan_verdict {
	PLAN_OK = 0,            /* queue it for its permit */
	PLAN_REJECT = 1,        /* result executed=false with err */
	PLAN_DECISION = 2,      /* same, and it counts as p35_guard_blocked */
};

/*
 * Runs, in order: duplicate fields, decision guard, field presence and
 * bounds, symbol allowlist, side (BUY, SELL, or CLOSE: the whole current
 * position, always reduce-only), type, quantity, reduceOnly, leverage.
 * Fills ok on PLAN_OK;
 * otherwise err holds the result error ("word:detail", printable ASCII).
 * ok->plan_id is set whenever the entry has one valid plan_id, whatever
 * the verdict (so a copy of a decided plan is recognized), else "".
 */
enum plan_verdict plan_check(const struct settings *s, const struct plan *p,
    struct plan_ok *ok, char *err, size_t errlen);

/*
 * reduceOnly: absent means reduce-only (1); a boolean (bool_parse) as
 * written; any other text -1 (plan_check: invalid_reduce_only:<value>).
 */
int plan_reduce_only(const struct plan *p);

/*
 * leverage: absent or empty means 1; digits for 1 to LEVERAGE_MAX as
 * written; anything else -1 (plan_check: invalid_leverage:<value>).
 */
int plan_leverage(const struct plan *p);

/*
 * What a plan says about its trade, carried into the trade.closed entry
 * when its fill makes the position flat (workers/position.c): the plan's
 * confidence, model_id, R_net and reason, sanitized ("" when absent).  A
 * harvest entry (harvest.h) also gives the entry's source, pnl_usd and
 * prices (each "": computed), and every_close: its trade.closed is
 * written after every close it makes, partial or whole.
 */
struct trade_tags {
	char confidence[32];
	char model_id[68];
	char r_net[32];
	char reason[128];
	char source[32];
	char pnl_usd[32];
	char entry_price[32];
	char exit_price[32];
	int every_close;
};
void plan_tags(const struct plan *p, struct trade_tags *t);

/* Sanitized copy of a field for logs and results ("" when absent). */
void plan_field(char *dst, size_t sz, struct bytes b);

/* The first 8 bytes of a plan_id, as the logs show it. */
void plan_id8(char out[9], const char *plan_id);

#endif
