/*
 * requests.h - the requests the executor holds: each lane's arrive here
 * from its link (main.c), wait in the scheduler (scheduler.h), run through
 * executor.c and its backend, many at a time, and leave as results through
 * deliver.  A request whose plan's deadline passes while it waits is
 * answered plan_stale at that moment (a timer), nothing sent.
 *
 * May: hold up to a scheduler's worth of requests per lane.  May not:
 * answer a request twice, or to a link other than the one it came on.
 */
#ifndef QIE_REQUESTS_H
#define QIE_REQUESTS_H

#include "executor.h"
#include "msg.h"

/* gen: the link's generation, bumped by main.c whenever a lane's link is
 * replaced or closed, so that a late result never reaches a new worker. */
typedef void (*deliver_fn)(enum lane lane, unsigned gen,
    const struct exec_res *res);

void requests_init(struct exec_env *env, deliver_fn deliver);
/* A request from lane's link of generation gen; its result comes through
 * deliver (at once, with an error, when the lane's queue is full). */
void requests_add(enum lane lane, unsigned gen, const struct exec_req *q);
/* The lane's link of generation gen is gone: its waiting requests are
 * dropped (the next worker sends them again), its running ones end unseen. */
void requests_drop(enum lane lane, unsigned gen);
/* Requests started and not yet answered. */
int requests_running(void);
/* Results delivered so far on lane. */
unsigned long long requests_served(enum lane lane);

#endif
