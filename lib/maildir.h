/* SPDX-License-Identifier: ISC */
/*
 * maildir.h -- the Maildir reader and writer (popkit-maildir(5)).
 *
 * A Maildir is a directory with tmp/, new/ and cur/.  A message file is
 * named  BASE[:2,FLAGS]  with BASE = UNIQUE[,KEY=VALUE...].  The base,
 * everything before the first ':', is the message's identity for every
 * Maildir reader (Dovecot's IMAP UIDs, qmail-pop3d's and Dovecot's %f
 * UIDLs): popkit never changes it.  The move from new/ to cur/ keeps it
 * byte for byte and gives a name without info ":2,"; an info already
 * there is kept as it is.  Only maildir_msg_flag() edits the info, by the
 * Maildir rules: flags in ASCII order, unknown flags and Dovecot's
 * keyword letters (a-z) kept.  popkit reads these facts from the name
 * alone, so a session on an unchanged Maildir makes no system call per
 * message:
 *
 *   - order: oldest first, by the delivery time that starts UNIQUE
 *     ("1700000000.M123456P789.host": seconds, then the microseconds of
 *     an M field, then the name).  Only names without it are stat(2)ed
 *     (their mtime stands in).
 *   - size: ",W=N" is the exact size of the message on the POP3 wire
 *     (every line ending CRLF, a final CRLF added when missing; before
 *     dot-stuffing; see msgfmt.h), as Dovecot's LDA and LMTP write it.
 *     ",S=N" is the file size (Dovecot, Courier, popkit-deliver); it is
 *     only used to check W (S <= W <= 2S+2).  Duplicate, empty, signed
 *     or overlong fields count as absent: the name is input anyone who
 *     can deliver mail shapes.  A message without a usable W, in new/ or
 *     cur/, is read once to count it; the size cache MAILDIR_CACHE_NAME
 *     keeps the count, keyed by the base, for later sessions (written
 *     only by a scan that holds the lock; checked line by line, never
 *     trusted beyond what the name allows).  A lost or corrupt cache
 *     costs one more read of those files, never a wrong size.
 *   - UIDL: the base (the whole name before ':', ",S=" and ",W="
 *     included: what qmail-pop3d and Dovecot's pop3_uidl_format=%f
 *     give), or a digest of it when that is not 1-70 characters of
 *     0x21-0x7E (RFC 1939).
 *
 * The listing cache MAILDIR_LISTING_NAME saves even the readdir(2): it
 * holds the whole sorted scan, keyed by device, inode, mtime and ctime of
 * new/ and cur/ (no device on shared storage, where every mount has its
 * own), taken past the kernel's attribute cache (statx with
 * AT_STATX_FORCE_SYNC: NFS's actimeo, FUSE's attribute timeout), and is
 * used only while both are unchanged.  It is written
 * by a locked scan that moved nothing, and only when both directories
 * last changed before the scan began (older than the coarse clock read
 * at its start, beyond the file system's stamp rounding and, on shared
 * storage, the clock skew between hosts: maildir_set_settle), so a change
 * in the same tick as the saved mtime cannot hide behind an equal
 * stamp, and a session one tick after a change already saves it.  Every
 * entry is checked as it loads (offsets, names without '/', sizes,
 * flags, order); anything wrong and the scan reads the directories
 * instead.
 *
 * Per-message state is a flat array of struct maildir_msg, names in one
 * arena; no allocation per message.  Both grow with mremap(2), so growing
 * copies nothing and untouched room costs no memory.
 *
 * The session lock is a file in the Maildir held with an OFD lock
 * (fcntl F_OFD_SETLK, the whole file) and flock(2), both on one open
 * file description: the kernel drops them when the holder dies, so a
 * dead session's lock is taken over by the next one, and a live one
 * answers MAILDIR_BUSY.  On shared storage the file system's lock
 * service makes that hold across hosts (docs/DESIGN.md, "Shared
 * storage"; a host that dies holding it frees it when the server gives
 * up on it: NFSv4's lease, GlusterFS's ping timeout, CephFS's session
 * timeout).
 *
 * The code is in layers, one file each; maildir.c lists them.
 */
