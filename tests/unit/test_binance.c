/*
 * test_binance.c - the binance backend's pure parts: request signing and
 * the parameter string (executor/binance_sign.c), every reply parser
 * (executor/binance_parse.c), credentials (executor/credentials.c) and the
 * base URL's port (executor/binance_http.c).  No network.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binance_http.h"
#include "binance_parse.h"
#include "binance_sign.h"
#include "credentials.h"
#include "decimal.h"

#define VEC_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define VEC_MSG "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1" \
	"&price=0.1&recvWindow=5000&timestamp=1499827319559"
#define VEC_SIG "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"

static int64_t D(const char *s)
{
	int64_t v;
	const char *why;
	cr_assert_eq(dec_parse(s, strlen(s), &v, &why), 0, "%s", s);
	return v;
}

/* ---- signing ---- */

Test(sign, official_vector)
{
	char hex[65];
	cr_assert_eq(bn_hmac_hex(VEC_SECRET, strlen(VEC_SECRET), VEC_MSG,
	    strlen(VEC_MSG), hex), 0);
	cr_assert_str_eq(hex, VEC_SIG);
}

Test(sign, query_builder_reproduces_the_vector)
{
	struct bn_query q;
	bn_query_init(&q);
	const char *kv[][2] = { { "symbol", "LTCBTC" }, { "side", "BUY" },
		{ "type", "LIMIT" }, { "timeInForce", "GTC" }, { "quantity", "1" },
		{ "price", "0.1" }, { "recvWindow", "5000" } };
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		cr_assert_eq(bn_query_add(&q, kv[i][0], kv[i][1]), 0);
	cr_assert_eq(bn_query_add_int(&q, "timestamp", 1499827319559LL), 0);
	cr_assert_str_eq(q.s, VEC_MSG);
	cr_assert_eq(bn_query_sign(&q, VEC_SECRET, strlen(VEC_SECRET)), 0);
	cr_assert_str_eq(q.s, VEC_MSG "&signature=" VEC_SIG);
}

Test(sign, refuses_empty_secret_or_query)
{
	struct bn_query q;
	char hex[65];
	bn_query_init(&q);
	cr_assert_eq(bn_query_sign(&q, "s", 1), -1);
	cr_assert_eq(bn_hmac_hex("", 0, "a", 1, hex), -1);
}

/* Splits q at '&' and counts the pairs whose key is key. */
static int count_key(const char *q, const char *key)
{
	int n = 0;
	size_t kl = strlen(key);
	for (const char *p = q; p && *p; ) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			n++;
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	return n;
}

static int count_char(const char *s, char c)
{
	int n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* Hostile values never add, change or remove a parameter. */
Test(sign, hostile_values_cannot_alter_the_request)
{
	static const char *const evil[] = {
		"ETHUSDT&quantity=1000", "ETH USDT", "ETH=USDT", "ETHUSDT&side=BUY",
		"ETHUSDT%26quantity%3D9", "ETHUSDT\r\nX-MBX-APIKEY: x", "a&b=c&d",
		"SELL&reduceOnly=false", "#frag", "?q=1", "+plus+",
	};
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		struct bn_query q;
		bn_query_init(&q);
		cr_assert_eq(bn_query_add(&q, "symbol", evil[i]), 0);
		cr_assert_eq(bn_query_add(&q, "side", evil[i]), 0);
		cr_assert_eq(bn_query_add(&q, "quantity", "0.01"), 0);
		cr_assert_eq(bn_query_add(&q, "reduceOnly", "true"), 0);
		cr_assert_eq(bn_query_add_int(&q, "timestamp", 1), 0);
		cr_assert_eq(bn_query_sign(&q, "k", 1), 0);
		cr_assert_eq(count_char(q.s, '&'), 5, "%s", q.s);
		cr_assert_eq(count_char(q.s, '='), 6, "%s", q.s);
		cr_assert_eq(count_key(q.s, "quantity"), 1, "%s", q.s);
		cr_assert_eq(count_key(q.s, "side"), 1, "%s", q.s);
		cr_assert_eq(count_key(q.s, "reduceOnly"), 1, "%s", q.s);
		cr_assert(strstr(q.s, "quantity=0.01&reduceOnly=true&timestamp=1&"
		    "signature=") != NULL, "%s", q.s);
		cr_assert(!strpbrk(q.s, " \r\n#?+"), "%s", q.s);
	}
}

