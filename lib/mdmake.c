/* SPDX-License-Identifier: ISC */
#include "mdmake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char *mdmake_parent(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    while (n > 0 && dir[n - 1] != '/')
        n--;
    if (n == 0)
        return strdup(".");
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strndup(dir, n);
}

static int failed(struct mdmake_fail *f, const char *what, const char *path)
{
    int err = errno;
    f->what = what;
    f->exists = 0;
    snprintf(f->path, sizeof f->path, "%s", path);
    errno = err;
    return -1;
}

/* The mode and owner of a directory just made, set on what was opened
 * without following a link. */
static int settle(const char *path, uid_t uid, gid_t gid,
                  struct mdmake_fail *f)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return failed(f, "cannot open", path);
    if (fchmod(fd, 0700) < 0 ||
        (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)) {
        int err = errno;
        close(fd);
        errno = err;
        return failed(f, uid != (uid_t)-1 ? "cannot give to its owner"
                                          : "cannot set the mode of", path);
    }
    close(fd);
    return 0;
}

/* One directory: 1 made, 0 there and may be, -1 failed. */
static int make_one(const char *path, int may_exist, uid_t uid, gid_t gid,
                    struct mdmake_fail *f)
{
    struct stat st;
    if (mkdir(path, 0700) == 0)
        return settle(path, uid, gid, f) < 0 ? -1 : 1;
    if (errno != EEXIST)
        return failed(f, "cannot create", path);
    if (stat(path, &st) < 0)
        return failed(f, "cannot stat", path);
    if (S_ISDIR(st.st_mode) && may_exist)
        return 0;
    errno = S_ISDIR(st.st_mode) ? EEXIST : ENOTDIR;
    failed(f, "cannot create", path);
    f->exists = 1;
    return -1;
}

/* fsync dir and its parent: the new subdirectories and dir itself. */
static int sync_both(const char *dir, struct mdmake_fail *f)
{
    char *parent = mdmake_parent(dir);
    if (!parent) {
        errno = ENOMEM;
        return failed(f, "cannot sync", dir);
    }
    int rc = 0;
    if (fsync_dir(dir) < 0)
        rc = failed(f, "cannot sync", dir);
    else if (fsync_dir(parent) < 0)
        rc = failed(f, "cannot sync", parent);
    int err = errno;
    free(parent);
    errno = err;
    return rc;
}

int mdmake(const char *dir, int may_exist, uid_t uid, gid_t gid,
           struct mdmake_fail *f)
{
    static const char *const subdirs[] = { "tmp", "new", "cur" };
    char path[MDMAKE_PATH_MAX];
    if (strlen(dir) + sizeof "/tmp" > sizeof path) {
        errno = ENAMETOOLONG;
        return failed(f, "cannot create", dir);
    }
    int made = make_one(dir, may_exist, uid, gid, f);
    for (size_t i = 0; made >= 0 && i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        int r = make_one(path, may_exist, uid, gid, f);
        made = r < 0 ? -1 : made | r;
    }
    if (made > 0 && sync_both(dir, f) < 0)
        return -1;
    return made;
}
