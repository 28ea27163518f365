/* SPDX-License-Identifier: ISC */
/*
 * maildir_move.h -- moving new/ to cur/, maybe after the answer
 * (maildir_move.c says why a kill at any moment is safe), and the rename
 * that never replaces a file.  maildir_moves_wait() is in maildir.h.
 * Not a contract: programs use maildir.h.
 */
#ifndef POPKIT_MAILDIR_MOVE_H
#define POPKIT_MAILDIR_MOVE_H

#include "maildir.h"

/* Move every entry still in new/; in a helper process when there are
 * MAILDIR_MOVE_ASYNC_MIN or more, which then also writes the size cache
 * (cache: 1) once it is done.  Without a helper the entries are updated
 * before it returns.  0 or -1 (out of memory: nothing moved). */
int maildir_moves_start(struct maildir *md, int cache);
/* The cur/ name for a new/ name into to (NAME_MAX + 1 bytes): the name
 * as it is when the cur/ name would be too long. */
void maildir_cur_name_of(const char *name, char *to);
/* Rename fromfd/name to tofd/to without replacing anything.  0 or -1. */
int maildir_rename_noreplace(int fromfd, const char *name, int tofd,
                             const char *to);

#endif
