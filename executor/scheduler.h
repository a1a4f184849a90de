/*
 * scheduler.h - which request the executor starts next.  A pure module: no
 * I/O, no clock of its own, no curl; the executor's main loop asks it
 * whenever a request arrives or one ends.
 *
 * Each lane has its own queue (SCHED_QUEUE_MAX) and its own limit of
 * requests in flight (SCHED_INFLIGHT_MAIN, SCHED_INFLIGHT_MANUAL,
 * SCHED_INFLIGHT_HARVEST), so a main lane full of work never takes the
 * other lanes' slots.  At most one request per symbol is in flight,
 * whichever lane it came from; within a lane the requests of one symbol
 * start in their order of arrival.  The manual lane goes first, then the
 * harvest lane (exits before opens), then the main lane: a lane's next
 * request starts at the first free slot of its symbol, before anything a
 * later lane queued, and a request for another symbol never waits for a
 * later lane's work.  A request
 * whose deadline has passed is handed out at once, whatever the limits
 * and busy symbols (it is answered plan_stale and sends nothing); the
 * loop wakes at sched_next_deadline() for that.
 *
 * May: order and count the items it is given.  May not: look inside them
 * beyond lane, symbol and deadline; allocate.
 */
#ifndef QIE_SCHEDULER_H
#define QIE_SCHEDULER_H

#include <stdint.h>

#include "msg.h"

#define SCHED_QUEUE_MAX 256     /* waiting, per lane (a worker's JOBS_MAX) */
#define SCHED_INFLIGHT_MAIN 12
#define SCHED_INFLIGHT_MANUAL 4
#define SCHED_INFLIGHT_HARVEST 4

enum sched_state { SI_IDLE = 0, SI_QUEUED, SI_RUNNING };

struct sched_item {
	enum lane lane;
	char symbol[SYMBOL_MAX + 1];
	int64_t deadline_ms;            /* wall ms; after it, never started */
	enum sched_state state;         /* the scheduler's */
	struct sched_item *next;        /* the scheduler's: its lane's queue */
};

struct sched {
	struct sched_item *head[LANE_COUNT], *tail[LANE_COUNT];
	int queued[LANE_COUNT];
	int running[LANE_COUNT];
	int limit[LANE_COUNT];
	struct sched_item *run[SCHED_INFLIGHT_MAIN + SCHED_INFLIGHT_MANUAL];
	int nrun;
};

/* Empty, with the main and manual lanes' limits of items in flight (1 or
 * more, clamped to SCHED_INFLIGHT_<LANE>); the harvest lane's is
 * SCHED_INFLIGHT_HARVEST. */
void sched_init(struct sched *s, int main_limit, int manual_limit);
/* Queues it (lane, symbol and deadline set); -1 when its lane's queue is
 * full (it is not queued then). */
int sched_push(struct sched *s, struct sched_item *it);
/*
 * The item to start now (now_ms: wall ms), or NULL.  *expired = 1: its
 * deadline has passed; it is not counted as running (no sched_done).
 * Else it runs until sched_done.
 */
struct sched_item *sched_next(struct sched *s, int64_t now_ms, int *expired);
/* A running item has ended. */
void sched_done(struct sched *s, struct sched_item *it);
/* Takes a queued item out (its lane's link closed); 0, or -1 if it was
 * not queued. */
int sched_cancel(struct sched *s, struct sched_item *it);
/* The earliest deadline of a queued item; INT64_MAX when none waits. */
int64_t sched_next_deadline(const struct sched *s);

#endif
