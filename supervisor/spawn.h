/*
 * spawn.h - fork + exec of one child with exactly the descriptors given
 * (as fd 3, 4, ...) plus stdin/stdout/stderr, a clean signal state and the
 * environment given.  Nothing else of the supervisor crosses the exec.
 */
#ifndef QIE_SPAWN_H
#define QIE_SPAWN_H

#include <sys/types.h>

pid_t spawn_child(const char *path, char *const argv[], char *const envp[],
    const int *fds, int nfds);

#endif
