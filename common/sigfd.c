/*
 * sigfd.c - blocked signals read through a signalfd (see sigfd.h).
 */
#include "sigfd.h"

#include <signal.h>
#include <sys/signalfd.h>

#include "log.h"

int sigfd_open(const int *sigs)
{
	sigset_t set;
	sigemptyset(&set);
	for (; *sigs; sigs++)
		sigaddset(&set, *sigs);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		fatal("signalfd");
	return fd;
}
