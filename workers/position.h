/*
 * position.h - the position ledger (CONTRACT.md, "Position ledger"): after
 * a fill, the symbol's ledger hash (KEY_LEDGER<SYM>) and the set of the
 * order ids counted (KEY_SEEN_ORDERS), and when the position goes flat the
 * other services' position keys deleted and one trade.closed entry.  It is
 * written by the settle script of the fill's result (settle.c), in the
 * same call, so that no crash can count a fill twice or not at all: this
 * header holds the script's ledger parts (Lua, pasted into settle.c's
 * script) and the arguments and reply they take.
 *
 * The script's ledger keys (flag L; after the others): the ledger hash,
 * the seen set, KEY_STATE_POSITIONS, KEY_POSITION_SNAPSHOT and
 * KEY_POSITION of the symbol, KEY_TRADE_CLOSED.  Its ledger list (the last
 * list of ARGV), POS_ARG_* below: the order id, BUY, SELL or CLOSE (a
 * fill toward zero, always reduce-only), the filled
 * quantity, the fill's price, reduce-only (1 or 0), the plan's leverage,
 * now (unix seconds), now (ISO 8601 UTC), the amount after the fill as
 * the exchange says and its entry price ("" when not known: the amount is
 * then the previous ledger_amt plus the signed fill, and the entry price
 * is computed as below), confidence, model_id, R_net, reason, the symbol,
 * then the trade.closed entry's source, pnl_usd, entry and exit price
 * ("": computed as below), every_close ("1": a trade.closed entry after
 * every counted close, partial or whole, as the harvest lane wants; else
 * "0": only when the position goes flat) and the closed position's side
 * as the order's side says it (LONG for a SELL, SHORT for a BUY; "": the
 * ledger's side before the fill).
 *
 * Computed in the script, exactly, in integers of 1e-8 as Lua numbers
 * (below 2^53, about 90 million units of a coin): new = ledger_amt + fill
 * (BUY +, SELL -), except that a reduce-only fill never takes the amount
 * across zero (it closes at most the position); the entry price is the
 * weighted average when the position grows on its side (rounded to 1e-8),
 * kept when it shrinks, the fill's price on a new position or after a
 * flip, 0 when flat.  A previous ledger_amt or entry_price that is not a
 * plain decimal (digits, one optional sign and point: no exponent), a hash
 * or set of the wrong type, or a trade.closed key that is no stream is
 * refused before the first write: nothing is written, the reply is an
 * error naming the key, and the worker retries the result.
 *
 * The reply's third element: {} (no fill to count), {'seen'} (the order
 * id was counted before: nothing moved), or {'counted', amount, side,
 * entry price, closed (1 or 0)}.
 */
#ifndef QIE_POSITION_H
#define QIE_POSITION_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "keys.h"
#include "msg.h"
#include "plan.h"

/* the ledger keys the script takes, in order */
#define POS_KEYS 6
enum {
	POS_ARG_ORDER_ID, POS_ARG_SIDE, POS_ARG_QTY, POS_ARG_PRICE,
	POS_ARG_REDUCE_ONLY, POS_ARG_LEVERAGE, POS_ARG_NOW, POS_ARG_ISO,
	POS_ARG_EXCHANGE_AMT, POS_ARG_EXCHANGE_ENTRY, POS_ARG_CONFIDENCE,
	POS_ARG_MODEL_ID, POS_ARG_R_NET, POS_ARG_REASON, POS_ARG_SYMBOL,
	POS_ARG_SOURCE, POS_ARG_PNL_USD, POS_ARG_TC_ENTRY, POS_ARG_TC_EXIT,
	POS_ARG_EVERY_CLOSE, POS_ARG_POS_SIDE,
	POS_ARGS
};

/* What a trade.closed entry says when the plan does not. */
#define POS_DEFAULT_CONFIDENCE "0"
#define POS_DEFAULT_MODEL_ID "intent_executor"
#define POS_DEFAULT_R_NET "0"
#define POS_DEFAULT_REASON "position_closed"
#define POS_DEFAULT_SOURCE "intent_executor"

