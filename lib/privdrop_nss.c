/* SPDX-License-Identifier: ISC */
/*
 * privdrop_nss.c -- privdrop_set_groups() and privdrop_become(): the
 * supplementary groups from NSS (getgrouplist), for the programs whose
 * accounts may live anywhere NSS looks (checkpassword-shadow, -pam).
 * A file of its own so that statically linked programs, which take the
 * list form in privdrop.c, never pull NSS into their link.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

/* Every group NAME is in (plus GID), or only GID.  getgrouplist +
 * setgroups rather than initgroups, whose internal setgroups cannot be
 * seen (nor faked by uid_wrapper in tests). */
int privdrop_set_groups(const char *name, gid_t gid, const char **why)
{
    int n = 0, rc;
    gid_t *list;

    *why = "";
    if (geteuid() != 0)
        return 0;   /* privdrop_set_ids decides whether that is fine */
    if (!name)
        return privdrop_set_group_list(&gid, 1, why);
    getgrouplist(name, gid, NULL, &n);
    if (n < 1)
        n = 1;
    list = calloc((size_t)n, sizeof *list);
    if (!list) {
        *why = "getgrouplist";
        errno = ENOMEM;
        return -1;
    }
    if (getgrouplist(name, gid, list, &n) < 0) {
        free(list);
        *why = "getgrouplist";
        errno = EINVAL;
        return -1;
    }
    rc = privdrop_set_group_list(list, (size_t)n, why);
    free(list);
    return rc;
}

int privdrop_become(const char *name, uid_t uid, gid_t gid, const char **why)
{
    if (uid == 0) {
        *why = "target is uid 0";
        errno = EPERM;
        return -1;
    }
    if (privdrop_set_groups(name, gid, why))
        return -1;
    return privdrop_set_ids(uid, gid, why);
}
