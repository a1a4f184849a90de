/*
 * test_permit.c - workers/permit.c: permits as a JSON string or a HASH.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "permit.h"
#include "safety.h"

static int json(const char *s, struct permit *pm, const char **why)
{
	*why = NULL;
	memset(pm, 0x55, sizeof(*pm));  /* the parser must fill every field */
	return permit_from_json(s, strlen(s), pm, why);
}

static void json_ok(const char *s, struct permit *pm)
{
	const char *why;
	int rc = json(s, pm, &why);
	cr_assert_eq(rc, 0, "%s rejected: %s", s, why ? why : "?");
}

static void json_bad(const char *s)
{
	struct permit pm;
	const char *why;
	cr_assert_eq(json(s, &pm, &why), -1, "%s accepted", s);
	cr_assert_not_null(why, "%s: no reason", s);
}

/* HASH: a NULL-terminated list of strings, HGETALL style. */
static int hash(const char *const *kv, struct permit *pm, const char **why)
{
	struct bytes b[32];
	size_t n = 0;
	for (; kv[n]; n++)
		b[n] = (struct bytes){ kv[n], strlen(kv[n]) };
	*why = NULL;
	memset(pm, 0x55, sizeof(*pm));
	return permit_from_hash(b, n, pm, why);
}

static void hash_ok(const char *const *kv, struct permit *pm)
{
	const char *why;
	cr_assert_eq(hash(kv, pm, &why), 0, "rejected: %s", why ? why : "?");
}

