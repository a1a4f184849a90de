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
 * dl_consumer, dl_timestamp, dl_fields_dropped: the copy keeps the first
 * DL_COPY_MAX fields), its plan gets the result
 * "dead_lettered:delivered N times" (executed=false), and the entry is
 * acknowledged, all in one script that writes all of it or nothing
 * (result.c), under a WATCH of the plan's keys.  A copy of a plan that is decided
 * already, or owned by another entry, is only acknowledged: a plan never
 * gets two results.
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

#define DL_EXTRA 16             /* our fields: 8 names, 8 values */
#define DL_COPY_MAX ((size_t)1000) /* the entry's fields copied, at most */

/*
 * Skips the entry without a result: 0 acknowledged, -1 Redis refused
 * (logged; tried again).
 */
static int ack_only(struct worker *w, const char *id, const char *plan_id,
    const char *why)
{
	enum counter c = C_DUPLICATE_SKIPPED;
	char err[300];

	redisReply *u = conn_cmd(w->rc, "UNWATCH");
	if (!u)
		return -1;
	freeReplyObject(u);
	if (result_ack(w->rc, w->stream, w->group, id, &c, 1, err, sizeof(err)) ==
	    SETTLE_FAILED) {
		if (conn_up(w->rc))
			wr_refused(w, "an acknowledgement", err);
		return -1;
	}
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%.8s, entry %s "
	    "acknowledged", lane_name(w->lane), why, plan_id, id);
	return 0;
}

/* Ends a WATCH after a read that decided nothing; -1. */
static int unwatch(struct worker *w)
{
	redisReply *u = conn_cmd(w->rc, "UNWATCH");
	if (u)
		freeReplyObject(u);
	return -1;
}

/*
 * WATCHes the plan's done and claim keys and reads them: 1 when the entry
 * is only to be acknowledged (done, or another entry's plan: acknowledged
 * here), 0 to move it (*state: its claim state, "none" without one), 2
 * when Redis refused to read the plan's keys (logged; the entry stays
 * pending), -1 Redis cannot answer now, or was lost (tried again).
 */
static int plan_status(struct worker *w, const char *id, const char *plan_id,
    char *state, size_t statesz)
{
	static const char *const cmd[3] = { "WATCH", "EXISTS", "HMGET" };
	char mine[192];
	redisReply *rep[3];

	snprintf(mine, sizeof(mine), "%s|%s", w->stream, id);
	conn_append(w->rc, "WATCH " KEY_DONE "%s " KEY_CLAIM "%s", plan_id,
	    plan_id);
	conn_append(w->rc, "EXISTS " KEY_DONE "%s", plan_id);
	conn_append(w->rc, "HMGET " KEY_CLAIM "%s owner state", plan_id);
	if (conn_replies(w->rc, rep, 3) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (rep[i]->type != REDIS_REPLY_ERROR)
			continue;
		char what[200];
		snprintf(what, sizeof(what), "%s (the dead-letter check of plan "
		    "%.8s)", cmd[i], plan_id);
		int again = conn_transient(rep[i]);
		if (again)
			wr_refused(w, what, rep[i]->str);
		else
			log_error("[lane=%s] Redis refused %s: %s: entry %s left "
			    "pending", lane_name(w->lane), what, rep[i]->str, id);
		conn_free_replies(rep, 3);
		unwatch(w);
		return again ? -1 : 2;
	}
	int rc = 0;
	const redisReply *h = rep[2];
	snprintf(state, statesz, "none");
	if (rep[1]->type == REDIS_REPLY_INTEGER && rep[1]->integer > 0) {
		rc = ack_only(w, id, plan_id, "already done") < 0 ? -1 : 1;
	} else if (h->type == REDIS_REPLY_ARRAY && h->elements == 2) {
		if (h->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[0]->str, mine) != 0) {
			rc = ack_only(w, id, plan_id, "claimed by another entry") < 0 ?
			    -1 : 1;
		} else if (h->element[1]->type == REDIS_REPLY_STRING) {
			snprintf(state, statesz, "%s", h->element[1]->str);
		}
	}
	conn_free_replies(rep, 3);
	return conn_up(w->rc) ? rc : -1;
}

static void fill_result(struct worker *w, struct result *r, const char *id,
    const struct plan *p, const char *plan_id, long long deliveries)
{
	result_from_plan(r, w->lane, id, p);
	snprintf(r->plan_id, sizeof(r->plan_id), "%s", plan_id);
	snprintf(r->error, sizeof(r->error), "dead_lettered:delivered %lld times",
	    deliveries);
	r->guard = "dead_letter";
	r->claimed = plan_id[0] != '\0';
	r->claim_state = "dead_lettered";
	result_count(r, C_PROCESSED);
	result_count(r, C_EXECUTED_FALSE);
	result_count(r, C_DEAD_LETTERED);
}

/*
 * MULTI, the settle script with the entry's copy to <stream>.dead (the
 * result first, then the copy, then the rest: result.c), EXEC, checked
 * command by command.  0 done, -1 refused (logged) or lost, -2 EXEC
 * refused because a watched key changed.
 */
