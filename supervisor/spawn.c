/*
 * spawn.c - fork + exec a child (see spawn.h).  Between fork and exec the
 * child uses only async-signal-safe calls.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define HIGH_FD 100

static void child_fail(const char *what)
{
	char msg[256];
	size_t n = 0;
	const char *parts[] = { "FATAL spawn: ", what, ": ", strerror(errno), "\n" };
	for (size_t i = 0; i < 5; i++) {
		size_t k = strlen(parts[i]);
		if (n + k >= sizeof(msg))
			break;
		memcpy(msg + n, parts[i], k);
		n += k;
	}
	if (write(STDERR_FILENO, msg, n) < 0)
		_exit(127);
	_exit(127);
}

static void child_setup(const int *fds, int nfds)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* first out of the way, then into place: sources may overlap targets */
	for (int i = 0; i < nfds; i++)
		if (dup2(fds[i], HIGH_FD + i) < 0)
			child_fail("dup2");
	for (int i = 0; i < nfds; i++)
		if (dup2(HIGH_FD + i, 3 + i) < 0)
			child_fail("dup2");
	if (syscall(SYS_close_range, 3 + nfds, ~0U, 0) < 0)
		child_fail("close_range");
}

pid_t spawn_child(const char *path, char *const argv[], char *const envp[],
    const int *fds, int nfds)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	child_setup(fds, nfds);
	execve(path, argv, envp);
	child_fail(path);
	return -1;
}
