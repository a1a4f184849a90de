/*
 * test_faults.c - what the worker makes of Redis's refusals, against a
 * real redis-server: the one classification of replies (conn_verdict():
 * transient or refused), the transaction checked command by command
 * (conn_exec_failure(): a command failing inside EXEC, one refused when
 * queued, a WATCHed key changed), and the settle script (settle.c) that
 * writes each entry's result, its done key, counters and the XACK all or
 * nothing, one call for several entries each on its own:
 * with the result stream of the wrong type, a metrics hash of the wrong
 * type, or Redis out of memory, nothing is written and the entry stays
 * pending; once Redis takes it, one result, and no second one.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "redis_server.h"
#include "result.h"
#include "settle.h"

TestSuite(faults, .init = test_redis_start, .fini = test_redis_stop);

static enum conn_verdict verdict_of(const char *err)
{
	redisReply r = { .type = REDIS_REPLY_ERROR, .str = (char *)err,
		.len = strlen(err) };
	return conn_verdict(&r);
}

Test(faults, classification)
{
	static const char *const transient[] = {
		"OOM command not allowed when used memory > 'maxmemory'.",
		"OOM command not allowed when used memory > 'maxmemory'. script: "
		    "e81023deb3af3d1fd09b14ca33098d3a6f82f668, on @user_script:1.",
		"BUSY Redis is busy running a script.",
		"LOADING Redis is loading the dataset in memory",
		"READONLY You can't write against a read only replica.",
		"MASTERDOWN Link with MASTER is down",
		"UNBLOCKED force unblock from blocking operation",
		"TRYAGAIN Multiple keys request during rehashing of slot",
		"CLUSTERDOWN The cluster is down",
		"NOREPLICAS Not enough good replicas to write.",
		"OOM",
		NULL };
	static const char *const refused[] = {
		"WRONGTYPE Operation against a key holding the wrong kind of value",
		"ERR unknown command 'NOSUCH'",
		"NOPERM this user has no permissions to run the 'xadd' command",
		"NOSCRIPT No matching script.",
		"EXECABORT Transaction discarded because of previous errors.",
		"NOGROUP No such key or consumer group",
		"OOMPH not a code of ours",  /* a prefix is not the code */
		"BUSYGROUP Consumer Group name already exists",
		"",
		NULL };
	for (int i = 0; transient[i]; i++)
		cr_expect_eq(verdict_of(transient[i]), CONN_TRANSIENT, "%s",
		    transient[i]);
	for (int i = 0; refused[i]; i++)
		cr_expect_eq(verdict_of(refused[i]), CONN_REFUSED, "'%s'",
		    refused[i]);
	/* no reply: a lost connection or a timeout */
	cr_expect_eq(conn_verdict(NULL), CONN_TRANSIENT);
	cr_expect(conn_transient(NULL));
	redisReply ok = { .type = REDIS_REPLY_STATUS, .str = "OOM", .len = 3 };
	cr_expect_eq(conn_verdict(&ok), CONN_OK, "a status is not an error");
	redisReply nil = { .type = REDIS_REPLY_NIL };
	cr_expect_eq(conn_verdict(&nil), CONN_OK);
}

