/*
 * intake.c - what a lane worker does with each entry read from its
 * stream, up to the plan's queue: the obsolete format, the lane guard
 * (source allowlist on the main lane, the TTL-bound manual-lane key on the
 * manual lane; the harvest lane has none: its entries are checked by
 * harvest.c and need no permit), the plan's checks, the claim (one entry owns a plan_id;
 * copies on the lane are skipped; the other lane's entry with the same
 * plan_id is a conflict), the read-time gate (age, trading state, the
 * lane's breaker), then the plan joins its symbol's queue and its life
 * begins (lifecycle.c).  A rejected plan gets its one result here; an
 * entry refused at its lane guard takes nothing in the plan_id space.
 *
 * May: talk to Redis on the command connection (conn.c): the claim, the
 * manual-lane key, the trading state and the lane's breaker, XACK,
 * counters; write a result (result.c); start a plan's permit wait
 * (lifecycle.c).  May not: read the
 * stream (main.c hands it entries), send anything to the executor, take a
 * hiredis reply from its caller, decide a plan on a reply that says Redis
 * cannot answer now (conn_transient(): lane_entry() returns -1, the
 * caller tries the entry again).
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "harvest.h"
#include "log.h"
#include "worker.h"

/*
 * The entry acknowledged without a result, counting the nc counters of
 * c: 0, or -1 when Redis refused it (logged; the entry is tried again).
 */
static int ack(struct worker *w, const char *id, const enum counter *c,
    int nc)
{
	char why[300];
	if (result_ack(w->rc, w->stream, w->group, id, c, nc, why, sizeof(why)) ==
	    SETTLE_FAILED) {
		if (conn_up(w->rc))
			wr_refused(w, "an acknowledgement", why);
		return -1;
	}
	return 0;
}

/* A reply Redis gave instead of an answer, now: logged, -1; else 0. */
static int refused(struct worker *w, const char *what, const redisReply *r)
{
	if (!conn_transient(r))
		return 0;
	if (r)
		wr_refused(w, what, r->str);
	return -1;
}

int lane_manual_enabled(struct worker *w, long long *ttl)
{
	redisReply *rep[2];
	*ttl = 0;
	conn_append(w->rc, "GET " KEY_MANUAL_LANE);
	conn_append(w->rc, "TTL " KEY_MANUAL_LANE);
	if (conn_replies(w->rc, rep, 2) < 0)
		return -1;
	/* Redis cannot answer now: the lane is neither on nor off */
	if (refused(w, "GET " KEY_MANUAL_LANE, rep[0]) < 0 ||
	    refused(w, "TTL " KEY_MANUAL_LANE, rep[1]) < 0) {
		conn_free_replies(rep, 2);
		return -1;
	}
	const redisReply *v = rep[0], *t = rep[1];
	int on = v->type == REDIS_REPLY_STRING && v->len == 1 && v->str[0] == '1' &&
	    t->type == REDIS_REPLY_INTEGER && t->integer > 0;
	if (t->type == REDIS_REPLY_INTEGER && t->integer > 0)
		*ttl = t->integer;
	conn_free_replies(rep, 2);
	/* raw redis-cli cannot open the lane for longer than the cap */
	int too_long = on && *ttl > w->s.manual_max_ttl_sec;
	if (too_long && !w->ttl_cap_logged)
		log_warn("🔒 [lane=manual] key %s has TTL %llds, above "
		    "INTENT_EXECUTOR_MANUAL_MAX_TTL_SEC=%d: manual lane treated as "
		    "disabled", KEY_MANUAL_LANE, *ttl, w->s.manual_max_ttl_sec);
	w->ttl_cap_logged = too_long;
	return on && !too_long;
}

void lane_log_manual_state(struct worker *w, int enabled, long long ttl,
    int always)
{
	if (!always && enabled == w->manual_state)
		return;
	w->manual_state = enabled;
	if (enabled)
		log_info("🔓 MANUAL_LANE_ACTIVE ttl_remaining=%llds", ttl);
	else
		log_info("🔒 MANUAL_LANE_OFF");
}

/*
 * Writes r: 0, or -1 when Redis refused it (logged): nothing was written,
 * the entry is tried again after the backoff.
 */
static int commit(struct worker *w, const struct result *r)
{
	char why[300], what[64];
	if (result_commit(w->rc, &w->s, w->stream, w->group, r, why,
		sizeof(why)) != SETTLE_FAILED)
		return 0;
	if (conn_up(w->rc)) {
		snprintf(what, sizeof(what), "the result of plan %.8s", r->plan_id);
		wr_refused(w, what, why);
	}
	return -1;
}

