/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/mbox.c: From_ lines, mboxrd quoting across any split,
 * the sender, separators, dotlock and fcntl locking. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mbox.h"
#include "tap.h"

struct mem { char buf[8192]; size_t len; };

static int sink_mem(struct mbox_out *o, const void *data, size_t len)
{
    struct mem *m = o->arg;
    if (m->len + len > sizeof m->buf) {
        errno = ENOSPC;
        return -1;
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
    return 0;
}

static struct mbox_out out;

/* The mbox text for one message fed in pieces of `step` bytes. */
static const char *render(const char *sender, const char *msg, size_t step)
{
    static struct mem m;
    m.len = 0;
    mbox_out_init(&out, -1, 0, sink_mem, &m);
    mbox_begin(&out, sender, 0);
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i += step)
        mbox_body(&out, msg + i, n - i < step ? n - i : step);
    mbox_end(&out);
    mbox_flush(&out);
    m.buf[m.len] = '\0';
    return m.buf;
}

static void test_writer(void)
{
    is_str(render("a@b", "Subject: x\n\nhi\n", 100),
           "From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\nhi\n\n",
           "From_ line in asctime format, message, blank line");
    is_str(render("a@b", "S: x\n\nno newline", 100),
           "From a@b Thu Jan  1 00:00:00 1970\nS: x\n\nno newline\n\n",
           "a missing final newline is added");
    const char *body = "S: x\n\nFrom here\n>From there\n>>From far\nFrom\nFromage\n"
                       " From x\n>Fro\n>\nFrom ";
    const char *want = "From a Thu Jan  1 00:00:00 1970\nS: x\n\n>From here\n>>From there\n"
                       ">>>From far\nFrom\nFromage\n From x\n>Fro\n>\n>From \n\n";
    int all = 1;
    for (size_t step = 1; step <= strlen(body); step++)
        if (strcmp(render("a", body, step), want) != 0) {
            all = 0;
            printf("# step %zu: %s\n", step, render("a", body, step));
        }
    ok(all, "mboxrd quoting of >*From lines, whatever the split");
    is_str(render("a", ">>", 1), "From a Thu Jan  1 00:00:00 1970\n>>\n\n",
           "held-back '>'s at the end are written");
    struct mem m = { .len = 0 };
    mbox_out_init(&out, -1, 0, sink_mem, &m);
    mbox_begin(&out, "x", 1700000000);
    mbox_flush(&out);
    m.buf[m.len] = '\0';
    is_str(m.buf, "From x Tue Nov 14 22:13:20 2023\n", "date in UTC");
}

static void test_sender(void)
{
    char s[MBOX_SENDER_MAX + 1];
    const char *h1 = "Received: x\nReturn-Path: <joe@example.org>\nSubject: y\n\nbody\n";
    mbox_sender(h1, strlen(h1), s, sizeof s);
    is_str(s, "joe@example.org", "sender from Return-Path");
    const char *h2 = "return-path: <>\n\n";
    mbox_sender(h2, strlen(h2), s, sizeof s);
    is_str(s, "MAILER-DAEMON", "<> becomes MAILER-DAEMON");
    const char *h3 = "Subject: y\n\nReturn-Path: <late@x>\n";
    mbox_sender(h3, strlen(h3), s, sizeof s);
    is_str(s, "MAILER-DAEMON", "no Return-Path in the header: MAILER-DAEMON");
    const char *h4 = "Return-Path:\n <\"a b\"\t@x>\n\n";
    mbox_sender(h4, strlen(h4), s, sizeof s);
    is_str(s, "\"a_b\"_@x", "folded; blanks made '_' so the From_ line stays parseable");
    const char *h5 = "Return-Path: bare@x\r\n\r\n";
    mbox_sender(h5, strlen(h5), s, sizeof s);
    is_str(s, "bare@x", "no angle brackets, CRLF");
}

static void test_separator(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sep", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    is_int(mbox_separator(fd, 0), 0, "empty mbox: no separator");
    (void)!write(fd, "x", 1);
    is_int(mbox_separator(fd, 1), 2, "no final newline: two");
    (void)!write(fd, "\n", 1);
    is_int(mbox_separator(fd, 2), 1, "one newline: one more");
    (void)!write(fd, "\n", 1);
    is_int(mbox_separator(fd, 3), 0, "blank line already: none");
    close(fd);
}

static void test_locks(const char *dir)
{
    char path[512], lockpath[600];
    char *name = NULL, *name2 = NULL;
    snprintf(path, sizeof path, "%s/mbox", dir);
    snprintf(lockpath, sizeof lockpath, "%s.lock", path);

    is_int(mbox_dotlock(path, 0, &name), 0, "dotlock taken");
    struct stat st;
    ok(stat(lockpath, &st) == 0 && st.st_nlink == 1, "PATH.lock exists, one link");
    errno = 0;
    is_int(mbox_dotlock(path, 1, &name2), -1, "a held dotlock is not taken twice");
    is_int(errno, ETIMEDOUT, "... ETIMEDOUT after the bounded wait");
    mbox_dotunlock(name);
    ok(stat(lockpath, &st) < 0, "dotlock removed");

    /* a lock of a dead process on this host is stale at once */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    char host[256] = "localhost";
    gethostname(host, sizeof host);
    FILE *f = fopen(lockpath, "w");
    fprintf(f, "%ld %s\n", (long)child, host);
    fclose(f);
    is_int(mbox_dotlock(path, 0, &name), 0, "a dead process's dotlock is broken");
    mbox_dotunlock(name);
    /* an old one too */
    f = fopen(lockpath, "w");
    fprintf(f, "1 otherhost\n");
    fclose(f);
    struct timespec old[2] = { { time(NULL) - MBOX_DOTLOCK_STALE - 10, 0 },
                               { time(NULL) - MBOX_DOTLOCK_STALE - 10, 0 } };
    utimensat(AT_FDCWD, lockpath, old, 0);
    is_int(mbox_dotlock(path, 0, &name), 0, "a dotlock older than the stale age is broken");
    mbox_dotunlock(name);

    /* fcntl: a child holds the lock; we wait, then get it */
    struct mbox_lock lk;
    int pfd[2];
    (void)!pipe(pfd);
    child = fork();
    if (child == 0) {
        int fd = open(path, O_RDWR | O_CREAT, 0600);
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        fcntl(fd, F_SETLK, &fl);
        (void)!write(pfd[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    (void)!read(pfd[0], &c, 1);
    errno = 0;
    is_int(mbox_lock(&lk, path, 1, 1), -1, "fcntl lock held elsewhere: not taken");
    is_int(errno, ETIMEDOUT, "... ETIMEDOUT");
    ok(stat(lockpath, &st) < 0, "... and the dotlock is not left behind");
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    is_int(mbox_lock(&lk, path, 1, 1), 0, "taken once the holder is gone");
    ok(stat(lockpath, &st) == 0, "holding the dotlock too");
    mbox_unlock(&lk);
    ok(stat(lockpath, &st) < 0, "unlock removes the dotlock");
    close(pfd[0]);
    close(pfd[1]);
}

int main(void)
{
    char dir[] = "/tmp/test_mbox.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_writer();
    test_sender();
    test_separator(dir);
    test_locks(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
    return tap_done();
}
