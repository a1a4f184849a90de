/*
 * lane.c - what a lane worker does with each plan: lane guard, checks,
 * per-symbol queue, permit wait, request to the executor, one result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "log.h"
#include "safety.h"
#include "worker.h"

/*
 * Permit polls: after 1 ms, then every POLL_FAST_MS while the plan has
 * waited less than POLL_FAST_FOR_MS (a permit usually follows its plan
 * within milliseconds: it is noticed within POLL_FAST_MS), then every
 * POLL_MAX_MS until the permit timeout.  Polls fall on a common grid of
 * their interval, so plans that wait alike share one round (one EVAL for
 * all their keys) instead of each waking the worker.
 */
#define POLL_FAST_MS 2
#define POLL_FAST_FOR_MS 1000
#define POLL_MAX_MS 20
#define PERMIT_KEY_MAX (sizeof(KEY_PERMIT) + PLAN_ID_MAX)

/*
 * One round trip for the permits of every plan polled, either encoding,
 * never a WRONGTYPE error: for each key, {type, value} or {type}.
 */
static const char permit_script[] =
    "local out = {} "
    "for i, k in ipairs(KEYS) do "
    "local t = redis.call('TYPE', k).ok "
    "if t == 'string' then out[i] = {t, redis.call('GET', k)} "
    "elseif t == 'hash' then out[i] = {t, redis.call('HGETALL', k)} "
    "else out[i] = {t} end end "
    "return out";

static void id8(char out[9], const char *plan_id)
{
	snprintf(out, 9, "%.8s", plan_id);
}

static void ack(struct worker *w, const char *id)
{
	redisReply *r = wr_cmd(w, "XACK %s %s %s", w->stream, w->group, id);
	if (r)
		freeReplyObject(r);
}

static void count(struct worker *w, const char *counter)
{
	redisReply *r = wr_cmd(w, "HINCRBY " KEY_METRICS " %s 1",
	    counter);
	if (r)
		freeReplyObject(r);
}

