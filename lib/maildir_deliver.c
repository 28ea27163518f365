/* SPDX-License-Identifier: ISC */
/*
 * maildir_deliver.c -- maildir_deliver() of maildir.h: tmp/, fsync,
 * link into new/.  Only maildir.h's calls: it needs no scan.
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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
