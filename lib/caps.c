/* SPDX-License-Identifier: ISC */
/*
 * caps.c -- caps.h: the capability sets emptied and read back, with
 * capget/capset and prctl(2) only.
 */
#include "caps.h"

#include <errno.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "params.h"

/* capget(2)'s ABI (linux/capability.h, which musl-gcc cannot see):
 * version 3, two 32-bit words for each set. */
#define CAPS_VERSION_3 0x20080522u
#define CAPS_SETPCAP 8

struct caps_header {
    uint32_t version;
    int pid;
};

struct caps_data {
    uint32_t effective, permitted, inheritable;
};

static int fail(const char **why, const char *what, int err)
{
    *why = what;
    errno = err;
    return -1;
}

/* d filled with zeros first by the callers: valgrind takes capget(2) to
 * write only the first of the two. */
static int caps_get(struct caps_data d[2])
{
    struct caps_header h = { CAPS_VERSION_3, 0 };
    return (int)syscall(SYS_capget, &h, d);
}

static int caps_set(const struct caps_data d[2])
{
    struct caps_header h = { CAPS_VERSION_3, 0 };
    return (int)syscall(SYS_capset, &h, d);
}

int caps_empty_bounding(const char **why)
{
    struct caps_data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    *why = "";
    if (caps_get(d) < 0)
        return fail(why, "capget", errno);
    if (!(d[0].effective & (1u << CAPS_SETPCAP))) {
        if ((d[0].permitted | d[1].permitted) == 0 || geteuid() != 0)
            return 0;   /* nothing held, or not root: see caps.h */
        return fail(why, "emptying the capability bounding set "
                         "(no CAP_SETPCAP)", EPERM);
    }
    for (int cap = 0; cap < CAPS_MAX; cap++) {
        int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in < 0 && errno == EINVAL)
            break;      /* past the kernel's last capability */
        if (in < 0)
            return fail(why, "reading the capability bounding set", errno);
        if (in && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return fail(why, "emptying the capability bounding set", errno);
    }
    return 1;
}

int caps_clear(const char **why)
{
    static const struct caps_data none[2];
    *why = "";
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return fail(why, "turning keepcaps off", errno);
    /* Linux before 4.3 has no ambient set: nothing to clear there. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0
        && errno != EINVAL)
        return fail(why, "clearing the ambient capabilities", errno);
    if (caps_set(none) < 0)
        return fail(why, "emptying the capability sets", errno);
    return 0;
}

/* 1 when some capability is in the ambient set (ambient) or the bounding
 * set, 0 when none is, -1 on an error.  The kernel's last capability is
 * where the question fails with EINVAL (at 0: a kernel before 4.3,
 * without ambient capabilities). */
static int any_in(int ambient)
{
    for (int cap = 0; cap < CAPS_MAX; cap++) {
        int in = ambient
                     ? prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0)
                     : prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (in < 0)
            return errno == EINVAL ? 0 : -1;
        if (in)
            return 1;
    }
    return 0;
}

int caps_check(int bounding, const char **why)
{
    struct caps_data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    int amb, bnd = 0;
    *why = "";
    if (caps_get(d) < 0)
        return fail(why, "capget", errno);
    for (int i = 0; i < 2; i++)
        if (d[i].effective | d[i].permitted | d[i].inheritable)
            return fail(why, "capabilities kept after the drop", EPERM);
    if ((amb = any_in(1)) != 0)
        return fail(why, "ambient capabilities kept after the drop",
                    amb < 0 ? errno : EPERM);
    if (bounding && (bnd = any_in(0)) != 0)
        return fail(why, "capability bounding set kept after the drop",
                    bnd < 0 ? errno : EPERM);
    return 0;
}
