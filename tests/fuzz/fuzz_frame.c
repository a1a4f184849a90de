/*
 * fuzz_frame.c - a byte stream through frame_in_read() and frame_next(),
 * as a receiver of the daemon's socketpairs sees it; every whole frame is
 * decoded as EXEC_REQ, as EXEC_RES and as DRIFT, and dispatched through a
 * table of every frame between the daemon's processes.
 *
 * Input: byte 0 sets the size of the chunks the stream arrives in (1 to
 * FRAME_MAX bytes per read, as a socket may deliver them); the rest is the
 * stream.  A decoded message must encode back to the very same payload.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "frame.h"
#include "msg.h"
#include "spend.h"

static int pipefd[2] = { -1, -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("pipe2");
		abort();
	}
	return 0;
}

static void check_req(struct mreader r)
{
	struct exec_req q;
	struct mbuf m;
	const uint8_t *payload = r.p;
	size_t len = r.left;

	if (msg_decode_req(&r, &q) < 0) {
		FUZZ_CHECK(r.err != NULL);
		return;
	}
	FUZZ_CHECK(r.err == NULL && r.left == 0);
	FUZZ_CHECK(q.side == SIDE_CLOSE ? q.close_fraction >= 1 &&
	    q.close_fraction <= CLOSE_WHOLE : q.close_fraction == 0);
	FUZZ_CHECK(fuzz_terminated(q.plan_id, sizeof(q.plan_id)));
	FUZZ_CHECK(fuzz_terminated(q.symbol, sizeof(q.symbol)));
	FUZZ_CHECK(msg_encode_req(&m, &q) == 0);
	FUZZ_CHECK(m.len == FRAME_HDR + len);
	FUZZ_CHECK(memcmp(m.data + FRAME_HDR, payload, len) == 0);
}

static void check_res(struct mreader r)
{
	struct exec_res s;
	struct mbuf m;
	const uint8_t *payload = r.p;
	size_t len = r.left;

	if (msg_decode_res(&r, &s) < 0) {
		FUZZ_CHECK(r.err != NULL);
		return;
	}
	FUZZ_CHECK(r.err == NULL && r.left == 0);
	FUZZ_CHECK(s.executed == 0 || s.executed == 1);
	FUZZ_CHECK(s.side == 0 || s.side == SIDE_BUY || s.side == SIDE_SELL);
	FUZZ_CHECK(fuzz_terminated(s.error, sizeof(s.error)));
	FUZZ_CHECK(fuzz_terminated(s.order_id, sizeof(s.order_id)));
	FUZZ_CHECK(fuzz_terminated(s.client_order_id, sizeof(s.client_order_id)));
	FUZZ_CHECK(fuzz_terminated(s.status, sizeof(s.status)));
	FUZZ_CHECK(msg_encode_res(&m, &s) == 0);
	FUZZ_CHECK(m.len == FRAME_HDR + len);
	FUZZ_CHECK(memcmp(m.data + FRAME_HDR, payload, len) == 0);
}

static void check_drift(struct mreader r)
{
	struct drift_report d;
	struct mbuf m;
	const uint8_t *payload = r.p;
	size_t len = r.left;

	if (msg_decode_drift(&r, &d) < 0) {
		FUZZ_CHECK(r.err != NULL);
		return;
	}
	FUZZ_CHECK(r.err == NULL && r.left == 0);
	FUZZ_CHECK(fuzz_terminated(d.symbol, sizeof(d.symbol)));
	FUZZ_CHECK(msg_symbol_ok(d.symbol));
	FUZZ_CHECK(d.pos_side <= 2 && d.recorded <= 1 && d.step >= 0 &&
	    d.at_ms >= 0);
	if (!d.recorded)
		FUZZ_CHECK(d.at_ms > 0 && d.step > 0 &&
		    (d.expected - d.reported >= d.step ||
		    d.reported - d.expected >= d.step));
	FUZZ_CHECK(msg_encode_drift(&m, &d) == 0);
	FUZZ_CHECK(m.len == FRAME_HDR + len);
	FUZZ_CHECK(memcmp(m.data + FRAME_HDR, payload, len) == 0);
}

/* DRIFT_HOLD and DRIFT_CLEAR: a symbol; encodes back to the same bytes. */
static int on_symbol(void *ctx, struct mreader *r)
{
	char sym[SYMBOL_MAX + 1];
	struct mbuf m;
	const uint8_t *payload = r->p;
	size_t len = r->left;
	(void)ctx;
	int k = msg_decode_symbol(r, sym, sizeof(sym));
	if (k == 0) {
		FUZZ_CHECK(msg_symbol_ok(sym));
		FUZZ_CHECK(msg_encode_symbol(&m, MSG_DRIFT_HOLD, sym) == 0);
		FUZZ_CHECK(m.len == FRAME_HDR + len);
		FUZZ_CHECK(memcmp(m.data + FRAME_HDR, payload, len) == 0);
	}
	return k;
}

