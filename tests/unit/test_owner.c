/*
 * test_owner.c - the claim's sent step (owner.c) against a real
 * redis-server, and above all the step that rides in the round trip of
 * its predecessor's result: it is done only when the predecessor's entry
 * is acknowledged, trading is ACTIVE, the lane's breaker has not tripped
 * and the permit key still holds the text read ahead; otherwise nothing
 * of it is written (no "sent", no attempt counted, no inflight key) and
 * the reading is OWN_AHEAD, so the plan goes the usual way.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "redis_server.h"
#include "worker.h"

TestSuite(owner, .init = test_redis_start, .fini = test_redis_stop);

#define STREAM "t:plans"
#define PERMIT "{\"allow\":true,\"safe_qty\":\"0.01\"}"

static struct worker w;
static struct job pred, job;

/* A worker of the main lane, its predecessor and its job, both pending. */
static void setup(void)
{
	memset(&w, 0, sizeof(w));
	memset(&pred, 0, sizeof(pred));
	memset(&job, 0, sizeof(job));
	w.rc = test_redis_conn();
	w.lane = LANE_MAIN;
	w.stream = STREAM;
	w.group = "g";
	snprintf(w.consumer, sizeof(w.consumer), "c");
	test_redis_pending(w.rc, STREAM, "g", "pred", pred.stream_id,
	    sizeof(pred.stream_id));
	test_redis_pending(w.rc, STREAM, "g", "plan1", job.stream_id,
	    sizeof(job.stream_id));
	snprintf(job.ok.plan_id, sizeof(job.ok.plan_id), "plan1");
	snprintf(job.ok.symbol, sizeof(job.ok.symbol), "BTCUSDT");
	snprintf(job.ahead_permit, sizeof(job.ahead_permit), "%s", PERMIT);
	redisReply *r = conn_cmd(w.rc, "SET " KEY_PERMIT "plan1 %s", PERMIT);
	cr_assert(r && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
}

/* A command that must not be refused. */
#define cmd(...) do { \
	redisReply *r_ = conn_cmd(w.rc, __VA_ARGS__); \
	cr_assert(r_ && r_->type != REDIS_REPLY_ERROR, "%s", #__VA_ARGS__); \
	freeReplyObject(r_); \
} while (0)

/* The step for job, riding behind pred when rides: its reading. */
static int step(int rides)
{
	struct job *jobs[1] = { &job }, *preds[1] = { &pred };
	redisReply *rep[1];
	char why[240] = "";

	owner_append_sent(&w, jobs, rides ? preds : NULL, 1);
	cr_assert_eq(conn_replies(w.rc, rep, 1), 1);
	int own = owner_sent_reading(&w, &job, rep[0], 0, 1, why, sizeof(why));
	conn_free_replies(rep, 1);
	return own;
}

/* The claim's state ("" when it has none) and whether inflight is set. */
static void written(char *state, size_t n, int *inflight)
{
	redisReply *r = conn_cmd(w.rc, "HGET " KEY_CLAIM "plan1 state");
	cr_assert(r);
	snprintf(state, n, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	r = conn_cmd(w.rc, "EXISTS " KEY_INFLIGHT "BTCUSDT");
	cr_assert(r && r->type == REDIS_REPLY_INTEGER);
	*inflight = (int)r->integer;
	freeReplyObject(r);
}

static void assert_nothing_written(const char *what)
{
	char state[32];
	int inflight;
	written(state, sizeof(state), &inflight);
	cr_expect_str_eq(state, "", "%s: the claim says nothing", what);
	cr_expect_eq(inflight, 0, "%s: no inflight key", what);
}

static void ack_pred(void)
{
	cmd("XACK " STREAM " g %s", pred.stream_id);
}

Test(owner, ride_waits_for_its_predecessors_result)
{
	setup();
	cr_expect_eq(step(1), OWN_AHEAD, "the predecessor is still pending");
	assert_nothing_written("predecessor pending");
	ack_pred();
	cr_expect_eq(step(1), 1);
	char state[32];
	int inflight;
	written(state, sizeof(state), &inflight);
	cr_expect_str_eq(state, "sent");
	cr_expect_eq(inflight, 1);
	redisReply *r = conn_cmd(w.rc, "HGET " KEY_CLAIM "plan1 attempts");
	cr_assert(r && r->type == REDIS_REPLY_STRING);
	cr_expect_str_eq(r->str, "1", "one attempt under way");
	freeReplyObject(r);
}

Test(owner, ride_refused_when_trading_is_not_active)
{
	static const char *const states[] = { "HALTED", "REDUCING", "junk" };
	setup();
	ack_pred();
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		cmd("SET " KEY_TRADING_STATE " %s", states[i]);
		cr_expect_eq(step(1), OWN_AHEAD, "%s", states[i]);
		assert_nothing_written(states[i]);
	}
	cmd("SET " KEY_TRADING_STATE " ACTIVE");
	cr_expect_eq(step(1), 1, "ACTIVE: it rides");
}

Test(owner, ride_refused_when_the_state_key_is_unreadable)
{
	setup();
	ack_pred();
	cmd("HSET " KEY_TRADING_STATE " x 1");
	cr_expect_eq(step(1), OWN_AHEAD, "a hash: never a script error");
	assert_nothing_written("wrong type");
}

Test(owner, ride_refused_when_the_lanes_breaker_tripped)
{
	setup();
	ack_pred();
	cmd("SET " KEY_BREAKER_HALT "main tripped");
	cr_expect_eq(step(1), OWN_AHEAD);
	assert_nothing_written("breaker");
	/* the other lane's breaker is not this lane's */
	cmd("DEL " KEY_BREAKER_HALT "main");
	cmd("SET " KEY_BREAKER_HALT "manual tripped");
	cr_expect_eq(step(1), 1);
}

Test(owner, ride_refused_when_the_permit_changed)
{
	setup();
	ack_pred();
	cmd("SET " KEY_PERMIT "plan1 %s", "{\"allow\":false,\"reason\":\"risk\"}");
	cr_expect_eq(step(1), OWN_AHEAD, "another permit text");
	assert_nothing_written("permit changed");
	cmd("DEL " KEY_PERMIT "plan1");
	cr_expect_eq(step(1), OWN_AHEAD, "the permit is gone");
	assert_nothing_written("permit gone");
	cmd("HSET " KEY_PERMIT "plan1 allow true");
	cr_expect_eq(step(1), OWN_AHEAD, "a hash now");
	assert_nothing_written("permit a hash");
}

Test(owner, plain_step_checks_only_ownership)
{
	setup();
	/* without a predecessor the gate is the caller's (lifecycle.c reads
	 * the state with the permit): the step checks the entry's owner */
	cmd("SET " KEY_TRADING_STATE " HALTED");
	cr_expect_eq(step(0), 1);
	cmd("XACK " STREAM " g %s", job.stream_id);
	cr_expect_eq(step(0), 0, "its entry is no longer pending: gone");
}
