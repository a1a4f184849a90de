/*
 * stream.c - a lane's stream read in batches of entries (see stream.h).
 *
 * May: send XREADGROUP, XAUTOCLAIM, XPENDING and XGROUP CREATE (in a
 * script that also reads Redis's TIME, XRANGE and XLEN) through the
 * connection layer, log what Redis refused.  May not: call the dead-letter
 * check, plan logic or the worker's connection handling (it returns
 * entries; the caller routes them), acknowledge an entry.
 */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define READ_BLOCK_MS 30000
#define READ_COUNT 128

void batch_free(struct batch *b)
{
	if (b->reply)
		freeReplyObject(b->reply);
	free(b->e);
	free(b->store);
	memset(b, 0, sizeof(*b));
}

static const char *entry_id(const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	return e->element[0]->str;
}

/* b->e[] from an entries array [[id, fields] ...]; malformed ones skipped. */
static void fill(struct batch *b, const redisReply *entries)
{
	size_t nfields = 0, used = 0;

	b->got = entries->elements;
	for (size_t i = 0; i < b->got; i++) {
		const redisReply *e = entries->element[i];
		if (entry_id(e) && e->element[1]->type == REDIS_REPLY_ARRAY)
			nfields += e->element[1]->elements;
	}
	b->e = calloc(b->got + 1, sizeof(*b->e));
	b->store = calloc(nfields + 1, sizeof(*b->store));
	if (!b->e || !b->store)
		fatalx("out of memory");
	for (size_t i = 0; i < b->got; i++) {
		const redisReply *e = entries->element[i];
		if (!entry_id(e))
			continue;
		struct entry *x = &b->e[b->n++];
		const redisReply *f = e->element[1];
		x->id = e->element[0]->str;
		if (f->type != REDIS_REPLY_ARRAY)
			continue;       /* deleted from the stream while pending */
		x->f = b->store + used;
		x->nf = f->elements;
		for (size_t k = 0; k < f->elements; k++, used++)
			if (f->element[k]->type == REDIS_REPLY_STRING)
				b->store[used] = (struct bytes){ f->element[k]->str,
					f->element[k]->len };
	}
}

/*
 * The delivery count of each entry of b (XPENDING over the batch's id
 * range, this consumer's); left 0 when Redis would not say.  0, or -1
 * when the connection was lost.
 */
static int deliveries(struct conn *k, const struct stream *s,
    const redisReply *entries, struct batch *b)
{
	static int said;
	size_t n = entries->elements;
	const char *first, *last;

	if (n == 0 || !(first = entry_id(entries->element[0])) ||
	    !(last = entry_id(entries->element[n - 1])))
		return 0;
	redisReply *r = conn_cmd(k, "XPENDING %s %s %s %s %d %s", s->key,
	    s->group, first, last, (int)(n + (size_t)s->pel_slack), s->consumer);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR && !said++)
		log_error("XPENDING %s: %s: delivery counts unknown, entries are "
		    "not dead-lettered", s->key, r->str);
	for (size_t p = 0; r->type == REDIS_REPLY_ARRAY && p < r->elements; p++) {
		const redisReply *e = r->element[p];
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[3]->type != REDIS_REPLY_INTEGER)
			continue;
		for (size_t i = 0; i < b->n; i++) {
			if (strcmp(b->e[i].id, e->element[0]->str) == 0) {
				b->e[i].deliveries = e->element[3]->integer;
				break;
			}
		}
	}
	freeReplyObject(r);
	return 0;
}

/* Takes r into b: entries (may be NULL: none), read again or not. */
static int take(struct conn *k, const struct stream *s, redisReply *r,
    const redisReply *entries, int again, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->reply = r;
	if (entries)
		fill(b, entries);
	if (entries && again && deliveries(k, s, entries, b) < 0) {
		batch_free(b);
		return -1;
	}
	return 0;
}

/* The entries of an XREADGROUP reply, [[stream, entries]], or NULL. */
static const redisReply *read_entries(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return NULL;
	const redisReply *s = r->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return s->element[1];
}

/*
 * KEYS[1] the stream; ARGV[1] the group, ARGV[2] the max plan age in ms,
 * ARGV[3] the most entries counted.  Creates the group at Redis's own time
 * (stream ids are its clock) minus the max age, "<ms>-0": every plan still
 * young enough to execute is delivered.  {0}: it existed (BUSYGROUP);
 * {1, start id, entries it delivers (at most ARGV[3]), stream length}.
 */
static const char group_script[] =
    "local t = redis.call('TIME') "
    "local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "- tonumber(ARGV[2]) "
    "if ms < 0 then ms = 0 end "
    "local start = string.format('%.0f-0', ms) "
    "local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, "
    "'MKSTREAM') "
    "if type(r) == 'table' and r.err then "
    "if string.sub(r.err, 1, 9) == 'BUSYGROUP' then return {0} end "
    "return r end "
    "local n = #redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', ARGV[3]) "
    "return {1, start, n, redis.call('XLEN', KEYS[1])}";

