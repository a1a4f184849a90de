/*
 * deadletter.c - entries that keep coming back go to a dead-letter stream.
 *
 * An entry is delivered again when its worker died before deciding it (the
 * worker re-reads its own pending entries with ID 0 at every start) or when
 * another consumer takes it over (XAUTOCLAIM); both count a delivery in the
 * group's pending entries list.  A plan that crashes the worker, or the
 * executor, each time would loop forever; past INTENT_EXECUTOR_MAX_DELIVERIES
 * deliveries the entry is copied to <stream>.dead (its fields, plus
 * dl_reason, dl_original_id, dl_delivery_count, dl_lane, dl_claim_state,
 * dl_consumer, dl_timestamp), its plan gets the result
 * "dead_lettered:delivered N times" (executed=false), and the entry is
 * acknowledged, all in one MULTI.  A copy of a plan that is decided
 * already, or owned by another entry, is only acknowledged: a plan never
 * gets two results.
 *
 * May: talk to Redis on the worker's command connection.  May not: decide
 * an entry the worker holds in memory (it is in progress, not poison), or
 * send anything to the executor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "plan.h"
#include "worker.h"

#define DL_EXTRA 14             /* our fields: 7 names, 7 values */

static const char *entry_id(const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	return e->element[0]->str;
}

void dl_counts(struct worker *w, const redisReply *entries, long long *counts,
    size_t n)
{
	static int said;
	size_t k = entries->elements;
	const char *first, *last;

	for (size_t i = 0; i < n; i++)
		counts[i] = 0;
	if (k == 0 || !w->rc || !(first = entry_id(entries->element[0])) ||
	    !(last = entry_id(entries->element[k - 1])))
		return;
	redisReply *r = wr_cmd(w, "XPENDING %s %s %s %s %d %s", w->stream,
	    w->group, first, last, (int)(k + JOBS_MAX + 64), w->consumer);
	if (!r)
		return;
	if (r->type == REDIS_REPLY_ERROR && !said++)
		log_error("XPENDING %s: %s: delivery counts unknown, entries are "
		    "not dead-lettered", w->stream, r->str);
	for (size_t p = 0; r->type == REDIS_REPLY_ARRAY && p < r->elements; p++) {
		const redisReply *e = r->element[p];
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[3]->type != REDIS_REPLY_INTEGER)
			continue;
		for (size_t i = 0; i < k && i < n; i++) {
			const char *id = entry_id(entries->element[i]);
			if (id && strcmp(id, e->element[0]->str) == 0) {
				counts[i] = e->element[3]->integer;
				break;
			}
		}
	}
	freeReplyObject(r);
}

static void ack_only(struct worker *w, const char *id, const char *plan_id,
    const char *why)
{
	redisAppendCommand(w->rc, "UNWATCH");
	redisAppendCommand(w->rc, "XACK %s %s %s", w->stream, w->group, id);
	redisAppendCommand(w->rc, "HINCRBY " KEY_METRICS
	    " duplicate_skipped 1");
	if (wr_drain(w, 3) < 0)
		return;
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%.8s, entry %s "
	    "acknowledged", lane_name(w->lane), why, plan_id, id);
}

/*
 * WATCHes the plan's done and claim keys and reads them: 1 when the entry
 * is only to be acknowledged (done, or another entry's plan), 0 to move it
 * (*state: its claim state, "none" without one), -1 Redis lost.
 */
