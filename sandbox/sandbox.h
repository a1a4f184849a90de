/*
 * sandbox.h - one call that locks a child down before it reads a byte of
 * untrusted input: sandbox_apply().  It fails closed: any step that fails
 * ends the process with a message naming the step, so no role ever runs
 * without its sandbox.
 *
 * Order (as OpenSSH's privsep child): descriptors, rlimits, Landlock
 * ruleset prepared, identity (uid, gid, no supplementary groups, every
 * capability dropped including the bounding set), no_new_privs, Landlock
 * enforced, the SIGSYS reporter, and last the role's seccomp filter
 * (compiled by the build from sandbox/policies/<role>.policy).
 */
#ifndef QIE_SANDBOX_H
#define QIE_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

struct sandbox_report {
	int nr;
	const char *name;
};

struct sandbox_policy {
	const char *role;
	const unsigned char *bpf;       /* struct sock_filter[], as bytes */
	size_t len;
	const struct sandbox_report *report;    /* ends with name NULL */
};

extern const struct sandbox_policy policy_worker;
extern const struct sandbox_policy policy_executor;
extern const struct sandbox_policy policy_supervisor;

struct sandbox_spec {
	const char *role;               /* for messages: "main", "executor" */
	const struct sandbox_policy *policy;
	int demote;                     /* change to uid/gid (we are root) */
	uid_t uid;
	gid_t gid;
	int keep_fds;                   /* fds 0 .. keep_fds-1 stay open */
	unsigned long nofile;           /* RLIMIT_NOFILE */
	unsigned long nproc;            /* RLIMIT_NPROC: 0, or threads it needs */
	const char *const *ro_paths;    /* Landlock: readable trees, or NULL */
	int tcp_port;                   /* Landlock: a TCP port to connect to */
	const int *tcp_ports;           /* and these (0 ends the list), or NULL */
};

void sandbox_apply(const struct sandbox_spec *s);

/*
 * Sets no_new_privs, installs the SIGSYS reporter and loads pol; fatal on
 * failure.  sandbox_apply() ends with it; the supervisor calls it alone.
 */
void sandbox_load_policy(const char *role, const struct sandbox_policy *pol);

/*
 * Parses the "--uid N --gid N" pair the supervisor passes to a child;
 * returns 1 if given (spec->demote set), 0 if absent, -1 if malformed.
 */
int sandbox_parse_ids(const char *uid, const char *gid, struct sandbox_spec *s);

/* Landlock (landlock.c): enforce, or log what the kernel cannot. */
int landlock_prepare(const struct sandbox_spec *s);
void landlock_enforce(int ruleset_fd, const char *role);

#endif