Test(sign, escaping_is_exact)
{
	struct bn_query q;
	bn_query_init(&q);
	bn_query_add(&q, "symbol", "ETH&quantity=1 x");
	cr_assert_str_eq(q.s, "symbol=ETH%26quantity%3D1%20x");
	bn_query_init(&q);
	bn_query_add(&q, "newClientOrderId", "qie-a.b:c/d_e");
	cr_assert_str_eq(q.s, "newClientOrderId=qie-a.b%3Ac%2Fd_e");
}

Test(sign, overflow_is_refused_and_sticky)
{
	struct bn_query q;
	char big[BN_QUERY_MAX];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bn_query_init(&q);
	cr_assert_eq(bn_query_add(&q, "symbol", "ETHUSDT"), 0);
	cr_assert_eq(bn_query_add(&q, "x", big), -1);
	cr_assert(q.overflow);
	cr_assert_str_eq(q.s, "symbol=ETHUSDT");
	cr_assert_eq(bn_query_add(&q, "side", "BUY"), -1);
	cr_assert_eq(bn_query_sign(&q, "k", 1), -1);
}

/* ---- parsers ---- */

#define P(s) s, strlen(s)

Test(parse, time)
{
	int64_t t;
	char err[128];
	cr_assert_eq(bn_parse_time(P("{\"serverTime\":1499827319559}"), &t, err,
	    sizeof(err)), 0);
	cr_assert_eq(t, 1499827319559LL);
	static const char *const bad[] = { "", "null", "[]", "{}", "nope",
		"{\"serverTime\":\"1499827319559\"}", "{\"serverTime\":1.5e12}",
		"{\"serverTime\":-1}", "{\"serverTime\":12}",
		"{\"serverTime\":1499827319559} x",
		"{\"serverTime\":1499827319559,\"serverTime\":1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(bn_parse_time(P(bad[i]), &t, err, sizeof(err)), -1,
		    "%s", bad[i]);
		cr_assert(err[0], "no reason for %s", bad[i]);
	}
}

