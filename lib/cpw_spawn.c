/* SPDX-License-Identifier: ISC */
/*
 * cpw_spawn.c -- stage 1's side of the checkpassword interface (cpw.h).
 *
 * cpw_run writes the payload into the pipe before stage 2 starts: it is
 * at most CPW_MAX bytes, far below any pipe's capacity, so the write
 * cannot block and stage 2 cannot make us wait or die of SIGPIPE by not
 * reading.  cpw_start/cpw_finish write into the same empty pipe after
 * the start, which cannot block either; there a stage 2 that has died
 * makes the write fail with EPIPE (the caller ignores SIGPIPE).
 * posix_spawnp (a vfork underneath in glibc) keeps the copy of our memory
 * out of the picture, and reports an exec failure as an error.
 */
#include "cpw.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

/* A pipe whose ends are above CPW_FD and close-on-exec, so dup2 onto fd 3
 * in the child always makes a fresh, inheritable descriptor. */
static int cpw_pipe(int fd[2])
{
    int raw[2];
    if (pipe(raw) < 0)
        return -1;
    fd[0] = fcntl(raw[0], F_DUPFD_CLOEXEC, CPW_FD + 1);
    fd[1] = fcntl(raw[1], F_DUPFD_CLOEXEC, CPW_FD + 1);
    int saved = errno;
    close(raw[0]);
    close(raw[1]);
    if (fd[0] >= 0 && fd[1] >= 0)
        return 0;
    if (fd[0] >= 0)
        close(fd[0]);
    if (fd[1] >= 0)
        close(fd[1]);
    errno = saved;
    return -1;
}

/* Stage 2 starts with default signal handling and an empty mask,
 * whatever the greeter ignores or blocks. */
static int cpw_attr(posix_spawnattr_t *attr)
{
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (posix_spawnattr_init(attr) != 0)
        return -1;
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF |
                                       POSIX_SPAWN_SETSIGMASK);
    return 0;
}

static int cpw_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

/* Start argv[0] with rfd on CPW_FD; rfd is closed here either way.
 * 0 with *pid set, or -1 with errno. */
static int cpw_spawn(char *const argv[], int rfd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int err = posix_spawn_file_actions_init(&fa);
    if (err == 0) {
        posix_spawn_file_actions_adddup2(&fa, rfd, CPW_FD);
        if (cpw_attr(&attr) == 0) {
            err = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
            posix_spawnattr_destroy(&attr);
        } else {
            err = errno ? errno : EINVAL;   /* never 0: pid is unset */
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close(rfd);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int cpw_run(char *const argv[], const char *login, const char *password,
            const char *timestamp)
{
    char buf[CPW_MAX];
    int fd[2];
    ssize_t len = cpw_pack(buf, sizeof buf, login, password, timestamp);
    if (len < 0) {
        wipe(buf, sizeof buf);
        errno = EINVAL;
        return -1;
    }
    if (cpw_pipe(fd) < 0) {
        wipe(buf, sizeof buf);
        return -1;
    }
    int w = write_all(fd[1], buf, (size_t)len);
    wipe(buf, sizeof buf);
    close(fd[1]);
    if (w < 0) {
        close(fd[0]);
        return -1;
    }
    pid_t pid = 0;
    if (cpw_spawn(argv, fd[0], &pid) < 0)
        return -1;
    return cpw_wait(pid);
}

int cpw_start(struct cpw_child *ch, char *const argv[])
{
    int fd[2];
    ch->pid = 0;
    ch->fd = -1;
    if (cpw_pipe(fd) < 0)
        return -1;
    if (cpw_spawn(argv, fd[0], &ch->pid) < 0) {
        int saved = errno;
        close(fd[1]);
        ch->pid = 0;
        errno = saved;
        return -1;
    }
    ch->fd = fd[1];
    return 0;
}

int cpw_finish(struct cpw_child *ch, const char *login, const char *password,
               const char *timestamp)
{
    char buf[CPW_MAX];
    ssize_t len = cpw_pack(buf, sizeof buf, login, password, timestamp);
    pid_t pid = ch->pid;
    int w = -1;

    /* At most CPW_MAX bytes into an empty pipe: never blocks.  A stage 2
     * that died early makes it fail with EPIPE; its status says why. */
    if (len >= 0)
        w = write_all(ch->fd, buf, (size_t)len);
    wipe(buf, sizeof buf);
    if (len < 0 || (w < 0 && errno != EPIPE)) {
        int saved = len < 0 ? EINVAL : errno;
        cpw_cancel(ch);
        errno = saved;
        return -1;
    }
    close(ch->fd);
    ch->pid = 0;
    ch->fd = -1;
    return cpw_wait(pid);
}

void cpw_cancel(struct cpw_child *ch)
{
    if (ch->pid > 0) {
        kill(ch->pid, SIGKILL);
        cpw_wait(ch->pid);
    }
    if (ch->fd >= 0)
        close(ch->fd);
    ch->pid = 0;
    ch->fd = -1;
}
