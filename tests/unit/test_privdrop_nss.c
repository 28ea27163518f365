/* SPDX-License-Identifier: ISC */
/* test_privdrop_nss.c -- lib/privdrop_nss.c: becoming a user with the
 * groups NSS gives (getgrouplist), verified.  As root (real, or faked by
 * uid_wrapper) it really drops, in a child. */
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

/* In a child: privdrop_set_groups(name, gid), then 0 when the groups
 * read back are exactly want[0..n) (in any order), else 1..3. */
static int groups_in_child(const char *name, gid_t gid, const gid_t *want,
                           int n)
{
    pid_t pid = fork();
    int status;
    if (pid == 0) {
        const char *why;
        gid_t g[256];
        if (privdrop_set_groups(name, gid, &why))
            _exit(1);
        int got = getgroups(256, g);
        if (got != n)
            _exit(2);
        for (int i = 0; i < n; i++) {
            int found = 0;
            for (int k = 0; k < got; k++)
                found |= g[k] == want[i];
            if (!found)
                _exit(3);
        }
        _exit(0);
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
    /* The groups alone: NSS's list for the name, plus the gid given. */
    gid_t one = 4243;
    is_int(groups_in_child(NULL, 4243, &one, 1), 0,
           "set_groups without a name: just the gid");
    is_int(groups_in_child("popkit-no-such-user", 4243, &one, 1), 0,
           "a name NSS does not know: just the gid");
    gid_t list[256];
    int n = 256;
    if (getgrouplist(pw->pw_name, 4244, list, &n) < 0)
        n = 0;
    ok(n >= 1 && groups_in_child(pw->pw_name, 4244, list, n) == 0,
       "a known name: what getgrouplist says, the gid given among them");
}

static void as_user(void)
{
    const char *why = "unset";
    is_int(privdrop_become(NULL, getuid(), getgid(), &why), 0,
           "not root: becoming oneself is a no-op");
    is_int(privdrop_become(NULL, getuid() + 1, getgid(), &why), -1,
           "not root: becoming someone else fails");
    is_int(errno, EPERM, "with EPERM");
    why = "unset";
    is_int(privdrop_set_groups("nobody", getgid(), &why), 0,
           "not root: set_groups changes nothing and succeeds");
    is_str(why, "", "and names no failed step");
}

int main(void)
{
    const char *why;
    is_int(privdrop_become("root", 0, 0, &why), -1, "uid 0 refused as target");
    is_str(why, "target is uid 0", "and says so");
    errno = 0;
    is_int(privdrop_become(NULL, 0, 4243, &why), -1,
           "uid 0 refused without a name too");
    is_int(errno, EPERM, "with EPERM");
    if (geteuid() == 0)
        as_root();
    else
        as_user();
    return tap_done();
}
