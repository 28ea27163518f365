/* SPDX-License-Identifier: ISC */
/*
 * linefile.h -- edit a small text file of lines under a lock and write it
 * back atomically: the users file (userdb.h) and the alias files
 * (aliases.h) share this one mechanism.
 *
 * linefile_load takes an exclusive flock(2) on FILE.lock, held until
 * linefile_close, so two concurrent read-modify-write cycles are
 * serialised and neither edit is lost.  linefile_commit writes every line
 * to a temporary file in FILE's directory (FILE.tmpXXXXXX, given FILE's
 * mode and, when run as root, owner), fsyncs it, renames it over FILE and
 * fsyncs the directory: a reader that does not lock sees the whole old
 * file or the whole new one, and a crash or a kill at any point leaves
 * one of the two (at worst a stray FILE.tmpXXXXXX beside it).
 */
#ifndef POPKIT_LINEFILE_H
#define POPKIT_LINEFILE_H

#include <stddef.h>
#include <sys/types.h>

struct linefile {
    char *path;
    int lockfd;
    char **lines;       /* every line of the file, without newline */
    size_t n, cap;
    int exists;         /* did the file exist when loaded? */
    mode_t mode;        /* its permissions (new_mode for a new file) */
    uid_t uid;          /* and owner, kept across the rewrite by root */
    gid_t gid;
};

/* Lock PATH.lock, then read PATH (a missing file is an empty one, given
 * new_mode when committed).  0, or -1 with errno set (EINVAL: the file
 * holds a NUL byte, which a rewrite could not keep).  Call linefile_close
 * in both cases. */
int linefile_load(struct linefile *f, const char *path, mode_t new_mode);
/* Insert line (taken over: malloc'ed, freed by linefile_close) before
 * index i (i == f->n appends).  0 or -1 (ENOMEM; line not taken). */
int linefile_insert(struct linefile *f, size_t i, char *line);
/* Remove count lines from index i, wiping them. */
void linefile_remove(struct linefile *f, size_t i, size_t count);
/* Write the file back atomically, as above.  0 or -1 with errno set; on
 * failure PATH is untouched. */
int linefile_commit(const struct linefile *f);
/* Release the lock and wipe and free everything. */
void linefile_close(struct linefile *f);

#endif
