/*
 * redis.c - the worker's two Redis connections: one for commands, one that
 * sits in a blocking XREADGROUP.  Reads its own pending entries first (ID
 * 0), then new ones (">"), and takes over entries that dead consumers left
 * pending (XAUTOCLAIM).  A lost connection is logged and reconnected with
 * backoff; entries not yet at the executor stay pending and are read again.
 * With Redis Sentinel each connect first asks the sentinels for the master
 * (sentinel.c), and a reply saying the node is no longer the master ends
 * the connection.  Entries read again pass the dead-letter check first
 * (deadletter.c); the entries held in memory are kept fresh (owner.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "worker.h"

#define READ_BLOCK_MS 30000
#define READ_COUNT 128

static redisContext *open_one(struct worker *w)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout(w->s.redis_host,
	    w->s.redis_port, tv);
	if (!c || c->err) {
		log_error("Redis %s:%d: %s", w->s.redis_host, w->s.redis_port,
		    c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisEnableKeepAlive(c);
	/* a command's longest wait: well below the supervisor's 8 s hang
	 * limit, since the loop answers no ping while it waits */
	struct timeval rt = { 5, 0 };
	redisSetTimeout(c, rt);
	if (w->redis_password[0]) {
		redisReply *a = w->redis_user[0] ?
		    redisCommand(c, "AUTH %s %s", w->redis_user, w->redis_password) :
		    redisCommand(c, "AUTH %s", w->redis_password);
		int ok = a && a->type != REDIS_REPLY_ERROR;
		if (!ok)   /* the reply names no secret; print it, never the password */
			log_error("Redis AUTH%s%s refused: %s",
			    w->redis_user[0] ? " as " : "", w->redis_user,
			    a ? a->str : c->errstr);
		if (a)
			freeReplyObject(a);
		if (!ok) {
			redisFree(c);
			return NULL;
		}
	}
	if (w->s.redis_db != 0) {
		redisReply *r = redisCommand(c, "SELECT %d", w->s.redis_db);
		int ok = r && r->type != REDIS_REPLY_ERROR;
		if (r)
			freeReplyObject(r);
		if (!ok) {
			log_error("Redis SELECT %d failed", w->s.redis_db);
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

redisReply *wr_cmd(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	if (!w->rc)
		return NULL;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(w->rc, fmt, ap);
	va_end(ap);
	if (!r) {
		wr_lost(w, w->rc->errstr[0] ? w->rc->errstr : "no reply");
	} else if (wr_failover_error(r)) {      /* no longer the master */
		char why[160];
		snprintf(why, sizeof(why), "%s", r->str);
		freeReplyObject(r);
		wr_lost(w, why);
		r = NULL;
	}
	return r;
}

int wr_drain(struct worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		redisReply *x = NULL;
		if (redisGetReply(w->rc, (void **)&x) != REDIS_OK) {
			wr_lost(w, w->rc->errstr);
			return -1;
		}
		freeReplyObject(x);
	}
	return 0;
}

static int create_group(struct worker *w)
{
	redisReply *r = wr_cmd(w, "XGROUP CREATE %s %s $ MKSTREAM", w->stream,
	    w->group);
	if (!r)
		return -1;
	int ok = r->type != REDIS_REPLY_ERROR ||
	    strncmp(r->str, "BUSYGROUP", 9) == 0;
	if (!ok)
		log_error("XGROUP CREATE %s %s: %s", w->stream, w->group, r->str);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

int wr_connect(struct worker *w)
{
	if (w->n_sentinels && sentinel_locate(w) < 0) {
		w->reconnect_at = mono_ms() + w->reconnect_delay;
		w->reconnect_delay = w->reconnect_delay * 2 > 5000 ? 5000 :
		    w->reconnect_delay * 2;
		return -1;
	}
	w->rc = open_one(w);
	if (w->rc && w->n_sentinels && !sentinel_is_master(w, w->rc)) {
		redisFree(w->rc);
		w->rc = NULL;
	}
	if (w->rc)
		w->rs = open_one(w);
	if (!w->rc || !w->rs || create_group(w) < 0) {
		if (w->rc)
			wr_lost(w, "connect failed");
		else
			w->reconnect_at = mono_ms() + w->reconnect_delay;
		w->reconnect_delay = w->reconnect_delay * 2 > 5000 ? 5000 :
		    w->reconnect_delay * 2;
		return -1;
	}
	w->reconnect_delay = 100;
	w->pending_mode = 1;
	snprintf(w->pending_cursor, sizeof(w->pending_cursor), "0");
	return 0;
}

void wr_lost(struct worker *w, const char *why)
{
	if (w->rc || w->rs)
		log_error("Redis connection lost (%s): reconnecting in %lld ms; "
		    "plans not yet sent stay pending", why,
		    (long long)w->reconnect_delay);
	if (w->rc)
		redisFree(w->rc);
	if (w->rs)
		redisFree(w->rs);
	w->rc = w->rs = NULL;
	w->rs_waiting = 0;
	w->reconnect_at = mono_ms() + w->reconnect_delay;
	jobs_drop_unsent(&w->jobs);
}

/*
 * Runs lane_entry() for each [id, fields] of an entries array; entries
 * delivered again (our pending ones, or taken over) pass the dead-letter
 * check first.
 */
static void each_entry(struct worker *w, const redisReply *entries,
    char *last_id, size_t last_sz, int again)
{
	long long counts[JOBS_MAX + 1];

	if (again)
		dl_counts(w, entries, counts, JOBS_MAX + 1);
	for (size_t i = 0; i < entries->elements && w->rc; i++) {
		const redisReply *e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		if (last_id)
			snprintf(last_id, last_sz, "%s", e->element[0]->str);
		if (again && i <= JOBS_MAX &&
		    dl_check(w, e->element[0]->str, e->element[1], counts[i]))
			continue;
		lane_entry(w, e->element[0]->str, e->element[1]);
	}
}

/* XREADGROUP reply: [[stream, entries]] or nil. */
static size_t each_stream_reply(struct worker *w, const redisReply *r,
    char *last_id, size_t last_sz, int again)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return 0;
	const redisReply *s = r->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY)
		return 0;
	size_t n = s->element[1]->elements;
	each_entry(w, s->element[1], last_id, last_sz, again);
	return n;
}

