/* SPDX-License-Identifier: ISC */
/*
 * deliver_pool.h -- what deliver.c and deliver_pool.c share: becoming a
 * mailbox's owner, and a mailbox delivered by the pool's child for that
 * owner.  Not a contract: programs use deliver.h (deliver_pool_new).
 */
#ifndef POPKIT_DELIVER_POOL_H
#define POPKIT_DELIVER_POOL_H

#include "deliver.h"

/* Become account name (root only; not root, it must be one's own
 * account), every capability given up, the bounding set too, and
 * no_new_privs set (privdrop.h).  DELIVER_OK, or the failure filled
 * into r. */
enum deliver_status deliver_become(const char *name,
                                   struct deliver_report *r);

/* Deliver s into the Maildir at maildir (e's) by the pool's child for
 * e->owner, forking it first when the pool has none.  r filled; returns
 * r->status.  A child that dies on the way is DELIVER_TEMP for this
 * mailbox only: the next mailbox of that owner gets a new child. */
enum deliver_status deliver_pool_mailbox(struct deliver_pool *p,
                                         const struct userdb_entry *e,
                                         const char *maildir,
                                         const struct deliver_spool *s,
                                         const char *sender,
                                         const char *recipient,
                                         const struct deliver_opts *o,
                                         struct deliver_report *r);

#endif
