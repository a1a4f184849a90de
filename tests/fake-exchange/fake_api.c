/*
 * fake_api.c - the fake exchange's endpoints and book (see fake.h):
 * GET /fapi/v1/time, /fapi/v1/exchangeInfo, /fapi/v1/premiumIndex,
 * POST and GET /fapi/v1/order (signed), and the test controls
 * POST /_fake/mode?name=&count=&arg=, GET /_fake/orders, POST /_fake/reset.
 * One symbol may be slow (--mode slow_symbol:SYM:MS, or POST
 * /_fake/slow?symbol=SYM&ms=MS, ms=0 ends it): its orders are executed,
 * then answered MS ms later (each connection has its own thread: other
 * requests are not held up).
 * Every answer is decided under one lock; a delay or a dropped connection
 * is carried out after it is released.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decimal.h"
#include "fake.h"
#include "log.h"

#define MAX_ORDERS 4096

struct fsym {
	const char *symbol, *status;
	const char *step, *min, *max, *mkt_max, *notional, *mark;
};

static const struct fsym syms[] = {
	{ "BTCUSDT", "TRADING", "0.001", "0.001", "1000", "120", "100", "60000" },
	{ "ETHUSDT", "TRADING", "0.001", "0.001", "10000", "2000", "20", "3000" },
	{ "XRPUSDT", "SETTLING", "0.1", "0.1", "1000000", "100000", "5", "0.5" },
	{ "DOGEUSDT", "TRADING", "1", "1", "1000000", "100000", "5", "0.1" },
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

struct forder {
	char coid[40], symbol[24], side[8], status[24], later[24];
	long long id;
	int64_t qty, executed, price, time;
	int reduce_only;
	int count;              /* orders accepted with this id (at most 1) */
	int posts;              /* order POSTs that carried this id */
};

struct answer {
	unsigned status;
	json_t *body;
	const char *text;       /* instead of body: an HTML page */
	char retry[24];
	int drop;
	long delay_ms;
	long orders;
};

static const char *const mode_names[OM_COUNT] = { "normal", "delay", "5xx",
	"1007", "5xx_noexec", "1021", "429", "418", "2019", "partial", "drop",
	"drop_noexec", "new", "garbage", "lost" };

static struct {
	pthread_mutex_t mu;
	const struct fake_args *a;
	struct forder o[MAX_ORDERS];
	int n;
	long long next_id;
	enum order_mode mode;
	int mode_count;
	long mode_arg;
	int query_5xx;
	int64_t banned_until;
	long weight_value;
	int weight_count;
	int64_t window;
	long weight_used, order_posts, order_queries;
	char slow_symbol[24];
	long slow_ms;
} S = { .mu = PTHREAD_MUTEX_INITIALIZER };

void fake_init(const struct fake_args *a)
{
	S.a = a;
	S.next_id = 1000000;
}

static json_t *err_json(long code, const char *msg)
{
	return json_pack("{s:I,s:s}", "code", (json_int_t)code, "msg", msg);
}

static void fail(struct answer *an, unsigned status, long code, const char *msg)
{
	an->status = status;
	an->body = err_json(code, msg);
}

static const struct fsym *find_sym(const char *s)
{
	for (size_t i = 0; s && i < NSYMS; i++)
		if (strcmp(syms[i].symbol, s) == 0)
			return &syms[i];
	return NULL;
}

static int64_t dec(const char *s)
{
	int64_t v = -1;
	const char *why;
	if (!s || dec_parse(s, strlen(s), &v, &why) < 0)
		return -1;
	return v;
}

static json_t *dec_str(int64_t v)
{
	char b[40];
	dec_format(b, sizeof(b), v);
	return json_string(b);
}

/* ---- modes ---- */

