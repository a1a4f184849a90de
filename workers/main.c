/*
 * workers/main.c - the lane worker process (qie-worker --lane
 * main|manual|harvest --consumer NAME), started by the supervisor with its executor link on
 * fd 3.  See worker.h for what it may and may not do.
 *
 * One poll(2) loop: the blocking XREADGROUP connection, the executor link,
 * a signalfd, and timers for permit polls, the heartbeat and XAUTOCLAIM.
 * It routes the entries the stream layer returns (stream.c) to the plan
 * logic (deadletter.c, intake.c), holding a batch back at an entry Redis
 * refused to take now (tried again after the backoff), and a lost Redis
 * connection is handled by wr_up() (redis.c) between steps, before it
 * polls.
 * SIGTERM: stop reading, leave plans not yet sent pending in Redis, wait
 * for the executor's answers to the ones sent, write their results, exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netdb.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "sigfd.h"
#include "sandbox.h"
#include "worker.h"

#define STOP_GRACE_MS 10000

static struct worker W;

static void usage(void)
{
	fatalx("usage: qie-worker --lane main|manual|harvest --consumer NAME "
	    "(started by quantum-intent-executor)");
}

static void parse_args(struct worker *w, int argc, char **argv,
    struct sandbox_spec *sb)
{
	const char *lane = NULL, *consumer = NULL, *uid = NULL, *gid = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--lane") == 0)
			lane = argv[i + 1];
		else if (strcmp(argv[i], "--consumer") == 0)
			consumer = argv[i + 1];
		else if (strcmp(argv[i], "--uid") == 0)
			uid = argv[i + 1];
		else if (strcmp(argv[i], "--gid") == 0)
			gid = argv[i + 1];
		else
			usage();
	}
	if (sandbox_parse_ids(uid, gid, sb) < 0)
		usage();
	if (argc % 2 == 0 || !lane || !consumer)
		usage();
	int l = 0;
	while (l < LANE_COUNT && strcmp(lane, lane_name((enum lane)l)) != 0)
		l++;
	if (l == LANE_COUNT)
		usage();
	w->lane = (enum lane)l;
	size_t n = strlen(consumer);
	if (n == 0 || n >= sizeof(w->consumer))
		usage();
	for (size_t i = 0; i < n; i++)
		if (consumer[i] <= 0x20 || consumer[i] >= 0x7f)
			usage();
	memcpy(w->consumer, consumer, n + 1);
}

static void heartbeat(struct worker *w)
{
	if (w->lane == LANE_MANUAL) {
		long long ttl;
		int on = lane_manual_enabled(w, &ttl);
		if (on >= 0)
			lane_log_manual_state(w, on, ttl, 1);
		return;
	}
	/* the contract's heartbeat line: these four, in this order; the
	 * harvest lane's two counters in a line of its own */
	static const enum counter main_shown[] = { C_PROCESSED, C_EXECUTED_TRUE,
		C_EXECUTED_FALSE, C_BLOCKED_SOURCE };
	static const enum counter harvest_shown[] = { C_HARVEST_EXECUTED,
		C_HARVEST_FAILED };
	int harvest = w->lane == LANE_HARVEST;
	const enum counter *shown = harvest ? harvest_shown : main_shown;
	const int N = harvest ? 2 : 4;
	redisReply *r = harvest ?
	    wr_cmd(w, "HMGET " KEY_METRICS " %s %s", counter_name(shown[0]),
		counter_name(shown[1])) :
	    wr_cmd(w, "HMGET " KEY_METRICS " %s %s %s %s", counter_name(shown[0]),
		counter_name(shown[1]), counter_name(shown[2]),
		counter_name(shown[3]));
	if (!r)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)N) {
		char line[256];
		size_t n = 0;
		for (int i = 0; i < N && n < sizeof(line); i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s=%s",
			    i ? " " : "", counter_name(shown[i]),
			    r->element[i]->type == REDIS_REPLY_STRING ?
			    r->element[i]->str : "0");
		log_info("📊 %s: %s", harvest ? "Harvest" : "Metrics", line);
	}
	freeReplyObject(r);
}

static void announce(struct worker *w)
{
	if (w->lane == LANE_MAIN || w->lane == LANE_HARVEST) {
		log_info("📨 Consuming %s: %s", w->lane == LANE_MAIN ? "MAIN" :
		    "HARVEST", w->stream);
		return;
	}
	long long ttl;
	int on = lane_manual_enabled(w, &ttl);
	if (on >= 0)
		lane_log_manual_state(w, on, ttl, 1);
	log_info("📨 Consuming MANUAL: %s", w->stream);
}

