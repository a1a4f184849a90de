/*
 * result.h - the one result entry of a decided plan, written together with
 * its counters, its done key and the XACK of its entry in one MULTI/EXEC,
 * so that a plan is either wholly decided in Redis or still pending.
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

struct result {
	enum lane lane;
	const char *stream_id;          /* entry to acknowledge */
	char plan_id[PLAN_ID_MAX + 4];  /* sanitized */
	char symbol[SYMBOL_MAX + 8];
	char side[16];
	char qty[40];
	char source[68];
	char decision[20];
	int executed;
	char error[ERROR_MAX];
	const struct exec_res *res;     /* the executor's answer, if any */
	const struct permit *permit;    /* the permit, if one was read */
	unsigned char counts[C_COUNT];  /* HINCRBY by this much each */
	const char *reset_key;          /* SET to 0 in the same MULTI, or NULL */
	int claimed;                    /* the plan has a claim to settle */
	const char *claim_state;        /* its state then; NULL: "settled" */
	int guard_refused;              /* refused at its lane guard: takes
					   nothing in the plan_id space (no
					   done key, no claim field) */
	const char *audit_reason;       /* with it, an audit entry
					   (action plan.conflict) in the same
					   MULTI */
	const char *guard;              /* the step that decided: lane, decision,
					   checks, safety, permit, executor,
					   exchange */
};

/* Counts c once more in r's transaction. */
void result_count(struct result *r, enum counter c);

/* r zeroed, then the entry's and the plan's fields (sanitized) set. */
void result_from_plan(struct result *r, enum lane lane, const char *id,
    const struct plan *p);

/*
 * Writes the result entry, counters, the cooldown and inflight keys (when
 * executed), and the XACK; when the plan has an id and was not refused at
 * its lane guard, also its done key and, in its claim hash, the field
 * decided_<lane> (this lane has decided the plan_id: later copies on the
 * lane are only acknowledged) and, for a claimed plan, its state.  A
 * claimed plan that its lane decided already (another consumer of the
 * lane) gets no second result: its entry is only acknowledged.
 * Returns 0, or -1 when Redis failed: k is then marked lost (the worker
 * reconnects, and the plan is written again or read again).
 */
int result_commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r);

/*
 * The commands of result_commit() between MULTI and EXEC, appended to k's
 * pipeline for a caller's own MULTI (the dead-letter move); returns how
 * many replies they will bring.
 */
int result_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r);

/*
 * Whether lane has decided plan_id (its claim's decided_<lane> field):
 * 1 yes, 0 no, -1 Redis lost or erring.
 */
int result_decided(struct conn *k, enum lane lane, const char *plan_id);

/* The details JSON alone (for tests); caller frees. */
char *result_details(const struct result *r, long long ts);

#endif
