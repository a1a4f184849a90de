/*
 * fake_api.c - the fake exchange's endpoints (see fake.h): GET
 * /fapi/v1/time, /fapi/v1/exchangeInfo, /fapi/v1/premiumIndex, the signed
 * POST and GET /fapi/v1/order (fake_book.c), GET and POST
 * /fapi/v1/positionSide/dual, POST /fapi/v1/leverage and GET
 * /fapi/v2/positionRisk (fake_account.c), and the test controls
 * POST /_fake/mode?name=&count=&arg=, GET /_fake/orders, GET /_fake/account,
 * POST /_fake/position, POST /_fake/reset.
 * Every answer is decided under one lock; a delay or a dropped connection
 * is carried out after it is released.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decimal.h"
#include "fake_int.h"
#include "log.h"

const struct fsym fake_syms[] = {
	{ "BTCUSDT", "TRADING", "0.001", "0.001", "1000", "120", "100", "60000" },
	{ "ETHUSDT", "TRADING", "0.001", "0.001", "10000", "2000", "20", "3000" },
	{ "XRPUSDT", "SETTLING", "0.1", "0.1", "1000000", "100000", "5", "0.5" },
	{ "DOGEUSDT", "TRADING", "1", "1", "1000000", "100000", "5", "0.1" },
	{ "BNBUSDT", "TRADING", "0.01", "0.01", "10000", "2000", "5", "600" },
	{ "SOLUSDT", "TRADING", "0.01", "0.01", "100000", "5000", "5", "150" },
	{ "ADAUSDT", "TRADING", "0.01", "0.01", "1000000", "100000", "5", "0.45" },
	{ "LTCUSDT", "TRADING", "0.001", "0.001", "10000", "2000", "20", "80" },
	{ "LINKUSDT", "TRADING", "0.01", "0.01", "100000", "10000", "5", "15" },
	{ "DOTUSDT", "TRADING", "0.01", "0.01", "100000", "10000", "5", "6" },
	{ "AVAXUSDT", "TRADING", "0.01", "0.01", "100000", "10000", "5", "30" },
};
const size_t fake_nsyms = sizeof(fake_syms) / sizeof(fake_syms[0]);

static struct {
	pthread_mutex_t mu;
	const struct fake_args *a;
	int64_t banned_until;
	long weight_value;
	int weight_count;
	int64_t window;
	long weight_used;
	long info_extra;        /* filler symbols exchangeInfo lists */
} S = { .mu = PTHREAD_MUTEX_INITIALIZER };

void fake_init(const struct fake_args *a)
{
	S.a = a;
	fake_account_started();
}

void fake_fail(struct answer *an, unsigned status, long code, const char *msg)
{
	an->status = status;
	an->body = json_pack("{s:I,s:s}", "code", (json_int_t)code, "msg", msg);
}

const struct fsym *fake_find_sym(const char *s)
{
	for (size_t i = 0; s && i < fake_nsyms; i++)
		if (strcmp(fake_syms[i].symbol, s) == 0)
			return &fake_syms[i];
	return NULL;
}

size_t fake_sym_index(const struct fsym *f)
{
	return (size_t)(f - fake_syms);
}

int64_t fake_dec(const char *s)
{
	int64_t v = -1;
	const char *why;
	if (!s || dec_parse(s, strlen(s), &v, &why) < 0)
		return -1;
	return v;
}

json_t *fake_dec_str(int64_t v)
{
	char b[40];
	dec_format(b, sizeof(b), v);
	return json_string(b);
}

json_t *fake_signed_str(int64_t v)
{
	char b[40];
	b[0] = '-';
	dec_format(b + (v < 0), sizeof(b) - 1, v < 0 ? -v : v);
	return json_string(b);
}

void fake_ban(long s)
{
	S.banned_until = fake_now_ms() + s * 1000;
}

/* ---- modes ---- */

static int set_mode(const char *name, int count, long arg)
{
	if (strcmp(name, "weight") == 0)
		return S.weight_value = arg, S.weight_count = count, 0;
	if (strcmp(name, "ban") == 0)
		return fake_ban(arg), 0;
	if (strcmp(name, "info_symbols") == 0)
		return S.info_extra = arg < 0 ? 0 : arg, 0;
	if (fake_account_set_mode(name, count, arg) == 0)
		return 0;
	return fake_book_set_mode(name, count, arg);
}

int fake_set_mode_arg(const char *spec);
int fake_set_mode_arg(const char *spec)
{
	char name[32];
	int count = 1;
	long arg = -1;
	if (sscanf(spec, "%31[a-z0-9_]:%d:%ld", name, &count, &arg) < 1)
		return -1;
	return set_mode(name, count, arg);
}

/* ---- signed requests ---- */

struct dup_ctx {
	const char *keys[32];
	int n, dup;
};

