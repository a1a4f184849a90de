/*
 * test_stream.c - workers/stream.c, the worker's stream layer, against a
 * real redis-server: batches of entries (id, fields as bytes, delivery
 * count), our pending entries read again, a deleted entry, XAUTOCLAIM,
 * error replies (no group, wrong type), and the blocking read's
 * connection dropped (CLIENT KILL from a second connection) or unblocked
 * by a failover.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_server.h"
#include "stream.h"

TestSuite(stream, .init = test_redis_start, .fini = test_redis_stop);

/* a max age longer than the clock: new groups start at 0-0 (ids 1-1 ...) */
#define FOREVER_MS 4000000000000LL
static const struct stream S = { "t:plans", "g", "c1", 0, 64, FOREVER_MS };

/* One command, words split at spaces; it must not be refused. */
static void cmd(struct conn *k, const char *line)
{
	char buf[128], *save = NULL;
	const char *argv[8];
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t && n < 8;
	    t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	redisReply *r = conn_cmd_argv(k, n, argv, NULL);
	cr_assert(r && r->type != REDIS_REPLY_ERROR, "%s: %s", line,
	    r ? r->str : conn_why(k));
	freeReplyObject(r);
}

/* XADD with a binary value: plan_id <id>, blob "a\0b". */
static void add(struct conn *k, const char *id)
{
	const char *argv[] = { "XADD", S.key, id, "plan_id", id, "blob", "a\0b" };
	const size_t len[] = { 4, strlen(S.key), strlen(id), 7, strlen(id), 4,
		3 };
	redisReply *r = conn_cmd_argv(k, 7, argv, len);
	cr_assert(r && r->type == REDIS_REPLY_STRING, "XADD");
	freeReplyObject(r);
}

static int wait_batch(struct conn *rd, struct conn *k, struct batch *b)
{
	int got = 0;
	for (int i = 0; i < 50 && got == 0; i++) {
		struct pollfd p = { .fd = conn_fd(rd), .events = POLLIN };
		if (poll(&p, 1, 100) == 1)
			got = stream_finish_read(rd, k, &S, b);
	}
	return got;
}

/* Until the server holds one client blocked (the read has arrived). */
static void wait_blocked(struct conn *k)
{
	for (int i = 0; i < 100; i++) {
		redisReply *r = conn_cmd(k, "INFO clients");
		cr_assert(r && r->type == REDIS_REPLY_STRING);
		int yes = strstr(r->str, "blocked_clients:1") != NULL;
		freeReplyObject(r);
		if (yes)
			return;
		poll(NULL, 0, 10);
	}
	cr_assert_fail("the blocking read never blocked");
}

/* Three entries, read once by c1 with the blocking read. */
static void three_read(struct conn *k, struct conn *rd, struct batch *b)
{
	cr_assert_eq(stream_create_group(k, &S, NULL), 0);
	add(k, "1-1");
	add(k, "1-2");
	add(k, "1-3");
	cr_assert_eq(stream_start_read(rd, &S, 10), 0);
	cr_assert_eq(wait_batch(rd, k, b), 1);
}

Test(stream, group_created_once)
{
	struct conn *k = test_redis_conn();
	cr_assert_eq(stream_create_group(k, &S, NULL), 0);
	cr_assert_eq(stream_create_group(k, &S, NULL), 0, "BUSYGROUP is fine");
	conn_free(k);
}

/* A group created at Redis time minus the max age, "<ms>-0", not at "$". */
Test(stream, group_starts_at_the_max_age)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct stream s30 = S;
	struct batch b;
	char old[32], young[32];

	s30.max_age_ms = 30000;
	redisReply *t = conn_cmd(k, "TIME");
	cr_assert(t && t->type == REDIS_REPLY_ARRAY && t->elements == 2);
	long long now = atoll(t->element[0]->str) * 1000 +
	    atoll(t->element[1]->str) / 1000;
	freeReplyObject(t);
	snprintf(old, sizeof(old), "%lld-0", now - 31000);
	snprintf(young, sizeof(young), "%lld-0", now - 29000);
	add(k, old);            /* waiting before the group exists */
	add(k, young);
	cr_assert_eq(stream_create_group(k, &s30, NULL), 0);
	cr_assert_eq(stream_start_read(rd, &s30, 10), 0);
	int got = 0;
	for (int i = 0; i < 50 && got == 0; i++) {
		struct pollfd p = { .fd = conn_fd(rd), .events = POLLIN };
		if (poll(&p, 1, 100) == 1)
			got = stream_finish_read(rd, k, &s30, &b);
	}
	cr_assert_eq(got, 1);
	cr_assert_eq(b.n, 1, "only the plan younger than the max age");
	cr_assert_str_eq(b.e[0].id, young);
	batch_free(&b);
	/* it exists now: BUSYGROUP, the start is not moved */
	cr_assert_eq(stream_create_group(k, &s30, "test"), 0);
	conn_free(k);
	conn_free(rd);
}

