/*
 * binance_sign.c - request parameter strings and their signature (see
 * binance_sign.h).  Escaping by libcurl, HMAC by OpenSSL.
 *
 * May not: log anything (the secret and the signature pass through here).
 */
#include "binance_sign.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

void bn_query_init(struct bn_query *q)
{
	q->s[0] = '\0';
	q->len = 0;
	q->overflow = 0;
}

static int append_escaped(struct bn_query *q, const char *v)
{
	char *e = curl_easy_escape(NULL, v, (int)strlen(v));
	if (!e)
		return -1;
	size_t n = strlen(e);
	int rc = -1;
	if (q->len + n < sizeof(q->s)) {
		memcpy(q->s + q->len, e, n + 1);
		q->len += n;
		rc = 0;
	}
	curl_free(e);
	return rc;
}

int bn_query_add(struct bn_query *q, const char *key, const char *val)
{
	size_t mark = q->len;
	if (q->overflow || key[0] == '\0')
		goto bad;
	if (q->len > 0) {
		if (q->len + 1 >= sizeof(q->s))
			goto bad;
		q->s[q->len++] = '&';
	}
	if (append_escaped(q, key) < 0 || q->len + 1 >= sizeof(q->s))
		goto bad;
	q->s[q->len++] = '=';
	q->s[q->len] = '\0';
	if (append_escaped(q, val) < 0)
		goto bad;
	return 0;
bad:
	q->overflow = 1;
	q->len = mark;
	q->s[mark] = '\0';
	return -1;
}

int bn_query_add_int(struct bn_query *q, const char *key, long long v)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", v);
	return bn_query_add(q, key, b);
}

int bn_hmac_hex(const char *secret, size_t secret_len, const char *msg,
    size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (secret_len == 0 || secret_len > 1024 ||
	    !HMAC(EVP_sha256(), secret, (int)secret_len,
		(const unsigned char *)msg, len, md, &mdlen) || mdlen != 32)
		return -1;
	for (size_t i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int bn_query_sign(struct bn_query *q, const char *secret, size_t secret_len)
{
	char sig[65];
	if (q->overflow || q->len == 0 ||
	    bn_hmac_hex(secret, secret_len, q->s, q->len, sig) < 0)
		return -1;
	int rc = bn_query_add(q, "signature", sig);
	OPENSSL_cleanse(sig, sizeof(sig));
	return rc;
}
