/*
 * redis_server.c - a redis-server for a unit test (see redis_server.h).
 * Not a test of its own.
 */
#include "redis_server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct test_redis TR;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A loopback port nothing listens on now (the kernel's pick). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(s >= 0, "socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	cr_assert(getsockname(s, (struct sockaddr *)&a, &n) == 0, "getsockname");
	close(s);
	return ntohs(a.sin_port);
}

static int answers(void)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", TR.port, tv);
	int ok = 0;
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS;
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return ok;
}

void test_redis_start(void)
{
	char port[16], log[96];

	snprintf(TR.dir, sizeof(TR.dir), "/tmp/qie-unit-redis.XXXXXX");
	cr_assert_not_null(mkdtemp(TR.dir), "mkdtemp");
	TR.port = free_port();
	snprintf(port, sizeof(port), "%d", TR.port);
	snprintf(log, sizeof(log), "%s/redis.log", TR.dir);
	TR.pid = fork();
	cr_assert(TR.pid >= 0, "fork");
	if (TR.pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("redis-server", "redis-server", "--port", port, "--bind",
		    "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", TR.dir,
		    "--logfile", log, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (answers())
			return;
		sleep_ms(50);
	}
	cr_assert_fail("redis-server on port %d did not answer", TR.port);
}

void test_redis_kill(void)
{
	if (TR.pid > 0) {
		kill(TR.pid, SIGKILL);
		waitpid(TR.pid, NULL, 0);
	}
	TR.pid = 0;
}

void test_redis_stop(void)
{
	char cmd[128];
	test_redis_kill();
	if (TR.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", TR.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", TR.dir);
	}
}

struct conn *test_redis_conn(void)
{
	const struct conn_cfg cfg = { "127.0.0.1", TR.port, "", "", 0 };
	struct conn *k = conn_open(&cfg);
	cr_assert_not_null(k, "conn_open to port %d", TR.port);
	return k;
}

void test_redis_pending(struct conn *k, const char *stream, const char *group,
    const char *plan_id, char *id, size_t idsz)
{
	redisReply *r = conn_cmd(k, "XADD %s * plan_id %s", stream, plan_id);
	cr_assert(r && r->type == REDIS_REPLY_STRING);
	snprintf(id, idsz, "%s", r->str);
	freeReplyObject(r);
	r = conn_cmd(k, "XGROUP CREATE %s %s 0", stream, group);
	freeReplyObject(r);             /* BUSYGROUP after the first */
	r = conn_cmd(k, "XREADGROUP GROUP %s c COUNT 100 STREAMS %s >", group,
	    stream);
	cr_assert(r && r->type == REDIS_REPLY_ARRAY);
	freeReplyObject(r);
}

long long test_redis_client_id(struct conn *k)
{
	redisReply *r = conn_cmd(k, "CLIENT ID");
	cr_assert(r && r->type == REDIS_REPLY_INTEGER, "CLIENT ID");
	long long id = r->integer;
	freeReplyObject(r);
	return id;
}

pid_t test_redis_later(int delay_ms, long long id)
{
	pid_t p = fork();
	cr_assert(p >= 0, "fork");
	if (p != 0)
		return p;
	sleep_ms(delay_ms);
	if (id < 0) {
		kill(TR.pid, SIGKILL);
		_exit(0);
	}
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", TR.port, tv);
	redisReply *r = c && !c->err ?
	    redisCommand(c, "CLIENT KILL ID %lld", id) : NULL;
	_exit(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 0 : 1);
}

void test_redis_reap(pid_t child)
{
	int st = 0;
	cr_assert_eq(waitpid(child, &st, 0), child, "waitpid");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the second connection's CLIENT KILL did not kill one client");
}
