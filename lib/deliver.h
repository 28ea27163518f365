/* SPDX-License-Identifier: ISC */
/*
 * deliver.h -- one message into the Maildirs of one recipient: the one
 * place mail enters a Maildir (popkit-deliver(8), popkit-lmtpd(8)).
 *
 * Outcomes.  Every result is an enum deliver_status, and ONE table
 * (deliver.c) gives for each: the sysexits(3) code (Postfix pipe(8),
 * Exim's pipe transport, OpenSMTPD's mda), the qmail-command(8) code
 * (0, 100 bounce, 111 defer), the LMTP/SMTP reply code, the RFC 3463
 * enhanced status code and a short text.  Callers never spell a code.
 * qmail's 99 ("delivered, ignore the further lines of the .qmail") is
 * not used: popkit-deliver is one delivery among the .qmail's lines,
 * as maildrop and Dovecot's LDA are.
 *
 * The spool.  The message is stored once, with LF line ends, in a
 * seekable descriptor (memfd_create(2), else an unlinked file under
 * $TMPDIR or /tmp), with its octets, its wire octets (msgfmt.h: LF ->
 * CRLF, a last line ended) and where its header ends.  Every reader
 * uses pread(2), so children sharing the descriptor never race on an
 * offset.  popkit-deliver fills it from stdin (CRLF or bare LF);
 * popkit-lmtpd's parser writes it (already dot-unstuffed, CRLF made
 * LF), passes the descriptor to its root part, which rescans it
 * (deliver_spool_adopt): the numbers of an unprivileged process are
 * never trusted.
 *
 * A mailbox delivery (deliver_mailbox) runs as the mailbox's owner
 * already.  In order:
 *   1. loop: the header holds "Delivered-To: RECIPIENT" (name without
 *      case, value compared as an address) -> DELIVER_LOOP;
 *   2. quota (mdquota.h; a missing maildirsize or quota 0 is none) for
 *      the file's octets: over -> DELIVER_OVERQUOTA, or
 *      DELIVER_OVERQUOTA_TEMP with opts->quota_tempfail;
 *   3. the Maildir protocol, NFS-safe: in tmp/ the unique name
 *      TIME.M<usec>P<pid>Q<counter>.HOST ('/' -> \057, ':' -> \072 in
 *      HOST), O_EXCL create, "Return-Path: <SENDER>\n" and
 *      "Delivered-To: RECIPIENT\n" then the message, a full write,
 *      fsync; link(2) into new/ as NAME,S=<octets>,W=<wire octets>
 *      (rename(2) where the file system refuses links: EPERM, ENOSYS,
 *      EXDEV, EOPNOTSUPP, EMLINK), fsync of new/, unlink in tmp/;
 *   4. mdquota_record_delivery (a failure there is logged by the
 *      caller from r->why, the message is delivered: OK).
 * A crash at any point leaves nothing in new/, or the whole message.
 * It takes no POP3 session lock: a session and deliveries run at once.
 *
 * A recipient (deliver_recipient) is resolved by aliases_resolve(); each
 * mailbox is delivered in a forked child that becomes the record's owner
 * (privdrop: owner's uid, gid and groups; no capability, bounding set
 * included, and no_new_privs) and reports its status back through a
 * pipe, or by the owner's child of opts->pool (below, confined alike);
 * the forwards go in one "sendmail -i -f SENDER -- ADDR..." run as
 * DELIVER_FORWARD_USER when root, with no capability but without
 * no_new_privs (the MTA's sendmail may be set-ID; a set-user-ID-root one
 * keeps the bounding set: deliver.c).  Not root, a mailbox
 * is delivered only when its owner is the caller's own account (else
 * DELIVER_NOPERM: a configuration error, not worth retrying).  The
 * recipient's status is the first failure, else OK: any failure fails
 * the whole recipient (aliases.h), and the MTA's retry may deliver the
 * mailboxes that had it again -- a duplicate, never a loss.
 *
 * The MTA's lines: OpenSMTPD prepends "Return-Path: <SENDER>" and
 * "Delivered-To: RECIPIENT" itself before its mda and lmtp actions hand
 * a message over.  With opts->mta_delivered_to the header's leading run
 * of fields -- at most one Return-Path: and one Delivered-To:, in any
 * order -- is taken as the MTA's: a Delivered-To: RECIPIENT there is no
 * loop (one further down still is), and step 3 leaves out each of its
 * two lines that run holds already (the sizes count what is written),
 * as deliver_forward its Delivered-To.
 * Without it, any Delivered-To: RECIPIENT is a loop.
 *
 * Nothing here writes to stderr or the log: the caller logs r->why.
 * deliver_recipient and deliver_forward wait for the children they
 * fork by pid: a caller must not reap children it did not start (a
 * SIGCHLD handler calling waitpid(-1)), or the delivery reads as died
 * (DELIVER_TEMP).
 */
#ifndef POPKIT_DELIVER_H
#define POPKIT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "aliases.h"

