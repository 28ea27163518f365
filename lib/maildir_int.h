/* SPDX-License-Identifier: ISC */
/*
 * maildir_int.h -- what maildir.c, maildir_name.c and maildir_cache.c
 * share among themselves.  Not a contract: programs use maildir.h.
 */
#ifndef POPKIT_MAILDIR_INT_H
#define POPKIT_MAILDIR_INT_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "maildir.h"

/* 1..maxdigits decimal digits at s, stopping at the first non-digit
 * (*end).  0, or -1 when there are none or too many. */
int maildir_parse_digits(const char *s, int maxdigits, uint64_t *val,
                         const char **end);

/* Compare two names by their part before ':' (the name without flags,
 * which a message keeps for life): <0, 0, >0 as strcmp. */
int maildir_name_keycmp(const char *a, const char *b);

/* Grow the anonymous mapping *p of *cap bytes to at least need (mremap:
 * no copy; untouched pages cost nothing).  0 or -1 (ENOMEM). */
int maildir_region_grow(void **p, size_t *cap, size_t need);

/* The full file name of m, rebuilt into out (NAME_MAX + 1) if the arena
 * holds only part of it; else a pointer into the arena. */
const char *maildir_build_name(const struct maildir *md,
                               const struct maildir_msg *m, char *out);

/* Session order: time, usec, the name without flags, the whole name.
 * True when x comes before y.
 * Uses md->namebuf for ties. */
int maildir_msg_before(struct maildir *md, const struct maildir_msg *x,
                       const struct maildir_msg *y);

/* The size cache: fill unknown sizes of the sorted md->msg (buf: a
 * MAILDIR_READ_CHUNK scratch buffer).  Returns the cache lines that went
 * unused (stale or bad), or -1 when there is no usable cache. */
long maildir_sizes_apply(struct maildir *md, char *buf);
/* Write the size cache for every message whose name gives no size (in
 * new/ or cur/: the move keeps the base, the cache's key). */
void maildir_sizes_write(struct maildir *md, char *buf);

/* What identifies a directory's state for the listing cache. */
struct dir_key {
    uint64_t dev, ino;
    int64_t msec, mnsec, csec, cnsec;
};
void maildir_dir_key(struct dir_key *k, const struct stat *st);
/* True when st's mtime and ctime are older than start (the
 * CLOCK_REALTIME_COARSE time read before st was taken) by more than the
 * file system's stamp rounding: then a later change cannot leave the
 * stamps as they are (maildir_cache.c says why). */
int maildir_settled(const struct stat *st, const struct timespec *start);
/* Load the listing saved for exactly these directories, checking every
 * entry.  0 (md->msg, md->arena filled) or -1 (md left empty). */
int maildir_listing_load(struct maildir *md, const struct dir_key *cur,
                         const struct dir_key *new);
void maildir_listing_write(struct maildir *md, const struct dir_key *cur,
                           const struct dir_key *new);

#endif
