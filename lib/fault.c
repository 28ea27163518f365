/* SPDX-License-Identifier: ISC */
/* The hooks of fault.h, for test builds only (see there). */
#ifndef POPKIT_FAULT_INJECTION
#error "lib/fault.c is for test builds: compile it with -DPOPKIT_FAULT_INJECTION"
#endif

#include "fault.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static long fault_env(const char *name)
{
    const char *s = getenv(name);
    return s && *s ? atol(s) : 0;
}

static long fault_steps, fault_writes;

void fault_step(void)
{
    static long kill_at = -1;
    if (kill_at < 0)
        kill_at = fault_env("POPKIT_FAULT_KILL");
    if (kill_at > 0 && ++fault_steps >= kill_at)
        raise(SIGKILL);
}

void fault_stop(const char *point)
{
    const char *s = getenv("POPKIT_FAULT_STOP");
    if (s && strcmp(s, point) == 0)
        raise(SIGSTOP);
}

/* 0: write all of n; else how many bytes to store before failing. */
static int fault_enospc(size_t n, size_t *partial)
{
    static long enospc_at = -1;
    if (enospc_at < 0)
        enospc_at = fault_env("POPKIT_FAULT_ENOSPC");
    if (enospc_at <= 0)
        return 0;
    fault_writes++;
    if (fault_writes < enospc_at)
        return 0;
    *partial = fault_writes == enospc_at ? n / 2 : 0;
    return 1;
}

ssize_t fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    size_t part;
    if (fault_enospc(n, &part)) {
        if (part > 0 && pwrite(fd, buf, part, off) > 0)
            fault_step();
        errno = ENOSPC;
        return -1;
    }
    ssize_t r = pwrite(fd, buf, n, off);
    if (r > 0)
        fault_step();
    return r;
}

ssize_t fault_write(int fd, const void *buf, size_t n)
{
    size_t part;
    if (fault_enospc(n, &part)) {
        if (part > 0 && write(fd, buf, part) > 0)
            fault_step();
        errno = ENOSPC;
        return -1;
    }
    ssize_t r = write(fd, buf, n);
    if (r > 0)
        fault_step();
    return r;
}
