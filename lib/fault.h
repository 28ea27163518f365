/* SPDX-License-Identifier: ISC */
/*
 * fault.h -- fault injection for the tests of maildir2mbox's exactly-once
 * promise: a kill after every step that changes the mail on disk, a full
 * disk at every write.
 *
 * Only a build with -DPOPKIT_FAULT_INJECTION has them (lib/fault.c, the
 * test twin tests/integration/maildir2mbox-fault and tests/unit/test_fault):
 * there POPKIT_FAULT_KILL=N kills the process with SIGKILL right after
 * its Nth step (a write, fsync, truncate, rename or unlink that changes
 * the mail), and POPKIT_FAULT_ENOSPC=N makes the Nth write store half its
 * bytes and fail with ENOSPC, and every later write fail.
 *
 * The confinement tests (tests/integration/confinement.py, with the
 * twins popkit-deliver-fault and popkit-lmtpd-fault) take one more:
 * POPKIT_FAULT_STOP=POINT stops the process (SIGSTOP) when it reaches
 * fault_stop(POINT), so a test can read its /proc/PID/status while it
 * is alive there, then let it go on (SIGCONT).  The point "deliver" is
 * a delivery child, confined, as it starts on a Maildir
 * (deliver_mailbox).
 *
 * Everywhere else the calls below are write(2), pwrite(2) and nothing:
 * an installed program never reads those variables, so no environment
 * can make it kill itself, stop, or lose a write on purpose.
 */
#ifndef POPKIT_FAULT_H
#define POPKIT_FAULT_H

#include <sys/types.h>
#include <unistd.h>

#ifdef POPKIT_FAULT_INJECTION
/* Call after each step that changes the mail on disk. */
void fault_step(void);
/* write(2) and pwrite(2) with the hooks: the ENOSPC injection, then a
 * step. */
ssize_t fault_write(int fd, const void *buf, size_t n);
ssize_t fault_pwrite(int fd, const void *buf, size_t n, off_t off);
/* SIGSTOP when POPKIT_FAULT_STOP is point. */
void fault_stop(const char *point);
#else
static inline void fault_stop(const char *point)
{
    (void)point;
}

static inline void fault_step(void)
{
}

static inline ssize_t fault_write(int fd, const void *buf, size_t n)
{
    return write(fd, buf, n);
}

static inline ssize_t fault_pwrite(int fd, const void *buf, size_t n,
                                   off_t off)
{
    return pwrite(fd, buf, n, off);
}
#endif

#endif
