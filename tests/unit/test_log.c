/* SPDX-License-Identifier: ISC */
#include "log.h"
#include "params.h"
#include "tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Run a logging call in a child with stderr on a pipe; return the text.
 * With journal set, JOURNAL_STREAM names that pipe, as systemd sets it. */
static char *capture_as(void (*fn)(void), int *status, int journal)
{
    static char out[4096];
    int p[2];
    if (pipe(p) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        unsetenv(LOG_ENV_DEST);
        unsetenv("JOURNAL_STREAM");
        if (journal) {
            struct stat sb;
            char js[64];
            fstat(2, &sb);
            snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
                     (unsigned long long)sb.st_ino);
            setenv("JOURNAL_STREAM", js, 1);
        }
        log_init("/usr/sbin/popkit-test");
        fn();
        _exit(0);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], out + got, sizeof out - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(p[0]);
    waitpid(pid, status, 0);
    return out;
}

static char *capture(void (*fn)(void), int *status)
{
    return capture_as(fn, status, 0);
}

static void say_info(void) { log_info("login user=%s", "joe"); }
static void say_levels(void)
{
    log_info("i");
    log_warn("w");
    log_error("e");
    log_die(1, "f");
}
static void say_long(void)
{
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_warn("%s", big);
}
static void say_die(void) { log_die(111, "cannot open %s", "Maildir"); }
static void say_keys(void)
{
    setenv("TCPREMOTEIP", "192.0.2.1", 1);
    setenv("TCPLOCALIP", "192.0.2.2", 1);
    setenv(LOG_ENV_SESSION, "AbCd-_12", 1);
    log_info("no keys before log_connection");
    log_connection();
    log_info("connected");
    log_set_user("jo e\n", 5);
    log_set_method("PLAIN");
    log_info("login failed: reason=bad-credentials");
    log_set_method(NULL);
    unsetenv("TCPLOCALIP");
    log_info("without lip");
}
static void say_long_keys(void)
{
    char big[3000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv("TCPREMOTEIP", "192.0.2.1", 1);
    log_connection();
    log_info("%s", big);
}

static void test_decide(void)
{
    int sv[2], sw[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sw);
    pipe(p);
    int same = dup(sv[0]);
    ok(log_decide(0, NULL, NULL, sv[0], p[1]) == LOG_DEST_STDERR,
       "stderr a pipe (multilog): stderr");
    ok(log_decide(0, NULL, NULL, sv[0], same) == LOG_DEST_SYSLOG,
       "fd 2 the same socket as fd 0 (inetd): syslog");
    ok(log_decide(0, NULL, NULL, sv[0], sv[1]) == LOG_DEST_STDERR,
       "fd 2 another socket (the peer's end): stderr");
    ok(log_decide(0, NULL, NULL, sv[0], sw[0]) == LOG_DEST_STDERR,
       "fd 2 an unrelated socket: stderr");
    ok(log_decide(1, NULL, NULL, sv[0], p[1]) == LOG_DEST_SYSLOG,
       "--syslog: syslog whatever fd 2 is");
    ok(log_decide(0, "syslog", NULL, sv[0], p[1]) == LOG_DEST_SYSLOG,
       "POPKIT_LOG=syslog inherited: syslog (the later stages)");
    ok(log_decide(0, "stderr", NULL, sv[0], p[1]) == LOG_DEST_STDERR,
       "POPKIT_LOG other than syslog: ignored");
    int closed = dup(p[1]);
    close(closed);
    ok(log_decide(0, NULL, NULL, sv[0], closed) == LOG_DEST_SYSLOG,
       "fd 2 not open: syslog");

    struct stat sb;
    char js[64];
    fstat(p[1], &sb);
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    ok(log_decide(0, NULL, js, sv[0], p[1]) == LOG_DEST_JOURNAL,
       "JOURNAL_STREAM names fd 2: journal");
    ok(log_decide(0, NULL, js, sv[0], p[0]) == LOG_DEST_JOURNAL,
       "the other end of the same pipe is the same inode (as fstat says)");
    fstat(sv[1], &sb);
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    ok(log_decide(0, NULL, js, sv[0], p[1]) == LOG_DEST_STDERR,
       "JOURNAL_STREAM naming another file (inherited, stale): stderr");
    ok(log_decide(0, NULL, "12", sv[0], p[1]) == LOG_DEST_STDERR &&
       log_decide(0, NULL, "", sv[0], p[1]) == LOG_DEST_STDERR &&
       log_decide(0, NULL, "1:2x", sv[0], p[1]) == LOG_DEST_STDERR,
       "malformed JOURNAL_STREAM: stderr");
    fstat(same, &sb);
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino);
    ok(log_decide(0, NULL, js, sv[0], same) == LOG_DEST_SYSLOG,
       "the client socket wins over JOURNAL_STREAM");
    close(same);
    close(sv[0]); close(sv[1]); close(sw[0]); close(sw[1]);
    close(p[0]); close(p[1]);
}

