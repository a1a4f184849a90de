/*
 * poll.c - the permit poll: one script call reads the permits of n plans
 * and whether their claims say conflict, with the trading state and the
 * lane's breaker behind it in the same round trip; and the read-ahead,
 * the same poll for the plan queued behind one that leaves for the
 * executor, kept until that plan's turn comes (lifecycle.c then sends its
 * sent step in the round trip of its predecessor's result).
 *
 * May: pipeline commands on the command connection (conn.c), read the
 * replies it is handed, parse permits.  May not: read replies itself,
 * decide a plan (a permit read ahead is only a candidate: what it says is
 * checked again, and what it does not allow is left to the usual poll).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "script.h"
#include "worker.h"

#define CLAIM_KEY_MAX (sizeof(KEY_CLAIM) + PLAN_ID_MAX)
/* a permit key, or a lane without permits: the claim in its place */
#define PERMIT_KEY_MAX (sizeof(KEY_PERMIT) > sizeof(KEY_CLAIM) ? \
	sizeof(KEY_PERMIT) + PLAN_ID_MAX : CLAIM_KEY_MAX)

/*
 * One round trip for the permits of every plan polled, either encoding,
 * never a WRONGTYPE error: KEYS are n permit keys, then the n plans'
 * claims; for each plan, {type, value} or {type}, or {"conflict"} when its
 * claim says conflict (the other lane has an entry with its plan_id).  A
 * permit is read with GET first (a string, or none, the usual cases: one
 * command); only a key of another type is asked its TYPE.
 * ARGV[1] "1": the lane reads permits; else (the harvest lane) the first
 * n keys are the claims again, never read as permits, and each plan not
 * in conflict gets {"none"}.
 */
static const char permit_script[] =
    "local out, n = {}, #KEYS / 2 "
    "for i = 1, n do "
    "local k = KEYS[i] "
    "if redis.call('HGET', KEYS[n + i], 'state') == 'conflict' then "
    "out[i] = {'conflict'} elseif ARGV[1] ~= '1' then out[i] = {'none'} else "
    "local v = redis.pcall('GET', k) "
    "if type(v) == 'string' then out[i] = {'string', v} "
    "elseif not v then out[i] = {'none'} else "
    "local t = redis.call('TYPE', k).ok "
    "if t == 'hash' then out[i] = {t, redis.call('HGETALL', k)} "
    "else out[i] = {t} end end end end "
    "return out";

static struct script permit_poll = SCRIPT_INIT("the permit script",
    permit_script);

void poll_append(struct worker *w, struct job *const *due, int n)
{
	static char keys[JOBS_MAX][PERMIT_KEY_MAX];
	static char claims[JOBS_MAX][CLAIM_KEY_MAX];
	const char *argv[2 * JOBS_MAX + 4];
	size_t len[2 * JOBS_MAX + 4];
	char nkeys[16];

	int permits = lane_has(w->lane, LANE_F_PERMIT);
	for (int i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s%s",
		    permits ? KEY_PERMIT : KEY_CLAIM, due[i]->ok.plan_id);
		snprintf(claims[i], sizeof(claims[i]), KEY_CLAIM "%s",
		    due[i]->ok.plan_id);
		argv[3 + i] = keys[i];
		argv[3 + n + i] = claims[i];
	}
	snprintf(nkeys, sizeof(nkeys), "%d", 2 * n);
	script_head(&permit_poll, w->rc, 0, argv, len);
	argv[2] = nkeys;
	argv[3 + 2 * n] = permits ? "1" : "0";
	for (int i = 2; i < 2 * n + 4; i++)
		len[i] = strlen(argv[i]);
	conn_append_argv(w->rc, 2 * n + 4, argv, len);
	/* the trading state and the lane's breaker, in the same round trip,
	 * for every plan */
	lane_append_state(w);
}

int poll_permit_of(struct permit *p, const redisReply *r, const char **why)
{
	const char *type = r->element[0]->str;

	if (strcmp(type, "string") == 0 && r->elements == 2)
		return permit_from_json(r->element[1]->str, r->element[1]->len,
		    p, why);
	if (strcmp(type, "hash") != 0 || r->elements != 2)
		return -1;
	const redisReply *h = r->element[1];
	struct bytes *b = calloc(h->elements + 1, sizeof(*b));
	if (!b)
		fatalx("out of memory");
	for (size_t i = 0; i < h->elements; i++)
		b[i] = (struct bytes){ h->element[i]->str, h->element[i]->len };
	int rc = permit_from_hash(b, h->elements, p, why);
	free(b);
	return rc;
}

int poll_ahead_of(const struct worker *w, struct job *const *sent, int n,
    struct job **ahead)
{
	int na = 0;

	if (!lane_has(w->lane, LANE_F_PERMIT) || w->stopping)
		return 0;
	for (int i = 0; i < n; i++)
		if (sent[i]->next && sent[i]->next->state == JOB_QUEUED)
			ahead[na++] = sent[i]->next;
	return na;
}

void poll_ahead_store(struct job *const *ahead, int n,
    redisReply *const *rep)
{
	const char *why;

	for (int i = 0; i < 1 + LANE_STATE_REPLIES; i++)
		if (rep[i]->type == REDIS_REPLY_ERROR)
			return;         /* the usual poll reads it again */
	if (lane_trading_state((redisReply **)rep + 1) != TS_ACTIVE)
		return;
	const redisReply *all = rep[0];
	if (all->type != REDIS_REPLY_ARRAY || all->elements != (size_t)n)
		return;
	for (int i = 0; i < n; i++) {
		struct job *j = ahead[i];
		const redisReply *r = all->element[i];
		j->ahead = 0;
		if (j->state != JOB_QUEUED || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
		    strcmp(r->element[0]->str, "string") != 0 ||
		    r->element[1]->type != REDIS_REPLY_STRING ||
		    r->element[1]->len >= sizeof(j->ahead_permit))
			continue;       /* a hash, none, or too long: not ahead */
		if (permit_from_json(r->element[1]->str, r->element[1]->len,
			&j->permit, &why) < 0 || !j->permit.allow)
			continue;
		memcpy(j->ahead_permit, r->element[1]->str, r->element[1]->len);
		j->ahead_permit[r->element[1]->len] = '\0';
		j->ahead = 1;
	}
}

int poll_ahead_ready(struct worker *w, struct job *j)
{
	char err[ERROR_MAX];
	int ready = j->ahead && j->state == JOB_QUEUED &&
	    permit_binding_check(&j->permit, j->ok.symbol, j->ok.side, w->lane,
		wall_ms(), w->s.max_plan_age_sec, err, sizeof(err)) == 0 &&
	    trading_gate(j->ok.plan_ms, j->ok.reduce_only, TS_ACTIVE, wall_ms(),
		w->s.max_plan_age_sec, err, sizeof(err)) == 0;
	j->ahead = ready;
	if (ready)
		j->permit_read = 1;
	return ready;
}
