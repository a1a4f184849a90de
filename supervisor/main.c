/*
 * supervisor/main.c - quantum-intent-executor, the supervisor.
 *
 * May: read its own settings (environment, --env-file) and the workers'
 * Redis password, fork + exec the executor and the two lane workers,
 * create and hand out their links, reap and restart them, tell systemd it
 * is ready and pet its watchdog while every child is up.
 * May not: read plans, talk to Redis or the exchange, parse what a child
 * sends: all that comes back is an exit status and one readiness byte per
 * worker ('R' once Redis answered).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "children.h"
#include "clock.h"
#include "config.h"
#include "identity.h"
#include "keys.h"
#include "liveness.h"
#include "log.h"
#include "sigfd.h"
#include "sandbox.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/quantum-intent-executor"
#endif
#ifndef VERSION
#define VERSION "0.1.0"
#endif

static struct supervisor SV;

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: quantum-intent-executor [--env-file PATH]\n"
	    "       quantum-intent-executor --version\n"
	    "Settings come from the environment and the env file (KEY=VALUE "
	    "lines);\nsee quantum-intent-executor(8).\n");
	exit(code);
}

static void parse_args(int argc, char **argv)
{
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
			if (envfile_load(argv[++i], err, sizeof(err)) < 0)
				fatalx("--env-file %s", err);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("quantum-intent-executor %s\n", VERSION);
			exit(0);
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(0);
		} else {
			usage(2);
		}
	}
}

/* Finds a helper next to our own binary, else in LIBEXECDIR. */
static void find_helper(const char *name, char *out, size_t sz)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			int k = snprintf(out, sz, "%s/%s", self, name);
			if (k > 0 && (size_t)k < sz && access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, sz, "%s/%s", LIBEXECDIR, name);
	if (access(out, X_OK) != 0)
		fatalx("helper %s not found next to this binary nor in %s", name,
		    LIBEXECDIR);
}

static void announce(const struct settings *s)
{
	char list[512];
	const char *backend = backend_names[s->backend];
	if (!s->backend_given)
		log_warn("⚠️  INTENT_EXECUTOR_BACKEND is not set: using the %s "
		    "backend, the default%s", backend, s->backend == 0 ?
		    " (simulated fills; no order reaches any exchange)" : "");
	else
		log_info("backend: %s", backend);
	strlist_format(&s->sources, list, sizeof(list));
	log_info("Source allowlist: %s", list);
	log_info("Manual lane TTL guard: " KEY_MANUAL_LANE);
	strlist_format(&s->symbols, list, sizeof(list));
	log_info("Symbol allowlist: %s", list);
}

static int setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, 0 };
	return sigfd_open(sigs);
}

static void on_signal(struct supervisor *sv, int sigfd, int64_t now)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue;       /* reaped below */
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP ignored: restart the service to change settings");
			continue;
		}
		if (!sv->stopping) {
			log_info("received SIG%s", sigabbrev_np((int)si.ssi_signo));
			sd_notify(0, "STOPPING=1");
			children_stop(sv, now);
		}
	}
	children_reap(sv, now);
}

/* What systemd's STATUS= and the status file say of the daemon now. */
static void describe_state(const struct supervisor *sv, char *buf, size_t sz)
{
	if (sv->stopping) {
		snprintf(buf, sz, "stopping");
	} else if (sv->exec_state[0] && !sv->exec_ok) {
		snprintf(buf, sz, "%s", sv->exec_state);
	} else if (children_healthy(sv)) {
		snprintf(buf, sz, "ready: %s, executor up (%s)",
		    sv->s.harvest_enabled ? "main, manual and harvest lanes "
		    "consuming" : "main and manual lanes consuming (harvest "
		    "disabled)", sv->exec_state[0] ? sv->exec_state : "starting");
	} else if (!sv->ready_sent) {
		snprintf(buf, sz, "starting");
	} else {
		for (int i = 0; i < ROLE_COUNT; i++) {
			const struct child *c = &sv->c[i];
			if (!child_enabled(sv, (enum role)i))
				continue;
			if (c->pid <= 0 || (i != ROLE_EXECUTOR && !c->ready)) {
				snprintf(buf, sz, "degraded: %s %s%s%s", c->name,
				    c->pid <= 0 ? "restarting" : "reconnecting to Redis",
				    c->pid <= 0 && c->last_death[0] ? "; it " : "",
				    c->pid <= 0 ? c->last_death : "");
				return;
			}
		}
		snprintf(buf, sz, "degraded");
	}
}

/*
 * READY=1 once healthy; WATCHDOG=1 at half the interval, only while
 * healthy (a child that its restart does not cure lets the watchdog
 * fire); STATUS= and the status file's state whenever it changes.
 * Returns ms until the next pet is due.
 */
static int64_t tell_systemd(struct supervisor *sv, int64_t now)
{
	static uint64_t wd_usec;
	static int wd_checked;
	static int64_t next_pet;
	char state[sizeof(sv->state)], msg[sizeof(sv->state) + 16];

	if (!wd_checked) {
		wd_checked = 1;
		if (sd_watchdog_enabled(0, &wd_usec) <= 0)
			wd_usec = 0;
	}
	int healthy = children_healthy(sv) && !sv->stopping;
	describe_state(sv, state, sizeof(state));
	if (strcmp(state, sv->state) != 0) {
		memcpy(sv->state, state, sizeof(state));
		status_write(sv);
		snprintf(msg, sizeof(msg), "STATUS=%s", state);
		sd_notify(0, msg);
	}
	if (!sv->ready_sent && healthy) {
		sd_notify(0, "READY=1");
		sv->ready_sent = 1;
	}
	if (wd_usec && healthy && now >= next_pet) {
		sd_notify(0, "WATCHDOG=1");
		next_pet = now + (int64_t)(wd_usec / 2000);
	}
	if (!wd_usec || !healthy)
		return INT64_MAX;       /* what makes it healthy wakes the loop */
	return next_pet - now;
}

