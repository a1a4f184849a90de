/*
 * fake_gzip.c - gzip-compressed replies (zlib), as the exchange's CDN sends
 * them when a request's Accept-Encoding allows gzip: only bodies of
 * GZIP_MIN bytes or more are compressed, smaller ones go as they are.
 * fake_reply() (fake_main.c) asks; the count is shown by GET /_fake/account.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "fake.h"

#define GZIP_MIN 1000

static atomic_long gzipped;

int fake_gzip_wanted(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Accept-Encoding");
	return v && strcasestr(v, "gzip") && !strcasestr(v, "gzip;q=0");
}

int fake_gzip(char **text, size_t *len)
{
	z_stream z = { 0 };
	if (*len < GZIP_MIN || *len > (1u << 30))
		return 0;
	/* 15 window bits + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	uLong cap = deflateBound(&z, (uLong)*len);
	unsigned char *out = malloc(cap);
	int done = 0;
	if (out) {
		z.next_in = (unsigned char *)*text;
		z.avail_in = (uInt)*len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		done = deflate(&z, Z_FINISH) == Z_STREAM_END;
	}
	if (done) {
		free(*text);
		*text = (char *)out;
		*len = z.total_out;
		atomic_fetch_add(&gzipped, 1);
	} else {
		free(out);
	}
	deflateEnd(&z);
	return done;
}

long fake_gzip_count(void)
{
	return atomic_load(&gzipped);
}
