/* SPDX-License-Identifier: ISC */
/*
 * mailenv.h -- where a user's mail is when the command line does not say:
 * $MAILDIR, else $HOME/Maildir/ (qmail's default, MAILENV_MAILDIR_LEAF),
 * and $MAIL, else $HOME/Mailbox (MAILENV_MBOX_LEAF).  An empty variable
 * counts as unset.  maildirwatch, maildir2mbox and qail read the same.
 *
 * Each returns the path, with *owned the malloc'ed copy to free (NULL when
 * the variable itself was used), or NULL with errno ENOENT when neither
 * the variable nor HOME is set, ENOMEM when out of memory.
 */
#ifndef POPKIT_MAILENV_H
#define POPKIT_MAILENV_H

#include "params.h"

const char *mailenv_maildir(char **owned);
const char *mailenv_mbox(char **owned);

#endif
