/*
 * binance_http.h - one kept-alive HTTPS connection to the exchange
 * (libcurl, one easy handle), bounded in time, TLS verified.  It sends a
 * method, a path and an already built (and, if needed, signed) parameter
 * string, and says what is known of the outcome: a reply, surely not sent,
 * or unknown (the request may have reached the exchange).
 *
 * May: talk HTTP(S) to the configured base URL only.  May not: log the API
 * key, a query string (it holds the signature) or a reply body unsanitized.
 */
#ifndef QIE_BINANCE_HTTP_H
#define QIE_BINANCE_HTTP_H

#include <stddef.h>

#define BN_CONNECT_TIMEOUT_MS 2000
#define BN_TIMEOUT_MS 5000
#define BN_DNS_CACHE_S 10       /* a moved exchange address is followed soon */

enum bn_outcome {
	BN_REPLY = 0,           /* an HTTP reply: status, body, headers */
	BN_NOT_SENT,            /* failed before any byte of the request left */
	BN_UNKNOWN,             /* sent, or maybe sent: no (whole) reply */
};

struct bn_reply {
	enum bn_outcome outcome;
	long status;            /* HTTP status when outcome == BN_REPLY */
	const char *body;       /* valid until the next request */
	size_t len;
	long retry_after;       /* seconds; -1 when absent */
	long used_weight_1m;    /* X-MBX-USED-WEIGHT-1M; -1 when absent */
	long orders_10s;        /* X-MBX-ORDER-COUNT-10S; -1 when absent */
	long orders_1m;         /* X-MBX-ORDER-COUNT-1M; -1 when absent */
	char why[128];          /* transport failure, for errors and the log */
};

struct bn_http;

/* NULL with err on failure.  The key goes into the X-MBX-APIKEY header. */
struct bn_http *bn_http_new(const char *base_url, const char *api_key,
    char *err, size_t errlen);
void bn_http_free(struct bn_http *c);

/*
 * GET or POST (post != 0) base_url + path + "?" + query (query may be "").
 * fresh != 0 opens a new connection for this request, so that libcurl can
 * never resend it by itself on a dead kept-alive connection (orders).
 */
void bn_http_request(struct bn_http *c, int post, const char *path,
    const char *query, int fresh, struct bn_reply *r);

/* The TCP port of url (its default when none is written); -1 if none. */
int bn_url_port(const char *url);

#endif
