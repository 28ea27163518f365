/* SPDX-License-Identifier: ISC */
/*
 * deliver_status.c -- deliver.h's status table: each status's exit
 * codes and reply, and the status of a resolution and of an errno.
 * The bottom of lib/deliver.
 */
#include "deliver.h"

#include <errno.h>
#include <stdio.h>

#include "deliver_status.h"

/* ---- The status table ---- */

/* Why these codes: Postfix (sys_exits.c) defers only 71 and 75 and
 * bounces the rest; Exim's pipe transport defers temp_errors (75:73 by
 * default); OpenSMTPD defers 75.  So every temporary status is 75 but
 * CANTCREATE, whose 73 Exim defers and Postfix bounces with 5.2.0 -- a
 * missing Maildir is what sysexits names it, and the LMTP and qmail
 * answers defer it. */
static const struct deliver_code codes[DELIVER_NSTATUS] = {
    [DELIVER_OK] = {SX_OK, 0, 250, "2.0.0", "delivered"},
    [DELIVER_UNKNOWN] = {SX_NOUSER, 100, 550, "5.1.1",
                         "no such user here"},
    [DELIVER_LOOP] = {SX_DATAERR, 100, 554, "5.4.6",
                      "mail loop: already delivered to this address"},
    [DELIVER_ALIAS_LOOP] = {SX_DATAERR, 100, 554, "5.4.6",
                            "alias loop"},
    [DELIVER_ALIAS_TOODEEP] = {SX_DATAERR, 100, 554, "5.4.6",
                               "aliases nested too deep"},
    [DELIVER_ALIAS_TOOMANY] = {SX_DATAERR, 100, 550, "5.5.3",
                               "alias expands to too many recipients"},
    [DELIVER_BADADDR] = {SX_DATAERR, 100, 501, "5.1.3",
                         "bad recipient address syntax"},
    [DELIVER_OVERQUOTA] = {SX_NOUSER, 100, 552, "5.2.2",
                           "mailbox full"},
    [DELIVER_OVERQUOTA_TEMP] = {SX_TEMPFAIL, 111, 452, "4.2.2",
                                "mailbox full"},
    [DELIVER_TEMP] = {SX_TEMPFAIL, 111, 451, "4.3.0",
                      "temporary failure, try again later"},
    [DELIVER_NOSPACE] = {SX_TEMPFAIL, 111, 452, "4.3.1",
                         "mail system full"},
    [DELIVER_CANTCREATE] = {SX_CANTCREAT, 111, 451, "4.2.0",
                            "mailbox not available"},
    [DELIVER_NOPERM] = {SX_NOPERM, 100, 550, "5.7.1",
                        "mailbox not accessible"},
    [DELIVER_BADINPUT] = {SX_DATAERR, 100, 554, "5.6.0",
                          "message or envelope not acceptable"},
    [DELIVER_TOOBIG] = {SX_DATAERR, 100, 552, "5.3.4",
                        "message too big"},
};

const struct deliver_code *deliver_code(enum deliver_status st)
{
    if ((unsigned)st >= DELIVER_NSTATUS)
        st = DELIVER_TEMP;
    return &codes[st];
}

int deliver_exit_code(enum deliver_status st, int qmail)
{
    const struct deliver_code *c = deliver_code(st);
    return qmail ? c->qmail : c->sysexit;
}

size_t deliver_reply(enum deliver_status st, const char *detail, char *buf,
                     size_t size)
{
    const struct deliver_code *c = deliver_code(st);
    int n = detail && *detail
                ? snprintf(buf, size, "%d %s %s: %s", c->smtp, c->enhanced,
                           c->text, detail)
                : snprintf(buf, size, "%d %s %s", c->smtp, c->enhanced,
                           c->text);
    if (n < 0)
        n = 0;
    if ((size_t)n >= size)
        n = (int)size - 1;
    /* A detail is text from files and addresses: one reply line only. */
    for (int i = 0; i < n; i++)
        if (buf[i] == '\r' || buf[i] == '\n')
            buf[i] = ' ';
    return (size_t)n;
}

enum deliver_status deliver_from_aliases(enum aliases_kind k)
{
    switch (k) {
    case ALIASES_OK: return DELIVER_OK;
    case ALIASES_UNKNOWN: return DELIVER_UNKNOWN;
    case ALIASES_LOOP: return DELIVER_ALIAS_LOOP;
    case ALIASES_TOODEEP: return DELIVER_ALIAS_TOODEEP;
    case ALIASES_TOOMANY: return DELIVER_ALIAS_TOOMANY;
    case ALIASES_BADADDR: return DELIVER_BADADDR;
    case ALIASES_TEMP: break;
    }
    return DELIVER_TEMP;
}

enum deliver_status deliver_from_errno(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return DELIVER_NOSPACE;
    case ENOENT:
    case ENOTDIR:
        return DELIVER_CANTCREATE;
    case EACCES:
    case EPERM:
    case EROFS:
        return DELIVER_NOPERM;
    default:
        return DELIVER_TEMP;
    }
}
