/*
 * test_conn.c - workers/conn.c, the worker's connection layer, against a
 * real redis-server: commands, pipelines with error replies in the middle
 * (every reply read, the connection still up), a connection dropped in
 * the middle of a pipeline (by CLIENT KILL from a second connection, or
 * by the server dying), failover errors, AUTH and SELECT.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <string.h>

#include "conn.h"
#include "redis_server.h"

TestSuite(conn, .init = test_redis_start, .fini = test_redis_stop);

static void assert_lost(struct conn *k)
{
	cr_assert_not(conn_up(k), "the connection is still up");
	cr_assert_neq(conn_why(k)[0], '\0', "no reason for the loss");
	/* from now on every call fails at once, without I/O */
	cr_assert_null(conn_cmd(k, "PING"));
	conn_append(k, "PING");
	cr_assert_eq(conn_queued(k), 0, "a lost connection queued a command");
	redisReply *rep[1];
	cr_assert_eq(conn_replies(k, rep, 1), -1);
	cr_assert_null(rep[0]);
	cr_assert_null(conn_last(k));
	cr_assert_eq(conn_drain(k), -1);
	cr_assert_eq(conn_send(k, "PING"), -1);
}

Test(conn, one_command)
{
	struct conn *k = test_redis_conn();
	cr_assert(conn_up(k));
	cr_assert_str_eq(conn_why(k), "");
	redisReply *r = conn_cmd(k, "SET %s %s", "a", "1");
	cr_assert(r && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	const char *argv[] = { "GET", "a" };
	r = conn_cmd_argv(k, 2, argv, NULL);
	cr_assert(r && r->type == REDIS_REPLY_STRING);
	cr_assert_str_eq(r->str, "1");
	freeReplyObject(r);
	/* an error reply is an answer: returned, the connection stays up */
	r = conn_cmd(k, "NOSUCHCOMMAND");
	cr_assert(r && r->type == REDIS_REPLY_ERROR);
	freeReplyObject(r);
	cr_assert(conn_up(k));
	conn_free(k);
}

Test(conn, pipeline_reads_every_reply_past_errors)
{
	struct conn *k = test_redis_conn();
	redisReply *rep[6];
	conn_append(k, "SET n 1");
	conn_append(k, "NOSUCHCOMMAND x");
	conn_append(k, "INCR n");
	conn_append(k, "LPUSH n x");            /* WRONGTYPE */
	conn_append(k, "GET n");
	cr_assert_eq(conn_queued(k), 5);
	cr_assert_eq(conn_replies(k, rep, 6), 5);
	cr_assert_eq(conn_queued(k), 0);
	cr_assert_eq(rep[0]->type, REDIS_REPLY_STATUS);
	cr_assert_eq(rep[1]->type, REDIS_REPLY_ERROR);
	cr_assert_eq(rep[2]->type, REDIS_REPLY_INTEGER);
	cr_assert_eq(rep[2]->integer, 2, "the command after the error ran");
	cr_assert_eq(rep[3]->type, REDIS_REPLY_ERROR);
	cr_assert(strncmp(rep[3]->str, "WRONGTYPE", 9) == 0);
	cr_assert_eq(rep[4]->type, REDIS_REPLY_STRING);
	cr_assert_str_eq(rep[4]->str, "2");
	cr_assert_null(rep[5], "a slot past the queued replies is set");
	conn_free_replies(rep, 6);
	cr_assert_null(rep[0]);
	cr_assert(conn_up(k), "error replies are not a loss");
	conn_free(k);
}

Test(conn, fewer_slots_still_read_everything)
{
	struct conn *k = test_redis_conn();
	redisReply *rep[1];
	conn_append(k, "SET a 1");
	conn_append(k, "NOSUCHCOMMAND");
	conn_append(k, "SET b 2");
	cr_assert_eq(conn_replies(k, rep, 1), 3);
	cr_assert_eq(rep[0]->type, REDIS_REPLY_STATUS);
	conn_free_replies(rep, 1);
	/* nothing was left unread: the next command gets its own reply */
	redisReply *r = conn_cmd(k, "GET b");
	cr_assert(r && r->type == REDIS_REPLY_STRING);
	cr_assert_str_eq(r->str, "2");
	freeReplyObject(r);
	conn_free(k);
}

Test(conn, last_and_drain)
{
	struct conn *k = test_redis_conn();
	conn_append(k, "MULTI");
	conn_append(k, "SET a 1");
	conn_append(k, "INCR a");
	conn_append(k, "EXEC");
	redisReply *x = conn_last(k);
	cr_assert(x && x->type == REDIS_REPLY_ARRAY && x->elements == 2,
	    "conn_last is EXEC's reply");
	cr_assert_eq(x->element[1]->integer, 2);
	freeReplyObject(x);
	conn_append(k, "NOSUCHCOMMAND");
	conn_append(k, "GET a");
	x = conn_last(k);
	cr_assert(x && x->type == REDIS_REPLY_STRING, "the last, past an error");
	freeReplyObject(x);
	conn_append(k, "SET c 3");
	conn_append(k, "NOSUCHCOMMAND");
	cr_assert_eq(conn_drain(k), 0);
	cr_assert_eq(conn_replies(k, NULL, 0), 0, "nothing queued: 0");
	cr_assert(conn_up(k));
	conn_free(k);
}

Test(conn, dropped_mid_pipeline_by_client_kill)
{
	struct conn *k = test_redis_conn(), *other = test_redis_conn();
	redisReply *rep[3];
	long long id = test_redis_client_id(k);
	/* the second command holds the pipeline while the kill comes */
	conn_append(k, "SET before 1");
	conn_append(k, "BLPOP nothing 5");
	conn_append(k, "SET after 1");
	pid_t child = test_redis_later(200, id);
	cr_assert_eq(conn_replies(k, rep, 3), -1);
	test_redis_reap(child);
	for (int i = 0; i < 3; i++)
		cr_assert_null(rep[i], "rep[%d] left set after the loss", i);
	assert_lost(k);
	/* the loss is the killed connection's alone */
	redisReply *r = conn_cmd(other, "MGET before after");
	cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
	cr_assert_eq(r->element[0]->type, REDIS_REPLY_STRING, "ran before");
	cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL,
	    "the command after the kill ran");
	freeReplyObject(r);
	cr_assert(conn_up(other));
	conn_free(k);
	conn_free(other);
}

