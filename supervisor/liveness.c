/*
 * liveness.c - the supervisor's side of the children's liveness pings,
 * and the only place it reads what a child sends.
 *
 * Once a second each running child gets a MSG_PING (u32 seq) on its
 * control channel: a worker on its control pipe, the executor on its
 * control socket.  It answers MSG_PONG with the same seq from its event
 * loop (the executor's never waits for the exchange: executor/loop.h).  A child whose ping has gone unanswered for HANG_MS is logged
 * "<role> (pid N) not answering for N s: killed", killed with SIGKILL and
 * then restarted like any dead child; the kill is counted in the status
 * file (hangs=) and, through the main worker, in the metrics hash.
 *
 * May: read MSG_READY and MSG_PONG from a worker's report pipe, MSG_PONG,
 * MSG_STATE and MSG_SPEND (into the ledger) from the executor, each
 * through a dispatch table with
 * typed readers.  May not: act on anything else: a malformed or unknown
 * frame kills the child that sent it.
 */
#include "liveness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "msg.h"

struct from_child {
	struct supervisor *sv;
	struct child *c;
};

static void kill_child(struct child *c, const char *why)
{
	log_error("%s (pid %d) %s: killed", c->name, (int)c->pid, why);
	kill(c->pid, SIGKILL);
	c->ping_at = 0;
	c->next_ping = INT64_MAX;       /* until it is started again */
	if (c->ctl_fd >= 0) {           /* nothing more for the dying one */
		close(c->ctl_fd);
		c->ctl_fd = -1;
	}
}

static int on_pong(void *ctx, struct mreader *r)
{
	struct from_child *f = ctx;
	uint32_t seq;
	if (msg_decode_u32(r, &seq) < 0)
		return -1;
	if (seq == f->c->ping_seq)
		f->c->ping_at = 0;      /* an older one: still waiting */
	return 0;
}

static int on_ready(void *ctx, struct mreader *r)
{
	struct from_child *f = ctx;
	if (m_end(r) < 0)
		return -1;
	if (!f->c->ready)
		log_info("%s (pid %d) is ready: Redis answered", f->c->name,
		    (int)f->c->pid);
	f->c->ready = 1;
	return 0;
}

static int on_state(void *ctx, struct mreader *r)
{
	struct from_child *f = ctx;
	struct supervisor *sv = f->sv;
	int ok;
	if (msg_decode_state(r, &ok, sv->exec_state, sizeof(sv->exec_state)) < 0)
		return -1;
	sv->exec_ok = ok;
	sv->exec_was_ok |= ok;
	return 0;
}

static const struct dispatch from_worker[] = {
	{ MSG_READY, "READY", on_ready },
	{ MSG_PONG, "PONG", on_pong },
	{ 0, NULL, NULL },
};

/* An order the executor lets through, told before it is placed. */
static int on_spend(void *ctx, struct mreader *r)
{
	struct from_child *f = ctx;
	enum lane lane;
	int64_t at, orders, notional;
	if (msg_decode_spend(r, &lane, &at, &orders, &notional) < 0)
		return -1;
	ledger_add(&f->sv->ledger, lane, at, orders, notional, wall_ms());
	return 0;
}

static const struct dispatch from_executor[] = {
	{ MSG_PONG, "PONG", on_pong },
	{ MSG_STATE, "STATE", on_state },
	{ MSG_SPEND, "SPEND", on_spend },
	{ 0, NULL, NULL },
};

static void send_ping(struct supervisor *sv, struct child *c, int64_t now)
{
	struct mbuf m;
	int fd = c->role == ROLE_EXECUTOR ? sv->ctl : c->ctl_fd;
	if (fd < 0 || msg_encode_u32(&m, MSG_PING, c->ping_seq + 1) < 0)
		return;
	ssize_t n = c->role == ROLE_EXECUTOR ?
	    send(fd, m.data, m.len, MSG_DONTWAIT | MSG_NOSIGNAL) :
	    write(fd, m.data, m.len);
	if (n != (ssize_t)m.len)
		return;         /* its channel is full or gone: the ping waits */
	c->ping_seq++;
	c->ping_at = now;
}

int64_t live_tick(struct supervisor *sv, int64_t now)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < ROLE_COUNT && !sv->stopping; i++) {
		struct child *c = &sv->c[i];
		if (c->pid <= 0)
			continue;
		if (c->ping_at && now - c->ping_at >= HANG_MS) {
			char why[64];
			snprintf(why, sizeof(why), "not answering for %lld s",
			    (long long)((now - c->ping_at) / 1000));
			/* told first: the workers lose their link when the
			 * executor dies, and the main worker counts what it was
			 * told before it exits (a hung main worker is told
			 * through its successor) */
			c->hangs++;
			sv->untold_hangs[i]++;
			if (i != ROLE_MAIN)
				children_tell_main(sv);
			kill_child(c, why);
			status_write(sv);
			continue;
		}
		if (!c->ping_at && now >= c->next_ping) {
			send_ping(sv, c, now);
			c->next_ping = now + PING_EVERY_MS;
		}
		int64_t due = c->ping_at ? c->ping_at + HANG_MS : c->next_ping;
		if (due - now < next)
			next = due - now;
	}
	return next < 0 ? 0 : next;
}

/* A child that sent what no table takes is not trusted to go on. */
static void bad_frame(struct child *c, const char *err)
{
	char why[200];
	snprintf(why, sizeof(why), "sent a bad frame (%s)", err);
	if (c->pid > 0)
		kill_child(c, why);
}

void live_read_worker(struct supervisor *sv, enum role role)
{
	struct child *c = &sv->c[role];
	struct from_child f = { sv, c };
	char err[160];
	long n = frame_in_read(c->ready_fd, &c->in);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {           /* it exited, or closed it: reaped soon */
		close(c->ready_fd);
		c->ready_fd = -1;
		return;
	}
	if (frame_drain(&c->in, from_worker, &f, err, sizeof(err)) < 0)
		bad_frame(c, err);
}

void live_read_executor(struct supervisor *sv)
{
	struct child *c = &sv->c[ROLE_EXECUTOR];
	struct from_child f = { sv, c };
	uint8_t buf[FRAME_MAX];
	char err[160];
	ssize_t n = recv(sv->ctl, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close(sv->ctl);         /* it exited: reaped soon */
		sv->ctl = -1;
		return;
	}
	if ((size_t)n > sizeof(buf))    /* MSG_TRUNC: its real length */
		bad_frame(c, "a message longer than a frame");
	else if (frame_one(buf, (size_t)n, from_executor, &f, err,
	    sizeof(err)) < 0)
		bad_frame(c, err);
}
