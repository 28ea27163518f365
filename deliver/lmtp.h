/* SPDX-License-Identifier: ISC */
/*
 * lmtp.h -- the parts of popkit-lmtpd (RFC 2033) and how they meet.
 *
 * popkit-lmtpd.c   options and main.
 * lmtp_root.c      the privilege line: the part that keeps the privilege
 *                  popkit-lmtpd was started with, forks the parser, and
 *                  acts on its requests: it resolves recipients
 *                  (aliases.h) and delivers each (deliver_recipient,
 *                  which hands each mailbox to the connection's
 *                  delivery child for its owner: deliver_pool).  It
 *                  never reads the client.
 * lmtp_cmds.c      the LMTP parser: the command table (lib/pop3cmd)
 *                  and the DATA reader, in a child that dropped
 *                  everything (lib/privsep) before reading a byte.
 *
 * The parser lives for the whole connection.  It asks the root part
 * two things over a SOCK_SEQPACKET socket, one datagram a request:
 *
 *   'R' ADDRESS NUL                      may this recipient get mail?
 *       -> one struct lmtp_answer
 *       (not asked again for an address accepted lately: params.h,
 *       LMTP_RCPT_SEEN_*; the 'D' below is checked in full anyway)
 *   'D' SENDER NUL RCPT NUL ... RCPT NUL deliver the message, whose spool
 *       (lib/deliver.h) rides along as SCM_RIGHTS
 *       -> one struct lmtp_answer per RCPT, in order, each sent as soon
 *          as that recipient is done
 *
 * The root part checks every request byte by byte (kind, NULs, lengths,
 * count) and rescans the spool itself (deliver_spool_adopt); a request
 * that is not well formed ends the connection with 111.  The parser turns
 * each status into its reply with deliver_reply(): the codes are in
 * lib/deliver.c's table only.
 *
 * Started as an ordinary user, the same code runs: there is nothing to
 * drop, and deliver_recipient delivers only to mailboxes owned by that
 * user (DELIVER_NOPERM otherwise).
 */
#ifndef POPKIT_LMTP_H
#define POPKIT_LMTP_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"

struct lmtp_conf {
    const char *hostname;     /* the greeting's and LHLO's name */
    const char *users;        /* -f: the users file; NULL: none (--ldap) */
    const char *ldap;         /* --ldap: the directory's configuration */
    const char *aliasdir;     /* -a: ALIASDIR */
    uint64_t size_max;        /* --size: octets a message may have */
    unsigned rcpt_max;        /* --max-recipients */
    int timeout;              /* --timeout: seconds for every read */
    int quota_tempfail;       /* --quota-tempfail */
    int mta_delivered_to;     /* --mta-delivered-to */
    const char *sendmail;     /* --sendmail, NULL: DELIVER_SENDMAIL */
    const char *privsep_user; /* --privsep-user, NULL: the default */
    const char *privsep_dir;  /* --privsep-dir, NULL: the default */
};

enum lmtp_kind {
    LMTP_REQ_RCPT = 'R',
    LMTP_REQ_DATA = 'D'
};

/* The longest request: the kind, a sender and rcpt_max recipients, each
 * an address and its NUL. */
#define LMTP_REQ_SIZE(rcpt_max) \
    (1 + (size_t)((rcpt_max) + 1) * (LMTP_PATH_MAX + 1))

/* The root part's answer for one recipient: an enum deliver_status. */
struct lmtp_answer {
    uint8_t status;
};

/* The descriptor the parser finds the root part's socket on. */
#define LMTP_REQ_FD 3
/* The parser's RLIMIT_NOFILE: fds 0-2, the socket at LMTP_REQ_FD and
 * the one spool of the transaction. */
#define LMTP_PARSER_FILES (LMTP_REQ_FD + 2)

/* lmtp_cmds.c: speak LMTP with the client on fds 0/1, asking the root
 * part on reqfd, until the client quits, times out or leaves; then
 * _exit(0) (111 when the root part failed it).  The greeting was sent
 * by the root part. */
void lmtp_parse(const struct lmtp_conf *conf, int reqfd)
    __attribute__((noreturn));
/* The same session with the client on infd (read) and outfd (written),
 * returning instead: 0, or 111 when the root part failed it.  Every
 * buffer and spool it made is freed or closed, so it can run again in
 * the same process (tests/fuzz/fuzz_lmtp.c does, from memory). */
int lmtp_session(const struct lmtp_conf *conf, int infd, int outfd,
                 int reqfd);

/* lmtp_root.c: prepare privilege separation, greet, fork the parser and
 * serve its requests.  Returns the exit code. */
int lmtp_run(const struct lmtp_conf *conf);

#endif
