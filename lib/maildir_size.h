/* SPDX-License-Identifier: ISC */
/*
 * maildir_size.h -- the wire sizes a scan learns after its sort
 * (maildir_size.c): from the size cache, else by reading the files, in
 * two processes when there are many.  Not a contract: programs use
 * maildir.h.
 */
#ifndef POPKIT_MAILDIR_SIZE_H
#define POPKIT_MAILDIR_SIZE_H

#include "maildir.h"

/* Sizes for every message of the sorted md->msg whose name gives none
 * (flags: the scan's MAILDIR_SCAN_*); those that vanished meanwhile are
 * dropped.  *want_cache: 1 when the size cache should be written anew
 * (sizes were read, or the cache had stale lines); the caller writes it,
 * after the renames when there are many, so the first session's answer
 * does not wait for it.  0 or -1 (out of memory). */
int maildir_fill_sizes(struct maildir *md, unsigned flags, int *want_cache);

#endif
