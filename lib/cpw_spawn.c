/*
 * cpw_spawn.c -- stage 1's side of the checkpassword interface (cpw.h).
 *
 * The payload is written into the pipe before stage 2 starts: it is at
 * most CPW_MAX bytes, far below any pipe's capacity, so the write cannot
 * block and stage 2 cannot make us wait or die of SIGPIPE by not reading.
 * posix_spawnp (a vfork underneath in glibc) keeps the copy of our memory
 * out of the picture, and reports an exec failure as an error.
 */
#include "cpw.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

/* Build login\0password\0timestamp\0 into buf; its length or -1. */
static ssize_t cpw_payload(char *buf, const char *login,
                           const char *password, const char *timestamp)
{
    const char *part[3] = { login, password, timestamp };
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(part[i]) + 1;
        if (len + n > CPW_MAX)
            return -1;
        memcpy(buf + len, part[i], n);
        len += n;
    }
    return (ssize_t)len;
}

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

int cpw_run(char *const argv[], const char *login, const char *password,
            const char *timestamp)
{
    char buf[CPW_MAX];
    int fd[2];
    ssize_t len = cpw_payload(buf, login, password, timestamp);
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

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid;
    int err = posix_spawn_file_actions_init(&fa);
    if (err == 0) {
        posix_spawn_file_actions_adddup2(&fa, fd[0], CPW_FD);
        if (cpw_attr(&attr) == 0) {
            err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
            posix_spawnattr_destroy(&attr);
        } else {
            err = errno ? errno : EINVAL;   /* never 0: pid is unset */
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close(fd[0]);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return cpw_wait(pid);
}
