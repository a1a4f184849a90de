/*
 * binance_account_parse.c - pure parsers of Binance's account replies
 * (see binance_account.h): position mode, positionRisk, leverage.
 *
 * May: read the bytes it is given.  May not: do I/O, keep state, use
 * floating point for an amount or a price.
 */
#include "binance_account.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "binance_parse.h"
#include "decimal.h"
#include "log.h"

static const char *const side_names[] = { "BOTH", "LONG", "SHORT" };

const char *bn_pos_side_name(enum bn_pos_side s)
{
	return (unsigned)s < 3 ? side_names[s] : "?";
}

/* The body as JSON of the type wanted (an object, or an array). */
static json_t *parse_body(const char *body, size_t len, int array, char *err,
    size_t errlen)
{
	json_error_t je;
	char why[80];
	json_t *j = NULL;

	if (len == 0 || len > BN_BODY_MAX)
		snprintf(err, errlen, "reply body of %zu bytes", len);
	else if (!(j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je))) {
		log_sanitize(why, sizeof(why), je.text, strlen(je.text));
		snprintf(err, errlen, "not JSON: %s", why);
	} else if (array ? !json_is_array(j) : !json_is_object(j)) {
		snprintf(err, errlen, "not a JSON %s", array ? "array" : "object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

enum kind {
	K_TEXT,         /* a printable word, into char[sz] */
	K_DEC,          /* a plain decimal, into int64_t */
	K_SIGNED,       /* the same with an optional '-' */
	K_LEVERAGE,     /* "1".."125", into int */
};

/* A decimal of len bytes at s, with a '-' first when sign allows it. */
static int text_dec(const char *s, size_t len, int sign, int64_t *out,
    const char **why)
{
	int neg = sign && len > 0 && s[0] == '-';
	if (dec_parse(s + neg, len - (size_t)neg, out, why) < 0)
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

static int text_leverage(const char *s, size_t len, int *out, const char **why)
{
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || (i == 0 && s[i] == '0') || i >= 3)
			return *why = "not a whole number 1..125", -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > BN_LEVERAGE_MAX)
		return *why = "not a whole number 1..125", -1;
	*out = v;
	return 0;
}

static int text_word(const char *s, size_t len, char *out, size_t sz,
    const char **why)
{
	if (len == 0 || len >= sz)
		return *why = "empty or too long", -1;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return *why = "unexpected character", -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* The string field key of o read as k into out (sz: K_TEXT's size). */
static int field(const json_t *o, const char *key, enum kind k, void *out,
    size_t sz, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	const char *why = v ? "not a string" : "missing";
	int rc = -1;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (k == K_TEXT)
			rc = text_word(s, n, out, sz, &why);
		else if (k == K_LEVERAGE)
			rc = text_leverage(s, n, out, &why);
		else
			rc = text_dec(s, n, k == K_SIGNED, out, &why);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", key, why);
	return rc;
}

int bn_parse_position_mode(const char *body, size_t len, enum bn_pos_mode *mode,
    char *err, size_t errlen)
{
	json_t *j = parse_body(body, len, 0, err, errlen);
	if (!j)
		return -1;
	const json_t *d = json_object_get(j, "dualSidePosition");
	int rc = json_is_boolean(d) ? 0 : -1;
	if (rc == 0)
		*mode = json_is_true(d) ? BN_HEDGE : BN_ONE_WAY;
	else
		snprintf(err, errlen, "dualSidePosition: %s",
		    d ? "not true or false" : "missing");
	json_decref(j);
	return rc;
}

/* ---- positionRisk ---- */

static int side_of(const json_t *e, enum bn_pos_side *s, char *err,
    size_t errlen)
{
	char name[8];
	if (field(e, "positionSide", K_TEXT, name, sizeof(name), err, errlen) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, side_names[i]) == 0) {
			*s = (enum bn_pos_side)i;
			return 0;
		}
	}
	snprintf(err, errlen, "positionSide: not BOTH, LONG or SHORT");
	return -1;
}

/* One entry, checked whole; 0 with p filled, -1 with err. */
static int position(const json_t *e, struct bn_position *p, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!json_is_object(e)) {
		snprintf(err, errlen, "not an object");
		return -1;
	}
	if (field(e, "symbol", K_TEXT, p->symbol, sizeof(p->symbol), err,
		errlen) < 0 ||
	    side_of(e, &p->side, err, errlen) < 0 ||
	    field(e, "positionAmt", K_SIGNED, &p->amount, 0, err, errlen) < 0 ||
	    field(e, "entryPrice", K_DEC, &p->entry_price, 0, err, errlen) < 0 ||
	    field(e, "markPrice", K_DEC, &p->mark_price, 0, err, errlen) < 0 ||
	    field(e, "unRealizedProfit", K_SIGNED, &p->unrealized, 0, err,
		errlen) < 0 ||
	    field(e, "leverage", K_LEVERAGE, &p->leverage, 0, err, errlen) < 0)
		return -1;
	if ((p->side == BN_PS_LONG && p->amount < 0) ||
	    (p->side == BN_PS_SHORT && p->amount > 0)) {
		snprintf(err, errlen, "positionAmt: signed against positionSide");
		return -1;
	}
	if (p->amount != 0 && p->entry_price == 0) {
		snprintf(err, errlen, "entryPrice: 0 for an open position");
		return -1;
	}
	return 0;
}