/* 0: go on; 1: refused, its result written; -1: Redis refused (retry). */
static int main_guard(struct worker *w, const char *id, const struct plan *p)
{
	char src[68], list[512], pid[9], plan_id[PLAN_ID_MAX + 4];
	struct result r;

	if (p->source.p && strlist_has(&w->s.sources, p->source.p, p->source.n))
		return 0;
	plan_field(src, sizeof(src), p->source);
	plan_field(plan_id, sizeof(plan_id), p->plan_id);
	plan_id8(pid, plan_id);
	strlist_format(&w->s.sources, list, sizeof(list));
	log_info("🚫 [lane=main] Skip plan (source_not_allowed): plan_id=%s "
	    "source=%s allowlist=%s", pid, src, list);
	result_from_plan(&r, w->lane, id, p);
	snprintf(r.error, sizeof(r.error), "source_not_allowed:%s", src);
	r.guard = "lane";
	r.guard_refused = 1;
	result_count(&r, C_BLOCKED_SOURCE);
	return commit(w, &r) < 0 ? -1 : 1;
}

/* 1: consumed, 0: skipped (its result written), -1: Redis failed. */
static int manual_guard(struct worker *w, const char *id, const struct plan *p)
{
	char pid[9], plan_id[PLAN_ID_MAX + 4];
	long long ttl;
	struct result r;
	int on = lane_manual_enabled(w, &ttl);

	if (on < 0)
		return -1;
	plan_field(plan_id, sizeof(plan_id), p->plan_id);
	plan_id8(pid, plan_id);
	if (on) {
		lane_log_manual_state(w, 1, ttl, 0);
		log_info("🔓 [lane=manual] Consuming manual plan: %s", pid);
		return 1;       /* counted once the plan is queued, refused or
				   skipped */
	}
	log_info("🚫 [lane=manual] Skip plan (manual_lane_disabled): plan_id=%s "
	    "ttl=%lld", pid, ttl);
	result_from_plan(&r, w->lane, id, p);
	snprintf(r.error, sizeof(r.error), "manual_lane_disabled");
	r.guard = "lane";
	r.guard_refused = 1;
	result_count(&r, C_MANUAL_BLOCKED_DISABLED);
	if (commit(w, &r) < 0)
		return -1;
	lane_log_manual_state(w, 0, 0, 0);
	return 0;
}

/*
 * A plan refused by its decision, its checks or the read-time gate.  With
 * claim_state, it had claimed its plan_id: the claim takes that state
 * ("refused": the plan never waited for a permit, and the other lane may
 * take the plan_id over).  0, or -1 when Redis refused the result (tried
 * again).
 */
static int reject(struct worker *w, const char *id, const struct plan *p,
    enum plan_verdict v, const char *err, int consumed,
    const char *claim_state)
{
	char pid[9], plan_id[PLAN_ID_MAX + 4];
	struct result r;

	plan_field(plan_id, sizeof(plan_id), p->plan_id);
	plan_id8(pid, plan_id);
	log_info("🚫 [lane=%s] Skip plan (%s): plan_id=%s", lane_name(w->lane),
	    err, pid);
	result_from_plan(&r, w->lane, id, p);
	snprintf(r.error, sizeof(r.error), "%s", err);
	if (v == PLAN_DECISION)
		log_info("P3.5_GUARD decision=%s plan_id=%s symbol=%s reason=%s",
		    r.decision[0] ? r.decision : "-", pid,
		    r.symbol[0] ? r.symbol : "-", err);
	r.guard = v == PLAN_DECISION ? "decision" :
	    strncmp(err, "plan_", 5) == 0 || strncmp(err, "trading_", 8) == 0 ||
	    strncmp(err, "lane_halted", 11) == 0 ? "safety" : "checks";
	r.claimed = claim_state != NULL;
	r.claim_state = claim_state;
	/* a claimed plan was counted processed (and consumed) by its claim */
	if (!r.claimed)
		result_count(&r, C_PROCESSED);
	result_count(&r, C_EXECUTED_FALSE);
	if (v == PLAN_DECISION)
		result_count(&r, C_P35_GUARD_BLOCKED);
	if (consumed && !r.claimed)
		result_count(&r, C_MANUAL_CONSUMED);
	if (consumed)
		result_count(&r, C_MANUAL_PROCESSED);
	return commit(w, &r);
}

