/*
 * breaker.c - the lane's circuit breaker: a run of orders that failed at
 * the exchange, or whose outcome stayed unknown, counted in Redis and
 * shared by the lane's workers on every host; at
 * INTENT_EXECUTOR_BREAKER_FAILURES in a row the lane is halted, with an
 * audit entry, until an operator resumes it (qiectl resume).  A success
 * resets the run in the result's own script (result.c, reset_key).
 *
 * May: talk to Redis on the command connection (conn.c): the breaker's
 * count and halt keys, the audit stream, the trip counter.  May not:
 * decide a plan or write its result (lifecycle.c does).
 */
#include <stdio.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "worker.h"

/* The lane's breaker count key, KEY_BREAKER<lane>. */
const char *lane_breaker_key(const struct worker *w)
{
	static char key[LANE_COUNT][sizeof(KEY_BREAKER) + 16];
	char *k = key[w->lane];
	if (!k[0])
		snprintf(k, sizeof(key[0]), KEY_BREAKER "%s", lane_name(w->lane));
	return k;
}

/*
 * An order the backend tried to place (its status is not the executor's
 * own NOT_SENT) that failed, or whose outcome stayed unknown: one more in
 * the lane's run (KEY_BREAKER<lane>, shared by the lane's workers on every
 * host).  At INTENT_EXECUTOR_BREAKER_FAILURES in a row the lane is halted
 * (KEY_BREAKER_HALT<lane> says why) until an operator resumes it, and the
 * audit stream says why; the other lane runs on.  0, or -1 when Redis was
 * lost.
 */
int lane_breaker_count(struct worker *w, const char *plan_id,
    const char *error)
{
	const char *lane = lane_name(w->lane);
	redisReply *r = conn_cmd(w->rc, "INCR %s", lane_breaker_key(w));
	if (!r)
		return -1;
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	if (r->type == REDIS_REPLY_ERROR)
		log_error("⛔ [lane=%s] circuit breaker: Redis refused INCR %s: %s: "
		    "this failure of plan %s is not counted", lane,
		    lane_breaker_key(w), r->str, plan_id);
	freeReplyObject(r);
	if (n < w->s.breaker_failures)
		return 0;
	char why[ERROR_MAX + PLAN_ID_MAX + 96], ts[24];
	snprintf(why, sizeof(why), "%lld consecutive orders failed or ended "
	    "unknown; last: plan %s: %s", n, plan_id, error);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	/* once per trip: a later failure of an order already in flight
	 * finds the lane halted */
	r = conn_cmd(w->rc, "SET " KEY_BREAKER_HALT "%s %s NX", lane, why);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR)
		log_error("⛔ [lane=%s] CIRCUIT BREAKER: Redis refused SET "
		    KEY_BREAKER_HALT "%s: %s: lane %s NOT halted", lane, lane,
		    r->str, lane);
	int tripped = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if (!tripped)
		return 0;
	conn_append(w->rc, "XADD " KEY_AUDIT_STREAM " * action lane.halt "
	    "state HALTED lane %s operator intent_executor reason %s "
	    "plan_id %s timestamp %s", lane, why, plan_id, ts);
	conn_append(w->rc, "HINCRBY " KEY_METRICS " %s 1",
	    counter_name(C_BREAKER_TRIPS));
	redisReply *rep[2];
	if (conn_replies(w->rc, rep, 2) < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (rep[i]->type == REDIS_REPLY_ERROR)
			log_error("⛔ [lane=%s] CIRCUIT BREAKER: Redis refused %s: %s",
			    lane, i == 0 ? "XADD " KEY_AUDIT_STREAM ": no audit entry" :
			    "HINCRBY " KEY_METRICS ": the trip is not counted",
			    rep[i]->str);
	conn_free_replies(rep, 2);
	log_error("⛔ [lane=%s] CIRCUIT BREAKER: %s: lane %s HALTED until an "
	    "operator runs qiectl resume (the other lane runs on)", lane, why,
	    lane);
	return 0;
}
