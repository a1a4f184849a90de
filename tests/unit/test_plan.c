/*
 * test_plan.c - workers/plan.c: plan entries from stream fields and the
 * checks that need no Redis, in their order.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"

/* An entry's flat (field, value) list, editable per test. */
struct fb {
	struct bytes f[64];
	size_t n;
};

static void fb_add(struct fb *b, const char *k, const char *v, size_t vn)
{
	cr_assert_lt(b->n + 2, 64);
	b->f[b->n++] = (struct bytes){ k, strlen(k) };
	b->f[b->n++] = (struct bytes){ v, vn };
}

static void fb_del(struct fb *b, const char *k)
{
	for (size_t i = 0; i + 1 < b->n;) {
		if (b->f[i].n == strlen(k) && memcmp(b->f[i].p, k, b->f[i].n) == 0) {
			memmove(&b->f[i], &b->f[i + 2], (b->n - i - 2) * sizeof(b->f[0]));
			b->n -= 2;
		} else {
			i += 2;
		}
	}
}

static void fb_setn(struct fb *b, const char *k, const char *v, size_t vn)
{
	fb_del(b, k);
	fb_add(b, k, v, vn);
}

static void fb_set(struct fb *b, const char *k, const char *v)
{
	fb_setn(b, k, v, strlen(v));
}

/* A plan that passes every check. */
static struct fb good(void)
{
	static const char *const kv[] = {
		"plan_id", "6e8683f5a0cf8cc7",
		"source", "intent_bridge",
		"symbol", "ETHUSDT",
		"side", "SELL",
		"type", "MARKET",
		"qty", "0.0100",
		"reduceOnly", "false",
		"decision", "EXECUTE",
		"action", "PARTIAL_CLOSE",
		"timestamp", "1700000000",
		"leverage", "10",
		NULL,
	};
	struct fb b;
	memset(&b, 0, sizeof(b));
	for (int i = 0; kv[i]; i += 2)
		fb_add(&b, kv[i], kv[i + 1], strlen(kv[i + 1]));
	return b;
}

static struct settings settings(void)
{
	static const char *const sym[] = { "BTCUSDT", "ETHUSDT", "TRXUSDT" };
	struct settings s;
	memset(&s, 0, sizeof(s));
	s.symbols.n = 3;
	for (int i = 0; i < 3; i++)
		snprintf(s.symbols.item[i], sizeof(s.symbols.item[i]), "%s", sym[i]);
	s.sources.n = 1;
	snprintf(s.sources.item[0], sizeof(s.sources.item[0]), "intent_bridge");
	return s;
}

static enum plan_verdict run(const struct fb *b, struct plan_ok *ok,
    char *err, size_t errlen)
{
	struct settings s = settings();
	struct plan p;
	err[0] = '\0';
	plan_from_fields(&p, b->f, b->n);
	enum plan_verdict v = plan_check(&s, &p, ok, err, errlen);
	for (const char *c = err; *c; c++)
		cr_assert(*c >= 0x20 && *c < 0x7f, "error is not printable ASCII: %s",
		    err);
	return v;
}

static void expect(const struct fb *b, enum plan_verdict want,
    const char *want_err)
{
	struct plan_ok ok;
	char err[ERROR_MAX];
	enum plan_verdict v = run(b, &ok, err, sizeof(err));
	cr_assert_eq(v, want, "verdict %d, want %d (error \"%s\")", v, want, err);
	cr_assert_str_eq(err, want_err);
}

/* Only the error's word before ':' is checked. */
static void expect_word(const struct fb *b, enum plan_verdict want,
    const char *word)
{
	struct plan_ok ok;
	char err[ERROR_MAX];
	enum plan_verdict v = run(b, &ok, err, sizeof(err));
	cr_assert_eq(v, want, "verdict %d, want %d (error \"%s\")", v, want, err);
	size_t n = strlen(word);
	cr_assert(strncmp(err, word, n) == 0 && (err[n] == ':' || err[n] == '\0'),
	    "error \"%s\", want word \"%s\"", err, word);
}

Test(plan, good_plan_passes)
{
	struct fb b = good();
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_str_eq(ok.plan_id, "6e8683f5a0cf8cc7");
	cr_assert_str_eq(ok.symbol, "ETHUSDT");
	cr_assert_eq(ok.side, SIDE_SELL);
	cr_assert_eq(ok.reduce_only, 0);
	cr_assert_eq(ok.qty, 1000000);
}