/*
 * The claim's round trip (claim.c), or its reply from the batch's: 0 to go
 * on (*v CL_GO, or the conflict to refuse the entry for), 1 a copy
 * (*where says why), 2 the claim was refused for this plan (logged; the
 * entry stays pending, read again after a restart), -1 Redis cannot
 * answer now, or was lost (tried again after the backoff).  With st, the
 * trading state and the lane's breaker are read too (pipelined after the
 * claim, so they are seen as after it).
 */
static int claim(struct worker *w, const char *id, struct plan_ok *ok,
    int run, int consumed, enum trading_state *st, const char **where,
    enum claim_verdict *v)
{
	enum trading_state batch_st;
	redisReply *rep[1 + LANE_STATE_REPLIES] = { NULL };
	struct claim_out o;
	int n = 1;

	*where = NULL;
	*v = CL_GO;
	rep[0] = run ? claim_batch_take(w, id, &batch_st) : NULL;
	if (rep[0] && st) {
		*st = batch_st;
	} else if (!rep[0]) {
		claim_append(w, id, ok->plan_id, run, consumed);
		if (st)
			lane_append_state(w);
		n = st ? 1 + LANE_STATE_REPLIES : 1;
		if (conn_replies(w->rc, rep, n) < 0)
			return -1;      /* Redis lost: entry stays pending */
	}
	int rc = claim_reading(rep[0], ok->plan_id, &o);
	if (rc < 0)     /* the claim is the same entry's when tried again */
		refused(w, "EVAL (the claim)", rep[0]);
	*where = o.where;
	*v = o.v;
	ok->recovery = o.recovery;
	/* the state matters only to a plan that goes on */
	for (int i = 1; i < n && rc == 0 && *v == CL_GO; i++)
		if (refused(w, lane_state_what[i - 1], rep[i]) < 0)
			rc = -1;
	if (rc == 0 && n > 1)
		*st = lane_trading_state(rep + 1);
	conn_free_replies(rep, n);
	return rc;
}

/*
 * The claim, and a copy skipped: 1 skipped (acknowledged, or left pending
 * when the claim was refused), 0 go on (*v: CL_GO, or a conflict), -1
 * Redis refused (tried again).
 */
static int is_duplicate(struct worker *w, const char *id, struct plan_ok *ok,
    int run, enum trading_state *st, int consumed, enum claim_verdict *v)
{
	const char *where = "already in progress";
	enum counter c[2] = { C_DUPLICATE_SKIPPED, C_MANUAL_CONSUMED };
	char pid[9];

	*v = CL_GO;
	if (!jobs_by_plan_id(&w->jobs, ok->plan_id)) {
		int k = claim(w, id, ok, run, consumed, st, &where, v);
		if (k != 1)
			return k == 2 ? 1 : k;
	}
	if (ack(w, id, c, consumed ? 2 : 1) < 0)
		return -1;
	plan_id8(pid, ok->plan_id);
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%s",
	    lane_name(w->lane), where, pid);
	return 1;
}

/*
 * The other lane has an entry with this plan_id (docs/REDIS.md, "One
 * plan_id, two lanes"): this entry is refused, with its result and an
 * audit entry; with CL_CONFLICT_OWN it owned the claim (read again after
 * a crash), which keeps saying conflict.  0, or -1 when Redis refused the
 * result (tried again).
 */
static int refuse_conflict(struct worker *w, const char *id,
    const struct plan *p, enum claim_verdict v, int consumed)
{
	const char *other = lane_info(w->lane)->conflict_with;
	char reason[160];
	struct result r;

	result_from_plan(&r, w->lane, id, p);
	snprintf(r.error, sizeof(r.error), "plan_id_conflict:%s", other);
	snprintf(reason, sizeof(reason), "lane %s has an entry with this "
	    "plan_id: %s", other, v == CL_CONFLICT_ONE ? "this entry refused (the "
	    "other was sent or decided first)" : "both entries refused (neither "
	    "had been sent)");
	log_warn("⚠️  [lane=%s] Refused plan (plan_id_conflict): plan_id=%.8s "
	    "entry %s: %s", lane_name(w->lane), r.plan_id, id, reason);
	r.guard = "conflict";
	r.audit_reason = reason;
	r.claimed = v == CL_CONFLICT_OWN;
	r.claim_state = "conflict";
	/* an entry that owned the claim was counted when it took it */
	if (!r.claimed)
		result_count(&r, C_PROCESSED);
	result_count(&r, C_EXECUTED_FALSE);
	result_count(&r, C_PLAN_ID_CONFLICT);
	if (consumed && !r.claimed)
		result_count(&r, C_MANUAL_CONSUMED);
	if (consumed)
		result_count(&r, C_MANUAL_PROCESSED);
	return commit(w, &r);
}

