/*
 * lifecycle.c - a queued plan's life, at the head of its symbol's queue:
 * the permit wait (polled for every waiting plan in one round trip; a lane
 * without permits, the harvest lane, polls only the claims and the state), the
 * gate again just before it leaves, the claim's step to "sent" (owner.c;
 * every plan whose permit passed in one round trip), the request to the
 * executor, the executor's answer, the one result (every answer read
 * together, in one round trip with what the plans that follow need: the
 * sent step of each whose permit was read ahead (poll.c) and allows it,
 * else its permit), the lane's circuit breaker (breaker.c), and the next
 * plan of the symbol.  A plan
 * whose claim says conflict (the other lane has an entry with its
 * plan_id) is refused before anything is sent.  What Redis refuses or
 * cannot answer now is retried with backoff, never written as a plan's
 * result (later(); a result itself is retried until written).
 *
 * May: talk to Redis on the command connection (conn.c): permits (through
 * poll.c), claim states, the trading state, the lane's breaker; write a result
 * (result.c); mark a claim sent
 * (owner.c); send requests on the executor link.  May not: read the
 * stream or take entries (intake.c does), handle a lost connection (its
 * functions return; main.c and redis.c handle the loss).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "log.h"
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
void lane_start_wait(struct worker *w, struct job *j)
{
	char pid[9];
	plan_id8(pid, j->ok.plan_id);
	if (lane_has(w->lane, LANE_F_PERMIT))
		log_info("⏳ Waiting for P3.3 permit: %s", pid);
	j->state = JOB_WAITING;
	j->wait_start = j->next_poll = mono_ms();
	j->polls = 0;
}

/* j leaves its queue; the next plan of its symbol starts waiting. */
static void next_of(struct worker *w, struct job *j)
{
	struct job *next = jobs_pop(&w->jobs, j);
	if (next && !w->stopping)
		lane_start_wait(w, next);
}

static void result_of(struct worker *w, const struct job *j, struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->lane = w->lane;
	r->stream_id = j->stream_id;
	snprintf(r->plan_id, sizeof(r->plan_id), "%s", j->ok.plan_id);
	snprintf(r->symbol, sizeof(r->symbol), "%s", j->ok.symbol);
	snprintf(r->side, sizeof(r->side), "%s", side_name(j->ok.side));
	if (j->ok.qty)          /* a harvest close asks for no quantity */
		dec_format(r->qty, sizeof(r->qty), j->ok.qty);
	snprintf(r->source, sizeof(r->source), "%s", j->source);
	snprintf(r->decision, sizeof(r->decision), "%s", j->decision);
	r->executed = j->executed;
	snprintf(r->error, sizeof(r->error), "%s", j->error);
	r->guard = j->guard;
	r->res = j->res.seq == j->seq && j->seq ? &j->res : NULL;
	r->plan = &j->ok;       /* a fill moves the position ledger */
	r->tags = &j->tags;
	r->permit = j->permit_read ? &j->permit : NULL;
	result_count(r, j->executed ? C_EXECUTED_TRUE : C_EXECUTED_FALSE);
	/* an order the backend tried to place: counted with its outcome */
	if (r->res && strcmp(j->res.status, "NOT_SENT") != 0) {
		result_count(r, C_ORDERS_ATTEMPTED);
		if (!j->executed)
			result_count(r, C_ORDERS_FAILED);
	}
	if (r->res && j->executed)
		r->reset_key = lane_breaker_key(w);  /* a success ends a run of failures */
	r->claimed = 1;
	if (j->conflict) {
		static char why[LANE_COUNT][96];
		snprintf(why[w->lane], sizeof(why[0]), "lane %s has an entry with "
		    "this plan_id: both entries refused (neither had been sent)",
		    lane_info(w->lane)->conflict_with);
		r->claim_state = "conflict";
		r->audit_reason = why[w->lane];
		result_count(r, C_PLAN_ID_CONFLICT);
	}
	if (j->consumed_manual)
		result_count(r, C_MANUAL_PROCESSED);
}

