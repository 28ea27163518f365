/* SPDX-License-Identifier: ISC */
/*
 * userdb.h -- the virtual users file (popkit-users(5)).
 *
 * One user a line, address:hash:owner:home[:apop], '#' comments and empty
 * lines ignored.  Addresses are compared case-insensitively (ASCII) as a
 * whole, so webmaster@abc.com and WebMaster@ABC.com are one user while
 * webmaster@abc.com and webmaster@another.org are two.
 *
 * Readers (checkpassword-virtual) scan the file without a lock: writers
 * replace it with rename(2), so a reader sees the old or the new file,
 * never half of one.  Writers (vuser) take an exclusive flock(2) on
 * FILE.lock for the whole read-modify-write, so two concurrent edits are
 * serialised and neither is lost; the new file is written to a temporary
 * file in the same directory, fsync'ed, renamed over FILE, and the
 * directory fsync'ed (linefile.h, shared with the alias files).  Lines a writer does not touch -- comments, and
 * lines it cannot parse -- are written back byte for byte.
 */
#ifndef POPKIT_USERDB_H
#define POPKIT_USERDB_H

#include <stddef.h>
#include <sys/types.h>

#include "linefile.h"

struct userdb_entry {
    char *address;
    char *hash;     /* crypt(3) string; "" or "!..." = locked */
    char *owner;    /* system login owning the mail */
    char *home;     /* absolute directory holding the Maildir */
    char *apop;     /* APOP secret in hex, "" when the user has none */
    char *maildir;  /* NULL or "": HOME/Maildir; a directory's own
                       path (ldaprcpt.h), never from the users file */
    char *line;     /* storage the fields point into (owned) */
    size_t size;    /* its size in bytes, for wiping */
};

/* Split line (no newline) in place.  1 = an entry (fields checked with
 * the userdb_valid_* functions below), 0 = comment or blank, -1 = a line
 * that is neither. */
int userdb_parse(char *line, struct userdb_entry *e);

/* Field checks used by the parser and by vuser before it writes. */
int userdb_valid_address(const char *a);
int userdb_valid_owner(const char *o);
int userdb_valid_home(const char *h);
int userdb_valid_hash(const char *h);
int userdb_valid_apop(const char *hex);
/* Case-insensitive (ASCII) address equality; 1 when equal. */
int userdb_addr_eq(const char *a, const char *b);

/* Scan the whole file (the same work wherever the user is, or whether it
 * is there at all) for address.  The file is read with one read(2) into
 * memory (slurp.h; at most USERDB_FILE_MAX bytes, else -1 with EFBIG),
 * split and wiped there: no stdio, no system call per line.  Returns 1 and fills *e (release with
 * userdb_entry_free), 0 when absent, -1 when the file cannot be read
 * (errno set).  When tmpl is not NULL it receives the first hash in the
 * file that is not locked (or ""), for a dummy check of like cost; *malformed, when not NULL,
 * counts the lines that are neither entries nor comments. */
int userdb_lookup(const char *path, const char *address,
                  struct userdb_entry *e, char *tmpl, size_t tmplsz,
                  size_t *malformed);
/* Wipe and free the entry's storage. */
void userdb_entry_free(struct userdb_entry *e);
/* "address:hash:owner:home[:apop]" in fresh memory, or NULL (ENOMEM). */
char *userdb_format(const struct userdb_entry *e);

/* ---- editing (vuser) ---- */
/* The users file under edit: its lines, locked (linefile.h). */
struct userdb {
    struct linefile file;
};

/* Lock FILE.lock, then read FILE (a missing file is an empty one, mode
 * 0600 when written).  0, or -1 with errno set (EINVAL: the file holds a
 * NUL byte, which a rewrite could not keep). */
int userdb_load(struct userdb *db, const char *path);
/* Index of the line holding address, or -1. */
long userdb_find(const struct userdb *db, const char *address);
/* Parse line i into *e (a copy; free with userdb_entry_free): 1/0/-1 as
 * userdb_parse. */
int userdb_get(const struct userdb *db, size_t i, struct userdb_entry *e);
/* Replace the entry with e's address, or append it.  0 or -1 (ENOMEM). */
int userdb_put(struct userdb *db, const struct userdb_entry *e);
/* Remove the entry; 0, or -1 when absent. */
int userdb_del(struct userdb *db, const char *address);
/* Write the file back atomically.  0 or -1 with errno set; on failure
 * FILE is untouched. */
int userdb_commit(struct userdb *db);
/* Release the lock and wipe and free everything. */
void userdb_close(struct userdb *db);

#endif
