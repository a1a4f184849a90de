/*
 * landlock.c - file and TCP access limits for a child (Landlock LSM).
 * Lane workers: no file access at all, TCP connect to the Redis port only
 * (and the sentinels' ports when Redis Sentinel is used).
 * The executor: read-only what TLS and name resolution need, TCP connect to
 * the exchange port only.  A kernel without Landlock (or an older ABI)
 * is logged with what is not enforced, and the child goes on: seccomp and
 * the uid change still hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* The kernel's structs as of ABI 6 (Debian 12's headers stop at ABI 2). */
struct ll_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};
struct ll_net_port_attr {
	__u64 allowed_access;
	__u64 port;
};
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_REFER (1ULL << 13)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

static int abi_version(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static int add_path(int rfd, const char *path)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = LL_READ };
	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -1;        /* absent: nothing to allow */
	struct stat st;
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE;
	long rc = syscall(SYS_landlock_add_rule, rfd, LL_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return rc < 0 ? -1 : 0;
}

/* Allows TCP connect to port (0: nothing). */
static void add_port(int rfd, const char *role, int port)
{
	struct ll_net_port_attr np = { .allowed_access = LL_NET_CONNECT_TCP,
		.port = (__u64)port };
	if (port <= 0)
		return;
	if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np, 0) < 0)
		fatal("sandbox %s: landlock rule for TCP port %d", role, port);
}

int landlock_prepare(const struct sandbox_spec *s)
{
	int abi = abi_version();
	struct ll_ruleset_attr a = { 0 };
	size_t size = sizeof(a.handled_access_fs);

	if (abi < 1) {
		log_warn("Landlock unavailable: role %s runs without file and "
		    "port limits (seccomp and the uid change still apply)", s->role);
		return -1;
	}
	a.handled_access_fs = LL_FS_ABI1 | (abi >= 2 ? LL_FS_REFER : 0) |
	    (abi >= 3 ? LL_FS_TRUNCATE : 0) | (abi >= 5 ? LL_FS_IOCTL_DEV : 0);
	if (abi >= 4) {
		a.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	} else {
		log_warn("Landlock ABI %d: TCP ports of role %s are not limited "
		    "(needs ABI 4)", abi, s->role);
	}
	if (abi >= 6) {
		a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(a);
	}
	int rfd = (int)syscall(SYS_landlock_create_ruleset, &a, size, 0);
	if (rfd < 0)
		fatal("sandbox %s: landlock_create_ruleset", s->role);
	for (int i = 0; s->ro_paths && s->ro_paths[i]; i++)
		if (add_path(rfd, s->ro_paths[i]) < 0)
			fatal("sandbox %s: landlock rule for %s", s->role, s->ro_paths[i]);
	if (abi >= 4) {
		add_port(rfd, s->role, s->tcp_port);
		for (int i = 0; s->tcp_ports && s->tcp_ports[i]; i++)
			add_port(rfd, s->role, s->tcp_ports[i]);
	}
	return rfd;
}

void landlock_enforce(int rfd, const char *role)
{
	if (rfd < 0)
		return;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		fatal("sandbox %s: landlock_restrict_self", role);
	close(rfd);
}
