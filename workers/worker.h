/*
 * worker.h - a lane worker: one lane's stream in, requests to the executor
 * out, one result per plan back into Redis.
 *
 * May: talk to Redis (the lane's stream and group, the permit keys (not
 * the harvest lane, which reads none), the
 * manual-lane key, the result stream, the metrics hash, the done, claim,
 * cooldown and inflight keys, the trading state, the lane's circuit
 * breaker keys, the audit stream (its own entries only), the lane's
 * <stream>.dead; the main lane: the drift hash), to the Redis
 * Sentinels of REDIS_SENTINELS (one query: where is the master), and to
 * the executor over its link (fd 3).
 * May not: hold exchange credentials, open files, start processes.
 */
#ifndef QIE_WORKER_H
#define QIE_WORKER_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "config.h"
#include "conn.h"
#include "frame.h"
#include "jobs.h"
#include "msg.h"
#include "result.h"
#include "safety.h"
#include "settle.h"
#include "stream.h"

#define LINK_FD 3
#define CTL_FD 4        /* from the supervisor: MSG_AUTH, MSG_PING, ... */
#define READY_FD 5      /* to the supervisor: MSG_READY, MSG_PONG */

/* What the supervisor tells the main worker to count (control.c). */
enum ctl_event { CTL_VIOLATION, CTL_HUNG, CTL_EVENTS };

struct sentinel_node {
	char addr[48];                  /* numeric, resolved before the sandbox */
	int port;
};

/* What a claim found (claim_reading()). */
enum claim_verdict {
	CL_GO,                  /* go on: claimed, or nothing in the way */
	CL_SKIP,                /* a copy: acknowledged (or left pending) */
	CL_CONFLICT_OWN,        /* our claim says conflict: refuse, claimed */
	CL_CONFLICT_BOTH,       /* the other lane's waiting entry refused too */
	CL_CONFLICT_ONE,        /* only this entry is refused */
};

struct claim_out {
	const char *where;      /* a copy: why ("already done" ...) */
	enum claim_verdict v;
	int recovery;           /* the claim said sent: sent before a crash */
};

/* The claims of one batch, sent in one round trip, their replies kept
 * until intake takes each entry (claim.c). */
struct preclaims {
	const char *id[JOBS_MAX];       /* the entries' ids (the batch's) */
	char plan_id[JOBS_MAX][PLAN_ID_MAX + 1];
	redisReply *r[JOBS_MAX];        /* NULL: taken, or none */
	int n;
	enum trading_state st;          /* read once, after every claim */
};

struct worker {
	struct settings s;
	enum lane lane;
	const char *stream, *group;
	char consumer[160];
	char lane_tag[16];              /* "lane=main" */

	struct conn *rc;                /* commands; NULL: not connected */
	struct conn *rs;                /* blocking XREADGROUP */
	struct stream st;               /* the lane's stream, group, consumer */
	int rs_waiting;
	int pending_mode;               /* re-reading our own pending entries */
	int64_t read_at;                /* no read before (a read refused) */
	int group_used;                 /* the group existed once: missing
					   later means Redis lost it */
	char pending_cursor[48];
	int64_t reconnect_at, reconnect_delay;
	/* a run of refusals (redis.c: wr_refused): backoff 0 while none */
	int64_t backoff_ms, fault_since, fault_logged_at;
	unsigned fault_count, fault_unlogged;
	/* a batch whose routing stopped at a refusal (main.c): resumed at
	 * held_at from entry held_i; held.reply NULL: none */
	struct batch held;
	size_t held_i;
	int64_t held_at;

	struct frame_in in;
	struct frame_out out;
	uint32_t next_seq;
	struct jobs jobs;
	struct preclaims pre;           /* a batch's claims (claim.c) */

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

	/* position drift (drift.c), main lane only */
	struct {
		int synced;             /* the hash's symbols told the executor */
		int n;                  /* symbols the executor holds */
		char held[LIST_MAX][SYMBOL_MAX + 1];
		int pending;            /* reports not yet taken */
		struct drift_report report[LIST_MAX];
		int64_t retry_at, check_at;     /* mono ms */
	} drift;
};

/*
 * The files call each other downwards only (no circle):
 *
 *   main.c         the loop: routes entries to the plan logic, handles a
 *                  lost connection through wr_up(), once per step
 *   control.c      the supervisor's pipes
 *   intake.c       plan logic: an entry read, up to its queue
 *   lifecycle.c    plan logic: a queued plan's life (permit, request,
 *                  result); deadletter.c: an entry moved away
 *   redis.c        the two connections: connect, loss handled
 *   poll.c         the permit poll and the read-ahead
 *   owner.c        the claim's sent step; claim.c: the claim taken;
 *                  breaker.c: the lane's circuit breaker;
 *                  result.c: a result written;
 *                  sentinel.c: where the master is; stream.c: batches
 *   script.c       a Lua script sent by its SHA1 (EVALSHA) where Redis
 *                  has it
 *   conn.c         one connection: commands, pipelines, loss as a state
 *
 * and the pure modules (jobs, plan, permit, safety) under them all.
 */