static int on_drift(void *ctx, struct mreader *r)
{
	struct drift_report d;
	(void)ctx;
	return msg_decode_drift(r, &d);
}

static int on_req(void *ctx, struct mreader *r)
{
	struct exec_req q;
	(void)ctx;
	return msg_decode_req(r, &q);
}

static int on_res(void *ctx, struct mreader *r)
{
	struct exec_res s;
	(void)ctx;
	return msg_decode_res(r, &s);
}

/* The supervisor's messages: a seq, a role, the executor's state. */
static int on_u32(void *ctx, struct mreader *r)
{
	uint32_t v;
	(void)ctx;
	return msg_decode_u32(r, &v);
}

static int on_role(void *ctx, struct mreader *r)
{
	enum role role = ROLE_COUNT;
	(void)ctx;
	int k = msg_decode_role(r, &role);
	if (k == 0)
		FUZZ_CHECK(role < ROLE_COUNT);
	return k;
}

static int on_state(void *ctx, struct mreader *r)
{
	char text[STATE_TEXT_MAX];
	int ok = -1;
	(void)ctx;
	int k = msg_decode_state(r, &ok, text, sizeof(text));
	if (k == 0) {
		FUZZ_CHECK(ok == 0 || ok == 1);
		FUZZ_CHECK(fuzz_terminated(text, sizeof(text)));
		for (const char *p = text; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20);
	}
	return k;
}

static int on_spend(void *ctx, struct mreader *r)
{
	enum lane lane;
	int64_t at, orders, notional;
	(void)ctx;
	int k = msg_decode_spend(r, &lane, &at, &orders, &notional);
	if (k == 0)
		FUZZ_CHECK((unsigned)lane < LANE_COUNT && at >= 0 && orders >= 0 &&
		    notional >= 0);
	return k;
}

static int on_empty(void *ctx, struct mreader *r)
{
	(void)ctx;
	return m_end(r);
}

static const struct dispatch table[] = {
	{ MSG_EXEC_REQ, "EXEC_REQ", on_req },
	{ MSG_EXEC_RES, "EXEC_RES", on_res },
	{ MSG_PING, "PING", on_u32 },
	{ MSG_PONG, "PONG", on_u32 },
	{ MSG_READY, "READY", on_empty },
	{ MSG_STATE, "STATE", on_state },
	{ MSG_VIOLATION, "VIOLATION", on_role },
	{ MSG_HUNG, "HUNG", on_role },
	{ MSG_SPEND, "SPEND", on_spend },
	{ MSG_DRIFT, "DRIFT", on_drift },
	{ MSG_DRIFT_HOLD, "DRIFT_HOLD", on_symbol },
	{ MSG_DRIFT_CLEAR, "DRIFT_CLEAR", on_symbol },
	{ MSG_DRIFT_SYNCED, "DRIFT_SYNCED", on_empty },
	{ 0, NULL, NULL },
};

/* Takes every whole frame now in the buffer; -1 once the stream is bad. */
static int drain(struct frame_in *in)
{
	uint16_t type;
	struct mreader r;
	const char *why = NULL;
	int k;

	while ((k = frame_next(in, &type, &r, &why)) == 1) {
		FUZZ_CHECK(r.left <= FRAME_MAX_PAYLOAD);
		FUZZ_CHECK(r.p >= in->buf && r.p + r.left <= in->buf + in->len);
		FUZZ_CHECK(in->off <= in->len);
		check_req(r);
		check_res(r);
		check_drift(r);
		why = NULL;
		int d = dispatch_frame(table, NULL, type, &r, &why);
		if (type == 0 || type > MSG_DRIFT_SYNCED || type == MSG_ATTACH ||
		    type == MSG_AUTH)
			FUZZ_CHECK(d == -1);
		if (d < 0)
			FUZZ_CHECK(why != NULL);
	}
	if (k < 0)
		FUZZ_CHECK(why != NULL);
	else
		FUZZ_CHECK(in->len - in->off < FRAME_MAX);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frame_in in;

	if (size == 0)
		return 0;
	size_t chunk = data[0] ? (size_t)data[0] * 8 : FRAME_MAX;
	if (chunk > FRAME_MAX)
		chunk = FRAME_MAX;
	data++, size--;
	memset(&in, 0, sizeof(in));
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		ssize_t w = write(pipefd[1], data, n);
		FUZZ_CHECK(w == (ssize_t)n);
		/* less than FRAME_MAX is left over, so a chunk always fits */
		long got = frame_in_read(pipefd[0], &in);
		FUZZ_CHECK(got == (long)n);
		data += n, size -= n;
		if (drain(&in) < 0)
			break;
	}
	return 0;
}
