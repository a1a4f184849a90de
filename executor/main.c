/*
 * executor/main.c - the executor process: the only process that places
 * orders (and, with a backend that needs them, the only one holding the
 * exchange credentials).
 *
 * May: read requests from each lane's link, answer on the same link, talk
 * to its backend, answer the supervisor's pings and tell it whether the
 * backend can trade (MSG_STATE).  May not: open Redis, read plans, trust a
 * request's content.  It learns which lane a request belongs to from the
 * link it arrived on: the supervisor hands over each lane's link on the
 * control socket (fd 3) with a MSG_ATTACH frame naming the lane.  A
 * malformed frame closes that lane's link only; the supervisor then
 * restarts the worker.  The main lane's link also carries the drift
 * frames (drift.h): reports out, the drift hash's symbols in; another
 * lane sending one has its link closed.
 *
 * One event loop (loop.h) serves the control socket, the signalfd, both
 * links and the backend's connections: requests are held and started many
 * at a time (requests.h, scheduler.h), each answered on its link when its
 * backend is done, so the pings are answered at once whatever the exchange
 * does.  SIGTERM ends the process once no request is in flight.
 *
 * Start: credentials first (credentials.h), then settings, the backend its
 * descriptor names (backends.h; the binance backend asks the exchange for
 * its time and filters), then the sandbox the descriptor asks for
 * (sandbox.h) before the first request is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends.h"
#include "clock.h"
#include "config.h"
#include "credentials.h"
#include "drift.h"
#include "executor.h"
#include "fdpass.h"
#include "log.h"
#include "loop.h"
#include "requests.h"
#include "sigfd.h"
#include "sandbox.h"

#define CTL_FD 3

struct link {
	enum lane lane;
	int fd;
	unsigned gen;           /* bumped at every attach and close */
	struct frame_in in;
	struct frame_out out;
};

struct exec_ctx {
	struct settings s;
	struct backend b;
	struct exec_env env;
	struct link links[LANE_COUNT];
	struct limits limits;           /* each lane's rate and notional caps */
	int state;                      /* last MSG_STATE: -1 none, 0, 1 */
	int stopping;                   /* SIGTERM came */
	struct loop_timer state_retry;
};

static struct exec_ctx X;

static void link_close(struct link *l, const char *why)
{
	if (l->fd < 0)
		return;
	log_warn("lane %s: link closed: %s", lane_name(l->lane), why);
	loop_unwatch(l->fd);
	close(l->fd);
	l->fd = -1;
	requests_drop(l->lane, l->gen++);
}

static void on_link(void *arg, int fd, short revents);

/* Watches the link for requests, and for room while replies wait. */
static void link_watch(struct link *l)
{
	if (l->fd >= 0 && loop_watch(l->fd, (short)(POLLIN | (l->out.len ?
	    POLLOUT : 0)), on_link, l) < 0)
		fatalx("event loop: no room for a lane link");
}

/* A result for lane's link of generation gen (requests.h). */
static void deliver(enum lane lane, unsigned gen, const struct exec_res *res)
{
	struct link *l = &X.links[lane];
	struct mbuf m;
	if (l->fd < 0 || l->gen != gen)
		return;         /* its worker is gone: the next sends it again */
	if (msg_encode_res(&m, res) < 0 || frame_out_push(&l->out, &m) < 0) {
		link_close(l, "reply queue full: worker is not reading");
		return;
	}
	if (frame_out_flush(l->fd, &l->out) < 0)
		link_close(l, "write failed");
	else
		link_watch(l);
}

/* A drift report for the main lane's link (drift.h): -1 while it has none. */
static int drift_send(const struct drift_report *d)
{
	struct link *l = &X.links[LANE_MAIN];
	struct mbuf m;
	if (l->fd < 0)
		return -1;
	if (msg_encode_drift(&m, d) < 0 || frame_out_push(&l->out, &m) < 0) {
		link_close(l, "drift report: queue full: worker is not reading");
		return -1;
	}
	if (frame_out_flush(l->fd, &l->out) < 0) {
		link_close(l, "write failed");
		return -1;
	}
	link_watch(l);
	return 0;
}