/*
 * redis.c: wr_connect() opens both connections (0, or -1 with the
 * reconnect scheduled); wr_up() is 1 while both are up, and after a loss
 * handles it, once (logged, closed, plans not yet sent dropped, reconnect
 * scheduled) and is 0; wr_cmd() is one command on the command connection
 * (conn_cmd()).
 */
int wr_connect(struct worker *w);
int wr_up(struct worker *w);
redisReply *wr_cmd(struct worker *w, const char *fmt, ...);
/*
 * wr_refused(): Redis refused a step, or gave no reply (what: the step,
 * why: the command and Redis's error).  An ERROR line (at most one a
 * second, saying how many more there were), and the time (mono ms) to
 * try again: a backoff that doubles from WR_BACKOFF_MIN_MS to
 * WR_BACKOFF_MAX_MS while the refusals go on.  wr_accepted(): a step went
 * through; the backoff starts over and the end of a run is logged.
 */
#define WR_BACKOFF_MIN_MS 25
#define WR_BACKOFF_MAX_MS 500
int64_t wr_refused(struct worker *w, const char *what, const char *why);
void wr_accepted(struct worker *w);

/*
 * deadletter.c: an entry whose plan was sent INTENT_EXECUTOR_MAX_DELIVERIES
 * times, each attempt under way when its worker died (or that was never
 * claimed in more deliveries than that), goes to <stream>.dead with a
 * result saying why; a plan that only waited is read as usual however
 * often it was delivered.  dl_check() moves a redelivered entry past the
 * limit and returns 1 (skip it: moved, acknowledged as a copy, or left
 * pending when its plan's keys could not be read), 0 (not one to move: go
 * on), or -1 (Redis refused the move or was lost: try the entry again
 * later).
 */
int dl_check(struct worker *w, const struct entry *e);

/*
 * owner.c: which consumer owns an entry.  owner_keepalive() resets the
 * idle time of the entries this worker holds in memory (so no other host
 * takes a live worker's entries over); owner_append_sent() queues the
 * claims' step claimed -> sent of n jobs on the command connection's
 * pipeline (one script call, one reply), and owner_sent_reading() reads
 * job i's part of that reply: the step is done only while this consumer
 * owns the entry and
 * its claim does not say conflict: 1 sent, 0 another consumer owns it now
 * (drop the job), OWN_CONFLICT the other lane has an entry with its
 * plan_id (refuse the job), -1 Redis lost, -2 Redis refused it (why: the
 * command and Redis's error; nothing was recorded, try again later).
 */
#define OWN_CONFLICT 2
/*
 * With pred (pred[i] non-NULL: job i's sent step rides in the round trip
 * of pred[i]'s result), the step is done only when pred[i]'s entry is no
 * longer pending (its result was written and acknowledged), the trading
 * state is ACTIVE, the lane's breaker has not tripped and the permit key
 * still holds what was read ahead (job i's ahead_permit); else nothing is
 * written and the reading is OWN_AHEAD: the job goes the usual way.
 */
#define OWN_AHEAD 3
void owner_keepalive(struct worker *w);
void owner_append_sent(struct worker *w, struct job *const *jobs,
    struct job *const *pred, int n);
int owner_sent_reading(struct worker *w, const struct job *j,
    const redisReply *all, int i, int n, char *why, size_t whylen);

/*
 * breaker.c: lane_breaker_key() is the lane's breaker count key
 * (KEY_BREAKER<lane>); lane_breaker_count() counts one more failed or
 * unknown order (plan_id, its error) in the lane's run and halts the
 * lane at INTENT_EXECUTOR_BREAKER_FAILURES in a row: 0, or -1 when Redis
 * was lost.
 */
const char *lane_breaker_key(const struct worker *w);
int lane_breaker_count(struct worker *w, const char *plan_id,
    const char *error);

/*
 * claim.c: the claim of a plan_id, and the trading state read with it.
 * claim_append() queues one claim (run: take the plan_id and count the
 * plan processed, and manual_consumed when consumed; else only look);
 * claim_reading() reads its reply: 0 go on (o->v: CL_GO or the conflict
 * to refuse the entry for; o->recovery), 1 a copy (o->where says why), 2
 * the claim was refused for this plan (logged: the entry stays pending),
 * -1 Redis cannot answer now.  A batch: claim_batch_add() for each entry
 * that will be taken, claim_batch_read() sends them (one script call) and
 * the state reads in one round trip (nothing kept when the connection was
 * lost, the script did not run or the state could not be read: each
 * entry then makes its own), and
 * claim_batch_take() hands over an entry's reply (NULL: none) with the
 * state; claim_batch_free() drops what was not taken.
 */
void claim_append(struct worker *w, const char *id, const char *plan_id,
    int run, int consumed);
int claim_reading(const redisReply *r, const char *plan_id,
    struct claim_out *o);
void claim_batch_add(struct worker *w, const char *id, const char *plan_id,
    int consumed);
int claim_batch_has(const struct worker *w, const char *plan_id);
void claim_batch_read(struct worker *w);
redisReply *claim_batch_take(struct worker *w, const char *id,
    enum trading_state *st);
