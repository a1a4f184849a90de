/*
 * test_binance_account.c - the account side of the binance backend, pure
 * (executor/binance_account.c, binance_account_parse.c): the parsers of
 * positionSide/dual, positionRisk and leverage replies, the order for a
 * plan in each position mode with every reduce and close rule, and the
 * exact parameter strings.  No network.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "binance_account.h"
#include "decimal.h"

static int64_t D(const char *s)
{
	int64_t v;
	const char *why;
	int neg = s[0] == '-';
	cr_assert_eq(dec_parse(s + neg, strlen(s + neg), &v, &why), 0, "%s", s);
	return neg ? -v : v;
}

static char err[256];

/* ---- positionSide/dual ---- */

static int mode_of(const char *body, enum bn_pos_mode *m)
{
	err[0] = '\0';
	return bn_parse_position_mode(body, strlen(body), m, err, sizeof(err));
}

Test(position_mode, true_is_hedge_false_is_one_way)
{
	enum bn_pos_mode m = BN_ONE_WAY;
	cr_assert_eq(mode_of("{\"dualSidePosition\":true}", &m), 0);
	cr_assert_eq(m, BN_HEDGE);
	cr_assert_eq(mode_of(" { \"dualSidePosition\" : false } ", &m), 0);
	cr_assert_eq(m, BN_ONE_WAY);
}