#ifndef POPKIT_MAILDIR_H
#define POPKIT_MAILDIR_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "params.h"

/* Wire sizes are kept in 40 bits (1 TiB); this value means "not known". */
#define MAILDIR_SIZE_UNKNOWN ((1ULL << 40) - 1)

/* maildir_msg.flags */
#define MAILDIR_F_NEW 1u       /* the file is still in new/ (move failed) */
#define MAILDIR_F_DELETED 2u   /* marked for deletion (the caller's state) */
#define MAILDIR_F_PFX 4u       /* internal: "TIME." left out of the arena */
#define MAILDIR_F_SFX 8u       /* internal: a final ":2," left out */

/* 16 bytes a message: with 100,000 messages every byte here is 100 KB.
 * The arena holds each name without the parts the fields rebuild (the
 * time prefix, the empty info ":2," most names in cur/ end with). */
struct maildir_msg {
    uint32_t time;            /* delivery time, seconds since the epoch */
    uint32_t name_off;        /* stored part of the name in md->arena */
    uint64_t wire_size : 40;  /* octets on the wire, or SIZE_UNKNOWN */
    uint64_t usec : 20;       /* tie-break within the second */
    uint64_t flags : 4;       /* MAILDIR_F_* */
};

struct maildir {
    int dirfd;                 /* the Maildir itself */
    int newfd, curfd;          /* its new/ and cur/ */
    int lockfd;                /* the session lock while held, else -1 */
    struct maildir_msg *msg;   /* msg[0..count-1], oldest first */
    size_t count, cap;         /* cap: bytes mapped for msg */
    char *arena;               /* every stored name, NUL-terminated */
    size_t arena_len, arena_cap;
    unsigned moved;            /* messages moved from new/ by the scan */
    unsigned move_failed;      /* renames to cur/ that failed (not ENOENT) */
    struct {                   /* ... by reason, for the log */
        int err;               /* errno */
        unsigned n;
    } move_err[MAILDIR_MOVE_ERRORS];
    unsigned size_reads;       /* messages read to learn their size */
    unsigned from_listing;     /* 1: the scan came from the listing cache */
    unsigned shared;           /* 1: on a network or cluster file system */
    int settle_ms;             /* the listing's shared-storage margin */
    unsigned moving;           /* moves still under way (see below) */
    struct maildir_moves *moves;   /* the renames under way, or NULL */
    char namebuf[2][NAME_MAX + 1];   /* names rebuilt for the caller */
};

/* Open the Maildir at path (relative to the cwd, or absolute).  0, or -1
 * with errno set (ENOTDIR/ENOENT when a subdirectory is missing). */
int maildir_open(struct maildir *md, const char *path);
/* The listing cache's margin for shared storage, in milliseconds: a
 * listing is saved only when new/ and cur/ last changed longer ago than
 * this (beyond the file system's stamp rounding), so that no host whose
 * clock runs up to that much behind this one can change them later and
 * leave their stamps as the listing's key has them (maildir_cache.c).
 * maildir_open() sets MAILDIR_LISTING_SETTLE_SHARED_MS when the Maildir
 * is on a network or cluster file system (md->shared), else 0; this
 * sets it for this Maildir whatever it is on (0 to 600000). */
void maildir_set_settle(struct maildir *md, int ms);
/* Unlock, free and close everything.  Safe after a failed maildir_open()
 * and when called twice. */
void maildir_close(struct maildir *md);

/* Take the session lock.  0 when taken, MAILDIR_BUSY when a live session
 * holds it, -1 with errno on error.  It stays held until maildir_close(). */
#define MAILDIR_BUSY 1
int maildir_lock(struct maildir *md);
/* The same, retrying for up to ms milliseconds while it is BUSY: a
 * client that reconnects at once must not meet its own previous session
 * still on its way out. */
