/*
 * test_position.c - the position ledger (workers/position.c and its part
 * of settle.c's settle script), against a real redis-server: opens, a
 * position growing (weighted entry price), partial closes, a flip, going
 * flat (the position keys deleted, one trade.closed entry with its pnl),
 * a reduce-only fill that cannot cross zero, the seen set (an order id
 * counted once), and previous values the script refuses before writing
 * anything; and the arguments and reply of position.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "keys.h"
#include "position.h"
#include "redis_server.h"
#include "result.h"
#include "settle.h"

#define LANE "t:plans"
#define GROUP "g"
#define SYM "ETHUSDT"
#define LEDGER KEY_LEDGER SYM

static struct settings S;
static int plans;
static char last_id[48];        /* the entry of the last plan committed */

static void setup(void)
{
	test_redis_start();
	memset(&S, 0, sizeof(S));
	snprintf(S.result_stream, sizeof(S.result_stream), "t:results");
}

TestSuite(position, .init = setup, .fini = test_redis_stop);

/* A command of n words; its reply (asserted not lost). */
static redisReply *say(struct conn *k, const char **w, size_t n)
{
	redisReply *r = conn_cmd_argv(k, (int)n, w, NULL);
	cr_assert(r, "%s: %s", w[0], conn_why(k));
	return r;
}
#define WORDS(...) (const char *[]){ __VA_ARGS__ }, \
	sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)
/* the reply's string ("" for nil), integer, or just no error */
#define STR(k, ...) str_of(say(k, WORDS(__VA_ARGS__)))
#define NUM(k, ...) num_of(say(k, WORDS(__VA_ARGS__)))
#define RUN(k, ...) ok_of(say(k, WORDS(__VA_ARGS__)))

