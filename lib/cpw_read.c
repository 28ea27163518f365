/* SPDX-License-Identifier: ISC */
/*
 * cpw_read.c -- stage 2's side of the checkpassword interface (cpw.h).
 *
 * The payload is read to EOF into a fixed buffer one byte larger than the
 * limit, so an overlong payload is noticed without storing it all, and
 * split by cpw_unpack (cpw_record.c), which says what a record may be.
 * An overlong payload is not drained: closing the pipe gives the writer
 * EPIPE.
 */
#include "cpw.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int cpw_read(struct cpw_creds *c)
{
    memset(c, 0, sizeof *c);
    ssize_t n = read_full(CPW_FD, c->buf, CPW_MAX + 1);
    if (n < 0) {
        /* No descriptor 3 at all means we were called wrongly (from a
         * shell, say); any other read error is the system's. */
        int rc = errno == EBADF ? CPW_MISUSE : CPW_TEMP;
        close(CPW_FD);
        return rc;
    }
    close(CPW_FD);
    /* More than CPW_MAX bytes (the buffer's last one read) is misuse too. */
    if (cpw_unpack(c->buf, (size_t)n, &c->login, &c->password,
                   &c->timestamp) < 0) {
        cpw_wipe(c);
        return CPW_MISUSE;
    }
    return 0;
}

void cpw_wipe(struct cpw_creds *c)
{
    wipe(c->buf, sizeof c->buf);
    c->login = c->password = c->timestamp = NULL;
}