int lane_manual_enabled(struct worker *w, long long *ttl)
{
	redisReply *v = NULL, *t = NULL;
	*ttl = 0;
	if (!w->rc)
		return -1;
	redisAppendCommand(w->rc, "GET " KEY_MANUAL_LANE);
	redisAppendCommand(w->rc, "TTL " KEY_MANUAL_LANE);
	if (redisGetReply(w->rc, (void **)&v) != REDIS_OK ||
	    redisGetReply(w->rc, (void **)&t) != REDIS_OK) {
		if (v)
			freeReplyObject(v);
		wr_lost(w, w->rc->errstr);
		return -1;
	}
	int on = v->type == REDIS_REPLY_STRING && v->len == 1 && v->str[0] == '1' &&
	    t->type == REDIS_REPLY_INTEGER && t->integer > 0;
	if (t->type == REDIS_REPLY_INTEGER && t->integer > 0)
		*ttl = t->integer;
	freeReplyObject(v);
	freeReplyObject(t);
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

static void result_base(struct worker *w, struct result *r, const char *id,
    const struct plan *p)
{
	memset(r, 0, sizeof(*r));
	r->lane = w->lane;
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

/* Writes r; on a Redis failure the entry stays pending and is read again. */
static int commit(struct worker *w, const struct result *r)
{
	if (!w->rc)
		return -1;
	if (result_commit(w->rc, &w->s, w->stream, w->group, r) < 0) {
		wr_lost(w, w->rc->errstr[0] ? w->rc->errstr : "MULTI failed");
		return -1;
	}
	return 0;
}

static int main_guard(struct worker *w, const char *id, const struct plan *p)
{
	char src[68], list[512], pid[9], plan_id[PLAN_ID_MAX + 4];
	struct result r;

	if (p->source.p && strlist_has(&w->s.sources, p->source.p, p->source.n))
		return 0;
	plan_field(src, sizeof(src), p->source);
	plan_field(plan_id, sizeof(plan_id), p->plan_id);
	id8(pid, plan_id);
	strlist_format(&w->s.sources, list, sizeof(list));
	log_info("🚫 [lane=main] Skip plan (source_not_allowed): plan_id=%s "
	    "source=%s allowlist=%s", pid, src, list);
	result_base(w, &r, id, p);
	snprintf(r.error, sizeof(r.error), "source_not_allowed:%s", src);
	r.guard = "lane";
	result_count(&r, "blocked_source");
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
	id8(pid, plan_id);
	if (on) {
		lane_log_manual_state(w, 1, ttl, 0);
		log_info("🔓 [lane=manual] Consuming manual plan: %s", pid);
		count(w, "manual_consumed");
		return 1;
	}
	log_info("🚫 [lane=manual] Skip plan (manual_lane_disabled): plan_id=%s "
	    "ttl=%lld", pid, ttl);
	result_base(w, &r, id, p);
	snprintf(r.error, sizeof(r.error), "manual_lane_disabled");
	r.guard = "lane";
	result_count(&r, "manual_blocked_disabled");
	commit(w, &r);
	lane_log_manual_state(w, 0, 0, 0);
	return 0;
}

static void reject(struct worker *w, const char *id, const struct plan *p,
    enum plan_verdict v, const char *err, int consumed)
{
	char pid[9], plan_id[PLAN_ID_MAX + 4];
	struct result r;

	plan_field(plan_id, sizeof(plan_id), p->plan_id);
	id8(pid, plan_id);
	log_info("🚫 [lane=%s] Skip plan (%s): plan_id=%s", lane_name(w->lane),
	    err, pid);
	result_base(w, &r, id, p);
	snprintf(r.error, sizeof(r.error), "%s", err);
	r.guard = v == PLAN_DECISION ? "decision" :
	    strncmp(err, "plan_", 5) == 0 || strncmp(err, "trading_", 8) == 0 ?
	    "safety" : "checks";
	result_count(&r, "processed");
	result_count(&r, "executed_false");
	if (v == PLAN_DECISION)
		result_count(&r, "p35_guard_blocked");
	if (consumed)
		result_count(&r, "manual_processed");
	commit(w, &r);
}

/*
 * The claim: one stream entry owns a plan_id, atomically, before anything
 * about it is decided.  The claim is a hash, quantum:intent_executor:
 * claim:<plan_id>, with owner (<stream>|<entry id>), lane and state:
 * claimed, then sent (the request left for the executor), then settled
 * (its result is written).  Returns "done" (the plan has its result),
 * "new" (claimed now), "claimed" or "sent" (this entry owned it already:
 * read again after a crash), or "other" (another entry, on this lane or
 * the other, or on another host, owns it).
 */
static const char claim_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end "
    "local cur = redis.call('HGET', KEYS[2], 'owner') "
    "if not cur then "
    "redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'lane', ARGV[2], "
    "'state', 'claimed') "
    "redis.call('EXPIRE', KEYS[2], 86400) return 'new' end "
    "if cur == ARGV[1] then return redis.call('HGET', KEYS[2], 'state') end "
    "return 'other'";

/* The trading state in a GET reply; an error reply or odd type: HALTED. */
static enum trading_state state_of_reply(const redisReply *r)
{
	if (r->type == REDIS_REPLY_NIL)
		return TS_ACTIVE;
	if (r->type == REDIS_REPLY_STRING)
		return trading_state_of(r->str, r->len, 1);
	return TS_HALTED;
}

/*
 * 1 (skipped: acknowledged, or left pending when Redis failed) or 0.
 * With st, the trading state is read too, in the claim's round trip (a
 * GET pipelined after the EVAL, so it sees the state after the claim).
 */
static int is_duplicate(struct worker *w, const char *id, struct plan_ok *ok,
    enum trading_state *st)
{
	const char *plan_id = ok->plan_id;
	char pid[9];
	const char *where = NULL;

	if (jobs_by_plan_id(&w->jobs, plan_id)) {
		where = "already in progress";
	} else {
		redisReply *r = NULL, *g = NULL;
		if (!w->rc)
			return 1;
		redisAppendCommand(w->rc, "EVAL %s 2 " KEY_DONE "%s "
		    KEY_CLAIM "%s %s|%s %s", claim_script, plan_id,
		    plan_id, w->stream, id, lane_name(w->lane));
		if (st)
			redisAppendCommand(w->rc, "GET " KEY_TRADING_STATE);
		if (redisGetReply(w->rc, (void **)&r) != REDIS_OK ||
		    (st && redisGetReply(w->rc, (void **)&g) != REDIS_OK)) {
			if (r)
				freeReplyObject(r);
			wr_lost(w, w->rc->errstr[0] ? w->rc->errstr : "no reply");
			return 1;       /* Redis lost: entry stays pending */
		}
		if (st) {
			*st = state_of_reply(g);
			freeReplyObject(g);
		}
		if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
			log_error("claim of %s failed: %s", plan_id,
			    r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
			freeReplyObject(r);
			return 1;       /* left pending, tried again later */
		}
		if (strcmp(r->str, "done") == 0)
			where = "already done";
		else if (strcmp(r->str, "other") == 0)
			where = "claimed by another entry";
		else
			ok->recovery = strcmp(r->str, "sent") == 0;
		freeReplyObject(r);
	}
	if (!where)
		return 0;
	id8(pid, plan_id);
	log_info("🔁 [lane=%s] Skip duplicate plan (%s): plan_id=%s",
	    lane_name(w->lane), where, pid);
	ack(w, id);
	count(w, "duplicate_skipped");
	return 1;
}

static int symbol_index(const struct settings *s, const char *sym)
{
	for (int i = 0; i < s->symbols.n; i++)
		if (strcmp(s->symbols.item[i], sym) == 0)
			return i;
	return 0;
}

static void start_wait(struct worker *w, struct job *j)
{
	char pid[9];
	(void)w;
	id8(pid, j->ok.plan_id);
	log_info("⏳ Waiting for P3.3 permit: %s", pid);
	j->state = JOB_WAITING;
	j->wait_start = j->next_poll = mono_ms();
	j->polls = 0;
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
	count(w, "processed");
	id8(pid, ok->plan_id);
	dec_format_fixed(q4, sizeof(q4), ok->qty, 4);
	log_info("▶️  Processing plan: %s | %s %s qty=%s", pid, ok->symbol,
	    side_name(ok->side), q4);
	if (jobs_enqueue(&w->jobs, j))
		start_wait(w, j);
}

/* What the gate looks at of a plan. */
struct job_view {
	int64_t plan_ms;
	int reduce_only;
};

/*
 * The gate a plan passes at read time and again just before it leaves:
 * its age and the trading state.  0 to go on, else 1 with err set.
 */
static int gate(struct worker *w, const struct job_view *v,
    enum trading_state st, char *err, size_t errlen)
{
	if (plan_age_check(v->plan_ms, wall_ms(), w->s.max_plan_age_sec, err,
		errlen) < 0)
		return 1;
	if (st == TS_HALTED) {
		snprintf(err, errlen, "trading_halted");
		return 1;
	}
	if (st == TS_REDUCING && !v->reduce_only) {
		snprintf(err, errlen, "trading_reducing:only reduce-only orders run");
		return 1;
	}
	return 0;
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
	struct job_view v = { plan_time_ms(p->timestamp, id, &why),
		ok->reduce_only };
	enum trading_state now_st;

	if (v.plan_ms < 0) {
		snprintf(err, errlen, "plan_invalid_timestamp:%s", why);
		return 1;
	}
	ok->plan_ms = v.plan_ms;
	if (st) {
		now_st = *st;
	} else {
		redisReply *r = wr_cmd(w, "GET " KEY_TRADING_STATE);
		if (!r)
			return -1;
		now_st = state_of_reply(r);
		freeReplyObject(r);
	}
	return gate(w, &v, now_st, err, errlen);
}

void lane_entry(struct worker *w, const char *id, const redisReply *fields)
{
	struct plan p;
	struct plan_ok ok;
	char err[ERROR_MAX];
	/* cppcheck-suppress unreadVariable ; read on the main lane, where the
	 * conditional below does not assign it */
	int consumed = 0, g;

	if (jobs_by_stream_id(&w->jobs, id))
		return;
	if (!fields || fields->type != REDIS_REPLY_ARRAY) {
		ack(w, id);     /* deleted from the stream while pending */
		return;
	}
	struct bytes *f = calloc(fields->elements + 1, sizeof(*f));
	if (!f)
		fatalx("out of memory");
	for (size_t i = 0; i < fields->elements; i++)
		if (fields->element[i]->type == REDIS_REPLY_STRING)
			f[i] = (struct bytes){ fields->element[i]->str,
				fields->element[i]->len };
	plan_from_fields(&p, f, fields->elements);
	if (!p.plan_id.p && p.payload.p) {
		log_info("[lane=%s] Skip entry %s: obsolete nested payload format",
		    lane_name(w->lane), id);
		ack(w, id);
		count(w, "skipped_obsolete");
	} else if (w->lane == LANE_MAIN ? main_guard(w, id, &p) == 0 :
		   (consumed = manual_guard(w, id, &p)) == 1) {
		enum plan_verdict v = plan_check(&w->s, &p, &ok, err, sizeof(err));
		/* for a plan that may be queued, the claim's round trip reads
		 * the trading state too (st; else read_gate reads it) */
		enum trading_state st = TS_HALTED;
		enum trading_state *stp = v == PLAN_OK && ok.plan_id[0] ? &st : NULL;
		/* a copy of a plan in progress or done is skipped, whatever it
		 * holds: its plan_id already has (or will have) its one result */
		if (ok.plan_id[0] && is_duplicate(w, id, &ok, stp))
			;
		else if (v != PLAN_OK)
			reject(w, id, &p, v, err, consumed);
		else if ((g = read_gate(w, id, &p, &ok, stp, err, sizeof(err))) > 0)
			reject(w, id, &p, PLAN_REJECT, err, consumed);
		else if (g == 0)
			queue(w, id, &p, &ok, consumed);
	}
	free(f);
}

/*
 * An order the backend tried to place (its status is not the executor's
 * own NOT_SENT) that failed, or whose outcome stayed unknown: one more in
 * the run.  At INTENT_EXECUTOR_BREAKER_FAILURES in a
 * row (over both lanes and every host) trading is HALTED until an operator
 * resumes it, and the audit stream says why.
 */
static void breaker_count(struct worker *w, const struct job *j)
{
	redisReply *r = wr_cmd(w, "INCR " KEY_BREAKER);
	if (!r)
		return;
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	if (n < w->s.breaker_failures)
		return;
	char why[ERROR_MAX + PLAN_ID_MAX + 96], ts[24];
	snprintf(why, sizeof(why), "%lld consecutive orders failed or ended "
	    "unknown; last: plan %s: %s", n, j->ok.plan_id, j->error);
	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	redisAppendCommand(w->rc, "SET " KEY_TRADING_STATE " HALTED");
	redisAppendCommand(w->rc, "XADD " KEY_AUDIT_STREAM " * action halt "
	    "state HALTED operator intent_executor reason %s lane %s "
	    "plan_id %s timestamp %s", why, lane_name(w->lane), j->ok.plan_id, ts);
	if (wr_drain(w, 2) < 0)
		return;
	log_error("⛔ [lane=%s] CIRCUIT BREAKER: %s: trading HALTED until an "
	    "operator runs qiectl resume", lane_name(w->lane), why);
}

/* Which step decided a plan that reached the permit wait. */
static const char *guard_of(const struct job *j)
{
	if (j->executed)
		return "exchange";
	if (strncmp(j->error, "p33_", 4) == 0)
		return "permit";
	if (strncmp(j->error, "plan_", 5) == 0 ||
	    strncmp(j->error, "trading_", 8) == 0)
		return "safety";
	if (j->res.seq == j->seq && j->seq &&
	    strcmp(j->res.status, "NOT_SENT") != 0)
		return "exchange";
	return "executor";
}

/* Decides a head job: result written, next plan of its symbol started. */
static void finish(struct worker *w, struct job *j)
{
	char pid[9], q[40];
	struct result r;

	j->state = JOB_UNWRITTEN;
	memset(&r, 0, sizeof(r));
	r.lane = w->lane;
	r.stream_id = j->stream_id;
	snprintf(r.plan_id, sizeof(r.plan_id), "%s", j->ok.plan_id);
	snprintf(r.symbol, sizeof(r.symbol), "%s", j->ok.symbol);
	snprintf(r.side, sizeof(r.side), "%s", side_name(j->ok.side));
	dec_format(r.qty, sizeof(r.qty), j->ok.qty);
	snprintf(r.source, sizeof(r.source), "%s", j->source);
	snprintf(r.decision, sizeof(r.decision), "%s", j->decision);
	r.executed = j->executed;
	snprintf(r.error, sizeof(r.error), "%s", j->error);
	r.guard = guard_of(j);
	r.res = j->res.seq == j->seq && j->seq ? &j->res : NULL;
	r.permit = j->permit_read ? &j->permit : NULL;
	result_count(&r, j->executed ? "executed_true" : "executed_false");
	if (r.res && j->executed)
		r.reset_key = KEY_BREAKER;      /* a success ends a run of failures */
	r.claimed = 1;
	if (j->consumed_manual)
		result_count(&r, "manual_processed");
	if (commit(w, &r) < 0)
		return;         /* retried after reconnecting */
	id8(pid, j->ok.plan_id);
	if (j->executed) {
		dec_format(q, sizeof(q), j->res.filled_qty);
		log_info("✅ [lane=%s] Executed plan: %s | %s %s filled=%s order_id=%s",
		    lane_name(w->lane), pid, j->ok.symbol, side_name(j->ok.side), q,
		    j->res.order_id);
	} else {
		log_info("❌ [lane=%s] Plan not executed: %s | error=%s",
		    lane_name(w->lane), pid, j->error);
	}
	if (r.res && !j->executed && strcmp(j->res.status, "NOT_SENT") != 0)
		breaker_count(w, j);
	struct job *next = jobs_pop(&w->jobs, j);
	if (next && !w->stopping)
		start_wait(w, next);
}

void lane_retry_unwritten(struct worker *w)
{
	for (int i = 0; i < JOBS_MAX && w->rc; i++) {
		struct job *j = &w->jobs.pool[i];
		if (j->state != JOB_UNWRITTEN)
			continue;
		redisReply *r = wr_cmd(w, "EXISTS " KEY_DONE "%s",
		    j->ok.plan_id);
		if (!r)
			return;
		int written = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
		if (!written) {
			finish(w, j);
		} else {
			struct job *next = jobs_pop(&w->jobs, j);
			if (next && !w->stopping)
				start_wait(w, next);
		}
	}
}

/* Decides j as not executed with the error "word" or "word:detail". */
static void fail(struct worker *w, struct job *j, const char *word,
    const char *detail)
{
	j->executed = 0;
	snprintf(j->error, sizeof(j->error), "%s%s%s", word,
	    detail ? ":" : "", detail ? detail : "");
	finish(w, j);
}

static void send_request(struct worker *w, struct job *j)
{
	struct exec_req q = { 0 };
	struct mbuf m;

	/* the claim says "sent" before the request can reach the executor,
	 * and only while this consumer owns the entry (owner.c) */
	int own = owner_mark_sent(w, j);
	if (own <= 0) {
		struct job *next = own == 0 ? jobs_pop(&w->jobs, j) : NULL;
		if (next && !w->stopping)
			start_wait(w, next);
		return;         /* another consumer has it, or Redis was lost */
	}
	j->seq = ++w->next_seq ? w->next_seq : ++w->next_seq;
	q.seq = j->seq;
	snprintf(q.plan_id, sizeof(q.plan_id), "%s", j->ok.plan_id);
	snprintf(q.symbol, sizeof(q.symbol), "%s", j->ok.symbol);
	q.side = j->ok.side;
	q.reduce_only = (uint8_t)j->ok.reduce_only;
	q.qty = j->ok.qty;
	q.safe_qty = j->permit.safe_qty;
	if (msg_encode_req(&m, &q) < 0 || frame_out_push(&w->out, &m) < 0) {
		fail(w, j, "executor_unavailable", "request queue full");
		return;
	}
	j->state = JOB_SENT;
	frame_out_flush(LINK_FD, &w->out);
}

/* Acts on one EVAL reply for job j. */
static void on_permit(struct worker *w, struct job *j, const redisReply *r,
    int64_t now, enum trading_state st)
{
	char err[ERROR_MAX];
	const char *why = "permit key has an unexpected type";
	int rc = -1;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    (r->element[0]->type != REDIS_REPLY_STATUS &&
		r->element[0]->type != REDIS_REPLY_STRING)) {
		why = r->type == REDIS_REPLY_ERROR ? "permit read failed" : why;
	} else if (strcmp(r->element[0]->str, "none") == 0) {
		if (now - j->wait_start >= w->s.permit_timeout_ms) {
			fail(w, j, "p33_permit_missing_or_denied", NULL);
			return;
		}
		int step = 1 << (j->polls < 5 ? j->polls : 5);
		int cap = now - j->wait_start < POLL_FAST_FOR_MS ? POLL_FAST_MS :
		    POLL_MAX_MS;
		if (step > cap)
			step = cap;
		j->next_poll = (now / step + 1) * step;
		j->polls++;
		return;
	} else if (strcmp(r->element[0]->str, "string") == 0 && r->elements == 2) {
		rc = permit_from_json(r->element[1]->str, r->element[1]->len,
		    &j->permit, &why);
	} else if (strcmp(r->element[0]->str, "hash") == 0 && r->elements == 2) {
		const redisReply *h = r->element[1];
		struct bytes *b = calloc(h->elements + 1, sizeof(*b));
		if (!b)
			fatalx("out of memory");
		for (size_t i = 0; i < h->elements; i++)
			b[i] = (struct bytes){ h->element[i]->str, h->element[i]->len };
		rc = permit_from_hash(b, h->elements, &j->permit, &why);
		free(b);
	}
	if (rc < 0) {
		fail(w, j, "p33_permit_invalid", why);
		return;
	}
	j->permit_read = 1;
	if (!j->permit.allow) {
		fail(w, j, "p33_permit_denied",
		    j->permit.reason[0] ? j->permit.reason : "no reason given");
		return;
	}
	struct job_view v = { j->ok.plan_ms, j->ok.reduce_only };
	if (permit_binding_check(&j->permit, j->ok.symbol, wall_ms(),
		w->s.max_plan_age_sec, err, sizeof(err)) < 0 ||
	    gate(w, &v, st, err, sizeof(err))) {
		fail(w, j, err, NULL);
		return;
	}
	send_request(w, j);
}

void lane_poll_permits(struct worker *w)
{
	static char keys[JOBS_MAX][PERMIT_KEY_MAX];
	const char *argv[JOBS_MAX + 3];
	struct job *due[JOBS_MAX];
	redisReply *rep[2] = { NULL, NULL };
	char nkeys[16];
	int n = 0, got = 0;
	int64_t now = mono_ms();

	if (!w->rc)
		return;
	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &w->jobs.pool[i];
		if (j->state != JOB_WAITING || j->next_poll > now)
			continue;
		snprintf(keys[n], sizeof(keys[n]), KEY_PERMIT "%s",
		    j->ok.plan_id);
		argv[3 + n] = keys[n];
		due[n++] = j;
	}
	if (n == 0)
		return;
	snprintf(nkeys, sizeof(nkeys), "%d", n);
	argv[0] = "EVAL";
	argv[1] = permit_script;
	argv[2] = nkeys;
	redisAppendCommandArgv(w->rc, n + 3, argv, NULL);
	/* the trading state, read in the same round trip, for every plan */
	redisAppendCommand(w->rc, "GET " KEY_TRADING_STATE);
	/* both replies first: deciding a job sends commands of its own */
	for (; got < 2; got++)
		if (redisGetReply(w->rc, (void **)&rep[got]) != REDIS_OK)
			break;
	if (got < 2)
		wr_lost(w, w->rc->errstr);
	enum trading_state st = got == 2 ? state_of_reply(rep[1]) : TS_HALTED;
	/* one {type[, value]} per key; an error reply stands for each */
	const redisReply *all = rep[0];
	int each = all && all->type == REDIS_REPLY_ARRAY &&
	    all->elements == (size_t)n;
	for (int i = 0; got == 2 && i < n; i++)
		if (w->rc && due[i]->state == JOB_WAITING)
			on_permit(w, due[i], each ? all->element[i] : all, now, st);
	for (int i = 0; i < got; i++)
		freeReplyObject(rep[i]);
}

int64_t lane_next_poll(struct worker *w)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < JOBS_MAX; i++)
		if (w->jobs.pool[i].state == JOB_WAITING &&
		    w->jobs.pool[i].next_poll < next)
			next = w->jobs.pool[i].next_poll;
	return next;
}

void lane_on_result(struct worker *w, const struct exec_res *res)
{
	struct job *j = jobs_by_seq(&w->jobs, res->seq);
	if (!j) {
		log_error("executor answered request %u, which is not outstanding",
		    res->seq);
		return;
	}
	j->res = *res;
	j->executed = res->executed;
	snprintf(j->error, sizeof(j->error), "%s", res->error);
	finish(w, j);
}
