/* SPDX-License-Identifier: ISC */
/*
 * fdpass.h -- one datagram with at most one descriptor riding along
 * (SCM_RIGHTS), over a SOCK_SEQPACKET socket: how popkit-lmtpd's parser
 * hands its message spool to the root part (deliver/lmtp.h).
 *
 * fdpass_send() sends len bytes of buf, and fd when fd >= 0; the
 * descriptor stays open in the sender.  0, or -1 with errno (a short
 * send is EMSGSIZE).  EINTR is retried; SIGPIPE is never raised.
 * ETOOMANYREFS (too many descriptors of this user in flight, a state
 * other processes' receives end) is waited out, for at most
 * FDPASS_INFLIGHT_WAIT_MS (lib/params.h says why).
 *
 * fdpass_recv() receives one datagram into buf (size bytes) and the
 * descriptor, if one came, into *fd (close-on-exec; -1 when none).  It
 * returns the datagram's length, 0 when the peer closed, or -1: errno
 * from recvmsg, or EBADMSG for a datagram or control data that did not
 * fit, or control data other than one descriptor (any descriptor that
 * came is closed then, so a peer cannot leak them into us).
 */
#ifndef POPKIT_FDPASS_H
#define POPKIT_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

int fdpass_send(int sock, const void *buf, size_t len, int fd);
ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fd);

#endif
