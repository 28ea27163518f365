/* SPDX-License-Identifier: ISC */
/* test_privdrop.c -- lib/privdrop.c: becoming a user with a group list
 * (groups, gid, uid, verified), and entering the home.  As root (real,
 * or faked by uid_wrapper) it really drops, in a child.  The NSS form,
 * privdrop_become(), is test_privdrop_nss.c's. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"
#include "tap.h"

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

/* The capabilities /proc shows: "Inh Prm Eff Bnd Amb" into buf. */
static void caps_shown(char *buf, size_t n)
{
    char line[256];
    size_t used = 0;
    FILE *f = fopen("/proc/self/status", "r");
    buf[0] = '\0';
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Cap", 3) == 0 && used < n) {
            line[strcspn(line, "\n")] = '\0';
            used += (size_t)snprintf(buf + used, n - used, "%s%s",
                                     used ? " " : "",
                                     line + strcspn(line, "\t") + 1);
        }
    if (f)
        fclose(f);
}

/* Really root (not uid_wrapper's): the drop leaves no capability, the
 * bounding set empty, as /proc tells. */
static void caps_as_root(void)
{
    char before[256], after[256];
    caps_shown(before, sizeof before);
    if (strncmp(before, "0000000000000000 0000000000000000", 33) == 0) {
        tap_skip("no capability after the drop", "root is uid_wrapper's: "
                 "this process holds no real capability to drop");
        return;
    }
    int p[2], status;
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        const gid_t g[1] = {4243};
        const char *why;
        close(p[0]);
        if (privdrop_become_list(4242, 4243, g, 1, &why))
            _exit(1);
        caps_shown(after, sizeof after);
        _exit(write(p[1], after, strlen(after) + 1) > 0 ? 0 : 2);
    }
    close(p[1]);
    ssize_t r = read(p[0], after, sizeof after - 1);
    after[r > 0 ? r : 0] = '\0';
    close(p[0]);
    waitpid(pid, &status, 0);
    is_str(after, "0000000000000000 0000000000000000 0000000000000000 "
                  "0000000000000000 0000000000000000",
           "real root: after the drop CapInh, CapPrm, CapEff, CapBnd and "
           "CapAmb are all 0");
}

static void as_user(void)
{
    const char *why;
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
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
            _exit(5);
        _exit(privdrop_enter("x", "/nonexistent/home", "/bin/false", &why) == -1
              && errno == ENOENT ? 0 : 4);
    }
    waitpid(pid, &status, 0);
    is_int(WEXITSTATUS(status), 0, "USER, HOME, default SHELL set, cwd is HOME, "
           "no_new_privs set, a missing HOME fails");
}

int main(void)
{
    const char *why;
    is_int(privdrop_become_list(0, 0, NULL, 0, &why), -1,
           "list form: uid 0 refused as target");
    is_str(why, "target is uid 0", "and says so");
    if (geteuid() == 0) {
        list_as_root();
        caps_as_root();
    } else
        as_user();
    enter();
    return tap_done();
}
