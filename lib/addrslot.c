/* SPDX-License-Identifier: ISC */
#include "addrslot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The /64 of an IPv6 address as text, "-64" after it. */
static int key_v6(const struct in6_addr *a, char *key, size_t n)
{
    struct in6_addr prefix = *a;
    char text[INET6_ADDRSTRLEN];
    memset(prefix.s6_addr + 8, 0, 8);
    if (!inet_ntop(AF_INET6, &prefix, text, sizeof text))
        return -1;
    int w = snprintf(key, n, "%s-64", text);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* An IPv4 address as its key, written back by inet_ntop: one key for
 * one address however it was spelt. */
static int key_v4(const struct in_addr *a, char *key, size_t n)
{
    char text[INET_ADDRSTRLEN];
    if (!inet_ntop(AF_INET, a, text, sizeof text) || strlen(text) >= n)
        return -1;
    strcpy(key, text);
    return 0;
}

int addrslot_key(const char *ip, char *key, size_t n)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return key_v4(&a4, key, n);
    if (inet_pton(AF_INET6, ip, &a6) != 1)
        return -1;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        memcpy(&a4, a6.s6_addr + 12, sizeof a4);
        return key_v4(&a4, key, n);
    }
    return key_v6(&a6, key, n);
}

/* Whether the name still leads to the file fd holds (a holder releasing
 * its slot removes the file while it holds the lock). */
static int slot_still_named(int dirfd, const char *name, int fd)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 &&
           fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Try slot name: 1 taken (fd in s), 0 held by another, -1 error. */
static int slot_try(struct addrslot *s, const char *name)
{
    for (;;) {
        int fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
                        O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return 0;
            errno = e;
            return -1;
        }
        if (slot_still_named(s->dirfd, name, fd)) {
            s->fd = fd;
            return 1;
        }
        close(fd);   /* removed by its last holder meanwhile: anew */
    }
}

int addrslot_take(struct addrslot *s, int dirfd, const char *key,
                  unsigned max)
{
    s->dirfd = dirfd;
    s->fd = -1;
    for (unsigned i = 0; i < max; i++) {
        int w = snprintf(s->name, sizeof s->name, "%s.%u", key, i);
        if (w < 0 || (size_t)w >= sizeof s->name) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int r = slot_try(s, s->name);
        if (r != 0)
            return r;
    }
    return 0;
}

void addrslot_release(struct addrslot *s)
{
    if (s->fd < 0)
        return;
    unlinkat(s->dirfd, s->name, 0);
    close(s->fd);
    s->fd = -1;
}
