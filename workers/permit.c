/*
 * permit.c - parse permits (jansson for the JSON encoding).
 */
#include "permit.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "boolean.h"
#include "decimal.h"
#include "log.h"

enum { T_ABSENT = -1, T_FALSE = 0, T_TRUE = 1 };

/* allow / granted as text: true only when the boolean reader says so */
static int truthy_text(const char *s, size_t n)
{
	int v;
	return bool_parse(s, n, &v) == 0 && v ? T_TRUE : T_FALSE;
}

static int combine(int a, int b)
{
	if (a == T_ABSENT && b == T_ABSENT)
		return 0;
	return a != T_FALSE && b != T_FALSE;
}

/*
 * |text| as a decimal; -1 if not one.  A value above 0 but below 1e-8 reads
 * as 1e-8: it must still cap, not turn into 0 ("no cap").
 */
static int abs_qty(const char *s, size_t n, int64_t *out, const char **why)
{
	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		s++, n--;
	if (dec_parse(s, n, out, why) < 0)
		return -1;
	for (size_t i = 0; i < n && *out == 0; i++)
		if (s[i] >= '1' && s[i] <= '9')
			*out = 1;
	return 0;
}

static void cap(struct permit *pm, int64_t v)
{
	if (v > 0 && (pm->safe_qty == 0 || v < pm->safe_qty))
		pm->safe_qty = v;
}

static int json_flag(json_t *v)
{
	if (!v)
		return T_ABSENT;
	if (json_is_true(v))
		return T_TRUE;
	if (json_is_string(v))
		return truthy_text(json_string_value(v), json_string_length(v));
	if (json_is_integer(v))
		return json_integer_value(v) == 1 ? T_TRUE : T_FALSE;
	return T_FALSE;
}

static int json_qty(json_t *v, struct permit *pm, const char **why)
{
	char buf[64];
	int64_t q;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (abs_qty(json_string_value(v), json_string_length(v), &q, why) < 0)
			return -1;
	} else if (json_is_number(v)) {
		double d = json_number_value(v);
		if (!(d > -1e10 && d < 1e10))
			return *why = "safe quantity out of range", -1;
		/* two spare digits, then cut: never round up past the value */
		snprintf(buf, sizeof(buf), "%.10f", d < 0 ? -d : d);
		if (dec_parse(buf, strlen(buf), &q, why) < 0)
			return -1;
		if (q == 0 && d != 0)
			q = 1;
	} else {
		return *why = "safe quantity is not a number", -1;
	}
	cap(pm, q);
	return 0;
}

/* symbol: 1..20 of A-Z a-z 0-9 */
static int set_symbol(struct permit *pm, const char *s, size_t n,
    const char **why)
{
	if (n == 0 || n >= 21)
		return *why = "permit symbol has a bad length", -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9')))
			return *why = "permit symbol is not A-Z/0-9", -1;
		pm->symbol[i] = c;
	}
	pm->symbol[n] = '\0';
	return 0;
}

/* side: BUY or SELL; lane: main or manual; any case */
static int set_side(struct permit *pm, const char *s, size_t n,
    const char **why)
{
	if (n == 3 && strncasecmp(s, "BUY", 3) == 0)
		pm->side = SIDE_BUY;
	else if (n == 4 && strncasecmp(s, "SELL", 4) == 0)
		pm->side = SIDE_SELL;
	else
		return *why = "permit side is not BUY or SELL", -1;
	return 0;
}

static int set_lane(struct permit *pm, const char *s, size_t n,
    const char **why)
{
	for (int l = 0; l < LANE_COUNT; l++) {
		const char *name = lane_name((enum lane)l);
		/* only a lane that reads permits can be named by one */
		if (lane_has((enum lane)l, LANE_F_PERMIT) && n == strlen(name) &&
		    strncasecmp(s, name, n) == 0) {
			pm->lane = l;
			return 0;
		}
	}
	return *why = "permit lane is not main or manual (the lanes that read permits)", -1;
}

