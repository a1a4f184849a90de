/*
 * frame.c - build, split and read typed frames (see frame.h).
 * Pure buffer code plus read(2)/write(2) on descriptors it is given.
 */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void m_init(struct mbuf *m, uint16_t type)
{
	m->len = FRAME_HDR;
	m->err = 0;
	m->data[4] = (uint8_t)(type >> 8);
	m->data[5] = (uint8_t)type;
}

static void m_put(struct mbuf *m, const void *p, size_t n)
{
	if (m->err || n > FRAME_MAX - m->len) {
		m->err = 1;
		return;
	}
	memcpy(m->data + m->len, p, n);
	m->len += n;
}

void m_add_u8(struct mbuf *m, uint8_t v)
{
	m_put(m, &v, 1);
}

void m_add_u32(struct mbuf *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };
	m_put(m, b, 4);
}

void m_add_i64(struct mbuf *m, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(u >> (56 - 8 * i));
	m_put(m, b, 8);
}

void m_add_str(struct mbuf *m, const char *s)
{
	size_t n = strlen(s);
	if (n > 0xffff) {
		m->err = 1;
		return;
	}
	uint8_t b[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	m_put(m, b, 2);
	m_put(m, s, n);
}

int m_close(struct mbuf *m)
{
	if (m->err)
		return -1;
	uint32_t n = (uint32_t)(m->len - FRAME_HDR);
	m->data[0] = (uint8_t)(n >> 24);
	m->data[1] = (uint8_t)(n >> 16);
	m->data[2] = (uint8_t)(n >> 8);
	m->data[3] = (uint8_t)n;
	return 0;
}

void m_reader(struct mreader *r, const uint8_t *payload, size_t len)
{
	r->p = payload;
	r->left = len;
	r->err = NULL;
}

static const uint8_t *m_take(struct mreader *r, size_t n)
{
	if (r->err)
		return NULL;
	if (n > r->left) {
		r->err = "short message";
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t m_get_u8(struct mreader *r)
{
	const uint8_t *p = m_take(r, 1);
	return p ? p[0] : 0;
}

uint32_t m_get_u32(struct mreader *r)
{
	const uint8_t *p = m_take(r, 4);
	if (!p)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int64_t m_get_i64(struct mreader *r)
{
	const uint8_t *p = m_take(r, 8);
	uint64_t u = 0;
	if (!p)
		return 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

void m_get_str(struct mreader *r, char *buf, size_t cap)
{
	const uint8_t *h = m_take(r, 2);
	buf[0] = '\0';
	if (!h)
		return;
	size_t n = (size_t)h[0] << 8 | h[1];
	if (n >= cap) {
		r->err = "string too long";
		return;
	}
	const uint8_t *p = m_take(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->err = "NUL byte in string";
		return;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
}

int m_end(struct mreader *r)
{
	if (!r->err && r->left != 0)
		r->err = "trailing bytes";
	return r->err ? -1 : 0;
}

long frame_in_read(int fd, struct frame_in *in)
{
	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	ssize_t n;
	do
		n = read(fd, in->buf + in->len, sizeof(in->buf) - in->len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		in->len += (size_t)n;
	return (long)n;
}

int frame_next(struct frame_in *in, uint16_t *type, struct mreader *r,
    const char **why)
{
	const uint8_t *h = in->buf + in->off;
	size_t avail = in->len - in->off;

	if (avail < FRAME_HDR)
		return 0;
	uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
	if (n > FRAME_MAX_PAYLOAD) {
		*why = "frame longer than the cap";
		return -1;
	}
	if (avail < FRAME_HDR + n)
		return 0;
	*type = (uint16_t)(h[4] << 8 | h[5]);
	m_reader(r, h + FRAME_HDR, n);
	in->off += FRAME_HDR + n;
	return 1;
}

int frame_out_push(struct frame_out *out, const struct mbuf *m)
{
	if (m->err || m->len > sizeof(out->buf) - out->len)
		return -1;
	memcpy(out->buf + out->len, m->data, m->len);
	out->len += m->len;
	return 0;
}

int frame_out_flush(int fd, struct frame_out *out)
{
	log_flush();     /* a request leaves after the lines that announce it */
	while (out->len > 0) {
		ssize_t n = write(fd, out->buf, out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		memmove(out->buf, out->buf + n, out->len - (size_t)n);
		out->len -= (size_t)n;
	}
	return 0;
}

int dispatch_frame(const struct dispatch *table, void *ctx, uint16_t type,
    struct mreader *r, const char **why)
{
	for (; table->fn; table++) {
		if (table->type != type)
			continue;
		if (table->fn(ctx, r) < 0) {
			*why = r->err ? r->err : "rejected by its handler";
			return -1;
		}
		return 0;
	}
	*why = "unknown message type";
	return -1;
}

static const char *type_name(const struct dispatch *table, uint16_t type)
{
	for (; table->fn; table++)
		if (table->type == type)
			return table->name;
	return NULL;
}

/* One frame through the table; -1 with err naming its type and why. */
static int take(const struct dispatch *table, void *ctx, uint16_t type,
    struct mreader *r, char *err, size_t errlen)
{
	const char *why = NULL;
	if (dispatch_frame(table, ctx, type, r, &why) == 0)
		return 0;
	const char *name = type_name(table, type);
	if (name)
		snprintf(err, errlen, "%s: %s", name, why);
	else
		snprintf(err, errlen, "type %u: %s", type, why);
	return -1;
}

int frame_drain(struct frame_in *in, const struct dispatch *table, void *ctx,
    char *err, size_t errlen)
{
	for (;;) {
		uint16_t type = 0;
		struct mreader r;
		const char *why = NULL;
		int k = frame_next(in, &type, &r, &why);
		if (k == 0)
			return 0;
		if (k < 0) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (take(table, ctx, type, &r, err, errlen) < 0)
			return -1;
	}
}

int frame_one(const uint8_t *buf, size_t len, const struct dispatch *table,
    void *ctx, char *err, size_t errlen)
{
	struct frame_in in = { .len = 0 };
	uint16_t type = 0;
	struct mreader r;
	const char *why = "a partial frame";

	if (len > sizeof(in.buf)) {
		snprintf(err, errlen, "a message longer than a frame");
		return -1;
	}
	memcpy(in.buf, buf, len);
	in.len = len;
	if (frame_next(&in, &type, &r, &why) != 1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (in.off != in.len) {
		snprintf(err, errlen, "bytes after the frame");
		return -1;
	}
	return take(table, ctx, type, &r, err, errlen);
}
