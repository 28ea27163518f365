/* SPDX-License-Identifier: ISC */
/*
 * maildir.c -- opening, locking and scanning a Maildir, and the message
 * operations (maildir.h).  Name parsing lives in maildir_name.c, the
 * size and listing caches in maildir_cache.c.
 */
#define _GNU_SOURCE
#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir_int.h"
#include "msgfmt.h"
#include "util.h"

/* renameat2's RENAME_NOREPLACE (linux/fs.h), for a libc without it. */
#define MAILDIR_RENAME_NOREPLACE 1u

/* ---- Memory: two growing regions, mapped directly ---- */

/* Grow the mapping *p of *cap bytes to at least need bytes.  mremap
 * moves pages instead of copying them, and pages never touched cost no
 * memory, so doubling wastes nothing real.  0 or -1 (ENOMEM). */
int maildir_region_grow(void **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 65536;
    while (c < need)
        c *= 2;
    void *q = *p ? mremap(*p, *cap, c, MREMAP_MAYMOVE)
                 : mmap(NULL, c, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        errno = ENOMEM;
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

static void region_free(void *p, size_t cap)
{
    if (p)
        munmap(p, cap);
}

/* ---- Opening, locking ---- */

static int open_dir_at(int at, const char *path)
{
    return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int maildir_open(struct maildir *md, const char *path)
{
    memset(md, 0, sizeof *md);
    md->newfd = md->curfd = md->lockfd = -1;
    md->dirfd = open_dir_at(AT_FDCWD, path);
    if (md->dirfd < 0)
        return -1;
    md->newfd = open_dir_at(md->dirfd, "new");
    if (md->newfd >= 0)
        md->curfd = open_dir_at(md->dirfd, "cur");
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
    region_free(md->msg, md->cap);
    region_free(md->arena, md->arena_cap);
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

/* ---- Names in the arena ---- */

/* Decimal digits of v into out (no NUL); returns the count. */
static size_t put_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* The info the move to cur/ gives a name that had none: ":2," (no
 * flags).  Most names in cur/ end so; the arena leaves it out. */
#define INFO_EMPTY ":2,"
#define INFO_EMPTY_LEN 3

/* Rebuild the name of m into out (NAME_MAX + 1 bytes). */
const char *maildir_build_name(const struct maildir *md,
                              const struct maildir_msg *m, char *out)
{
    const char *stored = md->arena + m->name_off;
    if (!(m->flags & (MAILDIR_F_PFX | MAILDIR_F_SFX)))
        return stored;
    size_t o = 0, len = strlen(stored);
    if (m->flags & MAILDIR_F_PFX) {
        o = put_u64(out, m->time);
        out[o++] = '.';
    }
    memcpy(out + o, stored, len);
    o += len;
    if (m->flags & MAILDIR_F_SFX) {
        memcpy(out + o, INFO_EMPTY, INFO_EMPTY_LEN);
        o += INFO_EMPTY_LEN;
    }
    out[o] = '\0';
    return out;
}

const char *maildir_msg_name(struct maildir *md, size_t i)
{
    return maildir_build_name(md, &md->msg[i], md->namebuf[0]);
}

int maildir_msg_dirfd(const struct maildir *md, size_t i)
{
    return (md->msg[i].flags & MAILDIR_F_NEW) ? md->newfd : md->curfd;
}

/* Store name for m, leaving out what m's fields rebuild exactly.  The
 * check is textual, so maildir_build_name() always gives back the same bytes. */
static int store_name(struct maildir *md, struct maildir_msg *m,
                      const char *name)
{
    size_t len = strlen(name);
    char buf[48];
    m->flags &= (uint8_t)~(MAILDIR_F_PFX | MAILDIR_F_SFX);
    size_t p = put_u64(buf, m->time);
    buf[p++] = '.';
    if (len > p && memcmp(name, buf, p) == 0 &&
        maildir_name_time(name, &(uint32_t){0}, &(uint32_t){0}) == 0) {
        name += p;
        len -= p;
        m->flags |= MAILDIR_F_PFX;
    }
    if (len > INFO_EMPTY_LEN &&
        memcmp(name + len - INFO_EMPTY_LEN, INFO_EMPTY, INFO_EMPTY_LEN) == 0 &&
        memchr(name, ':', len - INFO_EMPTY_LEN) == NULL) {
        len -= INFO_EMPTY_LEN;
        m->flags |= MAILDIR_F_SFX;
    }
    if (md->arena_len + len + 1 > UINT32_MAX ||
        maildir_region_grow((void **)&md->arena, &md->arena_cap,
                    md->arena_len + len + 1) < 0) {
        errno = ENOMEM;
        return -1;
    }
    m->name_off = (uint32_t)md->arena_len;
    memcpy(md->arena + md->arena_len, name, len);
    md->arena[md->arena_len + len] = '\0';
    md->arena_len += len + 1;
    return 0;
}

/* Add a message whose facts are all known.  0 or -1 (ENOMEM). */
static int msg_add(struct maildir *md, const char *name, unsigned flags,
                   uint64_t wire, const struct stat *st)
{
    if (maildir_region_grow((void **)&md->msg, &md->cap,
                    (md->count + 1) * sizeof *md->msg) < 0)
        return -1;
    struct maildir_msg *m = &md->msg[md->count];
    uint32_t sec, usec;
    memset(m, 0, sizeof *m);
    if (maildir_name_time(name, &sec, &usec) < 0) {
        sec = st->st_mtim.tv_sec < 0 ? 0
              /* compared as uint64_t: (time_t)UINT32_MAX is -1 where
               * time_t has 32 bits (found by scripts/test-m32) */
              : (uint64_t)st->st_mtim.tv_sec > UINT32_MAX ? UINT32_MAX
              : (uint32_t)st->st_mtim.tv_sec;
        usec = (uint32_t)(st->st_mtim.tv_nsec / 1000);
    }
    m->time = sec;
    m->usec = usec;
    m->flags = flags & MAILDIR_F_NEW;
    m->wire_size = wire >= MAILDIR_SIZE_UNKNOWN ? MAILDIR_SIZE_UNKNOWN : wire;
    if (store_name(md, m, name) < 0)
        return -1;
    md->count++;
    return 0;
}

/* ---- Scanning ---- */

/* Open a message file safely: no symlinks, no blocking on a FIFO put in
 * its place (the readers check the type before reading past the size
 * they expect).  fd or -1 (errno ENOENT when gone). */
static int open_msg_at(int dirfd, const char *name)
{
    return openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                  O_CLOEXEC);
}

/* Read a message file to its end and count its wire size.  No fstat:
 * a delivered Maildir file never changes, and read(2) of a regular file
 * returns less than asked only at its end, so a short read ends it (the
 * size is exact; see maildir.h).  readdir said the entry was a regular
 * file; only a read that fills the whole buffer or finds nothing is
 * checked with fstat, so a FIFO or device swapped in meanwhile (which
 * might never end) is refused, never read on.  0 or -1 (skip it). */
static int size_at(int dirfd, const char *name, char *buf, uint64_t *wire)
{
    int fd = open_msg_at(dirfd, name);
    if (fd < 0)
        return -1;
    struct msgsize s;
    msgsize_init(&s);
    int checked = 0, r = 0;
    for (;;) {
        ssize_t n = read(fd, buf, MAILDIR_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -1;
            break;
        }
        if (!checked && (n == 0 || n == MAILDIR_READ_CHUNK)) {
            struct stat st;
            if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                errno = EINVAL;
                r = -1;
                break;
            }
            checked = 1;
        }
        msgsize_add(&s, buf, (size_t)n);
        if (n < MAILDIR_READ_CHUNK)
            break;
    }
    int e = errno;
    close(fd);
    errno = e;
    *wire = msgsize_end(&s);
    return r;
}

/* Rename fromfd/name to tofd/to without replacing anything. */
static int rename_noreplace(int fromfd, const char *name, int tofd,
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

/* A message in new/ or cur/: its facts from the name; stat(2) only when
 * the name has no delivery time or readdir did not give the type.  Its
 * size, when the name does not give it, is learnt after the sort (the
 * size cache, or reading the file: fill_sizes).  0 (added or skipped)
 * or -1 (out of memory). */
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
    return msg_add(md, name, where, maildir_name_wire_size(name), &st);
}

static int scan_dir(struct maildir *md, int is_new)
{
    int fd = open_dir_at(is_new ? md->newfd : md->curfd, ".");
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

/* Oldest first: time, then usec, then the name (rare: only on a tie). */
int maildir_msg_before(struct maildir *md, const struct maildir_msg *x,
                      const struct maildir_msg *y)
{
    uint64_t kx = (uint64_t)x->time << 20 | x->usec;
    uint64_t ky = (uint64_t)y->time << 20 | y->usec;
    if (kx != ky)
        return kx < ky;
    if (x == y)
        return 0;
    /* The name without its flags first, so the order (and the size
     * cache, which keys by it) does not change with a flag change. */
    const char *a = maildir_build_name(md, x, md->namebuf[0]);
    const char *b = maildir_build_name(md, y, md->namebuf[1]);
    int r = maildir_name_keycmp(a, b);
    return r != 0 ? r < 0 : strcmp(a, b) < 0;
}

static void swap_msg(struct maildir_msg *a, struct maildir_msg *b)
{
    struct maildir_msg t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(struct maildir *md, struct maildir_msg *a, size_t root,
                      size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && maildir_msg_before(md, &a[child], &a[child + 1]))
            child++;
        if (!maildir_msg_before(md, &a[root], &a[child]))
            return;
        swap_msg(&a[root], &a[child]);
        root = child;
    }
}

static void heap_sort(struct maildir *md, struct maildir_msg *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(md, a, i, n);
    while (n > 1) {
        n--;
        swap_msg(&a[0], &a[n]);
        sift_down(md, a, 0, n);
    }
}

/* Introsort in place: quicksort (median of three), insertion sort for
 * short runs, heapsort when the recursion runs deep.  No scratch memory
 * (qsort may allocate a copy of the whole array), O(n log n) whatever
 * order readdir gave, and fast on the nearly sorted order of names. */
static void intro_sort(struct maildir *md, struct maildir_msg *a, size_t n,
                       int depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(md, a, n);
            return;
        }
        size_t mid = n / 2;
        if (maildir_msg_before(md, &a[mid], &a[0]))
            swap_msg(&a[mid], &a[0]);
        if (maildir_msg_before(md, &a[n - 1], &a[0]))
            swap_msg(&a[n - 1], &a[0]);
        if (maildir_msg_before(md, &a[n - 1], &a[mid]))
            swap_msg(&a[n - 1], &a[mid]);
        struct maildir_msg pivot = a[mid];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (maildir_msg_before(md, &a[i], &pivot))
                i++;
            while (maildir_msg_before(md, &pivot, &a[j]))
                j--;
            if (i >= j)
                break;
            swap_msg(&a[i], &a[j]);
            i++;
            j--;
        }
        /* a[0..j] <= pivot <= a[j+1..n-1]: recurse on the smaller part. */
        size_t left = j + 1;
        if (left < n - left) {
            intro_sort(md, a, left, depth);
            a += left;
            n -= left;
        } else {
            intro_sort(md, a + left, n - left, depth);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && maildir_msg_before(md, &a[k], &a[k - 1]); k--)
            swap_msg(&a[k], &a[k - 1]);
}

