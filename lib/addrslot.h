/* SPDX-License-Identifier: ISC */
/*
 * addrslot.h -- a per-address limit on concurrent connections with no
 * daemon: kernel-held locks on slot files in a run directory.
 *
 * A connection from ADDRESS takes one of N slots, the files
 * RUNDIR/KEY.0 ... RUNDIR/KEY.(N-1), by holding an exclusive flock(2) on
 * one of them.  The kernel drops the lock when the holder dies, however
 * it dies, so there is nothing to clean up and no daemon to keep the
 * count: the same works under tcpserver, inetd and systemd, which each
 * start one process a connection.  When all N are held, the connection
 * is over the limit.
 *
 * KEY is the address for IPv4, and the /64 prefix for IPv6 (one host is
 * usually given a whole /64, so counting single addresses would let it
 * take a fresh one for each connection); an IPv4 address mapped into
 * IPv6 (::ffff:a.b.c.d) counts as the IPv4 one.
 *
 * A released slot's file is removed (while still locked); a holder that
 * dies leaves its file, which the next connection from that address
 * reuses.  A slot is taken only when, once locked, its name still leads
 * to the file locked: a file removed between another's open and lock is
 * never counted as held.
 */
#ifndef POPKIT_ADDRSLOT_H
#define POPKIT_ADDRSLOT_H

#include <stddef.h>

#include "params.h"

struct addrslot {
    int dirfd;                      /* the run directory */
    int fd;                         /* the slot file locked, or -1 */
    char name[ADDRSLOT_NAME_MAX];   /* its name in the run directory */
};

/* The key of textual address ip (IPv4 or IPv6) into key[0..n-1]:
 * "a.b.c.d" or "PREFIX::-64" for IPv6 (inet_ntop of the /64).
 * 0, or -1 when ip is not an address. */
int addrslot_key(const char *ip, char *key, size_t n);

/* Take one of max slots for key in the directory dirfd (kept open in s
 * while a slot is held).  1: taken; 0: all max are held (over the
 * limit); -1 with errno on an error (a slot file cannot be made). */
int addrslot_take(struct addrslot *s, int dirfd, const char *key,
                  unsigned max);

/* Give the slot back: its file removed, then closed (the lock goes with
 * it).  A no-op when none is held. */
void addrslot_release(struct addrslot *s);

#endif
