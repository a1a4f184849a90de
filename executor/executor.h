/*
 * executor.h - the executor's decision for one request: re-check it as if
 * the worker that sent it were hostile, size it, and place it, in steps
 * that each end in the event loop (the backend answers there).
 */
#ifndef QIE_EXECUTOR_H
#define QIE_EXECUTOR_H

#include "backend.h"
#include "config.h"
#include "lane_limits.h"
#include "msg.h"

/* What every request is checked, sized and placed with. */
struct exec_env {
	const struct settings *s;
	struct backend *b;
	struct limits *l;
};

/*
 * Starts j (j->q filled, j->deadline_ms set) arriving on lane (known from
 * the link, never from the request).  finished(j) is called once, from
 * the event loop, with the result in j->res: executed=1 with the fill, or
 * executed=0 with an error "word:detail" and status NOT_SENT when the
 * executor refused it itself (checks, an opening of a symbol that drifted:
 * drift.h, sizing, limits, deadline), or the
 * backend's status once the backend tried to place it.
 */
void executor_start(struct exec_env *env, enum lane lane, struct job *j,
    void (*finished)(struct job *j));

/* The request checks alone (the same on every lane): 0, or -1 with a
 * result error in err. */
int executor_check(const struct settings *s, const struct exec_req *q,
    char *err, size_t errlen);
/* What the request's lane (its link) allows: on a LANE_F_ONLY_REDUCES
 * lane, reduce-only requests alone (else lane_policy:...): 0 or -1. */
int executor_check_lane(enum lane lane, const struct exec_req *q, char *err,
    size_t errlen);
/* An opening request's leverage within the lane's maximum
 * (INTENT_EXECUTOR_MAX_LEVERAGE_*): 0, or -1 with leverage_above_max:<n>.
 * A reduce-only request is not checked: it never sets the leverage. */
int executor_check_leverage(const struct settings *s, enum lane lane,
    const struct exec_req *q, char *err, size_t errlen);

#endif
