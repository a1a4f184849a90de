/*
 * deadletter.c - entries that keep coming back go to a dead-letter stream.
 *
 * An entry is delivered again when its worker died before deciding it (the
 * worker re-reads its own pending entries with ID 0 at every start, and
 * after every reconnect) or when another consumer takes it over
 * (XAUTOCLAIM); both count a delivery in the group's pending entries list.
 * A restart is not poison: a plan that was only waiting (for its permit,
 * behind its symbol's queue) when its worker or the executor died comes
 * back as often as they die.  What counts is the claim's "attempts"
 * (owner.c): one each time the plan was sent to the executor, the risky
 * step.  A delivered entry whose claim is still "sent" had an attempt
 * under way when its worker died; once INTENT_EXECUTOR_MAX_DELIVERIES such
 * attempts died, a plan that crashes the worker or the executor each time
 * would loop forever, so the entry is copied to <stream>.dead instead (its
 * fields, plus dl_reason, dl_original_id, dl_delivery_count, dl_attempts,
 * dl_lane, dl_claim_state, dl_consumer, dl_timestamp, dl_fields_dropped:
 * the copy keeps the first DL_COPY_MAX fields), its plan gets the result
 * "dead_lettered:delivered N times" (executed=false), and the entry is
 * acknowledged, all in one script that writes all of it or nothing
 * (result.c), under a WATCH of the plan's keys.  An entry never claimed at
 * all in more than INTENT_EXECUTOR_MAX_DELIVERIES deliveries (every
 * claimed plan has a claim: it never got past its checks, which may be
 * what crashes the worker) is moved the same way.  A copy of a plan that
 * its lane decided already, or that another entry of its lane owns, is
 * only acknowledged: a plan never gets two results on one lane (an entry
 * of the other lane owning the plan_id keeps its claim).
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

#define DL_EXTRA 18             /* our fields: 9 names, 9 values */
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

static int is_str(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING;
}

/* What the claim says of an entry delivered too often. */
struct claim_seen {
	char state[32];                 /* "none" without a claim */
	long long attempts;             /* sends under way when a worker died */
};

/*
 * WATCHes the plan's done and claim keys and reads them: 1 when the entry
 * is only to be acknowledged (its lane decided the plan, or another entry
 * of its lane owns it: acknowledged here), 0 to look at *c (its claim;
 * *claimed: the claim is this entry's or nobody's, and takes the state
 * dead_lettered; an entry of the other lane owning the plan_id keeps its
 * claim), 2 when Redis refused to read the plan's keys (logged; the entry
 * stays pending), -1 Redis cannot answer now, or was lost (tried again).
 */
static int plan_status(struct worker *w, const char *id, const char *plan_id,
    struct claim_seen *c, int *claimed)
{
	static const char *const cmd[3] = { "WATCH", "EXISTS", "HMGET" };
	char mine[192];
	redisReply *rep[3];
	const char *lane = lane_name(w->lane);

	snprintf(mine, sizeof(mine), "%s|%s", w->stream, id);
	conn_append(w->rc, "WATCH " KEY_DONE "%s " KEY_CLAIM "%s", plan_id,
	    plan_id);
	conn_append(w->rc, "EXISTS " KEY_DONE "%s " KEY_CLAIM "%s", plan_id,
	    plan_id);
	conn_append(w->rc, "HMGET " KEY_CLAIM "%s owner state lane decided_%s "
	    "attempts", plan_id, lane);
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
	const redisReply *n = rep[1], *h = rep[2];
	*claimed = 1;
	if (h->type == REDIS_REPLY_ARRAY && h->elements == 5) {
		int other_entry = is_str(h->element[0]) &&
		    strcmp(h->element[0]->str, mine) != 0;
		int same_lane = is_str(h->element[2]) &&
		    strcmp(h->element[2]->str, lane) == 0;
		/* a done key and no claim: decided before claims had lanes */
		if (is_str(h->element[3]) || (n->type == REDIS_REPLY_INTEGER &&
		    n->integer == 1 && !is_str(h->element[0]) &&
		    !is_str(h->element[1]) && !is_str(h->element[2]))) {
			rc = ack_only(w, id, plan_id, "already done") < 0 ? -1 : 1;
		} else if (other_entry && same_lane) {
			rc = ack_only(w, id, plan_id, "claimed by another entry") < 0 ?
			    -1 : 1;
		} else if (other_entry) {
			*claimed = 0;   /* the other lane's: left as it is */
		} else if (is_str(h->element[1])) {
			snprintf(c->state, sizeof(c->state), "%s", h->element[1]->str);
			if (is_str(h->element[4]))
				c->attempts = strtoll(h->element[4]->str, NULL, 10);
		}
	}
	conn_free_replies(rep, 3);
	return conn_up(w->rc) ? rc : -1;
}

/*
 * Poison: max attempts were under way (claim "sent") when their worker
 * died, or the entry was never claimed in all its deliveries.  A claimed
 * plan, or one sent fewer times, only waited: it is read as usual.
 */