static const char *str_of(redisReply *r)
{
	static char buf[8][80];
	static int at;
	char *b = buf[at++ % 8];
	cr_assert(r->type != REDIS_REPLY_ERROR, "%s", r->str);
	snprintf(b, sizeof(buf[0]), "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
	freeReplyObject(r);
	return b;
}

static long long num_of(redisReply *r)
{
	cr_assert(r->type == REDIS_REPLY_INTEGER, "%s", r->str ? r->str : "?");
	long long v = r->integer;
	freeReplyObject(r);
	return v;
}

static void ok_of(redisReply *r)
{
	cr_assert(r->type != REDIS_REPLY_ERROR, "%s", r->str);
	freeReplyObject(r);
}

/* The ledger hash's field, as a string. */
static const char *field(struct conn *k, const char *name)
{
	return STR(k, "HGET", LEDGER, name);
}

struct fill {
	const char *order_id, *qty, *price;
	uint8_t side;
	int reduce_only;
	const char *stream_id;          /* the entry again (a replay), or NULL */
};

/*
 * A new plan's entry pending, its fill's result committed: the settle
 * verdict (why says what a refusal named).
 */
static int commit_fill(struct conn *k, const struct fill *f, char *why,
    size_t whylen, const struct trade_tags *tags)
{
	char plan_id[32], id[48];
	const char *err;
	struct plan_ok ok = { .side = f->side, .reduce_only = f->reduce_only,
		.leverage = 7 };
	struct exec_res x = { .executed = 1 };
	struct result r;

	if (f->stream_id) {             /* the same plan's entry again */
		snprintf(plan_id, sizeof(plan_id), "lg%d", plans);
		snprintf(id, sizeof(id), "%s", f->stream_id);
	} else {
		snprintf(plan_id, sizeof(plan_id), "lg%d", ++plans);
		test_redis_pending(k, LANE, GROUP, plan_id, id, sizeof(id));
	}
	snprintf(last_id, sizeof(last_id), "%s", id);
	snprintf(ok.symbol, sizeof(ok.symbol), SYM);
	snprintf(x.order_id, sizeof(x.order_id), "%s", f->order_id);
	snprintf(x.status, sizeof(x.status), "FILLED");
	cr_assert_eq(dec_parse(f->qty, strlen(f->qty), &x.filled_qty, &err), 0);
	cr_assert_eq(dec_parse(f->price, strlen(f->price), &x.avg_price, &err), 0);
	x.qty = x.filled_qty;
	memset(&r, 0, sizeof(r));
	r.lane = LANE_MAIN;
	r.stream_id = id;
	snprintf(r.plan_id, sizeof(r.plan_id), "%s", plan_id);
	snprintf(r.symbol, sizeof(r.symbol), SYM);
	r.executed = 1;
	r.res = &x;
	r.plan = &ok;
	r.tags = tags;
	r.claimed = 1;
	r.guard = "exchange";
	result_count(&r, C_EXECUTED_TRUE);
	return result_commit(k, &S, LANE, GROUP, &r, why, whylen);
}

static void counted(struct conn *k, const struct fill *f, const char *amt,
    const char *side, const char *entry)
{
	char why[300];
	cr_assert_eq(commit_fill(k, f, why, sizeof(why), NULL), SETTLE_WRITTEN,
	    "%s", why);
	cr_expect_str_eq(field(k, "ledger_amt"), amt, "after %s", f->order_id);
	cr_expect_str_eq(field(k, "position_amt"), amt);
	cr_expect_str_eq(field(k, "last_known_amt"), amt);
	cr_expect_str_eq(field(k, "ledger_side"), side);
	cr_expect_str_eq(field(k, "side"), side);
	cr_expect_str_eq(field(k, "last_side"), side);
	cr_expect_str_eq(field(k, "entry_price"), entry, "after %s", f->order_id);
	cr_expect_str_eq(field(k, "avg_entry_price"), entry);
	cr_expect_str_eq(field(k, "last_order_id"), f->order_id);
	cr_expect_str_eq(field(k, "last_filled_qty"), f->qty);
	cr_expect_str_eq(field(k, "last_executed_qty"), f->qty);
}

Test(position, opens_grows_reduces_flips_and_goes_flat)
{
	struct conn *k = test_redis_conn();

	counted(k, &(struct fill){ "o1", "0.01", "3000", SIDE_BUY, 0 }, "0.01",
	    "LONG", "3000");
	cr_expect_str_eq(field(k, "qty"), "0.01");
	cr_expect_str_eq(field(k, "leverage"), "7");
	cr_expect_str_eq(field(k, "unrealized_pnl"), "0");
	cr_expect_str_eq(field(k, "source"), "intent_executor_exactly_once");
	cr_expect(strlen(field(k, "synced_at")) >= 10);
	cr_expect_str_eq(field(k, "updated_at"), field(k, "last_update_ts"));
	/* grows: 3000 + 400 * 0.03 / 0.04 */
	counted(k, &(struct fill){ "o2", "0.03", "3400", SIDE_BUY, 0 }, "0.04",
	    "LONG", "3300");
	/* a partial close keeps the entry price */
	counted(k, &(struct fill){ "o3", "0.01", "3500", SIDE_SELL, 1 }, "0.03",
	    "LONG", "3300");
	/* a flip: the fill's price */
	counted(k, &(struct fill){ "o4", "0.05", "3600", SIDE_SELL, 0 }, "-0.02",
	    "SHORT", "3600");
	cr_expect_str_eq(field(k, "qty"), "0.02");
	cr_expect_eq(NUM(k, "EXISTS", KEY_TRADE_CLOSED), 0,
	    "a flip is not flat");
	/* flat: the position keys go, one trade.closed entry */
	RUN(k, "SET", KEY_STATE_POSITIONS SYM, "x");
	RUN(k, "HSET", KEY_POSITION_SNAPSHOT SYM, "amt", "-0.02");
	RUN(k, "SET", KEY_POSITION SYM, "y");
	counted(k, &(struct fill){ "o5", "0.02", "3240", SIDE_BUY, 1 }, "0",
	    "FLAT", "0");
	cr_expect_str_eq(field(k, "qty"), "0");
	cr_expect_eq(NUM(k, "EXISTS", KEY_STATE_POSITIONS SYM), 0);
	cr_expect_eq(NUM(k, "EXISTS", KEY_POSITION_SNAPSHOT SYM), 0);
	cr_expect_eq(NUM(k, "EXISTS", KEY_POSITION SYM), 0);
	cr_assert_eq(NUM(k, "XLEN", KEY_TRADE_CLOSED), 1);
	redisReply *t = say(k, WORDS("XRANGE", KEY_TRADE_CLOSED, "-", "+"));
	cr_assert(t && t->type == REDIS_REPLY_ARRAY && t->elements == 1);
	const redisReply *f = t->element[0]->element[1];
	static const char *const want[][2] = { { "event_type", "trade.closed" },
		{ "symbol", SYM }, { "side", "SHORT" }, { "entry_price", "3600" },
		{ "exit_price", "3240" }, { "pnl_percent", "10" },
		{ "pnl_usd", "7.2" }, { "order_id", "o5" },
		{ "confidence", POS_DEFAULT_CONFIDENCE },
		{ "model_id", POS_DEFAULT_MODEL_ID }, { "R_net", POS_DEFAULT_R_NET },
		{ "reason", POS_DEFAULT_REASON }, { "source", "intent_executor" } };
	cr_expect_eq(f->elements, 2 * 14, "14 fields");
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		const char *got = NULL;
		for (size_t i = 0; i + 1 < f->elements; i += 2)
			if (strcmp(f->element[i]->str, want[w][0]) == 0)
				got = f->element[i + 1]->str;
		cr_expect(got && strcmp(got, want[w][1]) == 0, "%s: %s, want %s",
		    want[w][0], got ? got : "(none)", want[w][1]);
	}
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (strcmp(f->element[i]->str, "timestamp") == 0)
			cr_expect(strlen(f->element[i + 1]->str) == 32 &&
			    strstr(f->element[i + 1]->str, "+00:00"), "ISO 8601 UTC: %s",
			    f->element[i + 1]->str);
	freeReplyObject(t);
	cr_expect_eq(NUM(k, "SCARD", KEY_SEEN_ORDERS), 5);
	conn_free(k);
}

