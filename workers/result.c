/*
 * result.c - result entries, counters and acknowledgement in one MULTI
 * (with the plan's audit entry when it has one: a plan_id conflict); a
 * claimed plan's result is written once per lane, whichever consumer of
 * the lane finishes it.
 *
 * May: talk to the Redis connection it is given (conn.c), mark it lost
 * when a result could not be written.  May not: call the plan logic or
 * the worker's connection handling.
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

void result_count(struct result *r, enum counter c)
{
	if (c < C_COUNT)
		r->counts[c]++;
}

void result_from_plan(struct result *r, enum lane lane, const char *id,
    const struct plan *p)
{
	memset(r, 0, sizeof(*r));
	r->lane = lane;
	r->stream_id = id;
	plan_field(r->plan_id, sizeof(r->plan_id), p->plan_id);
	plan_field(r->symbol, sizeof(r->symbol), p->symbol);
	for (char *c = r->symbol; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	plan_field(r->side, sizeof(r->side), p->side);
	plan_field(r->qty, sizeof(r->qty), p->qty);
	plan_field(r->source, sizeof(r->source), p->source);
	plan_field(r->decision, sizeof(r->decision), p->decision);
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

static void append(struct conn *k, int *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vappend(k, fmt, ap);
	va_end(ap);
	(*n)++;
}

int result_append(struct conn *k, const struct settings *s,
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
	append(k, &n, "XADD %s * event_type apply.result plan_id %s symbol %s "
	    "executed %s source intent_executor timestamp %s details %s",
	    s->result_stream, r->plan_id, r->symbol,
	    r->executed ? "true" : "false", tsbuf, details);
	if (r->plan_id[0] && !r->guard_refused) {
		append(k, &n, "SET " KEY_DONE "%s 1 EX 86400",
		    r->plan_id);
		if (r->claimed)
			append(k, &n, "HSET " KEY_CLAIM "%s decided_%s %s "
			    "state %s order_id %s", r->plan_id, lane_name(r->lane),
			    r->stream_id, r->claim_state ? r->claim_state : "settled",
			    r->res && r->res->order_id[0] ? r->res->order_id : "-");
		else
			append(k, &n, "HSET " KEY_CLAIM "%s decided_%s %s",
			    r->plan_id, lane_name(r->lane), r->stream_id);
		/* the claim outlives the done key: it says which lane decided */
		append(k, &n, "EXPIRE " KEY_CLAIM "%s 86400", r->plan_id);
	}
	if (r->audit_reason)
		append(k, &n, "XADD " KEY_AUDIT_STREAM " * action plan.conflict "
		    "operator intent_executor lane %s plan_id %s stream_id %s "
		    "reason %s timestamp %s", lane_name(r->lane), r->plan_id,
		    r->stream_id, r->audit_reason, tsbuf);
	for (int c = 0; c < C_COUNT; c++)
		if (r->counts[c])
			append(k, &n, "HINCRBY " KEY_METRICS " %s %d",
			    counter_name((enum counter)c), r->counts[c]);
	if (r->executed) {
		append(k, &n, "SET " KEY_COOLDOWN "%s %s EX 3600",
		    r->symbol, nowms);
		append(k, &n, "DEL " KEY_INFLIGHT "%s", r->symbol);
	}
	if (r->reset_key)
		append(k, &n, "SET %s 0", r->reset_key);
	append(k, &n, "XACK %s %s %s", stream, group, r->stream_id);
	free(details);
	return n;
}

/* The type of the last queued reply (-1 when the connection was lost). */
static int last_type(struct conn *k)
{
	redisReply *x = conn_last(k);
	int t = x ? x->type : -1;
	if (x)
		freeReplyObject(x);
	return t;
}

int result_decided(struct conn *k, enum lane lane, const char *plan_id)
{
	redisReply *r = conn_cmd(k, "HGET " KEY_CLAIM "%s decided_%s",
	    plan_id, lane_name(lane));
	if (!r)
		return -1;
	int rc = r->type == REDIS_REPLY_STRING ? 1 :
	    r->type == REDIS_REPLY_NIL ? 0 : -1;
	freeReplyObject(r);
	return rc;
}

/*
 * A plan's result is written once, whoever writes it: a consumer whose
 * entry was taken over while it was slow (XAUTOCLAIM by another host)
 * may finish the same plan as the new owner.  The claim is WATCHed; when
 * the lane decided the plan already, or does before EXEC, the entry is
 * only acknowledged.  Returns 1 then, 0 to write (the key stays watched),
 * -1 when Redis failed.
 */
static int decided_elsewhere(struct conn *k, const char *stream,
    const char *group, const struct result *r)
{
	redisReply *w = conn_cmd(k, "WATCH " KEY_CLAIM "%s", r->plan_id);
	if (!w)
		return -1;
	freeReplyObject(w);
	int done = result_decided(k, r->lane, r->plan_id);
	if (done <= 0)
		return done;
	conn_append(k, "UNWATCH");
	conn_append(k, "XACK %s %s %s", stream, group, r->stream_id);
	if (conn_drain(k) < 0)
		return -1;
	log_info("🔁 [lane=%s] plan %.8s already has its result (another consumer "
	    "decided it): entry %s acknowledged, no second result",
	    lane_name(r->lane), r->plan_id, r->stream_id);
	return 1;
}

/*
 * A watched claim that changed before EXEC (the other lane wrote to it, or
 * this lane decided the plan meanwhile) is looked at again, a few times.
 */
#define COMMIT_TRIES 3

static int commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r)
{
	int watched = r->claimed && r->plan_id[0];

	for (int t = 0; t < COMMIT_TRIES; t++) {
		int n = 0, last;
		if (watched) {
			int d = decided_elsewhere(k, stream, group, r);
			if (d != 0)
				return d < 0 ? -1 : 0;
		}
		append(k, &n, "MULTI");
		n += result_append(k, s, stream, group, r);
		append(k, &n, "EXEC");
		last = last_type(k);
		if (last == REDIS_REPLY_ARRAY)
			return 0;
		if (last != REDIS_REPLY_NIL || !watched)
			return -1;
	}
	return -1;
}

int result_commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r)
{
	if (commit(k, s, stream, group, r) == 0)
		return 0;
	conn_set_lost(k, "MULTI failed");       /* unless lost already */
	return -1;
}
