/*
 * children.c - spawn, reap and restart the executor and the lane workers
 * (main, manual, and harvest unless INTENT_EXECUTOR_HARVEST_ENABLED=false).
 * The executor is started first; a worker is started only while an
 * executor runs, and its link's other end is handed to the executor
 * (MSG_ATTACH over the control socket) before the worker runs.
 */
#include "children.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fdpass.h"
#include "identity.h"
#include "log.h"
#include "msg.h"
#include "spawn.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 30000
#define SERVED_MS 2000          /* alive this long: it did some work */
#define STOP_WORKERS_MS 15000
#define STOP_EXECUTOR_MS 5000

void children_init(struct supervisor *sv)
{
	for (int i = 0; i < ROLE_COUNT; i++) {
		sv->c[i] = (struct child){ .role = (enum role)i,
			.name = role_name((unsigned)i), .backoff_ms = BACKOFF_MIN_MS };
	}
	for (int i = 0; i < ROLE_COUNT; i++)
		sv->c[i].ctl_fd = sv->c[i].ready_fd = -1;
	sv->ctl = -1;
}

static int tell(int fd, uint16_t type, int role, unsigned *count)
{
	while (*count > 0) {
		struct mbuf m;
		if (msg_encode_role(&m, type, (enum role)role) < 0 ||
		    write(fd, m.data, m.len) != (ssize_t)m.len)
			return -1;
		(*count)--;
	}
	return 0;
}

/*
 * MSG_VIOLATION and MSG_HUNG to the main worker, which counts them in the
 * metrics hash; the supervisor itself never talks to Redis.
 */
void children_tell_main(struct supervisor *sv)
{
	int fd = sv->c[ROLE_MAIN].ctl_fd;
	for (int r = 0; r < ROLE_COUNT && fd >= 0; r++)
		if (tell(fd, MSG_VIOLATION, r, &sv->untold_violations[r]) < 0 ||
		    tell(fd, MSG_HUNG, r, &sv->untold_hangs[r]) < 0)
			return;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int64_t restart_backoff(int64_t prev_ms, int64_t uptime_ms)
{
	if (uptime_ms >= SERVED_MS)
		return BACKOFF_MIN_MS;
	int64_t b = prev_ms * 2;
	return b > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b < BACKOFF_MIN_MS ?
	    BACKOFF_MIN_MS : b;
}

void describe_status(int status, char *buf, size_t sz)
{
	if (WIFEXITED(status)) {
		snprintf(buf, sz, "exited with status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *abbrev = sigabbrev_np(sig);
		snprintf(buf, sz, "killed by signal %d (SIG%s)%s", sig,
		    abbrev ? abbrev : "?",
		    sig == SIGSYS ? ": sandbox violation" : "");
	} else {
		snprintf(buf, sz, "stopped with wait status 0x%x", status);
	}
}

/* "--uid N --gid N" when children change uid; argv stays NULL-ended. */
static void id_args(const struct supervisor *sv, enum role role, char **argv,
    char uid[16], char gid[16])
{
	argv[0] = NULL;
	if (!sv->id.demote)
		return;
	snprintf(uid, 16, "%u", (unsigned)sv->id.uid[role]);
	snprintf(gid, 16, "%u", (unsigned)sv->id.gid[role]);
	argv[0] = "--uid";
	argv[1] = uid;
	argv[2] = "--gid";
	argv[3] = gid;
	argv[4] = NULL;
}

static void hand_spend(void *ctx, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional)
{
	int fd = *(int *)ctx;
	struct mbuf m;
	if (msg_encode_spend(&m, lane, at_ms, orders, notional) < 0 ||
	    send(fd, m.data, m.len, MSG_NOSIGNAL) != (ssize_t)m.len)
		log_error("handing the executor what lane %s spent: %s",
		    lane_name(lane), strerror(errno));
}

static pid_t start_executor(struct supervisor *sv)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_error("socketpair for the executor: %s", strerror(errno));
		return -1;
	}
	char uid[16], gid[16];
	char *argv[6] = { sv->executor_path, NULL };
	id_args(sv, ROLE_EXECUTOR, argv + 1, uid, gid);
	pid_t pid = spawn_child(sv->executor_path, argv, role_env(ROLE_EXECUTOR),
	    &sp[1], 1);
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	if (sv->ctl >= 0)
		close(sv->ctl);
	sv->ctl = sp[0];
	/* what the lanes spent: before any lane's link, so before any order */
	spend_each(&sv->ledger.sp, wall_ms(), hand_spend, &sv->ctl);
	return pid;
}

