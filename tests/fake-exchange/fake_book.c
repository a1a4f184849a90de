/*
 * fake_book.c - the fake exchange's orders (see fake_int.h): POST and GET
 * /fapi/v1/order, checked as the exchange checks them, and the
 * misbehaviours the tests ask of the order endpoint (modes, fake.h).
 *
 * A client order id is unique among OPEN orders only, as on Binance: an
 * id whose order is over (FILLED, EXPIRED) is accepted again, and its
 * book entry then describes the newest order (count says how many were
 * accepted with it); an id of an open order is refused with -4116.
 * A NEW order fills once its time has come (fake_book_tick).
 * Runs under fake_api.c's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "fake_int.h"

#define MAX_ORDERS 4096

struct forder {
	char coid[40], symbol[24], side[8], status[24];
	long long id;
	int64_t qty, executed, price, time;
	int64_t fill_at;        /* NEW: when it fills (fake_now_ms); 0 none */
	enum fpos_side ps;
	int reduce_only;
	int count;              /* orders accepted with this id */
	int posts;              /* order POSTs that carried this id */
};

static const char *const mode_names[OM_COUNT] = { "normal", "delay", "5xx",
	"1007", "5xx_noexec", "1021", "429", "418", "2019", "partial", "drop",
	"drop_noexec", "new", "garbage", "lost", "drop_unread", "drop_mid" };

static struct {
	struct forder o[MAX_ORDERS];
	int n;
	int pending;            /* orders with a fill_at */
	long long next_id;
	enum order_mode mode;
	int mode_count;
	long mode_arg;
	int query_5xx;
	long order_posts, order_queries;
} B = { .next_id = 1000000 };

/* ---- modes ---- */

int fake_book_set_mode(const char *name, int count, long arg)
{
	if (strcmp(name, "query_5xx") == 0)
		return B.query_5xx = count, 0;
	for (int i = 0; i < OM_COUNT; i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			B.mode = (enum order_mode)i;
			B.mode_count = count;
			B.mode_arg = arg;
			return 0;
		}
	}
	return -1;
}

void fake_book_reset(void)
{
	B.n = B.pending = 0;
	B.mode = OM_NORMAL;
	B.query_5xx = 0;
	B.order_posts = B.order_queries = 0;
}

/* The mode for this order POST, used up once. */
static enum order_mode take_mode(long *arg)
{
	if (B.mode == OM_NORMAL || B.mode_count <= 0)
		return OM_NORMAL;
	enum order_mode m = B.mode;
	*arg = B.mode_arg;
	if (--B.mode_count == 0)
		B.mode = OM_NORMAL;
	return m;
}

int fake_book_drop_unread(void)
{
	long a = -1;
	return B.mode == OM_DROP_UNREAD && take_mode(&a) == OM_DROP_UNREAD;
}

/* ---- the book ---- */

static struct forder *book_find(const char *coid)
{
	for (int i = 0; i < B.n; i++)
		if (strcmp(B.o[i].coid, coid) == 0)
			return &B.o[i];
	return NULL;
}

static int is_open(const struct forder *o)
{
	return o->count > 0 && (strcmp(o->status, "NEW") == 0 ||
	    strcmp(o->status, "PARTIALLY_FILLED") == 0);
}

int fake_book_open_orders(void)
{
	for (int i = 0; i < B.n; i++)
		if (is_open(&B.o[i]))
			return 1;
	return 0;
}

static void fill(struct forder *o, int64_t qty)
{
	const struct fsym *f = fake_find_sym(o->symbol);
	o->executed = qty;
	if (f && qty > 0)
		fake_account_fill(f, o->ps, o->side, qty, o->price);
}

void fake_book_tick(void)
{
	int64_t now = fake_now_ms();
	for (int i = 0; i < B.n && B.pending > 0; i++) {
		struct forder *o = &B.o[i];
		if (!o->fill_at || o->fill_at > now)
			continue;
		o->fill_at = 0;
		B.pending--;
		snprintf(o->status, sizeof(o->status), "FILLED");
		fill(o, o->qty);
	}
}