Test(position_mode, rejects_anything_else)
{
	static const char *const bad[][2] = {
		{ "{\"dualSidePosition\":\"true\"}", "dualSidePosition: not true or false" },
		{ "{\"dualSidePosition\":1}", "dualSidePosition: not true or false" },
		{ "{\"dualSidePosition\":null}", "dualSidePosition: not true or false" },
		{ "{}", "dualSidePosition: missing" },
		{ "[true]", "not a JSON object" },
		{ "{\"dualSidePosition\":true} x", "not JSON" },
		{ "{\"dualSidePosition\":true,\"dualSidePosition\":false}", "not JSON" },
		{ "", "reply body of 0 bytes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum bn_pos_mode m = BN_HEDGE;
		cr_assert_eq(mode_of(bad[i][0], &m), -1, "%s", bad[i][0]);
		cr_assert(strncmp(err, bad[i][1], strlen(bad[i][1])) == 0,
		    "%s: %s", bad[i][0], err);
		cr_assert_eq(m, BN_HEDGE, "left as it was");
	}
}

/* ---- positionRisk ---- */

#define ENTRY(sym, side, amt, entry, lev) \
	"{\"symbol\":\"" sym "\",\"positionSide\":\"" side "\"," \
	"\"positionAmt\":\"" amt "\",\"entryPrice\":\"" entry "\"," \
	"\"breakEvenPrice\":\"0.0\",\"markPrice\":\"3000.5\"," \
	"\"unRealizedProfit\":\"-1.25000000\",\"liquidationPrice\":\"0\"," \
	"\"leverage\":\"" lev "\",\"maxNotionalValue\":\"5000000\"," \
	"\"marginType\":\"cross\",\"isolatedMargin\":\"0.00000000\"," \
	"\"isAutoAddMargin\":\"false\",\"notional\":\"0\"," \
	"\"isolatedWallet\":\"0\",\"updateTime\":1700000000000}"

static struct bn_positions T;

static int risk(const char *body, const struct strlist *want)
{
	err[0] = '\0';
	return bn_parse_position_risk(body, strlen(body), want, &T, err,
	    sizeof(err));
}

static struct strlist want_eth_btc(void)
{
	struct strlist w = { .n = 2 };
	snprintf(w.item[0], sizeof(w.item[0]), "ETHUSDT");
	snprintf(w.item[1], sizeof(w.item[1]), "BTCUSDT");
	return w;
}

Test(position_risk, one_way_entries)
{
	int n = risk("[" ENTRY("ETHUSDT", "BOTH", "-0.010", "2950.25", "7") ","
	    ENTRY("BTCUSDT", "BOTH", "0.000", "0.0", "20") "]", NULL);
	cr_assert_eq(n, 2, "%s", err);
	const struct bn_position *p = bn_position_find(&T, "ETHUSDT", BN_PS_BOTH);
	cr_assert_not_null(p);
	cr_assert_eq(p->amount, D("-0.01"));
	cr_assert_eq(p->entry_price, D("2950.25"));
	cr_assert_eq(p->mark_price, D("3000.5"));
	cr_assert_eq(p->unrealized, D("-1.25"));
	cr_assert_eq(p->leverage, 7);
	p = bn_position_find(&T, "BTCUSDT", BN_PS_BOTH);
	cr_assert(p && p->amount == 0 && p->entry_price == 0 && p->leverage == 20);
	cr_assert_null(bn_position_find(&T, "BTCUSDT", BN_PS_LONG));
	cr_assert_null(bn_position_find(&T, "XRPUSDT", BN_PS_BOTH));
}

Test(position_risk, hedge_entries_and_the_allowlist)
{
	struct strlist w = want_eth_btc();
	int n = risk("[" ENTRY("ETHUSDT", "LONG", "0.5", "3000", "10") ","
	    ENTRY("ETHUSDT", "SHORT", "-0.2", "3100", "10") ","
	    ENTRY("DOGEUSDT", "LONG", "0", "0", "5") "]", &w);
	cr_assert_eq(n, 2, "%s", err);
	cr_assert_eq(bn_position_find(&T, "ETHUSDT", BN_PS_LONG)->amount, D("0.5"));
	cr_assert_eq(bn_position_find(&T, "ETHUSDT", BN_PS_SHORT)->amount, D("-0.2"));
	cr_assert_null(bn_position_find(&T, "DOGEUSDT", BN_PS_LONG),
	    "not on the allowlist: not kept");
	cr_assert_eq(risk("[]", &w), 0, "no positions at all is an answer");
}

Test(position_risk, rejects_what_it_does_not_expect)
{
	static const char *const bad[][2] = {
		{ "{}", "not a JSON array" },
		{ "[1]", "position 0: not an object" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "1") "] ,", "not JSON" },
		{ "[" ENTRY("ETHUSDT", "MIDDLE", "0", "0", "1") "]",
		  "position 0: positionSide: not BOTH, LONG or SHORT" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "1e3", "1", "1") "]",
		  "position 0: positionAmt: " },
		{ "[" ENTRY("ETHUSDT", "BOTH", "--1", "1", "1") "]",
		  "position 0: positionAmt: " },
		{ "[" ENTRY("ETHUSDT", "BOTH", "-", "1", "1") "]",
		  "position 0: positionAmt: " },
		{ "[" ENTRY("ETHUSDT", "BOTH", "+1", "1", "1") "]",
		  "position 0: positionAmt: " },
		{ "[" ENTRY("ETHUSDT", "BOTH", "1", "-3000", "1") "]",
		  "position 0: entryPrice: " },
		{ "[" ENTRY("ETHUSDT", "BOTH", "1", "0", "1") "]",
		  "position 0: entryPrice: 0 for an open position" },
		{ "[" ENTRY("ETHUSDT", "LONG", "-1", "3000", "1") "]",
		  "position 0: positionAmt: signed against positionSide" },
		{ "[" ENTRY("ETHUSDT", "SHORT", "1", "3000", "1") "]",
		  "position 0: positionAmt: signed against positionSide" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "0") "]",
		  "position 0: leverage: not a whole number 1..125" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "126") "]",
		  "position 0: leverage: not a whole number 1..125" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "07") "]",
		  "position 0: leverage: not a whole number 1..125" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "2.5") "]",
		  "position 0: leverage: not a whole number 1..125" },
		{ "[" ENTRY("ETH USDT", "BOTH", "0", "0", "1") "]",
		  "position 0: symbol: unexpected character" },
		{ "[" ENTRY("ETHUSDTETHUSDTETHUSDT", "BOTH", "0", "0", "1") "]",
		  "position 0: symbol: empty or too long" },
		{ "[{\"symbol\":\"ETHUSDT\",\"positionSide\":\"BOTH\","
		  "\"positionAmt\":1}]", "position 0: positionAmt: not a string" },
		{ "[{\"symbol\":\"ETHUSDT\",\"positionSide\":\"BOTH\"}]",
		  "position 0: positionAmt: missing" },
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "1") ","
		  ENTRY("ETHUSDT", "BOTH", "0", "0", "1") "]",
		  "ETHUSDT BOTH listed twice" },
		/* a bad entry of a symbol not wanted still spoils the reply */
		{ "[" ENTRY("ETHUSDT", "BOTH", "0", "0", "1") ","
		  ENTRY("DOGEUSDT", "BOTH", "x", "0", "1") "]",
		  "position 1: positionAmt: " },
	};
	struct strlist w = want_eth_btc();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(risk(bad[i][0], &w), -1, "%zu: %s", i, bad[i][0]);
		cr_assert(strncmp(err, bad[i][1], strlen(bad[i][1])) == 0,
		    "%zu: %s", i, err);
		cr_assert_eq(T.n, 0, "emptied on error");
	}
}