/* The drift frames come from the main lane's worker only. */
static int drift_frame(struct link *l, struct mreader *r, char *symbol,
    size_t cap)
{
	if (l->lane != LANE_MAIN) {
		r->err = "a drift frame on a lane other than main";
		return -1;
	}
	return symbol ? msg_decode_symbol(r, symbol, cap) : m_end(r);
}

static int on_drift_hold(void *ctx, struct mreader *r)
{
	char sym[SYMBOL_MAX + 1];
	if (drift_frame(ctx, r, sym, sizeof(sym)) < 0)
		return -1;
	if (strlist_has(&X.s.symbols, sym, strlen(sym)))
		drift_hold(sym);
	return 0;
}

static int on_drift_clear(void *ctx, struct mreader *r)
{
	char sym[SYMBOL_MAX + 1];
	if (drift_frame(ctx, r, sym, sizeof(sym)) < 0)
		return -1;
	drift_clear(sym);
	return 0;
}

static int on_drift_synced(void *ctx, struct mreader *r)
{
	if (drift_frame(ctx, r, NULL, 0) < 0)
		return -1;
	drift_synced();
	return 0;
}

/* A request on a lane's link: ctx is that link, the lane is its own. */
static int on_exec_req(void *ctx, struct mreader *r)
{
	struct link *l = ctx;
	struct exec_req q;

	if (msg_decode_req(r, &q) < 0)
		return -1;
	if (l->fd < 0) {
		r->err = "link closed";         /* by a reply that did not fit */
		return -1;
	}
	requests_add(l->lane, l->gen, &q);
	return 0;
}

static const struct dispatch lane_dispatch[] = {
	{ MSG_EXEC_REQ, "EXEC_REQ", on_exec_req },
	{ MSG_DRIFT_HOLD, "DRIFT_HOLD", on_drift_hold },
	{ MSG_DRIFT_CLEAR, "DRIFT_CLEAR", on_drift_clear },
	{ MSG_DRIFT_SYNCED, "DRIFT_SYNCED", on_drift_synced },
	{ 0, NULL, NULL },
};

static void link_read(struct link *l)
{
	char err[160], msg[200];
	long n = frame_in_read(l->fd, &l->in);
	if (n == 0) {
		link_close(l, "worker closed it");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN)
			link_close(l, strerror(errno));
		return;
	}
	unsigned gen = l->gen;
	if (frame_drain(&l->in, lane_dispatch, l, err, sizeof(err)) < 0 &&
	    l->gen == gen) {
		snprintf(msg, sizeof(msg), "malformed frame: %s", err);
		link_close(l, msg);
	}
}