/* An order the backend tried that did not fill: the breaker counts it. */
static int counts_failure(const struct job *j)
{
	return j->res.seq == j->seq && j->seq && !j->executed &&
	    strcmp(j->res.status, "NOT_SENT") != 0;
}

/*
 * What a decided head job's result write did (rc, why: result_reply()):
 * on success the next plan of its symbol is started; when Redis refused
 * the result (or gave no reply) the job stays unwritten, retried with
 * backoff (lane_retry_unwritten()); it is never decided again.  0, or -1
 * when the connection was lost.
 */
static int finish_written(struct worker *w, struct job *j, int rc,
    const char *why)
{
	char pid[9], q[40], what[64];

	plan_id8(pid, j->ok.plan_id);
	if (rc == SETTLE_FAILED && !conn_up(w->rc)) {
		j->next_poll = 0;       /* retried once reconnected */
		return -1;
	}
	if (rc == SETTLE_FAILED) {
		snprintf(what, sizeof(what), "the result of plan %s", pid);
		j->next_poll = wr_refused(w, what, why);
		return 0;
	}
	wr_accepted(w);
	if (rc == SETTLE_DECIDED) {
		next_of(w, j);
		return 0;
	}
	if (j->executed) {
		char q4[40], f4[40];
		/* a close of the position's quantity: what was sent */
		dec_format_fixed(q4, sizeof(q4), j->ok.qty ? j->ok.qty :
		    j->res.qty, 4);
		dec_format_fixed(f4, sizeof(f4), j->res.filled_qty, 4);
		log_info("✅ ORDER FILLED: %s %s qty=%s order_id=%s status=%s "
		    "filled=%s", j->ok.symbol, side_name(j->ok.side), q4,
		    j->res.order_id, j->res.status, f4);
		dec_format(q, sizeof(q), j->res.filled_qty);
		log_info("✅ [lane=%s] Executed plan: %s | %s %s filled=%s order_id=%s",
		    lane_name(w->lane), pid, j->ok.symbol, side_name(j->ok.side), q,
		    j->res.order_id);
	} else {
		log_info("❌ [lane=%s] Plan not executed: %s | error=%s",
		    lane_name(w->lane), pid, j->error);
	}
	if (counts_failure(j) && lane_breaker_count(w, j->ok.plan_id, j->error) < 0) {
		jobs_pop(&w->jobs, j);  /* the plans after it stay pending */
		return -1;
	}
	next_of(w, j);
	return 0;
}

/* Decides a head job: its result written (one round trip), as above. */
static int finish(struct worker *w, struct job *j)
{
	char why[300];
	struct result r;

	j->state = JOB_UNWRITTEN;
	result_of(w, j, &r);
	int rc = result_commit(w->rc, &w->s, w->stream, w->group, &r, why,
	    sizeof(why));
	return finish_written(w, j, rc, why);
}

void lane_retry_unwritten(struct worker *w, int64_t now)
{
	for (int i = 0; i < JOBS_MAX && conn_up(w->rc); i++) {
		struct job *j = &w->jobs.pool[i];
		/* a claimed plan's script finds its decided_<lane> if the result was
		 * written before a lost reply: no second result */
		if (j->state == JOB_UNWRITTEN && j->next_poll <= now)
			finish(w, j);
	}
}

/*
 * Decides j as not executed with the error "word" or "word:detail", by
 * the step named guard (the result's "guard").
 */
static int fail(struct worker *w, struct job *j, const char *guard,
    const char *word, const char *detail)
{
	j->executed = 0;
	j->guard = guard;
	snprintf(j->error, sizeof(j->error), "%s%s%s", word,
	    detail ? ":" : "", detail ? detail : "");
	return finish(w, j);
}

/*
 * Redis refused a step of j's wait (or gave no reply): nothing is decided
 * on it.  j waits again, polled after the backoff, until its deadline
 * (the plan's time plus INTENT_EXECUTOR_MAX_PLAN_AGE_SEC): then it gets
 * its one result, plan_stale, written once Redis takes it.  0, or -1 when
 * the connection was lost.
 */