static int on_exec_res(void *ctx, struct mreader *r)
{
	struct exec_res res;
	if (msg_decode_res(r, &res) < 0)
		return -1;
	lane_on_result(ctx, &res);
	return 0;
}

static int on_drift(void *ctx, struct mreader *r)
{
	return drift_on_report(ctx, r);
}

static const struct dispatch link_dispatch[] = {
	{ MSG_EXEC_RES, "EXEC_RES", on_exec_res },
	{ MSG_DRIFT, "DRIFT", on_drift },
	{ 0, NULL, NULL },
};

static void link_read(struct worker *w)
{
	char err[160];
	long n = frame_in_read(LINK_FD, &w->in);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		/* the link ended: closed, or reset (an executor killed with our
		 * requests unread); the supervisor may have said why first */
		int e = errno;
		if (w->ctl_fd >= 0) {
			ctl_read(w);
			ctl_count_events(w);
		}
		if (n == 0)
			fatalx("executor link closed: plans at the executor stay "
			    "pending and are read again after restart");
		errno = e;
		fatal("executor link");
	}
	if (frame_drain(&w->in, link_dispatch, w, err, sizeof(err)) < 0)
		fatalx("executor link: %s", err);
	lane_settle_answered(w);        /* every answer read: one round trip */
}

/*
 * Resolves REDIS_HOST to an address before the sandbox closes the files
 * name resolution reads; hiredis then connects to the number.
 */
static void resolve_redis(struct worker *w)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char addr[INET6_ADDRSTRLEN];
	int rc = getaddrinfo(w->s.redis_host, NULL, &hints, &ai);
	if (rc != 0)
		fatalx("REDIS_HOST %s: %s", w->s.redis_host, gai_strerror(rc));
	const void *a = ai->ai_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	if (!inet_ntop(ai->ai_family, a, addr, sizeof(addr)))
		fatal("REDIS_HOST %s", w->s.redis_host);
	freeaddrinfo(ai);
	snprintf(w->s.redis_host, sizeof(w->s.redis_host), "%s", addr);
}

static void lock_down(struct worker *w, struct sandbox_spec *sb, int sigfd)
{
	if (w->s.sentinels.n > 0)
		sentinel_resolve(w);    /* the master is asked of them later */
	else
		resolve_redis(w);
	json_object_seed(0);    /* reads /dev/urandom now, not in the sandbox */
	sb->role = lane_name(w->lane);
	sb->policy = &policy_worker;
	sb->keep_fds = sigfd + 1;
	sb->nofile = 16;
	sb->nproc = 0;
	sb->ro_paths = NULL;    /* no file access at all */
	sb->tcp_port = w->s.redis_port;
	sb->tcp_ports = w->sentinel_ports;     /* empty without Sentinel */
	sandbox_apply(sb);
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	return sigfd_open(sigs);
}

static void begin_stop(struct worker *w)
{
	w->stopping = 1;
	w->stop_deadline = mono_ms() + STOP_GRACE_MS;
	jobs_drop_unsent(&w->jobs);
	batch_free(&w->held);   /* its entries stay pending */
	if (w->rs) {
		conn_free(w->rs);
		w->rs = NULL;
		w->rs_waiting = 0;
	}
	log_info("stopping: %d plan(s) at the executor to finish; "
	    "plans not yet sent stay pending",
	    jobs_count(&w->jobs, JOB_SENT) + jobs_count(&w->jobs, JOB_UNWRITTEN));
}

static int stop_done(struct worker *w)
{
	return w->stopping && (w->jobs.used == 0 || mono_ms() >= w->stop_deadline);
}

static int64_t next_timer(struct worker *w, int64_t now)
{
	int64_t t = w->next_heartbeat;
	int64_t p = lane_next_poll(w);
	if (p < t)
		t = p;
	if (!w->stopping && w->next_autoclaim < t)
		t = w->next_autoclaim;
	if (!w->stopping && w->held.reply && w->held_at < t)
		t = w->held_at;
	if (!w->stopping && w->rc && !w->rs_waiting && w->read_at > now &&
	    w->read_at < t)
		t = w->read_at;
	if (!w->rc && w->reconnect_at < t)
		t = w->reconnect_at;
	if (w->rc && w->n_sentinels && w->next_sentinel_check < t)
		t = w->next_sentinel_check;
	if (w->rc && !w->stopping && drift_next(w) < t)
		t = drift_next(w);
	if (w->stopping && w->stop_deadline < t)
		t = w->stop_deadline;
	return t < now ? 0 : t - now;
}

