/*
 * settle.c - the settle script and its call (settle.h): the entries of
 * one lane that are decided together (a poll's answers) go out in one
 * script call, one round trip, and each is still written all or nothing
 * on its own.
 *
 * May: talk to the Redis connection it is given (conn.c), through
 * pipelined commands only; build a result's details JSON (jansson).  May
 * not: read a reply (result.c does), call the plan logic or the worker's
 * connection handling.
 */
#include "settle.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "decimal.h"
#include "keys.h"
#include "log.h"
#include "script.h"

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

/*
 * The keys go in in sorted order: jansson keeps that order, so the text
 * is what JSON_SORT_KEYS would give (the original's json.dumps(...,
 * sort_keys=True)) without sorting for every plan.
 */
char *result_details(const struct result *r, long long ts)
{
	const struct exec_res *x = r->res;
	json_t *o = json_object();

	json_object_set_new(o, "client_order_id",
	    str_or_null(x ? x->client_order_id : NULL));
	json_object_set_new(o, "decision", str_or_null(r->decision));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "event_type", json_string("apply.result"));
	json_object_set_new(o, "executed", json_boolean(r->executed));
	json_object_set_new(o, "filled_qty",
	    x && x->executed ? dec_json(x->filled_qty) : json_null());
	json_object_set_new(o, "guard", str_or_null(r->guard));
	json_object_set_new(o, "lane", json_string(lane_name(r->lane)));
	json_object_set_new(o, "order_id", str_or_null(x ? x->order_id : NULL));
	json_object_set_new(o, "order_status", str_or_null(x ? x->status : NULL));
	json_object_set_new(o, "permit", permit_json(r->permit));
	json_object_set_new(o, "plan_id", json_string(r->plan_id));
	json_object_set_new(o, "plan_source", str_or_null(r->source));
	json_object_set_new(o, "qty",
	    x && x->qty ? dec_json(x->qty) : str_or_null(r->qty));
	json_object_set_new(o, "requested_qty", str_or_null(r->qty));
	json_object_set_new(o, "side", str_or_null(r->side));
	json_object_set_new(o, "source", json_string("intent_executor"));
	json_object_set_new(o, "stream_id", json_string(r->stream_id));
	json_object_set_new(o, "symbol", json_string(r->symbol));
	json_object_set_new(o, "timestamp", json_integer(ts));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/*
 * The settle script: a call's entries decided, each all or nothing.
 * Redis runs a MULTI's other commands past one that fails, so a
 * transaction cannot make an acknowledgement depend on the result; this
 * script can.  And being one script, nothing can decide a plan between
 * its check and its writes (no WATCH, no retry).
 *
 * KEYS[1] the lane's stream, KEYS[2] the metrics hash, then each item's
 * keys, by the flags of the item: R the result stream; P the done and
 * claim keys (the plan has an id and was not refused at its lane guard:
 * it takes its plan_id); A the audit stream; X the cooldown key (an
 * executed order); I the inflight key (the plan went to the executor: its
 * sent step set the key to its plan_id, which is deleted now the order is
 * terminal, when the key still holds that plan_id and not another lane's
 * plan of the symbol); Z the lane's breaker key (reset); D the
 * dead-letter stream; L the position ledger's keys (a fill: position.h).
 * ARGV[1] group, ARGV[2] the lane, ARGV[3] now (ms), ARGV[4] the number
 * of items, then for each item: its entry id, flags, claim state, order
 * id and plan_id, and four lists (a
 * count, then its items): counters (name, by ...), result fields (field,
 * value ...), the audit entry (field, value ...), the dead-letter copy
 * (field, value ...), and with L the ledger's list (position.h).  Flags
 * W: only when the claim has no decided_<lane> (this lane decided the
 * plan already, by this consumer or another: the entry is only
 * acknowledged, 'decided'); C: set the claim's state and order id.  With
 * P the claim gets decided_<lane> = the entry id, and lives a day (it
 * outlives the done key: it says which lane decided).
 *
 * Each item in turn: first what could fail later is checked (key types,
 * its counters that are not integers, the ledger's hash, set and
 * stream), then its writes run in order: result, copy, done key, claim,
 * audit entry, cooldown, inflight (deleted only while it holds the
 * item's plan_id), the ledger (seen set, hash, and when
 * the position went flat the position keys and trade.closed).  When its
 * first write fails, nothing of it was written: its error is its reply,
 * with the command in brackets.  Once one write has succeeded Redis lets
 * the script write on (an OOM stops only a script's first write), so a
 * later failure can only be a right missing (ACL): the item is 'partial'
 * with the errors, and not acknowledged.  Then, for the items not
 * refused: the counters (one HINCRBY per name, by the items' sum), the
 * breaker's reset, and last one XACK of the items whose every write
 * succeeded; a failure there makes them all 'partial' (or, when nothing
 * at all was written, is the call's reply).  Reply: one element per
 * item: {'ok', result id, ledger}, {'partial', result id, ledger, error
 * ...}, {'decided'}, or an error; ledger is what the position ledger did
 * (position.h).
 */
