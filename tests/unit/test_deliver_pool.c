/* SPDX-License-Identifier: ISC */
/* lib/deliver_pool.c: one delivery child per owner, kept between
 * mailboxes; a child that dies is replaced; the pool reaps its children.
 * As root the mail belongs to nobody (mail is never written as root);
 * otherwise to ourselves. */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "deliver_pool.h"
#include "tap.h"

static char top[] = "/tmp/test_deliver_pool.XXXXXX";
static char maildir[sizeof top + 16];

static void make_maildir(const struct passwd *pw)
{
    static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
    if (!mkdtemp(top))
        exit(99);
    chmod(top, 0755);
    snprintf(maildir, sizeof maildir, "%s/Maildir", top);
    for (int i = 0; i < 4; i++) {
        char p[sizeof maildir + 8];
        snprintf(p, sizeof p, "%s%s", maildir, sub[i]);
        if (mkdir(p, 0700) < 0 || chown(p, pw->pw_uid, pw->pw_gid) < 0)
            exit(99);
    }
}

/* The pid in the name of the file delivered last (P<pid> of the unique
 * name), or -1. */
static long pid_of(const char *name)
{
    const char *p = strchr(name, 'P');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

/* Until pid is a zombie (its descriptors closed) or gone: the pool
 * reaps it at its next use.  (One that dies with a request in flight
 * fails that mailbox: another case.) */
static void wait_dead(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        char p[64], st[512];
        snprintf(p, sizeof p, "/proc/%ld/stat", (long)pid);
        FILE *f = fopen(p, "r");
        if (!f)
            return;
        size_t n = fread(st, 1, sizeof st - 1, f);
        fclose(f);
        st[n] = '\0';
        const char *paren = strrchr(st, ')');
        if (!paren || paren[1] == '\0' || paren[2] == 'Z')
            return;
        usleep(50000);
    }
}

static enum deliver_status deliver_one(struct deliver_pool *pool,
                                       const struct userdb_entry *e,
                                       struct deliver_report *r)
{
    struct deliver_spool s;
    static const char msg[] = "Subject: pool\n\nbody\n";
    if (deliver_spool_open(&s, 0) < 0 ||
        deliver_spool_write(&s, msg, sizeof msg - 1) < 0 ||
        deliver_spool_finish(&s) < 0)
        exit(99);
    enum deliver_status st = deliver_pool_mailbox(pool, e, maildir, &s,
                                                  "s@x.test", e->address,
                                                  NULL, r);
    deliver_spool_close(&s);
    return st;
}

static int count_new(void)
{
    char p[sizeof maildir + 8];
    snprintf(p, sizeof p, "%s/new", maildir);
    DIR *d = opendir(p);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    /* The pool's children run this program again (deliver.h). */
    deliver_pool_child_main(argc, argv);
    const struct passwd *pw = getuid() == 0 ? getpwnam("nobody")
                                            : getpwuid(getuid());
    if (!pw) {
        tap_skip("the pool", "no account to deliver as");
        return tap_done();
    }
    char owner[64], address[] = "joe@x.test", home[sizeof top];
    snprintf(owner, sizeof owner, "%s", pw->pw_name);
    make_maildir(pw);
    memcpy(home, top, sizeof top);
    struct userdb_entry e = { .address = address, .owner = owner,
                              .home = home };
    struct deliver_pool *pool = deliver_pool_new();
    ok(pool != NULL, "a pool");
    struct deliver_report r1, r2, r3;
    ok(deliver_one(pool, &e, &r1) == DELIVER_OK, "first mailbox (%s)", r1.why);
    ok(deliver_one(pool, &e, &r2) == DELIVER_OK, "second mailbox (%s)", r2.why);
    long c1 = pid_of(r1.name), c2 = pid_of(r2.name);
    ok(c1 > 0 && c1 == c2, "both written by one child (%ld, %ld)", c1, c2);
    ok(c1 != (long)getpid(), "a child, not this process");
    is_int(count_new(), 2, "two files in new/");

    /* Killed between two mailboxes: the next one gets a new child. */
    kill((pid_t)c1, SIGKILL);
    wait_dead((pid_t)c1);
    ok(deliver_one(pool, &e, &r3) == DELIVER_OK,
       "the child killed: the next mailbox delivered (%s)", r3.why);
    long c3 = pid_of(r3.name);
    ok(c3 > 0 && c3 != c1, "by a new child (%ld, was %ld)", c3, c1);
    is_int(count_new(), 3, "three files in new/");

    /* An owner with no account: its own failure, no other's. */
    char ghost[] = "no-such-account-popkit";
    struct userdb_entry g = e;
    g.owner = ghost;
    struct deliver_report rg, r4;
    ok(deliver_one(pool, &g, &rg) != DELIVER_OK && strstr(rg.why, ghost),
       "an owner without an account fails (%s)", rg.why);
    is_int(deliver_one(pool, &e, &r4), DELIVER_OK,
           "and the real owner's next mailbox is delivered");
    ok(pid_of(r4.name) == c3, "by its kept child");

    deliver_pool_free(pool);
    errno = 0;
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD,
       "the pool reaped every child it forked");
    char cmd[sizeof top + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", top);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
