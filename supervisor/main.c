/*
 * supervisor/main.c - quantum-intent-executor, the supervisor.
 *
 * May: read its own settings (environment, --env-file), fork + exec the
 * executor and the two lane workers, create and hand out their links,
 * reap and restart them, tell systemd it is ready.
 * May not: read plans, talk to Redis or the exchange, parse anything a
 * child sends (it sends nothing; only exit statuses come back).
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
#include "log.h"
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
	if (!s->backend_given)
		log_warn("⚠️  INTENT_EXECUTOR_BACKEND is not set: using the PAPER "
		    "backend (simulated fills; no order reaches any exchange)");
	else
		log_info("backend: %s", s->backend == BACKEND_PAPER ? "PAPER "
		    "(simulated fills; no order reaches any exchange)" : "binance");
	strlist_format(&s->sources, list, sizeof(list));
	log_info("Source allowlist: %s", list);
	log_info("Manual lane TTL guard: quantum:manual_lane:enabled");
	strlist_format(&s->symbols, list, sizeof(list));
	log_info("Symbol allowlist: %s", list);
}

static int setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		fatal("signalfd");
	return fd;
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

static void run(struct supervisor *sv, int sigfd)
{
	for (;;) {
		int64_t now = mono_ms();
		int64_t wait = children_start_due(sv, now);
		if (!sv->ready_sent && children_running(sv) == ROLE_COUNT) {
			sd_notify(0, "READY=1");
			sv->ready_sent = 1;
		}
		if (sv->stopping) {
			if (children_stop_step(sv, now))
				return;
			wait = 100;
		}
		struct pollfd p = { .fd = sigfd, .events = POLLIN };
		int timeout = wait == INT64_MAX ? -1 : wait > 60000 ? 60000 : (int)wait;
		if (poll(&p, 1, timeout) < 0 && errno != EINTR)
			fatal("poll");
		on_signal(sv, sigfd, mono_ms());
	}
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
	snprintf(sv->consumer, sizeof(sv->consumer), "%s_%d", host, (int)getpid());
	identity_resolve(&sv->s, &sv->id);
	sandbox_load_policy("supervisor", &policy_supervisor);
	sv->started_wall = wall_ms() / 1000;
	announce(&sv->s);
	children_init(sv);
	int sigfd = setup_signals();
	run(sv, sigfd);
	log_info("stopped");
	return 0;
}
