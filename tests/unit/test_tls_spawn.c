/* SPDX-License-Identifier: ISC */
/*
 * test_tls_spawn.c -- lib/tls_spawn.c, the caller's side of the TLS
 * relay, without OpenSSL: the verdict line, a relay forked or exec'ed
 * (a shell stands in for pop3-tls-relay), a relay killed by SIGSYS (its
 * seccomp filter) said so, the session on fds 0 and 1, the environment
 * for the stages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "tls.h"

/* tls_verdict_read on a pipe that carries text (len bytes) then EOF,
 * or stays open (hold) with nothing more. */
static int verdict_of(const char *text, size_t len, int hold, int timeout,
                      struct tls_session *s)
{
    int p[2];
    memset(s, 0, sizeof *s);
    if (pipe(p) < 0)
        return 99;
    if (len)
        write(p[1], text, len);
    if (!hold)
        close(p[1]);
    int r = tls_verdict_read(p[0], timeout, s);
    close(p[0]);
    if (hold)
        close(p[1]);
    return r;
}

static void test_verdict(void)
{
    struct tls_session s;
    const char *t = "OK TLSv1.3 TLS_AES_256_GCM_SHA384\n";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), 0, "OK verdict");
    ok(strcmp(s.protocol, "TLSv1.3") == 0 &&
       strcmp(s.cipher, "TLS_AES_256_GCM_SHA384") == 0, "protocol and cipher");
    t = "ERR handshake failed: no shared cipher\n";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), TLS_VERDICT_ERR, "ERR verdict");
    is_str(s.error, "handshake failed: no shared cipher", "its reason kept");
    t = "OK TLSv1.3\n";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), TLS_VERDICT_ERR,
           "OK without a cipher: refused");
    is_str(s.error, "relay sent a malformed verdict", "as malformed");
    t = "YES TLSv1.3 X\n";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), TLS_VERDICT_ERR,
           "neither OK nor ERR: refused");
    t = "OK TLSv1.3-and-far-too-long X\n";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), TLS_VERDICT_ERR,
           "a protocol too long for its field: refused");
    t = "OK TLSv1.3 X";
    is_int(verdict_of(t, strlen(t), 0, 5, &s), TLS_VERDICT_NONE,
           "no line end before EOF: no verdict");
    is_str(s.error, "relay gave no verdict", "said so");
    is_int(verdict_of("", 0, 0, 5, &s), TLS_VERDICT_NONE, "EOF at once: none");
    is_int(verdict_of("", 0, 1, 1, &s), TLS_VERDICT_NONE,
           "a silent relay: none after the timeout");
    char big[TLS_ERR_MAX + 100];
    memset(big, 'x', sizeof big);
    is_int(verdict_of(big, sizeof big, 1, 5, &s), TLS_VERDICT_NONE,
           "an endless line: none, without waiting for the timeout");
}

/* Relays run by tls_relay_launch: child functions for each case. */
static void child_ok(void *arg, int net, int plain, int status)
{
    (void)arg;
    (void)net;
    dprintf(status, "OK TLSv1.2 ECDHE-X\n");
    close(status);
    write(plain, "hello", 5);
    _exit(0);
}

static void child_err(void *arg, int net, int plain, int status)
{
    (void)arg;
    (void)net;
    (void)plain;
    dprintf(status, "ERR %s\n", (const char *)arg);
    _exit(0);
}

static void child_silent(void *arg, int net, int plain, int status)
{
    (void)arg;
    (void)net;
    (void)plain;
    (void)status;
    pause();
    _exit(0);
}

static void child_returns(void *arg, int net, int plain, int status)
{
    (void)arg;
    (void)net;
    (void)plain;
    (void)status;
}

/* What a relay killed by its seccomp filter looks like to the caller. */
static void child_sigsys(void *arg, int net, int plain, int status)
{
    (void)arg;
    (void)net;
    (void)plain;
    (void)status;
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);   /* SIGSYS would dump core */
    signal(SIGSYS, SIG_DFL);
    raise(SIGSYS);
    _exit(0);
}