/* One command, words split at spaces; its reply (asserted not lost). */
static int split(char *buf, const char **argv)
{
	char *save = NULL;
	int n = 0;
	for (char *t = strtok_r(buf, " ", &save); t && n < 8;
	    t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	return n;
}

static redisReply *run(struct conn *k, const char *line)
{
	char buf[256];
	const char *argv[8];
	snprintf(buf, sizeof(buf), "%s", line);
	int n = split(buf, argv);
	redisReply *r = conn_cmd_argv(k, n, argv, NULL);
	cr_assert(r, "%s: %s", line, conn_why(k));
	return r;
}

/* One command that must not be refused. */
static void cmd(struct conn *k, const char *line)
{
	redisReply *r = run(k, line);
	cr_assert(r->type != REDIS_REPLY_ERROR, "%s: %s", line, r->str);
	freeReplyObject(r);
}

/* A pipeline MULTI, the n commands, EXEC: its n + 2 replies into rep. */
static void transaction(struct conn *k, const char *const *cmds, int n,
    redisReply **rep)
{
	conn_append(k, "MULTI");
	for (int i = 0; i < n; i++) {
		char buf[256];
		const char *argv[8];
		snprintf(buf, sizeof(buf), "%s", cmds[i]);
		int na = split(buf, argv);
		conn_append_argv(k, na, argv, NULL);
	}
	conn_append(k, "EXEC");
	cr_assert_eq(conn_replies(k, rep, n + 2), n + 2);
}

Test(faults, exec_checked_command_by_command)
{
	struct conn *k = test_redis_conn();
	redisReply *rep[6];
	const redisReply *bad;

	/* every command succeeded */
	const char *ok[] = { "SET a 1", "INCR a", "GET a" };
	transaction(k, ok, 3, rep);
	cr_expect_eq(conn_exec_failure(rep, 3, &bad), -1);
	cr_expect_null(bad);
	conn_free_replies(rep, 5);

	/* a command fails inside EXEC: EXEC is still an array, and the
	 * commands after it ran (Redis does not roll back) */
	cmd(k, "SET str x");
	const char *mid[] = { "SET b 1", "LPUSH str v", "INCR b" };
	transaction(k, mid, 3, rep);
	cr_assert_eq(rep[4]->type, REDIS_REPLY_ARRAY, "EXEC's reply is an array");
	cr_expect_eq(conn_exec_failure(rep, 3, &bad), 2, "the LPUSH, second");
	cr_assert(bad && bad->type == REDIS_REPLY_ERROR);
	cr_expect(strncmp(bad->str, "WRONGTYPE", 9) == 0, "%s", bad->str);
	cr_expect_eq(conn_verdict(bad), CONN_REFUSED);
	conn_free_replies(rep, 5);
	redisReply *b = conn_cmd(k, "GET b");
	cr_expect_str_eq(b->str, "2", "the INCR after the failure ran");
	freeReplyObject(b);

	/* refused when queued: EXECABORT, nothing ran; the queued command's
	 * own reply says why */
	const char *bad_q[] = { "SET c 1", "NOSUCHCOMMAND", "SET c 2" };
	transaction(k, bad_q, 3, rep);
	cr_expect_eq(conn_exec_failure(rep, 3, &bad), 2);
	cr_expect(bad && strncmp(bad->str, "ERR", 3) == 0);
	cr_expect(strncmp(rep[4]->str, "EXECABORT", 9) == 0);
	conn_free_replies(rep, 5);

	/* a WATCHed key changed: EXEC is nil, the position is EXEC's */
	struct conn *other = test_redis_conn();
	cmd(k, "WATCH w");
	cmd(other, "SET w changed");
	const char *watched[] = { "SET w mine" };
	transaction(k, watched, 1, rep);
	cr_expect_eq(conn_exec_failure(rep, 1, &bad), 2);
	cr_expect(bad && bad->type == REDIS_REPLY_NIL);
	conn_free_replies(rep, 3);

	/* out of memory: refused when queued, a transient refusal */
	cmd(other, "CONFIG SET maxmemory 1");
	const char *oom[] = { "XACK s g 0-1", "SET d 1" };
	transaction(k, oom, 2, rep);
	int at = conn_exec_failure(rep, 2, &bad);
	cr_expect(at >= 1 && at <= 3, "position %d", at);
	cr_expect_eq(conn_verdict(bad), CONN_TRANSIENT, "%s", bad ? bad->str : "");
	conn_free_replies(rep, 4);
	cmd(other, "CONFIG SET maxmemory 0");
	conn_free(other);
	conn_free(k);
}

/* --- the settle script */

static struct settings S;
#define LANE "t:plans"
#define GROUP "g"

/* An entry in LANE read by consumer c (pending), its id in id. */
#define pending_entry(k, plan_id, id, idsz) \
	test_redis_pending(k, LANE, GROUP, plan_id, id, idsz)

/* An integer reply, or a string one read as a number. */
static long long integer(struct conn *k, const char *line)
{
	redisReply *r = run(k, line);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
	freeReplyObject(r);
	return v;
}

static long long pending(struct conn *k)
{
	redisReply *r = conn_cmd(k, "XPENDING " LANE " " GROUP);
	cr_assert(r && r->type == REDIS_REPLY_ARRAY);
	long long n = r->element[0]->integer;
	freeReplyObject(r);
	return n;
}

static void a_result(struct result *r, const char *id, const char *plan_id)
{
	memset(r, 0, sizeof(*r));
	r->lane = LANE_MAIN;
	r->stream_id = id;
	snprintf(r->plan_id, sizeof(r->plan_id), "%s", plan_id);
	snprintf(r->symbol, sizeof(r->symbol), "ETHUSDT");
	snprintf(r->error, sizeof(r->error), "p33_permit_missing_or_denied");
	r->claimed = 1;
	r->guard = "permit";
	result_count(r, C_PROCESSED);
	result_count(r, C_EXECUTED_FALSE);
}

static void settle_setup(void)
{
	test_redis_start();
	memset(&S, 0, sizeof(S));
	snprintf(S.result_stream, sizeof(S.result_stream), "t:results");
}

TestSuite(settle, .init = settle_setup, .fini = test_redis_stop);

/* A connection, and plan_id's entry pending with its result r (id). */
static struct conn *plan_pending(const char *plan_id, char *id, size_t idsz,
    struct result *r)
{
	struct conn *k = test_redis_conn();
	pending_entry(k, plan_id, id, idsz);
	a_result(r, id, plan_id);
	return k;
}

/* The commit of r is refused, why naming what; nothing of it written. */
static void refused_commit(struct conn *k, const struct result *r,
    const char *what)
{
	char why[300];
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, r, why, sizeof(why)),
	    SETTLE_FAILED);
	cr_expect(strstr(why, what), "why names %s: %s", what, why);
	cr_expect(conn_up(k), "a refusal is not a loss");
	redisReply *t = run(k, "TYPE t:results");
	cr_expect(strcmp(t->str, "stream") != 0, "no result stream, no result");
	freeReplyObject(t);
	cr_expect_eq(pending(k), 1, "the entry is not acknowledged");
}

