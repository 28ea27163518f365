/* SPDX-License-Identifier: ISC */
/*
 * sysacct.h -- what checkpassword-shadow and checkpassword-pam share:
 * their options, the minimum-uid policy and the final switch to the
 * system account.
 */
#ifndef POPKIT_SYSACCT_H
#define POPKIT_SYSACCT_H

#include <pwd.h>
#include <sys/types.h>

struct sysacct_opts {
    uid_t min_uid;          /* -m: accounts below are refused */
    const char *service;    /* -s: PAM service (pam only) */
    int no_session;         /* -n: no PAM session (pam only) */
};

/* Parse [-m MINUID] plus, when pam, [-s SERVICE] [-n]; --help and
 * --version answer and exit 0 (usage.h), with the program's usage text.
 * Returns the index of PROG in argv; wrong usage is said, with the
 * usage, and exits 2. */
int sysacct_args(int argc, char **argv, int pam, const char *usage,
                 struct sysacct_opts *o);

/* May this account log in at all?  Not uid 0, not below min_uid.  Logs
 * the refusal. */
int sysacct_allowed(const struct passwd *pw, uid_t min_uid);

/* Set USER, HOME, SHELL from pw, change to HOME, exec prog.  Returns
 * only on failure, with CPW_TEMP, after logging why.  The identity must
 * already be switched (privdrop_become or privdrop_set_ids). */
int sysacct_exec(const struct passwd *pw, char **prog);

#endif