/* One fill of an executed order, as the ledger counts it. */
struct position_fill {
	const char *symbol;             /* upper case */
	const char *order_id;
	uint8_t side;                   /* SIDE_BUY, SIDE_SELL or SIDE_CLOSE */
	int reduce_only;
	int leverage;
	int64_t filled_qty;             /* > 0, 1e-8 units */
	int64_t price;                  /* its average price */
	/* the position after the fill as the exchange says (issue 16), or
	 * has_exchange 0: computed from the ledger */
	int has_exchange;
	int64_t exchange_amt;           /* signed */
	int64_t exchange_entry;
	uint8_t order_side;             /* the side sent (SIDE_BUY, SIDE_SELL),
					   0 when not known */
	const struct trade_tags *tags;  /* NULL: the defaults above */
};

/* The script's ledger keys and list, built from a fill (strings kept). */
struct position_args {
	char key[POS_KEYS][sizeof(KEY_POSITION_SNAPSHOT) + SYMBOL_MAX + 8];
	const char *keys[POS_KEYS];
	const char *argv[POS_ARGS];
	char num[6][40];
	char pos_side[8];
	char iso[64];
};

void position_args(struct position_args *a, const struct position_fill *f,
    int64_t now_ms);

/* What the ledger did, from the reply's element (position_reply()). */
struct position_out {
	int64_t amt;                    /* signed */
	char side[8];                   /* LONG, SHORT, FLAT */
	int64_t entry;
	int closed;
};

/*
 * Reads the ledger element of a settle reply: 1 counted (o set), 0 not
 * counted ({} or {'seen'}), -1 malformed (*why says what).
 */
int position_reply(const redisReply *x, struct position_out *o,
    const char **why);

/* The LEDGER_COMMIT line of a counted fill (CONTRACT.md's format). */
void position_log(const struct position_fill *f, const struct position_out *o);

/*
 * The script's ledger parts, pasted into settle.c's settle script.
 * Per item of the call (settle.c): POS_LUA_KEYS after the item's other
 * keys are taken (K is KEYS, nk the last key taken, F the item's flags,
 * it the item), POS_LUA_LIST after its other lists (A is ARGV, na the
 * next argument); POS_LUA_FUNCS once, before the items are decided;
 * POS_LUA_CHECK with the item's other checks, before its first write
 * (lk and la the item's keys and list; it may return bad(...));
 * POS_LUA_WRITES with its other writes (add(...), never the first).  lgo
 * is the item's reply element.
 */
#define POS_LUA_KEYS                                                         \
	"if F.L then it.lk = {K[nk + 1], K[nk + 2], K[nk + 3], K[nk + 4], "  \
	"K[nk + 5], K[nk + 6]} nk = nk + 6 end "
#define POS_LUA_LIST                                                         \
	"if it.lk then local n = tonumber(A[na]) "                           \
	"it.la = {unpack(A, na + 1, na + n)} na = na + n + 1 end "
#define POS_LUA_FUNCS                                                        \
	"local S, MAX = 100000000, 9007199254740992 "                        \
	"local function dec(s) if not s or s == '' then s = '0' end "        \
	"local sg, i, f = string.match(s, '^(%-?)(%d*)%.?(%d*)$') "          \
	"if not sg or #i + #f == 0 or #i > 16 then return nil end "          \
	"local u = tonumber(i == '' and '0' or i) * S "                      \
	"+ tonumber(string.sub(f .. '00000000', 1, 8)) "                     \
	"if (string.byte(f, 9) or 0) >= 53 then u = u + 1 end "              \
	"if u >= MAX then return nil end "                                   \
	"if sg == '-' then return -u end return u end "                      \
	"local function fmt(u) if u == 0 then return '0' end "               \
	"local sg = '' if u < 0 then sg, u = '-', -u end "                   \
	"local i = math.floor(u / S) local f = u - i * S "                   \
	"if f < 0 then i, f = i - 1, f + S elseif f >= S then i, f = i + 1, f - S end " \
	"local s = sg .. string.format('%.0f', i) "                          \
	"if f > 0 then s = s .. '.' .. (string.gsub(string.format('%08.0f', f), '0+$', '')) end " \
	"return s end "                                                      \
	"local function rnd(x) return math.floor(x + 0.5) end "              \
	"local function pside(u) if u > 0 then return 'LONG' elseif u < 0 then " \
	"return 'SHORT' end return 'FLAT' end "