static int is_poison(const struct claim_seen *c, int max)
{
	if (strcmp(c->state, "none") == 0)
		return 1;
	return strcmp(c->state, "sent") == 0 && c->attempts >= max;
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
 * MULTI, the settle script with the entry's copy to <stream>.dead (the
 * result first, then the copy, then the rest: result.c), EXEC, checked
 * command by command.  0 done, -1 refused (logged) or lost, -2 EXEC
 * refused because a watched key changed.
 */
static int move(struct worker *w, const struct entry *e,
    const struct result *r, const struct claim_seen *c)
{
	size_t nf = e->nf, na = 0;
	const char **argv = calloc(nf + DL_EXTRA + 2, sizeof(*argv));
	size_t *len = calloc(nf + DL_EXTRA + 2, sizeof(*len));
	char dead[160], count[24], ts[24], attempts[24], dropped[24], why[300];
	redisReply *rep[3];
	const redisReply *bad;

	if (!argv || !len)
		fatalx("out of memory");
	if (nf > 2 * DL_COPY_MAX)
		nf = 2 * DL_COPY_MAX;
	snprintf(dead, sizeof(dead), "%s" KEY_DEAD_SUFFIX, w->stream);
	snprintf(count, sizeof(count), "%lld", e->deliveries);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	snprintf(attempts, sizeof(attempts), "%lld", c->attempts);
	snprintf(dropped, sizeof(dropped), "%zu", (e->nf - nf) / 2);
	const char *extra[DL_EXTRA] = { "dl_reason", r->error, "dl_original_id",
		e->id, "dl_delivery_count", count, "dl_attempts", attempts,
		"dl_lane", lane_name(w->lane), "dl_claim_state", c->state,
		"dl_consumer", w->consumer, "dl_timestamp", ts,
		"dl_fields_dropped", dropped };
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
	} else if (result_reply(w->rc, conn_part(rep[2]->element[0], 0, 1),
		r, why, sizeof(why)) == SETTLE_FAILED) {
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

/* Why e is moved, for the log line. */
static void why_moved(const struct claim_seen *c, char *why, size_t whysz)
{
	if (strcmp(c->state, "none") == 0)
		snprintf(why, whysz, "never claimed: it never got past its checks");
	else
		snprintf(why, whysz, "%lld attempts were under way when their "
		    "worker died", c->attempts);
}

/*
 * Moves entry e when it is poison: 1 moved (or only acknowledged, or left
 * pending when its plan's keys cannot be read), 0 not poison: read it as
 * usual, -1 Redis refused or was lost (tried again).
 */
static int dead_letter(struct worker *w, const struct entry *e)
{
	struct plan p;
	struct result r;
	struct claim_seen c = { "none", 0 };
	char plan_id[PLAN_ID_MAX + 1], why[96];
	int claimed = 1;

	plan_from_fields(&p, e->f, e->nf);
	plan_id_of(&p, plan_id);
	int k = plan_id[0] ? plan_status(w, e->id, plan_id, &c, &claimed) : 0;
	if (k != 0)
		return k < 0 ? -1 : 1;
	if (!is_poison(&c, w->s.max_deliveries)) {
		if (plan_id[0]) {
			redisReply *u = conn_cmd(w->rc, "UNWATCH");
			if (!u)
				return -1;      /* Redis lost: tried again */
			freeReplyObject(u);
		}
		return 0;
	}
	fill_result(w, &r, e->id, &p, plan_id, e->deliveries, claimed);
	k = move(w, e, &r, &c);
	if (k < 0) {
		if (k == -2)    /* EXEC refused: a watched key changed */
			log_info("[lane=%s] dead-lettering entry %s postponed: its "
			    "plan changed meanwhile", lane_name(w->lane), e->id);
		return -1;
	}
	wr_accepted(w);
	why_moved(&c, why, sizeof(why));
	log_warn("☠️  [lane=%s] Dead-lettered entry %s (plan_id=%.8s): delivered "
	    "%lld times (%s; INTENT_EXECUTOR_MAX_DELIVERIES=%d); moved to "
	    "%s" KEY_DEAD_SUFFIX, lane_name(w->lane), e->id,
	    plan_id[0] ? plan_id : "-", e->deliveries, why, w->s.max_deliveries,
	    w->stream);
	if (strcmp(c.state, "sent") == 0)
		log_warn("☠️  [lane=%s] plan %s had been sent to the executor before "
		    "(claim state sent): an order may exist; look it up by the "
		    "plan's client order id", lane_name(w->lane), plan_id);
	return 1;
}

int dl_check(struct worker *w, const struct entry *e)
{
	/* max attempts that died need more than max deliveries */
	if (e->deliveries <= w->s.max_deliveries || !conn_up(w->rc))
		return 0;
	if (jobs_by_stream_id(&w->jobs, e->id))
		return 0;       /* held in memory: in progress, not poison */
	if (!e->f)
		return 0;       /* deleted from the stream: lane_entry acks it */
	return dead_letter(w, e);
}
