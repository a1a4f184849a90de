/*
 * fake.h - a fake Binance USDT-M futures REST server for the tests: a real
 * HTTP server (libmicrohttpd) on 127.0.0.1 speaking the endpoints the
 * binance backend uses, checking every signature (HMAC-SHA256, OpenSSL)
 * against the key and secret it was given, keeping orders by client order
 * id (unique among open orders only, as on Binance) and an account
 * (position mode, positions, leverage: fake_account.c), answering gzip
 * when asked, and misbehaving on request (modes) so tests can prove what
 * the daemon does then.  A test tool: never installed, never used in
 * production.
 *
 * Modes that are not about one order POST (--mode NAME[:COUNT[:ARG]] or
 * POST /_fake/mode): query_5xx (the next COUNT look-ups answer 503), weight
 * (the next COUNT replies announce used weight ARG), ban (418 for ARG s),
 * info_symbols (exchangeInfo lists ARG filler symbols more), hedge (COUNT
 * 1: hedge mode, 0: one-way; at start it is the mode a reset returns to;
 * later it forces the switch, carrying positions over), reduce_check
 * (COUNT 1: one-way reduceOnly orders are checked against the position),
 * long (COUNT 1: every symbol is held long, ARG whole units at its mark
 * price, at start and after each reset; COUNT 0: flat; set later, it
 * resets the account), leverage_4028 (the next COUNT leverage calls are
 * answered -4028 "Leverage N is not valid", nothing changed).
 */
#ifndef QIE_FAKE_H
#define QIE_FAKE_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

/* What the order endpoint does to the next `count` order POSTs. */
enum order_mode {
	OM_NORMAL = 0,
	OM_DELAY,               /* execute, wait arg ms, then answer */
	OM_5XX,                 /* execute, answer 502 with an HTML page */
	OM_1007,                /* execute, answer 503 with code -1007 */
	OM_5XX_NOEXEC,          /* answer 500 without executing */
	OM_1021,                /* answer -1021 (clock), do not execute */
	OM_429,                 /* answer 429, Retry-After arg s */
	OM_418,                 /* answer 418 and ban everything for arg s */
	OM_2019,                /* answer -2019 margin is insufficient */
	OM_PARTIAL,             /* execute half, PARTIALLY_FILLED */
	OM_DROP,                /* execute, then drop the connection */
	OM_DROP_NOEXEC,         /* drop the connection, do not execute */
	OM_NEW,                 /* answer NEW/0 filled; FILLED after arg ms (0) */
	OM_GARBAGE,             /* execute, answer 200 with a non-JSON body */
	OM_LOST,                /* execute, answer 502, then fail arg look-ups */
	OM_DROP_UNREAD,         /* drop the connection before reading the POST */
	OM_DROP_MID,            /* execute, write half the answer, then drop */
	OM_COUNT
};

struct fake_args {
	int port;
	const char *key, *secret;
	int64_t skew_ms;        /* our clock = real clock + skew */
};

/* One request as it arrived. */
struct req {
	char *uri;              /* raw, with the query string as sent */
	char *body;
	size_t body_len, body_cap;
	int seen;               /* the access handler was called once */
	int64_t arrived_us;     /* its headers were in (monotonic clock) */
};

/* fake_api.c */
void fake_init(const struct fake_args *a);
/* Answers one complete request; MHD_NO drops the connection. */
enum MHD_Result fake_handle(struct MHD_Connection *c, const char *method,
    const char *path, struct req *r);
/* 1 when drop_unread takes this order POST (before its body is read). */
int fake_drop_unread(void);

/* fake_main.c */
int64_t fake_now_ms(void);
/* 0 when the signature over query (+ body) is valid under secret. */
int fake_check_signature(const char *secret, const struct req *r,
    const char **why);
enum MHD_Result fake_reply(struct MHD_Connection *c, unsigned status,
    json_t *body, const char *retry_after, long weight, long orders);
enum MHD_Result fake_reply_text(struct MHD_Connection *c, unsigned status,
    const char *type, const char *text);
/* Writes the headers and half of body, then closes the connection. */
enum MHD_Result fake_reply_cut(struct MHD_Connection *c, unsigned status,
    json_t *body);

/* fake_net.c: the simulated round trip and the counts (--rtt etc.) */
/* 1 when opt is one of its options (-1: a bad value), 0 when not. */
int fake_net_option(const char *opt, const char *value);
void fake_net_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe);
void fake_net_arrived(struct req *r);
/* After the answer is decided: sleeps until it may leave. */
void fake_net_hold(struct MHD_Connection *c, const char *method,
    const char *path, const struct req *r);
/* The "stats:" line on stderr. */
void fake_net_report(void);

/* fake_gzip.c */
/* 1 when the request's Accept-Encoding names gzip. */
int fake_gzip_wanted(struct MHD_Connection *c);
/*
 * Replaces *text (malloc'd, *len bytes) by its gzip encoding when it is
 * large enough to be worth it, as the exchange's CDN does; 1 when it did.
 */
int fake_gzip(char **text, size_t *len);
/* Replies sent gzip-compressed so far. */
long fake_gzip_count(void);

#endif
