/*
 * claim.c - the claim of a plan_id (one stream entry owns it, atomically,
 * before anything about the plan is decided), and the reads of the
 * trading state and the lane's breaker that go with it.  A batch's claims
 * go out in one round trip (claim_batch_*: every claim of the batch, then
 * the state once, pipelined), and a claim taken now counts the plan as
 * processed in the same script, so a plan read again (a restart, a
 * refused step) is counted once.
 *
 * May: talk to Redis on the command connection (conn.c): the claim
 * script (script.c: EVALSHA), GETs of the trading state and the lane's breaker.  May not: decide a
 * plan, write a result, log a plan's outcome (intake.c does).
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "script.h"
#include "worker.h"

/*
 * The claim is a hash, KEY_CLAIM<plan_id>: owner (<stream>|<entry id>),
 * lane and state of the entry that may execute the plan (claimed, then
 * sent: the request left for the executor, then settled; or refused,
 * conflict, dead_lettered), and decided_<lane> (the entry of that lane
 * whose result is written: later copies on the lane are skipped).
 *
 * KEYS[1] the done key, KEYS[2] the claim, KEYS[3] the metrics hash;
 * ARGV[1] owner, ARGV[2] lane, ARGV[3] "run" (the plan passed its checks:
 * take the plan_id) or "look" (it is refused: take nothing, only see
 * whether it is a copy), ARGV[4..] the counters to count once when the
 * plan_id is taken now (processed, and manual_consumed on the manual
 * lane).  Returns "done" (this lane decided it; or there is no claim at
 * all and the done key exists: decided by a daemon that did not record
 * lanes), "new" (claimed now, or nothing in the way of a refused plan),
 * "claimed", "sent" or "conflict" (this entry owned it already: read
 * again after a crash, counted then), "other" (another entry of this lane
 * owns it), or, when an entry of the other lane owns it to execute,
 * "conflict_both" (that entry had not been sent: it is refused too, its
 * claim says conflict) or "conflict_one" (it was sent or decided: only
 * this entry is refused).  An owner of the other lane in state refused
 * never waited for a permit: the plan_id is taken over.
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
    "redis.call('EXPIRE', KEYS[2], 86400) "
    "for i = 4, #ARGV do redis.call('HINCRBY', KEYS[3], ARGV[i], 1) end "
    "return 'new'";

/* two GETs, not an MGET: a key of the wrong type must read as an error */
void lane_append_state(struct worker *w)
{
	conn_append(w->rc, "GET " KEY_TRADING_STATE);
	conn_append(w->rc, "GET " KEY_BREAKER_HALT "%s", lane_name(w->lane));
}

enum trading_state lane_trading_state(redisReply *const r[LANE_STATE_REPLIES])
{
	const redisReply *g = r[0], *lane = r[1];
	enum trading_state st = g->type == REDIS_REPLY_NIL ? TS_ACTIVE :
	    g->type == REDIS_REPLY_STRING ? trading_state_of(g->str, g->len, 1) :
	    TS_HALTED;
	if (st != TS_HALTED && lane->type != REDIS_REPLY_NIL)
		st = TS_LANE_HALTED;    /* the lane's breaker, or an odd key */
	return st;
}

const char *const lane_state_what[LANE_STATE_REPLIES] = {
	"GET " KEY_TRADING_STATE, "GET " KEY_BREAKER_HALT "<lane>",
};

static struct script claim = SCRIPT_INIT("the claim script", claim_script);

