/*
 * binance_http.c - the exchange connection (see binance_http.h).
 */
#include "binance_http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binance_parse.h"
#include "idle.h"
#include "log.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

struct bn_http {
	CURL *h;
	struct curl_slist *headers;
	char base[256];
	char *buf;
	size_t len, cap;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct bn_http *c = ctx;
	size_t k = size * n;
	if (c->len + k > BN_BODY_MAX) {
		c->too_big = 1;
		return 0;       /* aborts the transfer */
	}
	if (c->len + k + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		while (cap < c->len + k + 1)
			cap *= 2;
		char *b = realloc(c->buf, cap);
		if (!b)
			return 0;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, k);
	c->len += k;
	c->buf[c->len] = '\0';
	return k;
}

/* libcurl calls this often, and about once a second while it waits. */
static int on_progress(void *ctx, curl_off_t dlt, curl_off_t dln,
    curl_off_t ult, curl_off_t uln)
{
	(void)ctx, (void)dlt, (void)dln, (void)ult, (void)uln;
	idle_run();
	return 0;
}

static int set_options(struct bn_http *c)
{
	CURL *h = c->h;
	int bad = 0;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)BN_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)BN_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT,
	    (long)BN_DNS_CACHE_S) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT,
	    "quantum-intent-executor/" VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	return bad ? -1 : 0;
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
	c->h = curl_easy_init();
	if (!c->headers || !c->h || set_options(c) < 0) {
		snprintf(err, errlen, "libcurl: cannot set up the connection");
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
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);    /* holds the key: freed, not kept */
	free(c->buf);
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

/* Was any byte of the request written?  Unsure counts as yes. */
static int maybe_sent(CURL *h, CURLcode rc)
{
	long req = 0;
	if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return 0;
	if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req) == CURLE_OK && req == 0 &&
	    rc == CURLE_OPERATION_TIMEDOUT) {
		curl_off_t pre = 0;
		/* timed out before the request was ready to go */
		if (curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK &&
		    pre == 0)
			return 0;
	}
	return 1;
}

void bn_http_request(struct bn_http *c, int post, const char *path,
    const char *query, int fresh, struct bn_reply *r)
{
	char url[2048];
	memset(r, 0, sizeof(*r));
	r->retry_after = r->used_weight_1m = r->orders_10s = r->orders_1m = -1;
	int k = snprintf(url, sizeof(url), "%s%s%s%s", c->base, path,
	    query[0] ? "?" : "", query);
	if (k < 0 || (size_t)k >= sizeof(url)) {
		r->outcome = BN_NOT_SENT;
		snprintf(r->why, sizeof(r->why), "request too long");
		return;
	}
	c->len = 0;
	c->too_big = 0;
	if (c->buf)
		c->buf[0] = '\0';
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
	if (post) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = curl_easy_perform(c->h);
	OPENSSL_cleanse(url, sizeof(url));
	if (rc != CURLE_OK) {
		r->outcome = maybe_sent(c->h, rc) ? BN_UNKNOWN : BN_NOT_SENT;
		snprintf(r->why, sizeof(r->why), "%s", c->too_big ?
		    "reply too large" : curl_easy_strerror(rc));
		return;
	}
	r->outcome = BN_REPLY;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = c->buf ? c->buf : "";
	r->len = c->len;
	r->retry_after = header_num(c->h, "Retry-After", 86400L * 7);
	r->used_weight_1m = header_num(c->h, "X-MBX-USED-WEIGHT-1M", 100000000);
	r->orders_10s = header_num(c->h, "X-MBX-ORDER-COUNT-10S", 100000000);
	r->orders_1m = header_num(c->h, "X-MBX-ORDER-COUNT-1M", 100000000);
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