/*
 * The entries of a batch to the plan logic, in order, from entry i;
 * entries read again pass the dead-letter check first.  Stops at a lost
 * connection (the rest stay pending and are read again) or at an entry
 * Redis refused to take now: the batch is then held (w->held), that
 * entry and the rest tried again after the backoff, before anything new
 * is read.  Takes b.
 */
static void route(struct worker *w, struct batch *b, size_t i)
{
	lane_preclaim(w, b, i);         /* the batch's claims: one round trip */
	for (; i < b->n && conn_up(w->rc); i++) {
		int d = dl_check(w, &b->e[i]);
		if (d == 0)
			d = lane_entry(w, &b->e[i]);
		if (d < 0)
			break;
	}
	claim_batch_free(w);
	if (i < b->n && conn_up(w->rc)) {
		w->held = *b;
		w->held_i = i;
		w->held_at = mono_ms() + (w->backoff_ms ? w->backoff_ms :
		    WR_BACKOFF_MIN_MS);
		memset(b, 0, sizeof(*b));
		return;
	}
	batch_free(b);
}

/* The held batch again, once its time has come: 1 while still held. */
static int resume_held(struct worker *w, int64_t now)
{
	if (!w->held.reply)
		return 0;
	if (now < w->held_at)
		return 1;
	struct batch b = w->held;
	memset(&w->held, 0, sizeof(w->held));
	route(w, &b, w->held_i);
	return w->held.reply != NULL;
}

/*
 * Our own pending entries, one batch; none left: pending_mode ends.  0, or
 * -1 when Redis refused the read (tried again after the backoff) or was
 * lost.
 */
static int read_pending(struct worker *w)
{
	struct batch b;
	if (stream_read_pending(w->rc, &w->st, w->pending_cursor,
		sizeof(w->pending_cursor), jobs_room(&w->jobs), &b) < 0) {
		if (conn_up(w->rc) && b.refused)
			w->read_at = wr_refused(w, "XREADGROUP (our pending entries)",
			    b.refused);
		batch_free(&b);
		return -1;
	}
	if (b.got == 0)
		w->pending_mode = 0;
	else
		log_info("read %zu pending entries of this consumer (%s) again",
		    (size_t)b.got, w->consumer);
	route(w, &b, 0);
	return 0;
}

/* Takes over what idle consumers left pending, batch by batch. */
static void autoclaim(struct worker *w)
{
	char cursor[48] = "0-0";
	struct batch b;
	do {
		int room = jobs_room(&w->jobs);
		if (room <= 0 || stream_autoclaim(w->rc, &w->st, cursor,
			sizeof(cursor), room, &b) < 0)
			return;
		route(w, &b, 0);
	} while (wr_up(w) && !w->held.reply && strcmp(cursor, "0-0") != 0);
}

/*
 * A new read once a quarter of the jobs' room is free (or none is used):
 * a backlog is read in batches of READ_MIN_ROOM entries or more, so their
 * claims share one round trip, instead of one read per freed job.
 */
#define READ_MIN_ROOM (JOBS_MAX / 4)

static void start_read(struct worker *w, int64_t now)
{
	int room = jobs_room(&w->jobs);
	if (room <= 0 || (room < READ_MIN_ROOM && w->jobs.used > 0) ||
	    w->rs_waiting || !w->rs || now < w->read_at)
		return;
	if (stream_start_read(w->rs, &w->st, room) == 0)
		w->rs_waiting = 1;
}

static void finish_read(struct worker *w)
{
	struct batch b;
	if (stream_finish_read(w->rs, w->rc, &w->st, &b) <= 0)
		return;
	w->rs_waiting = 0;
	if (b.refused && conn_up(w->rc) && conn_up(w->rs))
		w->read_at = wr_refused(w, "XREADGROUP", b.refused);
	route(w, &b, 0);
}

