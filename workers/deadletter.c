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
 * acknowledged, all in one MULTI.  A copy of a plan that its lane decided
 * already, or that another entry of its lane owns, is only acknowledged:
 * a plan never gets two results on one lane (an entry of the other lane
 * owning the plan_id keeps its claim).
 *
 * May: talk to Redis on the worker's command connection (conn.c), write a
 * result (result.c).  May not: decide an entry the worker holds in memory
 * (it is in progress, not poison), send anything to the executor, read
 * the stream (the entries come from main.c's routing, with their delivery
 * counts from the stream layer).
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

static void ack_only(struct worker *w, const char *id, const char *plan_id,
    const char *why)
{
	conn_append(w->rc, "UNWATCH");
	conn_append(w->rc, "XACK %s %s %s", w->stream, w->group, id);
	conn_append(w->rc, "HINCRBY " KEY_METRICS " %s 1",
	    counter_name(C_DUPLICATE_SKIPPED));
	if (conn_drain(w->rc) < 0)
		return;
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%.8s, entry %s "
	    "acknowledged", lane_name(w->lane), why, plan_id, id);
}

static int is_str(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING;
}

/*
 * WATCHes the plan's done and claim keys and reads them: 1 when the entry
 * is only to be acknowledged (its lane decided the plan, or another entry
 * of its lane owns it), 0 to move it (*state: its claim state, "none"
 * without one; *claimed: the claim is this entry's or nobody's, and takes
 * the state dead_lettered; an entry of the other lane owning the plan_id
 * keeps its claim), -1 Redis lost.
 */
static int plan_status(struct worker *w, const char *id, const char *plan_id,
    char *state, size_t statesz, int *claimed)
{
	char mine[192];
	redisReply *rep[4];
	const char *lane = lane_name(w->lane);

	snprintf(mine, sizeof(mine), "%s|%s", w->stream, id);
	conn_append(w->rc, "WATCH " KEY_DONE "%s " KEY_CLAIM "%s", plan_id,
	    plan_id);
	conn_append(w->rc, "EXISTS " KEY_DONE "%s " KEY_CLAIM "%s", plan_id,
	    plan_id);
	conn_append(w->rc, "HMGET " KEY_CLAIM "%s owner state lane decided_%s",
	    plan_id, lane);
	if (conn_replies(w->rc, rep, 3) < 0)
		return -1;
	int rc = 0;
	const redisReply *n = rep[1], *h = rep[2];
	snprintf(state, statesz, "none");
	*claimed = 1;
	if (h->type == REDIS_REPLY_ARRAY && h->elements == 4) {
		int other_entry = is_str(h->element[0]) &&
		    strcmp(h->element[0]->str, mine) != 0;
		int same_lane = is_str(h->element[2]) &&
		    strcmp(h->element[2]->str, lane) == 0;
		/* a done key and no claim: decided before claims had lanes */
		if (is_str(h->element[3]) || (n->type == REDIS_REPLY_INTEGER &&
		    n->integer == 1 && !is_str(h->element[0]) &&
		    !is_str(h->element[1]) && !is_str(h->element[2]))) {
			rc = 1;
			ack_only(w, id, plan_id, "already done");
		} else if (other_entry && same_lane) {
			rc = 1;
			ack_only(w, id, plan_id, "claimed by another entry");
		} else if (other_entry) {
			*claimed = 0;   /* the other lane's: left as it is */
		} else if (is_str(h->element[1])) {
			snprintf(state, statesz, "%s", h->element[1]->str);
		}
	}
	conn_free_replies(rep, 3);
	return conn_up(w->rc) ? rc : -1;
}

static void fill_result(struct worker *w, struct result *r, const char *id,
    const struct plan *p, const char *plan_id, long long deliveries,
    int claimed)
{
	result_from_plan(r, w->lane, id, p);
	snprintf(r->plan_id, sizeof(r->plan_id), "%s", plan_id);
	snprintf(r->error, sizeof(r->error), "dead_lettered:delivered %lld times",
	    deliveries);
	r->guard = "dead_letter";
	r->claimed = plan_id[0] != '\0' && claimed;
	r->claim_state = "dead_lettered";
	result_count(r, C_PROCESSED);
	result_count(r, C_EXECUTED_FALSE);
	result_count(r, C_DEAD_LETTERED);
}

