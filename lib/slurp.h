/* SPDX-License-Identifier: ISC */
/*
 * slurp.h -- read a whole small file into memory in one go.
 *
 * For the files stage 2 reads at every login (the users file,
 * /etc/passwd, /etc/group): one open, one fstat and, for a file that
 * does not change meanwhile, one read of its whole size -- no stdio, no
 * read per line or per 4 KiB.  A regular file gives fewer bytes than
 * asked only at its end, so the read asks for one byte more than fstat
 * reported and stops at the first short read; a file that grew is read
 * on to its end.
 *
 * A big file (SLURP_POPULATE_MIN bytes or more) goes to memory mapped
 * with MAP_POPULATE: the kernel provides every page in the one mmap call
 * instead of one page fault per 4 KiB as read fills a fresh malloc'ed
 * buffer (a users file of thousands of lines in a new process each
 * session).
 *
 * slurp() fills *s: data holds the file and a NUL after it (a NUL inside
 * the file is kept: callers that care look for it), len its length.
 * 0, or -1 with errno set (EFBIG: longer than max).  slurp_release()
 * frees it, wiping it first when wipe_it is set (files holding hashes);
 * slurp() itself wipes any buffer it outgrows.
 */
#ifndef POPKIT_SLURP_H
#define POPKIT_SLURP_H

#include <stddef.h>

struct slurp {
    char *data;
    size_t len;
    size_t cap;     /* bytes allocated */
    int mapped;     /* by mmap (else malloc) */
};

int slurp(struct slurp *s, const char *path, size_t max);
void slurp_release(struct slurp *s, int wipe_it);

/* The lines of s, one per call: start with *pos = 0; each call returns
 * the next line (*n its length, the newline not counted, the line not
 * terminated) or NULL at the end.  A last line without a newline counts. */
char *slurp_next_line(const struct slurp *s, size_t *pos, size_t *n);

#endif
