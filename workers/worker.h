/*
 * worker.h - a lane worker: one lane's stream in, requests to the executor
 * out, one result per plan back into Redis.
 *
 * May: talk to Redis (the lane's stream and group, the permit keys, the
 * manual-lane key, the result stream, the metrics hash, the done, cooldown
 * and inflight keys) and to the executor over its link (fd 3).
 * May not: hold exchange credentials, open files, start processes.
 */
#ifndef QIE_WORKER_H
#define QIE_WORKER_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "config.h"
#include "frame.h"
#include "jobs.h"
#include "msg.h"
#include "result.h"

#define LINK_FD 3
#define CTL_FD 4        /* from the supervisor: MSG_AUTH, MSG_VIOLATION */
#define READY_FD 5      /* to the supervisor: 'R' once Redis answered */

struct worker {
	struct settings s;
	enum lane lane;
	const char *stream, *group;
	char consumer[160];
	char lane_tag[16];              /* "lane=main" */

	redisContext *rc;               /* commands */
	redisContext *rs;               /* blocking XREADGROUP */
	int rs_waiting;
	int pending_mode;               /* re-reading our own pending entries */
	char pending_cursor[48];
	int64_t reconnect_at, reconnect_delay;

	struct frame_in in;
	struct frame_out out;
	uint32_t next_seq;
	struct jobs jobs;

	int manual_state;               /* -1 unknown, 0 off, 1 on */
	int ttl_cap_logged;             /* TTL above the cap already said */
	int64_t next_heartbeat, next_autoclaim;
	int stopping;
	int64_t stop_deadline;
	int ctl_fd, ready_fd;           /* -1 once closed */
	struct frame_in ctl_in;
	char redis_user[64];            /* from MSG_AUTH: "" = default user */
	char redis_password[512];       /* from MSG_AUTH; never logged */
	unsigned violations[3];         /* to count: executor, main, manual */
};

/* redis.c */
int wr_connect(struct worker *w);
void wr_lost(struct worker *w, const char *why);
void wr_read_pending(struct worker *w);
void wr_start_blocking_read(struct worker *w);
void wr_finish_blocking_read(struct worker *w);
void wr_autoclaim(struct worker *w);
redisReply *wr_cmd(struct worker *w, const char *fmt, ...);

/* control.c */
void ctl_read_auth(struct worker *w);
void ctl_read(struct worker *w);
void ctl_count_violations(struct worker *w);
void ctl_ready(struct worker *w);

/* lane.c */
void lane_entry(struct worker *w, const char *id, const redisReply *fields);
void lane_poll_permits(struct worker *w);
int64_t lane_next_poll(struct worker *w);
void lane_on_result(struct worker *w, const struct exec_res *res);
void lane_retry_unwritten(struct worker *w);
/* Manual lane: reads the key; -1 on Redis failure, else 0/1 and *ttl. */
int lane_manual_enabled(struct worker *w, long long *ttl);
void lane_log_manual_state(struct worker *w, int enabled, long long ttl,
    int always);

#endif
