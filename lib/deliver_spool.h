/* SPDX-License-Identifier: ISC */
/*
 * deliver_spool.h -- what the layers above the spool (deliver_spool.c)
 * share of it: the test for text a header line may hold and the copy
 * of the spool out behind such lines.  Not a contract: programs use
 * deliver.h.
 */
#ifndef POPKIT_DELIVER_SPOOL_H
#define POPKIT_DELIVER_SPOOL_H

#include <stddef.h>

#include "deliver.h"

/* Text that goes into a header line must not break it. */
static inline int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* What of popkit's own prefix lines the MTA put at the top already
 * (deliver_opts.mta_delivered_to): its leading run is the header's first
 * fields, at most one Return-Path: and one Delivered-To: in any order. */
struct mta_lines {
    int return_path;        /* the run holds a Return-Path: */
    int delivered_to;       /* the run's Delivered-To: is the recipient */
};

/* Step 1 of deliver.h, the loop check: 1 when the header holds
 * "Delivered-To: recipient" outside the MTA's leading run (mta nonzero)
 * or anywhere (mta 0), 0 when not, -1 on a read error.  m is filled from
 * the run (zeros when mta is 0). */
int deliver_loop_scan(const struct deliver_spool *s, const char *recipient,
                      int mta, struct mta_lines *m);

/* What deliver_mailbox and deliver_recipient check first, alike: no
 * control character in sender or recipient (they go into header lines),
 * then the loop check (mta: o->mta_delivered_to; m filled as by
 * deliver_loop_scan).  DELIVER_OK, or the failure filled into r. */
enum deliver_status deliver_envelope_check(const struct deliver_spool *s,
                                           const char *sender,
                                           const char *recipient, int mta,
                                           struct mta_lines *m,
                                           struct deliver_report *r);

/* Write prefix then the spool into fd.  0 or -1 with errno. */
int deliver_spool_copy(int fd, const char *prefix, size_t plen,
                       const struct deliver_spool *s);

#endif