static int set_mode(const char *name, int count, long arg)
{
	if (strcmp(name, "query_5xx") == 0)
		return S.query_5xx = count, 0;
	if (strcmp(name, "weight") == 0)
		return S.weight_value = arg, S.weight_count = count, 0;
	if (strcmp(name, "ban") == 0)
		return S.banned_until = fake_now_ms() + arg * 1000, 0;
	for (int i = 0; i < OM_COUNT; i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			S.mode = (enum order_mode)i;
			S.mode_count = count;
			S.mode_arg = arg;
			return 0;
		}
	}
	return -1;
}

/* Orders of symbol answered ms late (0: none); -1 when out of range. */
static int set_slow(const char *symbol, long ms)
{
	if (!symbol || strlen(symbol) >= sizeof(S.slow_symbol) || ms < 0 ||
	    ms > 600000)
		return -1;
	snprintf(S.slow_symbol, sizeof(S.slow_symbol), "%s", symbol);
	S.slow_ms = ms;
	return 0;
}

int fake_set_mode_arg(const char *spec);
int fake_set_mode_arg(const char *spec)
{
	char name[32], sym[24];
	int count = 1;
	long arg = -1;
	if (sscanf(spec, "slow_symbol:%23[A-Z0-9]:%ld", sym, &arg) == 2)
		return set_slow(sym, arg);
	if (sscanf(spec, "%31[a-z0-9_]:%d:%ld", name, &count, &arg) < 1)
		return -1;
	return set_mode(name, count, arg);
}

/* The mode for this order POST, used up once. */
static enum order_mode take_mode(long *arg)
{
	if (S.mode == OM_NORMAL || S.mode_count <= 0)
		return OM_NORMAL;
	enum order_mode m = S.mode;
	*arg = S.mode_arg;
	if (--S.mode_count == 0)
		S.mode = OM_NORMAL;
	return m;
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

static const char *arg(struct MHD_Connection *c, const char *k)
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
		return fail(an, 401, -2015, "Invalid API-key, IP, or permissions "
		    "for action."), -1;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_key, &d);
	if (d.dup)
		return fail(an, 400, -1101, "Duplicate values for a parameter "
		    "detected."), -1;
	if (fake_check_signature(S.a->secret, r, &why) < 0) {
		log_warn("signature rejected: %s", why);
		return fail(an, 400, -1022, "Signature for this request is not "
		    "valid."), -1;
	}
	const char *ts = arg(c, "timestamp"), *rw = arg(c, "recvWindow");
	long long t = ts ? atoll(ts) : 0, w = rw ? atoll(rw) : 5000;
	int64_t now = fake_now_ms();
	if (w <= 0 || w > 60000)
		return fail(an, 400, -1131, "recvWindow must be less than 60000"), -1;
	if (t <= 0 || t > now + 1000 || now - t > w)
		return fail(an, 400, -1021, "Timestamp for this request is outside "
		    "of the recvWindow."), -1;
	return 0;
}

/* ---- book ---- */

static struct forder *book_find(const char *coid)
{
	for (int i = 0; i < S.n; i++)
		if (strcmp(S.o[i].coid, coid) == 0)
			return &S.o[i];
	return NULL;
}

static json_t *order_json(const struct forder *o, int later)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:b,s:s,"
	    "s:s,s:I}",
	    "orderId", (json_int_t)o->id, "symbol", o->symbol,
	    "status", later && o->later[0] ? o->later : o->status,
	    "clientOrderId", o->coid, "price", "0",
	    "avgPrice", dec_str(later || !o->later[0] ? o->price : 0),
	    "origQty", dec_str(o->qty),
	    "executedQty", dec_str(later || !o->later[0] ? o->executed : 0),
	    "cumQuote", dec_str(dec_mul(o->executed, o->price)),
	    "timeInForce", "GTC", "type", "MARKET", "reduceOnly", o->reduce_only,
	    "side", o->side, "positionSide", "BOTH", "updateTime",
	    (json_int_t)o->time);
}

static int valid_coid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 36)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.:/_-") == n;
}

