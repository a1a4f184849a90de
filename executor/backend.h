/*
 * backend.h - what the executor asks of an exchange backend.  The executor
 * core (executor.c) checks and sizes; a backend only answers filters and
 * prices and places an order it is given, already checked and sized.
 * Every call is asynchronous: it answers through the event loop, so one
 * slow request holds up no other.
 */
#ifndef QIE_BACKEND_H
#define QIE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "filters.h"
#include "loop.h"
#include "msg.h"

struct order {
	const char *symbol;
	const char *coid;       /* client order id, derived from plan_id */
	uint8_t side;
	int reduce_only;
	int64_t qty;            /* sized, 1e-8 units */
};

/*
 * One request on its way through the executor (executor.c) and its
 * backend.  The executor fills the request and calls the backend; the
 * backend answers by calling j->done(j) once, always from the event loop
 * (loop.h), never from inside the call that started it.
 */
struct exec_env;

struct job {
	struct exec_req q;
	struct exec_res res;
	int64_t deadline_ms;    /* wall ms: nothing is sent after it */
	int max_age_sec;        /* INTENT_EXECUTOR_MAX_PLAN_AGE_SEC, for errors */
	int need_mark;          /* prepare: the mark price is needed too */
	struct symbol_filter f; /* prepare's answer */
	int64_t mark;           /* prepare's answer; 0 = unknown */
	struct order o;         /* what place sends */
	void (*done)(struct job *j);    /* the backend's step is over */
	struct loop_timer t;    /* the backend's: a deferred answer */
	void *bk;               /* the backend's own state of this job */
	/* the executor's (executor.c) */
	enum lane lane;
	struct exec_env *env;
	void (*finished)(struct job *j);
	struct loop_timer et;   /* a refusal, answered on the next turn */
	void *owner;            /* whoever started it (main.c) */
	/*
	 * A close (side CLOSE): its quantity is known only to the backend,
	 * from the position; the backend calls this with it before sending.
	 * The executor's sizing and limits then apply (counted once per
	 * job): 0 to send, or -1 with the result error in res.error.
	 */
	int (*close_limits)(struct job *j, int64_t qty);
	int limited;            /* close_limits() counted it */
};

struct backend {
	const char *name;
	void *state;
	/*
	 * Looks up j's symbol filter into j->f and, when j->need_mark, its
	 * mark price into j->mark (0 when unknown); without a filter, a result
	 * error in j->res.error.  Then j->done(j).
	 */
	void (*prepare)(void *st, struct job *j);
	/*
	 * Places j->o (idempotent per coid) and fills j->res (an error in
	 * res.error when not executed), then j->done(j).  At the moment it
	 * would send, a job past j->deadline_ms is refused (job_stale):
	 * nothing is sent.
	 */
	void (*place)(void *st, struct job *j);
	/*
	 * Can it trade?  1 with a description in text, or 0 with why not (it
	 * tries again in the background).  Never blocks.  NULL: always (paper).
	 */
	int (*ready)(void *st, char *text, size_t sz);
	/* What it did, one line for the log at exit; NULL: nothing to say. */
	void (*stats)(void *st, char *text, size_t sz);
};

/*
 * Past its deadline at now_ms (wall)?  1 with "plan_stale:age N s above
 * M s" in j->res.error and status NOT_SENT (deadline.c), else 0.
 */
int job_stale(struct job *j, int64_t now_ms);

int paper_backend_init(struct backend *b, const char *filter_spec,
    char *err, size_t errlen);

struct settings;
struct credentials;
/*
 * The binance backend (binance.c): Binance USDT-M futures at the settings'
 * base URL, trading only the settings' symbol allowlist.  Keeps its own
 * copy of c (the caller wipes its own).  -1 with err on failure.
 */
int binance_backend_init(struct backend *b, const struct settings *s,
    const struct credentials *c, char *err, size_t errlen);

#endif
