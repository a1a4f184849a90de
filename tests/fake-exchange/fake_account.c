/*
 * fake_account.c - the fake exchange's account (see fake_int.h), after
 * Binance USDT-M futures' documented rules:
 *
 * - Position mode: one-way (positionSide BOTH) or hedge (LONG and SHORT
 *   kept apart).  GET /fapi/v1/positionSide/dual answers it; POST changes
 *   it, refused with -4059 when it is that already, -4067 while an order is
 *   open and -4068 while any position is.  The start mode: --mode hedge.
 * - Orders in hedge mode carry positionSide LONG or SHORT and no
 *   reduceOnly (-1106); one-way orders carry BOTH or none (-4061 either
 *   way, -4060 for a value that is no side).  A hedge order that closes
 *   (SELL LONG, BUY SHORT) may not exceed its position (-2022); so may a
 *   one-way reduceOnly order, which may neither grow nor flip the position
 *   (-2022), when the account checks reduce-only orders (--mode
 *   reduce_check; off by default, so that tests written before it may
 *   send reduce-only orders from a flat account).
 * - Positions per symbol and side, moved by fills: the amount (signed,
 *   short is negative), the entry price as the fills' weighted average, the
 *   symbol's leverage.  GET /fapi/v2/positionRisk lists them.
 * - POST /fapi/v1/leverage sets a symbol's leverage (1..125; 20 at start;
 *   -4028 for any other value); every call, answered or refused, is
 *   recorded for the tests (GET /_fake/account, the last 256).
 * Runs under fake_api.c's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "fake_int.h"

#define LEVERAGE_START 20
#define LEVERAGE_MAX 125
#define LEVERAGE_LOG 256

struct fpos {
	int64_t amt;            /* signed, decimal.h units */
	int64_t entry;
	int64_t time;
};

const char *const fake_ps_names[PS_COUNT] = { "BOTH", "LONG", "SHORT" };

static struct {
	int hedge, reduce_check;
	int start_hedge, start_reduce_check, started;
	long start_long;        /* whole units of every symbol held at start */
	int lev_4028;           /* leverage calls still answered -4028 */
	struct fpos pos[FAKE_SYMS_MAX][PS_COUNT];
	int lev[FAKE_SYMS_MAX];
	long mode_posts, lev_calls;
	struct lev_call { char symbol[24], leverage[12]; int code; }
	    log[LEVERAGE_LOG];
} A;