Test(parse, error_reply)
{
	long code;
	char msg[64];
	cr_assert_eq(bn_parse_error(P("{\"code\":-2019,\"msg\":\"Margin is "
	    "insufficient.\"}"), &code, msg, sizeof(msg)), 0);
	cr_assert_eq(code, -2019);
	cr_assert_str_eq(msg, "Margin is insufficient.");
	cr_assert_eq(bn_parse_error(P("{\"code\":-1,\"msg\":\"a\\nb\\u0001\"}"),
	    &code, msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "a?b?");
	static const char *const bad[] = { "", "<html>502</html>", "{}",
		"{\"code\":\"-1\",\"msg\":\"x\"}", "{\"code\":-1}",
		"{\"code\":-1,\"msg\":5}", "{\"code\":123456789,\"msg\":\"x\"}",
		"[{\"code\":-1,\"msg\":\"x\"}]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bn_parse_error(P(bad[i]), &code, msg, sizeof(msg)), -1,
		    "%s", bad[i]);
}

static struct strlist want3(void)
{
	struct strlist l = { .n = 3 };
	strcpy(l.item[0], "BTCUSDT");
	strcpy(l.item[1], "ETHUSDT");
	strcpy(l.item[2], "XRPUSDT");
	return l;
}

#define LOT(t, step, min, max) "{\"filterType\":\"" t "\",\"stepSize\":\"" step \
	"\",\"minQty\":\"" min "\",\"maxQty\":\"" max "\"}"
#define NOTIONAL(n) "{\"filterType\":\"MIN_NOTIONAL\",\"notional\":\"" n "\"}"
#define SYM(s, st, f) "{\"symbol\":\"" s "\",\"status\":\"" st "\",\"filters\":[" f "]}"

static const char info_good[] = "{\"timezone\":\"UTC\",\"rateLimits\":["
	"{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
	"\"intervalNum\":1,\"limit\":2400},"
	"{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
	"\"limit\":300},"
	"{\"rateLimitType\":\"ORDERS\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
	"\"limit\":1200}],\"symbols\":["
	SYM("BTCUSDT", "TRADING", "{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.1\"},"
	    LOT("LOT_SIZE", "0.001", "0.001", "1000") ","
	    LOT("MARKET_LOT_SIZE", "0.001", "0.002", "120") "," NOTIONAL("100")) ","
	SYM("ETHUSDT", "TRADING", LOT("LOT_SIZE", "0.001", "0.001", "10000") ","
	    NOTIONAL("20")) ","
	SYM("XRPUSDT", "SETTLING", LOT("LOT_SIZE", "0.1", "0.1", "100")) ","
	SYM("DOGEUSDT", "TRADING", "\"anything\"")
	"]}";

Test(parse, exchange_info_good)
{
	struct strlist w = want3();
	struct filter_table t;
	struct bn_limits lim;
	char err[256];
	cr_assert_eq(bn_parse_exchange_info(P(info_good), &w, &t, &lim, err,
	    sizeof(err)), 2, "%s", err);
	const struct symbol_filter *b = filters_find(&t, "BTCUSDT");
	cr_assert(b);
	cr_assert_eq(b->step, D("0.001"));
	cr_assert_eq(b->min_qty, D("0.002"), "MARKET_LOT_SIZE minQty is stricter");
	cr_assert_eq(b->max_qty, D("120"), "MARKET_LOT_SIZE maxQty is stricter");
	cr_assert_eq(b->min_notional, D("100"));
	cr_assert_eq(b->mark_price, 0);
	const struct symbol_filter *e = filters_find(&t, "ETHUSDT");
	cr_assert(e);
	cr_assert_eq(e->max_qty, D("10000"));
	cr_assert_eq(e->min_notional, D("20"));
	cr_assert_null(filters_find(&t, "XRPUSDT"), "not TRADING: not traded");
	cr_assert_null(filters_find(&t, "DOGEUSDT"), "not wanted: ignored");
	cr_assert(strstr(err, "XRPUSDT: not TRADING"), "%s", err);
	cr_assert_eq(lim.weight_1m, 2400);
	cr_assert_eq(lim.orders_10s, 300);
	cr_assert_eq(lim.orders_1m, 1200);
}

Test(parse, exchange_info_steps_combine)
{
	struct strlist w = want3();
	struct filter_table t;
	struct bn_limits lim;
	char err[256];
	const char *body = "{\"symbols\":[" SYM("BTCUSDT", "TRADING",
	    LOT("LOT_SIZE", "0.002", "0.001", "0") ","
	    LOT("MARKET_LOT_SIZE", "0.003", "0.001", "50")) "]}";
	cr_assert_eq(bn_parse_exchange_info(P(body), &w, &t, &lim, err,
	    sizeof(err)), 1, "%s", err);
	cr_assert_eq(t.f[0].step, D("0.006"), "a multiple of both steps");
	cr_assert_eq(t.f[0].max_qty, D("50"));
	cr_assert_eq(t.f[0].min_notional, 0);
	cr_assert_eq(lim.weight_1m, 0, "no rateLimits: unknown");
}

Test(parse, exchange_info_unusable_symbols_are_left_out)
{
	struct strlist w = want3();
	struct filter_table t;
	struct bn_limits lim;
	char err[256];
	static const char *const bodies[] = {
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", NOTIONAL("5")) "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", LOT("LOT_SIZE", "0", "0", "1")) "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", LOT("LOT_SIZE", "-1", "0", "1")) "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", LOT("LOT_SIZE", "1e-3", "0", "1")) "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", LOT("LOT_SIZE", "0.1", "5", "1")) "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", LOT("LOT_SIZE", "0.1", "0.1", "1")
		    "," LOT("LOT_SIZE", "0.1", "0.1", "1")) "]}",
		"{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\"}]}",
		"{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"filters\":[]}]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", "{\"filterType\":\"LOT_SIZE\","
		    "\"stepSize\":0.1,\"minQty\":\"0.1\"}") "]}",
		"{\"symbols\":[" SYM("BTCUSDT", "TRADING", "{\"filterType\":\"MIN_NOTIONAL\"},"
		    LOT("LOT_SIZE", "0.1", "0.1", "1")) "]}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(bn_parse_exchange_info(P(bodies[i]), &w, &t, &lim, err,
		    sizeof(err)), 0, "%zu: %s", i, bodies[i]);
		cr_assert_null(filters_find(&t, "BTCUSDT"));
		cr_assert(strstr(err, "BTCUSDT"), "%zu: no note: %s", i, err);
	}
}

