/* SPDX-License-Identifier: ISC */
/*
 * proxyproto.h -- the PROXY protocol header a load balancer puts before
 * the client's bytes (HAProxy's doc/proxy-protocol.txt, versions 1 and 2),
 * and the list of balancers allowed to send one (--proxy-from).
 *
 * Strict: a header that is cut short, has a bad signature, an unknown
 * version or command, a family/transport byte the spec does not define,
 * an address block shorter than its family needs, a TLV that runs past
 * the block, or more than PROXYPROTO_TLV_MAX octets of TLVs is an error.
 * TLVs are checked for shape and then ignored, HAProxy's SSL TLVs
 * (PP2_TYPE_SSL: the balancer's own TLS facts) included: popkit
 * terminates TLS itself, behind the header.
 *
 * The header is read from the socket without a byte past it, so what
 * follows (the POP3 commands, or a TLS ClientHello) is left untouched.
 */
#ifndef POPKIT_PROXYPROTO_H
#define POPKIT_PROXYPROTO_H

#include <stddef.h>
#include <sys/types.h>

#include "params.h"

struct proxyproto {
    int version;          /* 1 or 2 */
    int local;            /* v2 LOCAL (a health check): no addresses */
    int family;           /* AF_INET or AF_INET6 when the addresses below
                             are set; AF_UNSPEC for v1 UNKNOWN, v2 UNSPEC
                             and UNIX, and LOCAL: keep the socket's own */
    char src_ip[46], dst_ip[46];  /* text, IPv4-mapped IPv6 as IPv4 */
    unsigned src_port, dst_port;
    size_t more;          /* parse returned 0: octets still certainly
                             part of the header */
    const char *why;      /* an error: what was wrong, for the log */
};

/* Parse the header at the start of buf[0..len).  Returns its length (the
 * octets to consume), 0 when buf is a valid but incomplete start (p->more
 * says how many octets to read next, none past the header), or -1 (p->why
 * says why).  Reads nothing outside buf. */
ssize_t proxyproto_parse(const unsigned char *buf, size_t len,
                         struct proxyproto *p);

/* Read one header from fd, at most timeout_ms in all, and parse it; no
 * octet after the header is read.  0, or -1 with p->why set (also for
 * end of file, a timeout and read errors). */
int proxyproto_read(int fd, int timeout_ms, struct proxyproto *p);

/* ---- the balancers (--proxy-from=CIDR[,CIDR...]) ---- */

struct proxyproto_net {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;            /* bits */
};

struct proxyproto_from {
    size_t n;
    struct proxyproto_net net[PROXYPROTO_FROM_MAX];
};

/* Parse "CIDR[,CIDR...]" (an address alone is a /32 or /128; an
 * IPv4-mapped IPv6 one of /96 or more is taken as its IPv4 network).  0,
 * or -1 when a CIDR is malformed or there are more than
 * PROXYPROTO_FROM_MAX. */
int proxyproto_from_parse(const char *list, struct proxyproto_from *f);

/* 1 when ip (text, as TCPREMOTEIP) is in one of f's networks; an
 * IPv4-mapped IPv6 address counts as its IPv4 address. */
int proxyproto_from_match(const struct proxyproto_from *f, const char *ip);

/* ---- at the start of a connection ---- */

/* When f lists TCPREMOTEIP (the socket's peer, lib/netenv), read the
 * header from fd (PROXYPROTO_TIMEOUT) before anything else; a TCP4/TCP6
 * or INET/INET6 one then sets TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and
 * TCPLOCALPORT to its client and removes TCPREMOTEHOST, TCPREMOTEINFO
 * and TCPLOCALHOST (the balancer's), for every later stage and the log;
 * LOCAL, UNKNOWN, UNIX and UNSPEC keep the socket's.  From a source not
 * listed nothing is read.  Logs what it did.  0, or -1 when the header
 * was missing or bad (logged): the caller closes without a word. */
int proxyproto_accept(const struct proxyproto_from *f, int fd);

#endif
