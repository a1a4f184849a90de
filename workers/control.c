/*
 * control.c - what a worker hears from the supervisor, and the one thing
 * it tells it.
 *
 * fd 4, from the supervisor, frames (frame.h): first MSG_AUTH with the
 * lane's Redis user and password ("" for none), read before the sandbox;
 * later, on the
 * main lane, MSG_VIOLATION naming a role whose process seccomp killed,
 * counted in the metrics hash.  fd 5, to the supervisor: one byte 'R'
 * once Redis has answered, then closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

static int on_violation(void *ctx, struct mreader *r)
{
	struct worker *w = ctx;
	uint8_t role = m_get_u8(r);
	if (m_end(r) < 0)
		return -1;
	if (role >= 3) {
		r->err = "role out of range";
		return -1;
	}
	w->violations[role]++;
	return 0;
}

static const struct dispatch ctl_dispatch[] = {
	{ MSG_VIOLATION, "VIOLATION", on_violation },
	{ 0, NULL, NULL },
};

void ctl_read_auth(struct worker *w)
{
	struct pollfd p = { .fd = CTL_FD, .events = POLLIN };
	uint16_t type;
	struct mreader r;
	const char *why = "the supervisor sent no MSG_AUTH within 10 s";

	if (fcntl(CTL_FD, F_GETFD) < 0 || fcntl(READY_FD, F_GETFD) < 0)
		fatalx("no control pipes on fd 4 and 5: start me through "
		    "quantum-intent-executor");
	for (;;) {
		int k = frame_next(&w->ctl_in, &type, &r, &why);
		if (k < 0)
			fatalx("control pipe: %s", why);
		if (k == 1)
			break;
		if (poll(&p, 1, 10000) <= 0 || frame_in_read(CTL_FD, &w->ctl_in) <= 0)
			fatalx("control pipe: %s", why);
	}
	if (type != MSG_AUTH)
		fatalx("control pipe: first message is type %u, not MSG_AUTH", type);
	m_get_str(&r, w->redis_user, sizeof(w->redis_user));
	m_get_str(&r, w->redis_password, sizeof(w->redis_password));
	if (m_end(&r) < 0)
		fatalx("control pipe: bad MSG_AUTH: %s", r.err);
	fcntl(CTL_FD, F_SETFL, fcntl(CTL_FD, F_GETFL) | O_NONBLOCK);
	w->ctl_fd = CTL_FD;
	w->ready_fd = READY_FD;
}

void ctl_read(struct worker *w)
{
	long n = frame_in_read(w->ctl_fd, &w->ctl_in);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		w->ctl_fd = -1;         /* supervisor gone: stop polling it */
		return;
	}
	for (;;) {
		uint16_t type;
		struct mreader r;
		const char *why = NULL;
		int k = frame_next(&w->ctl_in, &type, &r, &why);
		if (k == 0)
			return;
		if (k < 0 || dispatch_frame(ctl_dispatch, w, type, &r, &why) < 0)
			fatalx("control pipe: %s", why);
	}
}

void ctl_count_violations(struct worker *w)
{
	static const char *const role[3] = { "executor", "main", "manual" };
	for (int i = 0; i < 3 && w->rc; i++) {
		if (!w->violations[i])
			continue;
		redisReply *x = wr_cmd(w, "HINCRBY quantum:metrics:intent_executor "
		    "sandbox_violations %u", w->violations[i]);
		redisReply *y = x ? wr_cmd(w, "HINCRBY quantum:metrics:intent_executor "
		    "sandbox_violations_%s %u", role[i], w->violations[i]) : NULL;
		if (x && y)
			w->violations[i] = 0;
		if (x)
			freeReplyObject(x);
		if (y)
			freeReplyObject(y);
	}
}

void ctl_ready(struct worker *w)
{
	if (w->ready_fd < 0)
		return;
	if (write(w->ready_fd, "R", 1) != 1)
		log_warn("telling the supervisor we are ready: %s", strerror(errno));
	close(w->ready_fd);
	w->ready_fd = -1;
}
