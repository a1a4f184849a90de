/*
 * fdpass.h - one frame plus one descriptor over a SOCK_SEQPACKET socket
 * (SCM_RIGHTS).  The supervisor hands the executor each lane's link this
 * way; nothing else passes descriptors.
 */
#ifndef QIE_FDPASS_H
#define QIE_FDPASS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

int fd_send(int sock, const struct mbuf *m, int fd);
/*
 * Receives one message: its bytes into buf (*len) and the descriptor it
 * carried (*fd, -1 if none; any extra descriptors are closed).
 * Returns 1, 0 on EOF, -1 on error (errno set).
 */
int fd_recv(int sock, uint8_t *buf, size_t cap, size_t *len, int *fd);

#endif
