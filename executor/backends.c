/*
 * backends.c - the table of backends (backends.h), in the order of
 * common/config.c's backend_names.
 */
#include "backends.h"

#include <stddef.h>
#include <stdio.h>

#include "binance_http.h"

static int paper_init(struct backend *b, const struct settings *s,
    const struct credentials *c, char *err, size_t errlen)
{
	(void)c;
	return paper_backend_init(b, s->paper_filters, err, errlen);
}

/* What TLS (CA certificates, OpenSSL's configuration) and name resolution
 * read. */
static const char *const tls_dns_paths[] = {
	"/etc/ssl", "/usr/lib/ssl", "/usr/share/ca-certificates",
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf",
	"/etc/host.conf", "/run/systemd/resolve", NULL,
};

static int binance_port(const struct settings *s, char *err, size_t errlen)
{
	int port = bn_url_port(s->binance_base_url);
	if (port <= 0)
		snprintf(err, errlen, "INTENT_EXECUTOR_BINANCE_BASE_URL: no port can "
		    "be derived");
	return port > 0 ? port : -1;
}

static const struct backend_desc table[] = {
	{ "paper", 0, NULL, 0, NULL, paper_init },
	/* 4 threads: libcurl's resolver */
	{ "binance", 1, tls_dns_paths, 4, binance_port, binance_backend_init },
};

const struct backend_desc *backend_desc_at(int i)
{
	return i >= 0 && (size_t)i < sizeof(table) / sizeof(table[0]) ?
	    &table[i] : NULL;
}

const struct backend_desc *backend_desc(const struct settings *s)
{
	return backend_desc_at(s->backend);
}