static json_t *order_json(const struct forder *o)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:b,s:s,"
	    "s:s,s:I}",
	    "orderId", (json_int_t)o->id, "symbol", o->symbol, "status", o->status,
	    "clientOrderId", o->coid, "price", "0",
	    "avgPrice", fake_dec_str(o->executed ? o->price : 0),
	    "origQty", fake_dec_str(o->qty),
	    "executedQty", fake_dec_str(o->executed),
	    "cumQuote", fake_dec_str(dec_mul(o->executed, o->price)),
	    "timeInForce", "GTC", "type", "MARKET", "reduceOnly", o->reduce_only,
	    "side", o->side, "positionSide", fake_ps_names[o->ps], "updateTime",
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
    const struct fsym **sym, int64_t *qty, enum fpos_side *ps, int *reduces)
{
	const char *s = fake_arg(c, "side"), *type = fake_arg(c, "type");
	*sym = fake_find_sym(fake_arg(c, "symbol"));
	if (!*sym || strcmp((*sym)->status, "TRADING") != 0)
		return fake_fail(an, 400, -1121, "Invalid symbol."), -1;
	if (!s || (strcmp(s, "BUY") != 0 && strcmp(s, "SELL") != 0))
		return fake_fail(an, 400, -1117, "Invalid side."), -1;
	if (!type || strcmp(type, "MARKET") != 0)
		return fake_fail(an, 400, -1116, "Invalid orderType."), -1;
	if (fake_account_check_order(c, s, ps, reduces, an) < 0)
		return -1;
	if (!valid_coid(fake_arg(c, "newClientOrderId")))
		return fake_fail(an, 400, -4015, "Client order id is not valid."), -1;
	*qty = fake_dec(fake_arg(c, "quantity"));
	int64_t step = fake_dec((*sym)->step);
	if (*qty <= 0 || *qty % step != 0)
		return fake_fail(an, 400, -1111, "Precision is over the maximum "
		    "defined for this asset."), -1;
	if (*qty < fake_dec((*sym)->min))
		return fake_fail(an, 400, -4003, "Quantity less than or equal to "
		    "zero."), -1;
	if (*qty > fake_dec((*sym)->mkt_max))
		return fake_fail(an, 400, -4005, "Quantity greater than max "
		    "quantity."), -1;
	if (!*reduces &&
	    dec_mul(*qty, fake_dec((*sym)->mark)) < fake_dec((*sym)->notional))
		return fake_fail(an, 400, -4164, "Order's notional must be no "
		    "smaller than the minimum (unless you choose reduce only)."), -1;
	return 0;
}

static struct forder *book_slot(const char *coid)
{
	struct forder *o = book_find(coid);
	if (o || B.n == MAX_ORDERS)
		return o;
	o = &B.o[B.n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->coid, sizeof(o->coid), "%s", coid);
	return o;
}

static void execute(struct forder *o, struct MHD_Connection *c,
    const struct fsym *sym, int64_t qty, enum order_mode m, long a)
{
	const char *ro = fake_arg(c, "reduceOnly");
	o->count++;
	o->id = ++B.next_id;
	snprintf(o->symbol, sizeof(o->symbol), "%s", sym->symbol);
	snprintf(o->side, sizeof(o->side), "%s", fake_arg(c, "side"));
	o->reduce_only = ro && strcmp(ro, "true") == 0;
	o->qty = qty;
	o->executed = 0;
	o->price = fake_dec(sym->mark);
	o->time = fake_now_ms();
	o->fill_at = 0;
	if (m == OM_NEW) {
		/* NEW now, FILLED once arg ms (default 0) have passed */
		snprintf(o->status, sizeof(o->status), "NEW");
		o->fill_at = o->time + (a > 0 ? a : 0);
		B.pending++;
	} else if (m == OM_PARTIAL) {
		int64_t step = fake_dec(sym->step);
		int64_t half = qty / 2 / step * step;
		snprintf(o->status, sizeof(o->status), "%s",
		    half ? "PARTIALLY_FILLED" : "EXPIRED");
		fill(o, half);
	} else {
		snprintf(o->status, sizeof(o->status), "FILLED");
		fill(o, qty);
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
		fake_fail(an, 400, -1021, "Timestamp for this request is outside of "
		    "the recvWindow.");
		return 1;
	case OM_429:
		snprintf(an->retry, sizeof(an->retry), "%ld", a < 0 ? 1 : a);
		fake_fail(an, 429, -1003, "Too many requests; current limit of IP "
		    "is 2400 requests per minute.");
		return 1;
	case OM_418:
		fake_ban(a < 0 ? 5 : a);
		snprintf(an->retry, sizeof(an->retry), "%ld", a < 0 ? 5 : a);
		fake_fail(an, 418, -1003, "Way too many requests; IP banned.");
		return 1;
	case OM_2019:
		fake_fail(an, 400, -2019, "Margin is insufficient.");
		return 1;
	case OM_DROP_NOEXEC:
		an->drop = 1;
		return 1;
	default:
		return 0;
	}
}

