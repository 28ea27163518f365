/* SPDX-License-Identifier: ISC */
/*
 * maildir_cache.h -- the size cache and the listing cache of maildir.h
 * (maildir_cache.c), for the layers above it (sizes, moves, the scan).
 * Not a contract: programs use maildir.h.
 */
#ifndef POPKIT_MAILDIR_CACHE_H
#define POPKIT_MAILDIR_CACHE_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "maildir.h"

/* The size cache: fill unknown sizes of the sorted md->msg (buf: a
 * MAILDIR_READ_CHUNK scratch buffer).  Returns the cache lines that went
 * unused (stale or bad), or -1 when there is no usable cache. */
long maildir_sizes_apply(struct maildir *md, char *buf);
/* Write the size cache for every message whose name gives no size (in
 * new/ or cur/: the move keeps the base, the cache's key), with a buffer
 * of its own: it may run in the rename helper, after the answer.  Out
 * of memory, none is written: the next session reads the files again. */
void maildir_sizes_write(struct maildir *md);

/* What identifies a directory's state for the listing cache. */
struct dir_key {
    uint64_t dev, ino;
    int64_t msec, mnsec, csec, cnsec;
};
/* The key of a directory from its stat; without st_dev when shared (a
 * network or cluster file system, where each mount has a device number
 * of its own and the inode numbers are the server's). */
void maildir_dir_key(struct dir_key *k, const struct stat *st, int shared);
/* stat the directory fd past the kernel's attribute cache (statx with
 * AT_STATX_FORCE_SYNC; fstat where the kernel has no statx), so the
 * stamps are the server's now, not what NFS's actimeo or FUSE's
 * attribute timeout kept.  Fills st_dev, st_ino, st_mode and the three
 * stamps.  0, or -1 with errno. */
int maildir_dir_stat(int fd, struct stat *st);
/* Whether the file system of fd is shared with other hosts: anything
 * but the local file systems popkit knows (maildir_cache.c lists them);
 * an unknown one counts as shared, the safe side. */
int maildir_fs_shared(int fd);
/* True when st's mtime and ctime are older than start (the
 * CLOCK_REALTIME_COARSE time read before st was taken) by more than the
 * file system's stamp rounding plus settle_ms (the clock skew between
 * hosts sharing the file system): then a later change cannot leave the
 * stamps as they are (maildir_cache.c says why). */
int maildir_settled(const struct stat *st, const struct timespec *start,
                    int settle_ms);
/* Load the listing saved for exactly these directories, checking every
 * entry.  0 (md->msg, md->arena filled) or -1 (md left empty). */
int maildir_listing_load(struct maildir *md, const struct dir_key *cur,
                         const struct dir_key *new);
void maildir_listing_write(struct maildir *md, const struct dir_key *cur,
                           const struct dir_key *new);

#endif