static void redis_work(struct worker *w, int64_t now)
{
	if (!wr_up(w)) {
		if (now < w->reconnect_at || wr_connect(w) < 0)
			return;
		log_info("Redis connected: %s:%d consumer=%s", w->s.redis_host,
		    w->s.redis_port, w->consumer);
		lane_retry_unwritten(w, INT64_MAX);
	}
	if (!w->stopping)
		drift_work(w, now);     /* main lane: before any plan is sent */
	/* entries Redis refused to take: tried again before anything new */
	int held = wr_up(w) && !w->stopping && resume_held(w, now);
	/* our own pending entries first: taking them over (XAUTOCLAIM) and
	 * reading them again would count two deliveries for one */
	while (!held && wr_up(w) && w->pending_mode && !w->stopping &&
	    jobs_room(&w->jobs) > 0 && now >= w->read_at &&
	    !(held = (w->held.reply != NULL)))
		if (read_pending(w) < 0)
			break;
	if (!held && wr_up(w) && now >= w->next_autoclaim && !w->stopping) {
		w->next_autoclaim = now + w->s.claim_min_idle_ms / 2;
		owner_keepalive(w);     /* ours stay ours while we hold them */
		if (wr_up(w) && !w->pending_mode)
			autoclaim(w);
	}
	if (wr_up(w))
		sentinel_watch(w, now); /* with Sentinel: a new master? */
	if (wr_up(w) && lane_next_poll(w) <= now) {
		lane_retry_unwritten(w, now);
		if (wr_up(w))
			lane_poll_permits(w);
	}
	if (wr_up(w) && !w->pending_mode && !w->stopping && !w->held.reply)
		start_read(w, now);
}

static void run(struct worker *w, int sigfd)
{
	while (!stop_done(w)) {
		int64_t now = mono_ms();
		redis_work(w, now);
		if (now >= w->next_heartbeat) {
			w->next_heartbeat = now + (int64_t)w->s.heartbeat_sec * 1000;
			heartbeat(w);
		}
		ctl_count_events(w);
		wr_up(w);               /* a loss above: closed, reconnect timed */
		struct pollfd p[4] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = LINK_FD, .events = POLLIN | (w->out.len ? POLLOUT : 0) },
			{ .fd = w->rs_waiting ? conn_fd(w->rs) : -1, .events = POLLIN },
			{ .fd = w->ctl_fd, .events = POLLIN },
		};
		log_flush();    /* what this turn logged, in one write */
		int k = poll(p, 4, (int)next_timer(w, mono_ms()));
		if (k < 0 && errno != EINTR)
			fatal("poll");
		if (k <= 0)
			continue;
		if (p[0].revents && !w->stopping) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) > 0)
				begin_stop(w);
		}
		if (p[1].revents & POLLOUT && frame_out_flush(LINK_FD, &w->out) < 0)
			fatal("executor link");
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			link_read(w);
		if (wr_up(w) && w->rs_waiting && p[2].revents)
			finish_read(w);
		if (w->ctl_fd >= 0 && p[3].revents)
			ctl_read(w);
	}
}

int main(int argc, char **argv)
{
	char err[512];
	struct worker *w = &W;
	struct sandbox_spec sb = { 0 };

	parse_args(w, argc, argv, &sb);
	snprintf(w->lane_tag, sizeof(w->lane_tag), "lane=%s", lane_name(w->lane));
	log_init(w->lane_tag);
	log_buffer();
	if (fcntl(LINK_FD, F_GETFD) < 0)
		fatalx("no executor link on fd 3: start me through quantum-intent-executor");
	fcntl(LINK_FD, F_SETFL, fcntl(LINK_FD, F_GETFL) | O_NONBLOCK);
	ctl_read_auth(w);
	if (config_load(&w->s, err, sizeof(err)) < 0)
		fatalx("invalid setting: %s", err);
	w->stream = w->lane == LANE_MAIN ? w->s.main_stream :
	    w->lane == LANE_MANUAL ? w->s.manual_stream : w->s.harvest_stream;
	w->group = w->lane == LANE_MAIN ? w->s.main_group :
	    w->lane == LANE_MANUAL ? w->s.manual_group : w->s.harvest_group;
	w->manual_state = -1;
	w->reconnect_delay = 100;
	jobs_init(&w->jobs);
	int sigfd = setup_signals();
	lock_down(w, &sb, sigfd);
	while (wr_connect(w) < 0) {
		int64_t wait;
		while ((wait = w->reconnect_at - mono_ms()) > 0) {
			struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN },
				{ .fd = w->ctl_fd, .events = POLLIN } };
			log_flush();
			if (poll(p, 2, (int)wait) > 0 && p[0].revents) {
				log_info("stopped before Redis answered");
				return 0;
			}
			if (w->ctl_fd >= 0 && p[1].revents)
				ctl_read(w);    /* pings are answered while we wait */
		}
	}
	announce(w);
	ctl_ready(w);
	int64_t now = mono_ms();
	w->next_heartbeat = now + (int64_t)w->s.heartbeat_sec * 1000;
	w->next_autoclaim = now;
	run(w, sigfd);
	log_info("stopped");
	return 0;
}