static int later(struct worker *w, struct job *j, const char *step,
    const char *why)
{
	char err[ERROR_MAX], what[96], pid[9];

	if (!conn_up(w->rc))
		return -1;
	if (plan_age_check(j->ok.plan_ms, wall_ms(), w->s.max_plan_age_sec, err,
		sizeof(err)) < 0)
		return fail(w, j, "safety", err, NULL);
	plan_id8(pid, j->ok.plan_id);
	snprintf(what, sizeof(what), "%s of plan %s", step, pid);
	j->state = JOB_WAITING;
	j->next_poll = wr_refused(w, what, why);
	return 0;
}

/*
 * The other lane has an entry with j's plan_id, and j was not sent: j is
 * refused, and its claim keeps saying conflict (docs/REDIS.md).
 */
static int conflict(struct worker *w, struct job *j)
{
	const char *other = lane_info(w->lane)->conflict_with;
	log_warn("⚠️  [lane=%s] Refused plan (plan_id_conflict): plan_id=%.8s "
	    "entry %s: lane %s has an entry with this plan_id: both entries "
	    "refused", lane_name(w->lane), j->ok.plan_id, j->stream_id, other);
	j->conflict = 1;
	return fail(w, j, "conflict", "plan_id_conflict", other);
}

/*
 * j's request to the executor, after the claim's sent step said own
 * (owner_sent_reading(), why): the claim says "sent" before the request
 * can reach the executor, and only while this consumer owns the entry.
 * 0, or -1 when Redis was lost.
 */
static int send_request(struct worker *w, struct job *j, int own,
    const char *why)
{
	struct exec_req q = { 0 };
	struct mbuf m;
	char q4[40];

	if (own == -1)
		return -1;      /* Redis was lost: the entry stays pending */
	if (own == -2)
		return later(w, j, "the claim's sent step", why);
	if (own == OWN_CONFLICT)
		return conflict(w, j);
	if (own == 0) {
		next_of(w, j);  /* another consumer has it */
		return 0;
	}
	if (own != 1)   /* OWN_AHEAD, never a send: nothing was recorded */
		return later(w, j, "the claim's sent step", "not recorded as sent");
	j->seq = ++w->next_seq ? w->next_seq : ++w->next_seq;
	q.seq = j->seq;
	snprintf(q.plan_id, sizeof(q.plan_id), "%s", j->ok.plan_id);
	snprintf(q.symbol, sizeof(q.symbol), "%s", j->ok.symbol);
	q.side = j->ok.side;
	q.reduce_only = (uint8_t)j->ok.reduce_only;
	q.qty = j->ok.qty;
	q.safe_qty = j->permit.safe_qty;
	/* the executor sends nothing after the plan's deadline */
	q.deadline_ms = j->ok.plan_ms + (int64_t)w->s.max_plan_age_sec * 1000;
	q.leverage = (uint8_t)j->ok.leverage;
	q.close_fraction = j->ok.close_fraction;
	if (msg_encode_req(&m, &q) < 0 || frame_out_push(&w->out, &m) < 0)
		return fail(w, j, "executor", "executor_unavailable",
		    "request queue full");
	j->state = JOB_SENT;
	if (w->lane == LANE_HARVEST) {  /* its quantity is the position's */
		dec_format(q4, sizeof(q4), j->ok.close_fraction * 100);
		log_info("🚀 HARVEST CLOSE: %s %s%% of the position reduceOnly=True "
		    "plan=%s", j->ok.symbol, q4, j->ok.plan_id);
		return 0;
	}
	dec_format_fixed(q4, sizeof(q4), j->ok.qty, 4);
	log_info("🚀 Executing Binance order: %s %s %s reduceOnly=%s leverage=%dx",
	    j->ok.symbol, side_name(j->ok.side), q4,
	    j->ok.reduce_only ? "True" : "False", j->ok.leverage);
	return 0;
}

/*
 * The n jobs whose permits passed: their claims' sent steps in one round
 * trip, with the permits of the plans queued behind them read ahead, then
 * their requests, flushed to the executor together.
 */