Test(parse, exchange_info_malformed)
{
	struct strlist w = want3();
	struct filter_table t;
	struct bn_limits lim;
	char err[256];
	static const char *const bad[] = { "", "[]", "{}", "{\"symbols\":{}}",
		"{\"symbols\":[1]}", "{\"symbols\":[{\"status\":\"TRADING\"}]}",
		"{\"symbols\":[],\"rateLimits\":{}}",
		"{\"symbols\":[],\"rateLimits\":[{\"rateLimitType\":\"ORDERS\"}]}",
		"{\"symbols\":[],\"rateLimits\":[{\"rateLimitType\":\"ORDERS\","
		"\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":-5}]}",
		"{\"symbols\":[" SYM("ETHUSDT", "TRADING", LOT("LOT_SIZE", "1", "1", "2"))
		"," SYM("ETHUSDT", "TRADING", LOT("LOT_SIZE", "1", "1", "2")) "]}",
		"{\"symbols\":[]", "{\"symbols\":[]} trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(bn_parse_exchange_info(P(bad[i]), &w, &t, &lim, err,
		    sizeof(err)), -1, "%s", bad[i]);
		cr_assert(err[0], "no reason for %s", bad[i]);
		cr_assert_eq(t.n, 0);
	}
}

Test(parse, premium_index)
{
	int64_t m;
	char err[128];
	cr_assert_eq(bn_parse_premium_index(P("{\"symbol\":\"ETHUSDT\",\"markPrice\":"
	    "\"3001.12345678\",\"indexPrice\":\"3000\"}"), "ETHUSDT", &m, err,
	    sizeof(err)), 0);
	cr_assert_eq(m, D("3001.12345678"));
	static const char *const bad[] = {
		"{\"symbol\":\"BTCUSDT\",\"markPrice\":\"3000\"}",
		"{\"markPrice\":\"3000\"}", "{\"symbol\":\"ETHUSDT\"}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":3000}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":\"0\"}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":\"-3000\"}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":\"3e3\"}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":\"nan\"}",
		"{\"symbol\":\"ETHUSDT\",\"markPrice\":\"\"}",
		"[{\"symbol\":\"ETHUSDT\",\"markPrice\":\"3000\"}]", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bn_parse_premium_index(P(bad[i]), "ETHUSDT", &m, err,
		    sizeof(err)), -1, "%s", bad[i]);
}

#define ORDER(id, coid, st, orig, exec) "{\"orderId\":" id ",\"symbol\":\"ETHUSDT\"," \
	"\"status\":\"" st "\",\"clientOrderId\":\"" coid "\",\"avgPrice\":\"3000.5\"," \
	"\"origQty\":\"" orig "\",\"executedQty\":\"" exec "\",\"type\":\"MARKET\"}"

