/* SPDX-License-Identifier: ISC */
/*
 * util.h -- small helpers every program needs.
 */
#ifndef POPKIT_UTIL_H
#define POPKIT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Overwrite a secret so the compiler cannot drop the store. */
void wipe(void *p, size_t n);
/* Parse a decimal number of 1-10 digits, nothing else, no sign, no
 * spaces, into *out (0..UINT32_MAX).  Returns 0, or -1 for anything else
 * (so "4294967297", "-1", "+1", "1x", "" all fail). */
int parse_u32(const char *s, uint32_t *out);
/* The same on exactly the n bytes at s (no NUL needed). */
int parse_u32n(const char *s, size_t n, uint32_t *out);
/* Constant-time comparison of n bytes; 0 when equal. */
int memeq_ct(const void *a, const void *b, size_t n);
/* Write all of buf to fd, retrying on EINTR and short writes. 0 or -1. */
int write_all(int fd, const void *buf, size_t n);
/* Read until n bytes or EOF, retrying on EINTR.  Returns bytes read or -1. */
ssize_t read_full(int fd, void *buf, size_t n);
/* fsync the directory dir, so the entries made, renamed or removed in
 * it are on disk.  A file system that cannot sync a directory (some
 * network and FUSE ones, which keep no directory of their own to sync)
 * answers EINVAL; that is taken as done, since there is nothing more
 * this process can do to make the entries durable.  0, or -1 with errno
 * (the open's or the fsync's). */
int fsync_dir(const char *dir);
/* Close every descriptor from lo up (close_range(2), else one by one up
 * to the descriptor limit). */
void fd_close_from(int lo);
/* Milliseconds of CLOCK_MONOTONIC: for deadlines, which a change of the
 * wall clock must not move. */
long long now_ms(void);
/* A server's own name as a greeting carries it (pop3-greeter's and
 * APOP's HOSTNAME, popkit-lmtpd's --hostname): one word of printable
 * ASCII, without '<' or '>' (the APOP timestamp's brackets), 1 to
 * DNS_NAME_MAX octets.  1 or 0. */
int hostname_valid(const char *s);
/* snprintf into out[n] that may truncate, on purpose: for messages cut
 * to fit a fixed buffer (a reason string, an error for the log). */
void str_cut(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