Test(permit, json_allow_and_granted_combinations)
{
	static const struct {
		const char *s;
		int allow;
	} cases[] = {
		{ "{\"allow\":true}", 1 },
		{ "{\"granted\":true}", 1 },
		{ "{\"allow\":true,\"granted\":true}", 1 },
		{ "{\"allow\":true,\"granted\":false}", 0 },
		{ "{\"allow\":false,\"granted\":true}", 0 },
		{ "{\"allow\":false}", 0 },
		{ "{\"granted\":false}", 0 },
		{ "{}", 0 },
		{ "{\"reason\":\"ok\"}", 0 },
		{ "{\"allow\":\"true\"}", 1 },
		{ "{\"allow\":\"TRUE\"}", 1 },
		{ "{\"allow\":\"yes\"}", 1 },
		{ "{\"allow\":\"1\"}", 1 },
		{ "{\"allow\":\"false\"}", 0 },
		{ "{\"allow\":\"no\"}", 0 },
		{ "{\"allow\":\"\"}", 0 },
		{ "{\"allow\":\"truex\"}", 0 },
		{ "{\"allow\":\"on\"}", 0 },
		{ "{\"allow\":\"Yes\"}", 1 },
		{ "{\"allow\":\"true \"}", 0 },
		{ "{\"allow\":1}", 1 },
		{ "{\"allow\":0}", 0 },
		{ "{\"allow\":2}", 0 },
		{ "{\"allow\":-1}", 0 },
		{ "{\"allow\":1.5}", 0 },
		{ "{\"allow\":null}", 0 },
		{ "{\"allow\":[true]}", 0 },
		{ "{\"allow\":{}}", 0 },
		{ "{\"allow\":null,\"granted\":true}", 0 },
		{ "{\"ALLOW\":true}", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct permit pm;
		json_ok(cases[i].s, &pm);
		cr_assert_eq(pm.allow, cases[i].allow, "%s: allow=%d, want %d",
		    cases[i].s, pm.allow, cases[i].allow);
	}
}

Test(permit, json_fields_default_to_empty)
{
	struct permit pm;
	json_ok("{\"allow\":true}", &pm);
	cr_assert_str_eq(pm.reason, "");
	cr_assert_eq(pm.safe_qty, 0);
}

Test(permit, json_reason_is_sanitized)
{
	struct permit pm;
	json_ok("{\"allow\":false,\"reason\":\"cooldown_active\"}", &pm);
	cr_assert_str_eq(pm.reason, "cooldown_active");
	json_ok("{\"allow\":false,\"reason\":\"a\\nb\\u00e9\"}", &pm);
	for (const char *c = pm.reason; *c; c++)
		cr_assert(*c >= 0x20 && *c < 0x7f, "reason not printable");
	cr_assert_eq(strncmp(pm.reason, "a?b", 3), 0, "%s", pm.reason);
	json_ok("{\"allow\":false,\"reason\":42}", &pm);
	cr_assert_str_eq(pm.reason, "", "a non-string reason is ignored");
}

Test(permit, json_safe_qty_forms)
{
	static const struct {
		const char *s;
		int64_t want;
	} cases[] = {
		{ "{\"allow\":true,\"safe_qty\":\"0.5\"}", 50000000 },
		{ "{\"allow\":true,\"safe_qty\":\"-0.5\"}", 50000000 },
		{ "{\"allow\":true,\"safe_qty\":0.5}", 50000000 },
		{ "{\"allow\":true,\"safe_qty\":-0.5}", 50000000 },
		{ "{\"allow\":true,\"safe_qty\":0.01}", 1000000 },
		{ "{\"allow\":true,\"safe_qty\":0.3}", 30000000 },
		{ "{\"allow\":true,\"safe_qty\":0.29}", 29000000 },
		{ "{\"allow\":true,\"safe_qty\":0.07}", 7000000 },
		/* cut, never rounded up above what the permit allows */
		{ "{\"allow\":true,\"safe_qty\":0.123456789}", 12345678 },
		{ "{\"allow\":true,\"safe_qty\":\"0.123456789\"}", 12345678 },
		{ "{\"allow\":true,\"safe_qty\":9999999999.5}", 999999999950000000LL },
		{ "{\"allow\":true,\"safe_qty\":2}", 200000000 },
		{ "{\"allow\":true,\"safe_qty\":-3}", 300000000 },
		{ "{\"allow\":true,\"safe_qty\":0}", 0 },
		{ "{\"allow\":true,\"safe_qty\":0.0}", 0 },
		{ "{\"allow\":true,\"safe_qty\":\"0\"}", 0 },
		{ "{\"allow\":true,\"safe_qty\":null}", 0 },
		{ "{\"allow\":true,\"safe_close_qty\":\"0.25\"}", 25000000 },
		{ "{\"allow\":true,\"safe_close_qty\":-0.25}", 25000000 },
		/* the smallest positive one caps */
		{ "{\"allow\":true,\"safe_qty\":0.3,\"safe_close_qty\":\"0.2\"}",
		  20000000 },
		{ "{\"allow\":true,\"safe_qty\":\"0.2\",\"safe_close_qty\":0.3}",
		  20000000 },
		{ "{\"allow\":true,\"safe_qty\":0,\"safe_close_qty\":0.3}", 30000000 },
		{ "{\"allow\":true,\"safe_qty\":\"0.7\",\"safe_close_qty\":0}",
		  70000000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct permit pm;
		json_ok(cases[i].s, &pm);
		cr_assert_eq(pm.safe_qty, cases[i].want, "%s: %lld, want %lld",
		    cases[i].s, (long long)pm.safe_qty, (long long)cases[i].want);
	}
}

Test(permit, json_bad_safe_qty_is_rejected)
{
	json_bad("{\"allow\":true,\"safe_qty\":\"abc\"}");
	json_bad("{\"allow\":true,\"safe_qty\":\"\"}");
	json_bad("{\"allow\":true,\"safe_qty\":\"1e3\"}");
	json_bad("{\"allow\":true,\"safe_qty\":\"--1\"}");
	json_bad("{\"allow\":true,\"safe_qty\":\" 1\"}");
	json_bad("{\"allow\":true,\"safe_qty\":true}");
	json_bad("{\"allow\":true,\"safe_qty\":[1]}");
	json_bad("{\"allow\":true,\"safe_qty\":{}}");
	json_bad("{\"allow\":true,\"safe_qty\":1e12}");
	json_bad("{\"allow\":true,\"safe_qty\":-1e12}");
	json_bad("{\"allow\":true,\"safe_close_qty\":\"x\"}");
}

Test(permit, positive_safe_qty_below_the_resolution_still_caps)
{
	/*
	 * |value| > 0 caps the order at min(qty, value); a value below 1e-8
	 * must not turn into "0 = no cap" and let the whole quantity through.
	 */
	static const char *const js[] = {
		"{\"allow\":true,\"safe_qty\":\"0.000000001\"}",
		"{\"allow\":true,\"safe_qty\":1e-9}",
		"{\"allow\":true,\"safe_close_qty\":-0.000000004}",
	};
	for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++) {
		struct permit pm;
		const char *why;
		int rc = json(js[i], &pm, &why);
		cr_assert_eq(rc, 0, "%s: %s", js[i], why);
		cr_assert_eq(pm.safe_qty, 1, "%s: read as safe_qty=%lld, want the "
		    "smallest cap 1e-8", js[i], (long long)pm.safe_qty);
	}
	static const char *const kv[] = { "allow", "true", "safe_qty",
		"0.000000009", NULL };
	struct permit pm;
	const char *why;
	int rc = hash(kv, &pm, &why);
	cr_assert_eq(rc, 0, "hash: %s", why);
	cr_assert_eq(pm.safe_qty, 1, "hash: read as safe_qty=%lld, want 1e-8",
	    (long long)pm.safe_qty);
	/* a real zero is still "no cap" */
	static const char *const zero[] = { "allow", "true", "safe_qty",
		"-0.000000000", NULL };
	cr_assert_eq(hash(zero, &pm, &why), 0);
	cr_assert_eq(pm.safe_qty, 0);
}

Test(permit, json_that_is_not_an_object_is_rejected)
{
	static const char *const arrays[] = { "[]", "[{\"allow\":true}]",
		"[true]" };
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		struct permit pm;
		const char *why;
		cr_assert_eq(json(arrays[i], &pm, &why), -1, "%s accepted", arrays[i]);
		cr_assert_str_eq(why, "permit JSON is not an object", "%s", arrays[i]);
	}
	/* bare scalars are refused by the loader itself */
	static const char *const scalars[] = { "1", "true", "null", "\"allow\"" };
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		json_bad(scalars[i]);
}

