/* SPDX-License-Identifier: ISC */
/*
 * mdquota.h -- Maildir++ quota: the maildirsize file (popkit-maildir(5),
 * "Quota"), as Courier's maildirquota specification defines it and
 * Courier, maildrop, Exim and Dovecot's quota=maildir keep it.
 *
 * maildirsize lives in the Maildir's top directory (every function takes
 * an fd of that directory).  Its first line is the quota definition, a
 * comma-separated list of NUMBER then a letter: S for octets, C for
 * messages ("1000000S,1000C", "1000000S", "1000C"; an empty line or a
 * 0 means no limit of that kind).  Every further line is two integers,
 * octets and messages, either possibly negative: the file is a journal
 * whose sum is the Maildir's usage.  A change is one line appended with
 * one write(2) on an O_APPEND descriptor, so writers need no lock and
 * concurrent lines are never interleaved.
 *
 * The usage is recalculated -- a scan of cur/ and new/ of the Maildir
 * and of its Maildir++ folders (.NAME/, but not .Trash and its
 * subfolders, which the specification leaves out of the quota), each
 * message's octets from ",S=" in its name or else from stat(2) --
 * whenever the sums cannot be trusted:
 *   - the file is longer than MDQUOTA_FILE_MAX octets (5120: it grew
 *     from many appends; the rewrite shrinks it to two lines);
 *   - a usage line is corrupt: not two integers, a number beyond
 *     MDQUOTA_VALUE_MAX, a line over MDQUOTA_LINE_MAX, a NUL, a last
 *     line without its newline, or sums that go negative;
 *   - the sums say over quota and the file is older than
 *     MDQUOTA_STALE_SECONDS (15 minutes): other programs may have
 *     removed mail without saying so, and refusing mail is the costly
 *     mistake, so it is checked before it is made.
 * The rewrite goes to tmp/ (exclusive create, full write, fsync), is
 * renamed over maildirsize, and the directory is fsync'ed; the
 * definition line is kept.  A directory that changes during the scan is
 * scanned again (MDQUOTA_RECALC_TRIES in all); the result stays
 * approximate, as the specification accepts: a delivery racing the scan
 * may be counted twice or not at all until the next recalculation.
 *
 * A missing maildirsize, or one whose first line is not a definition
 * (garbage, a number beyond MDQUOTA_VALUE_MAX, a letter other than S
 * and C, either twice), means no quota: mail is never refused for a
 * file nobody can read.  Only mdquota_set() creates the file.
 *
 * Every function returns -1 with errno set on a system error; nothing
 * here logs.
 */
#ifndef POPKIT_MDQUOTA_H
#define POPKIT_MDQUOTA_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "maildir.h"
#include "params.h"

/* The quota file's name in the Maildir's top directory. */
#define MDQUOTA_NAME "maildirsize"

/* The limits: 0 means none of that kind. */
struct mdquota_def {
    uint64_t max_bytes, max_count;
};

/* What mdquota_load() found. */
struct mdquota {
    int defined;            /* 1: a maildirsize with a valid definition */
    struct mdquota_def def;
    uint64_t bytes, count;  /* usage: the sums of the lines */
    time_t mtime;           /* of the file read, for the 15 minutes */
    int recalculated;       /* 1: this load rewrote the file */
};

/* ---- The definition line: pure functions ---- */

/* Parse a definition line of exactly len octets (no newline) into *d.
 * The empty line is no quota.  0, or -1 when it is not one. */
int mdquota_parse_def(const char *s, size_t len, struct mdquota_def *d);
/* An administrator's quota (vuser quota): "SIZE" or "SIZE,COUNT" in
 * plain numbers, or a definition as in the file ("1000000S,1000C").
 * 0, or -1 when it is neither. */
int mdquota_parse_arg(const char *s, struct mdquota_def *d);
/* Write d as a definition line, without newline, into out (at least
 * MDQUOTA_LINE_MAX octets): "NS,MC", "NS", "MC", or "0S" for no limit
 * at all (as Dovecot writes it: an empty first line confuses readers
 * that skip blank lines).  Returns its length. */
size_t mdquota_format_def(const struct mdquota_def *d, char *out);

/* ---- Reading ---- */

/* Load dirfd's maildirsize into *q, recalculating as above when it is
 * too long or corrupt (not for staleness: that is mdquota_check's).
 * 1 with *q filled, 0 when there is no quota (q->defined 0: no file, or
 * no valid definition), -1 on error. */
int mdquota_load(int dirfd, struct mdquota *q);
/* Would one more message of size octets fit?  Pure: 1 when q has no
 * quota or usage + size stays within both limits (exactly at a limit
 * still fits), else 0. */
int mdquota_fits(const struct mdquota *q, uint64_t size);
/* The delivery agent's decision: mdquota_fits(), and when it says no
 * and the file is older than MDQUOTA_STALE_SECONDS (at now), recalculate
 * and decide again (q updated).  1 fits, 0 over quota, -1 error. */
int mdquota_check(int dirfd, struct mdquota *q, uint64_t size, time_t now);

/* ---- Writing ---- */

/* Append the line "bytes count" to an existing maildirsize: one write
 * of one line, O_APPEND, never creating the file.  0; 1 when there is
 * no maildirsize (nothing written); -1 on error (a short write is
 * reported, and the torn line makes the next load recalculate). */
int mdquota_add(int dirfd, int64_t bytes, int64_t count);
/* A delivery of size octets: "+size 1". */
int mdquota_record_delivery(int dirfd, uint64_t size);
/* Removals of count messages, bytes octets in all: one line "-bytes
 * -count".  Nothing is written when count is 0. */
int mdquota_record_removal(int dirfd, uint64_t bytes, uint64_t count);
/* Rewrite maildirsize from a scan with definition d, creating it when
 * missing (for vuser quota; for mdquota_load).  *q, when not NULL,
 * gets the result.  0 or -1. */
int mdquota_recalc(int dirfd, const struct mdquota_def *d, struct mdquota *q);
/* Set the definition: mdquota_recalc() with d. */
int mdquota_set(int dirfd, const struct mdquota_def *d, struct mdquota *q);
/* Remove maildirsize: no quota.  0 (also when there was none) or -1. */
int mdquota_unset(int dirfd);

/* ---- Removing messages (pop3-maildir's UPDATE state) ---- */

/* What a session removed, for one line at its end.  Zero it first. */
struct mdquota_removed {
    int state;              /* 0 not looked, 1 maildirsize, 2 none */
    uint64_t bytes, count;
};
/* Remove message i as maildir_msg_unlink() does, and when the Maildir
 * has a maildirsize (looked up once, at the first call) count its octets
 * (",S=" in its name, else fstat) into *r -- only when this call removed
 * the file, not when it was already gone.  Without a maildirsize it is
 * maildir_msg_unlink() and no more.  0 or -1, as maildir_msg_unlink(). */
int mdquota_msg_unlink(struct maildir *md, size_t i, struct mdquota_removed *r);
/* The same for a file named name in the directory dfd, for a program
 * that keeps its own names (maildir2mbox): unlinkat(2), counting the
 * file into *r when it removed it and topfd, the Maildir, has a
 * maildirsize.  0, or -1 with errno as unlinkat (ENOENT: nothing was
 * there, nothing counted). */
int mdquota_unlink_at(int topfd, int dfd, const char *name,
                      struct mdquota_removed *r);
/* Append the one line for what *r counted (nothing when it counted
 * none or there is no maildirsize).  0, or -1 on error. */
int mdquota_removed_commit(int dirfd, const struct mdquota_removed *r);

#endif
