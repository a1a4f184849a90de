/*
 * binance_sign.h - the parameter string of a Binance request and its
 * HMAC-SHA256 signature.  Every key and value is URL-escaped (libcurl), so
 * no value, whatever it holds ('&', '=', spaces, "quantity=..."), can add,
 * change or remove a parameter of the string that is signed.  Pure: no I/O.
 */
#ifndef QIE_BINANCE_SIGN_H
#define QIE_BINANCE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define BN_QUERY_MAX 1024

struct bn_query {
	char s[BN_QUERY_MAX];
	size_t len;
	int overflow;           /* something did not fit: do not send it */
};

void bn_query_init(struct bn_query *q);
/* Appends "key=value" (both escaped, '&' between pairs); -1 if it fails. */
int bn_query_add(struct bn_query *q, const char *key, const char *val);
int bn_query_add_int(struct bn_query *q, const char *key, long long v);

/* Hex HMAC-SHA256 of msg[0..len) under secret: 64 digits and a NUL. */
int bn_hmac_hex(const char *secret, size_t secret_len, const char *msg,
    size_t len, char out[65]);

/* Appends "&signature=<hex>" signing everything before it. */
int bn_query_sign(struct bn_query *q, const char *secret, size_t secret_len);

#endif