Test(permit, invalid_json_is_rejected)
{
	static const char *const bad[] = { "", "{", "{allow:true}",
		"{\"allow\":true,}", "{\"allow\":True}", "{'allow':true}",
		"{\"allow\":true} x", "{\"allow\":true}{}", "allow=true",
		"{\"allow\":tru}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct permit pm;
		const char *why;
		cr_assert_eq(json(bad[i], &pm, &why), -1, "%s accepted", bad[i]);
		cr_assert_str_eq(why, "permit is not valid JSON", "%s", bad[i]);
		cr_assert_eq(pm.allow, 0, "%s: allow left set", bad[i]);
	}
}

Test(permit, json_duplicate_keys_are_rejected)
{
	json_bad("{\"allow\":true,\"allow\":false}");
	json_bad("{\"allow\":false,\"allow\":true}");
	json_bad("{\"allow\":true,\"safe_qty\":1,\"safe_qty\":100}");
	json_bad("{\"allow\":true,\"reason\":\"a\",\"reason\":\"b\"}");
}

Test(permit, json_nul_inside_is_rejected)
{
	static const char s[] = "{\"allow\":true}\0junk";
	static const char esc[] = "{\"allow\":\"tr\\u0000ue\"}";
	struct permit pm;
	const char *why = NULL;
	cr_assert_eq(permit_from_json(s, sizeof(s) - 1, &pm, &why), -1);
	cr_assert_eq(permit_from_json(esc, strlen(esc), &pm,
	    &why), -1, "escaped NUL in a string accepted");
}

Test(permit, json_length_is_respected)
{
	static const char s[] = "{\"allow\":true}garbage";
	struct permit pm;
	const char *why = NULL;
	cr_assert_eq(permit_from_json(s, 14, &pm, &why), 0);
	cr_assert_eq(pm.allow, 1);
}

Test(permit, hash_false_string_is_false)
{
	static const char *const kv[] = { "allow", "false", NULL };
	struct permit pm;
	hash_ok(kv, &pm);
	cr_assert_eq(pm.allow, 0);
}

