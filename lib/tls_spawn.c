/* SPDX-License-Identifier: ISC */
/*
 * tls_spawn.c -- the caller's side of the TLS relay (contract in tls.h):
 * running pop3-tls-relay, reading its verdict, and putting the session
 * on fds 0 and 1.  No OpenSSL here, so that pop3-greeter loads none:
 * libcrypto's start-up and relocations cost about 0.8 ms and 2 MB of
 * RSS in every process that links it, TLS or not.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"

/* Read the relay's one-line verdict: "OK PROTOCOL CIPHER\n" or
 * "ERR REASON\n", then EOF.  0 or -1. */
static int read_line(int fd, int timeout, char *line, size_t n)
{
    size_t len = 0;
    long long deadline = now_ms() + (long long)timeout * 1000;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        long long left = deadline - now_ms();
        int ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        int rc = ms ? poll(&p, 1, ms) : 0;
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        ssize_t got = read(fd, line + len, n - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || (len += (size_t)got) == n - 1)
            break;
    }
    line[len] = '\0';
    return len > 0 && line[len - 1] == '\n' ? 0 : -1;
}

static int parse_verdict(char *line, struct tls_session *s)
{
    char *nl = strchr(line, '\n');
    *nl = '\0';
    if (strncmp(line, "ERR ", 4) == 0) {
        str_cut(s->error, sizeof s->error, "%s", line + 4);
        return TLS_VERDICT_ERR;
    }
    char *proto = line + 3, *cipher = strchr(proto, ' ');
    if (strncmp(line, "OK ", 3) != 0 || !cipher
        || (size_t)(cipher - proto) >= sizeof s->protocol
        || strlen(cipher + 1) >= sizeof s->cipher) {
        str_cut(s->error, sizeof s->error, "relay sent a malformed verdict");
        return TLS_VERDICT_ERR;
    }
    *cipher++ = '\0';
    str_cut(s->protocol, sizeof s->protocol, "%s", proto);
    str_cut(s->cipher, sizeof s->cipher, "%s", cipher);
    return 0;
}

int tls_verdict_read(int fd, int timeout, struct tls_session *s)
{
    char line[TLS_ERR_MAX + 32];
    if (read_line(fd, timeout, line, sizeof line) < 0) {
        str_cut(s->error, sizeof s->error, "relay gave no verdict");
        return TLS_VERDICT_NONE;
    }
    return parse_verdict(line, s);
}

/* In the child: net on 0, plain on 1, the verdict pipe on 3, nothing
 * else but stderr; then exec.  Copies above 3 first, so no dup2 lands
 * on a descriptor still needed (dup2 also clears close-on-exec). */
static void __attribute__((noreturn))
exec_relay(char *const argv[], int net, int plain, int status)
{
    int n = fcntl(net, F_DUPFD, 10), p = fcntl(plain, F_DUPFD, 10),
        v = fcntl(status, F_DUPFD, 10);
    if (n < 0 || p < 0 || v < 0 || dup2(n, 0) < 0 || dup2(p, 1) < 0
        || dup2(v, TLS_RELAY_VERDICT_FD) < 0) {
        log_error("cannot set up the TLS relay: %s", strerror(errno));
        _exit(EXIT_TEMP);
    }
    close(n);
    close(p);
    close(v);
    execv(argv[0], argv);
    log_error("cannot run %s: %s", argv[0], strerror(errno));
    _exit(EXIT_TEMP);
}

/* A relay killed by a signal could not log why: say it for it (SIGSYS:
 * its seccomp filter, lib/sandbox), unless the signal was our own
 * SIGKILL.  1 when it was killed so, else 0. */
static int relay_death(int status, char *why, size_t n)
{
    if (!WIFSIGNALED(status) || WTERMSIG(status) == SIGKILL)
        return 0;
    if (WTERMSIG(status) == SIGSYS)
        str_cut(why, n, "the TLS relay was killed by SIGSYS: a system call "
                "outside its seccomp allow-list");
    else
        str_cut(why, n, "the TLS relay was killed by signal %d",
                WTERMSIG(status));
    log_error("%s", why);
    return 1;
}

int tls_relay_wait(pid_t pid)
{
    char why[TLS_ERR_MAX];
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    relay_death(status, why, sizeof why);
    return status;
}

int tls_relay_launch(tls_relay_child child, void *arg, int netfd,
                     int verdict_timeout, struct tls_session *s)
{
    int sp[2], st[2];

    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        str_cut(s->error, sizeof s->error, "socketpair: %s", strerror(errno));
        return -1;
    }
    if (pipe2(st, O_CLOEXEC) < 0) {
        str_cut(s->error, sizeof s->error, "pipe: %s", strerror(errno));
        close(sp[0]);
        close(sp[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sp[0]);
        close(st[0]);
        child(arg, netfd, sp[1], st[1]);
        _exit(EXIT_TEMP);   /* a child that returns is a bug: fail closed */
    }
    close(sp[1]);
    close(st[1]);
    if (pid < 0) {
        str_cut(s->error, sizeof s->error, "fork: %s", strerror(errno));
        close(sp[0]);
        close(st[0]);
        return -1;
    }
    /* The relay enforces the handshake timeout; the margin covers its
     * start-up (loading the key), so this wait is only a backstop. */
    int got = tls_verdict_read(st[0], verdict_timeout, s);
    close(st[0]);
    if (got < 0) {
        if (got == TLS_VERDICT_NONE)
            kill(pid, SIGKILL);
        close(sp[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        relay_death(status, s->error, sizeof s->error);
        return -1;
    }
    s->fd = sp[0];
    s->pid = pid;
    return 0;
}

static void exec_child(void *argv, int net, int plain, int status)
{
    exec_relay(argv, net, plain, status);
}

int tls_relay_exec(char *const argv[], int netfd, struct tls_session *s)
{
    return tls_relay_launch(exec_child, (void *)argv, netfd,
                            TLS_HANDSHAKE_TIMEOUT + 10, s);
}

int tls_session_stdio(struct tls_session *s)
{
    if (dup2(s->fd, 0) < 0 || dup2(s->fd, 1) < 0)
        return -1;
    /* dup2 onto itself keeps close-on-exec: clear it, the stages need
     * these descriptors. */
    if (fcntl(0, F_SETFD, 0) < 0 || fcntl(1, F_SETFD, 0) < 0)
        return -1;
    if (s->fd > 1)
        close(s->fd);
    s->fd = 0;
    return 0;
}

int tls_session_setenv(const struct tls_session *s)
{
    if (setenv("SSL_PROTOCOL", s->protocol, 1) < 0
        || setenv("SSL_CIPHER", s->cipher, 1) < 0)
        return -1;
    return 0;
}