int child_enabled(const struct supervisor *sv, enum role role)
{
	return role != ROLE_HARVEST || sv->s.harvest_enabled;
}

static pid_t start_worker(struct supervisor *sv, enum role role)
{
	enum lane lane = (enum lane)(role - ROLE_MAIN);
	char consumer[192];
	int sp[2], ctl[2], rdy[2];
	struct child *c = &sv->c[role];
	struct mbuf m;

	if (sv->ctl < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_error("socketpair for lane %s: %s", lane_name(lane),
		    strerror(errno));
		return -1;
	}
	m_init(&m, MSG_ATTACH);
	m_add_u8(&m, (uint8_t)lane);
	if (m_close(&m) < 0 || fd_send(sv->ctl, &m, sp[0]) < 0) {
		log_error("handing lane %s to the executor: %s", lane_name(lane),
		    strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	close(sp[0]);
	snprintf(consumer, sizeof(consumer), "%s%s", sv->consumer,
	    lane_info(lane)->consumer_suffix);
	char uid[16], gid[16];
	char *argv[10] = { sv->worker_path, "--lane", (char *)lane_name(lane),
		"--consumer", consumer, NULL };
	id_args(sv, role, argv + 5, uid, gid);
	if (pipe2(ctl, O_CLOEXEC) < 0) {
		log_error("control pipe for lane %s: %s", lane_name(lane),
		    strerror(errno));
		close(sp[1]);
		return -1;
	}
	if (pipe2(rdy, O_CLOEXEC) < 0) {
		log_error("ready pipe for lane %s: %s", lane_name(lane),
		    strerror(errno));
		close(sp[1]);
		close(ctl[0]);
		close(ctl[1]);
		return -1;
	}
	/* the worker's first frame: its Redis user and password ("" for none) */
	m_init(&m, MSG_AUTH);
	m_add_str(&m, sv->redis_auth[lane].user);
	m_add_str(&m, sv->redis_auth[lane].password);
	if (m_close(&m) < 0 || write(ctl[1], m.data, m.len) != (ssize_t)m.len)
		log_error("lane %s: handing over the Redis password failed",
		    lane_name(lane));
	int fds[3] = { sp[1], ctl[0], rdy[1] };
	pid_t pid = spawn_child(sv->worker_path, argv, role_env(role), fds, 3);
	close(sp[1]);
	close(ctl[0]);
	close(rdy[1]);
	close_fd(&c->ctl_fd);
	close_fd(&c->ready_fd);
	c->ctl_fd = ctl[1];
	c->ready_fd = rdy[0];
	c->in.len = c->in.off = 0;
	c->ready = 0;
	fcntl(c->ctl_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->ready_fd, F_SETFL, O_NONBLOCK);
	if (role == ROLE_MAIN)
		children_tell_main(sv);
	return pid;
}

int64_t children_start_due(struct supervisor *sv, int64_t now)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < ROLE_COUNT && !sv->stopping; i++) {
		struct child *c = &sv->c[i];
		if (c->pid > 0 || !child_enabled(sv, (enum role)i))
			continue;
		/* workers: once the executor runs and has been able to trade */
		if (i != ROLE_EXECUTOR && (sv->c[ROLE_EXECUTOR].pid <= 0 ||
		    !sv->exec_was_ok))
			continue;
		if (c->restart_at > now) {
			if (c->restart_at - now < next)
				next = c->restart_at - now;
			continue;
		}
		pid_t pid = i == ROLE_EXECUTOR ? start_executor(sv) :
		    start_worker(sv, (enum role)i);
		if (pid < 0) {
			c->restart_at = now + c->backoff_ms;
			continue;
		}
		c->pid = pid;
		c->uid = sv->id.demote ? sv->id.uid[i] : getuid();
		c->started_at = now;
		c->ping_at = 0;
		c->next_ping = now + 1000;
		c->started_wall = wall_ms() / 1000;
		status_write(sv);
		log_info("started %s (pid %d)%s", c->name, (int)pid,
		    c->restarts ? " after a restart" : "");
	}
	return next;
}

static struct child *by_pid(struct supervisor *sv, pid_t pid)
{
	for (int i = 0; i < ROLE_COUNT; i++)
		if (sv->c[i].pid == pid)
			return &sv->c[i];
	return NULL;
}

