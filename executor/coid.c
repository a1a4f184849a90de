/*
 * coid.c - client order id derivation (SHA-256 from OpenSSL).
 */
#include "coid.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static int coid_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == ':' || c == '/' ||
	    c == '_' || c == '-';
}

void client_order_id(const char *plan_id, char out[CLIENT_ORDER_ID_MAX + 1])
{
	size_t n = strlen(plan_id);
	int plain = n > 0 && n <= 32;

	for (size_t i = 0; plain && i < n; i++)
		plain = coid_char(plan_id[i]);
	if (plain) {
		snprintf(out, CLIENT_ORDER_ID_MAX + 1, "qie-%s", plan_id);
		return;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(plan_id, n, md, &mdlen, EVP_sha256(), NULL);
	char hex[33];
	for (size_t i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, CLIENT_ORDER_ID_MAX + 1, "qih-%s", hex);
}
