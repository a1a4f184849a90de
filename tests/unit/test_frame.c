/*
 * test_frame.c - common/frame.c: building, splitting and reading frames,
 * dispatch by type, and the outgoing queue.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

/* Copies raw bytes into a frame_in as if read(2) had delivered them. */
static void feed(struct frame_in *in, const void *p, size_t n)
{
	cr_assert_leq(in->len + n, sizeof(in->buf));
	memcpy(in->buf + in->len, p, n);
	in->len += n;
}

static void hdr(uint8_t *h, uint32_t len, uint16_t type)
{
	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = (uint8_t)(type >> 8);
	h[5] = (uint8_t)type;
}

Test(frame, build_writes_big_endian_header_and_fields)
{
	struct mbuf m;
	m_init(&m, 0x0102);
	m_add_u8(&m, 0xab);
	m_add_u32(&m, 0x11223344u);
	m_add_i64(&m, -2);
	m_add_str(&m, "hi");
	cr_assert_eq(m_close(&m), 0);
	static const uint8_t want[] = {
		0, 0, 0, 17, 0x01, 0x02,
		0xab,
		0x11, 0x22, 0x33, 0x44,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0, 2, 'h', 'i',
	};
	cr_assert_eq(m.len, sizeof(want));
	cr_assert_arr_eq(m.data, want, sizeof(want));
}

Test(frame, round_trip_through_frame_in)
{
	struct mbuf m;
	m_init(&m, MSG_EXEC_RES);
	m_add_u8(&m, 7);
	m_add_u32(&m, 0xffffffffu);
	m_add_i64(&m, INT64_MIN);
	m_add_i64(&m, INT64_MAX);
	m_add_str(&m, "");
	m_add_str(&m, "ETHUSDT");
	cr_assert_eq(m_close(&m), 0);

	struct frame_in in = { 0 };
	feed(&in, m.data, m.len);
	uint16_t type = 0;
	struct mreader r;
	const char *why = NULL;
	cr_assert_eq(frame_next(&in, &type, &r, &why), 1);
	cr_assert_eq(type, MSG_EXEC_RES);
	cr_assert_eq(m_get_u8(&r), 7);
	cr_assert_eq(m_get_u32(&r), 0xffffffffu);
	cr_assert_eq(m_get_i64(&r), INT64_MIN);
	cr_assert_eq(m_get_i64(&r), INT64_MAX);
	char s[16];
	m_get_str(&r, s, sizeof(s));
	cr_assert_str_eq(s, "");
	m_get_str(&r, s, sizeof(s));
	cr_assert_str_eq(s, "ETHUSDT");
	cr_assert_eq(m_end(&r), 0);
	cr_assert_null(r.err);
	/* nothing more buffered */
	cr_assert_eq(frame_next(&in, &type, &r, &why), 0);
}

Test(frame, two_frames_in_one_buffer_come_out_in_order)
{
	struct mbuf a, b;
	m_init(&a, 1);
	m_add_u32(&a, 111);
	cr_assert_eq(m_close(&a), 0);
	m_init(&b, 2);
	m_add_u32(&b, 222);
	cr_assert_eq(m_close(&b), 0);
	struct frame_in in = { 0 };
	feed(&in, a.data, a.len);
	feed(&in, b.data, b.len);

	uint16_t type;
	struct mreader r;
	const char *why = NULL;
	cr_assert_eq(frame_next(&in, &type, &r, &why), 1);
	cr_assert_eq(type, 1);
	cr_assert_eq(m_get_u32(&r), 111);
	cr_assert_eq(m_end(&r), 0);
	cr_assert_eq(frame_next(&in, &type, &r, &why), 1);
	cr_assert_eq(type, 2);
	cr_assert_eq(m_get_u32(&r), 222);
	cr_assert_eq(m_end(&r), 0);
	cr_assert_eq(frame_next(&in, &type, &r, &why), 0);
}

