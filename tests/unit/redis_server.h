/*
 * redis_server.h - for the unit tests of the worker's connection and
 * stream layers: a real redis-server, started by the test on a free
 * loopback port, in a directory of its own, without persistence.
 */
#ifndef QIE_TEST_REDIS_SERVER_H
#define QIE_TEST_REDIS_SERVER_H

#include <sys/types.h>

#include "conn.h"

struct test_redis {
	pid_t pid;
	int port;
	char dir[64];
};

extern struct test_redis TR;

/* Starts TR (criterion .init); fails the test when it does not answer. */
void test_redis_start(void);
/* Stops TR (criterion .fini) and removes its directory. */
void test_redis_stop(void);
/* Kills TR now (SIGKILL) and reaps it: the server is gone. */
void test_redis_kill(void);
/* A connection to TR through the connection layer (asserts it opened). */
struct conn *test_redis_conn(void);
/* An entry (plan_id) added to stream and read by consumer c of group
 * (created at 0 when missing): pending; its id in id. */
void test_redis_pending(struct conn *k, const char *stream, const char *group,
    const char *plan_id, char *id, size_t idsz);
/* CLIENT ID of k's connection. */
long long test_redis_client_id(struct conn *k);
/* In a child process, after delay_ms: CLIENT KILL ID id from a second
 * connection, or (id < 0) SIGKILL of the server.  Returns the child. */
pid_t test_redis_later(int delay_ms, long long id);
void test_redis_reap(pid_t child);

#endif
