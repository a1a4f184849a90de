/*
 * owner.c - which consumer owns a stream entry, and the claim's step from
 * "claimed" to "sent" (one more attempt under way).
 *
 * The group's pending entries list (PEL) is the lock: an entry belongs to
 * the consumer that last read or claimed it, and XAUTOCLAIM moves an entry
 * only after it has been idle INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS.  So a
 * live worker keeps the entries it holds in memory fresh (keepalive), and
 * a request leaves for the executor only while its entry is still this
 * consumer's, checked and recorded in one script: of two hosts that both
 * hold an entry (one of them slow), exactly one sends it.
 *
 * May: talk to Redis on the worker's command connection (conn.c).  May not: block for
 * longer than one round trip, write other keys than the plan's claim and
 * inflight keys (it reads the lane's stream, the trading state, the
 * lane's breaker and the permit), call the plan logic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "script.h"
#include "worker.h"

/*
 * KEYS[1] the stream; ARGV[1] group, ARGV[2] consumer, ARGV[3..] entry ids.
 * Resets the idle time of those entries still ours (never takes one back
 * from another consumer); JUSTID: the delivery count stays as it is.
 */
static const char keepalive_script[] =
    "local n = 0 "
    "for i = 3, #ARGV do "
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1) "
    "if #p == 1 and p[1][2] == ARGV[2] then "
    "redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID') "
    "n = n + 1 end end "
    "return n";

/*
 * The sent steps of n plans in one call.  KEYS[1] the stream, KEYS[2] the
 * trading state, KEYS[3] the lane's breaker, then for each plan its claim
 * hash, its symbol's inflight key and its permit key; ARGV[1] group,
 * ARGV[2] consumer, ARGV[3] the lane, then for each plan its entry id,
 * the claim's owner (<stream>|<entry id>), the plan_id, and for a step
 * that rides with its predecessor's result that predecessor's entry id
 * and the permit text read ahead (else two empty strings).  One reply
 * per plan: "ok": state is now sent, and the inflight key set ("again":
 * it was sent before, by a worker that died or lost the entry); "lost":
 * another consumer owns the entry now; "gone": the entry is no longer
 * pending (decided elsewhere); "other": another entry owns the plan;
 * "conflict": the other lane has an entry with this plan_id (intake.c's
 * claim); a riding step's "wait" (its predecessor's entry is still
 * pending: its result is not in) or "changed" (the trading state is not
 * ACTIVE, the lane's breaker tripped, or the permit key holds something
 * else now), checked first; or an error (nothing of that plan written).
 * Each send counts
 * one in the claim's "attempts": the risky step under way, until the
 * plan is settled; the dead-letter rule (deadletter.c) counts these, not
 * deliveries.  The HSET (state and attempts in one command) is a plan's
 * first write: when Redis refuses it (OOM) nothing of the plan is
 * written, and after it nothing can be refused.  A claim this entry owns
 * already lives a day from its claim (claim.c), which is not renewed
 * here (the result renews it); a claim that was missing gets its day
 * now.
 */
static const char sent_script[] =
    "local group, consumer, lane = ARGV[1], ARGV[2], ARGV[3] "
    "local function get(k) local v = redis.pcall('GET', k) "
    "if type(v) == 'table' then return 0 end return v end "
    "local active "      /* the state, read once for the call's rides */
    "local function ahead(pred, permit, want) "
    "if #redis.call('XPENDING', KEYS[1], group, pred, pred, 1) > 0 then "
    "return 'wait' end "
    "if active == nil then local t = get(KEYS[2]) "
    "active = (not t or t == 'ACTIVE') and not get(KEYS[3]) end "
    "if not active or get(permit) ~= want then return 'changed' end end "
    "local function one(claim, infl, permit, id, owner, pid, pred, want) "
    "if pred ~= '' then local r = ahead(pred, permit, want) "
    "if r then return r end end "
    "local p = redis.call('XPENDING', KEYS[1], group, id, id, 1) "
    "if #p == 0 then return 'gone' end "
    "if p[1][2] ~= consumer then return 'lost' end "
    "local c = redis.call('HMGET', claim, 'owner', 'state', 'attempts') "
    "if c[1] and c[1] ~= owner then return 'other' end "
    "if c[2] == 'conflict' then return 'conflict' end "
    "local n = math.floor(tonumber(c[3] or '0') or 0) + 1 "
    "local e = redis.pcall('HSET', claim, 'owner', owner, 'lane', lane, "
    "'state', 'sent', 'consumer', consumer, 'attempts', tostring(n)) "
    "if type(e) == 'table' and e.err then return e end "
    "if not c[1] then redis.call('EXPIRE', claim, 86400) end "
    "redis.call('SET', infl, pid, 'EX', 30) "
    "if c[2] == 'sent' then return 'again' end "
    "return 'ok' end "
    "local out = {} "
    "for i = 1, (#KEYS - 3) / 3 do local a = 5 * i - 1 "
    "out[i] = one(KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3], "
    "ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]) end "
    "return out";

static struct script keepalive = SCRIPT_INIT("the keepalive script",
    keepalive_script);
static struct script sent = SCRIPT_INIT("the sent script", sent_script);