void claim_append(struct worker *w, const char *id, const char *plan_id,
    int run, int consumed)
{
	char done[sizeof(KEY_DONE) + PLAN_ID_MAX], key[sizeof(KEY_CLAIM) +
	    PLAN_ID_MAX], owner[320];
	const char *argv[12];
	size_t len[12];
	int n = 2;

	snprintf(done, sizeof(done), KEY_DONE "%s", plan_id);
	snprintf(key, sizeof(key), KEY_CLAIM "%s", plan_id);
	snprintf(owner, sizeof(owner), "%s|%s", w->stream, id);
	script_head(&claim, w->rc, 0, argv, len);
	argv[n++] = "3";
	argv[n++] = done;
	argv[n++] = key;
	argv[n++] = KEY_METRICS;
	argv[n++] = owner;
	argv[n++] = lane_name(w->lane);
	argv[n++] = run ? "run" : "look";
	if (run)
		argv[n++] = counter_name(C_PROCESSED);
	if (run && consumed)
		argv[n++] = counter_name(C_MANUAL_CONSUMED);
	for (int i = 2; i < n; i++)
		len[i] = strlen(argv[i]);
	conn_append_argv(w->rc, n, argv, len);
}

int claim_reading(const redisReply *r, const char *plan_id,
    struct claim_out *o)
{
	memset(o, 0, sizeof(*o));
	if (conn_transient(r) || conn_noscript(r))
		return -1;      /* tried again (after a NOSCRIPT, as EVAL) */
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		log_error("claim of %s failed: %s", plan_id,
		    r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		return 2;
	}
	if (strcmp(r->str, "done") == 0)
		o->where = "already done";
	else if (strcmp(r->str, "other") == 0)
		o->where = "claimed by another entry";
	else if (strcmp(r->str, "conflict") == 0)
		o->v = CL_CONFLICT_OWN;
	else if (strcmp(r->str, "conflict_both") == 0)
		o->v = CL_CONFLICT_BOTH;
	else if (strcmp(r->str, "conflict_one") == 0)
		o->v = CL_CONFLICT_ONE;
	else
		o->recovery = strcmp(r->str, "sent") == 0;
	return o->where ? 1 : 0;
}

void claim_batch_add(struct worker *w, const char *id, const char *plan_id,
    int consumed)
{
	struct preclaims *p = &w->pre;
	if (p->n >= JOBS_MAX)
		return;
	claim_append(w, id, plan_id, 1, consumed);
	p->id[p->n] = id;
	snprintf(p->plan_id[p->n], sizeof(p->plan_id[0]), "%s", plan_id);
	p->r[p->n++] = NULL;
}

int claim_batch_has(const struct worker *w, const char *plan_id)
{
	for (int i = 0; i < w->pre.n; i++)
		if (strcmp(w->pre.plan_id[i], plan_id) == 0)
			return 1;
	return 0;
}

void claim_batch_read(struct worker *w)
{
	struct preclaims *p = &w->pre;
	redisReply *rep[JOBS_MAX + LANE_STATE_REPLIES];

	if (p->n == 0)
		return;
	lane_append_state(w);
	int n = p->n;
	if (conn_replies(w->rc, rep, n + LANE_STATE_REPLIES) < 0) {
		p->n = 0;       /* lost: each entry is tried again, claimed */
		return;
	}
	/* the state is read once for the batch, after every claim; a state
	 * Redis cannot give now leaves each entry to its own round trip */
	for (int i = 0; i < LANE_STATE_REPLIES; i++)
		if (conn_transient(rep[n + i])) {
			conn_free_replies(rep, n + LANE_STATE_REPLIES);
			p->n = 0;
			return;
		}
	p->st = lane_trading_state(rep + n);
	for (int i = 0; i < n; i++)
		p->r[i] = rep[i];
	conn_free_replies(rep + n, LANE_STATE_REPLIES);
}

redisReply *claim_batch_take(struct worker *w, const char *id,
    enum trading_state *st)
{
	struct preclaims *p = &w->pre;
	for (int i = 0; i < p->n; i++) {
		if (p->id[i] != id || !p->r[i])
			continue;
		redisReply *r = p->r[i];
		p->r[i] = NULL;
		*st = p->st;
		return r;
	}
	return NULL;
}

void claim_batch_free(struct worker *w)
{
	struct preclaims *p = &w->pre;
	for (int i = 0; i < p->n; i++)
		if (p->r[i])
			freeReplyObject(p->r[i]);
	p->n = 0;
}