Test(frame, short_input_waits_for_more_bytes)
{
	struct mbuf m;
	m_init(&m, 1);
	m_add_str(&m, "abcdef");
	cr_assert_eq(m_close(&m), 0);

	/* every proper prefix is "need more", then the whole frame arrives */
	for (size_t cut = 0; cut < m.len; cut++) {
		struct frame_in in = { 0 };
		uint16_t type = 0;
		struct mreader r;
		const char *why = NULL;
		feed(&in, m.data, cut);
		cr_assert_eq(frame_next(&in, &type, &r, &why), 0,
		    "prefix of %zu bytes taken as a frame", cut);
		cr_assert_eq(in.off, 0);
		feed(&in, m.data + cut, m.len - cut);
		cr_assert_eq(frame_next(&in, &type, &r, &why), 1);
		char s[16];
		m_get_str(&r, s, sizeof(s));
		cr_assert_str_eq(s, "abcdef");
		cr_assert_eq(m_end(&r), 0);
	}
}

Test(frame, oversized_header_makes_the_stream_unusable)
{
	static const uint32_t lens[] = { FRAME_MAX_PAYLOAD + 1, 0x10000,
		0xffffffffu };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct frame_in in = { 0 };
		uint8_t h[FRAME_HDR];
		uint16_t type;
		struct mreader r;
		const char *why = NULL;
		hdr(h, lens[i], 1);
		feed(&in, h, sizeof(h));
		cr_assert_eq(frame_next(&in, &type, &r, &why), -1,
		    "length %u accepted", lens[i]);
		cr_assert_not_null(why);
		cr_assert_str_eq(why, "frame longer than the cap");
	}
}

Test(frame, payload_of_exactly_the_cap_is_accepted)
{
	struct frame_in in = { 0 };
	uint8_t h[FRAME_HDR], body[FRAME_MAX_PAYLOAD];
	uint16_t type;
	struct mreader r;
	const char *why = NULL;
	memset(body, 0x5a, sizeof(body));
	hdr(h, FRAME_MAX_PAYLOAD, 9);
	feed(&in, h, sizeof(h));
	feed(&in, body, sizeof(body));
	cr_assert_eq(frame_next(&in, &type, &r, &why), 1);
	cr_assert_eq(type, 9);
	cr_assert_eq(r.left, FRAME_MAX_PAYLOAD);
}

/* Random bytes as a stream: frames or a clean refusal, never a crash. */
Test(frame, garbage_stream_is_split_or_refused)
{
	uint32_t x = 0x9e3779b9u;
	int refused = 0, frames = 0;
	for (int round = 0; round < 2000; round++) {
		static struct frame_in in;
		memset(&in, 0, sizeof(in));
		size_t n = 1 + round % (sizeof(in.buf) - 1);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			in.buf[i] = (uint8_t)x;
		}
		/* small lengths now and then, so some headers are plausible */
		if (round % 3 == 0 && n >= 4)
			in.buf[0] = in.buf[1] = 0, in.buf[2] &= 3;
		in.len = n;
		uint16_t type;
		struct mreader r;
		const char *why = NULL;
		int rc;
		while ((rc = frame_next(&in, &type, &r, &why)) == 1) {
			frames++;
			cr_assert_leq(r.left, FRAME_MAX_PAYLOAD);
			cr_assert_leq(in.off, in.len);
			char s[64];
			m_get_str(&r, s, sizeof(s));
			(void)m_get_i64(&r);
			if (!r.err)
				cr_assert_lt(strlen(s), sizeof(s));
			(void)m_end(&r);
		}
		if (rc < 0) {
			refused++;
			cr_assert_str_eq(why, "frame longer than the cap");
		}
		cr_assert_leq(in.off, in.len);
	}
	cr_assert_gt(refused, 0);
	cr_assert_gt(frames, 0);
}

