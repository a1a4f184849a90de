/*
 * try-syscall.c - a test tool (as bubblewrap's tests/try-syscall.c): locks
 * itself down exactly as ROLE does (sandbox_apply with the role's embedded
 * policy), then makes one system call and reports what happened.
 *
 *   try-syscall [--uid N --gid N] worker|executor CALL
 *
 * Exit 0 with "CALL: returned R errno E" when the call was let through
 * (the kernel answered, e.g. EBADF for a harmless bad descriptor); a call
 * the policy forbids never returns: the process dies by SIGSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static long attempt(const char *call)
{
	char buf[1];
	if (strcmp(call, "execve") == 0) {
		char *argv[] = { "/bin/true", NULL };
		return execve("/bin/true", argv, NULL);
	}
	if (strcmp(call, "ptrace") == 0)
		return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	if (strcmp(call, "open") == 0)
		return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	if (strcmp(call, "open-write") == 0)
		return syscall(SYS_openat, AT_FDCWD, "/tmp/qie-x", O_WRONLY | O_CREAT, 0600);
	if (strcmp(call, "raw-socket") == 0)
		return socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (strcmp(call, "unix-socket") == 0)
		return socket(AF_UNIX, SOCK_STREAM, 0);
	if (strcmp(call, "tcp-socket") == 0)
		return socket(AF_INET, SOCK_STREAM, 0);
	if (strcmp(call, "fork") == 0)
		return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (strcmp(call, "mmap-exec") == 0)
		return (long)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (strcmp(call, "kill") == 0)
		return kill(1, 0);
	if (strcmp(call, "read-badfd") == 0)
		return read(-1, buf, 1);
	if (strcmp(call, "write-badfd") == 0)
		return write(-1, buf, 1);
	if (strcmp(call, "close-badfd") == 0)
		return close(-1);
	fprintf(stderr, "try-syscall: unknown call %s\n", call);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sandbox_spec sb = { 0 };
	int i = 1;
	const char *uid = NULL, *gid = NULL;

	log_init("try-syscall");
	if (argc > 4 && strcmp(argv[1], "--uid") == 0 && strcmp(argv[3], "--gid") == 0) {
		uid = argv[2];
		gid = argv[4];
		i = 5;
	}
	if (argc - i != 2 || sandbox_parse_ids(uid, gid, &sb) < 0) {
		fprintf(stderr, "usage: try-syscall [--uid N --gid N] worker|executor CALL\n");
		return 2;
	}
	sb.role = argv[i];
	if (strcmp(argv[i], "worker") == 0)
		sb.policy = &policy_worker;
	else if (strcmp(argv[i], "executor") == 0)
		sb.policy = &policy_executor;
	else
		return 2;
	sb.keep_fds = 3;
	sb.nofile = 16;
	sandbox_apply(&sb);
	long r = attempt(argv[i + 1]);
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "%s: returned %ld errno %d\n",
	    argv[i + 1], r, r < 0 ? errno : 0);
	if (write(STDOUT_FILENO, msg, (size_t)n) < 0)
		return 1;
	return 0;
}
