/* SPDX-License-Identifier: ISC */
/*
 * netenv.h -- the connection's facts as environment, where no tcpserver
 * set them.
 *
 * tcpserver exports TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT;
 * every stage logs from them.  inetd and systemd's Accept=yes pass only
 * the socket, so the greeter fills them in from getpeername/getsockname.
 */
#ifndef POPKIT_NETENV_H
#define POPKIT_NETENV_H

/* When TCPREMOTEIP is unset and fd is an IPv4 or IPv6 socket, set the
 * four variables from it (IPv4-mapped IPv6 addresses as plain IPv4, as
 * tcpserver does).  Returns 1 if it set them, 0 if it left the
 * environment alone (already set, or not an internet socket). */
int netenv_from_socket(int fd);

#endif
