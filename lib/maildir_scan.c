/* SPDX-License-Identifier: ISC */
/*
 * maildir_scan.c -- maildir_scan() and maildir_listing_refresh() of
 * maildir.h: the listing cache, else readdir of cur/ and new/, the sort,
 * the sizes, the moves.
 */
#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir_array.h"
#include "maildir_cache.h"
#include "maildir_move.h"
#include "maildir_size.h"

/* ---- Scanning ---- */

/* A message in new/ or cur/: its facts from the name; stat(2) only when
 * the name has no delivery time or readdir did not give the type.  Its
 * size, when the name does not give it, is learnt after the sort (the
 * size cache, or reading the file: maildir_fill_sizes).  0 (added or
 * skipped) or -1 (out of memory). */
static int take(struct maildir *md, int dirfd, const char *name,
                int known_reg, unsigned where)
{
    struct stat st = { 0 };
    uint32_t t, u;
    if (!known_reg || maildir_name_time(name, &t, &u) < 0) {
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            return 0;
    }
    return maildir_msg_add(md, name, where, maildir_name_wire_size(name), &st);
}

static int scan_dir(struct maildir *md, int is_new)
{
    int fd = maildir_open_dir_at(is_new ? md->newfd : md->curfd, ".");
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int r = 0;
    struct dirent *de;
    errno = 0;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
            continue;
        if (md->count >= MAILDIR_MAX_MESSAGES)
            break;
        int reg = de->d_type == DT_REG;
        r = is_new ? take(md, md->newfd, de->d_name, reg, MAILDIR_F_NEW)
                   : take(md, md->curfd, de->d_name, reg, 0);
        errno = 0;
    }
    int e = errno;
    closedir(d);
    if (r < 0 || e) {
        errno = r < 0 ? ENOMEM : e;
        return -1;
    }
    return 0;
}

/* Forget the last scan's entries and counts (the mappings stay). */
static void scan_reset(struct maildir *md)
{
    md->count = 0;
    md->arena_len = 0;
    md->moved = md->size_reads = md->from_listing = 0;
    md->move_failed = 0;
    memset(md->move_err, 0, sizeof md->move_err);
}

/* Read cur/ and new/, sort, learn the sizes (with MAILDIR_SCAN_SIZES),
 * start the moves (with MAILDIR_SCAN_MOVE), and write the size cache
 * when it is due and no move helper writes it.  0 or -1 with errno. */
static int scan_dirs(struct maildir *md, unsigned flags)
{
    /* cur/ first: a message moved from new/ must not be seen twice. */
    int cache = 0;
    int r = scan_dir(md, 0);
    if (r == 0)
        r = scan_dir(md, 1);
    if (r == 0) {
        maildir_sort(md);
        if (flags & MAILDIR_SCAN_SIZES)
            r = maildir_fill_sizes(md, flags, &cache);
        if (r < 0)
            errno = ENOMEM;
    }
    if (r == 0 && (flags & MAILDIR_SCAN_MOVE) &&
        maildir_moves_start(md, cache) < 0) {
        errno = ENOMEM;
        r = -1;
    } else if (r == 0 && !(flags & MAILDIR_SCAN_MOVE) && cache) {
        maildir_sizes_write(md);
    }
    return r;
}

int maildir_scan(struct maildir *md, unsigned flags)
{
    maildir_moves_wait(md);
    scan_reset(md);
    /* The directories' keys, taken before reading them: a change after
     * this point gives them a new mtime, which a saved listing's key
     * then fails to match.  The file system stamps changes with the
     * coarse clock, read here first (see maildir_settled).  The stamps
     * come from the server on shared storage (maildir_dir_stat), also
     * for a plain listing: on NFS that is what makes the readdir below
     * see another host's change now rather than after actimeo. */
    struct stat cs, ns;
    struct dir_key ck, nk;
    struct timespec start;
    int stamped = clock_gettime(CLOCK_REALTIME_COARSE, &start) == 0 &&
                  maildir_dir_stat(md->curfd, &cs) == 0 &&
                  maildir_dir_stat(md->newfd, &ns) == 0;
    int keyed = stamped && (flags & MAILDIR_SCAN_SIZES);
    if (keyed) {
        maildir_dir_key(&ck, &cs, (int)md->shared);
        maildir_dir_key(&nk, &ns, (int)md->shared);
        if (maildir_listing_load(md, &ck, &nk) == 0) {
            md->from_listing = 1;
            return 0;
        }
    }
    if (scan_dirs(md, flags) < 0)
        return -1;
    if (keyed && md->lockfd >= 0 && md->moved == 0 && !md->moves &&
        maildir_settled(&cs, &start, md->settle_ms) &&
        maildir_settled(&ns, &start, md->settle_ms))
        maildir_listing_write(md, &ck, &nk);
    return 0;
}

int maildir_listing_refresh(struct maildir *md)
{
    if (md->lockfd < 0)
        return -1;
    maildir_moves_wait(md);
    /* The listing is saved only by a scan that begins after the last
     * change was stamped (maildir_settled): give the coarse clock the
     * tick or two it needs, boundedly.  A skew margin (shared storage)
     * longer than that wait is not waited for: the next session that
     * begins past it saves the listing.  Plain fstat here: the stamps
     * of this session's own changes are this client's to know, and
     * polling a server 25 times would cost more than it saves; the scan
     * below takes the server's and decides. */
    for (int waited = 0;; waited++) {
        struct stat cs, ns;
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME_COARSE, &now) < 0 ||
            fstat(md->curfd, &cs) < 0 || fstat(md->newfd, &ns) < 0)
            return -1;
        if (maildir_settled(&cs, &now, md->settle_ms) &&
            maildir_settled(&ns, &now, md->settle_ms))
            break;
        if (waited >= MAILDIR_LISTING_REFRESH_WAIT_MS ||
            md->settle_ms >= MAILDIR_LISTING_REFRESH_WAIT_MS)
            return -1;
        struct timespec ms = { 0, 1000000L };
        nanosleep(&ms, NULL);
    }
    /* A scan of its own (under this session's lock and descriptors), so
     * the session's listing, with its deletion marks, stays as it is. */
    struct maildir t;
    memset(&t, 0, sizeof t);
    t.dirfd = md->dirfd;
    t.newfd = md->newfd;
    t.curfd = md->curfd;
    t.lockfd = md->lockfd;
    t.shared = md->shared;
    t.settle_ms = md->settle_ms;
    int r = maildir_scan(&t, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES);
    maildir_moves_wait(&t);
    maildir_region_free(t.msg, t.cap);
    maildir_region_free(t.arena, t.arena_cap);
    return r;
}
