/* SPDX-License-Identifier: ISC */
/*
 * linefile.c -- a text file edited under a lock and replaced atomically
 * (linefile.h).
 */
#include "linefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int linefile_insert(struct linefile *f, size_t i, char *line)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        char **l = realloc(f->lines, cap * sizeof *l);
        if (!l)
            return -1;
        f->lines = l;
        f->cap = cap;
    }
    memmove(f->lines + i + 1, f->lines + i, (f->n - i) * sizeof *f->lines);
    f->lines[i] = line;
    f->n++;
    return 0;
}

void linefile_remove(struct linefile *f, size_t i, size_t count)
{
    for (size_t k = i; k < i + count; k++) {
        wipe(f->lines[k], strlen(f->lines[k]));
        free(f->lines[k]);
    }
    memmove(f->lines + i, f->lines + i + count,
            (f->n - i - count) * sizeof *f->lines);
    f->n -= count;
}

static int take_lock(struct linefile *f)
{
    size_t n = strlen(f->path) + sizeof ".lock";
    char *lock = malloc(n);
    if (!lock)
        return -1;
    snprintf(lock, n, "%s.lock", f->path);
    f->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(lock);
    if (f->lockfd < 0)
        return -1;
    while (flock(f->lockfd, LOCK_EX) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static void chomp(char *s, ssize_t *n)
{
    if (*n > 0 && s[*n - 1] == '\n')
        s[--*n] = '\0';
}

static int read_lines(struct linefile *f, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        char *copy;
        chomp(line, &n);
        if ((size_t)n != strlen(line)) {
            errno = EINVAL;     /* a NUL byte: a rewrite would lose it */
            rc = -1;
            break;
        }
        copy = strdup(line);
        if (!copy || linefile_insert(f, f->n, copy)) {
            free(copy);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(in))
        rc = -1;
    if (line) {
        wipe(line, cap);
        free(line);
    }
    return rc;
}

int linefile_load(struct linefile *f, const char *path, mode_t new_mode)
{
    struct stat st;
    FILE *in;
    int rc;

    memset(f, 0, sizeof *f);
    f->lockfd = -1;
    f->mode = new_mode;
    f->uid = (uid_t)-1;
    f->gid = (gid_t)-1;
    f->path = strdup(path);
    if (!f->path || take_lock(f))
        return -1;
    in = fopen(path, "re");
    if (!in)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fileno(in), &st) == 0) {
        f->exists = 1;
        f->mode = st.st_mode & 07777;
        f->uid = st.st_uid;
        f->gid = st.st_gid;
    }
    rc = read_lines(f, in);
    fclose(in);
    return rc;
}

/* fsync the directory holding path, so the rename is on disk. */
static int sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int rc = fsync_dir(dirname(copy));
    int err = errno;
    free(copy);
    errno = err;
    return rc;
}

static int write_lines(const struct linefile *f, int fd)
{
    for (size_t i = 0; i < f->n; i++)
        if (write_all(fd, f->lines[i], strlen(f->lines[i]))
            || write_all(fd, "\n", 1))
            return -1;
    return 0;
}

/* Give the new file the old one's mode and (as root) owner. */
static int copy_attrs(const struct linefile *f, int fd)
{
    if (fchmod(fd, f->mode))
        return -1;
    if (f->exists && geteuid() == 0 && fchown(fd, f->uid, f->gid))
        return -1;
    return 0;
}

int linefile_commit(const struct linefile *f)
{
    size_t n = strlen(f->path) + sizeof ".tmpXXXXXX";
    char *tmp = malloc(n);
    int fd, err;

    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmpXXXXXX", f->path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    if (copy_attrs(f, fd) || write_lines(f, fd) || fsync(fd))
        goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, f->path))
        goto fail;
    free(tmp);
    return sync_dir(f->path);
fail:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    errno = err;
    return -1;
}

void linefile_close(struct linefile *f)
{
    for (size_t i = 0; i < f->n; i++) {
        wipe(f->lines[i], strlen(f->lines[i]));
        free(f->lines[i]);
    }
    free(f->lines);
    free(f->path);
    if (f->lockfd >= 0)
        close(f->lockfd);
    memset(f, 0, sizeof *f);
    f->lockfd = -1;
}