Test(frame, garbage_payload_is_a_short_message)
{
	/* a string length pointing far past the payload */
	static const uint8_t body[] = { 0xff, 0xff, 'x', 'y' };
	struct mreader r;
	char s[64];
	m_reader(&r, body, sizeof(body));
	m_get_str(&r, s, sizeof(s));
	cr_assert_not_null(r.err);
	cr_assert_eq(m_end(&r), -1);

	/* a field cut short */
	static const uint8_t three[] = { 1, 2, 3 };
	m_reader(&r, three, sizeof(three));
	cr_assert_eq(m_get_u32(&r), 0);
	cr_assert_str_eq(r.err, "short message");
	cr_assert_eq(m_end(&r), -1);

	m_reader(&r, three, sizeof(three));
	cr_assert_eq(m_get_i64(&r), 0);
	cr_assert_str_eq(r.err, "short message");

	m_reader(&r, three, 0);
	cr_assert_eq(m_get_u8(&r), 0);
	cr_assert_str_eq(r.err, "short message");

	/* string header cut in half */
	m_reader(&r, three, 1);
	m_get_str(&r, s, sizeof(s));
	cr_assert_str_eq(s, "");
	cr_assert_str_eq(r.err, "short message");
}

Test(frame, short_string_body_is_rejected)
{
	static const uint8_t body[] = { 0, 5, 'a', 'b' };
	struct mreader r;
	char s[64];
	m_reader(&r, body, sizeof(body));
	m_get_str(&r, s, sizeof(s));
	cr_assert_str_eq(r.err, "short message");
	cr_assert_str_eq(s, "");
	cr_assert_eq(m_end(&r), -1);
}

Test(frame, first_error_sticks_and_later_reads_return_zero)
{
	static const uint8_t body[] = { 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9 };
	struct mreader r;
	m_reader(&r, body, 3);
	cr_assert_eq(m_get_u32(&r), 0);
	const char *first = r.err;
	cr_assert_not_null(first);
	cr_assert_eq(m_get_u8(&r), 0);
	cr_assert_eq(m_get_i64(&r), 0);
	cr_assert_eq(r.err, first);
	cr_assert_eq(m_end(&r), -1);
}

Test(frame, trailing_bytes_are_rejected)
{
	static const uint8_t body[] = { 0, 0, 0, 42, 0 };
	struct mreader r;
	m_reader(&r, body, sizeof(body));
	cr_assert_eq(m_get_u32(&r), 42);
	cr_assert_eq(m_end(&r), -1);
	cr_assert_str_eq(r.err, "trailing bytes");

	m_reader(&r, body, sizeof(body) - 1);
	cr_assert_eq(m_get_u32(&r), 42);
	cr_assert_eq(m_end(&r), 0);
}

Test(frame, nul_inside_a_string_is_rejected)
{
	static const uint8_t body[] = { 0, 3, 'a', 0, 'b' };
	struct mreader r;
	char s[16];
	m_reader(&r, body, sizeof(body));
	m_get_str(&r, s, sizeof(s));
	cr_assert_not_null(r.err);
	cr_assert_str_eq(r.err, "NUL byte in string");
	cr_assert_eq(m_end(&r), -1);

	static const uint8_t tail[] = { 0, 2, 'a', 0 };
	m_reader(&r, tail, sizeof(tail));
	m_get_str(&r, s, sizeof(s));
	cr_assert_str_eq(r.err, "NUL byte in string");
}

Test(frame, string_must_fit_the_callers_buffer)
{
	static const uint8_t body[] = { 0, 4, 'a', 'b', 'c', 'd' };
	struct mreader r;
	char s[8];

	m_reader(&r, body, sizeof(body));
	m_get_str(&r, s, 4);                    /* room for 3 + NUL */
	cr_assert_str_eq(r.err, "string too long");
	cr_assert_eq(m_end(&r), -1);

	m_reader(&r, body, sizeof(body));
	m_get_str(&r, s, 5);                    /* exactly fits */
	cr_assert_null(r.err);
	cr_assert_str_eq(s, "abcd");
	cr_assert_eq(m_end(&r), 0);
}

Test(frame, building_past_the_cap_fails_at_close)
{
	struct mbuf m;
	m_init(&m, 1);
	for (int i = 0; i < FRAME_MAX_PAYLOAD / 8; i++)
		m_add_i64(&m, i);
	cr_assert_eq(m.err, 0);
	cr_assert_eq(m.len, FRAME_MAX);
	cr_assert_eq(m_close(&m), 0, "a payload of exactly the cap is fine");
	m_add_u8(&m, 1);
	cr_assert_eq(m.err, 1);
	cr_assert_eq(m.len, FRAME_MAX);
	cr_assert_eq(m_close(&m), -1);

	char big[FRAME_MAX_PAYLOAD];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';            /* 1023 bytes + 2-byte length */
	m_init(&m, 1);
	m_add_str(&m, big);
	cr_assert_eq(m_close(&m), -1);

	big[FRAME_MAX_PAYLOAD - 2] = '\0';      /* 1022 + 2 = the cap */
	m_init(&m, 1);
	m_add_str(&m, big);
	cr_assert_eq(m_close(&m), 0);
	cr_assert_eq(m.len, FRAME_MAX);
}

