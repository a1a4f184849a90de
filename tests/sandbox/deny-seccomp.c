/*
 * deny-seccomp.c - a test tool: runs a program under a parent seccomp
 * filter that refuses seccomp(2) with EPERM (as systemd's
 * SystemCallFilter=@system-service does), to prove that a child then
 * exits with a clear error instead of running without its own filter.
 *
 *   deny-seccomp PROGRAM [ARG...]
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: deny-seccomp PROGRAM [ARG...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		SCMP_SYS(seccomp), 0) < 0 || seccomp_load(ctx) < 0) {
		fprintf(stderr, "deny-seccomp: cannot install the parent filter\n");
		return 2;
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