Test(position, a_close_fill_goes_toward_zero_from_either_side)
{
	struct conn *k = test_redis_conn();

	counted(k, &(struct fill){ "c1", "0.04", "3000", SIDE_SELL, 0 }, "-0.04",
	    "SHORT", "3000");
	counted(k, &(struct fill){ "c2", "0.01", "2900", SIDE_CLOSE, 1 }, "-0.03",
	    "SHORT", "3000");
	counted(k, &(struct fill){ "c3", "0.03", "2900", SIDE_CLOSE, 1 }, "0",
	    "FLAT", "0");
	counted(k, &(struct fill){ "c4", "0.02", "3000", SIDE_BUY, 0 }, "0.02",
	    "LONG", "3000");
	counted(k, &(struct fill){ "c5", "0.02", "3100", SIDE_CLOSE, 1 }, "0",
	    "FLAT", "0");
	cr_assert_eq(NUM(k, "XLEN", KEY_TRADE_CLOSED), 2, "two positions closed");
	conn_free(k);
}

Test(position, an_order_id_is_counted_once)
{
	struct conn *k = test_redis_conn();
	char why[300];
	struct fill f = { "same", "0.5", "100", SIDE_SELL, 0 };

	counted(k, &f, "-0.5", "SHORT", "100");
	/* the same plan read again (its lane decided it): only acknowledged */
	struct fill again = f;
	again.stream_id = last_id;
	cr_assert_eq(commit_fill(k, &again, why, sizeof(why), NULL),
	    SETTLE_DECIDED, "%s", why);
	cr_expect_str_eq(field(k, "ledger_amt"), "-0.5", "not moved again");
	cr_expect_eq(NUM(k, "XLEN", "t:results"), 1, "no second result");
	/* another plan's result with the same order id (a replay) */
	cr_assert_eq(commit_fill(k, &f, why, sizeof(why), NULL), SETTLE_WRITTEN,
	    "%s", why);
	cr_expect_str_eq(field(k, "ledger_amt"), "-0.5", "not moved twice");
	cr_expect_eq(NUM(k, "XLEN", "t:results"), 2, "both results written");
	conn_free(k);
}

Test(position, reduce_only_never_crosses_zero_and_tags_come_from_the_plan)
{
	struct conn *k = test_redis_conn();
	char why[300];
	struct trade_tags tags = { "0.83", "m7", "1.5", "tp_hit" };

	counted(k, &(struct fill){ "r1", "0.3", "10", SIDE_BUY, 0 }, "0.3",
	    "LONG", "10");
	cr_assert_eq(commit_fill(k, &(struct fill){ "r2", "0.5", "12.5",
	    SIDE_SELL, 1 }, why, sizeof(why), &tags), SETTLE_WRITTEN, "%s", why);
	cr_expect_str_eq(field(k, "ledger_amt"), "0", "closed, not flipped");
	redisReply *t = say(k, WORDS("XREVRANGE", KEY_TRADE_CLOSED, "+", "-", "COUNT", "1"));
	cr_assert(t && t->type == REDIS_REPLY_ARRAY && t->elements == 1);
	const redisReply *f = t->element[0]->element[1];
	char all[512] = "";
	for (size_t i = 0; i < f->elements; i++) {
		strncat(all, f->element[i]->str, sizeof(all) - strlen(all) - 2);
		strcat(all, " ");
	}
	cr_expect(strstr(all, "side LONG "), "%s", all);
	cr_expect(strstr(all, "pnl_usd 0.75 "), "%s", all);
	cr_expect(strstr(all, "pnl_percent 25 "), "%s", all);
	cr_expect(strstr(all, "confidence 0.83 model_id m7 R_net 1.5 "), "%s",
	    all);
	cr_expect(strstr(all, "reason tp_hit "), "%s", all);
	freeReplyObject(t);
	/* flat already: a reduce-only fill leaves it flat, no second entry */
	counted(k, &(struct fill){ "r3", "0.1", "11", SIDE_BUY, 1 }, "0", "FLAT",
	    "0");
	cr_expect_eq(NUM(k, "XLEN", KEY_TRADE_CLOSED), 1);
	conn_free(k);
}