static enum fpos_side ps_parse(const char *s)
{
	for (int i = 0; s && i < PS_COUNT; i++)
		if (strcmp(s, fake_ps_names[i]) == 0)
			return (enum fpos_side)i;
	return PS_COUNT;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* A signed decimal; *ok 0 when s is none. */
static int64_t signed_dec(const char *s, int *ok)
{
	int neg = s && s[0] == '-';
	int64_t v = fake_dec(s ? s + neg : NULL);
	*ok = v >= 0;
	return neg ? -v : v;
}

/* Moves the open positions to the other mode (a test control only). */
static void carry_over(int hedge)
{
	for (size_t i = 0; i < fake_nsyms; i++) {
		struct fpos *p = A.pos[i];
		if (hedge && p[PS_BOTH].amt) {
			p[p[PS_BOTH].amt > 0 ? PS_LONG : PS_SHORT] = p[PS_BOTH];
			p[PS_BOTH] = (struct fpos){ 0 };
		} else if (!hedge && (p[PS_LONG].amt || p[PS_SHORT].amt)) {
			int64_t net = p[PS_LONG].amt + p[PS_SHORT].amt;
			p[PS_BOTH] = p[net >= 0 ? PS_LONG : PS_SHORT];
			p[PS_BOTH].amt = net;
			if (!net)
				p[PS_BOTH].entry = 0;
			p[PS_LONG] = p[PS_SHORT] = (struct fpos){ 0 };
		}
	}
}

int fake_account_set_mode(const char *name, int count, long arg)
{
	(void)arg;
	if (strcmp(name, "hedge") == 0) {
		if (A.started)
			carry_over(count != 0);
		A.hedge = count != 0;
		if (!A.started)
			A.start_hedge = A.hedge;
		return 0;
	}
	if (strcmp(name, "long") == 0) {
		if (arg < 0 || arg > 1000000000L)
			return -1;
		A.start_long = count ? arg : 0;
		if (A.started)
			fake_account_reset();
		return 0;
	}
	if (strcmp(name, "leverage_4028") == 0) {
		A.lev_4028 = count;
		return 0;
	}
	if (strcmp(name, "reduce_check") == 0) {
		A.reduce_check = count != 0;
		if (!A.started)
			A.start_reduce_check = A.reduce_check;
		return 0;
	}
	return -1;
}

void fake_account_reset(void)
{
	memset(A.pos, 0, sizeof(A.pos));
	for (size_t i = 0; i < FAKE_SYMS_MAX; i++)
		A.lev[i] = LEVERAGE_START;
	A.hedge = A.start_hedge;
	A.reduce_check = A.start_reduce_check;
	A.mode_posts = A.lev_calls = 0;
	for (size_t i = 0; A.start_long && i < fake_nsyms; i++) {
		struct fpos *p = &A.pos[i][A.hedge ? PS_LONG : PS_BOTH];
		p->amt = (int64_t)A.start_long * 100000000;
		p->entry = fake_dec(fake_syms[i].mark);
		p->time = fake_now_ms();
	}
}

void fake_account_started(void)
{
	if (fake_nsyms > FAKE_SYMS_MAX)
		abort();
	fake_account_reset();
	A.started = 1;
}

int fake_account_hedge(void)
{
	return A.hedge;
}

/* ---- orders ---- */

int fake_account_check_order(struct MHD_Connection *c, const char *side,
    enum fpos_side *ps, int *reduces, struct answer *an)
{
	const char *ro = fake_arg(c, "reduceOnly"), *p = fake_arg(c, "positionSide");
	*ps = p ? ps_parse(p) : PS_BOTH;
	if (*ps == PS_COUNT)
		return fake_fail(an, 400, -4060, "Invalid position side."), -1;
	if (A.hedge) {
		if (ro)
			return fake_fail(an, 400, -1106, "Parameter 'reduceOnly' sent "
			    "when not required."), -1;
		if (*ps == PS_BOTH)
			return fake_fail(an, 400, -4061, "Order's position side does "
			    "not match user's setting."), -1;
		*reduces = (*ps == PS_LONG) == (strcmp(side, "SELL") == 0);
		return 0;
	}
	if (*ps != PS_BOTH)
		return fake_fail(an, 400, -4061, "Order's position side does not "
		    "match user's setting."), -1;
	if (ro && strcmp(ro, "true") != 0 && strcmp(ro, "false") != 0)
		return fake_fail(an, 400, -1130, "Data sent for parameter "
		    "'reduceOnly' is not valid."), -1;
	*reduces = ro && strcmp(ro, "true") == 0;
	return 0;
}

int fake_account_check_reduce(const struct fsym *f, enum fpos_side ps,
    const char *side, int64_t qty, struct answer *an)
{
	if (!A.hedge && !A.reduce_check)
		return 0;
	int64_t amt = A.pos[fake_sym_index(f)][ps].amt;
	/* what this side can shrink: a SELL a long, a BUY a short */
	int64_t room = strcmp(side, "SELL") == 0 ? amt : -amt;
	if (room <= 0 || qty > room)
		return fake_fail(an, 400, -2022, "ReduceOnly Order is rejected."), -1;
	return 0;
}

void fake_account_fill(const struct fsym *f, enum fpos_side ps,
    const char *side, int64_t qty, int64_t price)
{
	struct fpos *p = &A.pos[fake_sym_index(f)][ps];
	int64_t delta = strcmp(side, "BUY") == 0 ? qty : -qty;
	int64_t old = p->amt, now = old + delta;

	if (old == 0 || (old > 0) == (delta > 0)) {
		__int128 cost = (__int128)abs64(old) * p->entry +
		    (__int128)qty * price;
		p->entry = (int64_t)(cost / (abs64(old) + qty));
	} else if (now == 0) {
		p->entry = 0;
	} else if ((now > 0) != (old > 0)) {
		p->entry = price;       /* flipped: the rest opened at this fill */
	}
	p->amt = now;
	p->time = fake_now_ms();
}

/* ---- endpoints ---- */

void fake_account_get_mode(struct MHD_Connection *c, struct answer *an)
{
	(void)c;
	an->status = 200;
	an->body = json_pack("{s:b}", "dualSidePosition", A.hedge);
}

static int any_position(void)
{
	for (size_t i = 0; i < fake_nsyms; i++)
		for (int s = 0; s < PS_COUNT; s++)
			if (A.pos[i][s].amt)
				return 1;
	return 0;
}

void fake_account_post_mode(struct MHD_Connection *c, struct answer *an)
{
	const char *v = fake_arg(c, "dualSidePosition");
	A.mode_posts++;
	if (!v || !*v)
		return fake_fail(an, 400, -1102, "Mandatory parameter "
		    "'dualSidePosition' was not sent, was empty/null, or malformed.");
	if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return fake_fail(an, 400, -1130, "Data sent for parameter "
		    "'dualSidePosition' is not valid.");
	int want = strcmp(v, "true") == 0;
	if (want == A.hedge)
		return fake_fail(an, 400, -4059, "No need to change position side.");
	if (fake_book_open_orders())
		return fake_fail(an, 400, -4067, "Position side cannot be changed if "
		    "there exists open orders.");
	if (any_position())
		return fake_fail(an, 400, -4068, "Position side cannot be changed if "
		    "there exists position.");
	A.hedge = want;
	an->status = 200;
	an->body = json_pack("{s:i,s:s}", "code", 200, "msg", "success");
}

/* The fake's own brackets: a higher leverage allows a smaller notional. */
static json_t *max_notional(int lev)
{
	static const struct { int lev; const char *cap; } b[] = {
		{ 5, "50000000" }, { 10, "20000000" }, { 20, "5000000" },
		{ 50, "1000000" }, { 100, "250000" }, { LEVERAGE_MAX, "50000" } };
	size_t i = 0;
	while (i + 1 < sizeof(b) / sizeof(b[0]) && lev > b[i].lev)
		i++;
	return json_string(b[i].cap);
}

/* A whole number 1..LEVERAGE_MAX written plainly, else -1. */
static int parse_leverage(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 3 || strspn(s, "0123456789") != n || s[0] == '0')
		return -1;
	int v = atoi(s);
	return v <= LEVERAGE_MAX ? v : -1;
}