/* Checks an order's parameters as the exchange does; 0 if acceptable. */
static int check_order(struct MHD_Connection *c, struct answer *an,
    const struct fsym **sym, int64_t *qty)
{
	const char *s = arg(c, "side"), *ro = arg(c, "reduceOnly");
	*sym = find_sym(arg(c, "symbol"));
	if (!*sym || strcmp((*sym)->status, "TRADING") != 0)
		return fail(an, 400, -1121, "Invalid symbol."), -1;
	if (!s || (strcmp(s, "BUY") != 0 && strcmp(s, "SELL") != 0))
		return fail(an, 400, -1117, "Invalid side."), -1;
	if (!arg(c, "type") || strcmp(arg(c, "type"), "MARKET") != 0)
		return fail(an, 400, -1116, "Invalid orderType."), -1;
	if (!ro || (strcmp(ro, "true") != 0 && strcmp(ro, "false") != 0))
		return fail(an, 400, -1130, "Data sent for parameter 'reduceOnly' "
		    "is not valid."), -1;
	if (!valid_coid(arg(c, "newClientOrderId")))
		return fail(an, 400, -4015, "Client order id is not valid."), -1;
	*qty = dec(arg(c, "quantity"));
	int64_t step = dec((*sym)->step);
	if (*qty <= 0 || *qty % step != 0)
		return fail(an, 400, -1111, "Precision is over the maximum defined "
		    "for this asset."), -1;
	if (*qty < dec((*sym)->min))
		return fail(an, 400, -4003, "Quantity less than or equal to zero."), -1;
	if (*qty > dec((*sym)->mkt_max))
		return fail(an, 400, -4005, "Quantity greater than max quantity."), -1;
	if (strcmp(ro, "false") == 0 &&
	    dec_mul(*qty, dec((*sym)->mark)) < dec((*sym)->notional))
		return fail(an, 400, -4164, "Order's notional must be no smaller "
		    "than the minimum (unless you choose reduce only)."), -1;
	return 0;
}

static struct forder *book_slot(const char *coid)
{
	struct forder *o = book_find(coid);
	if (o || S.n == MAX_ORDERS)
		return o;
	o = &S.o[S.n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->coid, sizeof(o->coid), "%s", coid);
	return o;
}

static void execute(struct forder *o, struct MHD_Connection *c,
    const struct fsym *sym, int64_t qty, enum order_mode m)
{
	o->count++;
	o->id = ++S.next_id;
	snprintf(o->symbol, sizeof(o->symbol), "%s", sym->symbol);
	snprintf(o->side, sizeof(o->side), "%s", arg(c, "side"));
	o->reduce_only = strcmp(arg(c, "reduceOnly"), "true") == 0;
	o->qty = qty;
	o->executed = qty;
	o->price = dec(sym->mark);
	o->time = fake_now_ms();
	snprintf(o->status, sizeof(o->status), "FILLED");
	if (m == OM_PARTIAL) {
		int64_t step = dec(sym->step);
		o->executed = qty / 2 / step * step;
		snprintf(o->status, sizeof(o->status), "%s",
		    o->executed ? "PARTIALLY_FILLED" : "EXPIRED");
	}
	if (m == OM_NEW) {
		snprintf(o->later, sizeof(o->later), "FILLED");
		snprintf(o->status, sizeof(o->status), "NEW");
	}
}

/* Misbehaviours that answer without executing; 1 when one applied. */
static int refuse(enum order_mode m, long a, struct answer *an)
{
	switch (m) {
	case OM_5XX_NOEXEC:
		an->status = 500;
		an->text = "<html><body>Internal Server Error</body></html>";
		return 1;
	case OM_1021:
		fail(an, 400, -1021, "Timestamp for this request is outside of the "
		    "recvWindow.");
		return 1;
	case OM_429:
		snprintf(an->retry, sizeof(an->retry), "%ld", a < 0 ? 1 : a);
		fail(an, 429, -1003, "Too many requests; current limit of IP is "
		    "2400 requests per minute.");
		return 1;
	case OM_418:
		S.banned_until = fake_now_ms() + (a < 0 ? 5 : a) * 1000;
		snprintf(an->retry, sizeof(an->retry), "%ld", a < 0 ? 5 : a);
		fail(an, 418, -1003, "Way too many requests; IP banned.");
		return 1;
	case OM_2019:
		fail(an, 400, -2019, "Margin is insufficient.");
		return 1;
	case OM_DROP_NOEXEC:
		an->drop = 1;
		return 1;
	default:
		return 0;
	}
}

