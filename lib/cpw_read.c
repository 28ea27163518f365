/* SPDX-License-Identifier: ISC */
/*
 * cpw_read.c -- stage 2's side of the checkpassword interface (cpw.h).
 *
 * The payload is read to EOF into a fixed buffer one byte larger than the
 * limit, so an overlong payload is noticed without storing it all.  The
 * timestamp may be absent (login\0password\0 is what some greeters send);
 * any text after the second NUL must end in a NUL.  An overlong payload
 * is not drained: closing the pipe gives the writer EPIPE.
 */
#include "config.h"

#include "cpw.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Split buf[0..n) into the three fields; 0 or CPW_MISUSE. */
static int cpw_split(struct cpw_creds *c, size_t n)
{
    const char *end = c->buf + n;
    const char *p = c->buf;
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul)
        return CPW_MISUSE;
    c->login = p;
    p = nul + 1;
    nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul)
        return CPW_MISUSE;
    c->password = p;
    p = nul + 1;
    if (p == end) {
        c->timestamp = "";
        return 0;
    }
    nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul)
        return CPW_MISUSE;
    c->timestamp = p;
    return 0;
}

int cpw_read(struct cpw_creds *c)
{
    ssize_t n;
    int rc;

    memset(c, 0, sizeof *c);
    n = read_full(CPW_FD, c->buf, CPW_MAX + 1);
    if (n < 0) {
        /* No descriptor 3 at all means we were called wrongly (from a
         * shell, say); any other read error is the system's. */
        rc = errno == EBADF ? CPW_MISUSE : CPW_TEMP;
        close(CPW_FD);
        return rc;
    }
    if (n > CPW_MAX) {
        close(CPW_FD);
        cpw_wipe(c);
        return CPW_MISUSE;
    }
    close(CPW_FD);
    c->buf[n] = '\0';
    rc = cpw_split(c, (size_t)n);
    if (rc)
        cpw_wipe(c);
    return rc;
}

void cpw_wipe(struct cpw_creds *c)
{
    wipe(c->buf, sizeof c->buf);
    c->login = c->password = c->timestamp = NULL;
}