static void test_session(void)
{
    char a[LOG_SESSION_SIZE], b[LOG_SESSION_SIZE];
    log_session_make(a, sizeof a);
    log_session_make(b, sizeof b);
    ok(strlen(a) == LOG_SESSION_SIZE - 1, "session id: 12 characters");
    ok(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789-_") == strlen(a), "session id: base64url only");
    ok(strcmp(a, b) != 0, "two ids of the same process and second differ");
    unsetenv(LOG_ENV_SESSION);
    ok(log_session_new() == 0 && getenv(LOG_ENV_SESSION) &&
       strlen(getenv(LOG_ENV_SESSION)) == 12,
       "log_session_new exports POPKIT_SESSION");
}

/* ---- syslog: a child whose fd 2 is its fd 0 socket, as under inetd ---- */

static char sock_path[108];
static int listener;

static void listen_here(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sock_path, sizeof sock_path, "/tmp/test_log.%ld.sock",
             (long)getpid());
    unlink(sock_path);
    strcpy(sa.sun_path, sock_path);
    listener = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(listener, (struct sockaddr *)&sa, sizeof sa);
}

/* Up to max datagrams waiting on the listener, joined by '|'. */
static char *datagrams(int max)
{
    static char all[8192];
    char one[2048];
    size_t used = 0;
    all[0] = '\0';
    for (int i = 0; i < max; i++) {
        ssize_t n = recv(listener, one, sizeof one - 1, MSG_DONTWAIT);
        if (n < 0)
            break;
        one[n] = '\0';
        used += (size_t)snprintf(all + used, sizeof all - used, "%s%s",
                                 used ? "|" : "", one);
    }
    return all;
}

static void inetd_child(int client, int how, void (*fn)(void))
{
    dup2(client, 0);
    dup2(client, 1);
    dup2(client, 2);
    unsetenv(LOG_ENV_DEST);
    setenv(LOG_ENV_SOCKET, sock_path, 1);
    log_init("popkit-test");
    if (how == 1)
        log_syslog();
    fn();
    /* Anything else (libc, PAM, OpenSSL) writing to stderr: */
    ssize_t w = write(2, "LEAK\n", 5);
    (void)w;
    const char *d = getenv(LOG_ENV_DEST);
    _exit(d && strcmp(d, "syslog") == 0 ? 0 : 3);
}

/* Run fn in a child as inetd would (how 0) or with --syslog and stderr
 * a pipe (how 1); returns what the client read on the socket. */
static char *run_inetd(int how, void (*fn)(void), int *status)
{
    static char client_saw[512];
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[1]);
        close(p[0]);
        if (how == 1) {
            dup2(sv[0], 0);
            dup2(sv[0], 1);
            dup2(p[1], 2);
            unsetenv(LOG_ENV_DEST);
            setenv(LOG_ENV_SOCKET, sock_path, 1);
            log_init("popkit-test");
            log_syslog();
            fn();
            ssize_t w = write(2, "LEAK\n", 5);
            (void)w;
            _exit(0);
        }
        inetd_child(sv[0], how, fn);
    }
    close(sv[0]);
    close(p[1]);
    waitpid(pid, status, 0);
    ssize_t n = recv(sv[1], client_saw, sizeof client_saw - 1, MSG_DONTWAIT);
    client_saw[n > 0 ? n : 0] = '\0';
    if (how == 1) {
        n = read(p[0], client_saw, sizeof client_saw - 1);
        client_saw[n > 0 ? n : 0] = '\0';
    }
    close(sv[1]);
    close(p[0]);
    return client_saw;
}

/* "<PRI>Mmm dd hh:mm:ss prog[pid]: rest" -> PRI and rest, or -1. */
static int syslog_parse(const char *d, char *prog, size_t progsz,
                        const char **rest)
{
    int pri, off = 0;
    char mon[4];
    unsigned day, h, m, s;
    long pid;
    if (sscanf(d, "<%d>%3s %u %u:%u:%u %n", &pri, mon, &day, &h, &m, &s,
               &off) != 6 || off == 0)
        return -1;
    const char *p = d + off, *br = strchr(p, '[');
    if (!br || (size_t)(br - p) >= progsz)
        return -1;
    memcpy(prog, p, (size_t)(br - p));
    prog[br - p] = '\0';
    if (sscanf(br, "[%ld]: %n", &pid, &off) != 1)
        return -1;
    *rest = br + off;
    return pri;
}

static void say_usage(void) { log_usage("usage: x [-t N]\n  more help\n"); }