static const char settle_script[] =
    "local A, K = ARGV, KEYS "
    "local group, lane, now = A[1], A[2], A[3] "
    "local decided = 'decided_' .. lane "
    "local nk, na = 2, 5 "
    "local function bad(e, c, k) return redis.error_reply(e .. ' [' .. c .. ' ' .. k .. ']') end "
    POS_LUA_FUNCS
    "local items = {} "
    "for i = 1, tonumber(A[4]) do "
    "local it, F = {id = A[na], st = A[na + 2], oid = A[na + 3], "
    "pid = A[na + 4]}, {} "
    "for f in string.gmatch(A[na + 1], '%u') do F[f] = true end "
    "it.F = F "
    "if F.R then nk = nk + 1 it.res = K[nk] end "
    "if F.P then it.done, it.claim = K[nk + 1], K[nk + 2] nk = nk + 2 end "
    "if F.A then nk = nk + 1 it.audit = K[nk] end "
    "if F.X then nk = nk + 1 it.cool = K[nk] end "
    "if F.I then nk = nk + 1 it.infl = K[nk] end "
    "if F.Z then nk = nk + 1 it.reset = K[nk] end "
    "if F.D then nk = nk + 1 it.dead = K[nk] end "
    POS_LUA_KEYS
    /* the lists, where they are in ARGV: a count at x0, items after it */
    "na = na + 5 "
    "it.c0, it.cn = na, tonumber(A[na]) na = na + it.cn + 1 "
    "it.f0, it.fn = na, tonumber(A[na]) na = na + it.fn + 1 "
    "it.t0, it.tn = na, tonumber(A[na]) na = na + it.tn + 1 "
    "it.p0, it.pn = na, tonumber(A[na]) na = na + it.pn + 1 "
    POS_LUA_LIST
    "items[i] = it end "
    /* the counters' values, read once: which ones cannot be counted */
    "local names, known, cerr, cbad = {}, {}, nil, {} "
    "for _, it in ipairs(items) do for j = 1, it.cn, 2 do local nm = A[it.c0 + j] "
    "if not known[nm] then known[nm] = true names[#names + 1] = nm end end end "
    "if #names > 0 then local v = redis.pcall('HMGET', K[2], unpack(names)) "
    "if v.err then cerr = bad(v.err, 'HINCRBY', K[2]) else "
    "for j = 1, #names do if v[j] and not string.match(v[j], '^%-?%d+$') then "
    "cbad[names[j]] = bad('ERR hash value is not an integer: ' .. names[j], 'HINCRBY', K[2]) "
    "end end end end "
    /* pcall, as every read here: an error is the item's, never the
     * call's (the items before it may have written) */
    "local function stream_or_none(s) local t = redis.pcall('TYPE', s) "
    "if t.err then return bad(t.err, 'XADD', s) end t = t.ok "
    "if t ~= 'stream' and t ~= 'none' then "
    "return bad('WRONGTYPE the key holds a ' .. t, 'XADD', s) end end "
    /* an item's writes: the first one's error is its reply (nothing of
     * it written), a later one's makes it 'partial' */
    "local out, nw, e1, wrote = nil, 0, nil, false "
    "local function add(c, k, ...) local r = redis.pcall(c, k, ...) nw = nw + 1 "
    "if type(r) == 'table' and r.err then local e = r.err .. ' [' .. c .. ' ' .. k .. ']' "
    "if nw == 1 then e1 = e return false end "
    "out[1] = 'partial' out[#out + 1] = e else wrote = true end return r end "
    "local function one(it) "
    "local F, lk, la, claim = it.F, it.lk, it.la, it.claim "
    "if claim then local d = redis.pcall('HGET', claim, decided) "
    "if type(d) == 'table' and d.err then return bad(d.err, 'HSET', claim) end "
    "if F.W and d then local x = redis.pcall('XACK', K[1], group, it.id) "
    "if type(x) == 'table' and x.err then return bad(x.err, 'XACK', K[1]) end "
    "wrote = true return {'decided'} end end "
    "if it.dead then local e = stream_or_none(it.dead) if e then return e end end "
    "if it.audit then local e = stream_or_none(it.audit) if e then return e end end "
    "for j = 1, it.cn, 2 do if cerr then return cerr end "
    "local e = cbad[A[it.c0 + j]] if e then return e end end "
    POS_LUA_CHECK
    "out, nw = {'ok', '', lgo}, 0 "
    "if it.res then local r = add('XADD', it.res, '*', unpack(A, it.f0 + 1, it.f0 + it.fn)) "
    "if r == false then return redis.error_reply(e1) end out[2] = r end "
    "if it.dead and add('XADD', it.dead, '*', unpack(A, it.p0 + 1, it.p0 + it.pn)) == false then "
    "return redis.error_reply(e1) end "
    "if it.done and add('SET', it.done, '1', 'EX', '86400') == false then "
    "return redis.error_reply(e1) end "
    "if claim then local r "
    "if F.C then r = add('HSET', claim, decided, it.id, 'state', it.st, 'order_id', it.oid) "
    "else r = add('HSET', claim, decided, it.id) end "
    "if r == false then return redis.error_reply(e1) end "
    "add('EXPIRE', claim, '86400') end "
    "if it.audit and add('XADD', it.audit, '*', unpack(A, it.t0 + 1, it.t0 + it.tn)) == false then "
    "return redis.error_reply(e1) end "
    "if it.cool and add('SET', it.cool, now, 'EX', '3600') == false then "
    "return redis.error_reply(e1) end "
    "if it.infl and redis.pcall('GET', it.infl) == it.pid then "
    "add('DEL', it.infl) end "
    POS_LUA_WRITES
    "return out end "
    "local replies, ins = {}, {} "
    "for i, it in ipairs(items) do local o = one(it) replies[i] = o "
    "if not o.err and o[1] ~= 'decided' then ins[#ins + 1] = i end end "
    /* for the items not refused: counters, resets, then one XACK */
    "local function fin(c, k, ...) local r = redis.pcall(c, k, ...) "
    "if type(r) == 'table' and r.err then local e = r.err .. ' [' .. c .. ' ' .. k .. ']' "
    "if not wrote then return e end "
    "for _, i in ipairs(ins) do local o = replies[i] o[1] = 'partial' o[#o + 1] = e end "
    "else wrote = true end end "
    "local sum, order = {}, {} "
    "for _, i in ipairs(ins) do local it = items[i] for j = 1, it.cn, 2 do "
    "local nm = A[it.c0 + j] if not sum[nm] then sum[nm] = 0 order[#order + 1] = nm end "
    "sum[nm] = sum[nm] + tonumber(A[it.c0 + j + 1]) end end "
    "for _, nm in ipairs(order) do local e = fin('HINCRBY', K[2], nm, sum[nm]) "
    "if e then return redis.error_reply(e) end end "
    "local resets = {} "
    "for _, i in ipairs(ins) do local z = items[i].reset "
    "if z and not resets[z] then resets[z] = true local e = fin('SET', z, '0') "
    "if e then return redis.error_reply(e) end end end "
    "local ack = {} "
    "for _, i in ipairs(ins) do if replies[i][1] == 'ok' then ack[#ack + 1] = items[i].id end end "
    "if #ack > 0 then local e = fin('XACK', K[1], group, unpack(ack)) "
    "if e then return redis.error_reply(e) end end "
    "return replies";

