/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir.c: opening, closing, the session lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "maildir_fixture.h"
#include "tap.h"

/* Open the lock file as another session (another host's, through the
 * file system's lock service) would: a description of its own. */
static int lockfile_open(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LOCK_NAME);
    return open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

static int fcntl_lock(int fd, int cmd, short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, cmd, &fl);
}

/* Fork a holder that takes a lock with take() (0: taken) and keeps it
 * until it is killed.  Its pid; *held says whether it took the lock. */
static pid_t holder_start(int (*take)(void), int *held)
{
    int sync[2];
    if (pipe(sync) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char ch = take() == 0 ? 'y' : 'n';
        if (write(sync[1], &ch, 1) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    char ch = 0;
    if (read(sync[0], &ch, 1) != 1)
        ch = 0;
    close(sync[0]);
    close(sync[1]);
    *held = ch == 'y';
    return pid;
}

static int take_session_lock(void)
{
    struct maildir c;
    return maildir_open(&c, root) == 0 && maildir_lock(&c) == 0 ? 0 : -1;
}

/* A classic POSIX lock: what NLM and NFSv4 servers hold for a client. */
static int take_posix_lock(void)
{
    int fd = lockfile_open();
    return fd >= 0 && fcntl_lock(fd, F_SETLK, F_WRLCK) == 0 ? 0 : -1;
}

static void test_lock(void)
{
    struct maildir md, other;
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0, "lock taken");
    ok(maildir_open(&other, root) == 0, "second open");
    is_int(maildir_lock(&other), MAILDIR_BUSY, "second session: BUSY");
    maildir_close(&md);
    is_int(maildir_lock(&other), 0, "free after close");
    maildir_close(&other);

    /* A holder that dies without unlocking. */
    int held;
    pid_t pid = holder_start(take_session_lock, &held);
    ok(held, "child holds the lock");
    ok(maildir_open(&md, root) == 0, "open");
    is_int(maildir_lock(&md), MAILDIR_BUSY, "live holder: BUSY");
    is_int(maildir_lock_wait(&md, 60), MAILDIR_BUSY,
           "waiting 60 ms on a live holder: BUSY");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    is_int(maildir_lock(&md), 0, "dead holder's lock taken over");
    maildir_unlock(&md);
    ok(md.lockfd == -1, "unlocked");
    ok(maildir_open(&other, root) == 0 && maildir_lock(&other) == 0,
       "free after maildir_unlock");
    maildir_close(&other);
    maildir_close(&md);

    /* A holder on its way out: the waiter gets the lock. */
    int sync[2];
    char ch = 0;
    if (pipe(sync) < 0)
        exit(1);
    pid = fork();
    if (pid == 0) {
        struct maildir c;
        char y = maildir_open(&c, root) == 0 && maildir_lock(&c) == 0 ? 'y'
                                                                        : 'n';
        if (write(sync[1], &y, 1) < 0)
            _exit(1);
        struct timespec ts = { 0, 150 * 1000000L };
        nanosleep(&ts, NULL);
        _exit(0);
    }
    if (read(sync[0], &ch, 1) != 1)
        ch = 0;
    ok(ch == 'y' && maildir_open(&md, root) == 0 &&
       maildir_lock_wait(&md, 5000) == 0, "lock_wait outlasts an exiting holder");
    waitpid(pid, NULL, 0);
    maildir_close(&md);

    /* A stale lock file with a bogus pid is no obstacle. */
    put(".", MAILDIR_LOCK_NAME, "99999999\n");
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0,
       "stale lock file taken over");
    maildir_close(&md);

    /* A symlink for a lock file is refused, not followed. */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LOCK_NAME);
    unlink(p);
    symlink("/tmp/popkit-nowhere", p);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) < 0,
       "symlinked lock refused");
    ok(access("/tmp/popkit-nowhere", F_OK) < 0, "symlink target not created");
    maildir_close(&md);
    unlink(p);
    close(sync[0]);
    close(sync[1]);
}

