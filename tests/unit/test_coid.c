/*
 * test_coid.c - executor/coid.c: client order ids derived from plan_id.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coid.h"

static int in_charset(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '/' ||
	    c == '_' || c == '-';
}

/* The exchange's rule: ^[.A-Z:/a-z0-9_-]{1,36}$ */
static void assert_valid(const char *coid, const char *from)
{
	size_t n = strlen(coid);
	cr_assert(n >= 1 && n <= 36, "\"%s\" (from \"%s\") is %zu characters",
	    coid, from, n);
	for (size_t i = 0; i < n; i++)
		cr_assert(in_charset(coid[i]), "\"%s\" (from \"%s\") has byte 0x%02x",
		    coid, from, (unsigned char)coid[i]);
}

static void coid(const char *plan_id, char *out)
{
	memset(out, '#', CLIENT_ORDER_ID_MAX + 1);
	client_order_id(plan_id, out);
	cr_assert_not_null(memchr(out, '\0', CLIENT_ORDER_ID_MAX + 1),
	    "not terminated within %d bytes", CLIENT_ORDER_ID_MAX + 1);
	assert_valid(out, plan_id);
}

Test(coid, plain_ids_get_the_qie_prefix)
{
	static const char *const ids[] = { "6e8683f5a0cf8cc7", "a", "A.b:c/d_e-f",
		"0123456789abcdef0123456789abcdef" /* 32 */ };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char out[CLIENT_ORDER_ID_MAX + 1], want[64];
		coid(ids[i], out);
		snprintf(want, sizeof(want), "qie-%s", ids[i]);
		cr_assert_str_eq(out, want);
	}
}

Test(coid, long_ids_are_hashed)
{
	char out[CLIENT_ORDER_ID_MAX + 1];
	coid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out);         /* 33 */
	cr_assert_str_eq(out, "qih-852785c805c77e71a22340a54e9d9593");
	cr_assert_eq(strlen(out), 36);
}

Test(coid, odd_ids_are_hashed)
{
	static const struct {
		const char *id, *want;
	} cases[] = {
		{ "plan id", "qih-ef93d40d68f2e4c9b1cdb4277d6b36bd" },
		{ "6e8683f5a0cf8cc7&x=1", "qih-fecdc0b434d928caeff61072916774e5" },
		{ "", "qih-e3b0c44298fc1c149afbf4c8996fb924" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[CLIENT_ORDER_ID_MAX + 1];
		coid(cases[i].id, out);
		cr_assert_str_eq(out, cases[i].want, "\"%s\"", cases[i].id);
	}
	static const char *const odd[] = { "a b", "a&b", "a=b", "a+b", "a%20b",
		"caf\xc3\xa9", "\x01", "a\tb", "tab\x7f", "a@b", "#1", "\"q\"",
		"a,b", "a;b", "a?b", "a*b", "~" };
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char out[CLIENT_ORDER_ID_MAX + 1];
		coid(odd[i], out);
		cr_assert_eq(strncmp(out, "qih-", 4), 0, "\"%s\" -> %s", odd[i], out);
		cr_assert_eq(strlen(out), 36);
		for (int k = 4; k < 36; k++)
			cr_assert((out[k] >= '0' && out[k] <= '9') ||
			    (out[k] >= 'a' && out[k] <= 'f'), "%s is not hex", out);
	}
}

Test(coid, deterministic_and_distinct)
{
	static char ids[600][140];
	static char outs[600][CLIENT_ORDER_ID_MAX + 1];
	uint32_t x = 2463534242u;
	int n = 0;
	/* plain ids of every length, and random byte strings up to 128 */
	for (int len = 1; len <= 40; len++, n++) {
		for (int k = 0; k < len; k++)
			ids[n][k] = "0123456789abcdef"[(len * 7 + k) % 16];
		ids[n][len] = '\0';
	}
	for (; n < 600; n++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		int len = (int)(x % 129);
		for (int k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			ids[n][k] = (char)(1 + x % 255);  /* no NUL */
		}
		ids[n][len] = '\0';
	}
	for (int i = 0; i < n; i++) {
		char again[CLIENT_ORDER_ID_MAX + 1];
		coid(ids[i], outs[i]);
		coid(ids[i], again);
		cr_assert_str_eq(outs[i], again, "not deterministic");
	}
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++)
			if (strcmp(ids[i], ids[k]) != 0)
				cr_assert_str_neq(outs[i], outs[k],
				    "two plans share the order id %s", outs[i]);
}

Test(coid, plain_and_hashed_forms_never_collide)
{
	/* a plan id that looks like a hashed coid still gets its own prefix */
	char a[CLIENT_ORDER_ID_MAX + 1], b[CLIENT_ORDER_ID_MAX + 1];
	coid("plan id", a);
	coid(a + 4, b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(strncmp(b, "qie-", 4), 0);
}