/*
 * Sent as EVALSHA where Redis has it (script.c), so that Redis neither
 * receives nor hashes the script's text for every call; inside a caller's
 * MULTI (where a NOSCRIPT would not stop the transaction's other
 * commands) as EVAL.
 */
static struct script settle = SCRIPT_INIT("the settle script", settle_script);

int settle_load(struct conn *k)
{
	if (script_load(k, &settle) < 0)
		return -1;
	log_info("settle script loaded: results are sent as EVALSHA %.12s",
	    settle.sha);
	return 0;
}

int settle_fill(const struct result *r, struct position_fill *f)
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

/* A list of strings for one command (grown as needed). */
struct vec {
	const char **v;
	size_t *len;
	size_t n, cap;
};

static void put(struct vec *x, const char *s, size_t n)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 256;
		x->v = realloc(x->v, x->cap * sizeof(*x->v));
		x->len = realloc(x->len, x->cap * sizeof(*x->len));
		if (!x->v || !x->len)
			fatalx("out of memory");
	}
	x->v[x->n] = s;
	x->len[x->n++] = n;
}

static void str(struct vec *x, const char *s)
{
	put(x, s, strlen(s));
}

/* What one item's arguments point into, until the call is formatted. */
struct item_buf {
	char done[sizeof(KEY_DONE) + PLAN_ID_MAX + 8];
	char claim[sizeof(KEY_CLAIM) + PLAN_ID_MAX + 8];
	char cool[sizeof(KEY_COOLDOWN) + SYMBOL_MAX + 8];
	char infl[sizeof(KEY_INFLIGHT) + SYMBOL_MAX + 8];
	char flags[16];
	char num[C_COUNT + 8][24];
	int nnum;
	char *details;
	struct position_args pa;
};