Test(settle, result_stream_of_the_wrong_type_writes_nothing)
{
	struct result r;
	char id[48], why[300];
	struct conn *k = plan_pending("p1", id, sizeof(id), &r);

	cmd(k, "SET t:results x");
	refused_commit(k, &r, "WRONGTYPE Operation against a key holding the "
	    "wrong kind of value [XADD t:results]");
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p1"), 0, "no done key");
	cr_expect_eq(integer(k, "EXISTS " KEY_METRICS), 0, "nothing counted");
	cr_expect_eq(integer(k, "EXISTS " KEY_CLAIM "p1"), 0, "no claim state");

	/* writable again: written once, then never again */
	cmd(k, "DEL t:results");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "XLEN t:results"), 1);
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p1"), 1);
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " processed"), 1);
	cr_expect_eq(pending(k), 0, "acknowledged");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_DECIDED, "the claimed plan is decided already");
	cr_expect_eq(integer(k, "XLEN t:results"), 1, "no second result");
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " processed"), 1,
	    "not counted twice");
	conn_free(k);
}

Test(settle, a_later_command_that_would_fail_stops_the_first)
{
	struct result r;
	char id[48], why[300];
	struct conn *k = plan_pending("p2", id, sizeof(id), &r);

	cmd(k, "SET " KEY_METRICS " x");        /* HINCRBY would fail */
	refused_commit(k, &r, "[HINCRBY " KEY_METRICS "]");
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p2"), 0);
	cmd(k, "DEL " KEY_METRICS);
	cmd(k, "HSET " KEY_METRICS " processed 1.5");   /* not an integer */
	refused_commit(k, &r, "not an integer: processed");
	cmd(k, "DEL " KEY_METRICS);
	cmd(k, "SET " KEY_CLAIM "p2 x");     /* HSET of the claim would fail */
	refused_commit(k, &r, "[HSET " KEY_CLAIM "p2]");
	cmd(k, "DEL " KEY_CLAIM "p2");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(pending(k), 0);
	conn_free(k);
}

