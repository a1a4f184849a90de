/*
 * binance_http.c - the exchange connections (see binance_http.h): libcurl's
 * multi interface driven by the event loop (CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION into loop.h).
 */
#include "binance_http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "binance_parse.h"
#include "clock.h"
#include "log.h"
#include "loop.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

#define BN_WARM_RETRY_MS 5000        /* after a failed warm-up */

struct bn_http {
	CURLM *m;
	struct curl_slist *headers;
	char base[256];
	struct loop_timer timer;        /* libcurl's timeout */
	int warm;                       /* keep spare connections */
	int active;                     /* transfers in the multi handle */
	int sockets;                    /* connections open now */
	int64_t warm_after;             /* mono ms: a warm-up failed */
	struct bn_xfer warmers[BN_WARM_CONNS];
	struct bn_http_stats st;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct bn_xfer *x = ctx;
	size_t k = size * n;
	if (x->len + k > BN_BODY_MAX) {
		x->too_big = 1;
		return 0;       /* aborts the transfer */
	}
	if (x->len + k + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		while (cap < x->len + k + 1)
			cap *= 2;
		char *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, k);
	x->len += k;
	x->buf[x->len] = '\0';
	return k;
}

/*
 * Before libcurl writes the request (each attempt, on a ready connection):
 * an order goes once, and never past its deadline.
 */
static int on_prereq(void *ctx, char *ip, char *local, int port, int lport)
{
	struct bn_xfer *x = ctx;
	(void)ip, (void)local, (void)port, (void)lport;
	if (x->order && (x->written > 0 || wall_ms() > x->deadline_ms)) {
		x->refused++;   /* libcurl's own resend, or too late */
		return CURL_PREREQFUNC_ABORT;
	}
	x->written++;
	return CURL_PREREQFUNC_OK;
}

static curl_socket_t on_open(void *ctx, curlsocktype purpose,
    struct curl_sockaddr *a)
{
	struct bn_xfer *x = ctx;
	(void)purpose;
	curl_socket_t fd = socket(a->family, a->socktype, a->protocol);
	if (fd != CURL_SOCKET_BAD) {
		x->c->sockets++;
		x->c->st.conns++;
		x->c->st.order_conns += x->order != 0;
	}
	return fd;
}

static int on_close(void *ctx, curl_socket_t fd)
{
	struct bn_http *c = ctx;
	c->sockets--;
	return close(fd);
}

static int set_options(struct bn_http *c, struct bn_xfer *x, CURL *h)
{
	int bad = 0;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)BN_CONNECT_TIMEOUT_MS) != CURLE_OK;
	/* gzip or deflate when the server offers it; on_data sees the
	 * decompressed body, so BN_BODY_MAX bounds what is decompressed */
	bad |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT,
	    (long)BN_DNS_CACHE_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT,
	    "quantum-intent-executor/" VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PREREQDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_close) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PRIVATE, x) != CURLE_OK;
	return bad ? -1 : 0;
}

static void check_done(struct bn_http *c);

static void on_socket_ready(void *arg, int fd, short revents)
{
	struct bn_http *c = arg;
	int running, ev = 0;
	ev |= (revents & POLLIN) ? CURL_CSELECT_IN : 0;
	ev |= (revents & POLLOUT) ? CURL_CSELECT_OUT : 0;
	ev |= (revents & (POLLERR | POLLHUP | POLLNVAL)) ? CURL_CSELECT_ERR : 0;
	curl_multi_socket_action(c->m, fd, ev, &running);
	check_done(c);
}