/* a JSON string field through set(), absent or null: unsaid */
static int json_word(json_t *o, const char *key, struct permit *pm,
    int (*set)(struct permit *, const char *, size_t, const char **),
    const char **why)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return *why = "permit side, lane or symbol is not a string", -1;
	return set(pm, json_string_value(v), json_string_length(v), why);
}

static int set_ts(struct permit *pm, const char *s, size_t n, const char **why)
{
	if (dec_parse_time_ms(s, n, &pm->ts_ms, why) < 0)
		return *why = "permit timestamp is not a time", -1;
	return 0;
}

static int json_binding(json_t *o, struct permit *pm, const char **why)
{
	char buf[64];
	json_t *ts = json_object_get(o, "ts");
	if (!ts)
		ts = json_object_get(o, "timestamp");
	if (json_word(o, "symbol", pm, set_symbol, why) < 0 ||
	    json_word(o, "side", pm, set_side, why) < 0 ||
	    json_word(o, "lane", pm, set_lane, why) < 0)
		return -1;
	if (!ts || json_is_null(ts))
		return 0;
	if (json_is_string(ts))
		return set_ts(pm, json_string_value(ts), json_string_length(ts), why);
	if (!json_is_number(ts) || json_number_value(ts) < 0 ||
	    json_number_value(ts) > 1e15)
		return *why = "permit timestamp is not a time", -1;
	snprintf(buf, sizeof(buf), "%.3f", json_number_value(ts));
	return set_ts(pm, buf, strlen(buf), why);
}

int permit_from_json(const char *s, size_t n, struct permit *pm,
    const char **why)
{
	json_error_t e;
	memset(pm, 0, sizeof(*pm));
	pm->lane = -1;
	json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
	if (!o)
		return *why = "permit is not valid JSON", -1;
	int rc = -1;
	if (!json_is_object(o)) {
		*why = "permit JSON is not an object";
		goto out;
	}
	pm->allow = combine(json_flag(json_object_get(o, "allow")),
	    json_flag(json_object_get(o, "granted")));
	json_t *r = json_object_get(o, "reason");
	if (json_is_string(r))
		log_sanitize(pm->reason, sizeof(pm->reason), json_string_value(r),
		    json_string_length(r));
	if (json_qty(json_object_get(o, "safe_qty"), pm, why) < 0 ||
	    json_qty(json_object_get(o, "safe_close_qty"), pm, why) < 0 ||
	    json_binding(o, pm, why) < 0)
		goto out;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static int is(struct bytes b, const char *name)
{
	return b.n == strlen(name) && memcmp(b.p, name, b.n) == 0;
}

int permit_from_hash(const struct bytes *pairs, size_t n, struct permit *pm,
    const char **why)
{
	int allow = T_ABSENT, granted = T_ABSENT;
	int64_t q;

	memset(pm, 0, sizeof(*pm));
	pm->lane = -1;
	if (n % 2)
		return *why = "permit hash has an odd field count", -1;
	for (size_t i = 0; i < n; i += 2) {
		struct bytes k = pairs[i], v = pairs[i + 1];
		if (is(k, "allow"))
			allow = truthy_text(v.p, v.n);
		else if (is(k, "granted"))
			granted = truthy_text(v.p, v.n);
		else if (is(k, "symbol")) {
			if (set_symbol(pm, v.p, v.n, why) < 0)
				return -1;
		} else if (is(k, "side")) {
			if (set_side(pm, v.p, v.n, why) < 0)
				return -1;
		} else if (is(k, "lane")) {
			if (set_lane(pm, v.p, v.n, why) < 0)
				return -1;
		} else if (is(k, "ts") || is(k, "timestamp")) {
			if (set_ts(pm, v.p, v.n, why) < 0)
				return -1;
		} else if (is(k, "reason"))
			log_sanitize(pm->reason, sizeof(pm->reason), v.p, v.n);
		else if (is(k, "safe_qty") || is(k, "safe_close_qty")) {
			if (v.n == 0)
				continue;
			if (abs_qty(v.p, v.n, &q, why) < 0)
				return -1;
			cap(pm, q);
		}
	}
	pm->allow = combine(allow, granted);
	return 0;
}