static enum MHD_Result count_key(void *cls, enum MHD_ValueKind kind,
    const char *key, const char *value)
{
	struct dup_ctx *d = cls;
	(void)kind;
	(void)value;
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->keys[i], key) == 0)
			d->dup = 1;
	if (d->n < 32)
		d->keys[d->n++] = key;
	return MHD_YES;
}

const char *fake_arg(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static int check_signed(struct MHD_Connection *c, const struct req *r,
    struct answer *an)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-MBX-APIKEY");
	const char *why;
	struct dup_ctx d = { .n = 0 };

	if (!key || strcmp(key, S.a->key) != 0)
		return fake_fail(an, 401, -2015, "Invalid API-key, IP, or permissions "
		    "for action."), -1;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_key, &d);
	if (d.dup)
		return fake_fail(an, 400, -1101, "Duplicate values for a parameter "
		    "detected."), -1;
	if (fake_check_signature(S.a->secret, r, &why) < 0) {
		log_warn("signature rejected: %s", why);
		return fake_fail(an, 400, -1022, "Signature for this request is not "
		    "valid."), -1;
	}
	const char *ts = fake_arg(c, "timestamp"), *rw = fake_arg(c, "recvWindow");
	long long t = ts ? atoll(ts) : 0, w = rw ? atoll(rw) : 5000;
	int64_t now = fake_now_ms();
	if (w <= 0 || w > 60000)
		return fake_fail(an, 400, -1131, "recvWindow must be less than 60000"), -1;
	if (t <= 0 || t > now + 1000 || now - t > w)
		return fake_fail(an, 400, -1021, "Timestamp for this request is outside "
		    "of the recvWindow."), -1;
	return 0;
}

/* ---- public endpoints ---- */

static json_t *filters_json(const struct fsym *f)
{
	return json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s},"
	    "{s:s,s:s}]",
	    "filterType", "PRICE_FILTER", "minPrice", "0.01", "maxPrice", "1000000",
	    "tickSize", "0.01",
	    "filterType", "LOT_SIZE", "stepSize", f->step, "minQty", f->min,
	    "maxQty", f->max,
	    "filterType", "MARKET_LOT_SIZE", "stepSize", f->step, "minQty", f->min,
	    "maxQty", f->mkt_max,
	    "filterType", "MIN_NOTIONAL", "notional", f->notional);
}

static json_t *symbol_json(const char *symbol, const struct fsym *f)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "symbol", symbol, "status",
	    f->status, "contractType", "PERPETUAL", "filters", filters_json(f));
}

/* The symbols, and as many fillers as mode info_symbols asks (a big reply). */
static void exchange_info(struct answer *an)
{
	json_t *list = json_array();
	char name[24];
	for (size_t i = 0; i < fake_nsyms; i++)
		json_array_append_new(list, symbol_json(fake_syms[i].symbol,
		    &fake_syms[i]));
	for (long i = 0; i < S.info_extra; i++) {
		snprintf(name, sizeof(name), "FILL%06ldUSDT", i % 1000000);
		json_array_append_new(list, symbol_json(name, &fake_syms[0]));
	}
	an->status = 200;
	an->body = json_pack("{s:s,s:I,s:[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i},"
	    "{s:s,s:s,s:i,s:i}],s:o}",
	    "timezone", "UTC", "serverTime", (json_int_t)fake_now_ms(),
	    "rateLimits",
	    "rateLimitType", "REQUEST_WEIGHT", "interval", "MINUTE", "intervalNum", 1,
	    "limit", 2400,
	    "rateLimitType", "ORDERS", "interval", "MINUTE", "intervalNum", 1,
	    "limit", 1200,
	    "rateLimitType", "ORDERS", "interval", "SECOND", "intervalNum", 10,
	    "limit", 300,
	    "symbols", list);
}

static void premium_index(struct MHD_Connection *c, struct answer *an)
{
	const struct fsym *f = fake_find_sym(fake_arg(c, "symbol"));
	if (!f)
		return fake_fail(an, 400, -1121, "Invalid symbol.");
	an->status = 200;
	an->body = json_pack("{s:s,s:s,s:s,s:s,s:I}", "symbol", f->symbol,
	    "markPrice", f->mark, "indexPrice", f->mark, "lastFundingRate",
	    "0.00010000", "time", (json_int_t)fake_now_ms());
}

/* ---- test controls ---- */

static void ok(struct answer *an)
{
	an->status = 200;
	an->body = json_pack("{s:b}", "ok", 1);
}