Test(parse, order_good)
{
	struct bn_order o;
	char err[128];
	cr_assert_eq(bn_parse_order(P(ORDER("8389765519", "qie-abc", "FILLED",
	    "0.010", "0.010")), &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o.order_id, "8389765519");
	cr_assert_str_eq(o.client_order_id, "qie-abc");
	cr_assert_str_eq(o.symbol, "ETHUSDT");
	cr_assert_str_eq(o.status, "FILLED");
	cr_assert_eq(o.executed_qty, D("0.01"));
	cr_assert_eq(o.avg_price, D("3000.5"));
	cr_assert_eq(bn_parse_order(P(ORDER("1", "qie-abc", "PARTIALLY_FILLED",
	    "0.02", "0.01")), &o, err, sizeof(err)), 0);
	cr_assert_eq(o.executed_qty, D("0.01"));
	cr_assert_eq(o.orig_qty, D("0.02"));
	cr_assert_eq(bn_parse_order(P("{\"orderId\":7,\"symbol\":\"ETHUSDT\","
	    "\"status\":\"NEW\",\"clientOrderId\":\"x\",\"origQty\":\"1\","
	    "\"executedQty\":\"0\"}"), &o, err, sizeof(err)), 0, "avgPrice optional");
	cr_assert_eq(o.avg_price, 0);
}

Test(parse, order_bad)
{
	struct bn_order o;
	char err[128];
	static const char *const bad[] = {
		ORDER("\"1\"", "qie-abc", "FILLED", "1", "1"),
		ORDER("0", "qie-abc", "FILLED", "1", "1"),
		ORDER("-4", "qie-abc", "FILLED", "1", "1"),
		ORDER("1", "qie-abc", "FILED", "1", "1"),
		ORDER("1", "qie-abc", "FILLED", "1", "0.5"),
		ORDER("1", "qie-abc", "PARTIALLY_FILLED", "1", "2"),
		ORDER("1", "", "FILLED", "1", "1"),
		ORDER("1", "qie abc", "FILLED", "1", "1"),
		ORDER("1", "qie-0123456789012345678901234567890123", "FILLED", "1", "1"),
		ORDER("1", "qie-abc", "FILLED", "1", "1e0"),
		ORDER("1", "qie-abc", "FILLED", "", "1"),
		"{\"code\":-2013,\"msg\":\"Order does not exist.\"}",
		"<html>502 Bad Gateway</html>", "", "{}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(bn_parse_order(P(bad[i]), &o, err, sizeof(err)), -1,
		    "%s", bad[i]);
		cr_assert(err[0], "no reason for %s", bad[i]);
	}
}

Test(parse, header_numbers)
{
	long v;
	cr_assert_eq(bn_parse_header_uint("5", 100, &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(bn_parse_header_uint("120 ", 1000, &v), 0);
	cr_assert_eq(v, 120);
	static const char *const bad[] = { "", " 5", "-1", "5x", "0x10", "1e3",
		"99999999999999999999999", "101" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bn_parse_header_uint(bad[i], 100, &v), -1, "%s", bad[i]);
	cr_assert_eq(bn_parse_header_uint(NULL, 100, &v), -1);
}

Test(parse, final_statuses)
{
	cr_assert(!bn_status_final("NEW"));
	cr_assert(!bn_status_final("PARTIALLY_FILLED"));
	cr_assert(bn_status_final("FILLED"));
	cr_assert(bn_status_final("EXPIRED"));
	cr_assert(bn_status_final("CANCELED"));
}

Test(parse, body_size_cap)
{
	int64_t t;
	char err[64];
	cr_assert_eq(bn_parse_time("{}", BN_BODY_MAX + 1, &t, err, sizeof(err)), -1);
}

/* ---- base URL ---- */

Test(http, url_port)
{
	cr_assert_eq(bn_url_port("https://testnet.binancefuture.com"), 443);
	cr_assert_eq(bn_url_port("http://127.0.0.1:18080"), 18080);
	cr_assert_eq(bn_url_port("http://127.0.0.1/"), 80);
	cr_assert_eq(bn_url_port("not a url"), -1);
}

/* ---- credentials ---- */

static char dir[64];

static void write_file(const char *name, const char *content)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(content, f);
	fclose(f);
	chmod(path, 0600);
}

static void setup_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/qie-cred-XXXXXX");
	cr_assert(mkdtemp(dir));
	setenv("INTENT_EXECUTOR_CREDENTIALS_DIR", dir, 1);
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("BINANCE_TESTNET_API_KEY");
	unsetenv("BINANCE_TESTNET_API_SECRET");
}