/* ---- leverage ---- */

static int lev(const char *body, int *l, int64_t *cap)
{
	err[0] = '\0';
	return bn_parse_leverage(body, strlen(body), "BTCUSDT", l, cap, err,
	    sizeof(err));
}

Test(leverage, the_documented_answer)
{
	int l = 0;
	int64_t cap = 0;
	cr_assert_eq(lev("{\"leverage\":21,\"maxNotionalValue\":\"1000000\","
	    "\"symbol\":\"BTCUSDT\"}", &l, &cap), 0, "%s", err);
	cr_assert_eq(l, 21);
	cr_assert_eq(cap, D("1000000"));
}

Test(leverage, rejects_anything_else)
{
	static const char *const bad[][2] = {
		{ "{\"leverage\":\"21\",\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}",
		  "leverage: not a whole number 1..125" },
		{ "{\"leverage\":0,\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}",
		  "leverage: not a whole number 1..125" },
		{ "{\"leverage\":126,\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}",
		  "leverage: not a whole number 1..125" },
		{ "{\"leverage\":2.0,\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}",
		  "leverage: not a whole number 1..125" },
		{ "{\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}", "leverage: missing" },
		{ "{\"leverage\":2,\"maxNotionalValue\":\"1\",\"symbol\":\"ETHUSDT\"}",
		  "symbol: not BTCUSDT" },
		{ "{\"leverage\":2,\"maxNotionalValue\":\"1\"}", "symbol: missing" },
		{ "{\"leverage\":2,\"maxNotionalValue\":1,\"symbol\":\"BTCUSDT\"}",
		  "maxNotionalValue: not a string" },
		{ "{\"leverage\":2,\"maxNotionalValue\":\"INF\",\"symbol\":\"BTCUSDT\"}",
		  "maxNotionalValue: " },
		{ "{\"code\":-4028,\"msg\":\"Leverage 0 is not valid\"}", "leverage: missing" },
		{ "{\"leverage\":2,\"maxNotionalValue\":\"1\",\"symbol\":\"BTCUSDT\"}}",
		  "not JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int l = -7;
		int64_t cap = 0;
		cr_assert_eq(lev(bad[i][0], &l, &cap), -1, "%s", bad[i][0]);
		cr_assert(strncmp(err, bad[i][1], strlen(bad[i][1])) == 0,
		    "%s: %s", bad[i][0], err);
		cr_assert_eq(l, -7, "left as it was");
	}
}

/* ---- the order for a plan, and its parameters ---- */

/* The positions of the tests: ETHUSDT long 0.5 (one-way), and in hedge
 * mode ETHUSDT LONG 0.5 and SHORT -0.2, BTCUSDT LONG 0.01. */
static struct bn_positions one_way, hedge;

static void put(struct bn_positions *t, const char *sym, enum bn_pos_side s,
    const char *amt)
{
	struct bn_position *p = &t->p[t->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->symbol, sizeof(p->symbol), "%s", sym);
	p->side = s;
	p->amount = D(amt);
	p->entry_price = D("3000");
	p->leverage = 5;
}

static void setup_positions(void)
{
	one_way.n = hedge.n = 0;
	put(&one_way, "ETHUSDT", BN_PS_BOTH, "0.5");
	put(&one_way, "BTCUSDT", BN_PS_BOTH, "-0.02");
	put(&one_way, "DOGEUSDT", BN_PS_BOTH, "0");
	put(&hedge, "ETHUSDT", BN_PS_LONG, "0.5");
	put(&hedge, "ETHUSDT", BN_PS_SHORT, "-0.2");
	put(&hedge, "BTCUSDT", BN_PS_LONG, "0.01");
	put(&hedge, "BTCUSDT", BN_PS_SHORT, "0");
}

/* The parameters sent for o in mode; "" when refused (err says why). */
static const char *query_of(enum bn_pos_mode mode,
    const struct bn_plan_order *o)
{
	static struct bn_query q;
	struct bn_order_spec s;
	err[0] = '\0';
	if (bn_order_spec(mode, mode == BN_HEDGE ? &hedge : &one_way, o, &s, err,
	    sizeof(err)) < 0)
		return "";
	cr_assert(!o->close || s.reduces, "a close always reduces");
	cr_assert_eq(bn_order_query(&q, mode, o->symbol, "qie-p1", &s), 0);
	return q.s;
}

/*
 * The parameters sent for a plan: the symbol, "BUY"/"SELL"/"CLOSE", "open"
 * or "reduce", the quantity; "" when refused (with the error in err).
 */
static const char *params(enum bn_pos_mode mode, const char *sym,
    const char *side, const char *kind, const char *qty)
{
	struct bn_plan_order o = { .symbol = sym,
		.side = strcmp(side, "BUY") == 0 ? SIDE_BUY : SIDE_SELL,
		.close = strcmp(side, "CLOSE") == 0,
		.reduce_only = strcmp(kind, "reduce") == 0,
		.qty = D(qty) };
	return query_of(mode, &o);
}

#define ONE_WAY(sym, side, qty, ro) "symbol=" sym "&side=" side \
	"&type=MARKET&quantity=" qty "&reduceOnly=" ro \
	"&newClientOrderId=qie-p1&newOrderRespType=RESULT"
#define HEDGE(sym, side, ps, qty) "symbol=" sym "&side=" side \
	"&positionSide=" ps "&type=MARKET&quantity=" qty \
	"&newClientOrderId=qie-p1&newOrderRespType=RESULT"

Test(order_spec, one_way_parameters, .init = setup_positions)
{
	/* opening: as binance_order.c sends today */
	cr_assert_str_eq(params(BN_ONE_WAY, "ETHUSDT", "BUY", "open", "0.1"),
	    ONE_WAY("ETHUSDT", "BUY", "0.1", "false"));
	cr_assert_str_eq(params(BN_ONE_WAY, "ETHUSDT", "SELL", "open", "0.1"),
	    ONE_WAY("ETHUSDT", "SELL", "0.1", "false"));
	cr_assert_str_eq(params(BN_ONE_WAY, "XRPUSDT", "BUY", "open", "3"),
	    ONE_WAY("XRPUSDT", "BUY", "3", "false"), "no position needed");
	/* reduce-only: the long is reduced by a SELL, the short by a BUY */
	cr_assert_str_eq(params(BN_ONE_WAY, "ETHUSDT", "SELL", "reduce", "0.1"),
	    ONE_WAY("ETHUSDT", "SELL", "0.1", "true"));
	cr_assert_str_eq(params(BN_ONE_WAY, "BTCUSDT", "BUY", "reduce", "0.005"),
	    ONE_WAY("BTCUSDT", "BUY", "0.005", "true"));
	/* larger than the position: cut to it */
	cr_assert_str_eq(params(BN_ONE_WAY, "ETHUSDT", "SELL", "reduce", "2"),
	    ONE_WAY("ETHUSDT", "SELL", "0.5", "true"));
	cr_assert_str_eq(params(BN_ONE_WAY, "BTCUSDT", "BUY", "reduce", "1"),
	    ONE_WAY("BTCUSDT", "BUY", "0.02", "true"));
	/* CLOSE: the whole position, the opposite side */
	cr_assert_str_eq(params(BN_ONE_WAY, "ETHUSDT", "CLOSE", "reduce", "0"),
	    ONE_WAY("ETHUSDT", "SELL", "0.5", "true"));
	cr_assert_str_eq(params(BN_ONE_WAY, "BTCUSDT", "CLOSE", "open", "9"),
	    ONE_WAY("BTCUSDT", "BUY", "0.02", "true"), "close ignores qty");
	cr_assert(strstr(params(BN_ONE_WAY, "ETHUSDT", "BUY", "open", "1"),
	    "positionSide") == NULL, "never positionSide in one-way mode");
}

Test(order_spec, hedge_parameters, .init = setup_positions)
{
	/* opening: BUY opens LONG, SELL opens SHORT; never reduceOnly */
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "BUY", "open", "0.1"),
	    HEDGE("ETHUSDT", "BUY", "LONG", "0.1"));
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "SELL", "open", "0.1"),
	    HEDGE("ETHUSDT", "SELL", "SHORT", "0.1"));
	cr_assert_str_eq(params(BN_HEDGE, "XRPUSDT", "SELL", "open", "3"),
	    HEDGE("XRPUSDT", "SELL", "SHORT", "3"));
	/* closing: SELL closes the LONG, BUY the SHORT */
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "SELL", "reduce", "0.1"),
	    HEDGE("ETHUSDT", "SELL", "LONG", "0.1"));
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "BUY", "reduce", "0.1"),
	    HEDGE("ETHUSDT", "BUY", "SHORT", "0.1"));
	/* cut to the side's position */
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "SELL", "reduce", "3"),
	    HEDGE("ETHUSDT", "SELL", "LONG", "0.5"));
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "BUY", "reduce", "3"),
	    HEDGE("ETHUSDT", "BUY", "SHORT", "0.2"));
	/* CLOSE with one side open: that side, whole */
	cr_assert_str_eq(params(BN_HEDGE, "BTCUSDT", "CLOSE", "reduce", "0"),
	    HEDGE("BTCUSDT", "SELL", "LONG", "0.01"));
	cr_assert(strstr(params(BN_HEDGE, "ETHUSDT", "SELL", "reduce", "0.1"),
	    "reduceOnly") == NULL, "never reduceOnly in hedge mode");
}