Test(plan, fields_are_collected)
{
	struct fb b = good();
	struct plan p;
	plan_from_fields(&p, b.f, b.n);
	cr_assert_null(p.dup);
	cr_assert_eq(p.source.n, 13);
	cr_assert_eq(memcmp(p.source.p, "intent_bridge", 13), 0);
	cr_assert_eq(p.action.n, 13);
	cr_assert_eq(p.timestamp.n, 10);
	cr_assert_null(p.error.p, "absent field is NULL");
	cr_assert_null(p.payload.p);
	char d[64];
	plan_field(d, sizeof(d), p.error);
	cr_assert_str_eq(d, "");
	plan_field(d, sizeof(d), p.symbol);
	cr_assert_str_eq(d, "ETHUSDT");
}

Test(plan, odd_field_count_ignores_the_dangling_name)
{
	struct fb b = good();
	b.f[b.n++] = (struct bytes){ "qty", 3 };        /* no value */
	struct plan p;
	plan_from_fields(&p, b.f, b.n);
	cr_assert_null(p.dup);
	cr_assert_eq(p.qty.n, 6);
}

Test(plan, plan_field_sanitizes)
{
	char d[16];
	plan_field(d, sizeof(d), (struct bytes){ "a\nb\x01\xff", 5 });
	cr_assert_str_eq(d, "a?b??");
	plan_field(d, sizeof(d), (struct bytes){ NULL, 0 });
	cr_assert_str_eq(d, "");
}

Test(plan, reduce_only_absent_means_true)
{
	struct fb b = good();
	fb_del(&b, "reduceOnly");
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_eq(ok.reduce_only, 1);
}

Test(plan, reduce_only_values)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {
		{ "true", 1 }, { "1", 1 }, { "yes", 1 }, { "TRUE", 1 }, { "Yes", 1 },
		{ "True", 1 }, { "YES", 1 }, { "false", 0 }, { "0", 0 }, { "no", 0 },
		{ "False", 0 }, { "FALSE", 0 }, { "No", 0 }, { "NO", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb b = good();
		fb_set(&b, "reduceOnly", cases[i].v);
		struct plan_ok ok;
		char err[ERROR_MAX];
		cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
		cr_assert_eq(ok.reduce_only, cases[i].want, "reduceOnly=\"%s\"",
		    cases[i].v);
		struct plan p;
		plan_from_fields(&p, b.f, b.n);
		cr_assert_eq(plan_reduce_only(&p), cases[i].want);
	}
}

