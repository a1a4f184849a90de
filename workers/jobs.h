/*
 * jobs.h - the plans a worker holds in memory, at most JOBS_MAX, in one
 * FIFO per symbol.  Only the head of a symbol's queue waits for its permit
 * or is at the executor, so a plan without a permit holds back later plans
 * of its own symbol and no others.  Pure bookkeeping, no I/O.
 */
#ifndef QIE_JOBS_H
#define QIE_JOBS_H

#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "permit.h"
#include "plan.h"

#define JOBS_MAX 256

enum job_state {
	JOB_FREE = 0,
	JOB_QUEUED,             /* behind an earlier plan of its symbol */
	JOB_WAITING,            /* head: waiting for its permit */
	JOB_SENT,               /* head: request at the executor */
	JOB_UNWRITTEN,          /* head: decided, result not yet in Redis */
};

struct job {
	enum job_state state;
	char stream_id[48];
	struct plan_ok ok;
	char source[68];
	char decision[20];
	struct trade_tags tags; /* for trade.closed (position.h) */
	int consumed_manual;
	int sym;                /* index into the symbol allowlist */
	int64_t wait_start, next_poll;
	int polls;
	uint32_t seq;
	struct permit permit;
	int permit_read;
	int executed;
	char error[ERROR_MAX];
	const char *guard;      /* the step that decided (result.h) */
	int conflict;           /* refused: the other lane has its plan_id */
	struct exec_res res;    /* valid when res.seq == seq and SENT is over */
	int answered;           /* SENT, res in: its result is written next */
	/* QUEUED: its permit, read ahead (poll.c), allowed it; the text read,
	 * which must still be the key's when its sent step rides */
	int ahead;
	char ahead_permit[256];
	struct job *next;
};

struct jobs {
	struct job pool[JOBS_MAX];
	int used;
	struct job *head[LIST_MAX], *tail[LIST_MAX];
};

void jobs_init(struct jobs *j);
int jobs_room(const struct jobs *j);
/* A free job, zeroed; NULL when JOBS_MAX are in use. */
struct job *jobs_new(struct jobs *j);
/* Appends to its symbol's queue; 1 when it is now the head. */
int jobs_enqueue(struct jobs *j, struct job *job);
/* Frees the head job and returns the next one of its symbol, or NULL. */
struct job *jobs_pop(struct jobs *j, struct job *job);
/* Frees every job not yet at the executor (they stay pending in Redis). */
void jobs_drop_unsent(struct jobs *j);
struct job *jobs_by_stream_id(struct jobs *j, const char *id);
struct job *jobs_by_plan_id(struct jobs *j, const char *plan_id);
struct job *jobs_by_seq(struct jobs *j, uint32_t seq);
int jobs_count(const struct jobs *j, enum job_state st);

#endif
