/*
 * hostile-worker.c - a test tool standing in for a compromised lane
 * worker.  It starts the executor as the supervisor does (control socket
 * on fd 3, one link per lane handed over with MSG_ATTACH), then writes
 * hostile frames on the main lane's link and checks, after each, that the
 * executor refused what it must refuse and still serves the manual lane.
 *
 *   INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=10 hostile-worker PATH-TO-qie-executor
 *
 * Prints "ok NAME" or "not ok NAME: why" per check; exits 1 if any failed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "decimal.h"
#include "fdpass.h"
#include "msg.h"

#define MANUAL_RATE 10   /* the test runs with ..._PER_MIN_MANUAL=10 */

static int ctl = -1, failures, manual_ok;
static int link_fd[LANE_COUNT] = { -1, -1, -1 };
static uint32_t seq;

static void result(const char *name, int ok, const char *why)
{
	printf("%s %s%s%s\n", ok ? "ok" : "not ok", name, ok ? "" : ": ",
	    ok ? "" : why);
	fflush(stdout);
	failures += !ok;
}

static void attach(enum lane lane)
{
	int sp[2];
	struct mbuf m;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		exit(2);
	m_init(&m, MSG_ATTACH);
	m_add_u8(&m, (uint8_t)lane);
	if (m_close(&m) < 0 || fd_send(ctl, &m, sp[0]) < 0)
		exit(2);
	close(sp[0]);
	if (link_fd[lane] >= 0)
		close(link_fd[lane]);
	link_fd[lane] = sp[1];
	if (lane != LANE_MAIN)
		return;
	/* as a main worker does at each attach: no symbol drifted (else the
	 * executor holds every opening until it hears so) */
	m_init(&m, MSG_DRIFT_SYNCED);
	if (m_close(&m) < 0 || write(sp[1], m.data, m.len) != (ssize_t)m.len)
		exit(2);
}

/* 1 with the answer, 0 when the executor closed the link, -1 on timeout. */
static int answer(enum lane lane, struct exec_res *res)
{
	struct frame_in in = { .len = 0 };
	struct pollfd p = { .fd = link_fd[lane], .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, 3000) <= 0)
			return -1;
		long n = frame_in_read(link_fd[lane], &in);
		if (n <= 0)
			return 0;
		uint16_t type;
		struct mreader r;
		const char *why;
		if (frame_next(&in, &type, &r, &why) == 1)
			return type == MSG_EXEC_RES && msg_decode_res(&r, res) == 0;
	}
}

static void send_req(enum lane lane, const char *sym, uint8_t side,
    const char *qty, int reduce_only)
{
	struct exec_req q = { .seq = ++seq, .side = side,
		.reduce_only = (uint8_t)reduce_only,
		.deadline_ms = wall_ms() + 30000, .leverage = 1 };
	struct mbuf m;
	const char *why;
	snprintf(q.plan_id, sizeof(q.plan_id), "hostile-%u", seq);
	snprintf(q.symbol, sizeof(q.symbol), "%s", sym);
	dec_parse(qty, strlen(qty), &q.qty, &why);
	msg_encode_req(&m, &q);
	if (write(link_fd[lane], m.data, m.len) != (ssize_t)m.len)
		exit(2);
}

static void expect_error(const char *name, const char *sym, uint8_t side,
    const char *qty, int reduce_only, enum lane lane, const char *word)
{
	struct exec_res res;
	char why[400];
	send_req(lane, sym, side, qty, reduce_only);
	int k = answer(lane, &res);
	snprintf(why, sizeof(why), "answer=%d executed=%d error=%s", k,
	    k == 1 ? res.executed : -1, k == 1 ? res.error : "-");
	result(name, k == 1 && !res.executed && strncmp(res.error, word,
	    strlen(word)) == 0, why);
}

static void manual_still_served(const char *after)
{
	struct exec_res res;
	char name[128], why[300];
	send_req(LANE_MANUAL, "ETHUSDT", SIDE_SELL, "0.01", 1);
	int k = answer(LANE_MANUAL, &res);
	manual_ok += k == 1 && res.executed == 1;
	snprintf(name, sizeof(name), "manual lane still served after %s", after);
	snprintf(why, sizeof(why), "answer=%d error=%s", k, k == 1 ? res.error : "-");
	result(name, k == 1 && res.executed == 1, why);
}

