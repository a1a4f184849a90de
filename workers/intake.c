/*
 * intake.c - what a lane worker does with each entry read from its
 * stream, up to the plan's queue: the obsolete format, the lane guard
 * (source allowlist on the main lane, the TTL-bound manual-lane key on the
 * manual lane), the plan's checks, the claim (one entry owns a plan_id;
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
 * hiredis reply from its caller.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "log.h"
#include "worker.h"

static void ack(struct worker *w, const char *id)
{
	redisReply *r = conn_cmd(w->rc, "XACK %s %s %s", w->stream, w->group, id);
	if (r)
		freeReplyObject(r);
}

static void count(struct worker *w, enum counter c)
{
	redisReply *r = conn_cmd(w->rc, "HINCRBY " KEY_METRICS " %s 1",
	    counter_name(c));
	if (r)
		freeReplyObject(r);
}

int lane_manual_enabled(struct worker *w, long long *ttl)
{
	redisReply *rep[2];
	*ttl = 0;
	conn_append(w->rc, "GET " KEY_MANUAL_LANE);
	conn_append(w->rc, "TTL " KEY_MANUAL_LANE);
	if (conn_replies(w->rc, rep, 2) < 0)
		return -1;
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

/* Writes r; on a Redis failure the entry stays pending and is read again. */
static void commit(struct worker *w, const struct result *r)
{
	result_commit(w->rc, &w->s, w->stream, w->group, r);
}

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
	commit(w, &r);
	return -1;
}

/* 1: consumed, 0: skipped, -1: Redis failed. */
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
		count(w, C_MANUAL_CONSUMED);
		return 1;
	}
	log_info("🚫 [lane=manual] Skip plan (manual_lane_disabled): plan_id=%s "
	    "ttl=%lld", pid, ttl);
	result_from_plan(&r, w->lane, id, p);
	snprintf(r.error, sizeof(r.error), "manual_lane_disabled");
	r.guard = "lane";
	r.guard_refused = 1;
	result_count(&r, C_MANUAL_BLOCKED_DISABLED);
	commit(w, &r);
	lane_log_manual_state(w, 0, 0, 0);
	return 0;
}

/*
 * A plan refused by its decision, its checks or the read-time gate.  With
 * claim_state, it had claimed its plan_id: the claim takes that state
 * ("refused": the plan never waited for a permit, and the other lane may
 * take the plan_id over).
 */
static void reject(struct worker *w, const char *id, const struct plan *p,
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
	r.guard = v == PLAN_DECISION ? "decision" :
	    strncmp(err, "plan_", 5) == 0 || strncmp(err, "trading_", 8) == 0 ||
	    strncmp(err, "lane_halted", 11) == 0 ? "safety" : "checks";
	r.claimed = claim_state != NULL;
	r.claim_state = claim_state;
	result_count(&r, C_PROCESSED);
	result_count(&r, C_EXECUTED_FALSE);
	if (v == PLAN_DECISION)
		result_count(&r, C_P35_GUARD_BLOCKED);
	if (consumed)
		result_count(&r, C_MANUAL_PROCESSED);
	commit(w, &r);
}

/*
 * The claim: one stream entry owns a plan_id, atomically, before anything
 * about it is decided.  The claim is a hash, KEY_CLAIM<plan_id>: owner
 * (<stream>|<entry id>), lane and state of the entry that may execute the
 * plan (claimed, then sent: the request left for the executor, then
 * settled; or refused, conflict, dead_lettered), and decided_<lane> (the
 * entry of that lane whose result is written: later copies on the lane
 * are skipped).
 *
 * KEYS[1] the done key, KEYS[2] the claim; ARGV[1] owner, ARGV[2] lane,
 * ARGV[3] "run" (the plan passed its checks: take the plan_id) or "look"
 * (it is refused: take nothing, only see whether it is a copy).  Returns
 * "done" (this lane decided it; or there is no claim at all and the done
 * key exists: decided by a daemon that did not record lanes), "new"
 * (claimed now, or nothing in the way of a refused plan), "claimed",
 * "sent" or "conflict" (this entry owned it already: read again after a
 * crash), "other" (another entry of this lane owns it), or, when an entry
 * of the other lane owns it to execute, "conflict_both" (that entry had
 * not been sent: it is refused too, its claim says conflict) or
 * "conflict_one" (it was sent or decided: only this entry is refused).  An
 * owner of the other lane in state refused never waited for a permit: the
 * plan_id is taken over.
 */