static const char *num(struct item_buf *b, long long v)
{
	if (b->nnum >= (int)(sizeof(b->num) / sizeof(b->num[0])))
		fatalx("settle script: too many numbers");
	char *s = b->num[b->nnum++];
	snprintf(s, sizeof(b->num[0]), "%lld", v);
	return s;
}

/* A field list: its length, then its names and values. */
static void fields(struct vec *a, struct item_buf *b, const char *const *f,
    size_t n)
{
	str(a, num(b, (long long)n));
	for (size_t i = 0; i < n; i++)
		str(a, f[i]);
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

/* Item t's keys into keys, its arguments into a (strings kept in b). */
static void item(struct vec *keys, struct vec *a, struct item_buf *b,
    const struct settings *s, const struct settle_item *t, long long tsec,
    const char *ts)
{
	const struct result *r = t->r;
	unsigned char counts[C_COUNT];
	struct position_fill pf;
	int fl = 0, ncount = 0;

	memcpy(counts, t->counts, sizeof(counts));
	harvest_count(r, counts);
	if (r) {
		b->flags[fl++] = 'R';
		str(keys, s->result_stream);
		/* refused at its lane guard: nothing in the plan_id space */
		if (r->plan_id[0] && !r->guard_refused) {
			b->flags[fl++] = 'P';
			snprintf(b->done, sizeof(b->done), KEY_DONE "%s", r->plan_id);
			snprintf(b->claim, sizeof(b->claim), KEY_CLAIM "%s", r->plan_id);
			str(keys, b->done);
			str(keys, b->claim);
			if (r->claimed)
				b->flags[fl++] = 'C';
			if (r->claimed && !t->dead)
				b->flags[fl++] = 'W';
		}
		if (r->audit_reason) {
			b->flags[fl++] = 'A';
			str(keys, KEY_AUDIT_STREAM);
		}
		if (r->executed) {
			b->flags[fl++] = 'X';
			snprintf(b->cool, sizeof(b->cool), KEY_COOLDOWN "%s", r->symbol);
			str(keys, b->cool);
		}
		if (r->res) {           /* it went to the executor: sent */
			b->flags[fl++] = 'I';
			snprintf(b->infl, sizeof(b->infl), KEY_INFLIGHT "%s", r->symbol);
			str(keys, b->infl);
		}
		if (r->reset_key) {
			b->flags[fl++] = 'Z';
			str(keys, r->reset_key);
		}
	}
	if (t->dead) {
		b->flags[fl++] = 'D';
		str(keys, t->dead->key);
	}
	int lg = settle_fill(r, &pf);
	if (lg) {
		b->flags[fl++] = 'L';
		position_args(&b->pa, &pf, wall_ms());
		for (int i = 0; i < POS_KEYS; i++)
			str(keys, b->pa.keys[i]);
	}
	b->flags[fl] = '\0';
	str(a, t->id);
	str(a, b->flags);
	str(a, r && r->claim_state ? r->claim_state : "settled");
	str(a, r && r->res && r->res->order_id[0] ? r->res->order_id : "-");
	str(a, r ? r->plan_id : "");
	for (int i = 0; i < C_COUNT; i++)
		ncount += counts[i] > 0;
	str(a, num(b, 2LL * ncount));
	for (int i = 0; i < C_COUNT; i++)
		if (counts[i] > 0) {
			str(a, counter_name((enum counter)i));
			str(a, num(b, counts[i]));
		}
	if (r) {
		if (!(b->details = result_details(r, tsec)))
			fatalx("out of memory");
		const char *f[] = { "event_type", "apply.result", "plan_id",
			r->plan_id, "symbol", r->symbol, "executed",
			r->executed ? "true" : "false", "source", "intent_executor",
			"timestamp", ts, "details", b->details };
		fields(a, b, f, sizeof(f) / sizeof(f[0]));
	} else {
		str(a, "0");
	}
	if (r && r->audit_reason) {
		const char *f[] = { "action", "plan.conflict", "operator",
			"intent_executor", "lane", lane_name(r->lane), "plan_id",
			r->plan_id, "stream_id", r->stream_id, "reason",
			r->audit_reason, "timestamp", ts };
		fields(a, b, f, sizeof(f) / sizeof(f[0]));
	} else {
		str(a, "0");
	}
	/* the copy's own strings go straight into the command */
	str(a, num(b, t->dead ? (long long)t->dead->n : 0));
	for (size_t i = 0; t->dead && i < t->dead->n; i++)
		put(a, t->dead->argv[i], t->dead->len[i]);
	if (lg) {               /* the ledger's list, last */
		str(a, num(b, POS_ARGS));
		for (int i = 0; i < POS_ARGS; i++)
			str(a, b->pa.argv[i]);
	}
}

void settle_append(struct conn *k, const struct settings *s,
    const char *stream, const char *group, const struct settle_item *it,
    int n)
{
	struct vec keys = { 0 }, a = { 0 }, cmd = { 0 };
	char ts[24], now[24], nitems[16], nkeys[16];
	const char *lane = "-";

	if (n < 1 || n > SETTLE_MAX)
		fatalx("settle script: %d entries in one call", n);
	struct item_buf *b = calloc((size_t)n, sizeof(*b));
	if (!b)
		fatalx("out of memory");
	for (int i = 0; i < n; i++)
		if (it[i].r) {
			if (strcmp(lane, "-") != 0 &&
			    strcmp(lane, lane_name(it[i].r->lane)) != 0)
				fatalx("settle script: entries of two lanes in one call");
			lane = lane_name(it[i].r->lane);
		}
	int64_t ms = wall_ms();
	snprintf(ts, sizeof(ts), "%lld", (long long)(ms / 1000));
	snprintf(now, sizeof(now), "%lld", (long long)ms);
	snprintf(nitems, sizeof(nitems), "%d", n);
	str(&keys, stream);
	str(&keys, KEY_METRICS);
	str(&a, group);
	str(&a, lane);
	str(&a, now);
	str(&a, nitems);
	int eval = 0;
	for (int i = 0; i < n; i++) {
		item(&keys, &a, &b[i], s, &it[i], (long long)(ms / 1000), ts);
		eval |= it[i].dead != NULL;
	}
	const char *head[2];
	size_t hlen[2];
	script_head(&settle, k, eval, head, hlen);
	put(&cmd, head[0], hlen[0]);
	put(&cmd, head[1], hlen[1]);
	snprintf(nkeys, sizeof(nkeys), "%zu", keys.n);
	str(&cmd, nkeys);
	for (size_t i = 0; i < keys.n; i++)
		put(&cmd, keys.v[i], keys.len[i]);
	for (size_t i = 0; i < a.n; i++)
		put(&cmd, a.v[i], a.len[i]);
	conn_append_argv(k, (int)cmd.n, cmd.v, cmd.len);
	for (int i = 0; i < n; i++)
		free(b[i].details);
	free(b);
	free(keys.v);
	free(keys.len);
	free(a.v);
	free(a.len);
	free(cmd.v);
	free(cmd.len);
}

