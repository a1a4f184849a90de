/*
 * binance_parse.c - pure parsers of Binance replies (see binance_parse.h).
 *
 * May: read the bytes it is given.  May not: do I/O, keep state, use
 * floating point for a quantity or a price.
 */
#include "binance_parse.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "log.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto out; } while (0)

static json_t *load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;

	if (len == 0 || len > BN_BODY_MAX) {
		snprintf(err, errlen, "reply body of %zu bytes", len);
		return NULL;
	}
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		char why[80];
		log_sanitize(why, sizeof(why), je.text, strlen(je.text));
		snprintf(err, errlen, "not JSON: %s", why);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A decimal carried as a JSON string; absent is -1 unless optional. */
static int get_dec(const json_t *o, const char *key, int optional,
    int64_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	const char *why;

	if (!v && optional) {
		*out = 0;
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: %s", key, v ? "not a string" : "missing");
		return -1;
	}
	if (dec_parse(json_string_value(v), json_string_length(v), out, &why) < 0) {
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	return 0;
}

/* A string field copied into out (size sz) if printable and short enough. */
static int get_str(const json_t *o, const char *key, char *out, size_t sz,
    char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: %s", key, v ? "not a string" : "missing");
		return -1;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n >= sz) {
		snprintf(err, errlen, "%s: length %zu", key, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f) {
			snprintf(err, errlen, "%s: unexpected character", key);
			return -1;
		}
	}
	memcpy(out, s, n + 1);
	return 0;
}