Test(settle, out_of_memory_writes_nothing_and_is_transient)
{
	struct result r;
	char id[48], why[300];
	enum counter c = C_DUPLICATE_SKIPPED;
	struct conn *k = plan_pending("p3", id, sizeof(id), &r);

	cmd(k, "CONFIG SET maxmemory 1");
	refused_commit(k, &r, "[XADD t:results]");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_FAILED);
	redisReply e = { .type = REDIS_REPLY_ERROR, .str = why, .len = strlen(why) };
	cr_expect_eq(conn_verdict(&e), CONN_TRANSIENT, "%s", why);
	cr_assert_eq(result_ack(k, LANE, GROUP, id, &c, 1, why, sizeof(why)),
	    SETTLE_FAILED, "an acknowledgement that counts is refused too");
	cmd(k, "CONFIG SET maxmemory 0");
	cr_expect_eq(integer(k, "EXISTS t:results"), 0);
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p3"), 0);
	cr_expect_eq(integer(k, "EXISTS " KEY_METRICS), 0);
	cr_expect_eq(pending(k), 1);
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "XLEN t:results"), 1);
	cr_expect_eq(pending(k), 0);
	conn_free(k);
}

Test(settle, ack_alone_counts_and_acknowledges)
{
	struct conn *k = test_redis_conn();
	char id[48], why[300];
	enum counter c[2] = { C_DUPLICATE_SKIPPED, C_MANUAL_CONSUMED };

	pending_entry(k, "p4", id, sizeof(id));
	cr_assert_eq(result_ack(k, LANE, GROUP, id, c, 2, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " duplicate_skipped"), 1);
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " manual_consumed"), 1);
	cr_expect_eq(integer(k, "EXISTS t:results"), 0, "no result");
	cr_expect_eq(pending(k), 0);
	conn_free(k);
}

Test(settle, lane_guard_refusal_takes_nothing_of_the_plan_id)
{
	struct result r;
	char id[48], why[300];
	struct conn *k = plan_pending("p5", id, sizeof(id), &r);

	r.claimed = 0;
	r.guard_refused = 1;
	r.guard = "lane";
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "XLEN t:results"), 1, "its result");
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p5"), 0, "no done key");
	cr_expect_eq(integer(k, "EXISTS " KEY_CLAIM "p5"), 0, "no claim");
	cr_expect_eq(pending(k), 0, "acknowledged");
	conn_free(k);
}

Test(settle, decided_per_lane_and_the_audit_entry_with_the_result)
{
	struct result r;
	char id[48], why[300];
	struct conn *k = plan_pending("p6", id, sizeof(id), &r);

	/* the other lane decided the plan_id: this lane still writes its own */
	cmd(k, "HSET " KEY_CLAIM "p6 decided_manual 1-1");
	r.claim_state = "conflict";
	r.audit_reason = "lane manual has an entry with this plan_id";
	cmd(k, "SET " KEY_AUDIT_STREAM " x");   /* XADD would fail */
	refused_commit(k, &r, "[XADD " KEY_AUDIT_STREAM "]");
	cr_expect_eq(integer(k, "HEXISTS " KEY_CLAIM "p6 decided_main"), 0);
	cmd(k, "DEL " KEY_AUDIT_STREAM);
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "XLEN t:results"), 1);
	cr_expect_eq(integer(k, "XLEN " KEY_AUDIT_STREAM), 1, "the audit entry");
	redisReply *d = run(k, "HMGET " KEY_CLAIM "p6 decided_main state");
	cr_expect(d->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(d->element[0]->str, id) == 0, "decided_main is the entry");
	cr_expect(d->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(d->element[1]->str, "conflict") == 0, "the claim's state");
	freeReplyObject(d);
	cr_expect(integer(k, "TTL " KEY_CLAIM "p6") > 0, "the claim expires");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_DECIDED, "this lane decided it");
	cr_expect_eq(integer(k, "XLEN " KEY_AUDIT_STREAM), 1, "no second entry");
	conn_free(k);
}

