/*
 * claim.c - the claim of a plan_id (one stream entry owns it, atomically,
 * before anything about the plan is decided), and the reads of the
 * trading state and the lane's breaker that go with it.  A batch's claims
 * go out in one round trip (claim_batch_*: one script call claims every
 * plan of the batch, then the state is read once, pipelined), and a claim
 * taken now counts the plan as processed in the same script, so a plan
 * read again (a restart, a refused step) is counted once.
 *
 * May: talk to Redis on the command connection (conn.c): the claim
 * script (script.c: EVALSHA), GETs of the trading state and the lane's
 * breaker.  May not: decide a plan, write a result, log a plan's outcome
 * (intake.c does).
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
 * One script claims the plans of a whole batch (a read's entries: one
 * call, not one per plan).  KEYS[1] the metrics hash, then for each plan
 * its done key and its claim; ARGV[1] the lane, ARGV[2] "run" (the plans
 * passed their checks: take their plan_ids) or "look" (refused: take
 * nothing, only see whether it is a copy), ARGV[3] the number of
 * counters, then the counters to count once for each plan_id taken now
 * (processed, and manual_consumed on the manual lane: one HINCRBY each by
 * the number taken), then each plan's owner (<stream>|<entry id>).
 * Returns one reply per plan: "done" (this lane decided it; or there is
 * no claim at all and the done key exists: decided by a daemon that did
 * not record lanes), "new" (claimed now, or nothing in the way of a
 * refused plan), "claimed", "sent" or "conflict" (this entry owned it
 * already: read again after a crash, counted then), "other" (another
 * entry of this lane owns it), or, when an entry of the other lane owns
 * it to execute, "conflict_both" (that entry had not been sent: it is
 * refused too, its claim says conflict) or "conflict_one" (it was sent or
 * decided: only this entry is refused); or an error (its claim key
 * unreadable; or, for the plans taken now, the counters').  An owner of
 * the other lane in state refused never waited for a permit: the plan_id
 * is taken over.
 */
static const char claim_script[] =
    "local lane, run, nc = ARGV[1], ARGV[2] == 'run', tonumber(ARGV[3]) "
    "local function one(done, claim, owner) "
    "local c = redis.pcall('HMGET', claim, 'owner', 'lane', 'state', "
    "'decided_' .. lane) "
    "if c.err then return c end "
    "if c[4] then return 'done' end "
    "if not c[1] then "
    "if redis.call('EXISTS', claim) == 0 and "
    "redis.call('EXISTS', done) == 1 then return 'done' end "
    "elseif c[1] == owner then return c[3] or 'claimed' "
    "elseif c[2] == lane then return 'other' "
    "elseif not run then return 'new' "
    "elseif c[3] == 'claimed' then "
    "redis.call('HSET', claim, 'state', 'conflict') return 'conflict_both' "
    "elseif c[3] ~= 'refused' then return 'conflict_one' end "
    "if not run then return 'new' end "
    "redis.call('HSET', claim, 'owner', owner, 'lane', lane, "
    "'state', 'claimed') "
    "redis.call('EXPIRE', claim, 86400) "
    "return true end "
    "local out, taken = {}, {} "
    "for i = 1, (#KEYS - 1) / 2 do "
    "local r = one(KEYS[2 * i], KEYS[2 * i + 1], ARGV[3 + nc + i]) "
    "if r == true then taken[#taken + 1] = i r = 'new' end "
    "out[i] = r end "
    "if #taken > 0 then for k = 4, 3 + nc do "
    "local e = redis.pcall('HINCRBY', KEYS[1], ARGV[k], #taken) "
    "if type(e) == 'table' and e.err then "
    "for _, i in ipairs(taken) do out[i] = e end break end end end "
    "return out";

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

/* Key and owner strings of a batch's plans, for one command. */
static char done_key[JOBS_MAX][sizeof(KEY_DONE) + PLAN_ID_MAX];
static char claim_key[JOBS_MAX][sizeof(KEY_CLAIM) + PLAN_ID_MAX];
static char owner_of[JOBS_MAX][320];

/* The claims of the n plans (entries id[], plan_ids pid[]): one call. */
static void append_claims(struct worker *w, int n, const char *const *id,
    const char *const *pid, int run, int consumed)
{
	const char *argv[3 * JOBS_MAX + 8];
	size_t len[3 * JOBS_MAX + 8];
	char nkeys[16];
	int k = 2;

	snprintf(nkeys, sizeof(nkeys), "%d", 1 + 2 * n);
	script_head(&claim, w->rc, 0, argv, len);
	argv[k++] = nkeys;
	argv[k++] = KEY_METRICS;
	for (int i = 0; i < n; i++) {
		snprintf(done_key[i], sizeof(done_key[i]), KEY_DONE "%s", pid[i]);
		snprintf(claim_key[i], sizeof(claim_key[i]), KEY_CLAIM "%s", pid[i]);
		snprintf(owner_of[i], sizeof(owner_of[i]), "%s|%s", w->stream, id[i]);
		argv[k++] = done_key[i];
		argv[k++] = claim_key[i];
	}
	argv[k++] = lane_name(w->lane);
	argv[k++] = run ? "run" : "look";
	argv[k++] = !run ? "0" : consumed ? "2" : "1";
	if (run)
		argv[k++] = counter_name(C_PROCESSED);
	if (run && consumed)
		argv[k++] = counter_name(C_MANUAL_CONSUMED);
	for (int i = 0; i < n; i++)
		argv[k++] = owner_of[i];
	for (int i = 2; i < k; i++)
		len[i] = strlen(argv[i]);
	conn_append_argv(w->rc, k, argv, len);
}

void claim_append(struct worker *w, const char *id, const char *plan_id,
    int run, int consumed)
{
	append_claims(w, 1, &id, &plan_id, run, consumed);
}

int claim_reading(const redisReply *r, const char *plan_id,
    struct claim_out *o)
{
	memset(o, 0, sizeof(*o));
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
		r = r->element[0];      /* claim_append()'s: one plan's */
	if (!r || conn_transient(r) || conn_noscript(r))
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
	(void)consumed;         /* the batch is the main lane's: 0 */
	if (p->n >= JOBS_MAX)
		return;
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
	const char *pid[JOBS_MAX];
	redisReply *rep[1 + LANE_STATE_REPLIES];

	if (p->n == 0)
		return;
	int n = p->n;
	for (int i = 0; i < n; i++)
		pid[i] = p->plan_id[i];
	append_claims(w, n, p->id, pid, 1, 0);
	lane_append_state(w);
	p->n = 0;       /* lost or unreadable: each entry is tried again,
			   claimed in a round trip of its own */
	if (conn_replies(w->rc, rep, 1 + LANE_STATE_REPLIES) < 0)
		return;
	/* the state is read once for the batch, after every claim; a state
	 * Redis cannot give now, or a claim script that did not run (OOM,
	 * NOSCRIPT ...), leaves each entry to its own round trip */
	int ok = rep[0]->type == REDIS_REPLY_ARRAY &&
	    rep[0]->elements == (size_t)n;
	for (int i = 0; i < LANE_STATE_REPLIES; i++)
		if (conn_transient(rep[1 + i]))
			ok = 0;
	if (ok) {
		p->st = lane_trading_state(rep + 1);
		for (int i = 0; i < n; i++) {   /* each owned on its own now */
			p->r[i] = rep[0]->element[i];
			rep[0]->element[i] = NULL;
		}
		p->n = n;
	}
	conn_free_replies(rep, 1 + LANE_STATE_REPLIES);
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