static void post_order(struct MHD_Connection *c, struct answer *an)
{
	const struct fsym *sym;
	int64_t qty;
	long a = -1;
	const char *coid = arg(c, "newClientOrderId");

	S.order_posts++;
	an->orders = S.order_posts;
	struct forder *o = valid_coid(coid) ? book_slot(coid) : NULL;
	if (o)
		o->posts++;
	if (check_order(c, an, &sym, &qty) < 0)
		return;
	if (!o)
		return fail(an, 400, -1000, "book full");
	enum order_mode m = take_mode(&a);
	if (refuse(m, a, an))
		return;
	if (o->count > 0)
		return fail(an, 400, -4116, "ClientOrderId is duplicated.");
	execute(o, c, sym, qty, m);
	an->status = 200;
	if (m == OM_LOST)
		S.query_5xx = a < 0 ? 1000 : (int)a;
	if (m == OM_5XX || m == OM_LOST) {
		an->status = 502;
		an->text = "<html><body>502 Bad Gateway</body></html>";
	} else if (m == OM_1007) {
		fail(an, 503, -1007, "Timeout waiting for response from backend "
		    "server. Send status unknown; execution status unknown.");
	} else if (m == OM_GARBAGE) {
		an->text = "this is not JSON";
	} else {
		an->body = order_json(o, 0);
		an->drop = m == OM_DROP;
		an->delay_ms = m == OM_DELAY ? (a < 0 ? 7000 : a) : 0;
		if (!an->delay_ms && S.slow_ms > 0 && strcmp(sym->symbol,
		    S.slow_symbol) == 0)
			an->delay_ms = S.slow_ms;
	}
}

static void get_order(struct MHD_Connection *c, struct answer *an)
{
	S.order_queries++;
	if (S.query_5xx > 0) {
		S.query_5xx--;
		an->status = 503;
		an->text = "<html><body>Service Unavailable</body></html>";
		return;
	}
	const char *coid = arg(c, "origClientOrderId");
	const struct forder *o = coid ? book_find(coid) : NULL;
	const char *sym = arg(c, "symbol");
	if (!sym || !find_sym(sym))
		return fail(an, 400, -1121, "Invalid symbol.");
	if (!o || o->count == 0 || strcmp(o->symbol, sym) != 0)
		return fail(an, 400, -2013, "Order does not exist.");
	an->status = 200;
	an->body = order_json(o, 1);
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

static void exchange_info(struct answer *an)
{
	json_t *list = json_array();
	for (size_t i = 0; i < NSYMS; i++)
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o}",
		    "symbol", syms[i].symbol, "status", syms[i].status,
		    "contractType", "PERPETUAL", "filters", filters_json(&syms[i])));
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
	const struct fsym *f = find_sym(arg(c, "symbol"));
	if (!f)
		return fail(an, 400, -1121, "Invalid symbol.");
	an->status = 200;
	an->body = json_pack("{s:s,s:s,s:s,s:s,s:I}", "symbol", f->symbol,
	    "markPrice", f->mark, "indexPrice", f->mark, "lastFundingRate",
	    "0.00010000", "time", (json_int_t)fake_now_ms());
}

/* ---- test controls ---- */

