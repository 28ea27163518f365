/* SPDX-License-Identifier: ISC */
/* test_mdmake -- making a Maildir: modes whatever the umask, existing
 * directories refused or completed, what stopped it, the owner, the
 * parent of a path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdmake.h"
#include "tap.h"

static char base[] = "/tmp/test_mdmake.XXXXXX";

static const char *at(const char *rel)
{
    static char buf[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", base, rel);
    return buf[i];
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

static void test_new(void)
{
    struct mdmake_fail f;
    mode_t old = umask(0);
    is_int(mdmake(at("M"), 0, (uid_t)-1, (gid_t)-1, &f), 1, "a new Maildir is made");
    umask(old);
    ok(mode_of(at("M")) == 0700 && mode_of(at("M/tmp")) == 0700 &&
       mode_of(at("M/new")) == 0700 && mode_of(at("M/cur")) == 0700,
       "all four directories 0700 under umask 0");
    umask(0277);
    is_int(mdmake(at("M2"), 0, (uid_t)-1, (gid_t)-1, &f), 1, "made under umask 0277");
    umask(old);
    ok(mode_of(at("M2/cur")) == 0700, "and still 0700 (the umask took the owner's write bit)");
}

static void test_existing(void)
{
    struct mdmake_fail f;
    errno = 0;
    is_int(mdmake(at("M"), 0, (uid_t)-1, (gid_t)-1, &f), -1, "an existing Maildir refused");
    ok(errno == EEXIST && f.exists && strcmp(f.path, at("M")) == 0,
       "EEXIST, exists, its path");
    is_int(mdmake(at("M"), 1, (uid_t)-1, (gid_t)-1, &f), 0, "may_exist: nothing to make, 0");
    rmdir(at("M/cur"));
    is_int(mdmake(at("M"), 1, (uid_t)-1, (gid_t)-1, &f), 1, "may_exist: a missing cur/ is made");
    ok(mode_of(at("M/cur")) == 0700, "the repaired cur/ is 0700");
    rmdir(at("M/tmp"));
    is_int(mdmake(at("M"), 0, (uid_t)-1, (gid_t)-1, &f), -1, "without may_exist nothing is repaired");
    ok(mode_of(at("M/tmp")) == 0, "tmp/ still missing");
    FILE *fp = fopen(at("B"), "w");
    fclose(fp);
    errno = 0;
    is_int(mdmake(at("B"), 1, (uid_t)-1, (gid_t)-1, &f), -1, "a file where the Maildir goes");
    ok(errno == ENOTDIR && f.exists, "ENOTDIR, exists");
    mkdir(at("C"), 0700);
    fp = fopen(at("C/new"), "w");
    fclose(fp);
    is_int(mdmake(at("C"), 1, (uid_t)-1, (gid_t)-1, &f), -1, "a file named new");
    ok(errno == ENOTDIR && strcmp(f.path, at("C/new")) == 0, "says which path");
}

static void test_failures(void)
{
    struct mdmake_fail f;
    errno = 0;
    is_int(mdmake(at("no/such/M"), 0, (uid_t)-1, (gid_t)-1, &f), -1, "a missing parent");
    ok(errno == ENOENT && !f.exists && strcmp(f.what, "cannot create") == 0 &&
       strcmp(f.path, at("no/such/M")) == 0, "ENOENT: cannot create, the path");
    static char longpath[MDMAKE_PATH_MAX + 2];
    memset(longpath, 'a', sizeof longpath - 1);
    errno = 0;
    is_int(mdmake(longpath, 0, (uid_t)-1, (gid_t)-1, &f), -1, "a path over MDMAKE_PATH_MAX");
    ok(errno == ENAMETOOLONG, "ENAMETOOLONG");
}

static void test_owner(void)
{
    struct mdmake_fail f;
    struct stat st;
    if (geteuid() != 0) {
        tap_skip("the new directories belong to uid:gid", "not root");
        return;
    }
    is_int(mdmake(at("O"), 0, 1, 2, &f), 1, "made for uid 1, gid 2");
    ok(stat(at("O/new"), &st) == 0 && st.st_uid == 1 && st.st_gid == 2 &&
       stat(at("O"), &st) == 0 && st.st_uid == 1,
       "the new directories belong to uid:gid");
    chown(at("O/cur"), 0, 0);
    rmdir(at("O/tmp"));
    is_int(mdmake(at("O"), 1, 3, 3, &f), 1, "completed for uid 3");
    ok(stat(at("O/tmp"), &st) == 0 && st.st_uid == 3 &&
       stat(at("O/cur"), &st) == 0 && st.st_uid == 0,
       "only what it made changes owner");
}

static void test_parent(void)
{
    static const char *const cases[][2] = {
        { "/home/u/Maildir", "/home/u" }, { "/home/u/Maildir/", "/home/u" },
        { "Maildir", "." }, { "a//Maildir", "a" }, { "/Maildir", "/" },
        { "./M", "." },
    };
    size_t good = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = mdmake_parent(cases[i][0]);
        if (p && strcmp(p, cases[i][1]) == 0)
            good++;
        else
            printf("# mdmake_parent(%s) = %s, want %s\n", cases[i][0], p ? p : "NULL",
                 cases[i][1]);
        free(p);
    }
    is_int(good, sizeof cases / sizeof cases[0], "mdmake_parent of each path");
}

int main(void)
{
    if (!mkdtemp(base))
        return 1;
    test_new();
    test_existing();
    test_failures();
    test_owner();
    test_parent();
    char cmd[sizeof base + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", base);
    return tap_done();
}
