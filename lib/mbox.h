/* SPDX-License-Identifier: ISC */
/*
 * mbox.h -- writing and locking mbox files (popkit-mbox(5), the mboxrd variant).
 *
 * Writing: a message becomes a From_ line ("From SENDER DATE", DATE in
 * asctime format, UTC), the message with every line matching ^>*From
 * given one more '>' (mboxrd: reversible, so quoting round-trips), a
 * final newline if it lacked one, and a blank line.  The writer streams:
 * messages of any size pass through a fixed buffer, and a "From " split
 * across two calls is still found.  Output goes to a sink: by default
 * pwrite(2) at a tracked offset (never O_APPEND, so the caller knows
 * exactly which bytes are its own), or one the caller supplies (compare
 * against a file, count, collect in memory).
 *
 * Locking, as Debian's mail readers and delivery agents do: a dotlock
 * PATH.lock made NFS-safely (a unique file linked to the lock name; the
 * link count decides, not link(2)'s return, which NFS may lose), holding
 * "PID HOST"; a lock older than MBOX_DOTLOCK_STALE, or one of a dead
 * process on this host, is removed.  Where the directory does not let
 * the user make it (Debian's /var/mail, 2775 root:mail), liblockfile's
 * setgid-mail dotlockfile helper makes and removes it, as Debian Policy
 * 11.6 asks (programs using mbox_dotlock link $(LOCKFILE_LIBS)).  Then an
 * fcntl(2) write lock on the whole file.  Waits are bounded.
 *
 * Its writes go through lib/fault.h, so a test build can kill it after
 * any step or fill the disk at any write; an installed one cannot.
 */
#ifndef POPKIT_MBOX_H
#define POPKIT_MBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "params.h"

struct mbox_out;
/* A sink takes len bytes; 0 or -1 with errno. */
typedef int (*mbox_sink)(struct mbox_out *o, const void *data, size_t len);

struct mbox_out {
    int fd;            /* the mbox, for the default sink */
    off_t off;         /* where the next byte goes */
    mbox_sink sink;
    void *arg;         /* for a caller's sink */
    int err;           /* errno of the first failure; sticky */
    /* quoting state: at the start of a line, '>'s seen, "From " matched */
    int at_bol;
    size_t gts;
    size_t from_len;
    int last_nl;       /* the last body byte was '\n' */
    size_t len;
    char buf[MBOX_OUTBUF_SIZE];
};

/* Write to fd from offset off with pwrite(2) (sink NULL), or to sink. */
void mbox_out_init(struct mbox_out *o, int fd, off_t off, mbox_sink sink,
                   void *arg);
/* Start a message: the From_ line.  sender as from mbox_sender(). */
int mbox_begin(struct mbox_out *o, const char *sender, time_t when);
/* Some of the message's bytes, in order, any split. */
int mbox_body(struct mbox_out *o, const void *data, size_t len);
/* End the message: a newline if missing, then the blank line. */
int mbox_end(struct mbox_out *o);
/* Pass everything buffered to the sink.  0, or -1 with errno (o->err). */
int mbox_flush(struct mbox_out *o);
/* Bytes handed to the sink or buffered so far: o->off + o->len. */
off_t mbox_pos(const struct mbox_out *o);

/* The From_ sender for a message whose header starts hdr[0..len): the
 * address in Return-Path, "MAILER-DAEMON" for <> or no Return-Path, with
 * whitespace and control characters made '_' so the line stays one
 * token.  Writes at most outsz-1 bytes (outsz >= 16) and a NUL. */
void mbox_sender(const char *hdr, size_t len, char *out, size_t outsz);

/* Newlines to write before appending to an mbox of size bytes so the new
 * From_ line follows a blank line (0, 1 or 2; reads the last 2 bytes). */
int mbox_separator(int fd, off_t size);

/* ---- Locking ---- */

struct mbox_lock {
    int fd;            /* the open mbox (O_RDWR), -1 when not locked */
    char *dotlock;     /* PATH.lock while we hold it, else NULL */
};

/* Create PATH.lock, waiting at most wait seconds.  0 (*lockname set, to
 * free), -1 with errno: ETIMEDOUT when still held, EACCES etc. when
 * neither the directory nor the dotlockfile helper allows a lock file. */
int mbox_dotlock(const char *path, int wait, char **lockname);
/* Remove a dotlock made by mbox_dotlock and free its name. */
void mbox_dotunlock(char *lockname);

/* Open path for reading and writing (creating it with mode 0600 if
 * create), dotlock it and take an fcntl write lock, waiting at most wait
 * seconds in all.  A directory where no lock file can be made, even by
 * the helper (EACCES, EROFS: a mailbox the user does not own in a spool)
 * gets the fcntl lock only, with a warning.  0, or -1 with errno (ETIMEDOUT: held by someone). */
int mbox_lock(struct mbox_lock *lk, const char *path, int create, int wait);
/* Release both locks and close. */
void mbox_unlock(struct mbox_lock *lk);

#endif