/* The reply of settle call x for item i, as result_commit() reads it. */
static int item_rc(struct conn *k, const redisReply *x, int i, int n,
    const struct result *r, char *why, size_t whylen)
{
	return result_reply(k, conn_part(x, i, n), r, why, whylen);
}

/* n entries pending (plan_ids pid[]), each with its result and item. */
static void pending_items(struct conn *k, const char *const *pid, int n,
    char (*id)[48], struct result *r, struct settle_item *it)
{
	for (int i = 0; i < n; i++) {
		pending_entry(k, pid[i], id[i], sizeof(id[i]));
		a_result(&r[i], id[i], pid[i]);
		it[i] = (struct settle_item){ &r[i], id[i], r[i].counts, NULL };
	}
}

Test(settle, one_call_settles_each_entry_on_its_own)
{
	struct conn *k = test_redis_conn();
	struct result r[3];
	struct settle_item it[3];
	char id[3][48], why[300];
	const char *pid[3] = { "p7a", "p7b", "p7c" };

	pending_items(k, pid, 3, id, r, it);
	cmd(k, "SET " KEY_CLAIM "p7b x");       /* its claim is unreadable */
	char line[128];
	snprintf(line, sizeof(line), "HSET " KEY_CLAIM "p7c decided_main %s",
	    id[2]);
	cmd(k, line);                           /* decided before */
	settle_append(k, &S, LANE, GROUP, it, 3);
	redisReply *x = conn_last(k);
	cr_assert(x && x->type == REDIS_REPLY_ARRAY && x->elements == 3,
	    "one reply per entry");
	cr_expect_eq(item_rc(k, x, 0, 3, &r[0], why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(item_rc(k, x, 1, 3, &r[1], why, sizeof(why)),
	    SETTLE_FAILED);
	cr_expect(strstr(why, "[HSET " KEY_CLAIM "p7b]"), "why: %s", why);
	cr_expect_eq(item_rc(k, x, 2, 3, &r[2], why, sizeof(why)),
	    SETTLE_DECIDED, "%s", why);
	freeReplyObject(x);
	cr_expect_eq(integer(k, "XLEN t:results"), 1, "p7a's result only");
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p7a"), 1);
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p7b"), 0, "nothing of p7b");
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " processed"), 1,
	    "counted for the entry written only");
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " executed_false"), 1);
	cr_expect_eq(pending(k), 1, "p7a and p7c acknowledged, p7b pending");

	/* p7b's claim readable again: its turn, alone, written once */
	cmd(k, "DEL " KEY_CLAIM "p7b");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r[1], why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "XLEN t:results"), 2);
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " processed"), 2);
	cr_expect_eq(pending(k), 0);
	conn_free(k);
}

/* Two entries pending, with their results and items. */
struct two {
	struct result r[2];
	struct settle_item it[2];
	char id[2][48];
};

static struct conn *two_pending(struct two *t, const char *a, const char *b)
{
	struct conn *k = test_redis_conn();
	const char *pid[2] = { a, b };
	pending_items(k, pid, 2, t->id, t->r, t->it);
	return k;
}

/* The two entries settled in one call: its reply. */
static redisReply *settle_two(struct conn *k, struct two *t)
{
	settle_append(k, &S, LANE, GROUP, t->it, 2);
	return conn_last(k);
}