Test(stream, new_entries_as_bytes)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct batch b;
	three_read(k, rd, &b);
	cr_assert_eq(b.n, 3);
	cr_assert_eq(b.got, 3);
	cr_assert_str_eq(b.e[0].id, "1-1");
	cr_assert_str_eq(b.e[2].id, "1-3");
	cr_assert_eq(b.e[1].nf, 4);
	cr_assert(b.e[1].f[0].n == 7 && memcmp(b.e[1].f[0].p, "plan_id", 7) == 0);
	cr_assert(b.e[1].f[3].n == 3 && memcmp(b.e[1].f[3].p, "a\0b", 3) == 0,
	    "a value with a NUL byte kept whole");
	cr_assert_eq(b.e[0].deliveries, 0, "new entries: no count asked");
	batch_free(&b);
	cr_assert_null(b.e);
	conn_free(k);
	conn_free(rd);
}

Test(stream, pending_read_again_with_delivery_counts)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct batch b;
	char cursor[48] = "0";
	three_read(k, rd, &b);
	batch_free(&b);
	cmd(k, "XDEL t:plans 1-2");       /* deleted while pending */
	cr_assert_eq(stream_read_pending(k, &S, cursor, sizeof(cursor), 2, &b), 0);
	cr_assert_eq(b.n, 2);
	cr_assert_str_eq(b.e[0].id, "1-1");
	cr_assert_eq(b.e[0].deliveries, 2, "read, then read again");
	cr_assert_str_eq(b.e[1].id, "1-2");
	cr_assert_null(b.e[1].f, "a deleted entry has no fields");
	cr_assert_str_eq(cursor, "1-2", "the cursor moves to the last id");
	batch_free(&b);
	cr_assert_eq(stream_read_pending(k, &S, cursor, sizeof(cursor), 2, &b), 0);
	cr_assert_eq(b.n, 1);
	cr_assert_str_eq(b.e[0].id, "1-3");
	batch_free(&b);
	cr_assert_eq(stream_read_pending(k, &S, cursor, sizeof(cursor), 2, &b), 0);
	cr_assert_eq(b.got, 0, "none left");
	batch_free(&b);
	conn_free(k);
	conn_free(rd);
}

Test(stream, autoclaim_takes_over_with_counts)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct batch b;
	struct stream c2 = S;
	char cursor[48] = "0-0";
	three_read(k, rd, &b);
	batch_free(&b);
	c2.consumer = "c2";
	cr_assert_eq(stream_autoclaim(k, &c2, cursor, sizeof(cursor), 10, &b), 0);
	cr_assert_eq(b.n, 3);
	cr_assert_eq(b.e[2].deliveries, 2, "the claim counts a delivery");
	cr_assert_str_eq(cursor, "0-0", "the scan is over");
	batch_free(&b);
	conn_free(k);
	conn_free(rd);
}

Test(stream, error_replies_are_not_a_loss)
{
	struct conn *k = test_redis_conn();
	struct batch b;
	char cursor[48] = "0";
	/* no group: the read fails, the group is made again */
	cr_assert_eq(stream_read_pending(k, &S, cursor, sizeof(cursor), 5, &b), -1);
	cr_assert(b.refused && strncmp(b.refused, "NOGROUP", 7) == 0,
	    "the refusal is Redis's error");
	cr_assert_eq(b.n, 0);
	batch_free(&b);
	cr_assert(conn_up(k));
	redisReply *r = conn_cmd(k, "XINFO GROUPS %s", S.key);
	cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1,
	    "NOGROUP: the group was created");
	freeReplyObject(r);
	/* a key of another type */
	struct stream other = S;
	other.key = "t:string";
	cmd(k, "SET t:string x");
	cr_assert_eq(stream_read_pending(k, &other, cursor, sizeof(cursor), 5, &b),
	    -1);
	batch_free(&b);
	cr_assert_eq(stream_autoclaim(k, &other, cursor, sizeof(cursor), 5, &b), -1);
	cr_assert_eq(stream_create_group(k, &other, NULL), -1);
	cr_assert(conn_up(k), "error replies do not lose the connection");
	conn_free(k);
}

Test(stream, blocking_read_dropped_by_client_kill)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct batch b;
	long long id = test_redis_client_id(rd);
	cr_assert_eq(stream_create_group(k, &S, NULL), 0);
	cr_assert_eq(stream_start_read(rd, &S, 10), 0);
	redisReply *r = conn_cmd(k, "CLIENT KILL ID %lld", id);
	cr_assert(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
	freeReplyObject(r);
	cr_assert_eq(wait_batch(rd, k, &b), -1);
	cr_assert_not(conn_up(rd));
	cr_assert(conn_up(k), "only the read connection was lost");
	conn_free(k);
	conn_free(rd);
}

Test(stream, blocking_read_unblocked_by_a_failover)
{
	struct conn *k = test_redis_conn(), *rd = test_redis_conn();
	struct batch b;
	cr_assert_eq(stream_create_group(k, &S, NULL), 0);
	cr_assert_eq(stream_start_read(rd, &S, 10), 0);
	wait_blocked(k);
	cmd(k, "REPLICAOF 127.0.0.1 1");  /* the master is a replica now */
	cr_assert_eq(wait_batch(rd, k, &b), 1, "the reply is complete");
	cr_assert_eq(b.n, 0);
	batch_free(&b);
	cr_assert_not(conn_up(rd), "UNBLOCKED means the master moved");
	cr_assert(strncmp(conn_why(rd), "UNBLOCKED", 9) == 0, "why: %s",
	    conn_why(rd));
	conn_free(k);
	conn_free(rd);
}