int bn_parse_time(const char *body, size_t len, int64_t *server_ms,
    char *err, size_t errlen)
{
	int rc = -1;
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	const json_t *t = json_object_get(j, "serverTime");
	if (!json_is_integer(t))
		FAIL("serverTime: %s", t ? "not an integer" : "missing");
	/* 2001-09-09 .. 2286-11-20: anything else is not a clock */
	json_int_t v = json_integer_value(t);
	if (v < 1000000000000LL || v > 9999999999999LL)
		FAIL("serverTime: out of range");
	*server_ms = v;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int bn_parse_error(const char *body, size_t len, long *code, char *msg,
    size_t msgsz)
{
	char err[8];
	size_t errlen = sizeof(err);
	int rc = -1;
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	const json_t *c = json_object_get(j, "code");
	const json_t *m = json_object_get(j, "msg");
	if (!json_is_integer(c) || !json_is_string(m))
		goto out;
	json_int_t v = json_integer_value(c);
	if (v < -99999 || v > 99999)
		goto out;
	*code = (long)v;
	log_sanitize(msg, msgsz, json_string_value(m), json_string_length(m));
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* ---- exchangeInfo ---- */

struct lot {
	int64_t step, min, max;
	int seen;
};

static int parse_lot(const json_t *f, struct lot *l, char *err, size_t errlen)
{
	if (l->seen++) {
		snprintf(err, errlen, "lot filter listed twice");
		return -1;
	}
	if (get_dec(f, "stepSize", 0, &l->step, err, errlen) < 0 ||
	    get_dec(f, "minQty", 0, &l->min, err, errlen) < 0 ||
	    get_dec(f, "maxQty", 1, &l->max, err, errlen) < 0)
		return -1;
	return 0;
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The stricter of LOT_SIZE and MARKET_LOT_SIZE (used for MARKET orders). */
static int merge_lots(const struct lot *lot, const struct lot *mkt,
    struct symbol_filter *f, char *err, size_t errlen)
{
	if (!lot->seen || lot->step <= 0) {
		snprintf(err, errlen, "no usable LOT_SIZE");
		return -1;
	}
	f->step = lot->step;
	f->min_qty = lot->min;
	f->max_qty = lot->max;
	if (mkt->seen && mkt->step > 0 && mkt->step != f->step) {
		__int128 l = (__int128)f->step / gcd64(f->step, mkt->step) * mkt->step;
		if (l > (__int128)1000000 * DEC_SCALE) {
			snprintf(err, errlen, "LOT_SIZE and MARKET_LOT_SIZE steps disagree");
			return -1;
		}
		f->step = (int64_t)l;
	}
	if (mkt->seen && mkt->min > f->min_qty)
		f->min_qty = mkt->min;
	if (mkt->seen && mkt->max > 0 && (f->max_qty == 0 || mkt->max < f->max_qty))
		f->max_qty = mkt->max;
	if (f->max_qty > 0 && f->max_qty < f->min_qty) {
		snprintf(err, errlen, "maxQty below minQty");
		return -1;
	}
	return 0;
}

static int parse_filters(const json_t *filters, struct symbol_filter *f,
    char *err, size_t errlen)
{
	struct lot lot = { 0 }, mkt = { 0 };
	size_t i;
	const json_t *x;

	if (!json_is_array(filters)) {
		snprintf(err, errlen, "filters: not an array");
		return -1;
	}
	json_array_foreach(filters, i, x) {
		const char *type = json_string_value(json_object_get(x, "filterType"));
		if (!json_is_object(x) || !type) {
			snprintf(err, errlen, "filter %zu: no filterType", i);
			return -1;
		}
		int rc = 0;
		if (strcmp(type, "LOT_SIZE") == 0)
			rc = parse_lot(x, &lot, err, errlen);
		else if (strcmp(type, "MARKET_LOT_SIZE") == 0)
			rc = parse_lot(x, &mkt, err, errlen);
		else if (strcmp(type, "MIN_NOTIONAL") == 0)
			rc = get_dec(x, "notional", 0, &f->min_notional, err, errlen);
		if (rc < 0)
			return -1;
	}
	return merge_lots(&lot, &mkt, f, err, errlen);
}

static void note(char *err, size_t errlen, const char *sym, const char *why)
{
	size_t n = strlen(err);
	if (n + 2 < errlen)
		snprintf(err + n, errlen - n, "%s%s: %s", n ? "; " : "", sym, why);
}

/* One entry of "symbols": 1 when added to t, 0 when skipped, -1 bad. */
static int parse_symbol(const json_t *s, const struct strlist *want,
    struct filter_table *t, char *err, size_t errlen)
{
	char why[128] = "";
	const char *sym = json_string_value(json_object_get(s, "symbol"));
	if (!json_is_object(s) || !sym) {
		snprintf(err, errlen, "a symbol entry has no symbol");
		return -1;
	}
	if (!strlist_has(want, sym, strlen(sym)))
		return 0;
	if (filters_find(t, sym)) {
		snprintf(err, errlen, "%s listed twice", sym);
		return -1;
	}
	const char *status = json_string_value(json_object_get(s, "status"));
	if (!status || strcmp(status, "TRADING") != 0) {
		note(err, errlen, sym, "not TRADING");
		return 0;
	}
	struct symbol_filter f = { 0 };
	snprintf(f.symbol, sizeof(f.symbol), "%s", sym);
	if (parse_filters(json_object_get(s, "filters"), &f, why, sizeof(why)) < 0) {
		note(err, errlen, sym, why);
		return 0;
	}
	if (t->n == FILTERS_MAX) {
		note(err, errlen, sym, "too many symbols");
		return 0;
	}
	t->f[t->n++] = f;
	return 1;
}

static int parse_limits(const json_t *a, struct bn_limits *lim, char *err,
    size_t errlen)
{
	size_t i;
	const json_t *x;

	memset(lim, 0, sizeof(*lim));
	if (!a)
		return 0;
	if (!json_is_array(a)) {
		snprintf(err, errlen, "rateLimits: not an array");
		return -1;
	}
	json_array_foreach(a, i, x) {
		const char *type = json_string_value(json_object_get(x, "rateLimitType"));
		const char *iv = json_string_value(json_object_get(x, "interval"));
		const json_t *num = json_object_get(x, "intervalNum");
		const json_t *limit = json_object_get(x, "limit");
		if (!type || !iv || !json_is_integer(num) || !json_is_integer(limit) ||
		    json_integer_value(limit) <= 0 ||
		    json_integer_value(limit) > 1000000) {
			snprintf(err, errlen, "rateLimits: entry %zu malformed", i);
			return -1;
		}
		long n = (long)json_integer_value(num), l = (long)json_integer_value(limit);
		if (strcmp(type, "REQUEST_WEIGHT") == 0 && strcmp(iv, "MINUTE") == 0 && n == 1)
			lim->weight_1m = l;
		else if (strcmp(type, "ORDERS") == 0 && strcmp(iv, "MINUTE") == 0 && n == 1)
			lim->orders_1m = l;
		else if (strcmp(type, "ORDERS") == 0 && strcmp(iv, "SECOND") == 0 && n == 10)
			lim->orders_10s = l;
	}
	return 0;
}

int bn_parse_exchange_info(const char *body, size_t len,
    const struct strlist *want, struct filter_table *t, struct bn_limits *lim,
    char *err, size_t errlen)
{
	int rc = -1, found = 0;
	size_t i;
	const json_t *s;

	memset(t, 0, sizeof(*t));
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	if (parse_limits(json_object_get(j, "rateLimits"), lim, err, errlen) < 0)
		goto out;
	const json_t *syms = json_object_get(j, "symbols");
	if (!json_is_array(syms))
		FAIL("symbols: %s", syms ? "not an array" : "missing");
	err[0] = '\0';
	json_array_foreach(syms, i, s) {
		int k = parse_symbol(s, want, t, err, errlen);
		if (k < 0)
			goto out;
		found += k;
	}
	rc = found;
out:
	if (rc < 0)
		memset(t, 0, sizeof(*t));
	json_decref(j);
	return rc;
}

int bn_parse_premium_index(const char *body, size_t len, const char *symbol,
    int64_t *mark, char *err, size_t errlen)
{
	int rc = -1;
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	const char *sym = json_string_value(json_object_get(j, "symbol"));
	if (!sym || strcmp(sym, symbol) != 0)
		FAIL("symbol: missing or not %s", symbol);
	if (get_dec(j, "markPrice", 0, mark, err, errlen) < 0)
		goto out;
	if (*mark <= 0)
		FAIL("markPrice: not above 0");
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static const char *const statuses[] = { "NEW", "PARTIALLY_FILLED", "FILLED",
	"CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH", NULL };

int bn_status_final(const char *status)
{
	return strcmp(status, "NEW") != 0 && strcmp(status, "PARTIALLY_FILLED") != 0;
}

static int known_status(const char *s)
{
	for (int i = 0; statuses[i]; i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

int bn_parse_order(const char *body, size_t len, struct bn_order *o,
    char *err, size_t errlen)
{
	int rc = -1;
	memset(o, 0, sizeof(*o));
	json_t *j = load(body, len, err, errlen);
	if (!j)
		return -1;
	const json_t *id = json_object_get(j, "orderId");
	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		FAIL("orderId: missing or not a positive integer");
	snprintf(o->order_id, sizeof(o->order_id), "%lld",
	    (long long)json_integer_value(id));
	if (get_str(j, "symbol", o->symbol, sizeof(o->symbol), err, errlen) < 0 ||
	    get_str(j, "clientOrderId", o->client_order_id,
		sizeof(o->client_order_id), err, errlen) < 0 ||
	    get_str(j, "status", o->status, sizeof(o->status), err, errlen) < 0 ||
	    get_dec(j, "origQty", 0, &o->orig_qty, err, errlen) < 0 ||
	    get_dec(j, "executedQty", 0, &o->executed_qty, err, errlen) < 0 ||
	    get_dec(j, "avgPrice", 1, &o->avg_price, err, errlen) < 0)
		goto out;
	if (!known_status(o->status))
		FAIL("status: unknown value %s", o->status);
	if (o->executed_qty > o->orig_qty)
		FAIL("executedQty above origQty");
	if (strcmp(o->status, "FILLED") == 0 && o->executed_qty != o->orig_qty)
		FAIL("FILLED but executedQty differs from origQty");
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int bn_parse_header_uint(const char *v, long max, long *out)
{
	char *end;
	if (!v || !isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	long x = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || x < 0 || x > max)
		return -1;
	*out = x;
	return 0;
}