Test(settle, a_counter_that_cannot_count_refuses_only_who_counts_it)
{
	struct two t;
	char why[300];
	struct conn *k = two_pending(&t, "p8a", "p8b");
	struct result *r = t.r;

	r[1].counts[C_PROCESSED] = 0;           /* p8b counts executed_false */
	cmd(k, "HSET " KEY_METRICS " processed 1.5");
	redisReply *x = settle_two(k, &t);
	cr_expect_eq(item_rc(k, x, 0, 2, &r[0], why, sizeof(why)),
	    SETTLE_FAILED);
	cr_expect(strstr(why, "not an integer: processed"), "why: %s", why);
	cr_expect_eq(item_rc(k, x, 1, 2, &r[1], why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	freeReplyObject(x);
	cr_expect_eq(integer(k, "XLEN t:results"), 1, "p8b's result only");
	cr_expect_eq(integer(k, "EXISTS " KEY_DONE "p8a"), 0);
	cr_expect_eq(integer(k, "HGET " KEY_METRICS " executed_false"), 1,
	    "p8b counted, p8a not");
	cr_expect_eq(pending(k), 1, "p8a still pending");
	conn_free(k);
}

Test(settle, a_call_refused_before_any_write_fails_every_entry)
{
	struct two t;
	char why[300];
	struct conn *k = two_pending(&t, "p9a", "p9b");

	cmd(k, "CONFIG SET maxmemory 1");
	redisReply *x = settle_two(k, &t);
	cmd(k, "CONFIG SET maxmemory 0");
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(item_rc(k, x, i, 2, &t.r[i], why, sizeof(why)),
		    SETTLE_FAILED, "entry %d", i);
		cr_expect(strstr(why, "OOM"), "why: %s", why);
	}
	freeReplyObject(x);
	cr_expect_eq(integer(k, "EXISTS t:results"), 0, "nothing written");
	cr_expect_eq(integer(k, "EXISTS " KEY_METRICS), 0, "nothing counted");
	cr_expect_eq(pending(k), 2);
	conn_free(k);
}

/* What JSON_SORT_KEYS makes of s: the text the details must already be. */
static char *sorted(const char *s)
{
	json_t *o = json_loads(s, 0, NULL);
	cr_assert(o, "details are JSON: %s", s);
	char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return t;
}

Test(details, keys_are_in_sorted_order_as_json_sort_keys_gives)
{
	struct result r;
	struct exec_res x = { .executed = 1, .qty = 1000000, .filled_qty = 1000000 };
	struct permit p = { .allow = 1, .safe_qty = 2000000 };

	a_result(&r, "1-1", "pd");
	snprintf(x.order_id, sizeof(x.order_id), "42");
	snprintf(x.status, sizeof(x.status), "FILLED");
	snprintf(r.side, sizeof(r.side), "BUY");
	snprintf(r.qty, sizeof(r.qty), "0.01");
	for (int k = 0; k < 2; k++) {
		if (k) {
			r.res = &x;
			r.permit = &p;
			r.executed = 1;
		}
		char *s = result_details(&r, 1700000000);
		char *t = sorted(s);
		cr_expect_str_eq(s, t, "as sort_keys gives it");
		cr_expect(strstr(s, "\"timestamp\":1700000000}"), "%s", s);
		free(s);
		free(t);
	}
}

Test(settle, the_inflight_key_goes_with_its_own_plan_only)
{
	struct exec_res x = { .executed = 0 };
	struct result r;
	char id[48], why[300];
	struct conn *k = plan_pending("p10", id, sizeof(id), &r);

	snprintf(x.status, sizeof(x.status), "REJECTED");
	r.res = &x;     /* it went to the executor, which did not fill it */
	cmd(k, "SET " KEY_INFLIGHT "ETHUSDT p-other");  /* the other lane's */
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	redisReply *v = run(k, "GET " KEY_INFLIGHT "ETHUSDT");
	cr_expect(v->type == REDIS_REPLY_STRING && strcmp(v->str, "p-other") == 0,
	    "another plan's inflight key is kept");
	freeReplyObject(v);
	cr_expect_eq(integer(k, "EXISTS " KEY_COOLDOWN "ETHUSDT"), 0,
	    "no cooldown: nothing executed");

	/* its own: deleted, the order being terminal, filled or not */
	pending_entry(k, "p11", id, sizeof(id));
	a_result(&r, id, "p11");
	r.res = &x;
	cmd(k, "SET " KEY_INFLIGHT "ETHUSDT p11");
	cr_assert_eq(result_commit(k, &S, LANE, GROUP, &r, why, sizeof(why)),
	    SETTLE_WRITTEN, "%s", why);
	cr_expect_eq(integer(k, "EXISTS " KEY_INFLIGHT "ETHUSDT"), 0,
	    "its own inflight key is gone");
	conn_free(k);
}