Test(frame, string_longer_than_u16_is_refused)
{
	static char huge[70000];
	memset(huge, 'x', sizeof(huge) - 1);
	struct mbuf m;
	m_init(&m, 1);
	m_add_str(&m, huge);
	cr_assert_eq(m.err, 1);
	cr_assert_eq(m_close(&m), -1);
}

static int seen_type;
static void *seen_ctx;

static int on_one(void *ctx, struct mreader *r)
{
	seen_type = 1;
	seen_ctx = ctx;
	(void)m_get_u8(r);
	return m_end(r);
}

static int on_two(void *ctx, struct mreader *r)
{
	(void)ctx;
	(void)r;
	seen_type = 2;
	return -1;              /* refuses without a reader error */
}

static const struct dispatch table[] = {
	{ 1, "one", on_one },
	{ 2, "two", on_two },
	{ 0, NULL, NULL },
};

Test(frame, dispatch_runs_the_handler_of_the_type)
{
	static const uint8_t body[] = { 5 };
	struct mreader r;
	const char *why = NULL;
	int ctx;
	seen_type = 0;
	m_reader(&r, body, sizeof(body));
	cr_assert_eq(dispatch_frame(table, &ctx, 1, &r, &why), 0);
	cr_assert_eq(seen_type, 1);
	cr_assert_eq(seen_ctx, &ctx);
	cr_assert_null(why);
}

Test(frame, dispatch_rejects_an_unknown_type)
{
	static const uint8_t body[] = { 5 };
	static const uint16_t unknown[] = { 0, 3, 0x0101, 0xffff };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct mreader r;
		const char *why = NULL;
		seen_type = 0;
		m_reader(&r, body, sizeof(body));
		cr_assert_eq(dispatch_frame(table, NULL, unknown[i], &r, &why), -1,
		    "type %u dispatched", unknown[i]);
		cr_assert_str_eq(why, "unknown message type");
		cr_assert_eq(seen_type, 0, "a handler ran for type %u", unknown[i]);
	}
}

Test(frame, dispatch_reports_the_handlers_reason)
{
	static const uint8_t body[] = { 5, 6 };   /* one byte too many for "one" */
	struct mreader r;
	const char *why = NULL;
	m_reader(&r, body, sizeof(body));
	cr_assert_eq(dispatch_frame(table, NULL, 1, &r, &why), -1);
	cr_assert_str_eq(why, "trailing bytes");

	m_reader(&r, body, sizeof(body));
	why = NULL;
	cr_assert_eq(dispatch_frame(table, NULL, 2, &r, &why), -1);
	cr_assert_eq(seen_type, 2);
	cr_assert_str_eq(why, "rejected by its handler");
}

Test(frame, dispatch_on_an_empty_table_rejects)
{
	static const struct dispatch none[] = { { 0, NULL, NULL } };
	struct mreader r;
	const char *why = NULL;
	m_reader(&r, NULL, 0);
	cr_assert_eq(dispatch_frame(none, NULL, 1, &r, &why), -1);
	cr_assert_str_eq(why, "unknown message type");
}