int maildir_lock_wait(struct maildir *md, int ms);
/* Release the lock before the process ends, e.g. before the last answer
 * to a client that may reconnect the moment it reads it. */
void maildir_unlock(struct maildir *md);

/* Read new/ and cur/ into md->msg, oldest first.  With MAILDIR_SCAN_MOVE
 * each message in new/ is moved to cur/ under maildir_cur_name() (the
 * base kept; never replacing a file: if the target exists, or the rename
 * fails, it stays in new/, counted by reason in md->move_err).  With
 * MAILDIR_SCAN_SIZES every message gets its wire_size (from the name,
 * the caches, or else the file); only then may the listing cache stand
 * in for the directories.  Sizes read from files go to the size cache
 * when the lock is held (after the renames, by the rename helper when
 * there is one, so the caller's answer does not wait for it).  Files that vanish meanwhile are skipped.
 * With neither flag the scan is a plain listing: it moves nothing,
 * reads no message (its wire_size may stay UNKNOWN) and writes no file
 * in the Maildir, no cache either, even under the lock (maildir2mbox
 * relies on this).  At most MAILDIR_MAX_MESSAGES are listed.
 * 0, or -1 with errno on a directory error. */
#define MAILDIR_SCAN_MOVE 1u
#define MAILDIR_SCAN_SIZES 2u
int maildir_scan(struct maildir *md, unsigned flags);
/* With more than MAILDIR_MOVE_ASYNC_MIN messages to move, maildir_scan
 * returns with the entries still pointing at new/ (flag MAILDIR_F_NEW,
 * md->moving of them) while a forked helper process renames them;
 * md->moved counts those done (and md->move_failed, md->move_err those
 * that failed) once it has finished.  Meanwhile md may
 * be read (count, sizes, names, UIDLs), its entries' flags marked, and
 * messages opened with maildir_msg_open_nostat() (which tries both
 * names), but none removed: call maildir_moves_wait() first, which waits for the
 * helper and updates the entries.  maildir_scan, maildir_unlock and
 * maildir_close call it themselves.  A no-op when nothing is under way.
 * A caller must not reap children it did not make (no waitpid(-1)).
 * Killing the process (or both) at any moment is safe (see
 * maildir_move.c). */
void maildir_moves_wait(struct maildir *md);
/* Under the lock, at the end of a session that moved mail: scan again
 * (moving what arrived meanwhile) so the listing cache is saved now and
 * the next session need not read the directories.  Waits up to
 * MAILDIR_LISTING_REFRESH_WAIT_MS for the directories' last change to
 * be a clock tick old (maildir_cache.c says why).  md itself is left as
 * it is.  0, or -1 (nothing saved; harmless). */
int maildir_listing_refresh(struct maildir *md);
/* Remove the size cache and the listing cache: one of them told a size
 * the file does not have (RETR found out), so the next session reads the
 * files lacking sizes again instead of trusting either. */
void maildir_caches_drop(struct maildir *md);

/* The message's file name (no directory), and its directory fd.  The
 * name may live in a buffer inside md that the next call reuses.  Use
 * these, not the msg fields, which keep only part of the name. */
const char *maildir_msg_name(struct maildir *md, size_t i);
int maildir_msg_dirfd(const struct maildir *md, size_t i);
/* Open message i for reading, never through a symlink nor blocking on a
 * FIFO.  If its file was renamed meanwhile (a flag change by another
 * program, or the first session's rename helper) it is found again and
 * the entry updated.  No fstat(2): the caller knows the message's wire
 * size from the scan (the file has at most that many bytes), must treat
 * a short read as the end, and check with fstat that the file is
 * regular before reading past that size (a FIFO or device put in its
 * place would never end).  The fd, or -1 with errno (ENOENT: gone). */
int maildir_msg_open_nostat(struct maildir *md, size_t i);
/* Remove message i (following a rename as above).  0, or -1 with errno;
 * a message already gone counts as removed (ENOENT is not an error). */