static void expect_closed(const char *name, const void *bytes, size_t n)
{
	struct exec_res res;
	if (write(link_fd[LANE_MAIN], bytes, n) != (ssize_t)n)
		exit(2);
	result(name, answer(LANE_MAIN, &res) == 0, "link not closed");
	manual_still_served(name);
	attach(LANE_MAIN);
}

static void hostile_frames(void)
{
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
	static const uint8_t oversized[] = { 0x7f, 0xff, 0xff, 0xff, 0, 1 };
	static const uint8_t unknown[] = { 0, 0, 0, 0, 0x12, 0x34 };
	static const uint8_t short_req[] = { 0, 0, 0, 2, 0, MSG_EXEC_REQ, 0, 1 };
	struct exec_req q = { .seq = 99, .side = SIDE_BUY, .qty = 1,
		.deadline_ms = wall_ms() + 30000, .leverage = 1 };
	struct mbuf m;

	expect_closed("garbage closes the main link", garbage, sizeof(garbage));
	expect_closed("oversized frame closes the link", oversized, sizeof(oversized));
	expect_closed("unknown type closes the link", unknown, sizeof(unknown));
	expect_closed("short EXEC_REQ closes the link", short_req, sizeof(short_req));
	snprintf(q.plan_id, sizeof(q.plan_id), "x");
	snprintf(q.symbol, sizeof(q.symbol), "BTCUSDT");
	msg_encode_req(&m, &q);
	m.data[m.len++] = 0;            /* one trailing byte */
	m.data[3]++;
	expect_closed("trailing byte closes the link", m.data, m.len);
	q.deadline_ms = 0;
	msg_encode_req(&m, &q);
	expect_closed("a request without a deadline closes the link", m.data, m.len);
	q.deadline_ms = wall_ms() + 30000;
	msg_encode_req(&m, &q);
	m.data[m.len - 9] = 0;          /* the leverage byte (before the
					 * close fraction's 8) */
	expect_closed("a request with leverage 0 closes the link", m.data, m.len);
	msg_encode_res(&m, &(struct exec_res){ .seq = 1 });
	expect_closed("a reply-type frame from a worker closes the link", m.data, m.len);
}

static void hostile_requests(void)
{
	expect_error("over-cap order refused", "BTCUSDT", SIDE_BUY, "1000", 0,
	    LANE_MAIN, "notional_cap_exceeded");
	expect_error("unknown symbol refused", "DOGEUSDT", SIDE_BUY, "1", 1,
	    LANE_MAIN, "symbol_not_in_allowlist");
	expect_error("symbol with '&' refused", "BTC&qty=9", SIDE_BUY, "1", 1,
	    LANE_MAIN, "symbol_not_in_allowlist");
	expect_error("bad side refused", "BTCUSDT", 7, "1", 1, LANE_MAIN,
	    "invalid_side");
	expect_error("zero quantity refused", "BTCUSDT", SIDE_BUY, "0", 1,
	    LANE_MAIN, "invalid_qty");
	expect_error("manual lane may not open a position", "ETHUSDT", SIDE_BUY,
	    "0.01", 0, LANE_MANUAL, "lane_policy");
	expect_error("harvest lane may not open a position", "ETHUSDT",
	    SIDE_BUY, "0.01", 0, LANE_HARVEST, "lane_policy");
	expect_error("harvest lane: a SELL not reduce-only refused too",
	    "ETHUSDT", SIDE_SELL, "0.01", 0, LANE_HARVEST, "lane_policy");
	manual_still_served("hostile requests");
	while (manual_ok < MANUAL_RATE && !failures)
		manual_still_served("rate use");
	expect_error("manual lane rate cap", "ETHUSDT", SIDE_SELL, "0.01", 1,
	    LANE_MANUAL, "rate_limited");
}

int main(int argc, char **argv)
{
	int sp[2];
	if (argc != 2)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(sp[1], 3);
		execl(argv[1], argv[1], (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	ctl = sp[0];
	attach(LANE_MAIN);
	attach(LANE_MANUAL);
	attach(LANE_HARVEST);
	hostile_frames();
	hostile_requests();
	result("executor still alive", waitpid(pid, NULL, WNOHANG) == 0, "it exited");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return failures ? 1 : 0;
}