void claim_batch_free(struct worker *w);
/*
 * lane_append_state() appends the reads of the trading state and of the
 * lane's breaker (LANE_STATE_REPLIES commands, lane_state_what[] names
 * them) to the command connection's pipeline, and lane_trading_state()
 * reads their replies (an error reply or odd type: HALTED; the lane's
 * breaker tripped, or its key unreadable: TS_LANE_HALTED).
 */
#define LANE_STATE_REPLIES 2
extern const char *const lane_state_what[LANE_STATE_REPLIES];
void lane_append_state(struct worker *w);
enum trading_state lane_trading_state(redisReply *const r[LANE_STATE_REPLIES]);

/*
 * sentinel.c: with REDIS_SENTINELS, the master is asked of the sentinels
 * at every (re)connect.  sentinel_resolve() runs before the sandbox;
 * sentinel_locate() sets w->s.redis_host to the master (0) or fails (-1);
 * sentinel_is_master() checks a new connection really is the master.
 */
void sentinel_resolve(struct worker *w);
int sentinel_locate(struct worker *w);
int sentinel_is_master(struct worker *w, struct conn *c);
/*
 * Every SENTINEL_WATCH_MS while connected: asks the sentinels again and
 * marks the command connection lost when they name another master (a
 * promoted replica is the master at once, while the old master may take
 * writes, which the failover then discards, until the sentinels turn it
 * into a replica).
 */
void sentinel_watch(struct worker *w, int64_t now);
#define SENTINEL_WATCH_MS 1000

/*
 * drift.c (main lane): drift_on_report() takes a MSG_DRIFT from the link
 * (kept until Redis takes it); drift_work() does what is due: the drift
 * hash's symbols to the executor once, the reports recorded, the held
 * symbols looked for in the hash; drift_next() is when it is next due
 * (mono ms; INT64_MAX: never).
 */
int drift_on_report(struct worker *w, struct mreader *r);
void drift_work(struct worker *w, int64_t now);
int64_t drift_next(const struct worker *w);

/* control.c */
void ctl_read_auth(struct worker *w);
void ctl_read(struct worker *w);
/* Counts what the supervisor told us in the metrics hash. */
void ctl_count_events(struct worker *w);
/* MSG_READY to the supervisor: Redis answered. */
void ctl_ready(struct worker *w);

/*
 * intake.c: an entry read from the stream, up to its queue: 0, or -1 when
 * Redis refused a step or was lost (nothing decided: try it again later).
 * lane_preclaim() sends the claims of b's entries from the from'th on that
 * will be taken, in one round trip, before lane_entry() takes each (main
 * lane; the manual lane reads its key per entry and claims each alone);
 * claim_batch_free() after the batch.
 */
int lane_entry(struct worker *w, const struct entry *e);
void lane_preclaim(struct worker *w, const struct batch *b, size_t from);
/* Manual lane: reads the key; -1 on Redis failure, else 0/1 and *ttl. */
int lane_manual_enabled(struct worker *w, long long *ttl);
void lane_log_manual_state(struct worker *w, int enabled, long long ttl,
    int always);

/*
 * poll.c: poll_append() pipelines the permit poll of n plans and the
 * state reads behind it (1 + LANE_STATE_REPLIES replies);
 * poll_permit_of() parses one plan's part of its reply ({type, value}):
 * 0, or -1 with *why.  The read-ahead: poll_ahead_of() picks, of n jobs
 * leaving for the executor, the plans queued right behind them (their
 * number; none on a lane without permits, or while stopping);
 * poll_ahead_store() keeps, of their poll's replies, each string permit
 * that allows its plan while trading is ACTIVE; poll_ahead_ready() says
 * whether such a plan may ride now (its permit's binding and age, and its
 * own age, checked again) and uses its read-ahead up.
 */
void poll_append(struct worker *w, struct job *const *due, int n);
int poll_permit_of(struct permit *p, const redisReply *r, const char **why);
int poll_ahead_of(const struct worker *w, struct job *const *sent, int n,
    struct job **ahead);
void poll_ahead_store(struct job *const *ahead, int n,
    redisReply *const *rep);
int poll_ahead_ready(struct worker *w, struct job *j);

/*
 * lifecycle.c: a queued plan's life: permit wait, request, result.
 * lane_start_wait() starts the wait of a plan at the head of its queue.
 */
void lane_start_wait(struct worker *w, struct job *j);
void lane_poll_permits(struct worker *w);
int64_t lane_next_poll(struct worker *w);
/*
 * lane_on_result() takes the executor's answer to a request;
 * lane_settle_answered() writes the results of every job answered and,
 * in the same round trip, sends the sent steps of the plans that follow
 * them whose permits were read ahead (else reads their permits).
 */
void lane_on_result(struct worker *w, const struct exec_res *res);
void lane_settle_answered(struct worker *w);
/* Writes again the results whose retry time (next_poll) is due by now. */
void lane_retry_unwritten(struct worker *w, int64_t now);

#endif