int maildir_msg_unlink(struct maildir *md, size_t i);
/* Find the file in the directory dirfd whose base (the name before ':')
 * is that of name (the same message after another program renamed it:
 * flags changed, or moved from new/ to cur/; the very name counts too).  Its name goes
 * to out (NAME_MAX + 1 bytes).  0, or -1 with errno (ENOENT: none). */
int maildir_find_unique(int dirfd, const char *name, char *out);
/* Add flag (e.g. 'S', seen) to message i's info: cur/BASE:2,FLAGS is
 * renamed to cur/BASE:2,FLAGS+flag (maildir_flag_name), following a
 * rename by another program as above, never replacing a file.  Waits for
 * the scan's renames first.  0 when renamed, 1 when there is nothing to
 * do (the flag is there, the info is not of the ":2," kind, or the
 * message is still in new/ because its move failed), -1 with errno when
 * the rename failed (the message stays under its old name: nothing is
 * lost; ENOENT: it is gone). */
int maildir_msg_flag(struct maildir *md, size_t i, char flag);
/* fsync new/ and cur/, so removals and moves are on disk.  0 or -1. */
int maildir_sync(struct maildir *md);

/* ---- Names: pure functions, no I/O ---- */

/* Length of the base, the message's identity: up to the first ':'.
 * (Not up to a ',': ",S=" and ",W=" are part of it for every reader.) */
size_t maildir_unique_len(const char *name);
/* The UIDL of a file name into out (MAILDIR_UIDL_MAX + 1 bytes), NUL-
 * terminated; returns its length (1..70): the base as it is.  A base
 * that is not 1-70 characters 0x21-0x7E becomes 32 lowercase hex digits
 * of a 128-bit FNV-1a digest of it: stable across sessions and flag
 * changes. */
size_t maildir_uidl(const char *name, char *out);
/* Delivery time from the start of the name: 1-10 digits then '.'; usec
 * from an "M<digits>" field after it (0 when absent).  0 or -1. */
int maildir_name_time(const char *name, uint32_t *sec, uint32_t *usec);
/* Value of the ",KEY=N" field after the first ',' of the base (KEY one letter,
 * e.g. 'S', 'W').  0 with *val, or -1 when absent, repeated, not 1-20
 * plain digits, or above MAILDIR_SIZE_FIELD_MAX. */
int maildir_name_field(const char *name, char key, uint64_t *val);
/* The wire size the name vouches for: W when present and consistent with
 * S (when S is present), else MAILDIR_SIZE_UNKNOWN. */
uint64_t maildir_name_wire_size(const char *name);
/* Build the cur/ name for a new/ name: the name as it is, with ":2,"
 * appended when there is no info (an info is kept, whatever it says).
 * Returns 0, or -1 when it would not fit in outsz or in NAME_MAX (the
 * caller then keeps the old name). */
int maildir_cur_name(const char *newname, char *out, size_t outsz);
/* The name with flag added to its ":2," info (":2,flag" when there is
 * none), the flags in ASCII order, every other flag (unknown ones,
 * keyword letters a-z) and anything after a ',' in the info kept.
 * 0, 1 when the flag is already there (out untouched), or -1 when the
 * info is of another kind (":1,...") or the result would not fit in
 * outsz or NAME_MAX. */
int maildir_flag_name(const char *name, char flag, char *out, size_t outsz);

/* ---- Writing ---- */

/* A fresh UNIQUE for a delivery into out (outsz >= 128 is plenty):
 * SECONDS.M<usec>P<pid>Q<count>.HOST, HOST with '/' and ':' escaped as
 * qmail does ("\057", "\072").  0, or -1 when it does not fit. */
int maildir_unique(char *out, size_t outsz);
/* The same from given parts (pure; lib/deliver's names and the tests):
 * 0, or -1 when it does not fit in outsz or passes NAME_MAX. */
int maildir_unique_name(char *out, size_t outsz, long long sec, long usec,
                        long pid, unsigned long seq, const char *host);

#endif