static void on_timeout(void *arg)
{
	struct bn_http *c = arg;
	int running;
	curl_multi_socket_action(c->m, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

/* libcurl says which events of a socket it waits for. */
static int on_socket(CURL *h, curl_socket_t fd, int what, void *ctx,
    void *sockp)
{
	struct bn_http *c = ctx;
	(void)h, (void)sockp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(fd);
		return 0;
	}
	short ev = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
	    ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	if (loop_watch(fd, ev, on_socket_ready, c) < 0) {
		log_error("binance: event loop full: connection %d not watched", fd);
		return -1;
	}
	return 0;
}

static int on_timer(CURLM *m, long ms, void *ctx)
{
	struct bn_http *c = ctx;
	(void)m;
	if (ms < 0)
		loop_cancel(&c->timer);
	else
		loop_at(&c->timer, mono_ms() + ms, on_timeout, c);
	return 0;
}

struct bn_http *bn_http_new(const char *base_url, const char *api_key,
    char *err, size_t errlen)
{
	char hdr[300];
	struct bn_http *c = calloc(1, sizeof(*c));

	if (!c || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl initialisation failed");
		free(c);
		return NULL;
	}
	snprintf(c->base, sizeof(c->base), "%s", base_url);
	size_t n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	snprintf(hdr, sizeof(hdr), "X-MBX-APIKEY: %s", api_key);
	c->headers = curl_slist_append(NULL, hdr);
	OPENSSL_cleanse(hdr, sizeof(hdr));
	c->m = curl_multi_init();
	if (!c->headers || !c->m ||
	    curl_multi_setopt(c->m, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(c->m, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->m, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
	    curl_multi_setopt(c->m, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
	    curl_multi_setopt(c->m, CURLMOPT_MAXCONNECTS, (long)BN_MAX_CONNS) !=
	    CURLM_OK) {
		snprintf(err, errlen, "libcurl: cannot set up the connections");
		bn_http_free(c);
		return NULL;
	}
	if (strncmp(c->base, "http://", 7) == 0)
		log_warn("binance: %s is plain HTTP: only for a fake exchange on "
		    "loopback, never for a real one", c->base);
	return c;
}

void bn_http_free(struct bn_http *c)
{
	if (!c)
		return;
	if (c->m)
		curl_multi_cleanup(c->m);
	curl_slist_free_all(c->headers);    /* holds the key: freed, not kept */
	free(c);
}

static long header_num(CURL *h, const char *name, long max)
{
	struct curl_header *hd = NULL;
	long v;
	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
	    bn_parse_header_uint(hd->value, max, &v) < 0)
		return -1;
	return v;
}

/*
 * Was any byte of the request written?  Only after the pre-request
 * callback let an attempt through: before it, libcurl writes nothing.
 */
static int maybe_sent(const struct bn_xfer *x)
{
	return x->written > 0;
}

static void outcome(struct bn_xfer *x, CURL *h, CURLcode rc)
{
	struct bn_reply *r = &x->r;
	if (rc != CURLE_OK) {
		r->outcome = maybe_sent(x) ? BN_UNKNOWN : BN_NOT_SENT;
		r->stale = x->refused > 0 && x->written == 0;
		if (x->refused > 0 && x->written > 0)
			snprintf(r->why, sizeof(r->why), "connection lost after the "
			    "order was written: the resend by libcurl refused");
		else
			snprintf(r->why, sizeof(r->why), "%s", r->stale ?
			    "deadline passed" : x->too_big ? "reply too large" :
			    curl_easy_strerror(rc));
		return;
	}
	r->outcome = BN_REPLY;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = x->buf ? x->buf : "";
	r->len = x->len;
	r->retry_after = header_num(h, "Retry-After", 86400L * 7);
	r->used_weight_1m = header_num(h, "X-MBX-USED-WEIGHT-1M", 100000000);
	r->orders_10s = header_num(h, "X-MBX-ORDER-COUNT-10S", 100000000);
	r->orders_1m = header_num(h, "X-MBX-ORDER-COUNT-1M", 100000000);
}

static void keep_warm(struct bn_http *c);

static void check_done(struct bn_http *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *h = msg->easy_handle;
		CURLcode rc = msg->data.result;
		char *p = NULL;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, &p);
		curl_multi_remove_handle(c->m, h);
		c->active--;
		struct bn_xfer *x = (struct bn_xfer *)(void *)p;
		if (!x)
			continue;
		outcome(x, h, rc);
		if (x->warmup && x->r.outcome != BN_REPLY)
			c->warm_after = mono_ms() + BN_WARM_RETRY_MS;
		x->busy = 0;
		x->done(x, x->arg);
	}
	keep_warm(c);
}

/* A request that could not start ends NOT_SENT, its why already set. */
static void not_started(void *arg)
{
	struct bn_xfer *x = arg;
	x->r.outcome = BN_NOT_SENT;
	x->busy = 0;
	x->done(x, x->arg);
}

/* A request that could not be started: NOT_SENT, on the loop's next turn. */
static void fail_later(struct bn_xfer *x, const char *why)
{
	snprintf(x->r.why, sizeof(x->r.why), "%s", why);
	loop_at(&x->t, 0, not_started, x);
}

void bn_http_fail(struct bn_xfer *x, const char *why, bn_done_fn done,
    void *arg)
{
	memset(&x->r, 0, sizeof(x->r));
	x->done = done;
	x->arg = arg;
	x->busy = 1;
	fail_later(x, why);
}

void bn_http_start(struct bn_http *c, struct bn_xfer *x, int post,
    const char *path, const char *query, int64_t deadline_ms, bn_done_fn done,
    void *arg)
{
	char url[2048];
	memset(&x->r, 0, sizeof(x->r));
	x->r.retry_after = x->r.used_weight_1m = x->r.orders_10s =
	    x->r.orders_1m = -1;
	x->c = c;
	x->done = done;
	x->arg = arg;
	x->busy = 1;
	x->order = deadline_ms > 0;
	x->deadline_ms = deadline_ms;
	x->written = x->refused = 0;
	x->len = 0;
	x->too_big = 0;
	if (x->buf)
		x->buf[0] = '\0';
	int k = snprintf(url, sizeof(url), "%s%s%s%s", c->base, path,
	    query[0] ? "?" : "", query);
	if (k < 0 || (size_t)k >= sizeof(url))
		return fail_later(x, "request too long");
	if (!x->h && (!(x->h = curl_easy_init()) || set_options(c, x, x->h) < 0))
		return fail_later(x, "libcurl: cannot set up the request");
	CURL *h = x->h;
	curl_easy_setopt(h, CURLOPT_URL, url);
	OPENSSL_cleanse(url, sizeof(url));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, x->timeout_ms > 0 ?
	    (long)x->timeout_ms : (long)BN_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, x->order ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, x->warmup ? 1L : 0L);
	if (post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	if (curl_multi_add_handle(c->m, h) != CURLM_OK)
		return fail_later(x, "libcurl: cannot start the request");
	c->active++;
	c->st.requests++;
	c->st.orders += x->order != 0;
}

static void warmed(struct bn_xfer *x, void *arg)
{
	(void)x, (void)arg;
}

/* Fewer than BN_WARM_CONNS idle connections: one more GET to open one. */
static void keep_warm(struct bn_http *c)
{
	if (!c->warm || c->sockets - c->active >= BN_WARM_CONNS ||
	    c->sockets >= BN_MAX_CONNS - BN_WARM_CONNS || mono_ms() < c->warm_after)
		return;
	for (int i = 0; i < BN_WARM_CONNS; i++) {
		struct bn_xfer *x = &c->warmers[i];
		if (x->busy)
			continue;
		c->st.warmups++;
		x->warmup = 1;
		bn_http_start(c, x, 0, "/fapi/v1/time", "", 0, warmed, NULL);
		return;
	}
}

void bn_http_warm(struct bn_http *c)
{
	c->warm = 1;
	keep_warm(c);
}

void bn_http_stats(const struct bn_http *c, struct bn_http_stats *st)
{
	*st = c->st;
}

int bn_url_port(const char *url)
{
	CURLU *u = curl_url();
	char *port = NULL;
	long v = -1;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    bn_parse_header_uint(port, 65535, &v) < 0)
		v = -1;
	curl_free(port);
	curl_url_cleanup(u);
	return v > 0 ? (int)v : -1;
}
