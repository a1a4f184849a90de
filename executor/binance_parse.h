/*
 * binance_parse.h - pure parsers for every Binance USDT-M futures reply the
 * binance backend reads.  Each takes the raw body (len bytes, not NUL
 * terminated), does no I/O and keeps no state, and rejects anything it did
 * not expect with -1 and a short reason in err, so fuzzers can call them.
 * Decimals are read as text into 1e-8 fixed point (decimal.h), never float.
 */
#ifndef QIE_BINANCE_PARSE_H
#define QIE_BINANCE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "filters.h"
#include "msg.h"

/* Largest reply body accepted (exchangeInfo of the live exchange ~1 MB). */
#define BN_BODY_MAX (8u << 20)

/* Rate limits announced in exchangeInfo; 0 = not announced. */
struct bn_limits {
	long weight_1m;         /* REQUEST_WEIGHT per 1 MINUTE */
	long orders_10s;        /* ORDERS per 10 SECOND */
	long orders_1m;         /* ORDERS per 1 MINUTE */
};

/* An order as GET/POST /fapi/v1/order describe it. */
struct bn_order {
	char symbol[24];
	char client_order_id[CLIENT_ORDER_ID_MAX + 1];
	char order_id[24];      /* the exchange's integer id, as text */
	char status[24];        /* NEW, PARTIALLY_FILLED, FILLED, ... */
	int64_t orig_qty;       /* 1e-8 units */
	int64_t executed_qty;
	int64_t avg_price;      /* 0 when nothing was filled */
};

/* GET /fapi/v1/time: {"serverTime": <ms>}. */
int bn_parse_time(const char *body, size_t len, int64_t *server_ms,
    char *err, size_t errlen);

/*
 * An error reply {"code": <int>, "msg": "<text>"}: the code, and the text
 * made printable (log_sanitize) into msg.  -1 when body is not one.
 */
int bn_parse_error(const char *body, size_t len, long *code, char *msg,
    size_t msgsz);

/*
 * GET /fapi/v1/exchangeInfo: the filters of the symbols in want that are
 * TRADING, into t (LOT_SIZE, tightened by MARKET_LOT_SIZE where stricter,
 * MIN_NOTIONAL), and the rate limits into lim.  Returns how many symbols of
 * want were found; a wanted symbol that is not trading or whose filters are
 * unusable is left out and named in err (a note, with a return >= 0).
 * -1 with err when the reply as a whole is malformed.
 */
int bn_parse_exchange_info(const char *body, size_t len,
    const struct strlist *want, struct filter_table *t, struct bn_limits *lim,
    char *err, size_t errlen);

/* GET /fapi/v1/premiumIndex?symbol=: markPrice (> 0) of exactly symbol. */
int bn_parse_premium_index(const char *body, size_t len, const char *symbol,
    int64_t *mark, char *err, size_t errlen);

/* POST or GET /fapi/v1/order (newOrderRespType=RESULT). */
int bn_parse_order(const char *body, size_t len, struct bn_order *o,
    char *err, size_t errlen);

/* A response header holding a whole number 0..max (Retry-After, weights). */
int bn_parse_header_uint(const char *v, long max, long *out);

/* 1 when status says the order is over (no further fill can come). */
int bn_status_final(const char *status);

#endif