/* Records one leverage call as it came, and how it was answered. */
static void log_leverage(const char *s, const char *l, const struct answer *an)
{
	struct lev_call *e = &A.log[A.lev_calls++ % LEVERAGE_LOG];
	snprintf(e->symbol, sizeof(e->symbol), "%s", s ? s : "");
	snprintf(e->leverage, sizeof(e->leverage), "%s", l ? l : "");
	e->code = an->status == 200 ? 200 :
	    (int)json_integer_value(json_object_get(an->body, "code"));
}

static void leverage(const char *s, const char *l, struct answer *an)
{
	char msg[64];
	if (!s || !l)
		return fake_fail(an, 400, -1102, s ? "Mandatory parameter 'leverage' "
		    "was not sent, was empty/null, or malformed." : "Mandatory "
		    "parameter 'symbol' was not sent, was empty/null, or malformed.");
	const struct fsym *f = fake_find_sym(s);
	if (!f)
		return fake_fail(an, 400, -1121, "Invalid symbol.");
	int v = parse_leverage(l);
	if (v < 0 || (A.lev_4028 > 0 && A.lev_4028--)) {
		snprintf(msg, sizeof(msg), "Leverage %.8s is not valid", l);
		return fake_fail(an, 400, -4028, msg);
	}
	A.lev[fake_sym_index(f)] = v;
	an->status = 200;
	an->body = json_pack("{s:i,s:o,s:s}", "leverage", v, "maxNotionalValue",
	    max_notional(v), "symbol", f->symbol);
}

void fake_account_leverage(struct MHD_Connection *c, struct answer *an)
{
	const char *s = fake_arg(c, "symbol"), *l = fake_arg(c, "leverage");
	leverage(s, l, an);
	log_leverage(s, l, an);
}

/* amt * (mark - entry), signed. */
static int64_t unrealized(const struct fpos *p, int64_t mark)
{
	int64_t diff = mark - p->entry;
	int64_t v = dec_mul(abs64(p->amt), abs64(diff));
	return (p->amt < 0) != (diff < 0) ? -v : v;
}

