/* SPDX-License-Identifier: ISC */
/*
 * privsep.h -- the account and the empty directory a network parser runs
 * in, and the drop into them, for every program with a privilege line:
 * pop3-greeter (pop3d/greeter_root.c) and popkit-lmtpd
 * (deliver/lmtp_root.c).  The root part keeps its privilege; the child
 * that reads the client calls privsep_drop() before it reads a byte.
 *
 * privsep_prepare(), in the root part at start-up:
 *   - not root: nothing to drop; ps->enabled is 0 and the log says the
 *     parser runs without privilege separation;
 *   - root: the account is USER (a name, looked up in /etc/passwd by
 *     lib/acctfile, never NSS, so static programs load no NSS module; or
 *     UID:GID), by default PRIVSEP_USER, else PRIVSEP_FALLBACK with a
 *     warning; never uid or gid 0.  The directory is DIR (default
 *     PRIVSEP_DIR, created 0755 when missing) and must be root's and
 *     writable by nobody else.
 * Any failure dies with EXIT_TEMP (lib/log), saying what to fix.
 *
 * privsep_drop(), in the child: chroot and change to the account (when
 * enabled), then RLIMIT_NOFILE to max_files (a new descriptor must be
 * below it: 1 forbids every open, socket, pipe and dup while fd 0 stays),
 * no processes, no core, no new privileges, not dumpable.  Dies with
 * EXIT_TEMP when a step fails.
 */
#ifndef POPKIT_PRIVSEP_H
#define POPKIT_PRIVSEP_H

#include <sys/resource.h>
#include <sys/types.h>

struct privsep {
    int enabled;      /* started as root: drop and chroot */
    uid_t uid;
    gid_t gid;
    const char *user; /* what the log calls the account */
    const char *dir;
};

/* user: --privsep-user, NULL for the default; dir: --privsep-dir, NULL
 * for the default. */
void privsep_prepare(struct privsep *ps, const char *user, const char *dir);
void privsep_drop(const struct privsep *ps, rlim_t max_files);

#endif
