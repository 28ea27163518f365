/* SPDX-License-Identifier: ISC */
/*
 * maildir_cache.c -- the size cache and the listing cache of maildir.h,
 * both input an attacker with write access to the Maildir may shape.
 */
#include "maildir_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "maildir_array.h"
#include "maildir_name.h"
#include "util.h"

/* ---- The size cache ----
 *
 * Messages whose names carry no usable ,W= (delivered by qmail-local,
 * Postfix, maildrop..., or moved to cur/ by any reader: popkit keeps
 * names as they are) would be read every session to learn their wire
 * size.  MAILDIR_CACHE_NAME remembers it:
 *
 *   popkit-sizes 1\n
 *   TIME USEC WIRE NAME\n     (one a message, in session order)
 *
 * A file is never rewritten under its name, so NAME (up to ':', the
 * flags) fixes its content and the size stays true.  The cache is input
 * anyone with write access to the Maildir shapes: lines are parsed with
 * hard limits, a line that does not parse, does not agree with the
 * name's ,S= or claims more than the file can hold (cache_claim_ok) is
 * ignored, and it is read in one sequential pass merged
 * against the sorted messages, so it costs no memory however large.
 * Missing, stale or corrupt, it is rebuilt by a session that holds the
 * lock and had to read files. */

#define CACHE_MAGIC "popkit-sizes 1\n"

struct cache_in {
    int fd;
    char *buf;
    size_t start, end;
    int eof;
};

/* Read more into the buffer (compacting it first).  0 at the end. */
static size_t cache_fill(struct cache_in *c)
{
    memmove(c->buf, c->buf + c->start, c->end - c->start);
    c->end -= c->start;
    c->start = 0;
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->end, MAILDIR_READ_CHUNK - c->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->eof = 1;
            return 0;
        }
        c->end += (size_t)n;
        return (size_t)n;
    }
}

/* The next line (without its LF, which becomes NUL-able room) or NULL at
 * the end.  A line longer than MAILDIR_CACHE_LINE_MAX is skipped whole,
 * and so is a last line without LF. */
static char *cache_line(struct cache_in *c, size_t *len)
{
    int skipping = 0;
    for (;;) {
        char *p = c->buf + c->start;
        char *lf = memchr(p, '\n', c->end - c->start);
        if (lf) {
            c->start += (size_t)(lf - p) + 1;
            if (skipping || lf - p > MAILDIR_CACHE_LINE_MAX) {
                skipping = 0;
                continue;
            }
            *len = (size_t)(lf - p);
            return p;
        }
        if (c->end - c->start > MAILDIR_CACHE_LINE_MAX) {
            skipping = 1;
            c->start = c->end;
        }
        if (c->eof || cache_fill(c) == 0)
            return NULL;
    }
}

/* Parse "TIME USEC WIRE NAME" into e (name NUL-terminated in place). */
static int cache_parse(char *line, size_t len, struct maildir_msg *e,
                       char **name)
{
    uint64_t v[3];
    const char *p = line, *end;
    line[len] = '\0';
    for (int k = 0; k < 3; k++) {
        if (maildir_parse_digits(p, 20, &v[k], &end) < 0 || *end != ' ')
            return -1;
        p = end + 1;
    }
    size_t nlen = strlen(p);
    if (v[0] > UINT32_MAX || v[1] > 999999 || v[2] >= MAILDIR_SIZE_UNKNOWN ||
        nlen == 0 || nlen > NAME_MAX || nlen != len - (size_t)(p - line) ||
        strchr(p, '/') || p[0] == '.')
        return -1;
    /* The size must fit what the name says of the file, if it says. */
    uint64_t sz;
    if (maildir_name_field(p, 'S', &sz) == 0 && (v[2] < sz || v[2] > 2 * sz + 2))
        return -1;
    memset(e, 0, sizeof *e);
    e->time = (uint32_t)v[0];
    e->usec = v[1];
    e->wire_size = v[2];
    *name = (char *)p;
    return 0;
}