static void read_error(struct worker *w, const redisReply *r)
{
	log_error("XREADGROUP %s: %s", w->stream, r->str);
	if (wr_failover_error(r))
		wr_lost(w, r->str);     /* the master moved: ask again */
	else if (strncmp(r->str, "NOGROUP", 7) == 0)
		create_group(w);
}

void wr_read_pending(struct worker *w)
{
	int room = jobs_room(&w->jobs);
	if (room <= 0)
		return;
	redisReply *r = wr_cmd(w, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s",
	    w->group, w->consumer, room, w->stream, w->pending_cursor);
	if (!r)
		return;
	size_t n;
	if (r->type == REDIS_REPLY_ERROR)
		read_error(w, r);
	else if ((n = each_stream_reply(w, r, w->pending_cursor,
		     sizeof(w->pending_cursor), 1)) == 0)
		w->pending_mode = 0;
	else
		log_info("read %zu pending entries of this consumer (%s) again",
		    n, w->consumer);
	freeReplyObject(r);
}

void wr_start_blocking_read(struct worker *w)
{
	int room = jobs_room(&w->jobs);
	int done = 0;
	if (room <= 0 || w->rs_waiting || !w->rs)
		return;
	if (room > READ_COUNT)
		room = READ_COUNT;
	if (redisAppendCommand(w->rs,
		"XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s >", w->group,
		w->consumer, room, READ_BLOCK_MS, w->stream) != REDIS_OK) {
		wr_lost(w, "XREADGROUP could not be sent");
		return;
	}
	while (!done)
		if (redisBufferWrite(w->rs, &done) != REDIS_OK) {
			wr_lost(w, w->rs->errstr);
			return;
		}
	w->rs_waiting = 1;
}

void wr_finish_blocking_read(struct worker *w)
{
	redisReply *r = NULL;
	if (redisBufferRead(w->rs) != REDIS_OK) {
		wr_lost(w, w->rs->errstr);
		return;
	}
	if (redisGetReplyFromReader(w->rs, (void **)&r) != REDIS_OK) {
		wr_lost(w, w->rs->errstr);
		return;
	}
	if (!r)
		return;         /* not complete yet */
	w->rs_waiting = 0;
	if (r->type == REDIS_REPLY_ERROR)
		read_error(w, r);
	else
		each_stream_reply(w, r, NULL, 0, 0);
	freeReplyObject(r);
}

void wr_autoclaim(struct worker *w)
{
	char cursor[48] = "0-0";
	do {
		int room = jobs_room(&w->jobs);
		if (room <= 0)
			return;
		redisReply *r = wr_cmd(w, "XAUTOCLAIM %s %s %s %d %s COUNT %d",
		    w->stream, w->group, w->consumer, w->s.claim_min_idle_ms,
		    cursor, room);
		if (!r)
			return;
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			log_error("XAUTOCLAIM %s: unexpected reply", w->stream);
			freeReplyObject(r);
			return;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		if (r->element[1]->elements > 0)
			log_info("took over %zu pending entries of idle consumers",
			    r->element[1]->elements);
		each_entry(w, r->element[1], NULL, 0, 1);
		freeReplyObject(r);
	} while (w->rc && strcmp(cursor, "0-0") != 0);
}