/* Anything else could open a position: refused, with the value. */
Test(plan, reduce_only_other_spellings_refused)
{
	static const struct {
		const char *v;
		const char *err;
	} cases[] = {
		{ "", "invalid_reduce_only:" },
		{ "maybe", "invalid_reduce_only:maybe" },
		{ "true ", "invalid_reduce_only:true " },
		{ " false", "invalid_reduce_only: false" },
		{ "on", "invalid_reduce_only:on" },
		{ "off", "invalid_reduce_only:off" },
		{ "2", "invalid_reduce_only:2" },
		{ "tru", "invalid_reduce_only:tru" },
		{ "truex", "invalid_reduce_only:truex" },
		{ "true\nx", "invalid_reduce_only:true?x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb b = good();
		fb_set(&b, "reduceOnly", cases[i].v);
		expect(&b, PLAN_REJECT, cases[i].err);
		struct plan p;
		plan_from_fields(&p, b.f, b.n);
		cr_assert_eq(plan_reduce_only(&p), -1, "\"%s\"", cases[i].v);
	}
	/* a NUL inside: sanitized in the error, still refused */
	struct fb b = good();
	fb_setn(&b, "reduceOnly", "true\0", 5);
	expect(&b, PLAN_REJECT, "invalid_reduce_only:true?");
}

Test(plan, decision_not_execute_reason_from_error_then_reason_then_codes)
{
	struct fb b = good();
	fb_set(&b, "decision", "BLOCKED");
	fb_set(&b, "error", "risk_gate:cooldown");
	fb_set(&b, "reason", "some reason");
	fb_set(&b, "reason_codes", "RC1,RC2");
	expect(&b, PLAN_DECISION, "risk_gate:cooldown");

	fb_del(&b, "error");
	expect(&b, PLAN_DECISION, "some reason");

	fb_set(&b, "error", "");                /* empty counts as absent */
	expect(&b, PLAN_DECISION, "some reason");

	fb_del(&b, "reason");
	expect(&b, PLAN_DECISION, "RC1,RC2");

	fb_del(&b, "reason_codes");
	expect(&b, PLAN_DECISION, "decision_not_execute:BLOCKED");
}

Test(plan, every_decision_but_execute_is_guarded)
{
	static const char *const decisions[] = { "BLOCKED", "SKIP", "HOLD",
		"EXECUTED", "EXECUTE ", "", "EXEC" };
	for (size_t i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
		struct fb b = good();
		fb_set(&b, "decision", decisions[i]);
		expect_word(&b, PLAN_DECISION, "decision_not_execute");
	}
	struct fb b = good();
	fb_del(&b, "decision");
	expect(&b, PLAN_DECISION, "decision_not_execute:missing");
}

Test(plan, decision_reason_is_sanitized)
{
	struct fb b = good();
	fb_set(&b, "decision", "SKIP");
	fb_setn(&b, "reason", "bad\r\nline\x00", 10);
	expect(&b, PLAN_DECISION, "bad??line?");
}

Test(plan, symbol_lower_case_is_upper_cased)
{
	struct fb b = good();
	fb_set(&b, "symbol", "ethusdt");
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_str_eq(ok.symbol, "ETHUSDT");
	fb_set(&b, "symbol", "bTcUsDt");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_str_eq(ok.symbol, "BTCUSDT");
}

Test(plan, symbol_not_in_allowlist)
{
	struct fb b = good();
	fb_set(&b, "symbol", "DOGEUSDT");
	expect(&b, PLAN_REJECT, "symbol_not_in_allowlist:DOGEUSDT");
	fb_set(&b, "symbol", "ETHUSD");
	expect(&b, PLAN_REJECT, "symbol_not_in_allowlist:ETHUSD");
	fb_set(&b, "symbol", "ETHUSDTETHUSDTETHUSDT");      /* 21 characters */
	expect_word(&b, PLAN_REJECT, "symbol_not_in_allowlist");
}

Test(plan, symbol_or_side_carrying_amp_or_equals_is_rejected)
{
	static const char *const syms[] = { "ETHUSDT&side=BUY", "ETH=USDT",
		"ETHUSDT&", "=ETHUSDT", "ETHUSDT ", " ETHUSDT", "ETH-USDT",
		"ETHUSDT\n" };
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		struct fb b = good();
		fb_set(&b, "symbol", syms[i]);
		expect_word(&b, PLAN_REJECT, "symbol_not_in_allowlist");
	}
	static const char *const sides[] = { "BUY&reduceOnly=false", "SELL=",
		"BUY&", "=SELL", "BUY ", "HOLD", "B", "" };
	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		struct fb b = good();
		fb_set(&b, "side", sides[i]);
		if (sides[i][0] == '\0')
			expect(&b, PLAN_REJECT, "missing_required_fields");
		else
			expect_word(&b, PLAN_REJECT, "invalid_side");
	}
	struct fb b = good();
	fb_set(&b, "side", "BUY&quantity=100");
	expect(&b, PLAN_REJECT, "invalid_side:BUY&quantity=100");
}

Test(plan, side_is_compared_upper_cased)
{
	struct fb b = good();
	struct plan_ok ok;
	char err[ERROR_MAX];
	fb_set(&b, "side", "buy");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_eq(ok.side, SIDE_BUY);
	fb_set(&b, "side", "Sell");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_eq(ok.side, SIDE_SELL);
}

Test(plan, side_close_is_always_reduce_only)
{
	struct fb b = good();
	struct plan_ok ok;
	char err[ERROR_MAX];
	static const char *const flags[] = { "true", "false", "0" };
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		fb_set(&b, "side", i ? "close" : "CLOSE");
		fb_set(&b, "reduceOnly", flags[i]);
		cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
		cr_assert_eq(ok.side, SIDE_CLOSE);
		cr_assert_eq(ok.reduce_only, 1, "CLOSE with reduceOnly %s opens",
		    flags[i]);
	}
	cr_assert_str_eq(side_name(SIDE_CLOSE), "CLOSE");
	fb_set(&b, "side", "CLOSE ");
	expect_word(&b, PLAN_REJECT, "invalid_side");
	fb_set(&b, "side", "CLOSEALL");
	expect_word(&b, PLAN_REJECT, "invalid_side");
}

Test(plan, only_market_type_runs)
{
	struct fb b = good();
	struct plan_ok ok;
	char err[ERROR_MAX];
	fb_del(&b, "type");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "absent type: %s", err);
	fb_set(&b, "type", "market");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	fb_set(&b, "type", "LIMIT");
	expect(&b, PLAN_REJECT, "unsupported_type:LIMIT");
	fb_set(&b, "type", "MARKET&x=1");
	expect_word(&b, PLAN_REJECT, "unsupported_type");
}

