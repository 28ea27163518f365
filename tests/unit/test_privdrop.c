/* SPDX-License-Identifier: ISC */
/* test_privdrop.c -- becoming a user: groups, gid, uid, verified.
 * As root (real, or faked by uid_wrapper) it really drops, in a child. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"
#include "tap.h"

enum { BAD_RC = 1, BAD_UID = 2, BAD_GID = 4, BAD_GROUPS = 8, REGAINED = 16 };

/* In a child: drop to pw and report what is wrong as a bit mask. */
static int drop_in_child(const struct passwd *pw)
{
    pid_t pid = fork();
    int status;
    if (pid == 0) {
        const char *why;
        gid_t groups[256];
        int bits = 0, n;
        if (privdrop_become(pw->pw_name, pw->pw_uid, pw->pw_gid, &why))
            _exit(BAD_RC);
        if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
            bits |= BAD_UID;
        if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
            bits |= BAD_GID;
        n = getgroups(256, groups);
        for (int i = 0; i < n; i++)
            if (groups[i] == 0)
                bits |= BAD_GROUPS;
        if (n < 1)
            bits |= BAD_GROUPS;
        if (setuid(0) == 0 || seteuid(0) == 0)
            bits |= REGAINED;
        _exit(bits);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void as_root(void)
{
    struct passwd *pw = getpwnam("nobody");
    const char *why;
    if (!pw) {
        ok(1, "# SKIP no user nobody");
        return;
    }
    is_int(drop_in_child(pw), 0, "root becomes nobody: uid, gid, groups "
           "verified, root not regained");
    /* Dropping without a name uses only the primary group. */
    if (fork() == 0) {
        gid_t g[4];
        int n;
        if (privdrop_become(NULL, 4242, 4243, &why))
            _exit(1);
        n = getgroups(4, g);
        _exit(n == 1 && g[0] == 4243 && getuid() == 4242 ? 0 : 2);
    } else {
        int status;
        wait(&status);
        is_int(WEXITSTATUS(status), 0, "an unnamed uid gets just its gid");
    }
}

/* The list form (checkpassword-virtual's, no NSS): exactly the groups
 * given, in a child. */
static void list_as_root(void)
{
    pid_t pid = fork();
    int status;
    if (pid == 0) {
        const gid_t want[3] = {4243, 4250, 4251};
        const char *why;
        gid_t g[8];
        int n;
        if (privdrop_become_list(4242, 4243, want, 3, &why))
            _exit(1);
        n = getgroups(8, g);
        if (n != 3 || g[0] != 4243 || g[1] != 4250 || g[2] != 4251)
            _exit(2);
        if (getuid() != 4242 || geteuid() != 4242 || getgid() != 4243
            || getegid() != 4243)
            _exit(3);
        _exit(setuid(0) == 0 ? 4 : 0);
    }
    waitpid(pid, &status, 0);
    is_int(WEXITSTATUS(status), 0, "a group list: exactly those groups, "
           "then gid, then uid, root not regained");
    pid = fork();
    if (pid == 0) {
        const gid_t without[1] = {4250};
        const char *why;
        _exit(privdrop_become_list(4242, 4243, without, 1, &why) == -1
              && strcmp(why, "primary group missing after setgroups") == 0
              ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    is_int(WEXITSTATUS(status), 0, "a list without the primary gid: refused");
    pid = fork();
    if (pid == 0) {
        const gid_t with_root[2] = {4243, 0};
        const char *why;
        _exit(privdrop_become_list(4242, 4243, with_root, 2, &why) == -1
              && strcmp(why, "group 0 kept after setgroups") == 0 ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    is_int(WEXITSTATUS(status), 0, "a list holding group 0: refused");
}

static void as_user(void)
{
    const char *why;
    is_int(privdrop_become(NULL, getuid(), getgid(), &why), 0,
           "not root: becoming oneself is a no-op");
    is_int(privdrop_become(NULL, getuid() + 1, getgid(), &why), -1,
           "not root: becoming someone else fails");
    is_int(errno, EPERM, "with EPERM");
    is_int(privdrop_become_list(getuid(), getgid(), NULL, 0, &why), 0,
           "not root, list form: becoming oneself is a no-op");
    is_int(privdrop_become_list(getuid() + 1, getgid(), NULL, 0, &why), -1,
           "not root, list form: becoming someone else fails");
}

static void enter(void)
{
    char cwd[256];
    const char *why;
    pid_t pid = fork();
    int status;
    if (pid == 0) {
        if (privdrop_enter("bob@abc.com", "/tmp", NULL, &why))
            _exit(1);
        if (strcmp(getenv("USER"), "bob@abc.com") || strcmp(getenv("HOME"), "/tmp")
            || strcmp(getenv("SHELL"), "/bin/sh"))
            _exit(2);
        if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/tmp"))
            _exit(3);
        _exit(privdrop_enter("x", "/nonexistent/home", "/bin/false", &why) == -1
              && errno == ENOENT ? 0 : 4);
    }
    waitpid(pid, &status, 0);
    is_int(WEXITSTATUS(status), 0, "USER, HOME, default SHELL set, cwd is HOME, "
           "a missing HOME fails");
}

int main(void)
{
    const char *why;
    is_int(privdrop_become("root", 0, 0, &why), -1, "uid 0 refused as target");
    is_str(why, "target is uid 0", "and says so");
    is_int(privdrop_become_list(0, 0, NULL, 0, &why), -1,
           "list form: uid 0 refused as target");
    if (geteuid() == 0) {
        as_root();
        list_as_root();
    } else
        as_user();
    enter();
    return tap_done();
}
