/*
 * result.c - result entries, counters, the plan's audit entry when it has
 * one (a plan_id conflict) and acknowledgement in one script that writes
 * all of it or nothing; a claimed plan's result is written once per lane,
 * whichever consumer of the lane finishes it.
 *
 * May: talk to the Redis connection it is given (conn.c), mark it lost
 * when Redis answers that the master moved.  May not: call the plan logic or
 * the worker's connection handling.
 */
#include "result.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "keys.h"
#include "log.h"
#include "position.h"
#include "script.h"

void result_count(struct result *r, enum counter c)
{
	if (c < C_COUNT)
		r->counts[c]++;
}

void result_from_plan(struct result *r, enum lane lane, const char *id,
    const struct plan *p)
{
	memset(r, 0, sizeof(*r));
	r->lane = lane;
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

static json_t *dec_json(int64_t v)
{
	char b[40];
	dec_format(b, sizeof(b), v);
	return json_string(b);
}

static json_t *permit_json(const struct permit *p)
{
	if (!p)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "allow", json_boolean(p->allow));
	json_object_set_new(o, "reason", json_string(p->reason));
	json_object_set_new(o, "safe_qty", dec_json(p->safe_qty));
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

char *result_details(const struct result *r, long long ts)
{
	const struct exec_res *x = r->res;
	json_t *o = json_object();

	json_object_set_new(o, "event_type", json_string("apply.result"));
	json_object_set_new(o, "plan_id", json_string(r->plan_id));
	json_object_set_new(o, "symbol", json_string(r->symbol));
	json_object_set_new(o, "executed", json_boolean(r->executed));
	json_object_set_new(o, "source", json_string("intent_executor"));
	json_object_set_new(o, "timestamp", json_integer(ts));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "side", str_or_null(r->side));
	json_object_set_new(o, "qty",
	    x && x->qty ? dec_json(x->qty) : str_or_null(r->qty));
	json_object_set_new(o, "requested_qty", str_or_null(r->qty));
	json_object_set_new(o, "order_id", str_or_null(x ? x->order_id : NULL));
	json_object_set_new(o, "client_order_id",
	    str_or_null(x ? x->client_order_id : NULL));
	json_object_set_new(o, "filled_qty",
	    x && x->executed ? dec_json(x->filled_qty) : json_null());
	json_object_set_new(o, "order_status", str_or_null(x ? x->status : NULL));
	json_object_set_new(o, "permit", permit_json(r->permit));
	json_object_set_new(o, "decision", str_or_null(r->decision));
	json_object_set_new(o, "lane", json_string(lane_name(r->lane)));
	json_object_set_new(o, "guard", str_or_null(r->guard));
	json_object_set_new(o, "plan_source", str_or_null(r->source));
	json_object_set_new(o, "stream_id", json_string(r->stream_id));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/*
 * The settle script: one entry decided, all or nothing.  Redis runs a
 * MULTI's other commands past one that fails, so a transaction cannot
 * make the acknowledgement depend on the result; this script can.  And
 * being one script, nothing can decide the plan between its check and its
 * writes (no WATCH, no retry).
 *
 * KEYS[1] the lane's stream, KEYS[2] the metrics hash, then, by the flags
 * in ARGV[3]: R the result stream; P the done and claim keys (the plan has
 * an id and was not refused at its lane guard: it takes its plan_id); A
 * the audit stream; X the cooldown and inflight keys; Z the lane's
 * breaker key (reset); D the dead-letter stream; L the position ledger's
 * keys (a fill: position.h).  ARGV[1] group, ARGV[2]
 * entry id, ARGV[4] claim state, ARGV[5] order id, ARGV[6] now (ms),
 * ARGV[7] the lane, then four lists (a count, then its items): counters
 * (name, by ...), result fields (field, value ...), the audit entry
 * (field, value ...), the dead-letter copy (field, value ...), and with L
 * the ledger's list (position.h).  Flags W:
 * only when the claim has no decided_<lane> (this lane decided the plan
 * already, by this consumer or another: the entry is only acknowledged,
 * 'decided'); C: set the claim's state and order id.  With P the claim
 * gets decided_<lane> = the entry id, and lives a day (it outlives the
 * done key: it says which lane decided).
 *
 * First what could fail later is checked (key types, counters that are
 * not integers, the ledger's hash, set and stream), then the writes run in
 * order: result, copy, done key, claim, audit entry, counters, cooldown,
 * inflight, breaker, the ledger (seen set, hash, and when the position
 * went flat the position keys and trade.closed).  When the
 * first write fails, nothing was written: its error is the reply, with the
 * command in brackets.  Once one write has succeeded Redis lets the script
 * write on (an OOM stops only a script's first write), so a later failure
 * can only be a right missing (ACL): the script goes on, skips the XACK
 * and returns 'partial' with the errors.  The XACK comes last, only when
 * every write before it succeeded.  Reply: {'ok', result id, ledger},
 * {'partial', result id, ledger, error ...}, {'decided'}, or an error;
 * ledger is what the position ledger did (position.h).
 */
static const char settle_script[] =
    "local group, id, flags, lane = ARGV[1], ARGV[2], ARGV[3], ARGV[7] "
    "local function has(f) return string.find(flags, f, 1, true) ~= nil end "
    "local nk, na = 2, 7 "
    "local function key() nk = nk + 1 return KEYS[nk] end "
    "local function list() local n, t = tonumber(ARGV[na + 1]), {} "
    "for i = 1, n do t[i] = ARGV[na + 1 + i] end na = na + 1 + n return t end "
    "local res = has('R') and key() "
    "local done, claim, audit, cool, infl, reset, dead "
    "if has('P') then done = key() claim = key() end "
    "if has('A') then audit = key() end "
    "if has('X') then cool = key() infl = key() end "
    "if has('Z') then reset = key() end "
    "if has('D') then dead = key() end "
    POS_LUA_KEYS
    "local counts, fields, note, copy = list(), list(), list(), list() "
    POS_LUA_LIST
    "local function bad(e, c, k) return redis.error_reply(e .. ' [' .. c .. ' ' .. k .. ']') end "
    "local decided = 'decided_' .. lane "
    "if claim then local d = redis.pcall('HGET', claim, decided) "
    "if type(d) == 'table' and d.err then return bad(d.err, 'HSET', claim) end "
    "if has('W') and d then "
    "redis.call('XACK', KEYS[1], group, id) return {'decided'} end end "
    "for _, s in ipairs({dead or false, audit or false}) do if s then "
    "local t = redis.call('TYPE', s).ok "
    "if t ~= 'stream' and t ~= 'none' then "
    "return bad('WRONGTYPE the key holds a ' .. t, 'XADD', s) end end end "
    "if #counts > 0 then local names = {} "
    "for i = 1, #counts, 2 do names[#names + 1] = counts[i] end "
    "local v = redis.pcall('HMGET', KEYS[2], unpack(names)) "
    "if v.err then return bad(v.err, 'HINCRBY', KEYS[2]) end "
    "for i = 1, #names do if v[i] and not string.match(v[i], '^%-?%d+$') then "
    "return bad('ERR hash value is not an integer: ' .. names[i], 'HINCRBY', KEYS[2]) "
    "end end end "
    POS_LUA_CHECK
    "local cmds = {} "
    "local function add(...) cmds[#cmds + 1] = {...} end "
    "if res then add('XADD', res, '*', unpack(fields)) end "
    "if dead then add('XADD', dead, '*', unpack(copy)) end "
    "if done then add('SET', done, '1', 'EX', '86400') end "
    "if claim then if has('C') then "
    "add('HSET', claim, decided, id, 'state', ARGV[4], 'order_id', ARGV[5]) "
    "else add('HSET', claim, decided, id) end "
    "add('EXPIRE', claim, '86400') end "
    "if audit then add('XADD', audit, '*', unpack(note)) end "
    "for i = 1, #counts, 2 do add('HINCRBY', KEYS[2], counts[i], counts[i + 1]) end "
    "if cool then add('SET', cool, ARGV[6], 'EX', '3600') add('DEL', infl) end "
    "if reset then add('SET', reset, '0') end "
    POS_LUA_WRITES
    "add('XACK', KEYS[1], group, id) "
    "local out = {'ok', '', lgo} "
    "for i, c in ipairs(cmds) do "
    "if i == #cmds and out[1] ~= 'ok' then break end "
    "local r = redis.pcall(unpack(c)) "
    "if type(r) == 'table' and r.err then "
    "if i == 1 then return bad(r.err, c[1], c[2]) end "
    "out[1] = 'partial' out[#out + 1] = r.err .. ' [' .. c[1] .. ' ' .. c[2] .. ']' "
    "elseif i == 1 and res then out[2] = r end end "
    "return out";

/*
 * Sent as EVALSHA where Redis has it (script.c), so that Redis neither
 * receives nor hashes the script's text for every plan; inside a caller's
 * MULTI (where a NOSCRIPT would not stop the transaction's other
 * commands) as EVAL.
 */
static struct script settle = SCRIPT_INIT("the settle script", settle_script);

int result_load(struct conn *k)
{
	if (script_load(k, &settle) < 0)
		return -1;
	log_info("settle script loaded: results are sent as EVALSHA %.12s",
	    settle.sha);
	return 0;
}

/* The script's arguments, built up (the values point into the caller's
 * strings and the buffers here). */
struct args {
	const char *v[128];
	size_t len[128];
	int n;
	char buf[C_COUNT + 16][24];     /* numbers */
	int nbuf;
};

static void arg(struct args *a, const char *v, size_t len)
{
	if (a->n >= (int)(sizeof(a->v) / sizeof(a->v[0])))
		fatalx("settle script: too many arguments");
	a->v[a->n] = v;
	a->len[a->n++] = len;
}

static void str(struct args *a, const char *v)
{
	arg(a, v, strlen(v));
}

static const char *num(struct args *a, long long x)
{
	if (a->nbuf >= (int)(sizeof(a->buf) / sizeof(a->buf[0])))
		fatalx("settle script: too many numbers");
	char *b = a->buf[a->nbuf++];
	snprintf(b, sizeof(a->buf[0]), "%lld", x);
	return b;
}

/* A field list for XADD: its length, then its names and values. */
static void fields(struct args *a, const char *const *f, size_t n)
{
	str(a, num(a, (long long)n));
	for (size_t i = 0; i < n; i++)
		str(a, f[i]);
}

/* Why the reply x failed: its text (or the lost connection's reason). */
static void why_of(struct conn *k, const redisReply *x, char *why,
    size_t whylen)
{
	if (!x)
		snprintf(why, whylen, "no reply (%s)", conn_why(k));
	else if (x->type == REDIS_REPLY_ERROR)
		snprintf(why, whylen, "%s", x->str);
	else
		snprintf(why, whylen, "unexpected reply (type %d)", x->type);
}

/* r's fill for the position ledger: 1 (f set), or 0 when it has none. */
static int fill_of(const struct result *r, struct position_fill *f)
{
	const struct exec_res *x = r ? r->res : NULL;

	if (!x || !r->plan || !r->executed || !x->executed ||
	    x->filled_qty <= 0 || !x->order_id[0])
		return 0;
	*f = (struct position_fill){ .symbol = r->plan->symbol,
		.order_id = x->order_id, .side = r->plan->side,
		.reduce_only = r->plan->reduce_only,
		.leverage = r->plan->leverage, .filled_qty = x->filled_qty,
		.price = x->avg_price, .tags = r->tags, .order_side = x->side,
		.has_exchange = x->position_known,
		.exchange_amt = x->position_amt,
		.exchange_entry = x->position_entry };
	return 1;
}

/* What the script's reply x says the position ledger did, logged. */
static void ledger_log(const redisReply *x, const struct result *r)
{
	struct position_fill f;
	struct position_out o;
	const char *why = "no ledger element";

	if (!fill_of(r, &f))
		return;
	int k = x->elements >= 3 ? position_reply(x->element[2], &o, &why) : -1;
	if (k == 1)
		position_log(&f, &o);
	else if (k == 0)
		log_info("🔁 [lane=%s] order %s of plan %.8s was counted in the "
		    "position ledger before: not again", lane_name(r->lane),
		    f.order_id, r->plan_id);
	else
		log_error("[lane=%s] plan %.8s: the settle script's ledger reply "
		    "has %s", lane_name(r->lane), r->plan_id, why);
}

/* The contract's harvest lines, once its result is written. */
static void harvest_log(const struct result *r)
{
	char q[40];
	if (r->lane != LANE_HARVEST)
		return;
	if (r->executed && r->res) {
		dec_format(q, sizeof(q), r->res->filled_qty);
		log_info("✅ HARVEST SUCCESS: %s closed %s orderId=%s", r->symbol, q,
		    r->res->order_id);
	} else if (strcmp(r->error, HARVEST_SKIPPED) == 0) {
		log_info("⏭️  HARVEST SKIPPED: %s - %s (no position: nothing sent)",
		    r->symbol, r->error);
	} else {
		log_info("❌ HARVEST FAILED: %s - %s", r->symbol[0] ? r->symbol : "-",
		    r->error);
	}
}

int result_reply(struct conn *k, const redisReply *x, const struct result *r,
    char *why, size_t whylen)
{
	why[0] = '\0';
	if (x && x->type == REDIS_REPLY_ARRAY && x->elements >= 1 &&
	    x->element[0]->type == REDIS_REPLY_STRING) {
		const char *what = x->element[0]->str;
		if (strcmp(what, "decided") == 0) {
			log_info("🔁 [lane=%s] plan %.8s already has its result (decided "
			    "before, by this consumer or another): entry %s "
			    "acknowledged, no second result", lane_name(r->lane),
			    r->plan_id, r->stream_id);
			return SETTLE_DECIDED;
		}
		if (strcmp(what, "ok") == 0) {
			log_info("📝 Result written: plan=%.8s executed=%s", r->plan_id,
			    r->executed ? "True" : "False");
			harvest_log(r);
			ledger_log(x, r);
			return SETTLE_WRITTEN;
		}
		if (strcmp(what, "partial") == 0) {
			/* written: never again; the entry stays pending and is read
			 * again as a copy of a decided plan */
			log_info("📝 Result written: plan=%.8s executed=%s", r->plan_id,
			    r->executed ? "True" : "False");
			harvest_log(r);
			for (size_t i = 3; i < x->elements; i++)
				log_error("[lane=%s] result of plan %.8s written, but Redis "
				    "refused %s: entry %s not acknowledged",
				    lane_name(r->lane), r->plan_id,
				    x->element[i]->type == REDIS_REPLY_STRING ?
				    x->element[i]->str : "?", r->stream_id);
			return SETTLE_WRITTEN;
		}
	}
	why_of(k, x, why, whylen);
	if (conn_failover_error(x))
		conn_set_lost(k, why);  /* the master moved: reconnect */
	return SETTLE_FAILED;
}

/*
 * A harvest-lane entry's outcome (harvest_executed, harvest_failed),
 * counted with its result whichever step decided it: an entry skipped
 * because the position was flat (HARVEST_SKIPPED) counts in neither.
 */
static void harvest_count(const struct result *r, unsigned char *counts)
{
	if (!r || r->lane != LANE_HARVEST)
		return;
	if (r->executed)
		counts[C_HARVEST_EXECUTED]++;
	else if (strcmp(r->error, HARVEST_SKIPPED) != 0)
		counts[C_HARVEST_FAILED]++;
}

/* The script for r (NULL: an acknowledgement alone), counting counts[]. */
static void append_settle(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const char *id,
    const struct result *r, const unsigned char *counts_in,
    const struct dead_copy *dead)
{
	unsigned char counts[C_COUNT];
	memcpy(counts, counts_in, sizeof(counts));
	harvest_count(r, counts);
	struct args a = { .n = 0 };
	char flags[12], done[sizeof(KEY_DONE) + PLAN_ID_MAX + 8];
	char claim[sizeof(KEY_CLAIM) + PLAN_ID_MAX + 8];
	char cool[sizeof(KEY_COOLDOWN) + SYMBOL_MAX + 8];
	char infl[sizeof(KEY_INFLIGHT) + SYMBOL_MAX + 8];
	char *details = NULL;
	size_t keys_at, nkeys;
	int fl = 0, ncount = 0;
	long long ts = wall_ms() / 1000;
	const char *tsbuf = num(&a, ts);

	script_head(&settle, k, dead != NULL, a.v, a.len);
	a.n = 2;
	str(&a, "0");                           /* numkeys, set below */
	keys_at = (size_t)a.n;
	str(&a, stream);
	str(&a, KEY_METRICS);
	if (r) {
		flags[fl++] = 'R';
		str(&a, s->result_stream);
		/* refused at its lane guard: nothing in the plan_id space */
		if (r->plan_id[0] && !r->guard_refused) {
			flags[fl++] = 'P';
			snprintf(done, sizeof(done), KEY_DONE "%s", r->plan_id);
			snprintf(claim, sizeof(claim), KEY_CLAIM "%s", r->plan_id);
			str(&a, done);
			str(&a, claim);
			if (r->claimed)
				flags[fl++] = 'C';
			if (r->claimed && !dead)
				flags[fl++] = 'W';
		}
		if (r->audit_reason) {
			flags[fl++] = 'A';
			str(&a, KEY_AUDIT_STREAM);
		}
		if (r->executed) {
			flags[fl++] = 'X';
			snprintf(cool, sizeof(cool), KEY_COOLDOWN "%s", r->symbol);
			snprintf(infl, sizeof(infl), KEY_INFLIGHT "%s", r->symbol);
			str(&a, cool);
			str(&a, infl);
		}
		if (r->reset_key) {
			flags[fl++] = 'Z';
			str(&a, r->reset_key);
		}
	}
	if (dead) {
		flags[fl++] = 'D';
		str(&a, dead->key);
	}
	struct position_fill pf;
	struct position_args pa;
	int lg = fill_of(r, &pf);
	if (lg) {
		flags[fl++] = 'L';
		position_args(&pa, &pf, wall_ms());
		for (int i = 0; i < POS_KEYS; i++)
			str(&a, pa.keys[i]);
	}
	flags[fl] = '\0';
	nkeys = (size_t)a.n - keys_at;
	a.v[2] = num(&a, (long long)nkeys);
	a.len[2] = strlen(a.v[2]);
	str(&a, group);
	str(&a, id);
	str(&a, flags);
	str(&a, r && r->claim_state ? r->claim_state : "settled");
	str(&a, r && r->res && r->res->order_id[0] ? r->res->order_id : "-");
	str(&a, num(&a, (long long)wall_ms()));
	str(&a, r ? lane_name(r->lane) : "-");
	for (int i = 0; i < C_COUNT; i++)
		ncount += counts[i] > 0;
	str(&a, num(&a, 2LL * ncount));
	for (int i = 0; i < C_COUNT; i++) {
		int by = counts[i];
		if (by > 0) {
			str(&a, counter_name((enum counter)i));
			str(&a, num(&a, by));
		}
	}
	if (r) {
		if (!(details = result_details(r, ts)))
			fatalx("out of memory");
		const char *f[] = { "event_type", "apply.result", "plan_id",
			r->plan_id, "symbol", r->symbol, "executed",
			r->executed ? "true" : "false", "source", "intent_executor",
			"timestamp", tsbuf, "details", details };
		fields(&a, f, sizeof(f) / sizeof(f[0]));
	} else {
		str(&a, "0");
	}
	if (r && r->audit_reason) {
		const char *f[] = { "action", "plan.conflict", "operator",
			"intent_executor", "lane", lane_name(r->lane), "plan_id",
			r->plan_id, "stream_id", r->stream_id, "reason",
			r->audit_reason, "timestamp", tsbuf };
		fields(&a, f, sizeof(f) / sizeof(f[0]));
	} else {
		str(&a, "0");
	}
	/* the copy's own strings go straight into the command */
	size_t ncopy = dead ? dead->n : 0;
	size_t nall = (size_t)a.n + ncopy + 1 + (lg ? 1 + POS_ARGS : 0);
	const char **v = calloc(nall, sizeof(*v));
	size_t *len = calloc(nall, sizeof(*len));
	if (!v || !len)
		fatalx("out of memory");
	memcpy(v, a.v, (size_t)a.n * sizeof(*v));
	memcpy(len, a.len, (size_t)a.n * sizeof(*len));
	size_t n = (size_t)a.n;
	v[n] = num(&a, (long long)ncopy);
	len[n] = strlen(v[n]);
	n++;
	for (size_t i = 0; i < ncopy; i++, n++) {
		v[n] = dead->argv[i];
		len[n] = dead->len[i];
	}
	if (lg) {               /* the ledger's list, last */
		v[n] = num(&a, POS_ARGS);
		len[n] = strlen(v[n]);
		n++;
		for (int i = 0; i < POS_ARGS; i++, n++) {
			v[n] = pa.argv[i];
			len[n] = strlen(v[n]);
		}
	}
	conn_append_argv(k, (int)n, v, len);
	free(v);
	free(len);
	free(details);
}

void result_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    const struct dead_copy *dead)
{
	append_settle(k, s, stream, group, r->stream_id, r, r->counts, dead);
}

int result_commit(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct result *r,
    char *why, size_t whylen)
{
	append_settle(k, s, stream, group, r->stream_id, r, r->counts, NULL);
	redisReply *x = conn_last(k);
	int rc = result_reply(k, x, r, why, whylen);
	if (x)
		freeReplyObject(x);
	return rc;
}

int result_ack(struct conn *k, const char *stream, const char *group,
    const char *id, const enum counter *c, int nc, char *why, size_t whylen)
{
	unsigned char counts[C_COUNT] = { 0 };
	for (int i = 0; i < nc; i++)
		if (c[i] < C_COUNT)
			counts[c[i]]++;
	append_settle(k, NULL, stream, group, id, NULL, counts, NULL);
	redisReply *x = conn_last(k);
	int ok = x && x->type == REDIS_REPLY_ARRAY && x->elements >= 1 &&
	    x->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(x->element[0]->str, "ok") == 0;
	why[0] = '\0';
	if (!ok) {
		why_of(k, x, why, whylen);
		if (conn_failover_error(x))
			conn_set_lost(k, why);
	}
	if (x)
		freeReplyObject(x);
	return ok ? SETTLE_WRITTEN : SETTLE_FAILED;
}
