/*
 * binance_http.h - HTTPS to the exchange through libcurl's multi
 * interface, its sockets and timers in the executor's event loop (loop.h):
 * many requests in flight, each bounded in time, TLS verified.  A request
 * is a method, a path and an already built (and, if needed, signed)
 * parameter string; its transfer says what is known of the outcome: a
 * reply, surely not sent, or unknown (the request may have reached the
 * exchange).  Replies may come gzip-compressed (Accept-Encoding: every
 * encoding libcurl decodes); the body limit (BN_BODY_MAX) applies to the
 * decompressed body.  A request takes at most BN_TIMEOUT_MS, or the
 * transfer's own timeout_ms (exchangeInfo: BN_INFO_TIMEOUT_MS).
 *
 * Connections.  Requests share libcurl's connection cache, so a look-up,
 * a price or the time reuse a kept-alive connection.  An order is written
 * at most once: libcurl resends a request by itself when a reused
 * connection turns out dead before any byte of the reply came back, and
 * the exchange may have executed the first copy.  Every order transfer
 * therefore carries a pre-request callback (CURLOPT_PREREQFUNCTION, which
 * libcurl calls before each attempt, once the connection is ready and
 * before any byte of the request is written): the first attempt may go,
 * any further one is aborted and the outcome is UNKNOWN (settled by asking
 * for the client order id, never by sending again).  The same callback
 * refuses an order past its deadline, nothing sent.  An order closes its
 * connection afterwards (CURLOPT_FORBID_REUSE): a connection carries at
 * most one order.  So that an order does not pay a TCP and TLS handshake,
 * up to BN_WARM_CONNS connections are kept open ahead of need: whenever
 * fewer sit idle, a GET /fapi/v1/time (weight 1) opens another.  An order
 * on a warm connection costs one round trip; the connections opened for
 * orders are counted (bn_http_stats).
 *
 * May: talk HTTP(S) to the configured base URL only.  May not: log the API
 * key, a query string (it holds the signature) or a reply body unsanitized;
 * let libcurl write an order twice.
 */
#ifndef QIE_BINANCE_HTTP_H
#define QIE_BINANCE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define BN_CONNECT_TIMEOUT_MS 2000
#define BN_TIMEOUT_MS 5000
#define BN_INFO_TIMEOUT_MS 20000 /* exchangeInfo: about 2 MB, 200 kB gzipped */
#define BN_DNS_CACHE_S 10       /* a moved exchange address is followed soon */
#define BN_WARM_CONNS 8         /* idle connections kept ready for orders */
#define BN_MAX_CONNS 32         /* libcurl's connection cache */

enum bn_outcome {
	BN_REPLY = 0,           /* an HTTP reply: status, body, headers */
	BN_NOT_SENT,            /* failed before any byte of the request left */
	BN_UNKNOWN,             /* sent, or maybe sent: no (whole) reply */
};

struct bn_reply {
	enum bn_outcome outcome;
	int stale;              /* NOT_SENT: the order's deadline had passed */
	long status;            /* HTTP status when outcome == BN_REPLY */
	const char *body;       /* valid until the transfer is used again */
	size_t len;
	long retry_after;       /* seconds; -1 when absent */
	long used_weight_1m;    /* X-MBX-USED-WEIGHT-1M; -1 when absent */
	long orders_10s;        /* X-MBX-ORDER-COUNT-10S; -1 when absent */
	long orders_1m;         /* X-MBX-ORDER-COUNT-1M; -1 when absent */
	char why[128];          /* transport failure, for errors and the log */
};

struct bn_http;
struct bn_xfer;
typedef void (*bn_done_fn)(struct bn_xfer *x, void *arg);

/* One request at a time; the caller owns it (zeroed before first use). */
struct bn_xfer {
	struct bn_reply r;      /* the outcome, when done is called */
	/* the transfer's own */
	struct bn_http *c;
	void *h;                /* its easy handle, kept between requests */
	char *buf;
	size_t len, cap;
	int too_big;
	int order;              /* an order: one attempt, no reuse after */
	int written;            /* attempts let through to the connection */
	int refused;            /* attempts the pre-request callback stopped */
	int64_t deadline_ms;    /* an order: wall ms, never written after */
	int warmup;             /* a GET that opens a spare connection */
	int64_t timeout_ms;     /* the caller's: 0 = BN_TIMEOUT_MS */
	int busy;
	bn_done_fn done;
	void *arg;
	struct loop_timer t;    /* a request that could not start */
};

struct bn_http_stats {
	unsigned long long requests, orders;
	unsigned long long conns;          /* connections opened, all requests */
	unsigned long long order_conns;    /* ... of them by order requests */
	unsigned long long warmups;        /* GETs sent to open a spare one */
};

/* NULL with err on failure.  The key goes into the X-MBX-APIKEY header. */
struct bn_http *bn_http_new(const char *base_url, const char *api_key,
    char *err, size_t errlen);
void bn_http_free(struct bn_http *c);

/*
 * GET or POST (post != 0) base_url + path + "?" + query (query may be "").
 * deadline_ms > 0 makes it an order (see above).  done(x, arg) is called
 * once, from the event loop, with the outcome in x->r.
 */
void bn_http_start(struct bn_http *c, struct bn_xfer *x, int post,
    const char *path, const char *query, int64_t deadline_ms, bn_done_fn done,
    void *arg);
/* done(x, arg) from the loop with outcome NOT_SENT and why: a request
 * that could not even be built. */
void bn_http_fail(struct bn_xfer *x, const char *why, bn_done_fn done,
    void *arg);
/* Keeps spare connections open from now on (once the exchange answers). */
void bn_http_warm(struct bn_http *c);
void bn_http_stats(const struct bn_http *c, struct bn_http_stats *st);

/* The TCP port of url (its default when none is written); -1 if none. */
int bn_url_port(const char *url);

#endif