static void teardown_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(creds, .init = setup_dir, .fini = teardown_dir);

Test(creds, files_with_trailing_newlines)
{
	struct credentials c;
	char err[256];
	write_file("binance-api-key", "KEY123\n");
	write_file("binance-api-secret", "s3cr3t-value\r\n");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.key, "KEY123");
	cr_assert_str_eq(c.secret, "s3cr3t-value");
	cr_assert_eq(c.secret_len, 12);
	credentials_wipe(&c);
	cr_assert_eq(c.secret[0], '\0');
	cr_assert_eq(c.secret_len, 0);
}

Test(creds, missing_and_invalid)
{
	struct credentials c;
	char err[256];
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "missing binance-api-key and binance-api-secret"), "%s", err);
	write_file("binance-api-key", "KEY123");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "missing binance-api-secret"), "%s", err);
	cr_assert_null(strstr(err, "binance-api-key"), "%s", err);
	write_file("binance-api-secret", "\n");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "binance-api-secret: empty"), "%s", err);
	write_file("binance-api-secret", "two words\n");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "binance-api-secret: holds a space"), "%s", err);
	cr_assert_null(strstr(err, "two words"), "the secret is never in a message");
	write_file("binance-api-secret", "line1\nline2\n");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), -1);
	cr_assert_null(strstr(err, "line"), "%s", err);
}

Test(creds, environment_fallback_is_erased)
{
	struct credentials c;
	char err[256];
	setenv("BINANCE_TESTNET_API_KEY", "envkey", 1);
	setenv("BINANCE_TESTNET_API_SECRET", "envsecret", 1);
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.key, "envkey");
	cr_assert_str_eq(c.secret, "envsecret");
	cr_assert_null(getenv("BINANCE_TESTNET_API_SECRET"));
	cr_assert_null(getenv("BINANCE_TESTNET_API_KEY"));
	cr_assert_str_eq(c.where, "the environment");
}

Test(creds, files_win_over_environment)
{
	struct credentials c;
	char err[256];
	write_file("binance-api-key", "filekey");
	write_file("binance-api-secret", "filesecret");
	setenv("BINANCE_TESTNET_API_SECRET", "envsecret", 1);
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.secret, "filesecret");
}

Test(creds, systemd_directory)
{
	struct credentials c;
	char err[256];
	unsetenv("INTENT_EXECUTOR_CREDENTIALS_DIR");
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	write_file("binance-api-key", "k");
	write_file("binance-api-secret", "s");
	cr_assert_eq(credentials_load(&c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.where, dir);
}

Test(creds, value_rules)
{
	const char *why;
	cr_assert_eq(credential_valid("abc", 3, &why), 0);
	cr_assert_eq(credential_valid("", 0, &why), -1);
	cr_assert_eq(credential_valid("a b", 3, &why), -1);
	cr_assert_eq(credential_valid("a\tb", 3, &why), -1);
	cr_assert_eq(credential_valid("a\xc3\xa9", 3, &why), -1);
	char big[CRED_MAX + 1];
	memset(big, 'a', sizeof(big));
	cr_assert_eq(credential_valid(big, CRED_MAX, &why), -1);
}