static int no_child_left(void)
{
    errno = 0;
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static void test_launch(void)
{
    struct tls_session s;
    char buf[16] = "";
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    ok(tls_relay_launch(child_ok, NULL, sp[0], 5, &s) == 0 && s.fd >= 0 &&
       s.pid > 0, "a relay that says OK: the session is up");
    ok(strcmp(s.protocol, "TLSv1.2") == 0 && strcmp(s.cipher, "ECDHE-X") == 0,
       "with what it negotiated");
    ok(read(s.fd, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0,
       "its plaintext end reaches the caller");
    close(s.fd);
    waitpid(s.pid, NULL, 0);
    ok(tls_relay_launch(child_err, "bad client", sp[0], 5, &s) < 0 &&
       s.fd == -1 && strcmp(s.error, "bad client") == 0,
       "a relay that says ERR: -1 with its reason");
    ok(no_child_left(), "and the relay reaped");
    ok(tls_relay_launch(child_silent, NULL, sp[0], 1, &s) < 0 &&
       strcmp(s.error, "relay gave no verdict") == 0,
       "a silent relay: -1 after the timeout");
    ok(no_child_left(), "killed and reaped");
    ok(tls_relay_launch(child_sigsys, NULL, sp[0], 5, &s) < 0 &&
       strcmp(s.error, "the TLS relay was killed by SIGSYS: a system call "
              "outside its seccomp allow-list") == 0 && no_child_left(),
       "a relay killed by SIGSYS: -1, and the reason says so");
    pid_t pid = fork();
    if (pid == 0)
        child_sigsys(NULL, -1, -1, -1);
    int st = tls_relay_wait(pid);
    ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && no_child_left(),
       "tls_relay_wait reaps it and gives its status");
    ok(tls_relay_launch(child_returns, NULL, sp[0], 5, &s) < 0 &&
       strcmp(s.error, "relay gave no verdict") == 0 && no_child_left(),
       "a child that returns: fails closed");
    close(sp[0]);
    close(sp[1]);
}

/* tls_relay_exec with a shell for the relay: net on 0, plain on 1, the
 * verdict on 3; the caller's net socket and plaintext end meet through
 * it.  A program that cannot run gives no verdict. */
static void test_exec(void)
{
    struct tls_session s;
    int sp[2];
    char buf[16] = "";
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    char *sh[] = { "/bin/sh", "-c", "echo 'OK TLSv1.3 SH' >&3; exec 3>&-; "
                   "exec head -c 5", NULL };
    ok(tls_relay_exec(sh, sp[0], &s) == 0 && strcmp(s.cipher, "SH") == 0,
       "an exec'ed relay: verdict read from fd 3");
    write(sp[1], "ping!", 5);
    ok(read(s.fd, buf, sizeof buf) == 5 && memcmp(buf, "ping!", 5) == 0,
       "net on its fd 0, plain on its fd 1");
    close(s.fd);
    waitpid(s.pid, NULL, 0);
    char *missing[] = { "/nonexistent/pop3-tls-relay", NULL };
    ok(tls_relay_exec(missing, sp[0], &s) < 0 &&
       strcmp(s.error, "relay gave no verdict") == 0 && no_child_left(),
       "a relay that cannot run: -1, no verdict, reaped");
    close(sp[0]);
    close(sp[1]);
}

/* In a child (it replaces fds 0 and 1): the session on both, inherited
 * across exec, the original closed. */
static void test_stdio(void)
{
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
    pid_t pid = fork();
    if (pid == 0) {
        struct tls_session s = { .fd = sp[0] };
        int orig = sp[0];
        if (tls_session_stdio(&s) < 0 || s.fd != 0)
            _exit(1);
        if (fcntl(0, F_GETFD) != 0 || fcntl(1, F_GETFD) != 0)
            _exit(2);
        if (fcntl(orig, F_GETFD) >= 0 || errno != EBADF)
            _exit(3);
        _exit(write(1, "on1", 3) == 3 ? 0 : 4);
    }
    int status = -1;
    char buf[8] = "";
    close(sp[0]);
    waitpid(pid, &status, 0);
    is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
           "stdio: fds 0 and 1, no close-on-exec, the original closed");
    ok(read(sp[1], buf, sizeof buf) == 3 && memcmp(buf, "on1", 3) == 0,
       "fd 1 is the session");
    close(sp[1]);
}

static void test_setenv(void)
{
    struct tls_session s = { .protocol = "TLSv1.3",
                             .cipher = "TLS_AES_256_GCM_SHA384" };
    ok(tls_session_setenv(&s) == 0 && getenv("SSL_PROTOCOL")
       && strcmp(getenv("SSL_PROTOCOL"), "TLSv1.3") == 0
       && getenv("SSL_CIPHER")
       && strcmp(getenv("SSL_CIPHER"), "TLS_AES_256_GCM_SHA384") == 0,
       "SSL_PROTOCOL and SSL_CIPHER set for the stages");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_verdict();
    test_launch();
    test_exec();
    test_stdio();
    test_setenv();
    return tap_done();
}