/* What a refused fill left: no result, the entry pending, nothing moved. */
static void refused(struct conn *k, const struct fill *f, const char *what,
    const char *amt)
{
	char why[300];
	long long results = NUM(k, "XLEN", "t:results");
	cr_assert_eq(commit_fill(k, f, why, sizeof(why), NULL), SETTLE_FAILED);
	cr_expect(strstr(why, what), "why names %s: %s", what, why);
	cr_expect_eq(NUM(k, "XLEN", "t:results"), results, "no result");
	redisReply *m = say(k, WORDS("SISMEMBER", KEY_SEEN_ORDERS, f->order_id));
	cr_expect(m->type == REDIS_REPLY_ERROR || m->integer == 0, "not counted");
	freeReplyObject(m);
	if (amt)
		cr_expect_str_eq(field(k, "ledger_amt"), amt, "not moved");
}

Test(position, bad_previous_values_write_nothing)
{
	struct conn *k = test_redis_conn();
	struct fill f = { "b1", "1", "5", SIDE_BUY, 0 };

	RUN(k, "HSET", LEDGER, "ledger_amt", "1e-05");
	refused(k, &f, "ledger_amt is not a plain decimal in range [HSET "
	    LEDGER "]", "1e-05");
	RUN(k, "HSET", LEDGER, "ledger_amt", "100000000");  /* 2^53 units up */
	refused(k, &f, "[HSET " LEDGER "]", "100000000");
	RUN(k, "HSET", LEDGER, "ledger_amt", "0.30000000000000004");
	RUN(k, "HSET", LEDGER, "entry_price", "-1");
	refused(k, &f, "entry_price is not a plain decimal", NULL);
	RUN(k, "HSET", LEDGER, "entry_price", "2");
	RUN(k, "SET", KEY_SEEN_ORDERS, "x");
	refused(k, &f, "WRONGTYPE", "0.30000000000000004");
	RUN(k, "DEL", KEY_SEEN_ORDERS);
	/* a Python float's digits: rounded to 1e-8 */
	counted(k, &f, "1.3", "LONG", "4.30769231");
	RUN(k, "DEL", LEDGER);
	RUN(k, "SET", LEDGER, "x");
	refused(k, &(struct fill){ "b2", "1", "5", SIDE_BUY, 0 }, "WRONGTYPE", NULL);
	RUN(k, "DEL", LEDGER);
	counted(k, &(struct fill){ "b3", "1", "5", SIDE_BUY, 0 }, "1", "LONG", "5");
	/* going flat into a trade.closed key that is no stream */
	RUN(k, "SET", KEY_TRADE_CLOSED, "x");
	refused(k, &(struct fill){ "b4", "1", "6", SIDE_SELL, 0 },
	    "[XADD " KEY_TRADE_CLOSED "]", "1");
	RUN(k, "DEL", KEY_TRADE_CLOSED);
	counted(k, &(struct fill){ "b4", "1", "6", SIDE_SELL, 0 }, "0", "FLAT", "0");
	cr_expect_eq(NUM(k, "XLEN", KEY_TRADE_CLOSED), 1);
	conn_free(k);
}

