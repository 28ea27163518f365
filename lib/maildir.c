/* SPDX-License-Identifier: ISC */
/*
 * maildir.c -- opening, locking and closing a Maildir (maildir.h).
 *
 * lib/maildir in layers, top to bottom; a file calls only files below
 * it (through their internal headers, maildir_LAYER.h), never one above:
 *
 *   maildir.c          open, lock, close
 *   maildir_scan.c     the scan
 *   maildir_msg.c      one message: open, unlink, flag, found again
 *   maildir_move.c     new/ to cur/, in a helper process when many
 *   maildir_size.c     the sizes names do not give, in two processes
 *   maildir_cache.c    the size cache and the listing cache
 *   maildir_array.c    the message array, its name arena, the order
 *   maildir_name.c     names: pure functions
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir_array.h"

/* ---- Opening, locking ---- */

int maildir_open(struct maildir *md, const char *path)
{
    memset(md, 0, sizeof *md);
    md->newfd = md->curfd = md->lockfd = -1;
    md->dirfd = maildir_open_dir_at(AT_FDCWD, path);
    if (md->dirfd < 0)
        return -1;
    md->newfd = maildir_open_dir_at(md->dirfd, "new");
    if (md->newfd >= 0)
        md->curfd = maildir_open_dir_at(md->dirfd, "cur");
    if (md->curfd < 0) {
        int e = errno;
        maildir_close(md);
        errno = e;
        return -1;
    }
    return 0;
}

void maildir_close(struct maildir *md)
{
    maildir_moves_wait(md);
    int *fds[] = { &md->lockfd, &md->curfd, &md->newfd, &md->dirfd };
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    maildir_region_free(md->msg, md->cap);
    maildir_region_free(md->arena, md->arena_cap);
    md->msg = NULL;
    md->arena = NULL;
    md->count = md->cap = md->arena_len = md->arena_cap = 0;
}

int maildir_lock(struct maildir *md)
{
    int fd = openat(md->dirfd, MAILDIR_LOCK_NAME,
                    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                    0600);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    /* flock, not fcntl: it belongs to this open file, so no other close
     * in the process drops it, and the kernel drops it with the process:
     * a dead holder's lock is free for the next session. */
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return MAILDIR_BUSY;
        errno = e;
        return -1;
    }
    /* Nothing is written into the file: a session on an unchanged
     * Maildir writes nothing at all (fuser(1) names the holder). */
    md->lockfd = fd;
    return 0;
}

int maildir_lock_wait(struct maildir *md, int ms)
{
    for (;;) {
        int r = maildir_lock(md);
        if (r != MAILDIR_BUSY || ms <= 0)
            return r;
        int step = ms < MAILDIR_LOCK_RETRY_MS ? ms : MAILDIR_LOCK_RETRY_MS;
        struct timespec ts = { 0, (long)step * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

void maildir_unlock(struct maildir *md)
{
    maildir_moves_wait(md);   /* the renames happen under the lock */
    if (md->lockfd >= 0)
        close(md->lockfd);   /* the last reference: the flock goes */
    md->lockfd = -1;
}