static int move(struct worker *w, const struct entry *e,
    const struct result *r, const char *state)
{
	size_t nf = e->nf, na = 0;
	const char **argv = calloc(nf + DL_EXTRA + 2, sizeof(*argv));
	size_t *len = calloc(nf + DL_EXTRA + 2, sizeof(*len));
	char dead[160], count[24], ts[24], dropped[24], why[300];
	redisReply *rep[3];
	const redisReply *bad;

	if (!argv || !len)
		fatalx("out of memory");
	if (nf > 2 * DL_COPY_MAX)
		nf = 2 * DL_COPY_MAX;
	snprintf(dead, sizeof(dead), "%s" KEY_DEAD_SUFFIX, w->stream);
	snprintf(count, sizeof(count), "%lld", e->deliveries);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	snprintf(dropped, sizeof(dropped), "%zu", (e->nf - nf) / 2);
	const char *extra[DL_EXTRA] = { "dl_reason", r->error, "dl_original_id",
		e->id, "dl_delivery_count", count, "dl_lane", lane_name(w->lane),
		"dl_claim_state", state, "dl_consumer", w->consumer,
		"dl_timestamp", ts, "dl_fields_dropped", dropped };
	for (size_t i = 0; i + 1 < nf; i += 2) {      /* the entry's own fields */
		for (size_t k = 0; k < 2; k++) {
			const struct bytes *f = &e->f[i + k];
			argv[na] = f->p ? f->p : "";
			len[na++] = f->p ? f->n : 0;
		}
	}
	for (size_t i = 0; i < DL_EXTRA; i++) {
		argv[na] = extra[i];
		len[na++] = strlen(extra[i]);
	}
	const struct dead_copy copy = { dead, argv, len, na };
	conn_append(w->rc, "MULTI");
	result_append(w->rc, &w->s, w->stream, w->group, r, &copy);
	conn_append(w->rc, "EXEC");
	free(argv);
	free(len);
	if (conn_replies(w->rc, rep, 3) < 0)
		return -1;
	int at = conn_exec_failure(rep, 1, &bad);
	int rc = 0;
	if (at == 2 && rep[2]->type == REDIS_REPLY_NIL) {
		rc = -2;
	} else if (at >= 0) {
		result_reply(w->rc, bad, r, why, sizeof(why));
		if (conn_up(w->rc)) {
			char what[96];
			snprintf(what, sizeof(what), "%s (dead-lettering entry %s)",
			    at == 0 ? "MULTI" : at == 1 ? "the settle script" : "EXEC",
			    e->id);
			wr_refused(w, what, why);
		}
		rc = -1;
	} else if (result_reply(w->rc, rep[2]->element[0], r, why,
		sizeof(why)) == SETTLE_FAILED) {
		rc = -1;        /* cannot be: conn_exec_failure() saw no error */
	}
	conn_free_replies(rep, 3);
	return rc;
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

/*
 * Moves entry e: 1 done (or only acknowledged, or left pending when its
 * plan's keys cannot be read), -1 Redis refused or was lost (tried again).
 */
static int dead_letter(struct worker *w, const struct entry *e)
{
	struct plan p;
	struct result r;
	char plan_id[PLAN_ID_MAX + 1], state[32] = "none";

	plan_from_fields(&p, e->f, e->nf);
	plan_id_of(&p, plan_id);
	int k = plan_id[0] ? plan_status(w, e->id, plan_id, state,
	    sizeof(state)) : 0;
	if (k != 0)
		return k < 0 ? -1 : 1;
	fill_result(w, &r, e->id, &p, plan_id, e->deliveries);
	k = move(w, e, &r, state);
	if (k < 0) {
		if (k == -2)    /* EXEC refused: a watched key changed */
			log_info("[lane=%s] dead-lettering entry %s postponed: its "
			    "plan changed meanwhile", lane_name(w->lane), e->id);
		return -1;
	}
	wr_accepted(w);
	log_warn("☠️  [lane=%s] Dead-lettered entry %s (plan_id=%.8s): delivered "
	    "%lld times (INTENT_EXECUTOR_MAX_DELIVERIES=%d); moved to "
	    "%s" KEY_DEAD_SUFFIX, lane_name(w->lane), e->id,
	    plan_id[0] ? plan_id : "-", e->deliveries, w->s.max_deliveries,
	    w->stream);
	if (strcmp(state, "sent") == 0)
		log_warn("☠️  [lane=%s] plan %s had been sent to the executor before "
		    "(claim state sent): an order may exist; look it up by the "
		    "plan's client order id", lane_name(w->lane), plan_id);
	return 1;
}

int dl_check(struct worker *w, const struct entry *e)
{
	if (e->deliveries <= w->s.max_deliveries || !conn_up(w->rc))
		return 0;
	if (jobs_by_stream_id(&w->jobs, e->id))
		return 0;       /* held in memory: in progress, not poison */
	if (!e->f)
		return 0;       /* deleted from the stream: lane_entry acks it */
	return dead_letter(w, e);
}