/* Whether message i's file may have the wire size a cache claims for
 * it.  Claims up to MAILDIR_CACHE_TRUST_MAX are taken as they are (RETR
 * corrects a wrong one, trans_cmds.c); a bigger one must lie within the
 * line-end conversion's bounds of the file's size (msgfmt.h: at least
 * the file, at most twice it and a final CRLF), so a forged cache cannot
 * announce 10^12 octets for 20 bytes.  A file that cannot be stat'ed (or
 * is not regular, as RETR would refuse it) makes the claim fail. */
static int cache_claim_ok(struct maildir *md, size_t i, uint64_t wire)
{
    struct stat st;
    if (wire <= MAILDIR_CACHE_TRUST_MAX)
        return 1;
    const char *name = maildir_build_name(md, &md->msg[i], md->namebuf[0]);
    if (fstatat(maildir_msg_dirfd(md, i), name, &st, AT_SYMLINK_NOFOLLOW) < 0
        || !S_ISREG(st.st_mode))
        return 0;
    uint64_t f = (uint64_t)st.st_size;
    return wire >= f && wire <= 2 * f + 2;
}

/* Cache entry before message m in session order?  <0, 0 (same), >0. */
static int cache_cmp(struct maildir *md, const struct maildir_msg *e,
                     const char *ename, const struct maildir_msg *m)
{
    uint64_t ke = (uint64_t)e->time << 20 | e->usec;
    uint64_t km = (uint64_t)m->time << 20 | m->usec;
    if (ke != km)
        return ke < km ? -1 : 1;
    return maildir_name_keycmp(ename,
                               maildir_build_name(md, m, md->namebuf[1]));
}

/* Fill unknown sizes from the cache.  Returns the number of cache lines
 * that were not used (stale or bad), or -1 when there is no cache. */
