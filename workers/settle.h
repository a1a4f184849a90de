/*
 * settle.h - the settle script and its call: up to SETTLE_MAX entries of
 * one lane decided by one script call (one round trip), each all or
 * nothing on its own: its result entry, its done key and claim fields,
 * its audit entry, its copy for the dead-letter stream, the cooldown and
 * inflight keys, the position ledger (position.h), then for the whole
 * call the counters, the breaker's reset and one XACK of every entry
 * whose writes all succeeded.  result.c reads what each entry got.
 * Talks only to the connection it is given, through the connection layer.
 */
#ifndef QIE_SETTLE_H
#define QIE_SETTLE_H

#include <hiredis/hiredis.h>

#include "conn.h"
#include "position.h"
#include "result.h"

/* the entries of one call, at most */
#define SETTLE_MAX 64

/* One entry of a call: its result r (NULL: acknowledged without one). */
struct settle_item {
	const struct result *r;
	const char *id;                 /* the entry */
	const unsigned char *counts;    /* C_COUNT: HINCRBY by this much each */
	const struct dead_copy *dead;   /* with it, the copy (or NULL) */
};

/*
 * Appends one script call for the n items (1..SETTLE_MAX) to k's
 * pipeline: one reply (below).
 */
void settle_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct settle_item *it,
    int n);

/*
 * The call's reply has one element per item (read with conn_part()):
 * {'ok', result id, ledger}, {'partial', result id, ledger, error ...},
 * {'decided'} or an error; or it is an error for the whole call (no
 * reply, NOSCRIPT, an error before anything was written).
 */

/* r's fill for the position ledger: 1 (f set), or 0 when it has none. */
int settle_fill(const struct result *r, struct position_fill *f);

/*
 * Loads the settle script into Redis on k (after every connect; script.c):
 * k's results are then sent as EVALSHA (the script's text once, not with
 * every plan); when Redis refuses (an ACL without SCRIPT LOAD) they are
 * sent as EVAL.  After a NOSCRIPT reply (the script was flushed: that
 * result is retried) the next one goes as EVAL, which caches it again.
 * 0, or -1 (logged).
 */
int settle_load(struct conn *k);

/* The details JSON alone (for tests); caller frees. */
char *result_details(const struct result *r, long long ts);

#endif
