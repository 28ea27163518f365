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
 * slurp() returns a malloc'ed buffer holding the file and a NUL after
 * it (a NUL inside the file is kept: callers that care look for it),
 * with its length in *len; or NULL with errno set (EFBIG: longer than
 * max).  Callers holding secrets wipe the buffer before freeing it; so
 * does slurp() itself with any buffer it outgrows.
 */
#ifndef POPKIT_SLURP_H
#define POPKIT_SLURP_H

#include <stddef.h>

char *slurp(const char *path, size_t max, size_t *len);

#endif