static void test_syslog(void)
{
    int st;
    char prog[64];
    const char *rest;
    listen_here();
    char *client = run_inetd(0, say_levels, &st);
    is_str(client, "", "inetd: the client reads no log line, nor stderr");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 1,
       "inetd: POPKIT_LOG=syslog exported for the next stages (log_die 1)");
    char *d = datagrams(10);
    char copy[8192];
    snprintf(copy, sizeof copy, "%s", d);
    char *save, *one = strtok_r(copy, "|", &save);
    static const int want_pri[] = { 22, 20, 19, 19 };
    static const char *const want_text[] = { "info: i", "warning: w",
                                             "error: e", "fatal: f" };
    int n = 0, good = 0;
    for (; one && n < 4; one = strtok_r(NULL, "|", &save), n++)
        good += syslog_parse(one, prog, sizeof prog, &rest) == want_pri[n] &&
                strcmp(prog, "popkit-test") == 0 &&
                strcmp(rest, want_text[n]) == 0;
    ok(n == 4 && good == 4,
       "syslog: <mail.info 22> <warning 20> <err 19> <err 19 fatal>, "
       "RFC 3164 timestamp, prog[pid]");
    if (good != 4)
        printf("# got: %s\n", d);

    client = run_inetd(1, say_info, &st);
    is_str(client, "", "--syslog: stderr (a pipe here) is not written");
    d = datagrams(10);
    ok(syslog_parse(d, prog, sizeof prog, &rest) == 22 &&
       strcmp(rest, "info: login user=joe") == 0, "--syslog: the line is "
       "a datagram");

    client = run_inetd(0, say_usage, &st);
    d = datagrams(10);
    ok(strstr(d, "error: usage: x [-t N]|") && strstr(d, "error:   more help")
       && client[0] == '\0', "usage under syslog: logged line by line, "
       "not sent to the client");
    /* A daemon that stopped reading: its queue full, a line waits
     * LOG_SYSLOG_WAIT_MS and is dropped; the session goes on. */
    int filler = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strcpy(sa.sun_path, sock_path);
    connect(filler, (struct sockaddr *)&sa, sizeof sa);
    while (send(filler, "x", 1, MSG_DONTWAIT) == 1)
        ;
    time_t t0 = time(NULL);
    client = run_inetd(0, say_info, &st);
    time_t waited = time(NULL) - t0;
    ok(WIFEXITED(st) && client[0] == '\0' &&
       waited <= 1 + LOG_SYSLOG_WAIT_MS / 1000 + 1,
       "full syslog queue: the line is dropped after a bounded wait "
       "(%lld s)", (long long)waited);
    close(filler);
    close(listener);
    unlink(sock_path);

    /* No syslog daemon at all: lines are lost, never sent to the client. */
    client = run_inetd(0, say_info, &st);
    is_str(client, "", "no syslog socket: still nothing to the client");
}

int main(void)
{
    int st;
    char *s = capture(say_info, &st);
    is_str(s, "popkit-test: info: login user=joe\n", "prefix is basename, one line");
    s = capture(say_long, &st);
    ok(strlen(s) < 1100 && s[strlen(s) - 1] == '\n', "long message cut, still one line");
    s = capture(say_die, &st);
    is_str(s, "popkit-test: fatal: cannot open Maildir\n", "log_die says fatal");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 111, "log_die exits with its code");
    s = capture(say_levels, &st);
    is_str(s, "popkit-test: info: i\npopkit-test: warning: w\n"
              "popkit-test: error: e\npopkit-test: fatal: f\n",
           "plain stderr: no priority prefix");
    s = capture_as(say_levels, &st, 1);
    is_str(s, "<6>popkit-test: info: i\n<4>popkit-test: warning: w\n"
              "<3>popkit-test: error: e\n<3>popkit-test: fatal: f\n",
           "journald: sd-daemon <N> prefixes");

    s = capture(say_keys, &st);
    is_str(s, "popkit-test: info: no keys before log_connection\n"
              "popkit-test: info: connected rip=192.0.2.1 lip=192.0.2.2 "
              "session=AbCd-_12\n"
              "popkit-test: info: login failed: reason=bad-credentials "
              "user=jo?e? method=PLAIN rip=192.0.2.1 lip=192.0.2.2 "
              "session=AbCd-_12\n"
              "popkit-test: info: without lip user=jo?e? rip=192.0.2.1 "
              "session=AbCd-_12\n",
           "connection keys: user, method, rip, lip, session; safe values");
    s = capture(say_long_keys, &st);
    ok(strlen(s) < LOG_LINE_MAX + 1 &&
       strstr(s, "yyy rip=192.0.2.1\n") != NULL,
       "long message cut, the keys kept");

    test_decide();
    test_session();
    test_syslog();

    char out[16];
    is_str(log_safe(out, sizeof out, "jo\ne\x01 x", 7), "jo?e??x", "control bytes and spaces made printable");
    is_str(log_safe(out, 5, "abcdefgh", 8), "abcd", "truncated to the buffer");
    is_str(log_safe(out, sizeof out, "a\0b", 3), "a?b", "NUL made printable");
    return tap_done();
}