void children_reap(struct supervisor *sv, int64_t now)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = by_pid(sv, pid);
		if (!c)
			continue;
		int64_t up = now - c->started_at;
		describe_status(status, c->last_death, sizeof(c->last_death));
		c->pid = 0;
		if (c->role == ROLE_EXECUTOR && sv->ctl >= 0) {
			close(sv->ctl);
			sv->ctl = -1;
			sv->exec_ok = 0;
			sv->exec_state[0] = '\0';
		}
		close_fd(&c->ready_fd);
		c->ready = 0;
		close_fd(&c->ctl_fd);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
			sv->violations[c->role]++;
			sv->untold_violations[c->role]++;
			children_tell_main(sv);
		}
		if (sv->stopping) {
			log_info("%s (pid %d) %s", c->name, (int)pid, c->last_death);
			continue;
		}
		c->backoff_ms = restart_backoff(c->backoff_ms, up);
		c->restart_at = now + c->backoff_ms;
		c->restarts++;
		log_error("%s (pid %d) %s after %lld ms; restarting in %lld ms%s",
		    c->name, (int)pid, c->last_death, (long long)up,
		    (long long)c->backoff_ms,
		    up < SERVED_MS ? " (died at start: throttled)" : "");
		status_write(sv);
	}
}

int children_healthy(const struct supervisor *sv)
{
	if (sv->c[ROLE_EXECUTOR].pid <= 0)
		return 0;
	for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
		if (child_enabled(sv, (enum role)i) &&
		    (!sv->c[i].ready || sv->c[i].pid <= 0))
			return 0;
	return 1;
}

int children_running(const struct supervisor *sv)
{
	int n = 0;
	for (int i = 0; i < ROLE_COUNT; i++)
		n += sv->c[i].pid > 0;
	return n;
}

static void signal_child(struct child *c, int sig)
{
	if (c->pid > 0)
		kill(c->pid, sig);
}

void children_stop(struct supervisor *sv, int64_t now)
{
	sv->stopping = 1;
	sv->stop_deadline = now + STOP_WORKERS_MS;
	log_info("stopping: asking the lane workers to finish");
	for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
		signal_child(&sv->c[i], SIGTERM);
}

int children_stop_step(struct supervisor *sv, int64_t now)
{
	int workers = 0;
	struct child *x = &sv->c[ROLE_EXECUTOR];

	for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
		workers += sv->c[i].pid > 0;
	if (workers && now >= sv->stop_deadline) {
		log_error("workers did not stop in time: killing them");
		for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
			signal_child(&sv->c[i], SIGKILL);
		sv->stop_deadline = now + STOP_EXECUTOR_MS;
		return 0;
	}
	if (workers)
		return 0;
	if (x->pid > 0 && sv->stopping == 1) {
		sv->stopping = 2;
		sv->stop_deadline = now + STOP_EXECUTOR_MS;
		signal_child(x, SIGTERM);
		return 0;
	}
	if (x->pid > 0 && now >= sv->stop_deadline)
		signal_child(x, SIGKILL);
	return x->pid <= 0;
}

void status_write(struct supervisor *sv)
{
	char tmp[300];
	const char *path = sv->s.status_file;
	int k = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = k > 0 && (size_t)k < sizeof(tmp) ? fopen(tmp, "we") : NULL;

	if (!f) {
		if (!sv->status_warned++)
			log_warn("status file %s cannot be written: %s", path,
			    strerror(errno));
		return;
	}
	fprintf(f, "supervisor pid=%d started=%lld consumer=%s\n", (int)getpid(),
	    (long long)sv->started_wall, sv->consumer);
	for (int i = 0; i < ROLE_COUNT; i++) {
		const struct child *c = &sv->c[i];
		fprintf(f, "%s pid=%d uid=%d started=%lld restarts=%u violations=%u "
		    "hangs=%u last_death=%s\n", c->name, (int)c->pid,
		    c->pid > 0 ? (int)c->uid : -1,
		    c->pid > 0 ? (long long)c->started_wall : 0LL, c->restarts,
		    sv->violations[i], c->hangs,
		    !child_enabled(sv, c->role) ? "disabled" :
		    c->last_death[0] ? c->last_death : "-");
	}
	fprintf(f, "state %s\n", sv->state[0] ? sv->state : "starting");
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		if (!sv->status_warned++)
			log_warn("status file %s: %s", path, strerror(errno));
		unlink(tmp);
	}
}