#define GROUP_COUNT_MAX 10000

/* What a new group found: where it starts, why, what it delivers. */
static void log_created(const struct stream *s, const redisReply *r,
    const char *gone)
{
	long long n = r->element[2]->integer, len = r->element[3]->integer;
	long long older = len - n;
	char what[200];

	if (n >= GROUP_COUNT_MAX)
		snprintf(what, sizeof(what), "it delivers at least %lld entries "
		    "(the stream holds %lld)", n, len);
	else
		snprintf(what, sizeof(what), "it delivers %lld entr%s; %lld older "
		    "entr%s of the stream %s not delivered", n, n == 1 ? "y" : "ies",
		    older, older == 1 ? "y" : "ies", older == 1 ? "is" : "are");
	if (gone)
		log_error("consumer group %s on %s was gone (%s): recreated at %s "
		    "(Redis time minus INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=%lld s: every "
		    "plan still young enough to execute): %s", s->group, s->key,
		    gone, r->element[1]->str, s->max_age_ms / 1000, what);
	else
		log_info("consumer group %s created on %s at %s (Redis time minus "
		    "INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=%lld s: every plan still young "
		    "enough to execute): %s", s->group, s->key, r->element[1]->str,
		    s->max_age_ms / 1000, what);
}

int stream_create_group(struct conn *k, const struct stream *s,
    const char *gone)
{
	redisReply *r = conn_cmd(k, "EVAL %s 1 %s %s %lld %d", group_script,
	    s->key, s->group, s->max_age_ms, GROUP_COUNT_MAX);
	if (!r)
		return -1;
	int ok = r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER;
	int created = ok && r->element[0]->integer == 1;
	if (created && (r->elements != 4 ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_INTEGER ||
	    r->element[3]->type != REDIS_REPLY_INTEGER))
		ok = 0;
	if (!ok)
		log_error("XGROUP CREATE %s %s: %s", s->key, s->group,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	else if (created)
		log_created(s, r, gone);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* An XREADGROUP error reply: the master moved (rd lost), or no group. */
static void read_error(struct conn *rd, struct conn *k,
    const struct stream *s, const redisReply *r)
{
	if (!conn_transient(r) || conn_failover_error(r))
		log_error("XREADGROUP %s: %s", s->key, r->str);
	if (conn_failover_error(r))
		conn_set_lost(rd, r->str);      /* the master moved: ask again */
	else if (strncmp(r->str, "NOGROUP", 7) == 0)
		stream_create_group(k, s, "NOGROUP: destroyed, or Redis lost "
		    "its data");
}

int stream_read_pending(struct conn *k, const struct stream *s, char *cursor,
    size_t cursor_sz, int count, struct batch *b)
{
	redisReply *r = conn_cmd(k, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s",
	    s->group, s->consumer, count, s->key, cursor);
	if (!r)
		return -1;
	memset(b, 0, sizeof(*b));
	if (r->type == REDIS_REPLY_ERROR) {
		read_error(k, k, s, r);
		b->reply = r;           /* freed by batch_free() */
		b->refused = r->str;
		return -1;
	}
	if (take(k, s, r, read_entries(r), 1, b) < 0)
		return -1;
	if (b->n > 0)
		snprintf(cursor, cursor_sz, "%s", b->e[b->n - 1].id);
	return 0;
}

int stream_start_read(struct conn *rd, const struct stream *s, int count)
{
	if (count > READ_COUNT)
		count = READ_COUNT;
	return conn_send(rd, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s >",
	    s->group, s->consumer, count, READ_BLOCK_MS, s->key);
}

int stream_finish_read(struct conn *rd, struct conn *k,
    const struct stream *s, struct batch *b)
{
	redisReply *r = NULL;
	int got = conn_poll_reply(rd, &r);

	if (got <= 0)
		return got;
	if (r->type == REDIS_REPLY_ERROR) {
		read_error(rd, k, s, r);
		take(k, s, r, NULL, 0, b);
		b->refused = r->str;
	} else {
		take(k, s, r, read_entries(r), 0, b);
	}
	return 1;
}

int stream_autoclaim(struct conn *k, const struct stream *s, char *cursor,
    size_t cursor_sz, int count, struct batch *b)
{
	redisReply *r = conn_cmd(k, "XAUTOCLAIM %s %s %s %d %s COUNT %d", s->key,
	    s->group, s->consumer, s->claim_min_idle_ms, cursor, count);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		log_error("XAUTOCLAIM %s: unexpected reply", s->key);
		freeReplyObject(r);
		return -1;
	}
	snprintf(cursor, cursor_sz, "%s", r->element[0]->str);
	if (r->element[1]->elements > 0)
		log_info("took over %zu pending entries of idle consumers",
		    r->element[1]->elements);
	return take(k, s, r, r->element[1], 1, b);
}
