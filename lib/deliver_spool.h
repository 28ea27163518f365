/* SPDX-License-Identifier: ISC */
/*
 * deliver_spool.h -- what the layers above the spool (deliver_spool.c)
 * share of it: the test for text a header line may hold and the copy
 * of the spool out behind such lines.  Not a contract: programs use
 * deliver.h.
 */
#ifndef POPKIT_DELIVER_SPOOL_H
#define POPKIT_DELIVER_SPOOL_H

#include <stddef.h>

#include "deliver.h"

/* Text that goes into a header line must not break it. */
static inline int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Write prefix then the spool into fd.  0 or -1 with errno. */
int deliver_spool_copy(int fd, const char *prefix, size_t plen,
                       const struct deliver_spool *s);

#endif
