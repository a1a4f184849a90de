/*
 * worker.h - a lane worker: one lane's stream in, requests to the executor
 * out, one result per plan back into Redis.
 *
 * May: talk to Redis (the lane's stream and group, the permit keys, the
 * manual-lane key, the result stream, the metrics hash, the done, claim,
 * cooldown and inflight keys, the lane's <stream>.dead), to the Redis
 * Sentinels of REDIS_SENTINELS (one query: where is the master), and to
 * the executor over its link (fd 3).
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
#define CTL_FD 4        /* from the supervisor: MSG_AUTH, MSG_PING, ... */
#define READY_FD 5      /* to the supervisor: MSG_READY, MSG_PONG */

/* What the supervisor tells the main worker to count (control.c). */
enum ctl_event { CTL_VIOLATION, CTL_HUNG, CTL_EVENTS };

struct sentinel_node {
	char addr[48];                  /* numeric, resolved before the sandbox */
	int port;
};

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
	int authed;                     /* MSG_AUTH read */
	char redis_user[64];            /* from MSG_AUTH: "" = default user */
	char redis_password[512];       /* from MSG_AUTH; never logged */
	unsigned events[CTL_EVENTS][ROLE_COUNT];        /* not yet counted */

	/* Redis Sentinel (sentinel.c); n_sentinels == 0: REDIS_HOST is used */
	struct sentinel_node sentinels[LIST_MAX];
	int n_sentinels, sentinel_first;
	int sentinel_ports[LIST_MAX + 1];       /* for Landlock, 0 ends */
	char master[64];                /* "addr:port" the sentinels last named */
	int64_t next_sentinel_check;    /* sentinel_watch() */
};

/* redis.c */
int wr_connect(struct worker *w);
void wr_lost(struct worker *w, const char *why);
void wr_read_pending(struct worker *w);
void wr_start_blocking_read(struct worker *w);
void wr_finish_blocking_read(struct worker *w);
void wr_autoclaim(struct worker *w);
redisReply *wr_cmd(struct worker *w, const char *fmt, ...);
/* Reads and drops n pipelined replies; -1 (after wr_lost) if Redis failed. */
int wr_drain(struct worker *w, int n);

/*
 * deadletter.c: an entry delivered more than INTENT_EXECUTOR_MAX_DELIVERIES
 * times goes to <stream>.dead with a result saying why.  dl_counts() fills
 * counts[i] with the delivery count of entries->element[i] (0: unknown);
 * dl_check() moves a redelivered entry past the limit and returns 1 (skip
 * it: moved, or left pending when the move failed), else 0.
 */
void dl_counts(struct worker *w, const redisReply *entries, long long *counts,
    size_t n);
int dl_check(struct worker *w, const char *id, const redisReply *fields,
    long long deliveries);

/*
 * owner.c: which consumer owns an entry.  owner_keepalive() resets the
 * idle time of the entries this worker holds in memory (so no other host
 * takes a live worker's entries over); owner_mark_sent() is the claim's
 * step claimed -> sent, done only while this consumer owns the entry:
 * 1 sent, 0 another consumer owns it now (drop the job), -1 Redis lost.
 */
void owner_keepalive(struct worker *w);
int owner_mark_sent(struct worker *w, const struct job *j);

/*
 * sentinel.c: with REDIS_SENTINELS, the master is asked of the sentinels
 * at every (re)connect.  sentinel_resolve() runs before the sandbox;
 * sentinel_locate() sets w->s.redis_host to the master (0) or fails (-1);
 * sentinel_is_master() checks a new connection really is the master.
 */
void sentinel_resolve(struct worker *w);
int sentinel_locate(struct worker *w);
int sentinel_is_master(struct worker *w, redisContext *c);
/*
 * Every SENTINEL_WATCH_MS while connected: asks the sentinels again and
 * drops the connection when they name another master (a promoted replica
 * is the master at once, while the old master may take writes, which the
 * failover then discards, until the sentinels turn it into a replica).
 */
void sentinel_watch(struct worker *w, int64_t now);
#define SENTINEL_WATCH_MS 1000
/* A reply that means the master moved (READONLY, UNBLOCKED ...). */
int wr_failover_error(const redisReply *r);

/* control.c */
void ctl_read_auth(struct worker *w);
void ctl_read(struct worker *w);
/* Counts what the supervisor told us in the metrics hash. */
void ctl_count_events(struct worker *w);
/* MSG_READY to the supervisor: Redis answered. */
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
