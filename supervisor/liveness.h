/*
 * liveness.h - is every child still running its loop, and what the
 * children tell the supervisor (see liveness.c).
 */
#ifndef QIE_LIVENESS_H
#define QIE_LIVENESS_H

#include <stdint.h>

#include "children.h"

#define PING_EVERY_MS 1000
#define HANG_MS 7000            /* a ping this old unanswered: hung */

/* Sends the pings that are due, kills a child that stopped answering;
 * returns ms until the next ping is due. */
int64_t live_tick(struct supervisor *sv, int64_t now);
/* A worker's report pipe is readable: MSG_READY, MSG_PONG. */
void live_read_worker(struct supervisor *sv, enum role role);
/* The executor's control socket is readable: MSG_PONG, MSG_STATE. */
void live_read_executor(struct supervisor *sv);

#endif