void owner_keepalive(struct worker *w)
{
	const char *argv[JOBS_MAX + 6];
	size_t len[JOBS_MAX + 6];
	size_t n = 2;

	if (w->jobs.used == 0)
		return;
	script_head(&keepalive, w->rc, 0, argv, len);
	argv[n++] = "1";
	argv[n++] = w->stream;
	argv[n++] = w->group;
	argv[n++] = w->consumer;
	for (int i = 0; i < JOBS_MAX; i++)
		if (w->jobs.pool[i].state != JOB_FREE)
			argv[n++] = w->jobs.pool[i].stream_id;
	for (size_t i = 2; i < n; i++)
		len[i] = strlen(argv[i]);
	redisReply *r = conn_cmd_argv(w->rc, (int)n, argv, len);
	if (!r)
		return;         /* lost (or the master moved) */
	/* NOSCRIPT: the next keepalive goes as EVAL */
	if (r->type == REDIS_REPLY_ERROR && !conn_noscript(r)) {
		static int said;
		if (!said++)    /* once: other hosts may take slow plans over */
			log_error("keeping this worker's entries fresh failed: %s",
			    r->str);
	}
	freeReplyObject(r);
}

void owner_append_sent(struct worker *w, struct job *const *jobs,
    struct job *const *pred, int n)
{
	static char owner[JOBS_MAX][320], claim[JOBS_MAX][sizeof(KEY_CLAIM) +
	    PLAN_ID_MAX], infl[JOBS_MAX][sizeof(KEY_INFLIGHT) + SYMBOL_MAX + 8],
	    permit[JOBS_MAX][sizeof(KEY_PERMIT) + sizeof(KEY_CLAIM) + PLAN_ID_MAX];
	static char halt[sizeof(KEY_BREAKER_HALT) + 16];
	static const char *argv[8 * JOBS_MAX + 8];
	static size_t len[8 * JOBS_MAX + 8];
	char nkeys[16];
	int k = 2;

	script_head(&sent, w->rc, 0, argv, len);
	snprintf(nkeys, sizeof(nkeys), "%d", 3 + 3 * n);
	snprintf(halt, sizeof(halt), KEY_BREAKER_HALT "%s", lane_name(w->lane));
	argv[k++] = nkeys;
	argv[k++] = w->stream;
	argv[k++] = KEY_TRADING_STATE;
	argv[k++] = halt;
	for (int i = 0; i < n; i++) {
		const struct job *j = jobs[i];
		snprintf(claim[i], sizeof(claim[i]), KEY_CLAIM "%s", j->ok.plan_id);
		snprintf(infl[i], sizeof(infl[i]), KEY_INFLIGHT "%s", j->ok.symbol);
		/* a lane without permits: the claim in its place (never read) */
		snprintf(permit[i], sizeof(permit[i]), "%s%s",
		    lane_has(w->lane, LANE_F_PERMIT) ? KEY_PERMIT : KEY_CLAIM,
		    j->ok.plan_id);
		argv[k++] = claim[i];
		argv[k++] = infl[i];
		argv[k++] = permit[i];
	}
	argv[k++] = w->group;
	argv[k++] = w->consumer;
	argv[k++] = lane_name(w->lane);
	for (int i = 0; i < n; i++) {
		const struct job *j = jobs[i];
		int rides = pred && pred[i];
		snprintf(owner[i], sizeof(owner[i]), "%s|%s", w->stream,
		    j->stream_id);
		argv[k++] = j->stream_id;
		argv[k++] = owner[i];
		argv[k++] = j->ok.plan_id;
		argv[k++] = rides ? pred[i]->stream_id : "";
		argv[k++] = rides ? j->ahead_permit : "";
	}
	for (int i = 2; i < k; i++)
		len[i] = strlen(argv[i]);
	conn_append_argv(w->rc, k, argv, len);
}

int owner_sent_reading(struct worker *w, const struct job *j,
    const redisReply *all, int i, int n, char *why, size_t whylen)
{
	const redisReply *r = conn_part(all, i, n);
	if (!r || !conn_up(w->rc))
		return -1;      /* lost */
	if (conn_failover_error(r)) {
		conn_set_lost(w->rc, r->str);   /* the master moved */
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		/* never send unrecorded: nothing was written, try again */
		snprintf(why, whylen, "EVAL (claim %s sent): %s", j->ok.plan_id,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		return -2;
	}
	if (strcmp(r->str, "conflict") == 0)
		return OWN_CONFLICT;
	if (strcmp(r->str, "wait") == 0 || strcmp(r->str, "changed") == 0)
		return OWN_AHEAD;       /* a riding step: nothing written */
	int again = strcmp(r->str, "again") == 0;
	int ok = again || strcmp(r->str, "ok") == 0;
	if (again)
		log_info("🔁 [lane=%s] plan %.8s was sent before a crash (claim "
		    "state sent): sent again under the same client order id (the "
		    "binance backend looks it up on the exchange before placing; "
		    "the paper backend knows only its own process's fills)",
		    lane_name(w->lane), j->ok.plan_id);
	if (!ok)
		log_info("🔁 [lane=%s] plan %.8s not sent: %s (entry %s); left to "
		    "its owner", lane_name(w->lane), j->ok.plan_id,
		    strcmp(r->str, "lost") == 0 ? "another consumer took its entry "
		    "over" : strcmp(r->str, "gone") == 0 ? "its entry was decided "
		    "elsewhere" : "another entry owns the plan", j->stream_id);
	return ok;
}