#define POS_LUA_CHECK                                                        \
	"local lgo, lgv = {}, nil "                                          \
	"if lk then "                                                        \
	"local h = redis.pcall('HMGET', lk[1], 'ledger_amt', 'entry_price') " \
	"if h.err then return bad(h.err, 'HSET', lk[1]) end "                \
	"local old, oldp = dec(h[1] or nil), dec(h[2] or nil) "              \
	"if not old then return bad('ERR ledger_amt is not a plain decimal in range', 'HSET', lk[1]) end " \
	"if not oldp or oldp < 0 then return bad('ERR entry_price is not a plain decimal in range', 'HSET', lk[1]) end " \
	"local seen = redis.pcall('SISMEMBER', lk[2], la[1]) "               \
	"if type(seen) == 'table' and seen.err then return bad(seen.err, 'SADD', lk[2]) end " \
	"if seen == 1 then lgo = {'seen'} else "                             \
	"local q, p = dec(la[3]), dec(la[4]) "                               \
	"local new = old + ((la[2] == 'BUY' or (la[2] == 'CLOSE' and old < 0)) and q or -q) " \
	"if la[5] == '1' and ((old >= 0 and new < 0) or (old <= 0 and new > 0)) then new = 0 end " \
	"if la[9] ~= '' then new = dec(la[9]) end "                          \
	"if not new or math.abs(new) >= MAX then "                           \
	"return bad('ERR the new ledger_amt is out of range', 'HSET', lk[1]) end " \
	"local e, an, ao = oldp, math.abs(new), math.abs(old) "              \
	"if new == 0 then e = 0 elseif old == 0 or (old > 0) ~= (new > 0) then e = p " \
	"elseif an > ao then e = oldp + rnd((p - oldp) * (an - ao) / an) end " \
	"if la[10] ~= '' then e = dec(la[10]) or e end "                     \
	"local closed = new == 0 and old ~= 0 "                              \
	"local tc = closed or la[20] == '1' "                                \
	"if tc then local t = redis.pcall('TYPE', lk[6]) "                   \
	"if t.err then return bad(t.err, 'XADD', lk[6]) end t = t.ok "       \
	"if t ~= 'stream' and t ~= 'none' then "                             \
	"return bad('WRONGTYPE the key holds a ' .. t, 'XADD', lk[6]) end end " \
	"lgv = {new = new, e = e, old = old, oldp = oldp, p = p, q = q, closed = closed, tc = tc} " \
	"lgo = {'counted', fmt(new), pside(new), fmt(e), closed and '1' or '0'} " \
	"end end "
#define POS_LUA_WRITES                                                       \
	"if lgv then local n, e, q, sd = fmt(lgv.new), fmt(lgv.e), fmt(lgv.q), pside(lgv.new) " \
	"add('SADD', lk[2], la[1]) "                                         \
	"add('HSET', lk[1], 'ledger_amt', n, 'position_amt', n, 'last_known_amt', n, " \
	"'qty', fmt(math.abs(lgv.new)), 'ledger_side', sd, 'side', sd, 'last_side', sd, " \
	"'entry_price', e, 'avg_entry_price', e, 'unrealized_pnl', '0', "    \
	"'leverage', la[6], 'last_order_id', la[1], 'last_filled_qty', q, "  \
	"'last_executed_qty', q, 'last_update_ts', la[7], 'updated_at', la[7], " \
	"'synced_at', la[7], 'source', 'intent_executor_exactly_once') "     \
	"if lgv.closed then add('DEL', lk[3], lk[4], lk[5]) end "          \
	"if lgv.tc then "                                                    \
	"local ps = la[21] ~= '' and la[21] or pside(lgv.old) "              \
	"local d = (lgv.p - lgv.oldp) * (ps == 'SHORT' and -1 or 1) "        \
	"local pct = lgv.oldp > 0 and rnd(d * 100 * S / lgv.oldp) or 0 "     \
	"local function given(v, dflt) if v ~= '' then return v end return dflt end " \
	"add('XADD', lk[6], 'MAXLEN', '~', '1000', '*', 'event_type', 'trade.closed', " \
	"'timestamp', la[8], 'symbol', la[15], 'side', ps, "                 \
	"'entry_price', given(la[18], fmt(lgv.oldp)), 'exit_price', given(la[19], fmt(lgv.p)), " \
	"'pnl_percent', fmt(pct), "                                          \
	"'confidence', la[11], 'model_id', la[12], 'R_net', la[13], "        \
	"'pnl_usd', given(la[17], fmt(rnd(d * math.abs(lgv.old - lgv.new) / S))), 'reason', la[14], " \
	"'order_id', la[1], 'source', la[16]) end end "

#endif
