/* SPDX-License-Identifier: ISC */
/*
 * maildir_msg.c -- one message of maildir.h: found again by its base,
 * opened, removed, flagged; and maildir_sync().
 */
#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildir_array.h"
#include "maildir_move.h"

/* ---- Reading and removing one message ---- */

int maildir_find_unique(int dirfd, const char *name, char *out)
{
    size_t ulen = maildir_unique_len(name);
    int fd = maildir_open_dir_at(dirfd, ".");
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
        if (maildir_store_name(md, m, found) < 0)
            return -1;
        m->flags = (uint8_t)((m->flags & ~MAILDIR_F_NEW) | where);
        return 0;
    }
    errno = ENOENT;
    return -1;
}

/* Open message i wherever it is.  While the first session's helper is
 * renaming (md->moves), an entry still listed in new/ may already be
 * under its cur/ name, which is known (maildir_cur_name_of): that is tried
 * without touching the entry, which moves_apply() updates once the
 * helper is done, so a client gets its first message without waiting
 * for every rename.  Only when neither name is there (another program
 * renamed or removed it) does it wait for the helper, then relocate. */
int maildir_msg_open_nostat(struct maildir *md, size_t i)
{
    const struct maildir_msg *m = &md->msg[i];
    int fd = maildir_open_msg_at(maildir_msg_dirfd(md, i),
                                 maildir_msg_name(md, i));
    if (fd >= 0 || errno != ENOENT)
        return fd;
    if (md->moves && (m->flags & MAILDIR_F_NEW)) {
        char to[NAME_MAX + 1];
        maildir_cur_name_of(maildir_msg_name(md, i), to);
        fd = maildir_open_msg_at(md->curfd, to);
        if (fd >= 0 || errno != ENOENT)
            return fd;
        maildir_moves_wait(md);
    }
    if (relocate(md, i) < 0)
        return -1;
    return maildir_open_msg_at(maildir_msg_dirfd(md, i),
                               maildir_msg_name(md, i));
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
    if (maildir_rename_noreplace(md->curfd, from, md->curfd, to) < 0)
        return -1;
    /* Out of memory, the entry keeps the old name: relocate() finds the
     * file by its base when it is next used. */
    (void)maildir_store_name(md, &md->msg[i], to);
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