static void sort_msgs(struct maildir *md)
{
    int depth = 0;
    for (size_t n = md->count; n > 1; n >>= 1)
        depth += 2;
    intro_sort(md, md->msg, md->count, depth);
}

/* ---- Sizes: the size cache, then the files, in two processes ---- */

/* Does m need its size read by a scan with these flags?  Only a scan
 * for sizes reads: the move to cur/ no longer puts the size in the name. */
static int need_size(const struct maildir_msg *m, unsigned flags)
{
    return m->wire_size == MAILDIR_SIZE_UNKNOWN && (flags & MAILDIR_SCAN_SIZES);
}

/* A map both processes of a fork write: results a helper hands back. */
static void *shared_map(size_t len)
{
    void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Wait for a helper process to end (however it ends). */
static void helper_wait(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        continue;
}

/* What a sizing helper writes after its last size: it got to the end. */
#define SIZES_DONE 0x706f706b69742121ULL

/* Read the files idx[0..n) lists into wire[0..n) (UNKNOWN when one
 * vanished or is not a file).  name: NAME_MAX + 1 bytes. */
static unsigned size_list(const struct maildir *md, const uint32_t *idx,
                          size_t n, uint64_t *wire, char *buf, char *name)
{
    unsigned reads = 0;
    for (size_t k = 0; k < n; k++) {
        const struct maildir_msg *m = &md->msg[idx[k]];
        int dirfd = (m->flags & MAILDIR_F_NEW) ? md->newfd : md->curfd;
        uint64_t w;
        wire[k] = MAILDIR_SIZE_UNKNOWN;
        if (size_at(dirfd, maildir_build_name(md, m, name), buf, &w) < 0)
            continue;   /* vanished or not a file: left unknown, dropped */
        wire[k] = w >= MAILDIR_SIZE_UNKNOWN ? MAILDIR_SIZE_UNKNOWN - 1 : w;
        reads++;
    }
    return reads;
}

/* Read the files idx[0..n) lists and set their sizes.  With many, a
 * forked helper reads half of them (the open/read/close is kernel work
 * two cores share; a process, not a thread: it shares nothing it could
 * race on, and costs the binary 4 KB of code where threads cost 80 KB
 * of every session's memory).  It hands the sizes back in a shared map;
 * if it fails, this process reads its half too.  -1 when out of memory. */
static int size_files(struct maildir *md, const uint32_t *idx, size_t n,
                      char *buf)
{
    uint64_t *wire = malloc(n * sizeof *wire);
    if (!wire)
        return -1;
    size_t half = n >= MAILDIR_SIZE_FORK_MIN ? n / 2 : n;
    size_t maplen = (n - half + 1) * sizeof *wire;
    uint64_t *theirs = half < n ? shared_map(maplen) : NULL;
    pid_t pid = theirs ? fork() : -1;
    if (pid == 0) {
        /* The helper reads with this process's buffer (its own copy),
         * and frees what only the callers' frames hold before it ends
         * (valgrind follows forks). */
        size_list(md, idx + half, n - half, theirs, buf, md->namebuf[1]);
        theirs[n - half] = SIZES_DONE;
        free(wire);
        free(buf);
        free((void *)idx);
        _exit(0);
    }
    md->size_reads += size_list(md, idx, pid > 0 ? half : n, wire, buf,
                                md->namebuf[0]);
    if (pid > 0) {
        helper_wait(pid);
        if (theirs[n - half] == SIZES_DONE) {
            memcpy(wire + half, theirs, (n - half) * sizeof *wire);
            for (size_t k = half; k < n; k++)
                md->size_reads += wire[k] != MAILDIR_SIZE_UNKNOWN;
        } else {
            md->size_reads += size_list(md, idx + half, n - half, wire + half,
                                        buf, md->namebuf[0]);
        }
    }
    if (theirs)
        munmap(theirs, maplen);
    for (size_t k = 0; k < n; k++)
        md->msg[idx[k]].wire_size = wire[k];
    free(wire);
    return 0;
}

/* Write the size cache (with a buffer of its own: it may run in the
 * rename helper, after the answer).  Out of memory, none is written:
 * the next session reads the files again. */
static void write_sizes(struct maildir *md)
{
    char *buf = malloc(MAILDIR_READ_CHUNK);
    if (buf)
        maildir_sizes_write(md, buf);
    free(buf);
}

/* Sizes for every message the scan keeps.  *want_cache: 1 when the
 * size cache should be written anew (sizes were read, or the cache had
 * stale lines); the caller writes it, after the renames when there are
 * many, so the first session's answer does not wait for it. */
static int fill_sizes(struct maildir *md, unsigned flags, int *want_cache)
{
    size_t n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (need_size(&md->msg[i], flags))
            n++;
    if (n == 0)
        return 0;
    char *buf = malloc(MAILDIR_READ_CHUNK);
    if (!buf)
        return -1;
    long unused = (flags & MAILDIR_SCAN_SIZES) ? maildir_sizes_apply(md, buf)
                                               : 0;
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!idx) {
        free(buf);
        return -1;
    }
    n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (need_size(&md->msg[i], flags))
            idx[n++] = (uint32_t)i;
    if (size_files(md, idx, n, buf) < 0) {
        free(idx);
        free(buf);
        return -1;
    }
    /* Every size read is worth a new size cache: the move to cur/
     * keeps the base the cache is keyed by, so a message read in new/
     * needs no read in cur/ either. */
    unsigned cacheable = 0;
    for (size_t k = 0; k < n; k++)
        if (md->msg[idx[k]].wire_size != MAILDIR_SIZE_UNKNOWN)
            cacheable++;
    free(idx);
    size_t o = 0;
    for (size_t i = 0; i < md->count; i++)
        if (!need_size(&md->msg[i], flags))
            md->msg[o++] = md->msg[i];
    md->count = o;
    *want_cache = md->lockfd >= 0 && (flags & MAILDIR_SCAN_SIZES) &&
                  (unused > 0 || cacheable != 0);
    free(buf);
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
static void cur_name_of(const char *name, char *to)
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
        cur_name_of(from, to);
        if (rename_noreplace(md->newfd, from, md->curfd, to) == 0) {
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
        cur_name_of(name, to);
        md->moved++;
        if (!(m->flags & MAILDIR_F_SFX) && strlen(to) == len + INFO_EMPTY_LEN &&
            memcmp(to, name, len) == 0 && !memchr(name, ':', len)) {
            /* The usual case: the stored part stays, ":2," is implied. */
            m->flags = (m->flags & ~MAILDIR_F_NEW) | MAILDIR_F_SFX;
        } else if (store_name(md, m, to) == 0) {
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
static int start_moves(struct maildir *md, int cache)
{
    size_t n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (md->msg[i].flags & MAILDIR_F_NEW)
            n++;
    if (n == 0) {
        if (cache)
            write_sizes(md);
        return 0;
    }
    struct maildir_moves *mv = calloc(1, sizeof *mv);
    if (!mv || !(mv->idx = malloc(n * sizeof *mv->idx)) ||
        !(mv->done = shared_map(n))) {
        if (mv)
            moves_free(mv);
        if (cache)
            write_sizes(md);
        return -1;
    }
    for (size_t i = 0; i < md->count; i++)
        if (md->msg[i].flags & MAILDIR_F_NEW)
            mv->idx[mv->n++] = (uint32_t)i;
    pid_t pid = n >= MAILDIR_MOVE_ASYNC_MIN ? fork() : -1;
    if (pid == 0) {
        moves_run(md, mv, md->namebuf[1]);
        if (cache)
            write_sizes(md);
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
        write_sizes(md);
    return 0;
}

void maildir_moves_wait(struct maildir *md)
{
    struct maildir_moves *mv = md->moves;
    if (!mv)
        return;
    helper_wait(mv->pid);   /* killed midway: done[] says how far it got */
    md->moves = NULL;
    md->moving = 0;
    moves_apply(md, mv);
    moves_free(mv);
}

int maildir_scan(struct maildir *md, unsigned flags)
{
    maildir_moves_wait(md);
    md->count = 0;
    md->arena_len = 0;
    md->moved = md->size_reads = md->from_listing = 0;
    md->move_failed = 0;
    memset(md->move_err, 0, sizeof md->move_err);
    /* The directories' keys, taken before reading them: a change after
     * this point gives them a new mtime, which a saved listing's key
     * then fails to match.  The file system stamps changes with the
     * coarse clock, read here first (see maildir_settled). */
    struct stat cs, ns;
    struct dir_key ck, nk;
    struct timespec start;
    int keyed = (flags & MAILDIR_SCAN_SIZES) &&
                clock_gettime(CLOCK_REALTIME_COARSE, &start) == 0 &&
                fstat(md->curfd, &cs) == 0 && fstat(md->newfd, &ns) == 0;
    if (keyed) {
        maildir_dir_key(&ck, &cs);
        maildir_dir_key(&nk, &ns);
        if (maildir_listing_load(md, &ck, &nk) == 0) {
            md->from_listing = 1;
            return 0;
        }
    }
    /* cur/ first: a message moved from new/ must not be seen twice. */
    int cache = 0;
    int r = scan_dir(md, 0);
    if (r == 0)
        r = scan_dir(md, 1);
    if (r == 0) {
        sort_msgs(md);
        if (flags & MAILDIR_SCAN_SIZES)
            r = fill_sizes(md, flags, &cache);
        if (r < 0)
            errno = ENOMEM;
    }
    if (r == 0 && (flags & MAILDIR_SCAN_MOVE) && start_moves(md, cache) < 0) {
        errno = ENOMEM;
        r = -1;
    } else if (r == 0 && !(flags & MAILDIR_SCAN_MOVE) && cache) {
        write_sizes(md);
    }
    if (r < 0)
        return -1;
    if (keyed && md->lockfd >= 0 && md->moved == 0 && !md->moves &&
        maildir_settled(&cs, &start) && maildir_settled(&ns, &start))
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
     * tick or two it needs, boundedly. */
    for (int waited = 0;; waited++) {
        struct stat cs, ns;
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME_COARSE, &now) < 0 ||
            fstat(md->curfd, &cs) < 0 || fstat(md->newfd, &ns) < 0)
            return -1;
        if (maildir_settled(&cs, &now) && maildir_settled(&ns, &now))
            break;
        if (waited >= MAILDIR_LISTING_REFRESH_WAIT_MS)
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
    int r = maildir_scan(&t, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES);
    maildir_moves_wait(&t);
    region_free(t.msg, t.cap);
    region_free(t.arena, t.arena_cap);
    return r;
}

/* ---- Reading and removing one message ---- */

int maildir_find_unique(int dirfd, const char *name, char *out)
{
    size_t ulen = maildir_unique_len(name);
    int fd = open_dir_at(dirfd, ".");
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || maildir_unique_len(de->d_name) != ulen ||
            memcmp(de->d_name, name, ulen) != 0)
            continue;
        snprintf(out, NAME_MAX + 1, "%s", de->d_name);
        closedir(d);
        return 0;
    }
    int e = errno ? errno : ENOENT;
    closedir(d);
    errno = e;
    return -1;
}

/* The message's file is gone under its name: look for UNIQUE in cur/
 * (another program changed its flags) and in new/.  0 when found and
 * the entry updated, -1 (errno ENOENT) when the message is gone. */
static int relocate(struct maildir *md, size_t i)
{
    struct maildir_msg *m = &md->msg[i];
    char old[NAME_MAX + 1], found[NAME_MAX + 1];
    snprintf(old, sizeof old, "%s", maildir_msg_name(md, i));
    int dirs[2] = { md->curfd, md->newfd };
    for (int k = 0; k < 2; k++) {
        if (maildir_find_unique(dirs[k], old, found) < 0)
            continue;
        unsigned where = k == 1 ? MAILDIR_F_NEW : 0;
        if (strcmp(found, old) == 0 && where == (m->flags & MAILDIR_F_NEW))
            return 0;   /* back under its name: the entry stands */
        if (store_name(md, m, found) < 0)
            return -1;
        m->flags = (uint8_t)((m->flags & ~MAILDIR_F_NEW) | where);
        return 0;
    }
    errno = ENOENT;
    return -1;
}

/* Open message i wherever it is.  While the first session's helper is
 * renaming (md->moves), an entry still listed in new/ may already be
 * under its cur/ name, which is known (cur_name_of): that is tried
 * without touching the entry, which moves_apply() updates once the
 * helper is done, so a client gets its first message without waiting
 * for every rename.  Only when neither name is there (another program
 * renamed or removed it) does it wait for the helper, then relocate. */
int maildir_msg_open_nostat(struct maildir *md, size_t i)
{
    const struct maildir_msg *m = &md->msg[i];
    int fd = open_msg_at(maildir_msg_dirfd(md, i), maildir_msg_name(md, i));
    if (fd >= 0 || errno != ENOENT)
        return fd;
    if (md->moves && (m->flags & MAILDIR_F_NEW)) {
        char to[NAME_MAX + 1];
        cur_name_of(maildir_msg_name(md, i), to);
        fd = open_msg_at(md->curfd, to);
        if (fd >= 0 || errno != ENOENT)
            return fd;
        maildir_moves_wait(md);
    }
    if (relocate(md, i) < 0)
        return -1;
    return open_msg_at(maildir_msg_dirfd(md, i), maildir_msg_name(md, i));
}

int maildir_msg_unlink(struct maildir *md, size_t i)
{
    if (unlinkat(maildir_msg_dirfd(md, i), maildir_msg_name(md, i), 0) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    if (relocate(md, i) < 0)
        return 0;   /* already gone: that is what was asked */
    if (unlinkat(maildir_msg_dirfd(md, i), maildir_msg_name(md, i), 0) == 0
        || errno == ENOENT)
        return 0;
    return -1;
}

/* Rename message i (in cur/) to the name with flag added.  0, 1, or -1
 * with errno; ENOENT from the rename means another program renamed it
 * meanwhile (told by the caller: relocate and try again). */
static int flag_rename(struct maildir *md, size_t i, char flag)
{
    char from[NAME_MAX + 1], to[NAME_MAX + 1];
    snprintf(from, sizeof from, "%s", maildir_msg_name(md, i));
    int r = maildir_flag_name(from, flag, to, sizeof to);
    if (r != 0)
        return 1;   /* it has the flag, or an info popkit does not edit */
    if (rename_noreplace(md->curfd, from, md->curfd, to) < 0)
        return -1;
    /* Out of memory, the entry keeps the old name: relocate() finds the
     * file by its base when it is next used. */
    (void)store_name(md, &md->msg[i], to);
    return 0;
}

int maildir_msg_flag(struct maildir *md, size_t i, char flag)
{
    maildir_moves_wait(md);
    if (md->msg[i].flags & MAILDIR_F_NEW)
        return 1;   /* its move to cur/ failed: left where it is */
    int r = flag_rename(md, i, flag);
    if (r < 0 && errno == ENOENT) {
        if (relocate(md, i) < 0)
            return -1;   /* gone (errno ENOENT) */
        if (md->msg[i].flags & MAILDIR_F_NEW)
            return 1;
        r = flag_rename(md, i, flag);
    }
    return r;
}

int maildir_sync(struct maildir *md)
{
    int r = 0;
    if (fsync(md->curfd) < 0)
        r = -1;
    if (fsync(md->newfd) < 0)
        r = -1;
    return r;
}

/* ---- Writing ---- */

int maildir_deliver(struct maildir *md, const void *data, size_t len,
                    char *name_out)
{
    /* 200 leaves room for ",S=" and 20 digits within NAME_MAX. */
    char uniq[200], tmp[sizeof uniq + 8], dst[sizeof uniq + 32];
    if (maildir_unique(uniq, sizeof uniq) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(tmp, sizeof tmp, "tmp/%s", uniq);
    snprintf(dst, sizeof dst, "new/%s,S=%zu", uniq, len);
    int fd = openat(md->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0600);
    if (fd < 0)
        return -1;
    /* The message is on disk before its name appears in new/. */
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlinkat(md->dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    if (close(fd) < 0 || linkat(md->dirfd, tmp, md->dirfd, dst, 0) < 0) {
        int e = errno;
        unlinkat(md->dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    unlinkat(md->dirfd, tmp, 0);
    if (fsync(md->newfd) < 0)
        return -1;
    if (name_out)
        memcpy(name_out, dst + 4, strlen(dst + 4) + 1);
    return 0;
}

