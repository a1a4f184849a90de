/*
 * loop.h - the executor's one event loop: poll(2) over the descriptors
 * registered here (the control socket, the signalfd, each lane's link and
 * the exchange connections libcurl asks for) and timers (libcurl's, the
 * binance backend's back-offs and pauses, the scheduler's deadlines,
 * completions deferred to the next turn).  Nothing in the executor
 * sleeps or blocks: a wait is a timer here.
 *
 * One loop per process (static state).  Callbacks may register, change
 * and remove descriptors and timers, including their own.
 *
 * May: poll and call back.  May not: read or write a descriptor itself.
 */
#ifndef QIE_LOOP_H
#define QIE_LOOP_H

#include <stdint.h>

#define LOOP_FDS_MAX 64         /* the sandbox's RLIMIT_NOFILE */

struct loop_timer {
	int64_t at;                     /* mono ms */
	void (*fn)(void *arg);
	void *arg;
	int armed;
	unsigned round;                 /* the loop's: the turn it was armed in */
	struct loop_timer *next;        /* the loop's list of armed timers */
};

/* events: POLLIN | POLLOUT; fn gets the revents.  A second call for the
 * same fd replaces the first.  -1 when the table is full. */
int loop_watch(int fd, short events, void (*fn)(void *arg, int fd,
    short revents), void *arg);
void loop_unwatch(int fd);
/* Arms t (again) for mono ms at; a deferred call is loop_at(t, 0, ...). */
void loop_at(struct loop_timer *t, int64_t at, void (*fn)(void *arg),
    void *arg);
void loop_cancel(struct loop_timer *t);
/*
 * One turn: waits for a descriptor or the next timer, at most max_ms
 * (-1: no limit), then runs what is due: descriptors first, then timers.
 */
void loop_turn(int max_ms);
/* Turns until done(arg) says 1 or timeout_ms passed (at start, before the
 * sandbox); 0 when done, -1 on timeout. */
int loop_run_until(int (*done)(void *arg), void *arg, int timeout_ms);

#endif