Test(frame, frame_out_queue_full)
{
	static struct frame_out out;
	struct mbuf m;
	m_init(&m, 1);
	for (int i = 0; i < 100; i++)
		m_add_u8(&m, (uint8_t)i);
	cr_assert_eq(m_close(&m), 0);
	size_t fit = sizeof(out.buf) / m.len;

	out.len = 0;
	for (size_t i = 0; i < fit; i++)
		cr_assert_eq(frame_out_push(&out, &m), 0, "push %zu refused", i);
	cr_assert_eq(out.len, fit * m.len);
	cr_assert_eq(frame_out_push(&out, &m), -1, "pushed past the queue");
	cr_assert_eq(out.len, fit * m.len, "a refused push changed the queue");
	/* a smaller frame that still fits is taken */
	struct mbuf small;
	m_init(&small, 1);
	cr_assert_eq(m_close(&small), 0);
	cr_assert_geq(sizeof(out.buf) - out.len, small.len);
	cr_assert_eq(frame_out_push(&out, &small), 0);
	cr_assert_eq(out.len, fit * m.len + small.len);
	/* the queued bytes are the frames, back to back */
	cr_assert_arr_eq(out.buf, m.data, m.len);
	cr_assert_arr_eq(out.buf + (fit - 1) * m.len, m.data, m.len);
}

static struct mbuf frame_of(size_t payload)
{
	struct mbuf m;
	m_init(&m, 1);
	for (size_t i = 0; i < payload; i++)
		m_add_u8(&m, (uint8_t)i);
	cr_assert_eq(m_close(&m), 0);
	cr_assert_eq(m.len, FRAME_HDR + payload);
	return m;
}

Test(frame, frame_out_fills_to_the_last_byte_and_no_further)
{
	static struct frame_out out;
	size_t cap = sizeof(out.buf);
	struct mbuf full = frame_of(FRAME_MAX_PAYLOAD);
	cr_assert_eq(cap % full.len, 0, "test assumes whole frames fill it");

	/* whole frames fill the queue exactly */
	out.len = 0;
	for (size_t i = 0; i < cap / full.len; i++)
		cr_assert_eq(frame_out_push(&out, &full), 0, "push %zu refused", i);
	cr_assert_eq(out.len, cap);
	struct mbuf empty = frame_of(0);
	cr_assert_eq(frame_out_push(&out, &empty), -1);
	cr_assert_eq(out.len, cap);

	/* five bytes left: a six-byte frame does not fit, five would */
	out.len = 0;
	for (size_t i = 0; i + 1 < cap / full.len; i++)
		cr_assert_eq(frame_out_push(&out, &full), 0);
	struct mbuf most = frame_of(FRAME_MAX_PAYLOAD - 5);
	cr_assert_eq(frame_out_push(&out, &most), 0);
	cr_assert_eq(cap - out.len, 5);
	cr_assert_eq(frame_out_push(&out, &empty), -1, "pushed past the end");
	cr_assert_eq(cap - out.len, 5);
}

Test(frame, frame_out_refuses_a_broken_frame)
{
	static struct frame_out out;
	struct mbuf m;
	m_init(&m, 1);
	m.err = 1;
	out.len = 0;
	cr_assert_eq(frame_out_push(&out, &m), -1);
	cr_assert_eq(out.len, 0);
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	cr_assert_neq(fl, -1);
	cr_assert_neq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), -1);
}