Test(plan, bad_quantities_are_invalid_qty)
{
	static const char *const bad[] = { "0", "0.0", "0.000000001", "-1",
		"-0.01", "+1", "nan", "NaN", "inf", "-inf", "Infinity", "1e309",
		"1e3", "1E3", " 1", "1 ", "0x10", "1,5", "1.2.3", ".", "abc",
		"12345678901", "1\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb b = good();
		fb_set(&b, "qty", bad[i]);
		struct plan_ok ok;
		char err[ERROR_MAX];
		enum plan_verdict v = run(&b, &ok, err, sizeof(err));
		cr_assert_eq(v, PLAN_REJECT, "qty \"%s\" gave %d (%s)", bad[i], v, err);
		cr_assert_eq(strncmp(err, "invalid_qty:", 12), 0,
		    "qty \"%s\": error \"%s\"", bad[i], err);
	}
}

Test(plan, empty_qty_is_a_missing_field)
{
	struct fb b = good();
	fb_set(&b, "qty", "");
	expect(&b, PLAN_REJECT, "missing_required_fields");
}

Test(plan, zero_qty_says_not_above_zero)
{
	struct fb b = good();
	fb_set(&b, "qty", "0.00");
	expect(&b, PLAN_REJECT, "invalid_qty:not above 0");
}

Test(plan, one_megabyte_qty_is_invalid)
{
	size_t n = 1 << 20;
	char *v = malloc(n);
	cr_assert_not_null(v);
	memset(v, '1', n);
	struct fb b = good();
	fb_setn(&b, "qty", v, n);
	expect(&b, PLAN_REJECT, "invalid_qty:too long");
	/* just over the bound, all zeros: still too long, not "0" */
	memset(v, '0', FIELD_MAX + 1);
	fb_setn(&b, "qty", v, FIELD_MAX + 1);
	expect(&b, PLAN_REJECT, "invalid_qty:too long");
	free(v);
}

Test(plan, binary_qty_is_invalid)
{
	static const char bin[] = { '1', '\0', '5' };
	static const char hi[] = { '\xff', '\xfe', '1' };
	struct fb b = good();
	fb_setn(&b, "qty", bin, sizeof(bin));
	expect_word(&b, PLAN_REJECT, "invalid_qty");
	fb_setn(&b, "qty", hi, sizeof(hi));
	expect_word(&b, PLAN_REJECT, "invalid_qty");
	fb_setn(&b, "qty", "0.01\x00", 5);
	expect_word(&b, PLAN_REJECT, "invalid_qty");
}

Test(plan, good_quantities)
{
	static const struct {
		const char *v;
		int64_t want;
	} cases[] = {
		{ "0.01", 1000000 }, { "1", 100000000 }, { "0.00000001", 1 },
		{ "12.345678919", 1234567891 }, { "5.", 500000000 }, { ".5", 50000000 },
		{ "9999999999.99999999", 999999999999999999LL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb b = good();
		fb_set(&b, "qty", cases[i].v);
		struct plan_ok ok;
		char err[ERROR_MAX];
		cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "\"%s\": %s",
		    cases[i].v, err);
		cr_assert_eq(ok.qty, cases[i].want, "\"%s\"", cases[i].v);
	}
}

Test(plan, duplicate_field)
{
	static const char *const names[] = { "plan_id", "symbol", "side", "qty",
		"decision", "reduceOnly", "source", "error" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fb b = good();
		fb_add(&b, names[i], "x", 1);
		if (strcmp(names[i], "error") == 0)
			fb_add(&b, names[i], "y", 1);
		char want[64];
		snprintf(want, sizeof(want), "duplicate_field:%s", names[i]);
		expect(&b, PLAN_REJECT, want);
	}
	/* the same value twice is still a duplicate */
	struct fb b = good();
	fb_add(&b, "qty", "0.0100", 6);
	expect(&b, PLAN_REJECT, "duplicate_field:qty");
}

Test(plan, unknown_fields_may_repeat)
{
	struct fb b = good();
	fb_add(&b, "take_profit", "20", 2);
	fb_add(&b, "stop_loss", "1", 1);
	fb_add(&b, "stop_loss", "2", 1);
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
}

