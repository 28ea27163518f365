/* SPDX-License-Identifier: ISC */
/*
 * test_sandbox.c -- lib/sandbox: in a child that entered each profile,
 * /proc shows the filter (Seccomp: 2) and no_new_privs; what the profile
 * allows works (reads and writes, the clock, the allocator, the
 * profile's own calls); what it does not kills the child with SIGSYS
 * (a new socket pair, executable memory, an i386 call from an x86_64
 * process); socket and, in the LMTP parser, openat fail with EACCES.
 * Built with ASan, a confined child's report is still written whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

/* What a child does once confined; its exit code is the verdict (0
 * good), unless the filter kills it. */
typedef int (*child_fn)(int fd);

/* Run fn in a child confined to p; its wait status.  Before fn, the
 * child writes one byte and waits for one, so that the parent can read
 * /proc/PID/status: statusline gets the "Seccomp:" and "NoNewPrivs:"
 * values as "S N". */
static int run_confined(enum sandbox_profile p, child_fn fn, char *statusline,
                        size_t n)
{
    int up[2], down[2];
    if (pipe(up) < 0 || pipe(down) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        if (sandbox_enter(p) != SANDBOX_ON)
            _exit(90);
        char c = 'x';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(91);
        _exit(fn(up[1]));
    }
    close(up[1]);
    close(down[0]);
    char c;
    statusline[0] = '\0';
    if (read(up[0], &c, 1) == 1) {
        char path[64], line[256], secc[16] = "?", nnp[16] = "?";
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            sscanf(line, "Seccomp: %15s", secc);
            sscanf(line, "NoNewPrivs: %15s", nnp);
        }
        if (f)
            fclose(f);
        snprintf(statusline, n, "%s %s", secc, nnp);
    }
    (void)!write(down[1], "x", 1);
    close(down[1]);
    int st;
    pid_t w = waitpid(pid, &st, 0);
    close(up[0]);   /* after: the child may still write to it */
    return w < 0 ? -1 : st;
}

static int allowed_common(int fd)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || getpid() <= 0)
        return 1;
    /* The allocator: a small block and one big enough for mmap. */
    char *small = malloc(64), *big = malloc(4 << 20);
    if (!small || !big)
        return 2;
    memset(big, 1, 4 << 20);
    free(big);
    free(small);
    if (write(fd, "y", 1) != 1)
        return 3;
    if (send(fd, "z", 1, MSG_NOSIGNAL) >= 0 || errno != ENOTSOCK)
        return 4;   /* send itself is allowed: ENOTSOCK, not death */
    return 0;
}

static int forbidden_socketpair(int fd)
{
    int sv[2];
    (void)fd;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    return 0;   /* not reached when the filter holds */
}

static int forbidden_exec_memory(int fd)
{
    (void)fd;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? 1 : 0;
}

#ifndef SANDBOX_SANITIZER
/* Calls a sanitizer build allows (sandbox.h). */
static int forbidden_mprotect_exec(int fd)
{
    (void)fd;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    mprotect(p, 4096, PROT_READ | PROT_EXEC);
    return 0;
}
#endif

static int refused_socket(int fd)
{
    (void)fd;
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    return s < 0 && errno == EACCES ? 0 : 1;
}

/* fdpass_send's wait for descriptors in flight (lib/fdpass.c). */
static int lmtp_sleep(int fd)
{
    struct timespec step = { 0, 1000000L };
    (void)fd;
    return nanosleep(&step, NULL) == 0 ? 0 : 1;
}

#ifndef SANDBOX_SANITIZER
static int lmtp_calls(int fd)
{
    (void)fd;
    int m = (int)syscall(SYS_memfd_create, "t", 0U);
    if (m < 0 || write(m, "abc", 3) != 3)
        return 1;
    close(m);
    int o = open("/etc/passwd", O_RDONLY);
    return o < 0 && errno == EACCES ? 0 : 2;
}

static int parser_open(int fd)
{
    (void)fd;
    open("/etc/passwd", O_RDONLY);
    return 0;
}
#endif