Test(position, args_and_reply)
{
	struct position_args a;
	struct position_fill f = { .symbol = "BTCUSDT", .order_id = "42",
		.side = SIDE_SELL, .reduce_only = 1, .leverage = 3,
		.filled_qty = 150000000, .price = 6000012345678,
		.has_exchange = 1, .exchange_amt = -250000000,
		.exchange_entry = 5900000000000 };

	position_args(&a, &f, 1764637740123LL);
	cr_expect_str_eq(a.keys[0], KEY_LEDGER "BTCUSDT");
	cr_expect_str_eq(a.keys[1], KEY_SEEN_ORDERS);
	cr_expect_str_eq(a.keys[2], KEY_STATE_POSITIONS "BTCUSDT");
	cr_expect_str_eq(a.keys[3], KEY_POSITION_SNAPSHOT "BTCUSDT");
	cr_expect_str_eq(a.keys[4], KEY_POSITION "BTCUSDT");
	cr_expect_str_eq(a.keys[5], KEY_TRADE_CLOSED);
	cr_expect_str_eq(a.argv[POS_ARG_SIDE], "SELL");
	cr_expect_str_eq(a.argv[POS_ARG_QTY], "1.5");
	cr_expect_str_eq(a.argv[POS_ARG_PRICE], "60000.12345678");
	cr_expect_str_eq(a.argv[POS_ARG_REDUCE_ONLY], "1");
	cr_expect_str_eq(a.argv[POS_ARG_LEVERAGE], "3");
	cr_expect_str_eq(a.argv[POS_ARG_NOW], "1764637740");
	cr_expect_str_eq(a.argv[POS_ARG_ISO], "2025-12-02T01:09:00.123000+00:00");
	cr_expect_str_eq(a.argv[POS_ARG_EXCHANGE_AMT], "-2.5");
	cr_expect_str_eq(a.argv[POS_ARG_EXCHANGE_ENTRY], "59000");
	cr_expect_str_eq(a.argv[POS_ARG_MODEL_ID], POS_DEFAULT_MODEL_ID);
	cr_expect_str_eq(a.argv[POS_ARG_SYMBOL], "BTCUSDT");
	f.has_exchange = 0;
	position_args(&a, &f, 0);
	cr_expect_str_eq(a.argv[POS_ARG_EXCHANGE_AMT], "", "computed");

	/* the reply's ledger element */
	struct position_out o;
	const char *why;
	redisReply s[5], *e[5];
	const char *words[] = { "counted", "-0.02", "SHORT", "3600.5", "0" };
	for (int i = 0; i < 5; i++) {
		s[i] = (redisReply){ .type = REDIS_REPLY_STRING,
			.str = (char *)words[i], .len = strlen(words[i]) };
		e[i] = &s[i];
	}
	redisReply x = { .type = REDIS_REPLY_ARRAY, .elements = 5, .element = e };
	cr_assert_eq(position_reply(&x, &o, &why), 1);
	cr_expect_eq(o.amt, -2000000);
	cr_expect_str_eq(o.side, "SHORT");
	cr_expect_eq(o.entry, 360050000000LL);
	cr_expect_eq(o.closed, 0);
	s[2].str = "LONG";              /* not the amount's side */
	cr_expect_eq(position_reply(&x, &o, &why), -1);
	s[2].str = "SHORT";
	s[1].str = "1e-2";
	s[1].len = 4;
	cr_expect_eq(position_reply(&x, &o, &why), -1);
	x.elements = 4;
	cr_expect_eq(position_reply(&x, &o, &why), -1);
	x.elements = 0;
	cr_expect_eq(position_reply(&x, &o, &why), 0, "no fill");
	s[0].str = "seen";
	x.elements = 1;
	cr_expect_eq(position_reply(&x, &o, &why), 0, "counted before");
	cr_expect_eq(position_reply(NULL, &o, &why), -1);
}

/* How often Redis ran cmd (INFO commandstats), 0 when never. */
static long long calls(struct conn *k, const char *cmd)
{
	char want[64];
	redisReply *r = say(k, WORDS("INFO", "commandstats"));
	snprintf(want, sizeof(want), "cmdstat_%s:calls=", cmd);
	const char *at = r->str ? strstr(r->str, want) : NULL;
	long long n = at ? atoll(at + strlen(want)) : 0;
	freeReplyObject(r);
	return n;
}

Test(position, a_loaded_script_goes_as_evalsha_and_noscript_back_to_eval)
{
	struct conn *k = test_redis_conn();

	cr_assert_eq(settle_load(k), 0);
	counted(k, &(struct fill){ "s1", "1", "10", SIDE_BUY, 0 }, "1", "LONG",
	    "10");
	cr_expect_eq(calls(k, "evalsha"), 1, "sent as EVALSHA");
	RUN(k, "SCRIPT", "FLUSH");
	refused(k, &(struct fill){ "s2", "1", "10", SIDE_BUY, 0 }, "NOSCRIPT",
	    "1");
	long long evals = calls(k, "eval");
	counted(k, &(struct fill){ "s2", "1", "10", SIDE_BUY, 0 }, "2", "LONG",
	    "10");
	cr_expect_eq(calls(k, "eval"), evals + 1, "then as EVAL");
	conn_free(k);
}
