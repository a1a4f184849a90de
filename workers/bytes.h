/*
 * bytes.h - a byte string that points into memory someone else owns (a
 * Redis reply): a stream entry's field or value.  Header only.
 */
#ifndef QIE_BYTES_H
#define QIE_BYTES_H

#include <stddef.h>

struct bytes {
	const char *p;
	size_t n;               /* p == NULL: absent */
};

#endif
