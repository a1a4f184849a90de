/*
 * result.c - result entries, counters and acknowledgement in one MULTI;
 * a claimed plan's result is written once, whichever consumer finishes it.
 * Talks only to the Redis connection it is given.
 */
#include "result.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "keys.h"
#include "log.h"

void result_count(struct result *r, const char *counter)
{
	for (int i = 0; i < RESULT_COUNTERS - 1; i++) {
		if (!r->counters[i]) {
			r->counters[i] = counter;
			r->counters[i + 1] = NULL;
			return;
		}
	}
}

static json_t *dec_json(int64_t v)
{
	char b[40];
	dec_format(b, sizeof(b), v);
	return json_string(b);
}

static json_t *permit_json(const struct permit *p)
{
	if (!p)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "allow", json_boolean(p->allow));
	json_object_set_new(o, "reason", json_string(p->reason));
	json_object_set_new(o, "safe_qty", dec_json(p->safe_qty));
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

char *result_details(const struct result *r, long long ts)
{
	const struct exec_res *x = r->res;
	json_t *o = json_object();

	json_object_set_new(o, "event_type", json_string("apply.result"));
	json_object_set_new(o, "plan_id", json_string(r->plan_id));
	json_object_set_new(o, "symbol", json_string(r->symbol));
	json_object_set_new(o, "executed", json_boolean(r->executed));
	json_object_set_new(o, "source", json_string("intent_executor"));
	json_object_set_new(o, "timestamp", json_integer(ts));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "side", str_or_null(r->side));
	json_object_set_new(o, "qty",
	    x && x->qty ? dec_json(x->qty) : str_or_null(r->qty));
	json_object_set_new(o, "requested_qty", str_or_null(r->qty));
	json_object_set_new(o, "order_id", str_or_null(x ? x->order_id : NULL));
	json_object_set_new(o, "client_order_id",
	    str_or_null(x ? x->client_order_id : NULL));
	json_object_set_new(o, "filled_qty",
	    x && x->executed ? dec_json(x->filled_qty) : json_null());
	json_object_set_new(o, "order_status", str_or_null(x ? x->status : NULL));
	json_object_set_new(o, "permit", permit_json(r->permit));
	json_object_set_new(o, "decision", str_or_null(r->decision));
	json_object_set_new(o, "lane", json_string(lane_name(r->lane)));
	json_object_set_new(o, "guard", str_or_null(r->guard));
	json_object_set_new(o, "plan_source", str_or_null(r->source));
	json_object_set_new(o, "stream_id", json_string(r->stream_id));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static int append(redisContext *c, int *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = redisvAppendCommand(c, fmt, ap);
	va_end(ap);
	(*n)++;
	return rc;
}

int result_append(redisContext *c, const struct settings *s,
    const char *stream, const char *group, const struct result *r)
{
	long long ts = wall_ms() / 1000;
	char tsbuf[24], nowms[24];
	int n = 0;
	char *details = result_details(r, ts);

	if (!details)
		fatalx("out of memory");
	snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	snprintf(nowms, sizeof(nowms), "%lld", (long long)wall_ms());
	append(c, &n, "XADD %s * event_type apply.result plan_id %s symbol %s "
	    "executed %s source intent_executor timestamp %s details %s",
	    s->result_stream, r->plan_id, r->symbol,
	    r->executed ? "true" : "false", tsbuf, details);
	if (r->plan_id[0]) {
		append(c, &n, "SET " KEY_DONE "%s 1 EX 86400",
		    r->plan_id);
		if (r->claimed)
			append(c, &n, "HSET " KEY_CLAIM "%s "
			    "state %s order_id %s", r->plan_id,
			    r->claim_state ? r->claim_state : "settled",
			    r->res && r->res->order_id[0] ? r->res->order_id : "-");
	}
	for (int i = 0; i < RESULT_COUNTERS && r->counters[i]; i++)
		append(c, &n, "HINCRBY " KEY_METRICS " %s 1", r->counters[i]);
	if (r->executed) {
		append(c, &n, "SET " KEY_COOLDOWN "%s %s EX 3600",
		    r->symbol, nowms);
		append(c, &n, "DEL " KEY_INFLIGHT "%s", r->symbol);
	}
	if (r->reset_key)
		append(c, &n, "SET %s 0", r->reset_key);
	append(c, &n, "XACK %s %s %s", stream, group, r->stream_id);
	free(details);
	return n;
}

/* Reads n replies; the last one's type in *last (-1 if none came). */
static int read_replies(redisContext *c, int n, int *last)
{
	*last = -1;
	for (int i = 0; i < n; i++) {
		redisReply *rep = NULL;
		if (redisGetReply(c, (void **)&rep) != REDIS_OK)
			return -1;
		if (i == n - 1)
			*last = rep->type;
		freeReplyObject(rep);
	}
	return 0;
}

/*
 * A plan's result is written once, whoever writes it: a consumer whose
 * entry was taken over while it was slow (XAUTOCLAIM by another host)
 * may finish the same plan as the new owner.  The done key is WATCHed;
 * when it exists already, or appears before EXEC, the entry is only
 * acknowledged.  Returns 1 then, 0 to write (the key stays watched), -1
 * when Redis failed.
 */
static int decided_elsewhere(redisContext *c, const char *stream,
    const char *group, const struct result *r)
{
	redisReply *x = NULL;
	int last;

	redisAppendCommand(c, "WATCH " KEY_DONE "%s", r->plan_id);
	redisAppendCommand(c, "EXISTS " KEY_DONE "%s", r->plan_id);
	if (read_replies(c, 1, &last) < 0 ||
	    redisGetReply(c, (void **)&x) != REDIS_OK)
		return -1;
	int done = x->type == REDIS_REPLY_INTEGER && x->integer > 0;
	freeReplyObject(x);
	if (!done)
		return 0;
	redisAppendCommand(c, "UNWATCH");
	redisAppendCommand(c, "XACK %s %s %s", stream, group, r->stream_id);
	if (read_replies(c, 2, &last) < 0)
		return -1;
	log_info("🔁 [lane=%s] plan %.8s already has its result (another consumer "
	    "decided it): entry %s acknowledged, no second result",
	    lane_name(r->lane), r->plan_id, r->stream_id);
	return 1;
}

int result_commit(redisContext *c, const struct settings *s,
    const char *stream, const char *group, const struct result *r)
{
	int n = 0, last, watched = r->claimed && r->plan_id[0];

	if (watched) {
		int k = decided_elsewhere(c, stream, group, r);
		if (k != 0)
			return k < 0 ? -1 : 0;
	}
	append(c, &n, "MULTI");
	n += result_append(c, s, stream, group, r);
	append(c, &n, "EXEC");
	if (read_replies(c, n, &last) < 0)
		return -1;
	if (last == REDIS_REPLY_NIL && watched)         /* decided meanwhile? */
		return decided_elsewhere(c, stream, group, r) == 1 ? 0 : -1;
	return last == REDIS_REPLY_ARRAY ? 0 : -1;
}