long maildir_sizes_apply(struct maildir *md, char *buf)
{
    struct stat st;
    int fd = openat(md->dirfd, MAILDIR_CACHE_NAME,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    struct cache_in c = { .fd = fd, .buf = buf };
    size_t len;
    char *line = cache_line(&c, &len);
    if (!line || len + 1 != sizeof CACHE_MAGIC - 1 ||
        memcmp(line, CACHE_MAGIC, len) != 0) {
        close(fd);
        return -1;
    }
    long unused = 0;
    size_t i = 0;
    while ((line = cache_line(&c, &len)) != NULL) {
        struct maildir_msg e;
        char *ename;
        if (cache_parse(line, len, &e, &ename) < 0) {
            unused++;
            continue;
        }
        /* Pass the messages that sort before this entry (none in the
         * cache for them) and those whose names give their size. */
        int cmp = -1;
        while (i < md->count) {
            if (md->msg[i].wire_size != MAILDIR_SIZE_UNKNOWN ||
                (cmp = cache_cmp(md, &e, ename, &md->msg[i])) > 0) {
                i++;
                continue;
            }
            break;
        }
        if (i < md->count && cmp == 0 && cache_claim_ok(md, i, e.wire_size))
            md->msg[i++].wire_size = e.wire_size;
        else
            unused++;   /* a refused claim: the file is read instead */
    }
    close(fd);
    return unused;
}

/* Caches are written to NAME.PID and renamed over NAME, so a reader sees
 * the old file or the new one.  No fsync: a cache need not survive a
 * crash (a torn one fails its checks and is rebuilt).  Open the temporary
 * file (tmp gets its name); -1 when it cannot be made. */
static int cache_tmp_open(struct maildir *md, const char *name, char *tmp,
                          size_t tmplen)
{
    snprintf(tmp, tmplen, "%s.%ld", name, (long)getpid());
    unlinkat(md->dirfd, tmp, 0);
    return openat(md->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                  O_CLOEXEC, 0600);
}

/* Close the temporary file and put it in place, or drop it when a write
 * failed (bad) or the rename does. */
static void cache_tmp_commit(struct maildir *md, int fd, int bad,
                             const char *tmp, const char *name)
{
    if (close(fd) < 0 || bad || renameat(md->dirfd, tmp, md->dirfd, name) < 0)
        unlinkat(md->dirfd, tmp, 0);
}

/* Write the cache anew: every message whose name gives no size. */
static void sizes_write_buf(struct maildir *md, char *buf)
{
    char tmp[64];
    int fd = cache_tmp_open(md, MAILDIR_CACHE_NAME, tmp, sizeof tmp);
    if (fd < 0)
        return;
    size_t n = 0, cap = MAILDIR_READ_CHUNK;
    int bad = write_all(fd, CACHE_MAGIC, sizeof CACHE_MAGIC - 1) < 0;
    for (size_t i = 0; i < md->count && !bad; i++) {
        const struct maildir_msg *m = &md->msg[i];
        const char *name = maildir_build_name(md, m, md->namebuf[0]);
        /* A name with a line end cannot be one line: not cached. */
        if (maildir_name_wire_size(name) != MAILDIR_SIZE_UNKNOWN ||
            m->wire_size == MAILDIR_SIZE_UNKNOWN || strchr(name, '\n'))
            continue;
        if (cap - n < NAME_MAX + 64) {
            bad = write_all(fd, buf, n) < 0;
            n = 0;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%u %u %llu %.*s\n", m->time,
                              (unsigned)m->usec,
                              (unsigned long long)m->wire_size,
                              (int)strcspn(name, ":"), name);
    }
    if (!bad)
        bad = write_all(fd, buf, n) < 0;
    cache_tmp_commit(md, fd, bad, tmp, MAILDIR_CACHE_NAME);
}

void maildir_sizes_write(struct maildir *md)
{
    char *buf = malloc(MAILDIR_READ_CHUNK);
    if (buf)
        sizes_write_buf(md, buf);
    free(buf);
}

void maildir_caches_drop(struct maildir *md)
{
    unlinkat(md->dirfd, MAILDIR_CACHE_NAME, 0);
    unlinkat(md->dirfd, MAILDIR_LISTING_NAME, 0);
}

/* ---- The listing cache ---- */

/* 2: MAILDIR_F_SFX stands for ":2," (it was ",W=N:2,"): a listing of
 * the old form must not be read with the new meaning. */
#define LISTING_MAGIC "popkit-listing2"

struct listing_head {
    char magic[16];
    uint32_t entry_size;   /* sizeof (struct maildir_msg) of the writer */
    uint32_t pad;
    uint64_t count, arena_len;
    struct dir_key cur, new;
};

void maildir_dir_key(struct dir_key *k, const struct stat *st, int shared)
{
    memset(k, 0, sizeof *k);
    k->dev = shared ? 0 : st->st_dev;
    k->ino = st->st_ino;
    k->msec = st->st_mtim.tv_sec;
    k->mnsec = st->st_mtim.tv_nsec;
    k->csec = st->st_ctim.tv_sec;
    k->cnsec = st->st_ctim.tv_nsec;
}

/* Check loaded entries: everything a later use relies on. */
static int listing_valid(struct maildir *md)
{
    for (size_t i = 0; i < md->count; i++) {
        const struct maildir_msg *m = &md->msg[i];
        if (m->name_off >= md->arena_len ||
            (m->flags & ~(MAILDIR_F_NEW | MAILDIR_F_PFX | MAILDIR_F_SFX)) ||
            m->wire_size == MAILDIR_SIZE_UNKNOWN || m->usec > 999999)
            return -1;
        const char *stored = md->arena + m->name_off;
        const char *nul = memchr(stored, '\0', md->arena_len - m->name_off);
        /* Room for the rebuilt name: prefix <= 11, suffix 3 (kept as
         * wide as before, 30, so no name that fitted then fails now). */
        if (!nul || nul - stored > NAME_MAX - 30)
            return -1;
        /* The rebuilt name (maildir_build_name) is the stored part between
         * digits and "." (PFX) and ":2," (SFX), so checking the
         * stored part checks it, without rebuilding 100,000 names: not
         * empty, not hidden, no '/'. */
        size_t len = (size_t)(nul - stored);
        if (memchr(stored, '/', len) ||
            (!(m->flags & (MAILDIR_F_PFX | MAILDIR_F_SFX)) && len == 0) ||
            (!(m->flags & MAILDIR_F_PFX) && stored[0] == '.'))
            return -1;
        if (i > 0 && !maildir_msg_before(md, &md->msg[i - 1], m))
            return -1;   /* out of order, or a duplicate */
        if (!cache_claim_ok(md, i, m->wire_size))
            return -1;   /* a size the file cannot have: scan anew */
    }
    return 0;
}

/* Load the listing if it is for these very directories.  0 or -1. */
int maildir_listing_load(struct maildir *md, const struct dir_key *cur,
                         const struct dir_key *new)
{
    struct listing_head h;
    struct stat st;
    int fd = openat(md->dirfd, MAILDIR_LISTING_NAME,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
             read_full(fd, &h, sizeof h) == (ssize_t)sizeof h &&
             memcmp(h.magic, LISTING_MAGIC, sizeof h.magic) == 0 &&
             h.entry_size == sizeof(struct maildir_msg) &&
             memcmp(&h.cur, cur, sizeof *cur) == 0 &&
             memcmp(&h.new, new, sizeof *new) == 0 &&
             h.count <= MAILDIR_MAX_MESSAGES &&
             h.arena_len <= h.count * (NAME_MAX + 1) &&
             (uint64_t)st.st_size == sizeof h + h.count * sizeof *md->msg +
                                     h.arena_len &&
             maildir_region_grow((void **)&md->msg, &md->cap,
                                 h.count * sizeof *md->msg + 1) == 0 &&
             maildir_region_grow((void **)&md->arena, &md->arena_cap,
                                 h.arena_len + 1) == 0 &&
             read_full(fd, md->msg, h.count * sizeof *md->msg) ==
                 (ssize_t)(h.count * sizeof *md->msg) &&
             read_full(fd, md->arena, h.arena_len) == (ssize_t)h.arena_len;
    close(fd);
    if (ok) {
        md->count = h.count;
        md->arena_len = h.arena_len;
        if (listing_valid(md) == 0)
            return 0;
    }
    md->count = 0;
    md->arena_len = 0;
    return -1;
}

static int64_t ns_of(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The statx(2) record as the kernel lays it out (linux/stat.h), for a
 * libc without the wrapper (musl 1.2.3): only the fields used here. */
struct dir_statx_ts {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
};
struct dir_statx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, spare0;
    uint64_t ino, size, blocks, attributes_mask;
    struct dir_statx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};
#define DIR_STATX_BASIC 0x7ffu         /* STATX_BASIC_STATS */
#define DIR_AT_EMPTY_PATH 0x1000       /* AT_EMPTY_PATH */
#define DIR_AT_FORCE_SYNC 0x2000       /* AT_STATX_FORCE_SYNC */

int maildir_dir_stat(int fd, struct stat *st)
{
#ifdef SYS_statx
    struct dir_statx x;
    memset(&x, 0, sizeof x);
    if (syscall(SYS_statx, fd, "", DIR_AT_EMPTY_PATH | DIR_AT_FORCE_SYNC,
                DIR_STATX_BASIC, &x) == 0) {
        memset(st, 0, sizeof *st);
        st->st_dev = makedev(x.dev_major, x.dev_minor);
        st->st_ino = (ino_t)x.ino;
        st->st_mode = x.mode;
        st->st_mtim.tv_sec = (time_t)x.mtime.sec;
        st->st_mtim.tv_nsec = (long)x.mtime.nsec;
        st->st_ctim.tv_sec = (time_t)x.ctime.sec;
        st->st_ctim.tv_nsec = (long)x.ctime.nsec;
        st->st_atim.tv_sec = (time_t)x.atime.sec;
        st->st_atim.tv_nsec = (long)x.atime.nsec;
        return 0;
    }
    if (errno != ENOSYS && errno != EINVAL && errno != EPERM)
        return -1;   /* else: an old kernel or a seccomp filter */
#endif
    return fstat(fd, st);
}

/* The local file systems: one host, one clock, stamps from this kernel.
 * Everything else (NFS, CephFS, FUSE and so GlusterFS, SMB, GFS2, OCFS2,
 * Lustre, ...) or unknown counts as shared. */
static const uint32_t local_fs[] = {
    0xEF53u,       /* ext2, ext3, ext4 */
    0x58465342u,   /* xfs */
    0x9123683Eu,   /* btrfs */
    0x01021994u,   /* tmpfs */
    0x858458F6u,   /* ramfs */
    0x2FC12FC1u,   /* zfs */
    0xF2F52010u,   /* f2fs */
    0xCA451A4Eu,   /* bcachefs */
    0x3153464Au,   /* jfs */
    0x52654973u,   /* reiserfs */
    0x794C7630u,   /* overlayfs (its upper layer is local) */
};

int maildir_fs_shared(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0)
        return 1;
    for (size_t i = 0; i < sizeof local_fs / sizeof local_fs[0]; i++)
        if ((uint32_t)sf.f_type == local_fs[i])
            return 0;
    return 1;
}

/* Why a listing keyed by stamps older than the scan's start is safe,
 * and why that is enough (no wait of several ticks):
 *
 * The scan reads CLOCK_REALTIME_COARSE (start) before it takes the
 * directories' stamps and reads them.  A file system stamps a change
 * with the current time from that same coarse clock (or, with Linux's
 * multigrain stamps, a finer one that is never behind it), so a change
 * made after start is stamped at start or later.  If both stamps the
 * listing is keyed by are older than start, such a change, even in the
 * same clock tick as the last one (a delivery right after our readdir),
 * gives the directory a stamp the key does not have, and the listing is
 * not used.  If a stamp is not older (the directory changed in the tick
 * the scan began, e.g. the renames of the session just before), the scan
 * cannot tell whether its readdir saw that change: nothing is saved, and
 * the next scan, one tick later, saves it.
 *
 * A file system that rounds stamps to G can stamp a later change with
 * the value of an earlier one in the same G; the margin is that G:
 * MAILDIR_LISTING_SETTLE_US for sub-millisecond rounding, and
 * MAILDIR_LISTING_SETTLE_COARSE_MS when the stamps look coarse (whole
 * milliseconds: ext4 with small inodes keeps seconds, FAT 2 s).  Stamps
 * in the future (a clock set back) are never settled.
 *
 * Shared storage (docs/DESIGN.md, "Shared storage") adds two things.
 * Another host's change is stamped by another clock: NFS servers stamp
 * directory changes with their own, CephFS and GlusterFS (its ctime
 * feature) with the client's that made it.  A clock S behind ours stamps
 * a change made after start with a time down to start - S, so the
 * margin grows by settle_ms, the skew it covers (maildir_set_settle).
 * And this host's view of the stamps may be old: the NFS client keeps a
 * directory's attributes for up to acdirmax (60 s by default), FUSE for
 * its attribute timeout.  The scan takes them with maildir_dir_stat,
 * which asks the server (AT_STATX_FORCE_SYNC), for the key it compares
 * as for the one it saves; that also makes the NFS client drop its
 * cached directory pages when the stamps moved, so the readdir that
 * follows is fresh too.  A cache in the file system's own client that a
 * forced stat does not pass (GlusterFS's md-cache, 1 s by default, when
 * cache invalidation is off) is beyond any stamp check: DESIGN.md says
 * which options close it. */
int maildir_settled(const struct stat *st, const struct timespec *start,
                    int settle_ms)
{
    int coarse = st->st_mtim.tv_nsec % 1000000 == 0 &&
                 st->st_ctim.tv_nsec % 1000000 == 0;
    int64_t margin = coarse ? (int64_t)MAILDIR_LISTING_SETTLE_COARSE_MS * 1000000
                            : (int64_t)MAILDIR_LISTING_SETTLE_US * 1000;
    if (settle_ms > 0)
        margin += (int64_t)settle_ms * 1000000;
    int64_t limit = ns_of(start) - margin;
    return ns_of(&st->st_mtim) < limit && ns_of(&st->st_ctim) < limit;
}

void maildir_listing_write(struct maildir *md, const struct dir_key *cur,
                           const struct dir_key *new)
{
    struct listing_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, LISTING_MAGIC, sizeof h.magic);
    h.entry_size = sizeof(struct maildir_msg);
    h.count = md->count;
    h.arena_len = md->arena_len;
    h.cur = *cur;
    h.new = *new;
    char tmp[64];
    int fd = cache_tmp_open(md, MAILDIR_LISTING_NAME, tmp, sizeof tmp);
    if (fd < 0)
        return;
    /* Deletion marks are the caller's; none exist right after a scan. */
    int bad = write_all(fd, &h, sizeof h) < 0 ||
              write_all(fd, md->msg, md->count * sizeof *md->msg) < 0 ||
              write_all(fd, md->arena, md->arena_len) < 0;
    cache_tmp_commit(md, fd, bad, tmp, MAILDIR_LISTING_NAME);
}

