/*
 * conn.c - one Redis connection, and a loss reported as its state (see
 * conn.h).
 *
 * May: connect to the node it is given, send it what the caller asks.
 * May not: call anything of the worker above it, free the connection
 * under a caller (only conn_free() does), log a password.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define WHY_MAX 200

struct conn {
	redisContext *c;
	int queued;                     /* pipelined commands not yet read */
	char why[WHY_MAX];              /* "" while up */
	unsigned long script_gen;       /* conn_script_gen() */
};

/* the last script generation given out: every connection's is new */
static unsigned long script_gens;

static struct conn *wrap(redisContext *c)
{
	struct conn *k = calloc(1, sizeof(*k));
	if (!k)
		fatalx("out of memory");
	k->c = c;
	k->script_gen = ++script_gens;
	return k;
}

unsigned long conn_script_gen(const struct conn *k)
{
	return k ? k->script_gen : 0;
}

const redisReply *conn_part(const redisReply *all, int i, int n)
{
	if (all && all->type == REDIS_REPLY_ARRAY && all->elements == (size_t)n &&
	    i >= 0 && i < n)
		return all->element[i];
	return all;
}

int conn_noscript(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* Redis answered NOSCRIPT: its script cache is not what it was. */
static void seen(struct conn *k, const redisReply *r)
{
	if (conn_noscript(r))
		k->script_gen = ++script_gens;
}

struct conn *conn_open_plain(const char *host, int port, long connect_us,
    long reply_us)
{
	struct timeval ct = { connect_us / 1000000, connect_us % 1000000 };
	struct timeval rt = { reply_us / 1000000, reply_us % 1000000 };
	log_flush();
	redisContext *c = redisConnectWithTimeout(host, port, ct);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, rt);
	return wrap(c);
}

/* AUTH [user] password; 0, or -1 (logged: the reply, never the password). */
static int auth(redisContext *c, const char *user, const char *password)
{
	redisReply *a = user && user[0] ?
	    redisCommand(c, "AUTH %s %s", user, password) :
	    redisCommand(c, "AUTH %s", password);
	int ok = a && a->type != REDIS_REPLY_ERROR;
	if (!ok)
		log_error("Redis AUTH%s%s refused: %s", user && user[0] ? " as " : "",
		    user ? user : "", a ? a->str : c->errstr);
	if (a)
		freeReplyObject(a);
	return ok ? 0 : -1;
}

static int select_db(redisContext *c, int db)
{
	redisReply *r = redisCommand(c, "SELECT %d", db);
	int ok = r && r->type != REDIS_REPLY_ERROR;
	if (r)
		freeReplyObject(r);
	if (!ok)
		log_error("Redis SELECT %d failed", db);
	return ok ? 0 : -1;
}