static int keep(struct bn_positions *t, const struct bn_position *p,
    char *err, size_t errlen)
{
	if (bn_position_find(t, p->symbol, p->side)) {
		snprintf(err, errlen, "%s %s listed twice", p->symbol,
		    side_names[p->side]);
		return -1;
	}
	if (t->n == BN_POSITIONS_MAX) {
		snprintf(err, errlen, "more than %d positions", BN_POSITIONS_MAX);
		return -1;
	}
	t->p[t->n++] = *p;
	return 0;
}

int bn_parse_position_risk(const char *body, size_t len,
    const struct strlist *want, struct bn_positions *t, char *err,
    size_t errlen)
{
	size_t i;
	const json_t *e;
	char why[160];
	int rc = 0;

	t->n = 0;
	json_t *j = parse_body(body, len, 1, err, errlen);
	if (!j)
		return -1;
	json_array_foreach(j, i, e) {
		struct bn_position p;
		if (position(e, &p, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "position %zu: %s", i, why);
			rc = -1;
			break;
		}
		if (want && !strlist_has(want, p.symbol, strlen(p.symbol)))
			continue;
		if (keep(t, &p, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	json_decref(j);
	if (rc < 0)
		t->n = 0;
	return rc < 0 ? -1 : (int)t->n;
}

const struct bn_position *bn_position_find(const struct bn_positions *t,
    const char *symbol, enum bn_pos_side side)
{
	for (unsigned i = 0; t && i < t->n; i++)
		if (t->p[i].side == side && strcmp(t->p[i].symbol, symbol) == 0)
			return &t->p[i];
	return NULL;
}

/* ---- leverage ---- */

int bn_parse_leverage(const char *body, size_t len, const char *symbol,
    int *leverage, int64_t *max_notional, char *err, size_t errlen)
{
	char sym[SYMBOL_MAX + 1];
	int rc = -1;
	json_t *j = parse_body(body, len, 0, err, errlen);
	if (!j)
		return -1;
	const json_t *l = json_object_get(j, "leverage");
	json_int_t v = json_is_integer(l) ? json_integer_value(l) : 0;
	if (v < 1 || v > BN_LEVERAGE_MAX)
		snprintf(err, errlen, "leverage: %s", l ? "not a whole number "
		    "1..125" : "missing");
	else if (field(j, "symbol", K_TEXT, sym, sizeof(sym), err, errlen) == 0 &&
	    field(j, "maxNotionalValue", K_DEC, max_notional, 0, err,
		errlen) == 0) {
		if (strcmp(sym, symbol) != 0)
			snprintf(err, errlen, "symbol: not %s", symbol);
		else
			rc = 0;
	}
	if (rc == 0)
		*leverage = (int)v;
	json_decref(j);
	return rc;
}