static void send_ready(struct worker *w, struct job **ready, int n)
{
	struct job *ahead[JOBS_MAX];
	redisReply *rep[1 + 1 + LANE_STATE_REPLIES];
	char why[240];

	if (n == 0)
		return;
	owner_append_sent(w, ready, NULL, n);
	int na = poll_ahead_of(w, ready, n, ahead);
	if (na)
		poll_append(w, ahead, na);
	int total = 1 + (na ? 1 + LANE_STATE_REPLIES : 0);
	if (conn_replies(w->rc, rep, total) < 0)
		return;         /* lost: the entries stay pending */
	for (int i = 0; i < n; i++) {
		why[0] = '\0';
		int own = owner_sent_reading(w, ready[i], rep[0], i, n, why,
		    sizeof(why));
		if (send_request(w, ready[i], own, why) < 0)
			break;  /* lost: the rest were not recorded as sent */
	}
	if (na && conn_up(w->rc))
		poll_ahead_store(ahead, na, rep + 1);
	conn_free_replies(rep, total);
	frame_out_flush(LINK_FD, &w->out);
}

/* No permit yet: the next poll on the grid, or the timeout. */
static int not_yet(struct worker *w, struct job *j, int64_t now)
{
	if (now - j->wait_start >= w->s.permit_timeout_ms) {
		log_info("❌ No P3.3 permit: %.8s", j->ok.plan_id);
		return fail(w, j, "permit", "p33_permit_missing_or_denied", NULL);
	}
	int step = 1 << (j->polls < 5 ? j->polls : 5);
	int cap = now - j->wait_start < POLL_FAST_FOR_MS ? POLL_FAST_MS :
	    POLL_MAX_MS;
	if (step > cap)
		step = cap;
	j->next_poll = (now / step + 1) * step;
	j->polls++;
	return 0;
}

/*
 * Acts on one EVAL reply for job j: 1 its permit passed (the caller sends
 * it), 0 decided or waiting on, -1 Redis was lost.
 */
static int on_permit(struct worker *w, struct job *j, const redisReply *r,
    int64_t now, enum trading_state st)
{
	char err[ERROR_MAX];
	const char *why = "permit key has an unexpected type";

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    (r->element[0]->type != REDIS_REPLY_STATUS &&
		r->element[0]->type != REDIS_REPLY_STRING)) {
		if (r->type == REDIS_REPLY_ERROR)
			why = "permit read failed";
		return fail(w, j, "permit", "p33_permit_invalid", why);
	}
	if (strcmp(r->element[0]->str, "conflict") == 0 && r->elements == 1)
		return conflict(w, j);
	/* a lane without permits: only the state decides, as for a permit */
	if (!lane_has(w->lane, LANE_F_PERMIT))
		return trading_gate(j->ok.plan_ms, j->ok.reduce_only, st, wall_ms(),
		    w->s.max_plan_age_sec, err, sizeof(err)) < 0 ?
		    fail(w, j, "safety", err, NULL) : 1;
	if (strcmp(r->element[0]->str, "none") == 0)
		return not_yet(w, j, now);
	if (poll_permit_of(&j->permit, r, &why) < 0)
		return fail(w, j, "permit", "p33_permit_invalid", why);
	j->permit_read = 1;
	if (!j->permit.allow) {
		const char *reason = j->permit.reason[0] ? j->permit.reason :
		    "no reason given";
		log_info("❌ P3.3 denied: %.8s reason=%s", j->ok.plan_id, reason);
		return fail(w, j, "permit", "p33_permit_denied", reason);
	}
	if (permit_binding_check(&j->permit, j->ok.symbol, j->ok.side, w->lane,
		wall_ms(), w->s.max_plan_age_sec, err, sizeof(err)) < 0)
		return fail(w, j, "permit", err, NULL);
	if (trading_gate(j->ok.plan_ms, j->ok.reduce_only, st, wall_ms(),
		w->s.max_plan_age_sec, err, sizeof(err)) < 0)
		return fail(w, j, "safety", err, NULL);
	return 1;
}

