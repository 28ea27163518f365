/* SPDX-License-Identifier: ISC */
/*
 * slurp.c -- read a whole file in one read(2) (slurp.h).
 */
#include "slurp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "params.h"
#include "util.h"

/* cap bytes, populated by mmap when big; 0 or -1. */
static int alloc_buf(struct slurp *s, size_t cap)
{
    if (cap >= SLURP_POPULATE_MIN) {
        void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        s->data = p;
        s->mapped = 1;
    } else {
        s->data = malloc(cap);
        if (!s->data)
            return -1;
        s->mapped = 0;
    }
    s->cap = cap;
    return 0;
}

void slurp_release(struct slurp *s, int wipe_it)
{
    if (s->data) {
        if (wipe_it)
            wipe(s->data, s->cap);
        if (s->mapped)
            munmap(s->data, s->cap);
        else
            free(s->data);
    }
    memset(s, 0, sizeof *s);
}

/* Room for at least need bytes and the NUL; the old buffer is wiped,
 * since it may hold secrets.  0 or -1 (errno set). */
static int grow(struct slurp *s, size_t used, size_t need, size_t max)
{
    struct slurp old = *s;
    size_t ncap = s->cap * 2;
    if (need > max) {
        errno = EFBIG;
        return -1;
    }
    if (ncap < need + 1)
        ncap = need + 1;
    if (ncap > max + 2)
        ncap = max + 2;
    if (alloc_buf(s, ncap)) {
        *s = old;
        return -1;
    }
    memcpy(s->data, old.data, used);
    slurp_release(&old, 1);
    return 0;
}

/* Read fd to its end into s. */
static int read_all(int fd, struct slurp *s, size_t max)
{
    size_t used = 0;
    for (;;) {
        ssize_t r;
        if (used + 1 >= s->cap && grow(s, used, used + 1, max))
            return -1;
        /* Ask for all the room but the NUL: one byte more than the file
         * had at fstat, so a short read means its end. */
        r = read(fd, s->data + used, s->cap - 1 - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        used += (size_t)r;
        if (used > max) {
            errno = EFBIG;
            return -1;
        }
        if (r == 0 || used + 1 < s->cap)
            break;
    }
    s->data[used] = '\0';
    s->len = used;
    return 0;
}

int slurp(struct slurp *s, const char *path, size_t max)
{
    struct stat st;
    int fd, err;

    memset(s, 0, sizeof *s);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st))
        goto fail;
    if (st.st_size < 0 || (size_t)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    /* The size, one byte to see the end, and the NUL. */
    if (alloc_buf(s, (size_t)st.st_size + 2) || read_all(fd, s, max))
        goto fail;
    close(fd);
    return 0;
fail:
    err = errno;
    slurp_release(s, 1);
    close(fd);
    errno = err;
    return -1;
}

char *slurp_next_line(const struct slurp *s, size_t *pos, size_t *n)
{
    char *line, *nl;
    if (*pos >= s->len)
        return NULL;
    line = s->data + *pos;
    nl = memchr(line, '\n', s->len - *pos);
    *n = nl ? (size_t)(nl - line) : s->len - *pos;
    *pos += *n + 1;
    return line;
}
