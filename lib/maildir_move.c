/* SPDX-License-Identifier: ISC */
/*
 * maildir_move.c -- moving new/ to cur/ (maildir_move.h), and
 * maildir_moves_wait() of maildir.h.
 */
#include "maildir_move.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "maildir_array.h"
#include "maildir_cache.h"

/* renameat2's RENAME_NOREPLACE (linux/fs.h), for a libc without it. */
#define MAILDIR_RENAME_NOREPLACE 1u

/* Rename fromfd/name to tofd/to without replacing anything. */
int maildir_rename_noreplace(int fromfd, const char *name, int tofd,
                             const char *to)
{
#if defined RENAME_NOREPLACE
    if (renameat2(fromfd, name, tofd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#elif defined SYS_renameat2
    /* A libc without the wrapper (musl 1.2.3) still has the kernel's
     * call; link+unlink below would need to own the file when
     * fs.protected_hardlinks is set, and some deliverers leave mail
     * owned by another uid in a Maildir the user may write. */
    if (syscall(SYS_renameat2, fromfd, name, tofd, to,
                MAILDIR_RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
#endif
    /* Classic Maildir move: link (fails on an existing target), unlink. */
    if (linkat(fromfd, name, tofd, to, 0) < 0)
        return -1;
    if (unlinkat(fromfd, name, 0) < 0 && errno != ENOENT) {
        int e = errno;
        unlinkat(tofd, to, 0);
        errno = e;
        return -1;
    }
    return 0;
}

/* ---- Moving new/ to cur/, maybe after the answer ----
 *
 * Renames are most of a first session's cost.  With many to do, the scan
 * returns (the client gets its answer) while a forked helper renames
 * each new/BASE[:INFO] to cur/BASE:INFO (":2," when there was none; the
 * base, the message's identity for every Maildir reader, never changes)
 * from its own copy of the listing, and marks each one done in a shared
 * map.  This process changes nothing on disk meanwhile: a message is
 * opened under either of its two names (maildir_msg_open_nostat), and
 * whatever removes one, or scans again, calls maildir_moves_wait()
 * first, which waits for the helper and points the entries at their new
 * names.
 *
 * Why a kill at any moment is safe: each rename is atomic, so every
 * message is under exactly one of its two names, both valid, with the
 * same base (so the same UIDL and the same size cache key); the file
 * never changes.  The helper shares the lock (the same open file), so
 * the lock is held until the renames are done even if this process dies
 * first; a listing cache is never saved by a scan that moves. */
struct maildir_moves {
    uint32_t *idx;           /* the entries to move */
    unsigned char *done;     /* shared with the helper: MOVE_* below */
    size_t n;
    pid_t pid;               /* the helper, or 0 (moved here) */
};

/* done[k]: 0 not tried (a helper killed first), 1 moved, else the
 * rename failed with errno done[k] - MOVE_FAILED (clamped to fit). */
#define MOVE_DONE 1
#define MOVE_FAILED 2

/* The cur/ name for a new/ name into to. */
void maildir_cur_name_of(const char *name, char *to)
{
    if (maildir_cur_name(name, to, NAME_MAX + 1) < 0)
        snprintf(to, NAME_MAX + 1, "%s", name);   /* too long: as is */
}

static void moves_run(const struct maildir *md, struct maildir_moves *mv,
                      char *name)
{
    char to[NAME_MAX + 1];
    for (size_t k = 0; k < mv->n; k++) {
        const struct maildir_msg *m = &md->msg[mv->idx[k]];
        const char *from = maildir_build_name(md, m, name);
        maildir_cur_name_of(from, to);
        if (maildir_rename_noreplace(md->newfd, from, md->curfd, to) == 0) {
            mv->done[k] = MOVE_DONE;
        } else {
            int e = errno > 0 && errno < 255 - MOVE_FAILED ? errno : 255 -
                    MOVE_FAILED;
            mv->done[k] = (unsigned char)(MOVE_FAILED + e);
        }
    }
}

/* Count a failed move by its reason: the first MAILDIR_MOVE_ERRORS
 * distinct errnos each get a count, the rest go to the last slot's. */
static void move_error(struct maildir *md, int e)
{
    md->move_failed++;
    size_t k;
    for (k = 0; k < MAILDIR_MOVE_ERRORS && md->move_err[k].n; k++)
        if (md->move_err[k].err == e)
            break;
    if (k == MAILDIR_MOVE_ERRORS)
        k--;
    if (!md->move_err[k].n)
        md->move_err[k].err = e;
    md->move_err[k].n++;
}

/* Point the moved entries at their cur/ names; count the failures. */
static void moves_apply(struct maildir *md, struct maildir_moves *mv)
{
    char to[NAME_MAX + 1];
    for (size_t k = 0; k < mv->n; k++) {
        if (mv->done[k] != MOVE_DONE) {
            /* Still in new/: the rename failed (logged by the caller:
             * a cur/ name taken, a full disk...), or the message is
             * gone (another reader took it: not a failure). */
            int e = mv->done[k] - MOVE_FAILED;
            if (mv->done[k] >= MOVE_FAILED && e != ENOENT)
                move_error(md, e);
            continue;
        }
        struct maildir_msg *m = &md->msg[mv->idx[k]];
        const char *name = maildir_build_name(md, m, md->namebuf[0]);
        size_t len = strlen(name);
        maildir_cur_name_of(name, to);
        md->moved++;
        if (!(m->flags & MAILDIR_F_SFX) &&
            strlen(to) == len + MAILDIR_INFO_EMPTY_LEN &&
            memcmp(to, name, len) == 0 && !memchr(name, ':', len)) {
            /* The usual case: the stored part stays, ":2," is implied. */
            m->flags = (m->flags & ~MAILDIR_F_NEW) | MAILDIR_F_SFX;
        } else if (maildir_store_name(md, m, to) == 0) {
            m->flags &= ~MAILDIR_F_NEW;
        }   /* else out of memory: relocate() finds it in cur/ on use */
    }
}

static void moves_free(struct maildir_moves *mv)
{
    free(mv->idx);
    if (mv->done)
        munmap(mv->done, mv->n ? mv->n : 1);
    free(mv);
}

/* Move every entry still in new/; in a helper process when there are
 * many, which then also writes the size cache (cache: 1) once it is
 * done.  The cache is keyed by the base, the same in new/ and cur/. */
int maildir_moves_start(struct maildir *md, int cache)
{
    size_t n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (md->msg[i].flags & MAILDIR_F_NEW)
            n++;
    if (n == 0) {
        if (cache)
            maildir_sizes_write(md);
        return 0;
    }
    struct maildir_moves *mv = calloc(1, sizeof *mv);
    if (!mv || !(mv->idx = malloc(n * sizeof *mv->idx)) ||
        !(mv->done = maildir_shared_map(n))) {
        if (mv)
            moves_free(mv);
        if (cache)
            maildir_sizes_write(md);
        return -1;
    }
    for (size_t i = 0; i < md->count; i++)
        if (md->msg[i].flags & MAILDIR_F_NEW)
            mv->idx[mv->n++] = (uint32_t)i;
    pid_t pid = n >= MAILDIR_MOVE_ASYNC_MIN ? fork() : -1;
    if (pid == 0) {
        moves_run(md, mv, md->namebuf[1]);
        if (cache)
            maildir_sizes_write(md);
        moves_free(mv);
        _exit(0);
    }
    if (pid > 0) {
        mv->pid = pid;
        md->moves = mv;
        md->moving = (unsigned)n;
        return 0;
    }
    moves_run(md, mv, md->namebuf[1]);
    moves_apply(md, mv);
    moves_free(mv);
    if (cache)
        maildir_sizes_write(md);
    return 0;
}

void maildir_moves_wait(struct maildir *md)
{
    struct maildir_moves *mv = md->moves;
    if (!mv)
        return;
    /* Killed midway: done[] says how far it got. */
    maildir_helper_wait(mv->pid);
    md->moves = NULL;
    md->moving = 0;
    moves_apply(md, mv);
    moves_free(mv);
}
