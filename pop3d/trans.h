/* SPDX-License-Identifier: ISC */
/*
 * trans.h -- pop3-maildir's TRANSACTION state (RFC 1939 section 5): the
 * session, shared by the program (pop3-maildir.c: start-up, the command
 * loop, the UPDATE state and logging) and its command table
 * (trans_cmds.c: one cmd_<verb> a POP3 command), as popa3d pairs
 * pop_trans.c with pop_auth.c.  The AUTHORIZATION state is the greeter's
 * (greeter_auth.c).
 *
 * Messages are 0-based everywhere inside (md.msgs[i], bit i of
 * retrieved); they are numbered from 1 only on the wire, where a
 * command's argument is parsed and where a reply is written.
 */
#ifndef POPKIT_TRANS_H
#define POPKIT_TRANS_H

#include <stdint.h>

#include "io.h"
#include "maildir.h"
#include "msgsend.h"
#include "pop3caps.h"
#include "uidlmap.h"

/* Counts and octets, for the logout line (Dovecot's top=, retr=, del=). */
struct tally {
    uint32_t n;
    uint64_t bytes;
};

struct trans_session {
    struct maildir md;
    struct uidlmap um;      /* UIDLs of the server before (--uidl-from) */
    struct io_in in;
    struct io_out out;
    struct msgsend send;    /* RETR/TOP buffers, allocated on first use */
    size_t live_count;      /* messages not marked deleted */
    uint64_t live_size;     /* their wire octets */
    uint64_t login_size;    /* maildrop octets at login */
    uint32_t last;          /* highest message RETR'd (LAST, RFC 1725) */
    struct tally top, retr, del;
    const char *reason;     /* why the session ended, for the log */
    int refresh_listing;    /* QUIT answered; list again, then unlock */
    struct pop3caps_policy caps; /* --login-delay, --expire (CAPA) */
    int no_seen;            /* --no-seen: RETR leaves the flags alone */
    unsigned char *retrieved;   /* bit i: message i RETR'd (not TOP);
                                 * allocated on the first RETR */
};

enum { CMD_GO_ON = 0, CMD_END = 1 };

/* Run one command line (len octets, at most POP3_CMD_MAX, NUL after
 * it), or answer why it is refused (lib/pop3cmd.h). */
int trans_cmd_run(struct trans_session *s, char *line, size_t len);

#endif
