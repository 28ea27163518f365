/* SPDX-License-Identifier: ISC */
/* test_fault -- lib/fault.h.  Built twice: test_fault with the hooks
 * (-DPOPKIT_FAULT_INJECTION), where POPKIT_FAULT_ENOSPC and
 * POPKIT_FAULT_KILL act, and test_fault_off without, where the same
 * variables change nothing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "tap.h"

static int scratch(void)
{
    char path[] = "/tmp/test_fault.XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    return fd;
}

/* A child with POPKIT_FAULT_KILL=2 takes three steps, telling the pipe
 * before each; returns how many it told and whether it was killed. */
static int steps_before_kill(int *killed)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        setenv("POPKIT_FAULT_KILL", "2", 1);
        for (int i = 0; i < 3; i++) {
            write(p[1], "s", 1);
            fault_step();
        }
        _exit(0);
    }
    close(p[1]);
    char buf[8];
    int told = 0;
    ssize_t r;
    while ((r = read(p[0], buf, sizeof buf)) > 0)
        told += (int)r;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    *killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    return told;
}

int main(void)
{
    /* First, while no hook has read the environment in this process. */
    int killed = 0;
    int told = steps_before_kill(&killed);
    int fd = scratch();
    char buf[64];
    setenv("POPKIT_FAULT_ENOSPC", "2", 1);
    ok(fd >= 0, "a scratch file");
    is_int(fault_write(fd, "12345678", 8), 8, "the first write is whole");
#ifdef POPKIT_FAULT_INJECTION
    errno = 0;
    ok(fault_write(fd, "abcdefgh", 8) == -1 && errno == ENOSPC,
       "POPKIT_FAULT_ENOSPC=2: the second write fails with ENOSPC");
    errno = 0;
    ok(fault_pwrite(fd, "xyz", 3, 0) == -1 && errno == ENOSPC,
       "and every later one, pwrite too");
    is_int(pread(fd, buf, sizeof buf, 0), 12, "the failed write stored half its bytes");
    ok(memcmp(buf, "12345678abcd", 12) == 0, "its first half");
    ok(killed && told == 2, "POPKIT_FAULT_KILL=2: killed right after the second step");
#else
    is_int(fault_write(fd, "abcdefgh", 8), 8,
           "without the hooks POPKIT_FAULT_ENOSPC changes nothing");
    is_int(fault_pwrite(fd, "xyz", 3, 16), 3, "pwrite either");
    is_int(pread(fd, buf, sizeof buf, 0), 19, "every byte stored");
    ok(!killed && told == 3, "POPKIT_FAULT_KILL changes nothing: every step taken");
#endif
    close(fd);
    return tap_done();
}