static void orders_json(struct answer *an)
{
	json_t *list = json_array();
	for (int i = 0; i < S.n; i++) {
		const struct forder *o = &S.o[i];
		json_array_append_new(list, json_pack("{s:s,s:i,s:i,s:s,s:s,s:o,s:o,"
		    "s:b,s:s}", "clientOrderId", o->coid, "count", o->count,
		    "posts", o->posts, "symbol", o->symbol, "side", o->side,
		    "quantity", dec_str(o->qty), "executedQty", dec_str(o->executed),
		    "reduceOnly", o->reduce_only, "status",
		    o->later[0] ? o->later : o->status));
	}
	an->status = 200;
	an->body = json_pack("{s:o,s:I,s:I}", "orders", list, "order_posts",
	    (json_int_t)S.order_posts, "order_queries", (json_int_t)S.order_queries);
}

static void control(struct MHD_Connection *c, const char *method,
    const char *path, struct answer *an)
{
	if (strcmp(path, "/_fake/orders") == 0) {
		orders_json(an);
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/_fake/reset") == 0) {
		S.n = 0;
		S.slow_ms = 0;
		S.mode = OM_NORMAL;
		S.query_5xx = S.weight_count = 0;
		S.banned_until = 0;
		S.order_posts = S.order_queries = 0;
		an->status = 200;
		an->body = json_pack("{s:b}", "ok", 1);
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/_fake/slow") == 0) {
		const char *ms = arg(c, "ms");
		if (set_slow(arg(c, "symbol"), ms ? atol(ms) : -1) < 0)
			return fail(an, 400, -1, "bad slow symbol");
		an->status = 200;
		an->body = json_pack("{s:b}", "ok", 1);
	} else if (strcmp(method, "POST") == 0 && strcmp(path, "/_fake/mode") == 0) {
		const char *n = arg(c, "name"), *k = arg(c, "count"), *a = arg(c, "arg");
		if (!n || set_mode(n, k ? atoi(k) : 1, a ? atol(a) : -1) < 0)
			return fail(an, 400, -1, "unknown mode");
		log_info("mode %s count=%s arg=%s", n, k ? k : "1", a ? a : "-");
		an->status = 200;
		an->body = json_pack("{s:b}", "ok", 1);
	} else {
		fail(an, 404, -1, "no such control");
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

static void route(struct MHD_Connection *c, const char *method,
    const char *path, struct req *r, struct answer *an)
{
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	if (strncmp(path, "/_fake/", 7) == 0)
		return control(c, method, path, an);
	if (S.banned_until > fake_now_ms()) {
		snprintf(an->retry, sizeof(an->retry), "%lld",
		    (long long)((S.banned_until - fake_now_ms() + 999) / 1000));
		return fail(an, 418, -1003, "Way too many requests; IP banned.");
	}
	if (get && strcmp(path, "/fapi/v1/time") == 0) {
		an->status = 200;
		an->body = json_pack("{s:I}", "serverTime", (json_int_t)fake_now_ms());
	} else if (get && strcmp(path, "/fapi/v1/exchangeInfo") == 0) {
		exchange_info(an);
	} else if (get && strcmp(path, "/fapi/v1/premiumIndex") == 0) {
		premium_index(c, an);
	} else if (strcmp(path, "/fapi/v1/order") == 0 && (get || post)) {
		if (check_signed(c, r, an) < 0)
			return;
		if (post)
			post_order(c, an);
		else
			get_order(c, an);
	} else {
		fail(an, 404, -1000, "Unknown endpoint.");
	}
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
	    an.drop ? " (dropped)" : "", an.delay_ms ? " (delayed)" : "");
	if (an.delay_ms > 0)
		usleep((useconds_t)an.delay_ms * 1000);
	if (an.drop) {
		json_decref(an.body);
		return MHD_NO;
	}
	if (an.text) {
		json_decref(an.body);
		return fake_reply_text(c, an.status, strcmp(an.text, "this is not JSON") ?
		    "text/html" : "application/json", an.text);
	}
	return fake_reply(c, an.status, an.body, an.retry[0] ? an.retry : NULL, w,
	    an.orders);
}
