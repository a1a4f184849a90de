/*
 * sigfd.h - the signals a process handles, as a descriptor for its poll
 * loop: blocked, then read from a signalfd.  SIGPIPE is ignored (a closed
 * link is seen as a write error).
 */
#ifndef QIE_SIGFD_H
#define QIE_SIGFD_H

/* sigs: 0-terminated.  Returns the signalfd; fatal on failure. */
int sigfd_open(const int *sigs);

#endif
