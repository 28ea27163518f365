/* SPDX-License-Identifier: ISC */
/*
 * mdmake.h -- make a Maildir: DIR and DIR/tmp, DIR/new, DIR/cur, the one
 * way maildirmake(1) and vuser(8) make one.
 *
 * Every directory it creates gets mode 0700 whatever the umask (the mail
 * is its owner's alone) and, when asked, belongs to uid:gid (set on the
 * directory it opened without following links, so a link planted in its
 * place is not given away).  An existing directory is refused (EEXIST)
 * unless may_exist, when it is taken as it is and only what is missing
 * is made; something else of that name is ENOTDIR.  When it made
 * anything it fsyncs DIR and DIR's parent, so the new entries survive a
 * crash before the first delivery trusts them.
 */
#ifndef POPKIT_MDMAKE_H
#define POPKIT_MDMAKE_H

#include <sys/types.h>

#include "params.h"

/* Where mdmake() stopped: what it could not do, to which path. */
struct mdmake_fail {
    const char *what;   /* "cannot create", "cannot sync", ... */
    int exists;         /* path was there: a directory (errno EEXIST,
                           without may_exist) or not one (ENOTDIR) */
    char path[MDMAKE_PATH_MAX];
};

/* Make the Maildir dir (see above); uid (uid_t)-1: leave the owner
 * alone.  1 if it made something, 0 if all was there (may_exist), or
 * -1 with errno set and *f filled. */
int mdmake(const char *dir, int may_exist, uid_t uid, gid_t gid,
           struct mdmake_fail *f);

/* The directory that holds dir ("." for a bare name, trailing slashes
 * ignored), malloc'ed; NULL when out of memory. */
char *mdmake_parent(const char *dir);

#endif