Test(plan, leverage_one_to_125)
{
	static const struct { const char *v; int want; } ok_cases[] = {
		{ "1", 1 }, { "10", 10 }, { "125", 125 }, { "007", 7 },
	};
	static const char *const bad[] = { "0", "126", "-1", "1.5", "10x",
		" 10", "1000", "abc" };
	struct plan_ok ok;
	char err[ERROR_MAX];

	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		struct fb b = good();
		fb_set(&b, "leverage", ok_cases[i].v);
		cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s: %s",
		    ok_cases[i].v, err);
		cr_assert_eq(ok.leverage, ok_cases[i].want, "%s", ok_cases[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb b = good();
		char want[64];
		fb_set(&b, "leverage", bad[i]);
		cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT, "%s", bad[i]);
		snprintf(want, sizeof(want), "invalid_leverage:%s", bad[i]);
		cr_assert_str_eq(err, want);
	}
	struct fb b = good();
	fb_del(&b, "leverage");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_eq(ok.leverage, 1, "absent: 1");
	b = good();
	fb_add(&b, "leverage", "5", 1);
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_str_eq(err, "duplicate_field:leverage");
}

Test(plan, field_names_are_case_sensitive)
{
	struct fb b = good();
	fb_add(&b, "QTY", "5", 1);
	fb_add(&b, "reduceonly", "true", 4);
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_eq(ok.qty, 1000000);
	cr_assert_eq(ok.reduce_only, 0);
}

Test(plan, missing_required_fields)
{
	static const char *const req[] = { "plan_id", "symbol", "side", "qty" };
	for (size_t i = 0; i < 4; i++) {
		struct fb b = good();
		fb_del(&b, req[i]);
		expect(&b, PLAN_REJECT, "missing_required_fields");
		b = good();
		fb_set(&b, req[i], "");
		expect(&b, PLAN_REJECT, "missing_required_fields");
	}
	struct fb only;
	memset(&only, 0, sizeof(only));
	fb_add(&only, "decision", "EXECUTE", 7);
	expect(&only, PLAN_REJECT, "missing_required_fields");
	/* with nothing at all, not even a decision, the guard speaks first */
	struct fb none;
	memset(&none, 0, sizeof(none));
	expect(&none, PLAN_DECISION, "decision_not_execute:missing");
}

Test(plan, obsolete_payload_entry_has_no_plan_id)
{
	struct fb b;
	memset(&b, 0, sizeof(b));
	fb_add(&b, "payload", "{\"plan_id\":\"x\"}", 15);
	struct plan p;
	plan_from_fields(&p, b.f, b.n);
	cr_assert_not_null(p.payload.p);
	cr_assert_null(p.plan_id.p);
	fb_add(&b, "decision", "EXECUTE", 7);
	expect(&b, PLAN_REJECT, "missing_required_fields");
}

Test(plan, invalid_plan_id)
{
	char long_id[PLAN_ID_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	static const char *const bad[] = { "a b", "a\tb", "id\n", "\x01",
		"caf\xc3\xa9", "x\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb b = good();
		fb_set(&b, "plan_id", bad[i]);
		expect_word(&b, PLAN_REJECT, "invalid_plan_id");
	}
	struct fb b = good();
	fb_set(&b, "plan_id", long_id);                 /* 129 */
	expect_word(&b, PLAN_REJECT, "invalid_plan_id");
	long_id[PLAN_ID_MAX] = '\0';                    /* 128 is fine */
	fb_set(&b, "plan_id", long_id);
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_str_eq(ok.plan_id, long_id);
	fb_setn(&b, "plan_id", "ab\0cd", 5);
	expect_word(&b, PLAN_REJECT, "invalid_plan_id");
}

/* Each guard wins over every later one. */
Test(plan, guards_run_in_order)
{
	struct fb b = good();
	/* everything wrong at once */
	fb_set(&b, "decision", "BLOCKED");
	fb_set(&b, "side", "HOLD");
	fb_set(&b, "type", "LIMIT");
	fb_set(&b, "qty", "-1");
	fb_set(&b, "plan_id", "bad id");
	fb_add(&b, "source", "again", 5);
	fb_set(&b, "symbol", "");
	expect(&b, PLAN_REJECT, "duplicate_field:source");

	fb_del(&b, "source");                   /* 1: duplicate gone */
	expect(&b, PLAN_DECISION, "decision_not_execute:BLOCKED");

	fb_set(&b, "decision", "EXECUTE");      /* 2: decision fine */
	expect(&b, PLAN_REJECT, "missing_required_fields");

	fb_set(&b, "symbol", "DOGEUSDT");       /* 3: fields present */
	expect_word(&b, PLAN_REJECT, "invalid_plan_id");

	fb_set(&b, "plan_id", "abc");           /* 4: plan id fine */
	expect(&b, PLAN_REJECT, "symbol_not_in_allowlist:DOGEUSDT");

	fb_set(&b, "symbol", "TRXUSDT");        /* 5: symbol fine */
	expect(&b, PLAN_REJECT, "invalid_side:HOLD");

	fb_set(&b, "side", "BUY");              /* 6: side fine */
	expect(&b, PLAN_REJECT, "unsupported_type:LIMIT");

	fb_set(&b, "type", "MARKET");           /* 7: type fine */
	expect_word(&b, PLAN_REJECT, "invalid_qty");

	fb_set(&b, "qty", "100");               /* 8: all fine */
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_OK, "%s", err);
	cr_assert_str_eq(ok.plan_id, "abc");
	cr_assert_str_eq(ok.symbol, "TRXUSDT");
	cr_assert_eq(ok.side, SIDE_BUY);
	cr_assert_eq(ok.qty, 10000000000LL);
	cr_assert_eq(ok.reduce_only, 0);
}

