/*
 * conn.h - the worker's connection layer: one Redis connection (hiredis).
 *
 * Opens it (connect, keepalive, AUTH, SELECT), runs one command, or a
 * pipeline whose every reply is read, and says when the connection is
 * lost.  A loss is a state, never a teardown under the caller: the first
 * call that finds the connection gone (no reply, an I/O error, or, for
 * conn_cmd(), a reply saying the node is no longer the master) records why
 * and fails; from then on every call fails at once, without I/O, until
 * the owner sees conn_up() == 0, logs conn_why() and conn_free()s it.
 * A NULL struct conn is a connection that is down: calls on it fail too.
 *
 * May: talk to the one node it was opened to.  May not: know streams,
 * plans or the worker; log a password.
 */
#ifndef QIE_CONN_H
#define QIE_CONN_H

#define CONN_REPLY_TIMEOUT_S 5        /* the longest wait for a reply */

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stddef.h>

struct conn;

struct conn_cfg {
	const char *host;               /* an address: resolved by the caller */
	int port;
	const char *user;               /* "" or NULL: the default user */
	const char *password;           /* "" or NULL: no AUTH */
	int db;                         /* SELECTed when not 0 */
};

/*
 * Connects within 2 s, turns TCP keepalive on, AUTHs, sets a 10 s reply
 * timeout and SELECTs; NULL (logged) when any of it failed.
 */
struct conn *conn_open(const struct conn_cfg *cfg);
/* Only connects, with these timeouts; NULL, not logged, when it failed. */
struct conn *conn_open_plain(const char *host, int port, long connect_us,
    long reply_us);
void conn_free(struct conn *k);

/* 1 while connected and not lost. */
int conn_up(const struct conn *k);
/* Why it was lost ("" while up). */
const char *conn_why(const struct conn *k);
/* Marks k lost (a caller's reason: the node is not the master ...);
 * the first reason stays. */
void conn_set_lost(struct conn *k, const char *why);
/*
 * A number that changes when the connection is new, or when Redis answered
 * NOSCRIPT on it (a pipeline's reply or a command's): what scripts Redis
 * had cached before may be gone (script.c).  0 for no connection.
 */
unsigned long conn_script_gen(const struct conn *k);
/* r is Redis's NOSCRIPT error (the script is not in its cache). */
int conn_noscript(const redisReply *r);
/*
 * Part i of all, the reply of a script that answers one element for each
 * of n items; or all itself when it is not such an array (no reply, an
 * error for the whole call: it stands for every item).
 */
const redisReply *conn_part(const redisReply *all, int i, int n);
/* The socket, to poll for a reply of conn_send(); -1 when down. */
int conn_fd(const struct conn *k);

/*
 * One command.  A reply, or NULL when the connection is lost: no reply
 * came, or the reply is an error that means the master moved
 * (conn_failover_error(): the reply's text is then the reason).  Other
 * error replies are returned.  The caller frees the reply.
 */
redisReply *conn_cmd(struct conn *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
redisReply *conn_vcmd(struct conn *k, const char *fmt, va_list ap);
redisReply *conn_cmd_argv(struct conn *k, int argc, const char **argv,
    const size_t *len);

/*
 * A pipeline: conn_append*() queue commands, then conn_replies(),
 * conn_last() or conn_drain() send them and read the reply of every one,
 * in order, an error reply like any other (it is an answer, not a loss;
 * nothing in a pipeline is checked for failover errors).
 */
void conn_append(struct conn *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conn_vappend(struct conn *k, const char *fmt, va_list ap);
void conn_append_argv(struct conn *k, int argc, const char **argv,
    const size_t *len);
/* Commands queued and not yet read. */
int conn_queued(const struct conn *k);
/*
 * Reads every queued reply: the first nrep into rep[] (the caller frees
 * them, conn_free_replies()), the rest dropped.  Returns how many were
 * queued, or -1 when the connection was lost on the way (rep[] all NULL).
 */
int conn_replies(struct conn *k, redisReply **rep, int nrep);
/* Reads every queued reply and returns the last; NULL when lost. */
redisReply *conn_last(struct conn *k);
/* Reads and drops every queued reply: 0, or -1 when lost. */
int conn_drain(struct conn *k);
void conn_free_replies(redisReply **rep, int n);

/*
 * For a connection that waits for one slow reply (a blocking read) while
 * the caller polls conn_fd(): conn_send() queues and writes one command
 * (0, or -1 lost); conn_poll_reply(), called once conn_fd() is readable
 * (it would wait for data otherwise), reads what arrived: 1 with *r, 0
 * not complete yet, -1 lost.
 */
int conn_send(struct conn *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int conn_poll_reply(struct conn *k, redisReply **r);

/* A reply that means the master moved (READONLY, UNBLOCKED ...). */
int conn_failover_error(const redisReply *r);

/*
 * What a reply means to the caller, decided here for the whole worker:
 * CONN_OK, not an error; CONN_TRANSIENT, Redis cannot do it now but will
 * (no reply at all: a lost connection or a timeout; or an error reply
 * OOM, BUSY, LOADING, READONLY, MASTERDOWN, UNBLOCKED, TRYAGAIN,
 * CLUSTERDOWN, NOREPLICAS): retry with backoff, never write it as a
 * plan's result; CONN_REFUSED, any other error (WRONGTYPE, NOPERM, ERR
 * ...): the command is wrong for the data or the rights as they are.
 * An error returned by a script keeps the code of the command that failed
 * inside it (an OOM in a script is an OOM).
 */
enum conn_verdict { CONN_OK, CONN_TRANSIENT, CONN_REFUSED };
enum conn_verdict conn_verdict(const redisReply *r);
/* conn_verdict(r) == CONN_TRANSIENT */
int conn_transient(const redisReply *r);

/*
 * The replies of a pipelined transaction, MULTI, n commands, EXEC, as
 * conn_replies() read them (rep[0] .. rep[n + 1]), checked command by
 * command: Redis runs the rest of a transaction past a command that
 * fails inside EXEC, so EXEC's reply being an array says nothing.
 * Returns -1 when every command succeeded; else the position of the
 * first failure (0 MULTI, 1..n a command, refused when queued or failed
 * inside EXEC, n + 1 EXEC itself: an error, or nil when a WATCHed key
 * changed, or an array of another length) with *bad its reply (for a
 * command inside EXEC, its element of EXEC's array; NULL when missing).
 */
int conn_exec_failure(redisReply *const *rep, int n, const redisReply **bad);

#endif