Test(frame, flush_and_read_across_a_socket)
{
	static struct frame_out out;
	static struct frame_in in;
	int sp[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	set_nonblock(sp[0]);
	set_nonblock(sp[1]);

	/* queue more than the socket takes at once */
	int nframes = 0;
	for (uint32_t i = 0;; i++) {
		struct mbuf m;
		m_init(&m, 1);
		m_add_u32(&m, i);
		for (int k = 0; k < 100; k++)
			m_add_i64(&m, (int64_t)i * 1000 + k);
		cr_assert_eq(m_close(&m), 0);
		if (frame_out_push(&out, &m) < 0)
			break;
		nframes++;
	}
	cr_assert_gt(nframes, 50);

	uint32_t next = 0;
	int rounds = 0;
	while ((int)next < nframes) {
		cr_assert_lt(++rounds, 100000, "no progress");
		size_t before = out.len;
		cr_assert_eq(frame_out_flush(sp[0], &out), 0);
		cr_assert_leq(out.len, before);
		long n = frame_in_read(sp[1], &in);
		if (n < 0) {
			cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
			continue;
		}
		cr_assert_gt(n, 0);
		uint16_t type;
		struct mreader r;
		const char *why = NULL;
		int rc;
		while ((rc = frame_next(&in, &type, &r, &why)) == 1) {
			cr_assert_eq(type, 1);
			cr_assert_eq(m_get_u32(&r), next);
			for (int k = 0; k < 100; k++)
				cr_assert_eq(m_get_i64(&r), (int64_t)next * 1000 + k);
			cr_assert_eq(m_end(&r), 0);
			next++;
		}
		cr_assert_eq(rc, 0);
	}
	cr_assert_eq(out.len, 0);
	cr_assert_eq((int)next, nframes);
	close(sp[0]);
	cr_assert_eq(frame_in_read(sp[1], &in), 0, "EOF is 0");
	close(sp[1]);
}

Test(frame, flush_reports_a_write_error)
{
	static struct frame_out out;
	struct mbuf m;
	int sp[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	close(sp[1]);
	m_init(&m, 1);
	cr_assert_eq(m_close(&m), 0);
	cr_assert_eq(frame_out_push(&out, &m), 0);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(frame_out_flush(sp[0], &out), -1);
	close(sp[0]);
}

/* frame_drain / frame_one: the one way every receiver takes frames. */
static int ones;

static int count_one(void *ctx, struct mreader *r)
{
	(void)ctx;
	(void)m_get_u8(r);
	if (m_end(r) < 0)
		return -1;
	ones++;
	return 0;
}

static const struct dispatch counting[] = {
	{ 1, "ONE", count_one },
	{ 0, NULL, NULL },
};

static void push_one(struct frame_in *in, uint16_t type, int extra)
{
	struct mbuf m;
	m_init(&m, type);
	m_add_u8(&m, 7);
	if (extra)
		m_add_u8(&m, 8);
	cr_assert_eq(m_close(&m), 0);
	memcpy(in->buf + in->len, m.data, m.len);
	in->len += m.len;
}

Test(frame, drain_takes_every_whole_frame_and_keeps_a_partial_one)
{
	struct frame_in in = { .len = 0 };
	char err[100] = "";
	push_one(&in, 1, 0);
	push_one(&in, 1, 0);
	in.buf[in.len++] = 0;           /* the first byte of a third header */
	ones = 0;
	cr_assert_eq(frame_drain(&in, counting, NULL, err, sizeof(err)), 0);
	cr_assert_eq(ones, 2);
	cr_assert_eq(in.len - in.off, 1, "the partial frame waits");
}

Test(frame, drain_stops_at_a_bad_frame_and_names_it)
{
	struct frame_in in = { .len = 0 };
	char err[100] = "";
	push_one(&in, 1, 0);
	push_one(&in, 1, 1);            /* a trailing byte */
	push_one(&in, 1, 0);
	ones = 0;
	cr_assert_eq(frame_drain(&in, counting, NULL, err, sizeof(err)), -1);
	cr_assert_eq(ones, 1, "nothing after the bad frame ran");
	cr_assert_str_eq(err, "ONE: trailing bytes");

	struct frame_in in2 = { .len = 0 };
	push_one(&in2, 9, 0);
	cr_assert_eq(frame_drain(&in2, counting, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "type 9: unknown message type");

	static struct frame_in big = { .len = 0 };
	memcpy(big.buf, "\xff\xff\xff\xff\x00\x01", 6);
	big.len = 6;
	cr_assert_eq(frame_drain(&big, counting, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "frame longer than the cap");
}

Test(frame, one_takes_exactly_one_frame)
{
	struct frame_in in = { .len = 0 };
	char err[100] = "";
	push_one(&in, 1, 0);
	ones = 0;
	cr_assert_eq(frame_one(in.buf, in.len, counting, NULL, err, sizeof(err)), 0);
	cr_assert_eq(ones, 1);
	cr_assert_eq(frame_one(in.buf, in.len - 1, counting, NULL, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "a partial frame");
	push_one(&in, 1, 0);
	cr_assert_eq(frame_one(in.buf, in.len, counting, NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "bytes after the frame");
	cr_assert_eq(ones, 1, "neither frame of a two-frame datagram ran");
	cr_assert_eq(frame_one(in.buf, sizeof(in.buf) + 1, counting, NULL, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "a message longer than a frame");
}