/*
 * A plan that is not EXECUTE is never executed and its reason is its own
 * (error, reason, reason_codes), counted as p35_guard_blocked, even when it
 * lacks the fields an order would need: BLOCKED plans often carry no qty.
 */
Test(plan, blocked_plan_without_order_fields_keeps_its_reason)
{
	static const char *const fields[] = { "qty", "side", "symbol", "plan_id" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct fb b = good();
		fb_set(&b, "decision", "BLOCKED");
		fb_set(&b, "reason", "risk_limit_hit");
		fb_del(&b, fields[i]);
		expect(&b, PLAN_DECISION, "risk_limit_hit");
		fb_set(&b, fields[i], "");
		expect(&b, PLAN_DECISION, "risk_limit_hit");
	}
	struct fb b = good();
	fb_set(&b, "decision", "SKIP");
	fb_set(&b, "qty", "not a number");
	fb_set(&b, "symbol", "DOGEUSDT");
	expect(&b, PLAN_DECISION, "decision_not_execute:SKIP");
}

/*
 * The plan_id is known for every verdict once the entry holds one valid
 * plan_id, so that a malformed or blocked copy of a plan already decided
 * is recognized as a copy (one result per plan_id).
 */
Test(plan, plan_id_is_known_whatever_the_verdict)
{
	static const char *const edits[][2] = {
		{ "qty", NULL },                /* missing_required_fields */
		{ "side", "" },                 /* missing_required_fields */
		{ "decision", "BLOCKED" },
		{ "symbol", "DOGEUSDT" },
		{ "side", "HOLD" },
		{ "type", "LIMIT" },
		{ "qty", "0" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct fb b = good();
		if (edits[i][1])
			fb_set(&b, edits[i][0], edits[i][1]);
		else
			fb_del(&b, edits[i][0]);
		struct plan_ok ok;
		char err[ERROR_MAX];
		cr_assert_neq(run(&b, &ok, err, sizeof(err)), PLAN_OK);
		cr_assert_str_eq(ok.plan_id, "6e8683f5a0cf8cc7", "edit %zu (%s)", i,
		    err);
	}
	/* a duplicated known field other than plan_id */
	struct fb b = good();
	fb_add(&b, "qty", "5", 1);
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_str_eq(ok.plan_id, "6e8683f5a0cf8cc7");
	/* no usable plan_id: none is claimed */
	b = good();
	fb_add(&b, "plan_id", "other", 5);
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_str_eq(ok.plan_id, "", "a doubled plan_id is ambiguous");
	b = good();
	fb_set(&b, "plan_id", "bad id");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_str_eq(ok.plan_id, "");
	b = good();
	fb_del(&b, "plan_id");
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_str_eq(ok.plan_id, "");
}

Test(plan, rejected_detail_is_sanitized_and_bounded)
{
	char big[400];
	memset(big, 'Z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[3] = '\x1b';
	struct fb b = good();
	fb_set(&b, "side", big);
	struct plan_ok ok;
	char err[ERROR_MAX];
	cr_assert_eq(run(&b, &ok, err, sizeof(err)), PLAN_REJECT);
	cr_assert_eq(strncmp(err, "invalid_side:ZZZ?ZZ", 19), 0, "%s", err);
	cr_assert_lt(strlen(err), 100, "detail not bounded: %zu", strlen(err));
}