static const char claim_script[] =
    "local c = redis.call('HMGET', KEYS[2], 'owner', 'lane', 'state', "
    "'decided_' .. ARGV[2]) "
    "if c[4] then return 'done' end "
    "if not c[1] then "
    "if redis.call('EXISTS', KEYS[2]) == 0 and "
    "redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end "
    "elseif c[1] == ARGV[1] then return c[3] or 'claimed' "
    "elseif c[2] == ARGV[2] then return 'other' "
    "elseif ARGV[3] == 'look' then return 'new' "
    "elseif c[3] == 'claimed' then "
    "redis.call('HSET', KEYS[2], 'state', 'conflict') return 'conflict_both' "
    "elseif c[3] ~= 'refused' then return 'conflict_one' end "
    "if ARGV[3] == 'look' then return 'new' end "
    "redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'lane', ARGV[2], "
    "'state', 'claimed') "
    "redis.call('EXPIRE', KEYS[2], 86400) return 'new'";

/* What the claim found (claim(), is_duplicate()). */
enum claim_verdict {
	CL_GO,                  /* go on: claimed, or nothing in the way */
	CL_SKIP,                /* a copy: acknowledged (or left pending) */
	CL_CONFLICT_OWN,        /* our claim says conflict: refuse, claimed */
	CL_CONFLICT_BOTH,       /* the other lane's waiting entry refused too */
	CL_CONFLICT_ONE,        /* only this entry is refused */
};

/*
 * The claim's round trip: why the entry is a copy (*v CL_SKIP), or NULL;
 * with *failed set when the claim could not be made (Redis lost, or an
 * error: the entry stays pending, tried again later).  With st, the
 * trading state and the lane's breaker are read too (pipelined after the
 * EVAL, so they are seen as after the claim).
 */
static const char *claim(struct worker *w, const char *id, struct plan_ok *ok,
    int run, enum trading_state *st, int *failed, enum claim_verdict *v)
{
	const char *plan_id = ok->plan_id, *where = NULL;
	redisReply *rep[1 + LANE_STATE_REPLIES];
	int n = st ? 1 + LANE_STATE_REPLIES : 1;

	*failed = 1;
	*v = CL_GO;
	conn_append(w->rc, "EVAL %s 2 " KEY_DONE "%s " KEY_CLAIM "%s %s|%s %s %s",
	    claim_script, plan_id, plan_id, w->stream, id, lane_name(w->lane),
	    run ? "run" : "look");
	if (st)
		lane_append_state(w);
	if (conn_replies(w->rc, rep, n) < 0)
		return NULL;    /* Redis lost: entry stays pending */
	const redisReply *r = rep[0];
	if (st)
		*st = lane_trading_state(rep + 1);
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		log_error("claim of %s failed: %s", plan_id,
		    r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
	} else {
		*failed = 0;
		if (strcmp(r->str, "done") == 0)
			where = "already done";
		else if (strcmp(r->str, "other") == 0)
			where = "claimed by another entry";
		else if (strcmp(r->str, "conflict") == 0)
			*v = CL_CONFLICT_OWN;
		else if (strcmp(r->str, "conflict_both") == 0)
			*v = CL_CONFLICT_BOTH;
		else if (strcmp(r->str, "conflict_one") == 0)
			*v = CL_CONFLICT_ONE;
		else
			ok->recovery = strcmp(r->str, "sent") == 0;
		if (where)
			*v = CL_SKIP;
	}
	conn_free_replies(rep, n);
	return where;
}

/* The claim, and a copy skipped (acknowledged, or left pending). */
static enum claim_verdict is_duplicate(struct worker *w, const char *id,
    struct plan_ok *ok, int run, enum trading_state *st)
{
	const char *where = "already in progress";
	enum claim_verdict v = CL_SKIP;
	char pid[9];
	int failed = 0;

	if (!jobs_by_plan_id(&w->jobs, ok->plan_id)) {
		where = claim(w, id, ok, run, st, &failed, &v);
		if (failed)
			return CL_SKIP;         /* left pending, tried again later */
	}
	if (!where)
		return v;
	plan_id8(pid, ok->plan_id);
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%s",
	    lane_name(w->lane), where, pid);
	ack(w, id);
	count(w, C_DUPLICATE_SKIPPED);
	return CL_SKIP;
}

/*
 * The other lane has an entry with this plan_id (docs/REDIS.md, "One
 * plan_id, two lanes"): this entry is refused, with its result and an
 * audit entry; with CL_CONFLICT_OWN it owned the claim (read again after
 * a crash), which keeps saying conflict.
 */