static int get_random(int fd)
{
    char r[16];
    (void)fd;
    return syscall(SYS_getrandom, r, sizeof r, 0) == (long)sizeof r ? 0 : 1;
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* int $0x80 from a 64-bit process: i386's numbers (20 is getpid there),
 * which the architecture check must refuse. */
static int forbidden_other_arch(int fd)
{
    long r;
    (void)fd;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    return 0;
}
#endif

#ifdef __SANITIZE_ADDRESS__
/* A write past a heap block in a confined parser: the sanitizers (UBSan's
 * object-size check first, else ASan) must still write their whole
 * report (the extra calls of sandbox.h), not die by SIGSYS. */
static void sanitizer_report_confined(void)
{
    int err[2];
    if (pipe(err) < 0) {
        ok(0, "pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(err[1], 2);
        close(err[0]);
        char *x = malloc(8);
        volatile int past = 8;
        if (sandbox_enter(SANDBOX_POP3_PARSER) != SANDBOX_ON)
            _exit(90);
        x[past] = 1;
        _exit(0);
    }
    close(err[1]);
    static char buf[65536];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 &&
           (r = read(err[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(err[0]);
    int st;
    waitpid(pid, &st, 0);
    ok(!(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) &&
       !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
       strstr(buf, "sanitizer_report_confined") &&
       (strstr(buf, "runtime error: ") ||
        strstr(buf, "ERROR: AddressSanitizer")),
       "a sanitizer's report of a confined parser is written whole, with "
       "its stack trace (status %#x)", st);
    if (!strstr(buf, "sanitizer_report_confined"))
        printf("#   stderr: %.2000s\n", buf);
}
#endif

static void expect_exit(const char *what, enum sandbox_profile p,
                        child_fn fn, int code)
{
    char s[64];
    int st = run_confined(p, fn, s, sizeof s);
    ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == code,
       "%s: exits %d", what, code);
    if (!(st >= 0 && WIFEXITED(st)))
        printf("#   status %#x\n", st);
    else if (WEXITSTATUS(st) != code)
        printf("#   exit %d\n", WEXITSTATUS(st));
}

static void expect_sigsys(const char *what, enum sandbox_profile p,
                          child_fn fn)
{
    char s[64];
    int st = run_confined(p, fn, s, sizeof s);
    ok(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
       "%s: killed by SIGSYS", what);
    if (st >= 0 && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
        printf("#   status %#x\n", st);
}

int main(void)
{
    const char *why = sandbox_skip_reason();
    if (why) {
        tap_skip("seccomp filters", why);
        return tap_done();
    }
    static const enum sandbox_profile profiles[] = {
        SANDBOX_POP3_PARSER, SANDBOX_LMTP_PARSER, SANDBOX_TLS_RELAY
    };
    static const char *const names[] = { "pop3 parser", "lmtp parser",
                                         "tls relay" };
    for (int i = 0; i < 3; i++) {
        char s[64];
        int st = run_confined(profiles[i], allowed_common, s, sizeof s);
        is_str(s, "2 1", "/proc shows Seccomp 2 and NoNewPrivs 1");
        ok(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "%s: reads, writes, send, the clock, the allocator, exit",
           names[i]);
        if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            printf("#   status %#x\n", st);
        expect_sigsys(names[i], profiles[i], forbidden_socketpair);
        expect_exit(names[i], profiles[i], refused_socket, 0);
    }
    expect_sigsys("pop3 parser: executable mmap", SANDBOX_POP3_PARSER,
                  forbidden_exec_memory);
    expect_exit("lmtp parser: nanosleep (fdpass_send's wait)",
                SANDBOX_LMTP_PARSER, lmtp_sleep, 0);
    expect_sigsys("pop3 parser: nanosleep", SANDBOX_POP3_PARSER, lmtp_sleep);
#ifdef SANDBOX_SANITIZER
    static const char *const san = "built with sanitizers, whose runtimes "
                                   "need mprotect and open (sandbox.h)";
    tap_skip("tls relay: mprotect to executable", san);
    tap_skip("pop3 parser: open", san);
    tap_skip("lmtp parser: memfd, then open refused with EACCES", san);
#else
    expect_sigsys("tls relay: mprotect to executable", SANDBOX_TLS_RELAY,
                  forbidden_mprotect_exec);
    expect_sigsys("pop3 parser: open", SANDBOX_POP3_PARSER, parser_open);
    expect_exit("lmtp parser: memfd, then open refused with EACCES",
                SANDBOX_LMTP_PARSER, lmtp_calls, 0);
#endif
    expect_exit("pop3 parser: getrandom", SANDBOX_POP3_PARSER, get_random, 0);
#ifdef __SANITIZE_ADDRESS__
    sanitizer_report_confined();
#endif
#if defined(__x86_64__) && !defined(__ILP32__)
    expect_sigsys("pop3 parser: an i386 system call", SANDBOX_POP3_PARSER,
                  forbidden_other_arch);
#endif
    return tap_done();
}
