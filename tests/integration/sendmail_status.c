/* SPDX-License-Identifier: ISC */
/*
 * sendmail_status -- a stand-in sendmail for confinement.py: reads the
 * message to its end, then copies its own /proc/self/status into
 * "status" beside its executable (from /proc/self/exe, never from argv
 * or the environment: the test runs set-ID copies of it), so the test
 * sees what the forward child holds after the exec.  Exit 0, or 75
 * (EX_TEMPFAIL) when it cannot.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* LeakSanitizer's hook (a test build with -fsanitize=address): a
 * set-group-ID process is not dumpable, so LeakSanitizer cannot stop
 * it to look, and would fail it at exit.  This program frees what it
 * has by exiting. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return 1;
}

static int copy(int from, int to)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(from, buf, sizeof buf)) > 0)
        if (to >= 0 && write(to, buf, (size_t)n) != n)
            return -1;
    return n < 0 ? -1 : 0;
}

int main(void)
{
    char exe[PATH_MAX], out[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 75;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 75;
    *slash = '\0';
    snprintf(out, sizeof out, "%s/status", exe);
    if (copy(0, -1) < 0)
        return 75;
    int in = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || fd < 0 || copy(in, fd) < 0 || close(fd) < 0)
        return 75;
    return 0;
}