Test(order_spec, hedge_close_of_a_short, .init = setup_positions)
{
	hedge.p[0].amount = 0;  /* ETHUSDT: only the SHORT is open */
	cr_assert_str_eq(params(BN_HEDGE, "ETHUSDT", "CLOSE", "reduce", "0"),
	    HEDGE("ETHUSDT", "BUY", "SHORT", "0.2"));
}

/* Plans refused in each mode, nothing sent: the error says why. */
Test(order_spec, refusals, .init = setup_positions)
{
	static const struct {
		enum bn_pos_mode mode;
		const char *sym, *side, *kind, *error;
	} r[] = {
		/* one-way, flat */
		{ BN_ONE_WAY, "DOGEUSDT", "SELL", "reduce", "no_position_to_reduce:DOGEUSDT" },
		{ BN_ONE_WAY, "DOGEUSDT", "BUY", "reduce", "no_position_to_reduce:DOGEUSDT" },
		/* one-way, not in the table at all: flat */
		{ BN_ONE_WAY, "XRPUSDT", "SELL", "reduce", "no_position_to_reduce:XRPUSDT" },
		/* one-way, the side would grow the position, not reduce it */
		{ BN_ONE_WAY, "ETHUSDT", "BUY", "reduce", "no_position_to_reduce:ETHUSDT" },
		{ BN_ONE_WAY, "BTCUSDT", "SELL", "reduce", "no_position_to_reduce:BTCUSDT" },
		{ BN_ONE_WAY, "DOGEUSDT", "CLOSE", "reduce", "close_no_position" },
		{ BN_ONE_WAY, "XRPUSDT", "CLOSE", "open", "close_no_position" },
		/* hedge: the side's position is flat */
		{ BN_HEDGE, "BTCUSDT", "BUY", "reduce", "no_position_to_reduce:BTCUSDT" },
		{ BN_HEDGE, "XRPUSDT", "SELL", "reduce", "no_position_to_reduce:XRPUSDT" },
		{ BN_HEDGE, "XRPUSDT", "BUY", "reduce", "no_position_to_reduce:XRPUSDT" },
		{ BN_HEDGE, "XRPUSDT", "CLOSE", "reduce", "close_no_position" },
		{ BN_HEDGE, "ETHUSDT", "CLOSE", "reduce", "close_both_sides_open:ETHUSDT" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		cr_assert_str_eq(params(r[i].mode, r[i].sym, r[i].side, r[i].kind,
		    "0.1"), "", "%zu: nothing to send", i);
		cr_assert_str_eq(err, r[i].error, "%zu", i);
	}
}

Test(order_spec, the_spec_in_detail, .init = setup_positions)
{
	struct bn_plan_order o = { .symbol = "ETHUSDT", .side = SIDE_SELL,
		.reduce_only = 1, .qty = D("0.7") };
	struct bn_order_spec s;
	cr_assert_eq(bn_order_spec(BN_HEDGE, &hedge, &o, &s, err, sizeof(err)), 0);
	cr_assert(s.side == SIDE_SELL && s.pos_side == BN_PS_LONG && s.reduces &&
	    s.cut && s.qty == D("0.5"));
	o.qty = D("0.5");
	cr_assert_eq(bn_order_spec(BN_HEDGE, &hedge, &o, &s, err, sizeof(err)), 0);
	cr_assert(!s.cut && s.qty == D("0.5"), "exactly the position: not cut");
	o.reduce_only = 0;
	cr_assert_eq(bn_order_spec(BN_HEDGE, NULL, &o, &s, err, sizeof(err)), 0,
	    "an opening plan needs no positions");
	cr_assert(s.pos_side == BN_PS_SHORT && !s.reduces && s.qty == D("0.5"));
}

Test(order_query, refuses_a_spec_of_the_other_mode)
{
	struct bn_query q;
	struct bn_order_spec s = { .side = SIDE_BUY, .pos_side = BN_PS_BOTH,
		.qty = D("1") };
	cr_assert_eq(bn_order_query(&q, BN_HEDGE, "ETHUSDT", "c", &s), -1,
	    "BOTH in hedge mode");
	s.pos_side = BN_PS_LONG;
	cr_assert_eq(bn_order_query(&q, BN_ONE_WAY, "ETHUSDT", "c", &s), -1,
	    "LONG in one-way mode");
	s.side = 3;
	cr_assert_eq(bn_order_query(&q, BN_HEDGE, "ETHUSDT", "c", &s), -1,
	    "no such side");
}

Test(order_query, account_requests)
{
	struct bn_query q;
	cr_assert_eq(bn_leverage_query(&q, "BTCUSDT", 7), 0);
	cr_assert_str_eq(q.s, "symbol=BTCUSDT&leverage=7");
	cr_assert_eq(bn_leverage_query(&q, "BTCUSDT", 125), 0);
	cr_assert_eq(bn_leverage_query(&q, "BTCUSDT", 0), -1);
	cr_assert_eq(bn_leverage_query(&q, "BTCUSDT", 126), -1);
	cr_assert_eq(bn_position_risk_query(&q, "ETHUSDT"), 0);
	cr_assert_str_eq(q.s, "symbol=ETHUSDT");
	cr_assert_eq(bn_position_risk_query(&q, NULL), 0);
	cr_assert_str_eq(q.s, "");
	cr_assert_str_eq(bn_pos_side_name(BN_PS_SHORT), "SHORT");
}

/* A close of part of a position: |amount| x fraction, rounded down to the
 * step; below the minimum quantity refused; the whole position whatever
 * its size. */
static const char *part(enum bn_pos_mode mode, const char *sym,
    const char *fraction, const char *step, const char *min)
{
	struct bn_plan_order o = { .symbol = sym, .close = 1, .reduce_only = 1,
		.fraction = D(fraction), .step = D(step), .min_qty = D(min) };
	return query_of(mode, &o);
}

Test(order_spec, partial_close, .init = setup_positions)
{
	cr_assert_str_eq(part(BN_ONE_WAY, "ETHUSDT", "0.5", "0.001", "0.001"),
	    ONE_WAY("ETHUSDT", "SELL", "0.25", "true"));
	/* 0.5 x 0.3 = 0.15, step 0.1: 0.1 (down, never up) */
	cr_assert_str_eq(part(BN_ONE_WAY, "ETHUSDT", "0.3", "0.1", "0.1"),
	    ONE_WAY("ETHUSDT", "SELL", "0.1", "true"));
	/* a short: BUY its part */
	cr_assert_str_eq(part(BN_ONE_WAY, "BTCUSDT", "0.5", "0.001", "0.001"),
	    ONE_WAY("BTCUSDT", "BUY", "0.01", "true"));
	cr_assert_str_eq(part(BN_HEDGE, "BTCUSDT", "0.5", "0.001", "0.001"),
	    HEDGE("BTCUSDT", "SELL", "LONG", "0.005"));
	/* the smallest fraction still rounds down to nothing: refused */
	cr_assert_str_eq(part(BN_ONE_WAY, "ETHUSDT", "0.00000001", "0.001",
	    "0.001"), "");
	cr_assert_str_eq(err, "close_below_min_qty:ETHUSDT");
	/* 0.02 x 0.5 = 0.01, above the step but below the minimum */
	cr_assert_str_eq(part(BN_ONE_WAY, "BTCUSDT", "0.5", "0.001", "0.05"), "");
	cr_assert_str_eq(err, "close_below_min_qty:BTCUSDT");
	/* the whole position: all of it, even below the minimum */
	cr_assert_str_eq(part(BN_ONE_WAY, "BTCUSDT", "1", "0.001", "0.05"),
	    ONE_WAY("BTCUSDT", "BUY", "0.02", "true"));
	/* flat: nothing to close, whatever the fraction */
	cr_assert_str_eq(part(BN_ONE_WAY, "DOGEUSDT", "0.5", "1", "1"), "");
	cr_assert_str_eq(err, "close_no_position");
}
