/* SPDX-License-Identifier: ISC */
/*
 * caps.h -- the Linux capabilities of this process, given up for good
 * (privdrop.h calls these around its uid change).
 *
 * setresuid(2) away from root empties the permitted, effective and
 * ambient sets (keepcaps off), but not the inheritable set, nor the
 * bounding set, which bounds what an exec can grant: a set-user-ID-root
 * file or file capabilities.  no_new_privs stops those grants too; an
 * empty bounding set is the second lock, and the only one for a child
 * that may not take no_new_privs (the forward to the MTA's sendmail,
 * deliver.c).
 *
 * caps_empty_bounding(), before the uid change: when the process holds
 * CAP_SETPCAP, drops every capability the kernel knows from the bounding
 * set (PR_CAPBSET_DROP) and returns 1.  The last capability is where
 * PR_CAPBSET_READ fails with EINVAL, not /proc/sys/kernel/cap_last_cap:
 * a chrooted process, or one under systemd's ProcSubset=pid, has no
 * /proc/sys.  A process holding no capability at all has nothing to
 * give up and cannot touch its bounding set: 0.  One that holds some,
 * but not CAP_SETPCAP, could not give them all up: -1 (EPERM), unless
 * it is not root (a non-root process with capabilities keeps the
 * bounding set every user's process has): 0.
 *
 * caps_clear(), after it: keepcaps off, the ambient set cleared, and the
 * permitted, effective and inheritable sets emptied (capset(2); giving
 * up needs no privilege).
 *
 * caps_check(bounding) reads them back: the three sets and the ambient
 * set empty, and with bounding the bounding set too.
 *
 * Each returns as said, or -1 with errno set and *why naming the step
 * (a static string for the log).  No libcap, and no kernel header: the
 * structures of capget(2) are declared here, so the static musl
 * programs build them too.
 */
#ifndef POPKIT_CAPS_H
#define POPKIT_CAPS_H

int caps_empty_bounding(const char **why);
int caps_clear(const char **why);
int caps_check(int bounding, const char **why);

#endif
