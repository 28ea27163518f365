/* SPDX-License-Identifier: ISC */
/*
 * acctfile.h -- a login's account and groups from passwd- and
 * group-format files (/etc/passwd, /etc/group), without NSS.
 *
 * checkpassword-virtual and pop3-greeter are linked statically, and a
 * static program must not go through NSS: glibc would dlopen the
 * modules nsswitch.conf names (libnss_systemd, and with it libcap and
 * libm) at every login, which costs more than the lookup itself.  So it reads the local files the
 * way NSS's `files` service does, and owners of virtual users must be
 * local accounts (popkit-users(5)).
 *
 * acctfile_find() reads PASSWD for the first well-formed line named
 * LOGIN (compared exactly, case and all).  As with `files`, blanks
 * before a line are skipped, empty lines and lines starting with '#'
 * are ignored, and so are malformed lines: fewer than seven fields, or
 * a uid or gid that is not a plain decimal number below 2^32-1.  The
 * shell is the rest of the line after the sixth colon.
 *
 * It then reads GROUP for the supplementary groups getgrouplist(3)
 * would give with `files` alone: the primary gid first, then in file
 * order every group whose member list (the fourth field, names between
 * commas, blanks before a name skipped) holds LOGIN, each gid once.
 * Group lines with fewer than four fields or a bad gid are ignored.
 * With GROUP NULL no group file is read (groups NULL, ngroups 0): for
 * a caller that keeps only the primary gid (pop3-greeter's parser).
 *
 * Each file is read whole with slurp() (one read, no per-line system
 * call); lines may be of any length.  The files are at most
 * ACCTFILE_MAX bytes.
 *
 * Returns 1 and fills *a (release with acctfile_free), 0 when PASSWD
 * has no such login, -1 with errno set when a file cannot be read.
 */
#ifndef POPKIT_ACCTFILE_H
#define POPKIT_ACCTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ACCTFILE_PASSWD "/etc/passwd"
#define ACCTFILE_GROUP "/etc/group"

struct acctfile {
    char *name;
    uid_t uid;
    gid_t gid;
    char *home;
    char *shell;
    gid_t *groups;      /* groups[0] == gid */
    size_t ngroups;
    char *storage;      /* what name, home and shell point into (owned) */
};

int acctfile_find(const char *passwd, const char *group, const char *login,
                   struct acctfile *a);
/* A uid or gid as those files write it: the n bytes at s are 1-10
 * decimal digits, below 2^32-1 ((uid_t)-1 means "no change" to
 * setresuid).  0, or -1. */
int acctfile_parse_id(const char *s, size_t n, uint32_t *out);
void acctfile_free(struct acctfile *a);

#endif