/* How an executed order is answered in mode m. */
static void answer_executed(const struct forder *o, enum order_mode m, long a,
    struct answer *an)
{
	an->status = 200;
	if (m == OM_LOST)
		fake_book_set_mode("query_5xx", a < 0 ? 1000 : (int)a, -1);
	if (m == OM_5XX || m == OM_LOST) {
		an->status = 502;
		an->text = "<html><body>502 Bad Gateway</body></html>";
	} else if (m == OM_1007) {
		fake_fail(an, 503, -1007, "Timeout waiting for response from backend "
		    "server. Send status unknown; execution status unknown.");
	} else if (m == OM_GARBAGE) {
		an->text = "this is not JSON";
	} else {
		an->body = order_json(o);
		an->drop = m == OM_DROP;
		an->cut = m == OM_DROP_MID;
		an->delay_ms = m == OM_DELAY ? (a < 0 ? 7000 : a) : 0;
	}
}

void fake_book_post(struct MHD_Connection *c, struct answer *an)
{
	const struct fsym *sym;
	int64_t qty;
	long a = -1;
	enum fpos_side ps;
	int reduces;
	const char *coid = fake_arg(c, "newClientOrderId");

	B.order_posts++;
	an->orders = B.order_posts;
	struct forder *o = valid_coid(coid) ? book_slot(coid) : NULL;
	if (o)
		o->posts++;
	if (check_order(c, an, &sym, &qty, &ps, &reduces) < 0)
		return;
	if (!o)
		return fake_fail(an, 400, -1000, "book full");
	enum order_mode m = take_mode(&a);
	if (refuse(m, a, an))
		return;
	if (is_open(o))
		return fake_fail(an, 400, -4116, "ClientOrderId is duplicated.");
	if (reduces && fake_account_check_reduce(sym, ps, fake_arg(c, "side"), qty,
	    an) < 0)
		return;
	o->ps = ps;
	execute(o, c, sym, qty, m, a);
	answer_executed(o, m, a, an);
}

void fake_book_get(struct MHD_Connection *c, struct answer *an)
{
	B.order_queries++;
	if (B.query_5xx > 0) {
		B.query_5xx--;
		an->status = 503;
		an->text = "<html><body>Service Unavailable</body></html>";
		return;
	}
	const char *coid = fake_arg(c, "origClientOrderId");
	const struct forder *o = coid ? book_find(coid) : NULL;
	const char *sym = fake_arg(c, "symbol");
	if (!sym || !fake_find_sym(sym))
		return fake_fail(an, 400, -1121, "Invalid symbol.");
	if (!o || o->count == 0 || strcmp(o->symbol, sym) != 0)
		return fake_fail(an, 400, -2013, "Order does not exist.");
	an->status = 200;
	an->body = order_json(o);
}

void fake_book_json(struct answer *an)
{
	json_t *list = json_array();
	for (int i = 0; i < B.n; i++) {
		const struct forder *o = &B.o[i];
		json_array_append_new(list, json_pack("{s:s,s:i,s:i,s:s,s:s,s:s,"
		    "s:o,s:o,s:b,s:s}", "clientOrderId", o->coid, "count", o->count,
		    "posts", o->posts, "symbol", o->symbol, "side", o->side,
		    "positionSide", fake_ps_names[o->ps], "quantity", fake_dec_str(o->qty),
		    "executedQty", fake_dec_str(o->executed), "reduceOnly",
		    o->reduce_only, "status", o->status));
	}
	an->status = 200;
	an->body = json_pack("{s:o,s:I,s:I}", "orders", list, "order_posts",
	    (json_int_t)B.order_posts, "order_queries",
	    (json_int_t)B.order_queries);
}