static json_t *risk_entry(size_t i, enum fpos_side s)
{
	const struct fsym *f = &fake_syms[i];
	const struct fpos *p = &A.pos[i][s];
	int64_t mark = fake_dec(f->mark);
	char lev[8];
	snprintf(lev, sizeof(lev), "%d", A.lev[i]);
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o,s:s,s:s,s:s,s:s,"
	    "s:o,s:s,s:I}",
	    "symbol", f->symbol, "positionAmt", fake_signed_str(p->amt),
	    "entryPrice", fake_dec_str(p->entry),
	    "breakEvenPrice", fake_dec_str(p->entry),
	    "markPrice", fake_dec_str(mark),
	    "unRealizedProfit", fake_signed_str(unrealized(p, mark)),
	    "liquidationPrice", "0", "leverage", lev,
	    "maxNotionalValue", max_notional(A.lev[i]),
	    "marginType", "cross", "isolatedMargin", "0.00000000",
	    "isAutoAddMargin", "false", "positionSide", fake_ps_names[s],
	    "notional", fake_signed_str(p->amt < 0 ? -dec_mul(-p->amt, mark) :
		dec_mul(p->amt, mark)),
	    "isolatedWallet", "0", "updateTime", (json_int_t)p->time);
}

void fake_account_position_risk(struct MHD_Connection *c, struct answer *an)
{
	const char *s = fake_arg(c, "symbol");
	const struct fsym *only = s ? fake_find_sym(s) : NULL;
	if (s && !only)
		return fake_fail(an, 400, -1121, "Invalid symbol.");
	json_t *list = json_array();
	for (size_t i = 0; i < fake_nsyms; i++) {
		if (only && only != &fake_syms[i])
			continue;
		if (A.hedge) {
			json_array_append_new(list, risk_entry(i, PS_LONG));
			json_array_append_new(list, risk_entry(i, PS_SHORT));
		} else {
			json_array_append_new(list, risk_entry(i, PS_BOTH));
		}
	}
	an->status = 200;
	an->body = list;
}

/* ---- test controls ---- */

void fake_account_json(struct answer *an)
{
	json_t *lev = json_object(), *calls = json_array(), *pos = json_array();
	for (size_t i = 0; i < fake_nsyms; i++) {
		json_object_set_new(lev, fake_syms[i].symbol, json_integer(A.lev[i]));
		for (int s = 0; s < PS_COUNT; s++)
			if (A.pos[i][s].amt)
				json_array_append_new(pos, json_pack("{s:s,s:s,s:o,s:o}",
				    "symbol", fake_syms[i].symbol, "positionSide",
				    fake_ps_names[s], "positionAmt",
				    fake_signed_str(A.pos[i][s].amt), "entryPrice",
				    fake_dec_str(A.pos[i][s].entry)));
	}
	long first = A.lev_calls > LEVERAGE_LOG ? A.lev_calls - LEVERAGE_LOG : 0;
	for (long k = first; k < A.lev_calls; k++)
		json_array_append_new(calls, json_pack("{s:s,s:s,s:i}", "symbol",
		    A.log[k % LEVERAGE_LOG].symbol, "leverage",
		    A.log[k % LEVERAGE_LOG].leverage, "code",
		    A.log[k % LEVERAGE_LOG].code));
	an->status = 200;
	an->body = json_pack("{s:b,s:b,s:o,s:I,s:o,s:o,s:I,s:I}",
	    "dualSidePosition", A.hedge, "reduceCheck", A.reduce_check,
	    "leverage", lev, "leverage_call_count", (json_int_t)A.lev_calls,
	    "leverage_calls", calls, "positions", pos,
	    "position_mode_posts", (json_int_t)A.mode_posts,
	    "gzip_replies", (json_int_t)fake_gzip_count());
}

/* POST /_fake/position?symbol=&side=BOTH|LONG|SHORT&amt=<signed>[&entry=] */
void fake_account_set_position(struct MHD_Connection *c, struct answer *an)
{
	const struct fsym *f = fake_find_sym(fake_arg(c, "symbol"));
	enum fpos_side s = ps_parse(fake_arg(c, "side"));
	const char *e = fake_arg(c, "entry");
	int ok;
	int64_t amt = signed_dec(fake_arg(c, "amt"), &ok);
	int64_t entry = e ? fake_dec(e) : f ? fake_dec(f->mark) : -1;
	if (!f || s == PS_COUNT || !ok || entry < 0 ||
	    (s == PS_LONG && amt < 0) || (s == PS_SHORT && amt > 0) ||
	    (s == PS_BOTH) == A.hedge)
		return fake_fail(an, 400, -1, "want symbol, side (of the account's "
		    "mode), amt (signed as the side) and entry");
	struct fpos *p = &A.pos[fake_sym_index(f)][s];
	p->amt = amt;
	p->entry = amt ? entry : 0;
	p->time = fake_now_ms();
	an->status = 200;
	an->body = json_pack("{s:b}", "ok", 1);
}