static void run(struct supervisor *sv, int sigfd)
{
	for (;;) {
		int64_t now = mono_ms();
		int64_t wait = children_start_due(sv, now);
		int64_t ping = live_tick(sv, now);
		int64_t pet = tell_systemd(sv, now);
		if (ping < wait)
			wait = ping;
		if (pet < wait)
			wait = pet;
		if (sv->stopping) {
			if (children_stop_step(sv, now))
				return;
			wait = 100;
		}
		/* the signals, the executor, then each worker by its role */
		struct pollfd p[ROLE_COUNT + 1] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = sv->ctl, .events = POLLIN },
		};
		for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
			p[i + 1] = (struct pollfd){ .fd = sv->c[i].ready_fd,
				.events = POLLIN };
		int timeout = wait == INT64_MAX ? -1 : (int)wait;
		if (poll(p, ROLE_COUNT + 1, timeout) < 0 && errno != EINTR)
			fatal("poll");
		if (p[1].revents && sv->ctl >= 0)
			live_read_executor(sv);
		for (int i = ROLE_MAIN; i < ROLE_COUNT; i++)
			if (p[i + 1].revents && sv->c[i].ready_fd >= 0)
				live_read_worker(sv, (enum role)i);
		on_signal(sv, sigfd, mono_ms());
	}
}

/* Reads one password file; 0 (absent), 1 (read into buf), fatal if bad. */
static int read_secret(const char *dir, const char *name, char *buf,
    size_t sz)
{
	char path[600];
	FILE *f = NULL;
	if (dir && snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path))
		f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sz - 1, f);
	int more = fgetc(f) != EOF;
	(void)fclose(f);        /* read only: nothing to lose */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20)
			fatalx("%s: a control byte in the password", path);
	if (more || n == 0)
		fatalx("%s: %s", path, more ? "longer than 511 bytes" : "empty");
	return 1;
}

/*
 * Each lane's Redis login: the user REDIS_USERNAME_<LANE>, else
 * REDIS_USERNAME; the password from redis-password-<lane>, else
 * redis-password, in the credentials folder (INTENT_EXECUTOR_CREDENTIALS_DIR,
 * else systemd's $CREDENTIALS_DIRECTORY), read as root before anything
 * else.  A user without a password is a startup error.  Passwords reach
 * the workers over their control pipes, never the environment.
 */
static void load_redis_auth(struct supervisor *sv)
{
	const char *dir = sv->s.credentials_dir[0] ? sv->s.credentials_dir :
	    getenv("CREDENTIALS_DIRECTORY");
	for (int l = 0; l < LANE_COUNT; l++) {
		char file[64];
		const char *user = sv->s.redis_user_lane[l][0] ?
		    sv->s.redis_user_lane[l] : sv->s.redis_username;
		snprintf(sv->redis_auth[l].user, sizeof(sv->redis_auth[l].user), "%s",
		    user);
		snprintf(file, sizeof(file), "redis-password-%s",
		    lane_name((enum lane)l));
		int got = read_secret(dir, file, sv->redis_auth[l].password,
		    sizeof(sv->redis_auth[l].password)) ||
		    read_secret(dir, "redis-password", sv->redis_auth[l].password,
			sizeof(sv->redis_auth[l].password));
		if (user[0] && !got)
			fatalx("Redis user %s (lane %s) needs a password: no %s or "
			    "redis-password in %s", user, lane_name((enum lane)l), file,
			    dir ? dir : "(no credentials folder set)");
		if (got)
			log_info("lane %s logs in to Redis as %s", lane_name((enum lane)l),
			    user[0] ? user : "the default user");
	}
}

/*
 * What the lanes spent, from the ledger file: a malformed file stops the
 * start (a limit must not reset silently); one that cannot be written is
 * a loud warning (the limits then last as long as the supervisor).
 */
static void open_ledger(struct supervisor *sv)
{
	char err[512];
	int rc = ledger_open(&sv->ledger, sv->s.ledger_file, wall_ms(), err,
	    sizeof(err));
	if (rc == -1)
		fatalx("INTENT_EXECUTOR_LEDGER_FILE: %s", err);
	if (rc == -2)
		log_warn("⚠️  INTENT_EXECUTOR_LEDGER_FILE: %s: the rate caps and "
		    "hourly budgets are kept in memory only, and a restart of the "
		    "daemon resets them", err);
}

int main(int argc, char **argv)
{
	char err[512], host[128];
	struct supervisor *sv = &SV;

	log_init("supervisor");
	parse_args(argc, argv);
	if (config_load(&sv->s, err, sizeof(err)) < 0)
		fatalx("invalid setting: %s", err);
	find_helper("qie-worker", sv->worker_path, sizeof(sv->worker_path));
	find_helper("qie-executor", sv->executor_path, sizeof(sv->executor_path));
	if (gethostname(host, sizeof(host)) < 0)
		fatal("gethostname");
	host[sizeof(host) - 1] = '\0';
	/* the same names after a restart: its own pending entries are read
	 * again at once, and no dead consumer is left behind */
	snprintf(sv->consumer, sizeof(sv->consumer), "%.127s",
	    sv->s.consumer[0] ? sv->s.consumer : host);
	identity_resolve(&sv->s, &sv->id);
	load_redis_auth(sv);
	open_ledger(sv);
	sandbox_load_policy("supervisor", &policy_supervisor);
	sv->started_wall = wall_ms() / 1000;
	announce(&sv->s);
	children_init(sv);
	int sigfd = setup_signals();
	run(sv, sigfd);
	log_info("stopped");
	return 0;
}
