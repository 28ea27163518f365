/* SPDX-License-Identifier: ISC */
/*
 * deliver_status.h -- the bottom of lib/deliver (deliver_status.c, the
 * status table): the exit numbers of sysexits.h, which the table and
 * the delivery children use, and filling a report, which every layer
 * above does.  Not a contract: programs use deliver.h.
 */
#ifndef POPKIT_DELIVER_STATUS_H
#define POPKIT_DELIVER_STATUS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deliver.h"

/* sysexits.h's numbers, spelled here so the table needs no header that
 * some libcs lack. */
enum {
    SX_OK = 0, SX_DATAERR = 65, SX_NOUSER = 67, SX_CANTCREAT = 73,
    SX_TEMPFAIL = 75, SX_NOPERM = 77
};

static inline enum deliver_status fail(struct deliver_report *r,
                                enum deliver_status st, const char *fmt,
                                ...) __attribute__((format(printf, 3, 4)));
static inline enum deliver_status fail(struct deliver_report *r,
                                enum deliver_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    r->status = st;
    return st;
}

static inline enum deliver_status fail_errno(struct deliver_report *r, int err,
                                      const char *what, const char *where)
{
    return fail(r, deliver_from_errno(err), "%s %s: %s", what, where,
                strerror(err));
}

static inline void report_init(struct deliver_report *r)
{
    memset(r, 0, sizeof *r);
    r->status = DELIVER_OK;
}

#endif