static int plan_status(struct worker *w, const char *id, const char *plan_id,
    char *state, size_t statesz)
{
	char mine[192];
	redisReply *rep[3] = { NULL, NULL, NULL };

	snprintf(mine, sizeof(mine), "%s|%s", w->stream, id);
	redisAppendCommand(w->rc, "WATCH " KEY_DONE "%s "
	    KEY_CLAIM "%s", plan_id, plan_id);
	redisAppendCommand(w->rc, "EXISTS " KEY_DONE "%s",
	    plan_id);
	redisAppendCommand(w->rc, "HMGET " KEY_CLAIM "%s owner "
	    "state", plan_id);
	for (int i = 0; i < 3; i++)
		if (redisGetReply(w->rc, (void **)&rep[i]) != REDIS_OK) {
			for (int k = 0; k < i; k++)
				freeReplyObject(rep[k]);
			wr_lost(w, w->rc->errstr);
			return -1;
		}
	int rc = 0;
	const redisReply *h = rep[2];
	snprintf(state, statesz, "none");
	if (rep[1]->type == REDIS_REPLY_INTEGER && rep[1]->integer > 0) {
		rc = 1;
		ack_only(w, id, plan_id, "already done");
	} else if (h->type == REDIS_REPLY_ARRAY && h->elements == 2) {
		if (h->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[0]->str, mine) != 0) {
			rc = 1;
			ack_only(w, id, plan_id, "claimed by another entry");
		} else if (h->element[1]->type == REDIS_REPLY_STRING) {
			snprintf(state, statesz, "%s", h->element[1]->str);
		}
	}
	for (int i = 0; i < 3; i++)
		freeReplyObject(rep[i]);
	return w->rc ? rc : -1;
}

