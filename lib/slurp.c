/*
 * slurp.c -- read a whole file in one read(2) (slurp.h).
 */
#include "config.h"

#include "slurp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Room for at least need bytes (and the NUL); the old buffer is wiped,
 * since it may hold secrets.  NULL (errno set) on failure. */
static char *grow(char *buf, size_t used, size_t *cap, size_t need,
                  size_t max)
{
    size_t ncap = *cap * 2;
    char *nbuf;
    if (need > max) {
        errno = EFBIG;
        return NULL;
    }
    if (ncap < need + 1)
        ncap = need + 1;
    if (ncap > max + 2)
        ncap = max + 2;
    nbuf = malloc(ncap);
    if (!nbuf)
        return NULL;
    memcpy(nbuf, buf, used);
    wipe(buf, *cap);
    free(buf);
    *cap = ncap;
    return nbuf;
}

/* Read fd to its end into *bufp (capacity *cap). */
static int read_all(int fd, char **bufp, size_t *cap, size_t *len,
                    size_t max)
{
    size_t used = 0;
    for (;;) {
        ssize_t r;
        if (used + 1 >= *cap) {
            char *nbuf = grow(*bufp, used, cap, used + 1, max);
            if (!nbuf)
                return -1;
            *bufp = nbuf;
        }
        /* Ask for all the room but the NUL: one byte more than the file
         * had at fstat, so a short read means its end. */
        r = read(fd, *bufp + used, *cap - 1 - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        used += (size_t)r;
        if (used > max) {
            errno = EFBIG;
            return -1;
        }
        if (r == 0 || used + 1 < *cap)
            break;
    }
    (*bufp)[used] = '\0';
    *len = used;
    return 0;
}

char *slurp(const char *path, size_t max, size_t *len)
{
    struct stat st;
    size_t cap;
    char *buf;
    int fd = open(path, O_RDONLY | O_CLOEXEC), err;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st)) {
        err = errno;
        close(fd);
        errno = err;
        return NULL;
    }
    if (st.st_size < 0 || (size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    /* The size, one byte to see the end, and the NUL. */
    cap = (size_t)st.st_size + 2;
    buf = malloc(cap);
    if (!buf || read_all(fd, &buf, &cap, len, max)) {
        err = errno;
        if (buf) {
            wipe(buf, cap);
            free(buf);
        }
        close(fd);
        errno = err;
        return NULL;
    }
    close(fd);
    return buf;
}