/*
 * Acts on the replies of poll_append() (rep[0] the permits, then the
 * state) for the jobs of due[] still waiting, then sends those whose
 * permits passed.
 */
static void poll_apply(struct worker *w, struct job *const *due, int n,
    redisReply *const *rep, int64_t now)
{
	static const char *const what[1 + LANE_STATE_REPLIES] = {
		"EVAL (the permits)", "GET " KEY_TRADING_STATE,
		"GET " KEY_BREAKER_HALT "<lane>",
	};
	struct job *ready[JOBS_MAX];
	int nready = 0;
	const redisReply *off = NULL;
	const char *off_what = NULL;

	/* Redis cannot answer now (or had lost the script: sent again as
	 * EVAL): nothing is decided on that */
	for (int i = 0; i < 1 + LANE_STATE_REPLIES && !off; i++)
		if (conn_transient(rep[i]) || conn_noscript(rep[i])) {
			off = rep[i];
			off_what = what[i];
		}
	if (off) {
		char why[240];
		snprintf(why, sizeof(why), "%s: %s", off_what, off->str);
		for (int i = 0; i < n; i++)
			if (due[i]->state == JOB_WAITING &&
			    later(w, due[i], "the permit read", why) < 0)
				break;
		return;
	}
	wr_accepted(w);
	enum trading_state st = lane_trading_state((redisReply **)rep + 1);
	/* one {type[, value]} per key; an error reply stands for each */
	for (int i = 0; i < n; i++) {
		if (due[i]->state != JOB_WAITING)
			continue;
		int k = on_permit(w, due[i], conn_part(rep[0], i, n), now, st);
		if (k < 0)
			return;         /* Redis lost */
		if (k == 1)
			ready[nready++] = due[i];
	}
	send_ready(w, ready, nready);
}

void lane_poll_permits(struct worker *w)
{
	struct job *due[JOBS_MAX];
	redisReply *rep[1 + LANE_STATE_REPLIES];
	int n = 0;
	int64_t now = mono_ms();

	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &w->jobs.pool[i];
		if (j->state == JOB_WAITING && j->next_poll <= now)
			due[n++] = j;
	}
	if (n == 0)
		return;
	poll_append(w, due, n);
	/* every reply first: deciding a job sends commands of its own */
	if (conn_replies(w->rc, rep, 1 + LANE_STATE_REPLIES) < 0)
		return;
	poll_apply(w, due, n, rep, now);
	conn_free_replies(rep, 1 + LANE_STATE_REPLIES);
}

int64_t lane_next_poll(struct worker *w)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < JOBS_MAX; i++) {
		const struct job *j = &w->jobs.pool[i];
		if ((j->state == JOB_WAITING || j->state == JOB_UNWRITTEN) &&
		    j->next_poll < next)
			next = j->next_poll;
	}
	return next;
}

void lane_on_result(struct worker *w, const struct exec_res *res)
{
	struct job *j = jobs_by_seq(&w->jobs, res->seq);
	if (!j || j->state != JOB_SENT || j->answered) {
		log_error("executor answered request %u, which is not outstanding",
		    res->seq);
		return;
	}
	j->res = *res;
	j->executed = res->executed;
	snprintf(j->error, sizeof(j->error), "%s", res->error);
	/* refused before any order left: the executor; else the exchange */
	j->guard = res->executed || strcmp(res->status, "NOT_SENT") != 0 ?
	    "exchange" : "executor";
	j->answered = 1;
}

/*
 * The sent steps that rode with their predecessors' results (their
 * readings in all): sent now, or, when the step found what it checks
 * changed (OWN_AHEAD: nothing written), left to the usual poll.
 */
