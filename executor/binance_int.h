/*
 * binance_int.h - the binance backend's state, shared by binance.c (the
 * connection policy: time offset, rate limits, bans, filters, prices) and
 * binance_order.c (placing and settling orders).  Not for other files.
 */
#ifndef QIE_BINANCE_INT_H
#define QIE_BINANCE_INT_H

#include <stdint.h>

#include "backend.h"
#include "binance_http.h"
#include "binance_parse.h"
#include "binance_sign.h"
#include "config.h"
#include "credentials.h"

#define BN_RECV_WINDOW_MS 5000
#define BN_FILTERS_TTL_MS (10LL * 60 * 1000)
#define BN_FILTERS_RETRY_MS 5000
#define BN_TIME_TTL_MS (30LL * 60 * 1000)
#define BN_MAX_WAIT_MS 3000     /* longest pause before a request */
#define BN_BAN_DEFAULT_S 120    /* a 418 without Retry-After */
#define BN_BOOK_SIZE 1024

/* An order known to exist on the exchange, as last seen. */
struct bn_book_entry {
	char coid[CLIENT_ORDER_ID_MAX + 1];
	struct exec_res res;
};

struct binance {
	struct bn_http *http;
	struct credentials cred;
	struct strlist symbols;         /* the executor's allowlist */
	struct filter_table filters;
	struct bn_limits limits;
	int64_t filters_at;             /* mono ms of the last refresh; 0 never */
	int64_t filters_retry_at;
	char filters_why[200];
	int64_t offset_ms;              /* server clock - our wall clock */
	int64_t synced_at;              /* mono ms; 0 never */
	const char *base_url;           /* the settings' */
	char time_why[480];             /* why the last time request failed */
	int64_t time_logged_at;         /* mono ms: that failure's ERROR line */
	int64_t backoff_until;          /* 429: mono ms */
	int64_t banned_until;           /* 418: mono ms */
	int64_t throttle_until;         /* near a limit: mono ms */
	struct bn_book_entry book[BN_BOOK_SIZE];
	unsigned book_next;
};

/* binance.c */
/*
 * May a request go now?  Waits out a short pause; 0 to go, -1 with a result
 * error (binance_banned:..., binance_rate_limited:...).  soft=0 ignores the
 * self-imposed slow-down (settling an order must not wait for it).
 */
int bn_gate(struct binance *b, int soft, char *err, size_t errlen);
/* Signs q (recvWindow, timestamp, signature) and sends it; accounts. */
void bn_signed(struct binance *b, int post, const char *path,
    struct bn_query *q, int fresh, struct bn_reply *r);
/* Resynchronises the server time offset; -1 when it cannot. */
int bn_sync_time(struct binance *b);
/* The exchange's error in a reply: 0 with code and msg, -1 if none. */
int bn_reply_error(const struct bn_reply *r, long *code, char *msg,
    size_t msgsz);
void bn_sleep_ms(int64_t ms);
/* Loads the symbol filters from exchangeInfo (a failure keeps the old). */
void bn_refresh_filters(struct binance *b);
/* backend.h's filter and mark_price of the binance backend. */
const struct symbol_filter *bn_filter(void *st, const char *symbol,
    char *err, size_t errlen);
int bn_mark(void *st, const char *symbol, int64_t *price);

/* binance_order.c */
int bn_place(void *st, const struct order *o, struct exec_res *res);

#endif
