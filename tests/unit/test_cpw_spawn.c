/* SPDX-License-Identifier: ISC */
/* test_cpw_spawn -- cpw_run() and cpw_start/finish/cancel against a fake
 * stage 2 (a shell script that records what it finds on fd 3 and exits
 * with a chosen code). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpw.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/test_cpw_spawn.XXXXXX";
static char out[64];

static char script[512];

/* The fake stage 2: it copies fd 3 to $dir/out, lists its open fds in
 * $dir/fds, and exits with CODE (or kills itself with SIGSEGV). */
static void make_script(void)
{
    snprintf(script, sizeof script,
             "cat <&3 >%s/out; t=$(readlink /proc/$$/fd/3); c=0; "
             "for f in /proc/$$/fd/*; do [ \"$(readlink $f)\" = \"$t\" ] && "
             "c=$((c+1)); done; echo $c >%s/fds; "
             "trap - PIPE; [ \"$1\" = segv ] && kill -SEGV $$; exit \"$1\"",
             dir, dir);
}

static int run(const char *code, const char *login, const char *password,
               const char *timestamp)
{
    char *argv[] = { "sh", "-c", script, "fake-stage2", (char *)code, NULL };
    return cpw_run(argv, login, password, timestamp);
}

static size_t slurp(const char *name, char *buf, size_t max)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read_full(fd, buf, max);
    close(fd);
    return n < 0 ? 0 : (size_t)n;
}

static void clear(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* cpw_start, then cpw_finish or cpw_cancel: what the greeter does to
 * start stage 2 before the client has sent its password. */
static void two_steps(void)
{
    char buf[64];
    struct cpw_child ch;
    char *argv[] = { "sh", "-c", script, "fake-stage2", "0", NULL };

    signal(SIGPIPE, SIG_IGN);   /* the contract: the caller ignores it */
    clear("out");
    ok(cpw_start(&ch, argv) == 0 && ch.pid > 0, "cpw_start starts stage 2");
    usleep(50000);
    ok(kill(ch.pid, 0) == 0 && slurp("out", buf, sizeof buf) == 0,
       "which waits for the credentials");
    int st = cpw_finish(&ch, "bob", "secret", "");
    size_t n = slurp("out", buf, sizeof buf);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 12 &&
       memcmp(buf, "bob\0secret\0\0", 12) == 0,
       "cpw_finish hands them over and returns the exit status");
    is_int(ch.pid, 0, "and nothing is left started");

    clear("out");
    ok(cpw_start(&ch, argv) == 0, "started again");
    pid_t pid = ch.pid;
    cpw_cancel(&ch);
    ok(ch.pid == 0 && ch.fd == -1 && kill(pid, 0) < 0 && errno == ESRCH,
       "cpw_cancel kills and reaps it");
    usleep(50000);
    ok(slurp("out", buf, sizeof buf) == 0, "before it read anything");
    cpw_cancel(&ch);
    ok(ch.pid == 0, "cancelling nothing is harmless");

    char early[] = "exit 7";
    char *quick[] = { "sh", "-c", early, NULL };
    ok(cpw_start(&ch, quick) == 0, "a stage 2 that exits without reading");
    usleep(100000);
    st = cpw_finish(&ch, "bob", "secret", "");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 7,
       "its status is returned (the write's EPIPE is not an error)");

    if (!getenv("POPKIT_VALGRIND")) {
        char *missing[] = { "/nonexistent/stage2", NULL };
        errno = 0;
        ok(cpw_start(&ch, missing) == -1 && errno == ENOENT && ch.pid == 0 &&
           ch.fd == -1, "a missing program: -1, ENOENT, nothing started");
    } else {
        ok(1, "a missing program # SKIP valgrind cannot report the exec error");
    }
    signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    make_script();
    char buf[1024];

    int st = run("0", "bob", "secret", "<1.2@host>");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit 0 is reported");
    size_t n = slurp("out", buf, sizeof buf);
    ok(n == 22 && memcmp(buf, "bob\0secret\0<1.2@host>\0", 22) == 0,
       "fd 3 carries login\\0password\\0timestamp\\0");

    st = run("1", "bob", "wrong", "");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == CPW_BAD, "exit 1 is reported");
    n = slurp("out", buf, sizeof buf);
    ok(n == 11 && memcmp(buf, "bob\0wrong\0\0", 11) == 0,
       "empty timestamp is a lone NUL");

    st = run("111", "bob", "x", "");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == CPW_TEMP, "exit 111 is reported");

    st = run("segv", "bob", "x", "");
    ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "a crash is reported");

    /* The pipe reaches stage 2 as fd 3 only: neither end leaks under
     * another number (that would keep fd 3 from ever reading EOF). */
    run("0", "bob", "x", "");
    n = slurp("fds", buf, sizeof buf - 1);
    buf[n] = '\0';
    is_str(buf, "1\n", "the pipe is open once in stage 2, as fd 3");

    /* Signals stage 2 gets: default, even if the greeter ignores SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    char selfpipe[] = "kill -PIPE $$; exit 0";
    char *argv[] = { "sh", "-c", selfpipe, NULL };
    st = cpw_run(argv, "a", "b", "");
    ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
       "SIGPIPE is not left ignored in stage 2");
    signal(SIGPIPE, SIG_DFL);

    two_steps();

    /* Payload limit: login\0password\0timestamp\0 at most CPW_MAX. */
    char big[CPW_MAX];
    memset(big, 'p', sizeof big);
    big[CPW_MAX - 4] = '\0';      /* "a\0" + 508 bytes + "\0" + "\0" = 512 */
    st = run("0", "a", big, "");
    n = slurp("out", buf, sizeof buf);
    ok(WIFEXITED(st) && n == CPW_MAX, "a payload of CPW_MAX bytes is sent");
    big[CPW_MAX - 4] = 'p';
    big[CPW_MAX - 3] = '\0';
    errno = 0;
    is_int(run("0", "a", big, ""), -1, "one byte more is refused");
    is_int(errno, EINVAL, "with EINVAL");

    char *missing[] = { "/nonexistent/stage2", NULL };
    errno = 0;
    int r = cpw_run(missing, "a", "b", "");
    if (getenv("POPKIT_VALGRIND")) {
        /* valgrind runs posix_spawn's shared-memory vfork as a fork, so
         * an exec failure comes back as the child's exit 127 instead. */
        ok(r != 0 && (r == -1 || (WIFEXITED(r) && WEXITSTATUS(r) == 127)),
           "a missing program is an error (under valgrind: exit 127)");
        ok(1, "with ENOENT # SKIP valgrind cannot report the exec error");
    } else {
        is_int(r, -1, "a missing program is an error");
        is_int(errno, ENOENT, "with ENOENT");
    }

    /* PATH is searched, as qmail's chains expect. */
    char *bare[] = { "true", NULL };
    st = cpw_run(bare, "a", "b", "");
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "bare name found in PATH");

    snprintf(out, sizeof out, "rm -rf %s", dir);
    if (system(out) != 0)
        return 1;
    return tap_done();
}