static void on_link(void *arg, int fd, short revents)
{
	struct link *l = arg;
	if (l->fd != fd)
		return;
	if (revents & POLLOUT && frame_out_flush(l->fd, &l->out) < 0) {
		link_close(l, "write failed");
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		link_read(l);
	link_watch(l);
}

/* One message to the supervisor (MSG_PONG, MSG_STATE); never blocks. */
static void ctl_send(const struct mbuf *m)
{
	if (send(CTL_FD, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN)
		fatal("control socket");
}

struct ctl_msg {
	int fd;                 /* the descriptor it carried, -1 if none */
};

static int on_attach(void *ctx, struct mreader *r)
{
	struct ctl_msg *c = ctx;
	uint8_t lane = m_get_u8(r);
	if (m_end(r) < 0)
		return -1;
	if (lane >= LANE_COUNT || c->fd < 0) {
		r->err = lane >= LANE_COUNT ? "lane out of range" : "no descriptor";
		return -1;
	}
	struct link *l = &X.links[lane];
	if (l->fd >= 0)
		link_close(l, "replaced by a new worker");
	memset(&l->in, 0, sizeof(l->in));
	l->out.len = 0;
	l->fd = c->fd;
	l->gen++;
	c->fd = -1;
	fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	link_watch(l);
	log_info("lane %s: link attached", lane_name(l->lane));
	if (l->lane == LANE_MAIN)
		drift_link_up();
	return 0;
}

static int on_ping(void *ctx, struct mreader *r)
{
	struct ctl_msg *c = ctx;
	uint32_t seq;
	struct mbuf m;
	if (msg_decode_u32(r, &seq) < 0)
		return -1;
	if (c->fd >= 0) {
		r->err = "a descriptor with a ping";
		return -1;
	}
	if (msg_encode_u32(&m, MSG_PONG, seq) == 0)
		ctl_send(&m);
	return 0;
}

/* What a lane spent before this executor started (the supervisor's). */
static int on_spend_history(void *ctx, struct mreader *r)
{
	struct ctl_msg *c = ctx;
	enum lane lane;
	int64_t at, orders, notional;
	if (msg_decode_spend(r, &lane, &at, &orders, &notional) < 0)
		return -1;
	if (c->fd >= 0) {
		r->err = "a descriptor with a spend record";
		return -1;
	}
	spend_add(&X.limits.sp, lane, at, orders, notional);
	return 0;
}

static const struct dispatch ctl_dispatch[] = {
	{ MSG_ATTACH, "ATTACH", on_attach },
	{ MSG_PING, "PING", on_ping },
	{ MSG_SPEND, "SPEND", on_spend_history },
	{ 0, NULL, NULL },
};

/*
 * An order let through by the limits: the supervisor hears of it before
 * it is placed, so that a restarted executor is handed it again.  The
 * socket keeps what was sent even if this process dies right after.
 */
static void tell_spend(enum lane lane, int64_t at_ms, int64_t notional)
{
	struct mbuf m;
	if (msg_encode_spend(&m, lane, at_ms, 1, notional) == 0 &&
	    send(CTL_FD, m.data, m.len, MSG_NOSIGNAL) < 0)
		fatal("control socket: telling the supervisor of an order");
}

/* One message from the supervisor; anything malformed is fatal. */
static void ctl_read(void)
{
	uint8_t buf[FRAME_MAX];
	size_t len = 0;
	struct ctl_msg c = { .fd = -1 };
	int k = fd_recv(CTL_FD, buf, sizeof(buf), &len, &c.fd);
	if (k == 0)
		fatalx("control socket closed by the supervisor");
	if (k < 0)
		fatal("control socket");
	char err[160];
	if (frame_one(buf, len, ctl_dispatch, &c, err, sizeof(err)) < 0)
		fatalx("control socket: bad message: %s", err);
	if (c.fd >= 0)
		close(c.fd);
}

/* Tells the supervisor whether the backend can trade; 1 when it can. */
static int report_state(int *last)
{
	static const char error[] = "ERROR: executor: ";
	char text[STATE_TEXT_MAX - sizeof(error) + 1], msg[STATE_TEXT_MAX];
	struct mbuf m;
	int ok = 1;
	if (X.b.ready)
		ok = X.b.ready(X.b.state, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "backend %s", X.b.name);
	if (ok == *last && ok)
		return ok;
	*last = ok;
	snprintf(msg, sizeof(msg), "%s%s", ok ? "" : error, text);
	if (msg_encode_state(&m, ok, msg) == 0)
		ctl_send(&m);
	return ok;
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	return sigfd_open(sigs);
}

#define STATE_RETRY_MS 1000

/* Until the backend can trade: asks it again every STATE_RETRY_MS. */
static void state_retry(void *arg)
{
	(void)arg;
	if (!report_state(&X.state))
		loop_at(&X.state_retry, mono_ms() + STATE_RETRY_MS, state_retry, NULL);
}

static void stop(void)
{
	char text[300];
	log_info("stopping: served main=%llu manual=%llu harvest=%llu",
	    requests_served(LANE_MAIN), requests_served(LANE_MANUAL),
	    requests_served(LANE_HARVEST));
	if (X.b.stats) {
		X.b.stats(X.b.state, text, sizeof(text));
		log_info("%s", text);
	}
	exit(0);
}

/* SIGTERM: at once, or once the orders in flight have their outcome. */
static void on_signal(void *arg, int fd, short revents)
{
	(void)arg, (void)fd, (void)revents;
	if (!X.stopping && requests_running() > 0)
		log_info("stopping once %d request(s) in flight are answered",
		    requests_running());
	X.stopping = 1;
	loop_unwatch(fd);
}

static void on_ctl(void *arg, int fd, short revents)
{
	(void)arg, (void)fd, (void)revents;
	ctl_read();
}

static void serve(int sigfd)
{
	X.state = -1;
	if (loop_watch(CTL_FD, POLLIN, on_ctl, NULL) < 0 ||
	    loop_watch(sigfd, POLLIN, on_signal, NULL) < 0)
		fatalx("event loop: no room");
	state_retry(NULL);
	for (;;) {
		loop_turn(-1);
		if (X.stopping && requests_running() == 0)
			stop();
	}
}

/* "--uid N --gid N" from the supervisor when it runs as root. */
static void parse_args(int argc, char **argv, struct sandbox_spec *sb)
{
	const char *uid = NULL, *gid = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--uid") == 0)
			uid = argv[i + 1];
		else if (strcmp(argv[i], "--gid") == 0)
			gid = argv[i + 1];
		else
			break;
	}
	if (argc % 2 == 0 || (argc > 1 && !(uid && gid)) ||
	    sandbox_parse_ids(uid, gid, sb) < 0)
		fatalx("usage: qie-executor [--uid N --gid N] (started by "
		    "quantum-intent-executor)");
}

/* The highest open descriptor: libcurl's kept connections stay open. */
static int max_open_fd(void)
{
	int max = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			max = fd;
	return max;
}

static void lock_down(struct sandbox_spec *sb, const struct backend_desc *d)
{
	char err[160];
	sb->role = "executor";
	sb->policy = &policy_executor;
	sb->keep_fds = max_open_fd() + 1;
	sb->nofile = 64;
	sb->nproc = d->threads;
	sb->ro_paths = d->ro_paths;
	sb->tcp_port = d->port ? d->port(&X.s, err, sizeof(err)) : 0;
	if (sb->tcp_port < 0)
		fatalx("%s", err);
	sandbox_apply(sb);
}

/*
 * The backend.  Credentials are read first of all, as the user that
 * started us, and kept only by a backend that needs them.
 */
static void setup_backend(const struct backend_desc *d,
    const struct credentials *cred, int cred_ok, const char *cred_err)
{
	char err[512];
	if (d->needs_credentials && !cred_ok)
		fatalx("INTENT_EXECUTOR_BACKEND=%s: credentials: %s", d->name,
		    cred_err);
	if (!d->needs_credentials && cred_ok)
		log_info("exchange credentials found in %s but the backend is %s: "
		    "not used", cred->where, d->name);
	if (d->init(&X.b, &X.s, d->needs_credentials ? cred : NULL, err,
	    sizeof(err)) < 0)
		fatalx("%s backend: %s", d->name, err);
	if (d->needs_credentials)
		log_info("%s: credentials from %s", d->name, cred->where);
}

int main(int argc, char **argv)
{
	char err[512], cred_err[512];
	struct credentials cred;
	struct sandbox_spec sb = { 0 };

	log_init("executor");
	parse_args(argc, argv, &sb);
	X.limits.on_spend = tell_spend;
	int cred_ok = credentials_load(&cred, cred_err, sizeof(cred_err)) == 0;
	if (fcntl(CTL_FD, F_GETFD) < 0)
		fatalx("no control socket on fd 3: start me through quantum-intent-executor");
	if (config_load(&X.s, err, sizeof(err)) < 0)
		fatalx("invalid setting: %s", err);
	const struct backend_desc *d = backend_desc(&X.s);
	if (!d)
		fatalx("INTENT_EXECUTOR_BACKEND: no backend %d", X.s.backend);
	setup_backend(d, &cred, cred_ok, cred_err);
	credentials_wipe(&cred);
	for (int i = 0; i < LANE_COUNT; i++)
		X.links[i] = (struct link){ .lane = (enum lane)i, .fd = -1 };
	X.env = (struct exec_env){ .s = &X.s, .b = &X.b, .l = &X.limits };
	requests_init(&X.env, deliver);
	drift_init(drift_send);
	int sigfd = setup_signals();
	lock_down(&sb, d);
	log_info("ready: backend=%s", X.b.name);
	serve(sigfd);
}
