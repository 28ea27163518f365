/* SPDX-License-Identifier: ISC */
/*
 * maildir_array.c -- the bottom of lib/maildir (maildir_array.h): the
 * flat array of struct maildir_msg and its name arena, both in mappings
 * that grow without copying; the session order (an introsort: no
 * scratch memory); and what every layer above shares: the maps and
 * waits of helper processes, opening a directory or a message safely.
 */
#include "maildir_array.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "maildir_name.h"

/* ---- Memory: two growing regions, mapped directly, and the maps of
 * helper processes ---- */

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

void maildir_region_free(void *p, size_t cap)
{
    if (p)
        munmap(p, cap);
}

/* A map both processes of a fork write: results a helper hands back. */
void *maildir_shared_map(size_t len)
{
    void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Wait for a helper process to end (however it ends). */
void maildir_helper_wait(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        continue;
}

/* ---- Opening safely ---- */

int maildir_open_dir_at(int at, const char *path)
{
    return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int maildir_open_msg_at(int dirfd, const char *name)
{
    return openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                  O_CLOEXEC);
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
        memcpy(out + o, MAILDIR_INFO_EMPTY, MAILDIR_INFO_EMPTY_LEN);
        o += MAILDIR_INFO_EMPTY_LEN;
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
int maildir_store_name(struct maildir *md, struct maildir_msg *m,
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
    if (len > MAILDIR_INFO_EMPTY_LEN &&
        memcmp(name + len - MAILDIR_INFO_EMPTY_LEN, MAILDIR_INFO_EMPTY,
               MAILDIR_INFO_EMPTY_LEN) == 0 &&
        memchr(name, ':', len - MAILDIR_INFO_EMPTY_LEN) == NULL) {
        len -= MAILDIR_INFO_EMPTY_LEN;
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
int maildir_msg_add(struct maildir *md, const char *name, unsigned flags,
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
    if (maildir_store_name(md, m, name) < 0)
        return -1;
    md->count++;
    return 0;
}

/* ---- The order ---- */

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

void maildir_sort(struct maildir *md)
{
    int depth = 0;
    for (size_t n = md->count; n > 1; n >>= 1)
        depth += 2;
    intro_sort(md, md->msg, md->count, depth);
}