Test(conn, dropped_mid_pipeline_by_the_server_dying)
{
	struct conn *k = test_redis_conn();
	redisReply *rep[3];
	conn_append(k, "SET before 1");
	conn_append(k, "BLPOP nothing 5");
	conn_append(k, "SET after 1");
	pid_t child = test_redis_later(200, -1);
	cr_assert_eq(conn_replies(k, rep, 3), -1);
	test_redis_reap(child);
	assert_lost(k);
	conn_free(k);
}

Test(conn, command_on_a_dead_server_is_a_loss)
{
	struct conn *k = test_redis_conn();
	test_redis_kill();
	cr_assert_null(conn_cmd(k, "PING"));
	assert_lost(k);
	conn_free(k);
}

Test(conn, failover_error_is_a_loss_for_a_command_not_in_a_pipeline)
{
	struct conn *k = test_redis_conn(), *w = test_redis_conn();
	/* a replica of a master that does not exist: writes are READONLY */
	redisReply *r = conn_cmd(w, "REPLICAOF 127.0.0.1 1");
	cr_assert(r && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	conn_append(k, "SET a 1");
	r = conn_last(k);
	cr_assert(r && r->type == REDIS_REPLY_ERROR && conn_failover_error(r));
	freeReplyObject(r);
	cr_assert(conn_up(k), "a pipeline returns failover errors as replies");
	cr_assert_null(conn_cmd(k, "SET a 1"));
	cr_assert(strncmp(conn_why(k), "READONLY", 8) == 0, "why: %s",
	    conn_why(k));
	assert_lost(k);
	conn_free(k);
	conn_free(w);
}

Test(conn, failover_words)
{
	redisReply e = { .type = REDIS_REPLY_ERROR, .str = (char *)"READONLY x" };
	cr_assert(conn_failover_error(&e));
	e.str = (char *)"UNBLOCKED force unblock";
	cr_assert(conn_failover_error(&e));
	e.str = (char *)"MASTERDOWN Link with MASTER is down";
	cr_assert(conn_failover_error(&e));
	e.str = (char *)"LOADING Redis is loading";
	cr_assert(conn_failover_error(&e));
	e.str = (char *)"ERR unknown command";
	cr_assert_not(conn_failover_error(&e));
	redisReply s = { .type = REDIS_REPLY_STATUS, .str = (char *)"READONLY" };
	cr_assert_not(conn_failover_error(&s));
	cr_assert_not(conn_failover_error(NULL));
}

/* conn_poll_reply() each time conn_fd() is readable, for up to 5 s. */
static int wait_reply(struct conn *k, redisReply **r)
{
	int got = 0;
	for (int i = 0; i < 50 && got == 0; i++) {
		struct pollfd p = { .fd = conn_fd(k), .events = POLLIN };
		if (poll(&p, 1, 100) == 1)
			got = conn_poll_reply(k, r);
	}
	return got;
}

Test(conn, send_and_poll_one_slow_reply)
{
	struct conn *k = test_redis_conn(), *other = test_redis_conn();
	redisReply *r = NULL;
	cr_assert_eq(conn_send(k, "BLPOP list %d", 5), 0);
	struct pollfd w = { .fd = conn_fd(k), .events = POLLIN };
	cr_assert_eq(poll(&w, 1, 100), 0, "a reply before the push");
	r = conn_cmd(other, "RPUSH list v");
	cr_assert_not_null(r);
	freeReplyObject(r);
	int got = wait_reply(k, &r);
	cr_assert_eq(got, 1);
	cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
	cr_assert_str_eq(r->element[1]->str, "v");
	freeReplyObject(r);
	conn_free(k);
	conn_free(other);
}

Test(conn, slow_reply_lost_by_client_kill)
{
	struct conn *k = test_redis_conn(), *other = test_redis_conn();
	redisReply *r = NULL;
	long long id = test_redis_client_id(k);
	cr_assert_eq(conn_send(k, "BLPOP list 5"), 0);
	r = conn_cmd(other, "CLIENT KILL ID %lld", id);
	cr_assert(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
	freeReplyObject(r);
	int got = wait_reply(k, &r);
	cr_assert_eq(got, -1);
	cr_assert_null(r);
	assert_lost(k);
	conn_free(k);
	conn_free(other);
}

Test(conn, auth_and_select)
{
	struct conn *k = test_redis_conn();
	redisReply *r = conn_cmd(k, "CONFIG SET requirepass s3cret");
	cr_assert(r && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	struct conn_cfg cfg = { "127.0.0.1", TR.port, "", "wrong", 0 };
	cr_assert_null(conn_open(&cfg), "a wrong password was taken");
	cfg.password = "s3cret";
	cfg.db = 3;
	struct conn *a = conn_open(&cfg);
	cr_assert_not_null(a);
	r = conn_cmd(a, "SET indb3 1");
	cr_assert(r && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	cfg.db = 0;
	struct conn *b = conn_open(&cfg);
	r = conn_cmd(b, "EXISTS indb3");
	cr_assert(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0,
	    "SELECT 3 was not applied");
	freeReplyObject(r);
	conn_free(a);
	conn_free(b);
	conn_free(k);
}

Test(conn, nothing_listens)
{
	test_redis_kill();
	const struct conn_cfg cfg = { "127.0.0.1", TR.port, "", "", 0 };
	cr_assert_null(conn_open(&cfg));
	cr_assert_null(conn_open_plain("127.0.0.1", TR.port, 200000, 200000));
}

Test(conn, down_is_null)
{
	redisReply *rep[1];
	cr_assert_not(conn_up(NULL));
	cr_assert_null(conn_cmd(NULL, "PING"));
	conn_append(NULL, "PING");
	cr_assert_eq(conn_queued(NULL), 0);
	cr_assert_eq(conn_replies(NULL, rep, 1), -1);
	cr_assert_eq(conn_fd(NULL), -1);
	conn_set_lost(NULL, "nothing to lose");
	conn_free(NULL);
}

Test(conn, first_reason_stays)
{
	struct conn *k = test_redis_conn();
	conn_set_lost(k, "the sentinels name another master");
	conn_set_lost(k, "connect failed");
	cr_assert_str_eq(conn_why(k), "the sentinels name another master");
	assert_lost(k);
	conn_free(k);
}