static void fill_result(struct worker *w, struct result *r, const char *id,
    const struct plan *p, const char *plan_id, long long deliveries)
{
	memset(r, 0, sizeof(*r));
	r->lane = w->lane;
	r->stream_id = id;
	snprintf(r->plan_id, sizeof(r->plan_id), "%s", plan_id);
	plan_field(r->symbol, sizeof(r->symbol), p->symbol);
	for (char *c = r->symbol; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	plan_field(r->side, sizeof(r->side), p->side);
	plan_field(r->qty, sizeof(r->qty), p->qty);
	plan_field(r->source, sizeof(r->source), p->source);
	plan_field(r->decision, sizeof(r->decision), p->decision);
	snprintf(r->error, sizeof(r->error), "dead_lettered:delivered %lld times",
	    deliveries);
	r->guard = "dead_letter";
	r->claimed = plan_id[0] != '\0';
	r->claim_state = "dead_lettered";
	result_count(r, "processed");
	result_count(r, "executed_false");
	result_count(r, "dead_lettered");
}

/*
 * MULTI: XADD to <stream>.dead, the result, XACK; EXEC.  0 done, -1 failed
 * (logged), -2 EXEC refused because a watched key changed.
 */
static int move(struct worker *w, const char *id, const redisReply *fields,
    const struct result *r, const char *state, long long deliveries)
{
	size_t nf = fields->elements, na = 0;
	const char **argv = calloc(nf + DL_EXTRA + 3, sizeof(*argv));
	size_t *len = calloc(nf + DL_EXTRA + 3, sizeof(*len));
	char dead[160], count[24], ts[24];
	int n = 0;

	if (!argv || !len)
		fatalx("out of memory");
	snprintf(dead, sizeof(dead), "%s" KEY_DEAD_SUFFIX, w->stream);
	snprintf(count, sizeof(count), "%lld", deliveries);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	const char *extra[DL_EXTRA] = { "dl_reason", r->error, "dl_original_id",
		id, "dl_delivery_count", count, "dl_lane", lane_name(w->lane),
		"dl_claim_state", state, "dl_consumer", w->consumer,
		"dl_timestamp", ts };
	argv[na++] = "XADD";
	argv[na++] = dead;
	argv[na++] = "*";
	for (size_t i = 0; i + 1 < nf; i += 2) {      /* the entry's own fields */
		for (size_t k = 0; k < 2; k++) {
			const redisReply *f = fields->element[i + k];
			argv[na] = f->type == REDIS_REPLY_STRING ? f->str : "";
			len[na++] = f->type == REDIS_REPLY_STRING ? f->len : 0;
		}
	}
	for (size_t i = 0; i < DL_EXTRA; i++)
		argv[na++] = extra[i];
	for (size_t i = 0; i < na; i++)
		if (!len[i])
			len[i] = strlen(argv[i]);
	redisAppendCommand(w->rc, "MULTI");
	redisAppendCommandArgv(w->rc, (int)na, argv, len);
	n = 2 + result_append(w->rc, &w->s, w->stream, w->group, r);
	redisAppendCommand(w->rc, "EXEC");
	free(argv);
	free(len);
	int last = -1;
	for (int i = 0; i <= n; i++) {
		redisReply *x = NULL;
		if (redisGetReply(w->rc, (void **)&x) != REDIS_OK) {
			wr_lost(w, w->rc->errstr);
			return -1;
		}
		if (i == n) {
			last = x->type;
			if (x->type == REDIS_REPLY_ERROR)
				log_error("dead-lettering entry %s failed: %s", id, x->str);
		}
		freeReplyObject(x);
	}
	return last == REDIS_REPLY_ARRAY ? 0 : last == REDIS_REPLY_NIL ? -2 : -1;
}

/*
 * The plan_id as lane_entry() would take it (plan_check's rule: 1 to
 * PLAN_ID_MAX printable bytes, not given twice), read without the rest of
 * the plan's checks: the entry may be the very input that crashes them.
 */
static void plan_id_of(const struct plan *p, char out[PLAN_ID_MAX + 1])
{
	out[0] = '\0';
	if (!p->plan_id.p || p->plan_id.n == 0 || p->plan_id.n > PLAN_ID_MAX ||
	    (p->dup && strcmp(p->dup, "plan_id") == 0))
		return;
	for (size_t i = 0; i < p->plan_id.n; i++)
		if (p->plan_id.p[i] <= 0x20 || p->plan_id.p[i] >= 0x7f)
			return;
	memcpy(out, p->plan_id.p, p->plan_id.n);
	out[p->plan_id.n] = '\0';
}

/* Moves entry id; 0 done (or only acknowledged), -1 left pending. */
static int dead_letter(struct worker *w, const char *id,
    const redisReply *fields, long long deliveries)
{
	struct plan p;
	struct result r;
	char plan_id[PLAN_ID_MAX + 1], state[32] = "none";

	struct bytes *f = calloc(fields->elements + 1, sizeof(*f));
	if (!f)
		fatalx("out of memory");
	for (size_t i = 0; i < fields->elements; i++)
		if (fields->element[i]->type == REDIS_REPLY_STRING)
			f[i] = (struct bytes){ fields->element[i]->str,
				fields->element[i]->len };
	plan_from_fields(&p, f, fields->elements);
	plan_id_of(&p, plan_id);
	int k = plan_id[0] ? plan_status(w, id, plan_id, state, sizeof(state)) : 0;
	if (k != 0) {
		free(f);
		return k < 0 ? -1 : 0;
	}
	fill_result(w, &r, id, &p, plan_id, deliveries);
	k = move(w, id, fields, &r, state, deliveries);
	free(f);
	if (k < 0) {
		if (k == -2)    /* EXEC refused: a watched key changed */
			log_info("[lane=%s] dead-lettering entry %s postponed: its "
			    "plan changed meanwhile", lane_name(w->lane), id);
		return -1;
	}
	log_warn("☠️  [lane=%s] Dead-lettered entry %s (plan_id=%.8s): delivered "
	    "%lld times (INTENT_EXECUTOR_MAX_DELIVERIES=%d); moved to "
	    "%s" KEY_DEAD_SUFFIX,
	    lane_name(w->lane), id, plan_id[0] ? plan_id : "-", deliveries,
	    w->s.max_deliveries, w->stream);
	if (strcmp(state, "sent") == 0)
		log_warn("☠️  [lane=%s] plan %s had been sent to the executor before "
		    "(claim state sent): an order may exist; look it up by the "
		    "plan's client order id", lane_name(w->lane), plan_id);
	return 0;
}

int dl_check(struct worker *w, const char *id, const redisReply *fields,
    long long deliveries)
{
	if (deliveries <= w->s.max_deliveries || !w->rc)
		return 0;
	if (jobs_by_stream_id(&w->jobs, id))
		return 0;       /* held in memory: in progress, not poison */
	if (!fields || fields->type != REDIS_REPLY_ARRAY)
		return 0;       /* deleted from the stream: lane_entry acks it */
	dead_letter(w, id, fields, deliveries);
	return 1;
}