static int symbol_index(const struct settings *s, const char *sym)
{
	for (int i = 0; i < s->symbols.n; i++)
		if (strcmp(s->symbols.item[i], sym) == 0)
			return i;
	return 0;
}

/* The plan joins its symbol's queue (counted processed by its claim);
 * tags: its trade.closed fields (NULL: the plan's). */
static int queue(struct worker *w, const char *id, const struct plan *p,
    const struct plan_ok *ok, int consumed, const struct trade_tags *tags)
{
	char pid[9], q4[40];

	struct job *j = jobs_new(&w->jobs);
	if (!j)
		return 0;       /* cannot happen: reads ask for room only */
	snprintf(j->stream_id, sizeof(j->stream_id), "%s", id);
	j->ok = *ok;
	plan_field(j->source, sizeof(j->source), p->source);
	plan_field(j->decision, sizeof(j->decision), p->decision);
	if (tags)
		j->tags = *tags;
	else
		plan_tags(p, &j->tags);
	j->consumed_manual = consumed;
	j->sym = symbol_index(&w->s, ok->symbol);
	plan_id8(pid, ok->plan_id);
	dec_format_fixed(q4, sizeof(q4), ok->qty, 4);
	log_info("▶️  Processing plan: %s | %s %s qty=%s", pid, ok->symbol,
	    side_name(ok->side), q4);
	if (jobs_enqueue(&w->jobs, j))
		lane_start_wait(w, j);
	return 0;
}

/*
 * At read time: the plan's time (an unreadable timestamp rejects it), its
 * age and the trading state (*st when the claim's round trip read it,
 * else read here).  0 to queue, 1 rejected (err set), -1 Redis was lost
 * or cannot answer now (tried again).
 */
static int read_gate(struct worker *w, const char *id, const struct plan *p,
    struct plan_ok *ok, const enum trading_state *st, char *err, size_t errlen)
{
	const char *why;
	int64_t plan_ms = plan_time_ms(p->timestamp, id, &why);
	enum trading_state now_st;

	if (plan_ms < 0) {
		snprintf(err, errlen, "plan_invalid_timestamp:%s", why);
		return 1;
	}
	ok->plan_ms = plan_ms;
	if (st) {
		now_st = *st;
	} else {
		redisReply *r[LANE_STATE_REPLIES];
		lane_append_state(w);
		if (conn_replies(w->rc, r, LANE_STATE_REPLIES) < 0)
			return -1;
		for (int i = 0; i < LANE_STATE_REPLIES; i++)
			if (refused(w, lane_state_what[i], r[i]) < 0) {
				conn_free_replies(r, LANE_STATE_REPLIES);
				return -1;
			}
		now_st = lane_trading_state(r);
		conn_free_replies(r, LANE_STATE_REPLIES);
	}
	return trading_gate(plan_ms, ok->reduce_only, now_st, wall_ms(),
	    w->s.max_plan_age_sec, err, errlen) < 0 ? 1 : 0;
}

/*
 * A plan past its lane guard and checked (v, ok, err): claim, gate, then
 * its queue.  0, or -1 when Redis refused a step (tried again: nothing
 * was decided).
 */
static int take_checked(struct worker *w, const char *id,
    const struct plan *p, enum plan_verdict v, struct plan_ok ok, char *err,
    size_t errlen, int consumed, const struct trade_tags *tags)
{
	int g, d;
	/* for a plan that may be queued, the claim's round trip reads the
	 * trading state too (st; else read_gate reads it) */
	enum trading_state st = TS_HALTED;
	enum trading_state *stp = v == PLAN_OK && ok.plan_id[0] ? &st : NULL;
	enum claim_verdict c = CL_GO;

	/* a copy of a plan in progress or done on this lane is skipped,
	 * whatever it holds: its plan_id already has (or will have) its one
	 * result; only a plan that may execute takes the plan_id */
	if (ok.plan_id[0] &&
	    (d = is_duplicate(w, id, &ok, v == PLAN_OK, stp, consumed, &c)) != 0)
		return d < 0 ? -1 : 0;
	if (c != CL_GO)
		return refuse_conflict(w, id, p, c, consumed);
	if (v != PLAN_OK)
		return reject(w, id, p, v, err, consumed, NULL);
	if ((g = read_gate(w, id, p, &ok, stp, err, errlen)) > 0)
		/* sent before a crash: an order may exist, the id stays taken */
		return reject(w, id, p, PLAN_REJECT, err, consumed,
		    ok.recovery ? "settled" : "refused");
	if (g < 0)
		return -1;
	return queue(w, id, p, &ok, consumed, tags);
}

