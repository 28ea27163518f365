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
#include "maildir_cache.h"

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
    md->shared = (unsigned)maildir_fs_shared(md->dirfd);
    md->settle_ms = md->shared ? MAILDIR_LISTING_SETTLE_SHARED_MS : 0;
    return 0;
}

void maildir_set_settle(struct maildir *md, int ms)
{
    if (ms < 0)
        ms = 0;
    md->settle_ms = ms > MAILDIR_LISTING_SETTLE_MAX_MS
                        ? MAILDIR_LISTING_SETTLE_MAX_MS : ms;
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

/* Take the OFD lock (fcntl F_OFD_SETLK, write, the whole file) on fd:
 * 0, 1 when another holds it, -1 with errno.  A kernel without OFD locks
 * (before Linux 3.15: EINVAL) leaves the flock alone to do the work. */
static int lock_ofd(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;   /* l_start 0, l_len 0: the whole file */
    while (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EACCES)
            return 1;
        return errno == EINVAL ? 0 : -1;
    }
    return 0;
}

/* flock(2) on fd, the same answers. */
static int lock_flock(int fd)
{
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? 1 : -1;
    }
    return 0;
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
    /* Two locks on one open file, both of the kind that belongs to the
     * open file description, not the process: no other close in the
     * process drops them, the rename helper (a fork) shares them, and
     * the kernel drops them with the last holder, so a dead session's
     * lock is free for the next one.
     *
     * The OFD lock is the one a shared file system must honour across
     * hosts (docs/DESIGN.md, "Shared storage"): NFS (NLM for v3, LOCK
     * for v4), CephFS and GlusterFS forward byte-range locks to the
     * server.  flock(2) is kept beside it for what already relies on it
     * (an older popkit on the same host, flock(1) in an administrator's
     * script); Linux's NFS client turns it into the same whole-file
     * byte-range lock unless mounted with local_lock=flock or all, and
     * GlusterFS sends both to one lock table: both come from this one
     * open file description, one lock owner, so they never refuse each
     * other.  Either refused means another session holds the Maildir. */
    int r = lock_ofd(fd);
    if (r == 0)
        r = lock_flock(fd);
    if (r != 0) {
        int e = errno;
        close(fd);
        if (r > 0)
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
        close(md->lockfd);   /* the last reference: both locks go */
    md->lockfd = -1;
}