static void ride_apply(struct worker *w, struct job *const *ride, int n,
    const redisReply *all)
{
	char why[240];

	for (int i = 0; i < n; i++) {
		struct job *j = ride[i];
		why[0] = '\0';
		int own = owner_sent_reading(w, j, all, i, n, why, sizeof(why));
		if (own == -1)
			return;         /* lost: the entries stay pending */
		if (own != OWN_AHEAD && j->state != JOB_WAITING)
			log_error("[lane=%s] plan %.8s: its sent step rode ahead of "
			    "its predecessor's result (%s): it waits for its turn",
			    lane_name(w->lane), j->ok.plan_id, why[0] ? why : "ok");
		if (own == OWN_AHEAD || j->state != JOB_WAITING) {
			j->permit_read = 0;     /* read again when polled */
			continue;
		}
		if (send_request(w, j, own, why) < 0)
			return;
	}
	frame_out_flush(LINK_FD, &w->out);
}

/*
 * Answered jobs' results, at most SETTLE_MAX in one settle script call,
 * and in the same round trip what the plans that follow them need: the
 * sent step of each whose permit was read ahead and allows it, when its
 * predecessor's order filled and none of the call's orders failed (the
 * step checks that the result was written, and the state and permit
 * unchanged: owner.c), with the permits of the plans behind those read
 * ahead; for the others, their permits.  The number settled.
 */
static int settle_some(struct worker *w)
{
	struct job *done[SETTLE_MAX], *next[SETTLE_MAX], *ride[SETTLE_MAX],
	    *pred[SETTLE_MAX], *ahead[SETTLE_MAX];
	static struct result r[SETTLE_MAX];    /* built once, read back */
	struct settle_item it[SETTLE_MAX];
	redisReply *rep[2 + 2 * (1 + LANE_STATE_REPLIES)];
	char why[300];
	int n = 0, nn = 0, nr = 0, failed = 0;
	int64_t now = mono_ms();

	for (int i = 0; i < JOBS_MAX && n < SETTLE_MAX; i++) {
		struct job *j = &w->jobs.pool[i];
		if (j->state != JOB_SENT || !j->answered)
			continue;
		j->answered = 0;
		j->state = JOB_UNWRITTEN;
		result_of(w, j, &r[n]);
		it[n] = (struct settle_item){ &r[n], r[n].stream_id, r[n].counts,
			NULL };
		failed |= counts_failure(j);
		done[n++] = j;
	}
	if (n == 0)
		return 0;
	for (int i = 0; i < n && !w->stopping; i++) {
		struct job *s = done[i]->next;
		if (s && !failed && done[i]->executed && poll_ahead_ready(w, s)) {
			ride[nr] = s;
			pred[nr++] = done[i];
		} else if (s) {
			s->ahead = 0;
			next[nn++] = s;
		}
	}
	int na = poll_ahead_of(w, ride, nr, ahead);
	settle_append(w->rc, &w->s, w->stream, w->group, it, n);
	if (nr)
		owner_append_sent(w, ride, pred, nr);
	/* the permits of the plans that follow, read in the same round trip
	 * (used once their turn has come: their predecessor's result is in) */
	if (nn)
		poll_append(w, next, nn);
	if (na)
		poll_append(w, ahead, na);
	int at_next = 1 + (nr > 0);
	int at_ahead = at_next + (nn ? 1 + LANE_STATE_REPLIES : 0);
	int total = at_ahead + (na ? 1 + LANE_STATE_REPLIES : 0);
	if (conn_replies(w->rc, rep, total) < 0) {
		for (int i = 0; i < n; i++)
			done[i]->next_poll = 0; /* written once reconnected */
		return n;
	}
	for (int i = 0; i < n; i++) {
		int rc = result_reply(w->rc, conn_part(rep[0], i, n), &r[i], why,
		    sizeof(why));
		if (finish_written(w, done[i], rc, why) < 0)
			break;
	}
	if (nr && conn_up(w->rc))
		ride_apply(w, ride, nr, rep[1]);
	if (na && conn_up(w->rc))
		poll_ahead_store(ahead, na, rep + at_ahead);
	if (nn && conn_up(w->rc))
		poll_apply(w, next, nn, rep + at_next, now);
	conn_free_replies(rep, total);
	return n;
}

void lane_settle_answered(struct worker *w)
{
	while (settle_some(w) == SETTLE_MAX && conn_up(w->rc))
		;
}