/* A plan past its lane guard: its checks, then take_checked(). */
static int take(struct worker *w, const char *id, const struct plan *p,
    int consumed)
{
	struct plan_ok ok;
	char err[ERROR_MAX];
	enum plan_verdict v = plan_check(&w->s, p, &ok, err, sizeof(err));
	return take_checked(w, id, p, v, ok, err, sizeof(err), consumed, NULL);
}

/*
 * A harvest-lane entry (harvest.h): no lane guard and no permit; its
 * checks, then the same claim, gate and queue as a plan, with the
 * entry's fields in a plan's terms for its result (plan_id derived from
 * the entry id, side CLOSE, the plan's time the entry id's).
 */
static int harvest_entry(struct worker *w, const struct entry *e)
{
	struct harvest h;
	struct plan_ok ok;
	struct trade_tags t;
	struct plan p = { 0 };
	char err[ERROR_MAX], act[32], sym[SYMBOL_MAX + 8], pct[40], why[72];

	harvest_from_fields(&h, e->f, e->nf);
	enum plan_verdict v = harvest_check(&w->s, &h, e->id, &ok, &t, err,
	    sizeof(err));
	harvest_action(&h, act, sizeof(act));
	plan_field(sym, sizeof(sym), h.symbol);
	plan_field(pct, sizeof(pct), h.percentage);
	plan_field(why, sizeof(why), h.reason);
	log_info("🌾 HARVEST INTENT: %s %s percentage=%s reason=%s R_net=%.20s "
	    "entry=%s", sym[0] ? sym : "-", act[0] ? act : "-",
	    pct[0] ? pct : "1", why[0] ? why : "-",
	    t.r_net[0] ? t.r_net : "-", e->id);
	p.plan_id = (struct bytes){ ok.plan_id, strlen(ok.plan_id) };
	if (!ok.plan_id[0])
		p.plan_id.p = NULL;
	p.symbol = h.symbol;
	p.side = (struct bytes){ "CLOSE", 5 };
	p.reason = h.reason;
	p.r_net = h.r_net;
	return take_checked(w, e->id, &p, v, ok, err, sizeof(err), 0, &t);
}

int lane_entry(struct worker *w, const struct entry *e)
{
	struct plan p;
	int k;

	if (jobs_by_stream_id(&w->jobs, e->id))
		return 0;
	if (!e->f)              /* deleted from the stream while pending */
		return ack(w, e->id, NULL, 0);
	if (w->lane == LANE_HARVEST)
		return harvest_entry(w, e);
	plan_from_fields(&p, e->f, e->nf);
	if (!p.plan_id.p && p.payload.p) {
		enum counter c = C_SKIPPED_OBSOLETE;
		if (ack(w, e->id, &c, 1) < 0)
			return -1;
		log_info("[lane=%s] Skip entry %s: obsolete nested payload format",
		    lane_name(w->lane), e->id);
		return 0;
	}
	if (w->lane == LANE_MAIN)
		k = main_guard(w, e->id, &p);
	else
		k = manual_guard(w, e->id, &p);
	if (k < 0)
		return -1;
	if ((w->lane == LANE_MAIN && k == 0) || (w->lane == LANE_MANUAL && k == 1))
		return take(w, e->id, &p, w->lane == LANE_MANUAL);
	return 0;
}

void lane_preclaim(struct worker *w, const struct batch *b, size_t from)
{
	struct plan p;
	struct plan_ok ok;
	char err[ERROR_MAX];

	claim_batch_free(w);
	if (w->lane != LANE_MAIN)
		return;
	for (size_t i = from; i < b->n; i++) {
		const struct entry *e = &b->e[i];
		/* what lane_entry() and dl_check() would not take to a claim */
		if (!e->f || e->deliveries > w->s.max_deliveries ||
		    jobs_by_stream_id(&w->jobs, e->id))
			continue;
		plan_from_fields(&p, e->f, e->nf);
		if (!p.plan_id.p || !p.source.p ||
		    !strlist_has(&w->s.sources, p.source.p, p.source.n) ||
		    plan_check(&w->s, &p, &ok, err, sizeof(err)) != PLAN_OK ||
		    jobs_by_plan_id(&w->jobs, ok.plan_id) ||
		    claim_batch_has(w, ok.plan_id))
			continue;
		claim_batch_add(w, e->id, ok.plan_id, 0);
	}
	claim_batch_read(w);
}