/*
 * MULTI: XADD to <stream>.dead, the result, XACK; EXEC.  0 done, -1 failed
 * (logged), -2 EXEC refused because a watched key changed.
 */
static int move(struct worker *w, const struct entry *e,
    const struct result *r, const char *state)
{
	size_t nf = e->nf, na = 0;
	const char **argv = calloc(nf + DL_EXTRA + 3, sizeof(*argv));
	size_t *len = calloc(nf + DL_EXTRA + 3, sizeof(*len));
	char dead[160], count[24], ts[24];

	if (!argv || !len)
		fatalx("out of memory");
	snprintf(dead, sizeof(dead), "%s" KEY_DEAD_SUFFIX, w->stream);
	snprintf(count, sizeof(count), "%lld", e->deliveries);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	const char *extra[DL_EXTRA] = { "dl_reason", r->error, "dl_original_id",
		e->id, "dl_delivery_count", count, "dl_lane", lane_name(w->lane),
		"dl_claim_state", state, "dl_consumer", w->consumer,
		"dl_timestamp", ts };
	argv[na++] = "XADD";
	argv[na++] = dead;
	argv[na++] = "*";
	for (size_t i = 0; i + 1 < nf; i += 2) {      /* the entry's own fields */
		for (size_t k = 0; k < 2; k++) {
			const struct bytes *f = &e->f[i + k];
			argv[na] = f->p ? f->p : "";
			len[na++] = f->p ? f->n : 0;
		}
	}
	for (size_t i = 0; i < DL_EXTRA; i++)
		argv[na++] = extra[i];
	for (size_t i = 0; i < na; i++)
		if (!len[i])
			len[i] = strlen(argv[i]);
	conn_append(w->rc, "MULTI");
	conn_append_argv(w->rc, (int)na, argv, len);
	result_append(w->rc, &w->s, w->stream, w->group, r);
	conn_append(w->rc, "EXEC");
	free(argv);
	free(len);
	redisReply *x = conn_last(w->rc);
	if (!x)
		return -1;
	int last = x->type;
	if (x->type == REDIS_REPLY_ERROR)
		log_error("dead-lettering entry %s failed: %s", e->id, x->str);
	freeReplyObject(x);
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

/* Moves entry e; 0 done (or only acknowledged), -1 left pending. */
static int dead_letter(struct worker *w, const struct entry *e)
{
	struct plan p;
	struct result r;
	char plan_id[PLAN_ID_MAX + 1], state[32] = "none";
	int claimed = 1;

	plan_from_fields(&p, e->f, e->nf);
	plan_id_of(&p, plan_id);
	int k = plan_id[0] ? plan_status(w, e->id, plan_id, state,
	    sizeof(state), &claimed) : 0;
	if (k != 0)
		return k < 0 ? -1 : 0;
	fill_result(w, &r, e->id, &p, plan_id, e->deliveries, claimed);
	k = move(w, e, &r, state);
	if (k < 0) {
		if (k == -2)    /* EXEC refused: a watched key changed */
			log_info("[lane=%s] dead-lettering entry %s postponed: its "
			    "plan changed meanwhile", lane_name(w->lane), e->id);
		return -1;
	}
	log_warn("☠️  [lane=%s] Dead-lettered entry %s (plan_id=%.8s): delivered "
	    "%lld times (INTENT_EXECUTOR_MAX_DELIVERIES=%d); moved to "
	    "%s" KEY_DEAD_SUFFIX, lane_name(w->lane), e->id,
	    plan_id[0] ? plan_id : "-", e->deliveries, w->s.max_deliveries,
	    w->stream);
	if (strcmp(state, "sent") == 0)
		log_warn("☠️  [lane=%s] plan %s had been sent to the executor before "
		    "(claim state sent): an order may exist; look it up by the "
		    "plan's client order id", lane_name(w->lane), plan_id);
	return 0;
}

int dl_check(struct worker *w, const struct entry *e)
{
	if (e->deliveries <= w->s.max_deliveries || !conn_up(w->rc))
		return 0;
	if (jobs_by_stream_id(&w->jobs, e->id))
		return 0;       /* held in memory: in progress, not poison */
	if (!e->f)
		return 0;       /* deleted from the stream: lane_entry acks it */
	dead_letter(w, e);
	return 1;
}