Test(permit, hash_allow_and_granted_combinations)
{
	static const struct {
		const char *kv[5];
		int allow;
	} cases[] = {
		{ { "allow", "true", NULL }, 1 },
		{ { "allow", "1", NULL }, 1 },
		{ { "allow", "yes", NULL }, 1 },
		{ { "allow", "YES", NULL }, 1 },
		{ { "allow", "True", NULL }, 1 },
		{ { "allow", "0", NULL }, 0 },
		{ { "allow", "no", NULL }, 0 },
		{ { "allow", "", NULL }, 0 },
		{ { "allow", "off", NULL }, 0 },
		{ { "allow", "true ", NULL }, 0 },
		{ { "allow", "on", NULL }, 0 },
		{ { "allow", "maybe", NULL }, 0 },
		{ { "allow", "FALSE", NULL }, 0 },
		{ { "granted", "true", NULL }, 1 },
		{ { "granted", "false", NULL }, 0 },
		{ { "allow", "true", "granted", "true", NULL }, 1 },
		{ { "allow", "true", "granted", "false", NULL }, 0 },
		{ { "allow", "false", "granted", "true", NULL }, 0 },
		{ { "granted", "1", "allow", "0", NULL }, 0 },
		{ { "reason", "x", NULL }, 0 },
		{ { NULL }, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct permit pm;
		hash_ok(cases[i].kv, &pm);
		cr_assert_eq(pm.allow, cases[i].allow, "case %zu: allow=%d", i,
		    pm.allow);
	}
}

Test(permit, hash_reason_and_safe_qty)
{
	static const char *const kv[] = { "allow", "false", "reason",
		"cooldown\x01", "safe_qty", "-0.5", "ts", "123", NULL };
	struct permit pm;
	hash_ok(kv, &pm);
	cr_assert_eq(pm.allow, 0);
	cr_assert_str_eq(pm.reason, "cooldown?");
	cr_assert_eq(pm.safe_qty, 50000000);
}

Test(permit, hash_safe_qty_forms)
{
	static const struct {
		const char *kv[7];
		int64_t want;
	} cases[] = {
		{ { "allow", "1", "safe_qty", "0.5", NULL }, 50000000 },
		{ { "allow", "1", "safe_qty", "-0.5", NULL }, 50000000 },
		{ { "allow", "1", "safe_qty", "+0.5", NULL }, 50000000 },
		{ { "allow", "1", "safe_qty", "0", NULL }, 0 },
		{ { "allow", "1", "safe_qty", "0.000", NULL }, 0 },
		{ { "allow", "1", "safe_qty", "", NULL }, 0 },
		{ { "allow", "1", "safe_close_qty", "1.25", NULL }, 125000000 },
		{ { "allow", "1", "safe_qty", "3", "safe_close_qty", "2", NULL },
		  200000000 },
		{ { "allow", "1", "safe_qty", "2", "safe_close_qty", "3", NULL },
		  200000000 },
		{ { "allow", "1", "safe_qty", "0", "safe_close_qty", "3", NULL },
		  300000000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct permit pm;
		hash_ok(cases[i].kv, &pm);
		cr_assert_eq(pm.safe_qty, cases[i].want, "case %zu: %lld", i,
		    (long long)pm.safe_qty);
	}
}

Test(permit, hash_bad_safe_qty_is_rejected)
{
	static const char *const bad[] = { "abc", "1e3", "nan", "--1", " 1",
		"0x1", "1,5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *kv[] = { "allow", "true", "safe_qty", bad[i], NULL };
		struct permit pm;
		const char *why;
		cr_assert_eq(hash(kv, &pm, &why), -1, "safe_qty \"%s\" accepted",
		    bad[i]);
		cr_assert_not_null(why);
	}
	const char *kv[] = { "allow", "true", "safe_close_qty", "x", NULL };
	struct permit pm;
	const char *why;
	cr_assert_eq(hash(kv, &pm, &why), -1);
}

Test(permit, hash_odd_count_is_rejected)
{
	static const char *const kv[] = { "allow", "true", "reason", NULL };
	struct permit pm;
	const char *why;
	cr_assert_eq(hash(kv, &pm, &why), -1);
	cr_assert_str_eq(why, "permit hash has an odd field count");
}

Test(permit, hash_binary_values)
{
	struct bytes b[] = { { "allow", 5 }, { "tr\0ue", 5 } };
	struct permit pm;
	const char *why = NULL;
	cr_assert_eq(permit_from_hash(b, 2, &pm, &why), 0);
	cr_assert_eq(pm.allow, 0, "\"tr\\0ue\" is not true");
	struct bytes c[] = { { "allow", 5 }, { "truex", 4 } };
	cr_assert_eq(permit_from_hash(c, 2, &pm, &why), 0);
	cr_assert_eq(pm.allow, 1, "the length bounds the value");
}

/* side and lane: optional, any case; anything else makes the permit bad */
Test(permit, side_and_lane_are_read_from_both_encodings)
{
	struct permit pm;
	const char *why;

	json_ok("{\"allow\": true}", &pm);
	cr_assert_eq(pm.side, 0);
	cr_assert_eq(pm.lane, -1);
	json_ok("{\"allow\": true, \"side\": \"sell\", \"lane\": \"Manual\"}", &pm);
	cr_assert_eq(pm.side, SIDE_SELL);
	cr_assert_eq(pm.lane, LANE_MANUAL);
	json_ok("{\"allow\": true, \"side\": null, \"lane\": null}", &pm);
	cr_assert_eq(pm.side, 0);
	cr_assert_eq(pm.lane, -1);
	const char *const kv[] = { "allow", "1", "side", "BUY", "lane", "main",
		NULL };
	cr_assert_eq(hash(kv, &pm, &why), 0, "%s", why ? why : "?");
	cr_assert_eq(pm.side, SIDE_BUY);
	cr_assert_eq(pm.lane, LANE_MAIN);
	const char *const none[] = { "allow", "1", NULL };
	cr_assert_eq(hash(none, &pm, &why), 0);
	cr_assert_eq(pm.lane, -1);
}

Test(permit, bad_side_or_lane_is_rejected)
{
	static const char *const bad[] = {
		"{\"allow\": true, \"side\": \"LONG\"}",
		"{\"allow\": true, \"side\": \"\"}",
		"{\"allow\": true, \"side\": 1}",
		"{\"allow\": true, \"lane\": \"harvest\"}",
		"{\"allow\": true, \"lane\": \"main \"}",
		"{\"allow\": true, \"lane\": true}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_bad(bad[i]);
	struct permit pm;
	const char *why;
	const char *const h1[] = { "allow", "1", "side", "SELLL", NULL };
	const char *const h2[] = { "allow", "1", "lane", "", NULL };
	cr_assert_eq(hash(h1, &pm, &why), -1);
	cr_assert_eq(hash(h2, &pm, &why), -1);
}

/* a permit naming a symbol, side or lane binds to them (safety.c) */
Test(permit, binding_to_symbol_side_and_lane)
{
	struct permit pm;
	char err[200];

	json_ok("{\"allow\": true}", &pm);
	cr_assert_eq(permit_binding_check(&pm, "ETHUSDT", SIDE_BUY, LANE_MAIN, 0,
	    30, err, sizeof(err)), 0, "%s", err);
	json_ok("{\"allow\": true, \"side\": \"SELL\"}", &pm);
	cr_assert_eq(permit_binding_check(&pm, "ETHUSDT", SIDE_BUY, LANE_MAIN, 0,
	    30, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "p33_permit_mismatch:permit for SELL, plan to BUY");
	cr_assert_eq(permit_binding_check(&pm, "ETHUSDT", SIDE_SELL, LANE_MAIN, 0,
	    30, err, sizeof(err)), 0);
	json_ok("{\"allow\": true, \"lane\": \"manual\"}", &pm);
	cr_assert_eq(permit_binding_check(&pm, "ETHUSDT", SIDE_SELL, LANE_MAIN, 0,
	    30, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "p33_permit_mismatch:permit for lane manual, plan "
	    "on lane main");
	cr_assert_eq(permit_binding_check(&pm, "ETHUSDT", SIDE_SELL, LANE_MANUAL,
	    0, 30, err, sizeof(err)), 0);
}

/* the lane's breaker halts the lane's plans, reduce-only ones included */
Test(permit, a_lane_halted_by_its_breaker_runs_nothing)
{
	char err[200];
	cr_assert_eq(trading_gate(1000, 1, TS_LANE_HALTED, 1000, 30, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "lane_halted:circuit breaker (qiectl resume)");
	cr_assert_eq(trading_gate(1000, 1, TS_ACTIVE, 1000, 30, err,
	    sizeof(err)), 0);
}
