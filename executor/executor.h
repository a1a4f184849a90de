/*
 * executor.h - the executor's decision for one request: re-check it as if
 * the worker that sent it were hostile, size it, and place it.
 */
#ifndef QIE_EXECUTOR_H
#define QIE_EXECUTOR_H

#include "backend.h"
#include "config.h"
#include "lane_limits.h"
#include "msg.h"

/*
 * Fills res for q arriving on lane (known from the link, never from q).
 * Always produces a result: executed=1 with the fill, or executed=0 with
 * an error "word:detail" and status NOT_SENT when the executor refused it
 * itself (checks, sizing, limits), or the backend's status once the
 * backend tried to place it.
 */
void executor_handle(const struct settings *s, struct backend *b,
    struct limits *l, enum lane lane, const struct exec_req *q,
    struct exec_res *res);

/* The request checks alone (the same on every lane): 0, or -1 with a
 * result error in err. */
int executor_check(const struct settings *s, const struct exec_req *q,
    char *err, size_t errlen);

#endif
