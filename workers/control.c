/*
 * control.c - what a worker hears from the supervisor, and what it tells
 * it.
 *
 * fd 4, from the supervisor, frames (frame.h): first MSG_AUTH with the
 * lane's Redis user and password ("" for none), read before the sandbox;
 * then MSG_PING once a second, and, on the main lane, MSG_VIOLATION and
 * MSG_HUNG naming a role whose process seccomp killed or the supervisor
 * killed as hung, counted in the metrics hash.  fd 5, to the supervisor:
 * MSG_READY once Redis has answered, and MSG_PONG for every ping, answered
 * from the worker's poll loop, so a worker that stops running its loop
 * stops answering.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "keys.h"
#include "log.h"
#include "worker.h"

/* Counted in the metrics hash: "<name>" and "<name>_<role>". */
static const enum counter event_counter[CTL_EVENTS] = {
	[CTL_VIOLATION] = C_SANDBOX_VIOLATIONS, [CTL_HUNG] = C_CHILD_HANGS,
};

static void report(struct worker *w, const struct mbuf *m)
{
	if (w->ready_fd < 0)
		return;
	/* one frame is far below PIPE_BUF: written whole or not at all */
	if (write(w->ready_fd, m->data, m->len) != (ssize_t)m->len &&
	    errno != EAGAIN)
		log_warn("report pipe to the supervisor: %s", strerror(errno));
}

static int on_ping(void *ctx, struct mreader *r)
{
	struct worker *w = ctx;
	uint32_t seq;
	struct mbuf m;
	if (msg_decode_u32(r, &seq) < 0)
		return -1;
	if (msg_encode_u32(&m, MSG_PONG, seq) == 0)
		report(w, &m);
	return 0;
}

static int before_auth(struct worker *w, struct mreader *r);

static int count_event(struct worker *w, struct mreader *r, enum ctl_event e)
{
	enum role role;
	if (before_auth(w, r) < 0 || msg_decode_role(r, &role) < 0)
		return -1;
	w->events[e][role]++;
	return 0;
}

static int on_violation(void *ctx, struct mreader *r)
{
	return count_event(ctx, r, CTL_VIOLATION);
}

static int on_hung(void *ctx, struct mreader *r)
{
	return count_event(ctx, r, CTL_HUNG);
}

/* The first frame, read before the sandbox: the lane's Redis login. */
static int on_auth(void *ctx, struct mreader *r)
{
	struct worker *w = ctx;
	if (w->authed) {
		r->err = "a second MSG_AUTH";
		return -1;
	}
	m_get_str(r, w->redis_user, sizeof(w->redis_user));
	m_get_str(r, w->redis_password, sizeof(w->redis_password));
	if (m_end(r) < 0)
		return -1;
	w->authed = 1;
	return 0;
}

static int before_auth(struct worker *w, struct mreader *r)
{
	if (w->authed)
		return 0;
	r->err = "sent before MSG_AUTH";
	return -1;
}

static int on_ping_after_auth(void *ctx, struct mreader *r)
{
	return before_auth(ctx, r) < 0 ? -1 : on_ping(ctx, r);
}

static const struct dispatch ctl_dispatch[] = {
	{ MSG_AUTH, "AUTH", on_auth },
	{ MSG_PING, "PING", on_ping_after_auth },
	{ MSG_VIOLATION, "VIOLATION", on_violation },
	{ MSG_HUNG, "HUNG", on_hung },
	{ 0, NULL, NULL },
};

static void ctl_drain(struct worker *w)
{
	char err[160];
	if (frame_drain(&w->ctl_in, ctl_dispatch, w, err, sizeof(err)) < 0)
		fatalx("control pipe: %s", err);
}

void ctl_read_auth(struct worker *w)
{
	struct pollfd p = { .fd = CTL_FD, .events = POLLIN };

	if (fcntl(CTL_FD, F_GETFD) < 0 || fcntl(READY_FD, F_GETFD) < 0)
		fatalx("no control pipes on fd 4 and 5: start me through "
		    "quantum-intent-executor");
	fcntl(CTL_FD, F_SETFL, fcntl(CTL_FD, F_GETFL) | O_NONBLOCK);
	fcntl(READY_FD, F_SETFL, fcntl(READY_FD, F_GETFL) | O_NONBLOCK);
	w->ctl_fd = CTL_FD;
	w->ready_fd = READY_FD;
	while (!w->authed) {
		log_flush();
		if (poll(&p, 1, 10000) <= 0 || frame_in_read(CTL_FD, &w->ctl_in) <= 0)
			fatalx("control pipe: the supervisor sent no MSG_AUTH within "
			    "10 s");
		ctl_drain(w);
	}
}

void ctl_read(struct worker *w)
{
	long n = frame_in_read(w->ctl_fd, &w->ctl_in);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		w->ctl_fd = -1;         /* supervisor gone: stop polling it */
		return;
	}
	ctl_drain(w);
}

void ctl_count_events(struct worker *w)
{
	for (int e = 0; e < CTL_EVENTS; e++)
		for (int i = 0; i < ROLE_COUNT && w->rc; i++) {
			unsigned n = w->events[e][i];
			if (!n)
				continue;
			const char *name = counter_name(event_counter[e]);
			redisReply *x = wr_cmd(w, "HINCRBY " KEY_METRICS " %s %u",
			    name, n);
			redisReply *y = x ? wr_cmd(w, "HINCRBY " KEY_METRICS " %s_%s %u",
			    name, role_name((unsigned)i), n) : NULL;
			if (x && y)
				w->events[e][i] = 0;
			if (x)
				freeReplyObject(x);
			if (y)
				freeReplyObject(y);
		}
}

void ctl_ready(struct worker *w)
{
	struct mbuf m;
	m_init(&m, MSG_READY);
	if (m_close(&m) == 0)
		report(w, &m);
}