enum deliver_status {
    DELIVER_OK = 0,
    DELIVER_UNKNOWN,        /* no such user or alias          67/100/550 5.1.1 */
    DELIVER_LOOP,           /* its Delivered-To: already here 65/100/554 5.4.6 */
    DELIVER_ALIAS_LOOP,     /* an alias comes back to itself  65/100/554 5.4.6 */
    DELIVER_ALIAS_TOODEEP,  /* aliases nested too deep        65/100/554 5.4.6 */
    DELIVER_ALIAS_TOOMANY,  /* an alias expands too far       65/100/550 5.5.3 */
    DELIVER_BADADDR,        /* not local@domain               65/100/501 5.1.3 */
    DELIVER_OVERQUOTA,      /* mailbox full                   67/100/552 5.2.2 */
    DELIVER_OVERQUOTA_TEMP, /* ... with --quota-tempfail      75/111/452 4.2.2 */
    DELIVER_TEMP,           /* locked, unavailable, EIO, ...  75/111/451 4.3.0 */
    DELIVER_NOSPACE,        /* ENOSPC, EDQUOT                 75/111/452 4.3.1 */
    DELIVER_CANTCREATE,     /* no Maildir to write into       73/111/451 4.2.0 */
    DELIVER_NOPERM,         /* not allowed to write it        77/100/550 5.7.1 */
    DELIVER_BADINPUT,       /* unusable message or sender     65/100/554 5.6.0 */
    DELIVER_TOOBIG,         /* over the size limit            65/100/552 5.3.4 */
    DELIVER_NSTATUS
};

struct deliver_code {
    int sysexit;            /* sysexits.h */
    int qmail;              /* qmail-command(8): 0, 100, 111 */
    int smtp;               /* 250, 4xx, 5xx */
    const char *enhanced;   /* RFC 3463 "X.Y.Z" */
    const char *text;       /* short, for the reply and the log */
};

/* The table row of st (an out-of-range st gives DELIVER_TEMP's). */
const struct deliver_code *deliver_code(enum deliver_status st);
/* The exit code for st: qmail's when qmail is non-zero, else sysexits. */
int deliver_exit_code(enum deliver_status st, int qmail);
/* The reply line, without CRLF: "552 5.2.2 TEXT" or, with detail not
 * NULL, "552 5.2.2 TEXT: DETAIL" (detail cut to fit).  Returns its
 * length (< size; size at least 64). */
size_t deliver_reply(enum deliver_status st, const char *detail, char *buf,
                     size_t size);
/* The status for an aliases_resolve() outcome (ALIASES_OK -> DELIVER_OK,
 * ALIASES_TEMP -> DELIVER_TEMP). */
enum deliver_status deliver_from_aliases(enum aliases_kind k);
/* The status for a system error while writing a Maildir: ENOSPC/EDQUOT
 * -> NOSPACE, ENOENT/ENOTDIR -> CANTCREATE, EACCES/EPERM/EROFS ->
 * NOPERM, anything else TEMP. */
enum deliver_status deliver_from_errno(int err);

/* ---- The spool ---- */

struct deliver_spool {
    int fd;                 /* the message, LF line ends; -1 when closed */
    uint64_t octets;        /* its size */
    uint64_t wire;          /* its wire size (msgfmt.h), once finished */
    uint64_t header_end;    /* offset of the first body byte: just past
                               the empty line, or octets when none */
    uint64_t limit;         /* octets allowed; 0 none */
    int too_big;            /* a write went past limit (not stored) */
    /* Scanning state while it is being written. */
    unsigned char cr;       /* from_fd: a CR held back */
    unsigned char bol;      /* the next byte starts a line */
    unsigned char in_body;  /* the header's end is seen */
    unsigned char wire_cr;  /* the last byte stored is CR (wire count) */
    unsigned char wire_bol; /* the last byte stored is LF (wire count) */
};

/* An empty spool of at most limit octets (0: none).  0, or -1 with
 * errno set (nothing to close). */
int deliver_spool_open(struct deliver_spool *s, uint64_t limit);
/* Append n bytes of LF text as they are (the LMTP parser).  0; -1 with
 * EFBIG once past the limit (s->too_big; nothing more is stored), or
 * another errno from write(2). */
int deliver_spool_write(struct deliver_spool *s, const void *p, size_t n);
/* Read fd to its end, CRLF made LF (a bare CR is kept), appending
 * (popkit-deliver's stdin).  0, or -1 as deliver_spool_write (EFBIG:
 * it stopped reading) or read(2). */
int deliver_spool_from_fd(struct deliver_spool *s, int fd);
/* Done writing: a CR held back is stored.  0 or -1. */
int deliver_spool_finish(struct deliver_spool *s);
/* Take fd (a spool another process wrote, LF text) and rescan it for
 * octets, wire and header_end.  0, or -1 (fd closed either way). */
int deliver_spool_adopt(struct deliver_spool *s, int fd, uint64_t limit);
void deliver_spool_close(struct deliver_spool *s);

