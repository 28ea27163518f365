/* SPDX-License-Identifier: ISC */
/*
 * maildir_array.h -- the bottom of lib/maildir (maildir_array.c): the
 * flat message array and its name arena in two growing mappings, the
 * session order, and the few calls every layer above shares (the maps
 * and waits of helper processes, opening a directory or a message
 * safely).  Not a contract: programs use maildir.h.
 */
#ifndef POPKIT_MAILDIR_ARRAY_H
#define POPKIT_MAILDIR_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "maildir.h"

/* The info the move to cur/ gives a name that had none: ":2," (no
 * flags).  Most names in cur/ end so; the arena leaves it out. */
#define MAILDIR_INFO_EMPTY ":2,"
#define MAILDIR_INFO_EMPTY_LEN 3

/* ---- Memory ---- */

/* Grow the anonymous mapping *p of *cap bytes to at least need (mremap:
 * no copy; untouched pages cost nothing).  0 or -1 (ENOMEM). */
int maildir_region_grow(void **p, size_t *cap, size_t need);
/* Unmap a region (p may be NULL). */
void maildir_region_free(void *p, size_t cap);
/* A map both processes of a fork write (a helper's results), or NULL. */
void *maildir_shared_map(size_t len);
/* Wait for a helper process to end (however it ends). */
void maildir_helper_wait(pid_t pid);

/* ---- Opening safely ---- */

/* A directory at at/path, close-on-exec.  fd or -1. */
int maildir_open_dir_at(int at, const char *path);
/* A message file: no symlinks, no blocking on a FIFO put in its place
 * (the readers check the type before reading past the size they
 * expect).  fd or -1 (errno ENOENT when gone). */
int maildir_open_msg_at(int dirfd, const char *name);

/* ---- Names in the arena ---- */

/* The full file name of m, rebuilt into out (NAME_MAX + 1) if the arena
 * holds only part of it; else a pointer into the arena. */
const char *maildir_build_name(const struct maildir *md,
                               const struct maildir_msg *m, char *out);
/* Store name for m in the arena, leaving out what m's fields rebuild
 * exactly (m->time must be set).  0 or -1 (ENOMEM; m keeps its name). */
int maildir_store_name(struct maildir *md, struct maildir_msg *m,
                       const char *name);
/* Append a message whose facts are all known (flags: MAILDIR_F_NEW or
 * 0; st: its mtime stands in when the name has no time).  0 or -1
 * (ENOMEM). */
int maildir_msg_add(struct maildir *md, const char *name, unsigned flags,
                    uint64_t wire, const struct stat *st);

/* ---- The order ---- */

/* Session order: time, usec, the name without flags, the whole name.
 * True when x comes before y.
 * Uses md->namebuf for ties. */
int maildir_msg_before(struct maildir *md, const struct maildir_msg *x,
                       const struct maildir_msg *y);
/* Sort md->msg[0..count) into session order, in place. */
void maildir_sort(struct maildir *md);

#endif