static void refuse_conflict(struct worker *w, const char *id,
    const struct plan *p, enum claim_verdict v, int consumed)
{
	const char *other = lane_name(w->lane == LANE_MAIN ? LANE_MANUAL :
	    LANE_MAIN);
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
	result_count(&r, C_PROCESSED);
	result_count(&r, C_EXECUTED_FALSE);
	result_count(&r, C_PLAN_ID_CONFLICT);
	if (consumed)
		result_count(&r, C_MANUAL_PROCESSED);
	commit(w, &r);
}

static int symbol_index(const struct settings *s, const char *sym)
{
	for (int i = 0; i < s->symbols.n; i++)
		if (strcmp(s->symbols.item[i], sym) == 0)
			return i;
	return 0;
}

static void queue(struct worker *w, const char *id, const struct plan *p,
    const struct plan_ok *ok, int consumed)
{
	char pid[9], q4[40];
	struct job *j = jobs_new(&w->jobs);

	if (!j)
		return;         /* cannot happen: reads ask for room only */
	snprintf(j->stream_id, sizeof(j->stream_id), "%s", id);
	j->ok = *ok;
	plan_field(j->source, sizeof(j->source), p->source);
	plan_field(j->decision, sizeof(j->decision), p->decision);
	j->consumed_manual = consumed;
	j->sym = symbol_index(&w->s, ok->symbol);
	count(w, C_PROCESSED);
	plan_id8(pid, ok->plan_id);
	dec_format_fixed(q4, sizeof(q4), ok->qty, 4);
	log_info("▶️  Processing plan: %s | %s %s qty=%s", pid, ok->symbol,
	    side_name(ok->side), q4);
	if (jobs_enqueue(&w->jobs, j))
		lane_start_wait(w, j);
}

/*
 * At read time: the plan's time (an unreadable timestamp rejects it), its
 * age and the trading state (*st when the claim's round trip read it,
 * else read here).  0 to queue, 1 rejected (err set), -1 Redis was lost
 * (the entry stays pending).
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
		now_st = lane_trading_state(r);
		conn_free_replies(r, LANE_STATE_REPLIES);
	}
	return trading_gate(plan_ms, ok->reduce_only, now_st, wall_ms(),
	    w->s.max_plan_age_sec, err, errlen) < 0 ? 1 : 0;
}

/* A plan past its lane guard: checks, claim, gate, then its queue. */
static void take(struct worker *w, const char *id, const struct plan *p,
    int consumed)
{
	struct plan_ok ok;
	char err[ERROR_MAX];
	int g;
	enum plan_verdict v = plan_check(&w->s, p, &ok, err, sizeof(err));
	/* for a plan that may be queued, the claim's round trip reads the
	 * trading state too (st; else read_gate reads it) */
	enum trading_state st = TS_HALTED;
	enum trading_state *stp = v == PLAN_OK && ok.plan_id[0] ? &st : NULL;
	enum claim_verdict c = CL_GO;

	/* a copy of a plan in progress or done on this lane is skipped,
	 * whatever it holds: its plan_id already has (or will have) its one
	 * result; only a plan that may execute takes the plan_id */
	if (ok.plan_id[0])
		c = is_duplicate(w, id, &ok, v == PLAN_OK, stp);
	if (c == CL_SKIP)
		return;
	if (c != CL_GO)
		refuse_conflict(w, id, p, c, consumed);
	else if (v != PLAN_OK)
		reject(w, id, p, v, err, consumed, NULL);
	else if ((g = read_gate(w, id, p, &ok, stp, err, sizeof(err))) > 0)
		/* sent before a crash: an order may exist, the id stays taken */
		reject(w, id, p, PLAN_REJECT, err, consumed,
		    ok.recovery ? "settled" : "refused");
	else if (g == 0)
		queue(w, id, p, &ok, consumed);
}

void lane_entry(struct worker *w, const struct entry *e)
{
	struct plan p;
	int consumed;

	if (jobs_by_stream_id(&w->jobs, e->id))
		return;
	if (!e->f) {
		ack(w, e->id);  /* deleted from the stream while pending */
		return;
	}
	plan_from_fields(&p, e->f, e->nf);
	if (!p.plan_id.p && p.payload.p) {
		log_info("[lane=%s] Skip entry %s: obsolete nested payload format",
		    lane_name(w->lane), e->id);
		ack(w, e->id);
		count(w, C_SKIPPED_OBSOLETE);
	} else if (w->lane == LANE_MAIN) {
		if (main_guard(w, e->id, &p) == 0)
			take(w, e->id, &p, 0);
	} else if ((consumed = manual_guard(w, e->id, &p)) == 1) {
		take(w, e->id, &p, consumed);
	}
}
