/*
 * result.h - the one result entry of a decided plan, written together with
 * its counters, its done key and claim fields, its audit entry (a plan_id
 * conflict) and the XACK of its entry by one script (settle.h) that
 * writes all of it or nothing, so that a plan is either wholly decided in
 * Redis or still pending.
 * Talks only to the connection it is given, through the connection layer.
 */
#ifndef QIE_RESULT_H
#define QIE_RESULT_H

#include <stdint.h>

#include "config.h"
#include "conn.h"
#include "counters.h"
#include "msg.h"
#include "permit.h"
#include "plan.h"

struct result {
	/* pointers first, then ints, then the strings (no padding) */
	const char *stream_id;          /* entry to acknowledge */
	const struct exec_res *res;     /* the executor's answer, if any */
	const struct permit *permit;    /* the permit, if one was read */
	const char *reset_key;          /* SET to 0 with the result, or NULL */
	const char *claim_state;        /* its state then; NULL: "settled" */
	const char *audit_reason;       /* with it, an audit entry
					   (action plan.conflict) in the same
					   script */
	const char *guard;              /* the step that decided: lane, decision,
					   checks, safety, permit, executor,
					   exchange */
	const struct plan_ok *plan;     /* the plan sent, if any: with a fill
					   (res executed, filled, an order
					   id) the position ledger moves in
					   the same script (position.h) */
	const struct trade_tags *tags;  /* its trade.closed fields, or NULL */
	enum lane lane;
	int executed;
	int claimed;                    /* the plan has a claim to settle */
	int guard_refused;              /* refused at its lane guard: takes
					   nothing in the plan_id space (no
					   done key, no claim field) */
	char side[16];
	unsigned char counts[C_COUNT];  /* HINCRBY by this much each */
	char decision[20];
	char symbol[SYMBOL_MAX + 8];
	char qty[40];
	char source[68];
	char plan_id[PLAN_ID_MAX + 4];  /* sanitized */
	char error[ERROR_MAX];
};

/* A harvest entry's error when the position was flat: it was skipped
 * (nothing sent; neither harvest_executed nor harvest_failed). */
#define HARVEST_SKIPPED "close_no_position"

/* Counts c once more in r's transaction (and, for a harvest-lane result,
 * harvest_executed or harvest_failed by its outcome, result.c). */
void result_count(struct result *r, enum counter c);

/* r zeroed, then the entry's and the plan's fields (sanitized) set. */
void result_from_plan(struct result *r, enum lane lane, const char *id,
    const struct plan *p);

/*
 * What result_commit() and result_ack() did (one round trip, one script:
 * all or nothing, see settle.c).  SETTLE_FAILED: nothing was written and
 * the entry is not acknowledged; why names the command Redis refused and
 * its error ("WRONGTYPE ... [XADD quantum:stream:apply.result]"), the
 * caller retries with backoff; k is marked lost only when no reply came
 * or the master moved.
 */
enum settle { SETTLE_FAILED = -1, SETTLE_WRITTEN = 0, SETTLE_DECIDED = 1 };

/*
 * Writes the result entry, the audit entry (with audit_reason), counters,
 * the cooldown key (when executed), the inflight key's removal (when the
 * plan went to the executor and the key still holds its plan_id, not
 * another lane's plan of the symbol), the breaker's reset, and
 * the XACK, in that order, the XACK only when everything before it
 * succeeded; when the plan has an id and was not refused at its lane
 * guard, also (after the result) its done key and, in its claim hash, the
 * field decided_<lane> (this lane has decided the plan_id: later copies on
 * the lane are only acknowledged) and, for a claimed plan, its state.  A
 * claimed plan that its lane decided already (another consumer of the
 * lane, or this one before a reply was lost) gets no second result:
 * SETTLE_DECIDED, its entry only acknowledged.  The check and the writes
 * are one script: nothing can decide the plan in between.  With a fill
 * (r->plan set, r->res executed with a filled quantity and an order id),
 * the same script counts the fill in the position ledger once per order
 * id (position.h), and the worker logs LEDGER_COMMIT when it did.
 */
int result_commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    char *why, size_t whylen);

/*
 * An entry acknowledged without a result, counting each of the nc
 * counters c[] once, in the same all-or-nothing way: SETTLE_WRITTEN or
 * SETTLE_FAILED.
 */
int result_ack(struct conn *k, const char *stream, const char *group,
    const char *id, const enum counter *c, int nc, char *why, size_t whylen);

/* A copy of an entry for <stream>.dead: n arguments, field value ... */
struct dead_copy {
	const char *key;
	const char *const *argv;
	const size_t *len;
	size_t n;
};

/*
 * For a caller's own MULTI (the dead-letter move): result_commit()'s
 * script appended to k's pipeline (one reply), with the entry's copy
 * XADDed to dead right after the result when dead is not NULL; and an
 * entry's reply read (x: its item of the script's reply, conn_part()),
 * as result_commit() returns.
 */
void result_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    const struct dead_copy *dead);
int result_reply(struct conn *k, const redisReply *x, const struct result *r,
    char *why, size_t whylen);

#endif
