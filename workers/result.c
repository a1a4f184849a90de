/*
 * result.c - a decided plan's result: built from the plan, written by
 * the settle script (settle.c) with its counters, its audit entry when it
 * has one (a plan_id conflict) and its acknowledgement, all of it or
 * nothing; and what the script's reply says, logged.  A claimed plan's
 * result is written once per lane, whichever consumer of the lane
 * finishes it.
 *
 * May: talk to the Redis connection it is given (conn.c), mark it lost
 * when Redis answers that the master moved.  May not: call the plan logic or
 * the worker's connection handling.
 */
#include "result.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "log.h"
#include "position.h"
#include "settle.h"

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

/* Why the reply x failed: its text (or the lost connection's reason). */
static void why_of(struct conn *k, const redisReply *x, char *why,
    size_t whylen)
{
	if (!x)
		snprintf(why, whylen, "no reply (%s)", conn_why(k));
	else if (x->type == REDIS_REPLY_ERROR)
		snprintf(why, whylen, "%s", x->str);
	else
		snprintf(why, whylen, "unexpected reply (type %d)", x->type);
}

/* What the script's reply x says the position ledger did, logged. */
static void ledger_log(const redisReply *x, const struct result *r)
{
	struct position_fill f;
	struct position_out o;
	const char *why = "no ledger element";

	if (!settle_fill(r, &f))
		return;
	int k = x->elements >= 3 ? position_reply(x->element[2], &o, &why) : -1;
	if (k == 1)
		position_log(&f, &o);
	else if (k == 0)
		log_info("🔁 [lane=%s] order %s of plan %.8s was counted in the "
		    "position ledger before: not again", lane_name(r->lane),
		    f.order_id, r->plan_id);
	else
		log_error("[lane=%s] plan %.8s: the settle script's ledger reply "
		    "has %s", lane_name(r->lane), r->plan_id, why);
}

/* The contract's harvest lines, once its result is written. */
static void harvest_log(const struct result *r)
{
	char q[40];
	if (r->lane != LANE_HARVEST)
		return;
	if (r->executed && r->res) {
		dec_format(q, sizeof(q), r->res->filled_qty);
		log_info("✅ HARVEST SUCCESS: %s closed %s orderId=%s", r->symbol, q,
		    r->res->order_id);
	} else if (strcmp(r->error, HARVEST_SKIPPED) == 0) {
		log_info("⏭️  HARVEST SKIPPED: %s - %s (no position: nothing sent)",
		    r->symbol, r->error);
	} else {
		log_info("❌ HARVEST FAILED: %s - %s", r->symbol[0] ? r->symbol : "-",
		    r->error);
	}
}

int result_reply(struct conn *k, const redisReply *x, const struct result *r,
    char *why, size_t whylen)
{
	why[0] = '\0';
	if (x && x->type == REDIS_REPLY_ARRAY && x->elements >= 1 &&
	    x->element[0]->type == REDIS_REPLY_STRING) {
		const char *what = x->element[0]->str;
		if (strcmp(what, "decided") == 0) {
			log_info("🔁 [lane=%s] plan %.8s already has its result (decided "
			    "before, by this consumer or another): entry %s "
			    "acknowledged, no second result", lane_name(r->lane),
			    r->plan_id, r->stream_id);
			return SETTLE_DECIDED;
		}
		if (strcmp(what, "ok") == 0) {
			log_info("📝 Result written: plan=%.8s executed=%s", r->plan_id,
			    r->executed ? "True" : "False");
			harvest_log(r);
			ledger_log(x, r);
			return SETTLE_WRITTEN;
		}
		if (strcmp(what, "partial") == 0) {
			/* written: never again; the entry stays pending and is read
			 * again as a copy of a decided plan */
			log_info("📝 Result written: plan=%.8s executed=%s", r->plan_id,
			    r->executed ? "True" : "False");
			harvest_log(r);
			for (size_t i = 3; i < x->elements; i++)
				log_error("[lane=%s] result of plan %.8s written, but Redis "
				    "refused %s: entry %s not acknowledged",
				    lane_name(r->lane), r->plan_id,
				    x->element[i]->type == REDIS_REPLY_STRING ?
				    x->element[i]->str : "?", r->stream_id);
			return SETTLE_WRITTEN;
		}
	}
	why_of(k, x, why, whylen);
	if (conn_failover_error(x))
		conn_set_lost(k, why);  /* the master moved: reconnect */
	return SETTLE_FAILED;
}

void result_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    const struct dead_copy *dead)
{
	const struct settle_item it = { r, r->stream_id, r->counts, dead };
	settle_append(k, s, stream, group, &it, 1);
}

int result_commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    char *why, size_t whylen)
{
	result_append(k, s, stream, group, r, NULL);
	redisReply *x = conn_last(k);
	int rc = result_reply(k, conn_part(x, 0, 1), r, why, whylen);
	if (x)
		freeReplyObject(x);
	return rc;
}

int result_ack(struct conn *k, const char *stream, const char *group,
    const char *id, const enum counter *c, int nc, char *why, size_t whylen)
{
	unsigned char counts[C_COUNT] = { 0 };
	for (int i = 0; i < nc; i++)
		if (c[i] < C_COUNT)
			counts[c[i]]++;
	const struct settle_item it = { NULL, id, counts, NULL };
	settle_append(k, NULL, stream, group, &it, 1);
	redisReply *all = conn_last(k);
	const redisReply *x = conn_part(all, 0, 1);
	int ok = x && x->type == REDIS_REPLY_ARRAY && x->elements >= 1 &&
	    x->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(x->element[0]->str, "ok") == 0;
	why[0] = '\0';
	if (!ok) {
		why_of(k, x, why, whylen);
		if (conn_failover_error(x))
			conn_set_lost(k, why);
	}
	if (all)
		freeReplyObject(all);
	return ok ? SETTLE_WRITTEN : SETTLE_FAILED;
}
