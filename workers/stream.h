/*
 * stream.h - the worker's stream layer: a lane's stream read through its
 * consumer group, in batches of entries.
 *
 * Our own pending entries are read first (ID 0, then after the last one
 * read), new ones with a blocking XREADGROUP on a connection of their own,
 * and entries that dead consumers left pending are taken over
 * (XAUTOCLAIM).  A group that vanishes (NOGROUP) is created again.
 * Entries read again carry their delivery count (XPENDING)
 * for the dead-letter check.  A batch is only data: what to do with an
 * entry is the caller's business.
 *
 * May: read the stream and its group (XREADGROUP, XAUTOCLAIM, XPENDING),
 * create the group.  May not: call anything above the connection layer,
 * acknowledge or decide an entry.
 */
#ifndef QIE_STREAM_H
#define QIE_STREAM_H

#include <stddef.h>

#include "bytes.h"
#include "conn.h"

struct stream {
	const char *key;                /* the lane's stream */
	const char *group, *consumer;
	int claim_min_idle_ms;          /* XAUTOCLAIM's min-idle-time */
	int pel_slack;                  /* our other pending entries that may
					   lie within a batch's id range */
	long long max_age_ms;           /* INTENT_EXECUTOR_MAX_PLAN_AGE_SEC:
					   where a new group starts */
};

struct entry {
	const char *id;
	const struct bytes *f;          /* nf: field, value, field, value ...;
					   NULL: deleted while pending */
	size_t nf;
	long long deliveries;           /* read again: its delivery count;
					   new, or unknown: 0 */
};

struct batch {
	struct entry *e;
	size_t n;                       /* entries in e[] */
	size_t got;                     /* in the reply, malformed ones too */
	void *reply;                    /* what e[] points into */
	struct bytes *store;
	const char *refused;            /* Redis's error when the read was
					   refused (b empty), else NULL */
};

void batch_free(struct batch *b);

/*
 * Creates the group if it is missing (MKSTREAM; an existing one is fine)
 * at Redis's time minus the max plan age, "<ms>-0", never at "$": every
 * plan still young enough to execute is delivered, older entries are not.
 * A creation is logged with its start id and what it delivers: INFO, or
 * ERROR naming why the group was gone when gone is not NULL (a group this
 * worker had used before).  0, or -1 (logged, or the connection lost).
 */
int stream_create_group(struct conn *k, const struct stream *s,
    const char *gone);

/*
 * Up to count of our own pending entries after cursor ("0" at first): 0
 * with b filled and cursor moved to the last id read (b->got == 0: none
 * left), or -1 (an error reply: b->refused says it, logged here unless
 * transient; or the connection lost).  b is batch_free()d either way.
 */
int stream_read_pending(struct conn *k, const struct stream *s, char *cursor,
    size_t cursor_sz, int count, struct batch *b);

/* Sends the blocking read of up to count new entries on rd: 0, or -1. */
int stream_start_read(struct conn *rd, const struct stream *s, int count);
/*
 * Reads what arrived on rd: 1 when the reply is complete (b filled; empty
 * after an error reply, with b->refused: logged here unless it is
 * transient, conn_transient(), which the caller retries), 0 not yet, -1 a
 * connection lost.  k (commands) recreates the group if it is gone.
 */
int stream_finish_read(struct conn *rd, struct conn *k,
    const struct stream *s, struct batch *b);

/*
 * One XAUTOCLAIM of up to count entries idle for claim_min_idle_ms, from
 * cursor ("0-0" at first; "0-0" again when the scan is over): 0 with b
 * filled and cursor moved, or -1 (unexpected reply, logged, or lost).
 */
int stream_autoclaim(struct conn *k, const struct stream *s, char *cursor,
    size_t cursor_sz, int count, struct batch *b);

#endif
