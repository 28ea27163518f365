/* SPDX-License-Identifier: ISC */
/*
 * privdrop.c -- the one place popkit gives up root (privdrop.h): stage
 * 2, the greeter's parser, the TLS relay and each delivery.  The
 * verified drop, capabilities and all (caps.h), from a
 * list of groups, with no NSS in it, so a static program can link it.
 * The NSS front (getgrouplist) is privdrop_nss.c.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "params.h"

static int fail(const char **why, const char *what, int err)
{
    *why = what;
    errno = err;
    return -1;
}

/* Read the supplementary groups back: gid must be among them, and root's
 * group 0 must not be, unless gid itself is 0. */
static int check_groups(gid_t gid, const char **why)
{
    int n = getgroups(0, NULL), found = 0, bad = 0;
    gid_t *list;
    if (n < 0)
        return fail(why, "getgroups", errno);
    list = calloc((size_t)n + 1, sizeof *list);
    if (!list)
        return fail(why, "getgroups", ENOMEM);
    n = getgroups(n, list);
    for (int i = 0; i < n; i++) {
        if (list[i] == gid)
            found = 1;
        else if (list[i] == 0)
            bad = 1;
    }
    free(list);
    if (n < 0)
        return fail(why, "getgroups", errno);
    if (bad)
        return fail(why, "group 0 kept after setgroups", EPERM);
    if (!found)
        return fail(why, "primary group missing after setgroups", EPERM);
    return 0;
}

static int check_ids(uid_t uid, gid_t gid, const char **why)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresgid(&rg, &eg, &sg) || rg != gid || eg != gid || sg != gid)
        return fail(why, "gid not changed", EPERM);
    if (getresuid(&ru, &eu, &su) || ru != uid || eu != uid || su != uid)
        return fail(why, "uid not changed", EPERM);
    /* The final proof: root cannot be had back. */
    if (setuid(0) == 0 || geteuid() == 0)
        return fail(why, "uid 0 regained after setuid", EPERM);
    return 0;
}

int privdrop_set_group_list(const gid_t *groups, size_t n, const char **why)
{
    *why = "";
    if (geteuid() != 0)
        return 0;   /* privdrop_set_ids decides whether that is fine */
    if (setgroups(n, groups))
        return fail(why, "setgroups", errno);
    return 0;
}

/* The uid switch; the bounding set is emptied first unless keep_bounding
 * (privdrop.h), and every other capability set after. */
static int set_ids(uid_t uid, gid_t gid, int keep_bounding, const char **why)
{
    int emptied = 0;
    *why = "";
    if (uid == 0)
        return fail(why, "target is uid 0", EPERM);
    if (geteuid() != 0) {
        /* Not root: nothing to switch, so we must already be the user;
         * a capability it may hold all the same goes. */
        if (getuid() != uid || geteuid() != uid)
            return fail(why, "not root and not the target user", EPERM);
        return caps_clear(why) || caps_check(0, why) ? -1 : 0;
    }
    /* While root: the bounding set needs CAP_SETPCAP to shrink. */
    if (!keep_bounding && (emptied = caps_empty_bounding(why)) < 0)
        return -1;
    if (setresgid(gid, gid, gid))
        return fail(why, "setresgid", errno);
    if (setresuid(uid, uid, uid))
        return fail(why, "setresuid", errno);
    if (caps_clear(why) || check_groups(gid, why) || check_ids(uid, gid, why)
        || caps_check(emptied, why))
        return -1;
    return 0;
}

int privdrop_set_ids(uid_t uid, gid_t gid, const char **why)
{
    return set_ids(uid, gid, 0, why);
}

int privdrop_set_ids_keep_bounding(uid_t uid, gid_t gid, const char **why)
{
    return set_ids(uid, gid, 1, why);
}

int privdrop_become_list(uid_t uid, gid_t gid, const gid_t *groups,
                         size_t n, const char **why)
{
    if (uid == 0)
        return fail(why, "target is uid 0", EPERM);
    if (privdrop_set_group_list(groups, n, why))
        return -1;
    return privdrop_set_ids(uid, gid, why);
}

int privdrop_enter(const char *user, const char *home, const char *shell,
                   const char **why)
{
    *why = "";
    if (!shell || !*shell)
        shell = CPW_DEFAULT_SHELL;
    if (setenv("USER", user, 1) || setenv("HOME", home, 1)
        || setenv("SHELL", shell, 1))
        return fail(why, "setenv", errno);
    if (chdir(home))
        return fail(why, "chdir to home", errno);
    /* Last, right before the exec of stage 3: nothing it runs may gain
     * privilege through a set-user-ID file or file capabilities. */
    return privdrop_no_new_privs(why);
}

int privdrop_no_new_privs(const char **why)
{
    *why = "";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        return fail(why, "set no_new_privs", errno);
    return 0;
}
