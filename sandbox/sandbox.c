/*
 * sandbox.c - sandbox_apply(): lock a child down (see sandbox.h).
 * Runs as the first thing a child does after reading what it must read
 * as root (the executor's credentials).  Never returns on failure.
 */
#include "sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

static const char *active_role;
static const struct sandbox_policy *active_policy;

int sandbox_parse_ids(const char *uid, const char *gid, struct sandbox_spec *s)
{
	char *e1, *e2;
	if (!uid && !gid)
		return 0;
	if (!uid || !gid)
		return -1;
	unsigned long u = strtoul(uid, &e1, 10), g = strtoul(gid, &e2, 10);
	if (*uid == '\0' || *gid == '\0' || *e1 || *e2 || u == 0 ||
	    u > 0xfffffffeUL || g > 0xfffffffeUL)
		return -1;
	s->uid = (uid_t)u;
	s->gid = (gid_t)g;
	s->demote = 1;
	return 1;
}

static void set_limit(const char *role, int what, const char *name,
    rlim_t v)
{
	struct rlimit r = { v, v };
	if (setrlimit(what, &r) < 0)
		fatal("sandbox %s: setrlimit %s", role, name);
}

static void demote(const struct sandbox_spec *s)
{
	if (!s->demote) {
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_apply(CAPNG_SELECT_CAPS) < 0)
			fatalx("sandbox %s: dropping capabilities failed", s->role);
		return;
	}
	if (setgroups(0, NULL) < 0)
		fatal("sandbox %s: setgroups", s->role);
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_change_id((int)s->uid, (int)s->gid,
		CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
		fatalx("sandbox %s: changing to uid %u gid %u failed", s->role,
		    (unsigned)s->uid, (unsigned)s->gid);
	if (getuid() != s->uid || geteuid() != s->uid || getgid() != s->gid)
		fatalx("sandbox %s: uid change did not take", s->role);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		fatal("sandbox %s: clearing ambient capabilities", s->role);
}

static const char *report_name(int nr)
{
	for (const struct sandbox_report *r = active_policy->report; r->name; r++)
		if (r->nr == nr)
			return r->name;
	return "?";
}

/*
 * SIGSYS from a "report" rule: name the call, then make a forbidden call
 * (ptrace is a "report" rule in every policy).  SIGSYS is blocked inside
 * the handler, so the kernel resets it to the default action and the
 * process dies by SIGSYS.  rt_sigaction is in no policy: nothing can
 * replace this handler once the filter is loaded.  A SIGSYS sent by
 * kill(2) dies the same way, without a syscall to name.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	(void)sig;
	(void)uc;
	if (si->si_code == 1) {  /* SYS_SECCOMP */
		int n = snprintf(msg, sizeof(msg),
		    "FATAL %s: sandbox violation: syscall %s (%d) is not allowed\n",
		    active_role, report_name(si->si_syscall), si->si_syscall);
		if (n > 0) {
			ssize_t w = write(STDERR_FILENO, msg, (size_t)n);
			(void)w;        /* nothing left to do if stderr is gone */
		}
	}
	syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
	_exit(128 + SIGSYS);
}

void sandbox_load_policy(const char *role, const struct sandbox_policy *pol)
{
#ifdef QIE_SANITIZER_BUILD
	/* a sanitizer runtime reads /proc and maps shadow memory with calls
	 * no policy allows: test builds of make check-asan load none */
	(void)pol;
	log_warn("sandbox %s: SANITIZER TEST BUILD: no seccomp filter, no "
	    "Landlock", role);
	return;
#endif
	struct sock_fprog prog = {
		.len = (unsigned short)(pol->len / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)(uintptr_t)pol->bpf,
	};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	active_role = role;
	active_policy = pol;
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		fatal("sandbox %s: sigaction SIGSYS", role);
	if (pol->len == 0 || pol->len % sizeof(struct sock_filter))
		fatalx("sandbox %s: embedded seccomp policy is malformed", role);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("sandbox %s: no_new_privs", role);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		fatal("sandbox %s: loading the seccomp filter failed "
		    "(a parent filter refusing seccomp(2)?); refusing to run "
		    "unfiltered", role);
}

void sandbox_apply(const struct sandbox_spec *s)
{
	pid_t parent = getppid();
	if (syscall(SYS_close_range, (unsigned)s->keep_fds, ~0U, 0) < 0)
		fatal("sandbox %s: close_range", s->role);
	set_limit(s->role, RLIMIT_CORE, "RLIMIT_CORE", 0);
	set_limit(s->role, RLIMIT_NOFILE, "RLIMIT_NOFILE", s->nofile);
#ifdef QIE_SANITIZER_BUILD
	int rfd = -1;   /* see sandbox_load_policy() */
#else
	int rfd = landlock_prepare(s);
#endif
	demote(s);
	if (s->demote)
		set_limit(s->role, RLIMIT_NPROC, "RLIMIT_NPROC", s->nproc);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("sandbox %s: no_new_privs", s->role);
	/* the supervisor gone (not by systemd, which stops the whole unit):
	 * stop as on SIGTERM.  Set after the uid change, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		fatal("sandbox %s: PR_SET_PDEATHSIG", s->role);
	if (getppid() != parent)
		fatalx("sandbox %s: the supervisor is gone", s->role);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fatal("sandbox %s: PR_SET_DUMPABLE", s->role);
	landlock_enforce(rfd, s->role);
	sandbox_load_policy(s->role, s->policy);
}