static void control(struct MHD_Connection *c, const char *method,
    const char *path, struct answer *an)
{
	int post = strcmp(method, "POST") == 0;
	if (strcmp(path, "/_fake/orders") == 0) {
		fake_book_json(an);
	} else if (strcmp(path, "/_fake/account") == 0) {
		fake_account_json(an);
	} else if (post && strcmp(path, "/_fake/position") == 0) {
		fake_account_set_position(c, an);
	} else if (post && strcmp(path, "/_fake/reset") == 0) {
		fake_book_reset();
		fake_account_reset();
		S.weight_count = 0;
		S.banned_until = 0;
		S.info_extra = 0;
		ok(an);
	} else if (post && strcmp(path, "/_fake/mode") == 0) {
		const char *n = fake_arg(c, "name"), *k = fake_arg(c, "count");
		const char *a = fake_arg(c, "arg");
		if (!n || set_mode(n, k ? atoi(k) : 1, a ? atol(a) : -1) < 0)
			return fake_fail(an, 400, -1, "unknown mode");
		log_info("mode %s count=%s arg=%s", n, k ? k : "1", a ? a : "-");
		ok(an);
	} else {
		fake_fail(an, 404, -1, "no such control");
	}
}

/* ---- dispatch ---- */

static long weight(void)
{
	int64_t w = fake_now_ms() / 60000;
	if (w != S.window) {
		S.window = w;
		S.weight_used = 0;
	}
	S.weight_used++;
	if (S.weight_count > 0) {
		S.weight_count--;
		return S.weight_value;
	}
	return S.weight_used;
}

/* The signed endpoints, each with its one method. */
static void signed_route(struct MHD_Connection *c, int get, int post,
    const char *path, struct req *r, struct answer *an)
{
	static const struct {
		const char *path;
		int post;
		void (*fn)(struct MHD_Connection *, struct answer *);
	} t[] = {
		{ "/fapi/v1/order", 1, fake_book_post },
		{ "/fapi/v1/order", 0, fake_book_get },
		{ "/fapi/v1/positionSide/dual", 0, fake_account_get_mode },
		{ "/fapi/v1/positionSide/dual", 1, fake_account_post_mode },
		{ "/fapi/v1/leverage", 1, fake_account_leverage },
		{ "/fapi/v2/positionRisk", 0, fake_account_position_risk },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(path, t[i].path) != 0 || !(t[i].post ? post : get))
			continue;
		if (check_signed(c, r, an) == 0)
			t[i].fn(c, an);
		return;
	}
	fake_fail(an, 404, -1000, "Unknown endpoint.");
}

static void route(struct MHD_Connection *c, const char *method,
    const char *path, struct req *r, struct answer *an)
{
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	fake_book_tick();
	if (strncmp(path, "/_fake/", 7) == 0)
		return control(c, method, path, an);
	if (S.banned_until > fake_now_ms()) {
		snprintf(an->retry, sizeof(an->retry), "%lld",
		    (long long)((S.banned_until - fake_now_ms() + 999) / 1000));
		return fake_fail(an, 418, -1003, "Way too many requests; IP banned.");
	}
	if (get && strcmp(path, "/fapi/v1/time") == 0) {
		an->status = 200;
		an->body = json_pack("{s:I}", "serverTime", (json_int_t)fake_now_ms());
	} else if (get && strcmp(path, "/fapi/v1/exchangeInfo") == 0) {
		exchange_info(an);
	} else if (get && strcmp(path, "/fapi/v1/premiumIndex") == 0) {
		premium_index(c, an);
	} else {
		signed_route(c, get, post, path, r, an);
	}
}

int fake_drop_unread(void)
{
	pthread_mutex_lock(&S.mu);
	int drop = fake_book_drop_unread();
	pthread_mutex_unlock(&S.mu);
	return drop;
}

enum MHD_Result fake_handle(struct MHD_Connection *c, const char *method,
    const char *path, struct req *r)
{
	struct answer an = { .orders = -1 };
	long w;

	pthread_mutex_lock(&S.mu);
	route(c, method, path, r, &an);
	w = strncmp(path, "/_fake/", 7) == 0 ? -1 : weight();
	pthread_mutex_unlock(&S.mu);
	log_info("%s %s -> %u%s%s", method, path, an.status,
	    an.drop ? " (dropped)" : an.cut ? " (cut mid-answer)" : "",
	    an.delay_ms ? " (delayed)" : "");
	if (an.delay_ms > 0)
		usleep((useconds_t)an.delay_ms * 1000);
	if (an.drop) {
		json_decref(an.body);
		return MHD_NO;
	}
	if (an.cut)
		return fake_reply_cut(c, an.status, an.body);
	if (an.text) {
		json_decref(an.body);
		return fake_reply_text(c, an.status, strcmp(an.text, "this is not JSON") ?
		    "text/html" : "application/json", an.text);
	}
	return fake_reply(c, an.status, an.body, an.retry[0] ? an.retry : NULL, w,
	    an.orders);
}