/* A Maildir without cur/ does not open, and closing it then is safe. */
static void test_open(void)
{
    struct maildir md;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/cur", root);
    rename(p, "/tmp/popkit-test-cur-aside");
    errno = 0;
    ok(maildir_open(&md, root) < 0 && errno == ENOENT, "no cur/: ENOENT");
    ok(md.dirfd == -1 && md.newfd == -1 && md.curfd == -1 && md.lockfd == -1,
       "every descriptor closed");
    maildir_close(&md);
    ok(1, "closing a failed open is harmless");
    rename("/tmp/popkit-test-cur-aside", p);
    ok(maildir_open(&md, p) < 0 && errno == ENOENT, "cur/ itself is no Maildir");
    maildir_close(&md);
    put(".", "afile", "x\n");
    snprintf(p, sizeof p, "%s/afile", root);
    errno = 0;
    ok(maildir_open(&md, p) < 0 && errno == ENOTDIR, "a file: ENOTDIR");
    maildir_close(&md);
    unlink(p);
    ok(maildir_open(&md, root) == 0 && md.lockfd == -1, "open, not locked");
    maildir_unlock(&md);
    ok(md.lockfd == -1, "unlocking an unlocked one is harmless");
    maildir_close(&md);
}

/* The kinds of lock the session lock is made of, each of which is what
 * some file system forwards between hosts: whichever of them another
 * holder has, the session is refused; and a held session lock refuses
 * each of them. */
static void test_lock_kinds(void)
{
    struct maildir md;
    int fd = lockfile_open();
    ok(fd >= 0 && fcntl_lock(fd, F_OFD_SETLK, F_WRLCK) == 0,
       "another holder takes an OFD lock on the lock file");
    ok(maildir_open(&md, root) == 0, "open");
    is_int(maildir_lock(&md), MAILDIR_BUSY, "OFD lock held elsewhere: BUSY");
    close(fd);
    is_int(maildir_lock(&md), 0, "free once that holder closes");
    maildir_close(&md);

    fd = lockfile_open();
    ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0,
       "another holder takes flock(2) (an older popkit)");
    ok(maildir_open(&md, root) == 0, "open");
    is_int(maildir_lock(&md), MAILDIR_BUSY, "flock held elsewhere: BUSY");
    struct flock probe;
    memset(&probe, 0, sizeof probe);
    probe.l_type = F_WRLCK;
    ok(fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type == F_UNLCK,
       "the refused attempt left no OFD lock behind");
    close(fd);
    maildir_close(&md);

    /* A POSIX lock in a child process: in this process it would be this
     * process's own. */
    int held;
    pid_t pid = holder_start(take_posix_lock, &held);
    ok(held, "a child holds a POSIX fcntl lock on the lock file");
    ok(maildir_open(&md, root) == 0, "open");
    is_int(maildir_lock(&md), MAILDIR_BUSY, "POSIX lock held elsewhere: BUSY");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    is_int(maildir_lock(&md), 0, "taken once that holder died");

    /* Held: each kind is refused to everyone else. */
    fd = lockfile_open();
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    ok(fd >= 0 && fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type == F_WRLCK &&
       fl.l_start == 0 && fl.l_len == 0,
       "the session holds a write OFD lock over the whole file");
    errno = 0;
    ok(fcntl_lock(fd, F_OFD_SETLK, F_RDLCK) < 0 &&
       (errno == EAGAIN || errno == EACCES), "an OFD read lock is refused");
    ok(flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK,
       "flock is refused");
    close(fd);
    maildir_close(&md);
    fd = lockfile_open();
    ok(fd >= 0 && fcntl_lock(fd, F_OFD_SETLK, F_WRLCK) == 0 &&
       flock(fd, LOCK_EX | LOCK_NB) == 0, "maildir_close frees both");
    close(fd);
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_open();
    test_lock();
    test_lock_kinds();
    return fixture_done();
}