/* ---- Delivery ---- */

struct deliver_pool;

struct deliver_opts {
    int quota_tempfail;     /* over quota is 452 4.2.2 / 75 / 111 */
    const char *sendmail;   /* NULL: DELIVER_SENDMAIL (params.h) */
    const char *forward_user; /* NULL: DELIVER_FORWARD_USER, when root */
    const char *hostname;   /* NULL: gethostname(2); for unique names */
    int mta_delivered_to;   /* the MTA prepended Return-Path: and
                               Delivered-To: itself (OpenSMTPD's mda and
                               lmtp): see "The MTA's lines" above */
    struct deliver_pool *pool; /* NULL: a child forked for each mailbox;
                               else that pool's child for its owner */
};

/* A pool of delivery children, one per owner account (at most
 * DELIVER_POOL_MAX, the one used longest ago making room), each kept
 * alive between mailboxes: for a caller that delivers many messages,
 * as a popkit-lmtpd connection does, so that a mailbox costs no fork.
 * Each child holds only its owner's privilege and its socket; a child
 * that dies fails only the mailbox it was writing (DELIVER_TEMP) and is
 * replaced for the next.  One found dead when a mailbox comes (its
 * socket closed) is replaced for that mailbox; one that dies while the
 * request is on its way cannot be told from one that died writing, and
 * fails that mailbox (DELIVER_TEMP: the MTA retries).  The children are forked by the caller and
 * reaped by deliver_pool_free (which waits for them): as for
 * deliver_recipient, the caller must not reap them itself.  NULL when
 * out of memory. */
struct deliver_pool *deliver_pool_new(void);
void deliver_pool_free(struct deliver_pool *p);
/* A pool's child, once it is the owner, executes the program again with
 * argv[1] DELIVER_POOL_CHILD_ARG (deliver_pool.c says why): a program
 * that makes a pool calls deliver_pool_child_main(argc, argv) first
 * thing in main().  It returns at once for any other argv; for that one
 * it serves the pool's requests on fd 3 and never returns. */
#define DELIVER_POOL_CHILD_ARG "--delivery-child"
void deliver_pool_child_main(int argc, char **argv);

/* What one delivery did, for the caller's log and reply. */
struct deliver_report {
    enum deliver_status status;
    char why[512];          /* "" on success, else what failed and where */
    char name[256];         /* the last file put into a new/, or "" */
    unsigned mailboxes;     /* mailboxes delivered to */
    unsigned forwards;      /* addresses handed to sendmail */
};

/* Does the spool's header hold "Delivered-To: recipient"?  1, 0, or -1
 * on a read error.  Header lines are unfolded; at most
 * DELIVER_HEADER_SCAN_MAX octets of it are looked at. */
int deliver_has_delivered_to(const struct deliver_spool *s,
                             const char *recipient);

/* The unique part of a new file's name into out (NAME_MAX + 1):
 * "SEC.M<usec>P<pid>Q<seq>.HOST", '/' and ':' in host as \057, \072.
 * Pure.  0, or -1 when it does not fit. */
int deliver_unique_name(char *out, size_t size, long long sec, long usec,
                        long pid, unsigned long seq, const char *host);

/* Deliver s into the Maildir at maildir (a directory with tmp/ new/
 * cur/), as the caller's own account, in steps 1-4 above.  sender ""
 * is the null sender (Return-Path: <>).  r filled; returns r->status. */
enum deliver_status deliver_mailbox(const struct deliver_spool *s,
                                    const char *sender,
                                    const char *recipient,
                                    const char *maildir,
                                    const struct deliver_opts *o,
                                    struct deliver_report *r);

/* Hand s to "SENDMAIL -i -f SENDER -- ADDR..." with "Delivered-To:
 * recipient" prepended (a forward that comes back is then a LOOP), as
 * the caller's account.  Its exit 0 -> OK; 64-78 with EX_NOUSER,
 * EX_DATAERR... -> the matching permanent status is NOT guessed: any
 * failure is DELIVER_TEMP (the MTA queued nothing, it retries). */
enum deliver_status deliver_forward(const struct deliver_spool *s,
                                    const char *sender,
                                    const char *recipient,
                                    char *const *addrs, size_t naddrs,
                                    const struct deliver_opts *o,
                                    struct deliver_report *r);

/* The Maildir of a record: HOME/Maildir into buf, or the directory's
 * own MAILDIR (ldaprcpt.h) when it gives one.  0 or -1 (does not fit). */
int deliver_maildir_path(const struct userdb_entry *e, char *buf,
                         size_t size);

/* Resolve recipient with a, then deliver to every mailbox (each in a
 * child as its owner) and forward address, as described above.  r
 * filled; returns r->status. */
enum deliver_status deliver_recipient(struct aliases *a,
                                      const struct deliver_spool *s,
                                      const char *sender,
                                      const char *recipient,
                                      const struct deliver_opts *o,
                                      struct deliver_report *r);

#endif