struct conn *conn_open(const struct conn_cfg *cfg)
{
	struct timeval tv = { 2, 0 };
	log_flush();
	redisContext *c = redisConnectWithTimeout(cfg->host, cfg->port, tv);
	if (!c || c->err) {
		log_error("Redis %s:%d: %s", cfg->host, cfg->port,
		    c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisEnableKeepAlive(c);
	/* a command's longest wait, from AUTH on: well below the supervisor's
	 * hang limit (7 s), since the loop answers no ping while it waits */
	struct timeval rt = { CONN_REPLY_TIMEOUT_S, 0 };
	redisSetTimeout(c, rt);
	if (cfg->password && cfg->password[0] &&
	    auth(c, cfg->user, cfg->password) < 0) {
		redisFree(c);
		return NULL;
	}
	if (cfg->db != 0 && select_db(c, cfg->db) < 0) {
		redisFree(c);
		return NULL;
	}
	return wrap(c);
}

void conn_free(struct conn *k)
{
	if (!k)
		return;
	redisFree(k->c);
	free(k);
}

int conn_up(const struct conn *k)
{
	return k && !k->why[0];
}

const char *conn_why(const struct conn *k)
{
	return k ? k->why : "not connected";
}

void conn_set_lost(struct conn *k, const char *why)
{
	if (!k || k->why[0])
		return;
	snprintf(k->why, sizeof(k->why), "%s", why && why[0] ? why : "lost");
	k->queued = 0;
}

int conn_fd(const struct conn *k)
{
	return k ? k->c->fd : -1;
}

/* No reply, or an I/O error: hiredis says why. */
static void lost_io(struct conn *k)
{
	conn_set_lost(k, k->c->errstr[0] ? k->c->errstr : "no reply");
}

static void no_pipeline(const struct conn *k)
{
	if (k->queued)
		fatalx("Redis: a command sent with %d pipelined replies unread",
		    k->queued);
}

/* A command's reply, or NULL with the loss recorded. */
static redisReply *checked(struct conn *k, redisReply *r)
{
	seen(k, r);
	if (!r) {
		lost_io(k);
	} else if (conn_failover_error(r)) {      /* no longer the master */
		char why[160];
		snprintf(why, sizeof(why), "%s", r->str);
		freeReplyObject(r);
		conn_set_lost(k, why);
		r = NULL;
	}
	return r;
}

redisReply *conn_vcmd(struct conn *k, const char *fmt, va_list ap)
{
	if (!conn_up(k))
		return NULL;
	no_pipeline(k);
	return checked(k, redisvCommand(k->c, fmt, ap));
}

redisReply *conn_cmd(struct conn *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = conn_vcmd(k, fmt, ap);
	va_end(ap);
	return r;
}

redisReply *conn_cmd_argv(struct conn *k, int argc, const char **argv,
    const size_t *len)
{
	if (!conn_up(k))
		return NULL;
	no_pipeline(k);
	return checked(k, redisCommandArgv(k->c, argc, argv, len));
}

static void queued(struct conn *k, int rc)
{
	if (rc == REDIS_OK)
		k->queued++;
	else            /* out of memory: nothing more goes out */
		conn_set_lost(k, k->c->errstr[0] ? k->c->errstr :
		    "a command could not be queued");
}

void conn_vappend(struct conn *k, const char *fmt, va_list ap)
{
	if (conn_up(k))
		queued(k, redisvAppendCommand(k->c, fmt, ap));
}

void conn_append(struct conn *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vappend(k, fmt, ap);
	va_end(ap);
}

void conn_append_argv(struct conn *k, int argc, const char **argv,
    const size_t *len)
{
	if (conn_up(k))
		queued(k, redisAppendCommandArgv(k->c, argc, argv, len));
}

int conn_queued(const struct conn *k)
{
	return k ? k->queued : 0;
}

void conn_free_replies(redisReply **rep, int n)
{
	for (int i = 0; i < n; i++) {
		if (rep[i])
			freeReplyObject(rep[i]);
		rep[i] = NULL;
	}
}

/*
 * Reads every queued reply: the first nrep into rep[], the last into
 * *last when last is not NULL, the others freed.  n, or -1 when lost.
 */
static int read_all(struct conn *k, redisReply **rep, int nrep,
    redisReply **last)
{
	int n = conn_queued(k);

	for (int i = 0; i < nrep; i++)
		rep[i] = NULL;
	if (last)
		*last = NULL;
	if (!conn_up(k))
		return -1;
	k->queued = 0;
	log_flush();            /* no line waits through a round trip */
	for (int i = 0; i < n; i++) {
		redisReply *x = NULL;
		if (redisGetReply(k->c, (void **)&x) != REDIS_OK || !x) {
			lost_io(k);
			conn_free_replies(rep, i < nrep ? i : nrep);
			return -1;      /* *last is only set by the final read */
		}
		seen(k, x);
		if (i < nrep) {
			rep[i] = x;
		} else if (last && i == n - 1) {
			*last = x;
		} else {
			freeReplyObject(x);
		}
	}
	return n;
}

int conn_replies(struct conn *k, redisReply **rep, int nrep)
{
	return read_all(k, rep, nrep, NULL);
}

redisReply *conn_last(struct conn *k)
{
	redisReply *last = NULL;
	read_all(k, NULL, 0, &last);
	return last;
}

int conn_drain(struct conn *k)
{
	return read_all(k, NULL, 0, NULL) < 0 ? -1 : 0;
}

int conn_send(struct conn *k, const char *fmt, ...)
{
	va_list ap;
	int done = 0;

	if (!conn_up(k))
		return -1;
	no_pipeline(k);
	va_start(ap, fmt);
	int rc = redisvAppendCommand(k->c, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		char why[64];
		snprintf(why, sizeof(why), "%.*s could not be sent",
		    (int)strcspn(fmt, " "), fmt);
		conn_set_lost(k, why);
		return -1;
	}
	log_flush();
	while (!done)
		if (redisBufferWrite(k->c, &done) != REDIS_OK) {
			lost_io(k);
			return -1;
		}
	return 0;
}

int conn_poll_reply(struct conn *k, redisReply **r)
{
	*r = NULL;
	if (!conn_up(k))
		return -1;
	if (redisBufferRead(k->c) != REDIS_OK ||
	    redisGetReplyFromReader(k->c, (void **)r) != REDIS_OK) {
		lost_io(k);
		return -1;
	}
	return *r ? 1 : 0;
}

int conn_failover_error(const redisReply *r)
{
	static const char *const word[] = { "READONLY", "UNBLOCKED", "MASTERDOWN",
		"LOADING", NULL };
	if (!r || r->type != REDIS_REPLY_ERROR)
		return 0;
	for (int i = 0; word[i]; i++)
		if (strncmp(r->str, word[i], strlen(word[i])) == 0)
			return 1;
	return 0;
}

enum conn_verdict conn_verdict(const redisReply *r)
{
	static const char *const word[] = { "OOM", "BUSY", "LOADING",
		"READONLY", "MASTERDOWN", "UNBLOCKED", "TRYAGAIN", "CLUSTERDOWN",
		"NOREPLICAS", NULL };
	if (!r)
		return CONN_TRANSIENT;          /* lost, or timed out */
	if (r->type != REDIS_REPLY_ERROR)
		return CONN_OK;
	size_t n = strcspn(r->str, " ");        /* the error's code */
	for (int i = 0; word[i]; i++)
		if (n == strlen(word[i]) && strncmp(r->str, word[i], n) == 0)
			return CONN_TRANSIENT;
	return CONN_REFUSED;
}

int conn_transient(const redisReply *r)
{
	return conn_verdict(r) == CONN_TRANSIENT;
}

static int failed(const redisReply *r)
{
	return !r || r->type == REDIS_REPLY_ERROR;
}

int conn_exec_failure(redisReply *const *rep, int n, const redisReply **bad)
{
	const redisReply *x = rep[n + 1];

	*bad = rep[0];
	if (failed(rep[0]))
		return 0;
	for (int i = 1; i <= n; i++) {          /* refused when queued */
		*bad = rep[i];
		if (failed(rep[i]))
			return i;
	}
	*bad = x;
	if (!x || x->type != REDIS_REPLY_ARRAY || x->elements != (size_t)n)
		return n + 1;
	for (int i = 0; i < n; i++) {           /* failed inside EXEC */
		*bad = x->element[i];
		if (failed(x->element[i]))
			return i + 1;
	}
	*bad = NULL;
	return -1;
}
