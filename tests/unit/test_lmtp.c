/* SPDX-License-Identifier: ISC */
/*
 * test_lmtp.c -- popkit-lmtpd's parser (deliver/lmtp_cmds.c) against a
 * fake root part: the test is both the client (a stream socket on the
 * parser's fds 0/1) and the root part (the SOCK_SEQPACKET socket at
 * reqfd), so every request the parser makes, and every reply it builds
 * from an answer, is checked without a Maildir or privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "fdpass.h"
#include "lmtp.h"
#include "tap.h"

struct peer {
    pid_t pid;
    int client;      /* our end of the parser's fds 0/1 */
    int root;        /* our end of its request socket */
    char buf[65536]; /* what the client has read and not yet taken */
    size_t len;
};

static struct lmtp_conf conf = {
    .hostname = "lmtp.test",
    .size_max = 1000,
    .rcpt_max = 3,
    .timeout = 5,
};

static void start(struct peer *p)
{
    int c[2], r[2];
    memset(p, 0, sizeof *p);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, c) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET, 0, r) < 0)
        exit(99);
    p->pid = fork();
    if (p->pid == 0) {
        close(c[0]);
        close(r[0]);
        dup2(c[1], 0);
        dup2(c[1], 1);
        close(c[1]);
        lmtp_parse(&conf, r[1]);
    }
    close(c[1]);
    close(r[1]);
    p->client = c[0];
    p->root = r[0];
}

/* The parser's exit status, after our ends are closed. */
static int finish(struct peer *p)
{
    int st;
    close(p->client);
    close(p->root);
    waitpid(p->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void say(struct peer *p, const char *s)
{
    if (write(p->client, s, strlen(s)) != (ssize_t)strlen(s))
        exit(99);
}

/* The next reply (all its lines, the last one "XYZ text"), or "" when
 * the parser closed or nothing came within 5 s. */
static const char *reply(struct peer *p)
{
    static char out[8192];
    size_t from = 0;
    for (;;) {
        char *nl;
        while ((nl = memchr(p->buf + from, '\n', p->len - from)) != NULL) {
            size_t end = (size_t)(nl - p->buf) + 1;
            int last = end - from >= 4 && p->buf[from + 3] == ' ';
            from = end;
            if (last) {
                size_t n = end < sizeof out ? end : sizeof out - 1;
                memcpy(out, p->buf, n);
                out[n] = '\0';
                memmove(p->buf, p->buf + end, p->len - end);
                p->len -= end;
                return out;
            }
        }
        struct pollfd pf = { p->client, POLLIN, 0 };
        if (poll(&pf, 1, 5000) <= 0)
            return "";
        ssize_t n = read(p->client, p->buf + p->len, sizeof p->buf - p->len);
        if (n <= 0)
            return "";
        p->len += (size_t)n;
    }
}

/* One request from the parser, with its descriptor (or -1), within
 * wait_ms.  Returns its length, 0 if none came. */
static ssize_t request_within(struct peer *p, char *buf, size_t size,
                              int *fd, int wait_ms)
{
    *fd = -1;
    struct pollfd pf = { p->root, POLLIN, 0 };
    if (poll(&pf, 1, wait_ms) <= 0)
        return 0;
    ssize_t n = fdpass_recv(p->root, buf, size, fd);
    return n < 0 ? 0 : n;
}

static ssize_t request(struct peer *p, char *buf, size_t size, int *fd)
{
    return request_within(p, buf, size, fd, 5000);
}

/* No request comes: the parser has answered already, so 300 ms is
 * plenty for one it would have sent first. */
static int no_request(struct peer *p)
{
    char buf[64];
    int fd;
    return request_within(p, buf, sizeof buf, &fd, 300) == 0;
}

static void answer(struct peer *p, int status)
{
    struct lmtp_answer a = { (uint8_t)status };
    if (send(p->root, &a, sizeof a, 0) != sizeof a)
        exit(99);
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* LHLO, MAIL and one accepted RCPT for a@x.test; the root part is
 * asked about it unless the session accepted it lately (again). */
static void open_transaction(struct peer *p, int again)
{
    char req[512];
    int fd;
    /* Pipelined: the replies wait in the parser's buffer while it asks
     * the root part, and go out together. */
    say(p, "LHLO c\r\nMAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\n");
    if (!again) {
        request(p, req, sizeof req, &fd);
        answer(p, DELIVER_OK);
    }
    reply(p);
    reply(p);
    reply(p);
}

static void test_lhlo(void)
{
    struct peer p;
    start(&p);
    say(&p, "MAIL FROM:<a@b.test>\r\n");
    ok(starts(reply(&p), "503 5.5.1"), "MAIL before LHLO: 503 5.5.1");
    say(&p, "LHLO client.test\r\n");
    const char *r = reply(&p);
    ok(starts(r, "250-lmtp.test\r\n"), "LHLO: 250- with the host name");
    ok(strstr(r, "250-PIPELINING\r\n") && strstr(r, "250-ENHANCEDSTATUSCODES\r\n") &&
       strstr(r, "250-8BITMIME\r\n"), "PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME");
    ok(strstr(r, "250 SIZE 1000\r\n") != NULL, "SIZE with the limit, last");
    say(&p, "LHLO\r\n");
    ok(starts(reply(&p), "501 5.5.4"), "LHLO without a domain: 501");
    say(&p, "EHLO x\r\n");
    ok(starts(reply(&p), "500 5.5.1"), "EHLO is not LMTP: 500 5.5.1");
    say(&p, "QUIT\r\n");
    ok(starts(reply(&p), "221 2.0.0"), "QUIT: 221");
    is_int(finish(&p), 0, "the parser exits 0 after QUIT");
}

static void test_rcpt(void)
{
    struct peer p;
    char req[1024];
    int fd;
    start(&p);
    say(&p, "LHLO c\r\nRCPT TO:<a@x.test>\r\n");
    reply(&p);
    ok(starts(reply(&p), "503 5.5.1"), "RCPT before MAIL: 503");
    say(&p, "MAIL FROM:<s@y.test> BODY=8BITMIME SIZE=1000\r\n");
    ok(starts(reply(&p), "250 2.1.0"), "MAIL with BODY= and SIZE= at the limit: 250");
    say(&p, "RCPT TO:<a@x.test>\r\n");
    ssize_t n = request(&p, req, sizeof req, &fd);
    ok(n == 10 && memcmp(req, "Ra@x.test", 10) == 0 && fd < 0,
       "RCPT asks the root part: 'R', the address, a NUL, no descriptor");
    answer(&p, DELIVER_UNKNOWN);
    const char *r = reply(&p);
    ok(starts(r, "550 5.1.1") && strstr(r, "a@x.test"), "UNKNOWN: 550 5.1.1 naming it");
    say(&p, "RCPT TO:<@r1.test,@r2.test:b@x.test>\r\n");
    n = request(&p, req, sizeof req, &fd);
    ok(n == 10 && strcmp(req + 1, "b@x.test") == 0, "a source route is dropped");
    answer(&p, DELIVER_OK);
    ok(starts(reply(&p), "250 2.1.5"), "OK: 250 2.1.5");
    say(&p, "RCPT TO:<\"q> r\"@x.test>\r\n");
    n = request(&p, req, sizeof req, &fd);
    ok(n > 0 && strcmp(req + 1, "\"q> r\"@x.test") == 0,
       "a quoted local part keeps its '>' and space");
    answer(&p, 200);
    ok(starts(reply(&p), "451 4.3.0"), "a status the table lacks: 451 4.3.0");
    say(&p, "RCPT TO:<>\r\nRCPT TO:a@x.test\r\nRCPT TO:<a@x.test> NOTIFY=NEVER\r\n");
    ok(starts(reply(&p), "501 5.1.3"), "RCPT TO:<>: 501 5.1.3");
    ok(starts(reply(&p), "501 5.1.3"), "an address without <>: 501 5.1.3");
    ok(starts(reply(&p), "555 5.5.4"), "an RCPT parameter: 555 5.5.4");
    say(&p, "MAIL FROM:<s@y.test>\r\n");
    ok(starts(reply(&p), "503 5.5.1"), "a second MAIL: 503");
    say(&p, "RSET\r\nMAIL FROM:<s@y.test> FOO=1\r\nMAIL FROM:<s@y.test> SIZE=1001\r\n");
    ok(starts(reply(&p), "250 2.0.0"), "RSET: 250");
    ok(starts(reply(&p), "555 5.5.4"), "an unknown MAIL parameter: 555 5.5.4");
    ok(starts(reply(&p), "552 5.3.4"), "SIZE= over the limit: 552 5.3.4");
    say(&p, "MAIL FROM:<s@y.test>\r\nDATA\r\n");
    reply(&p);
    ok(starts(reply(&p), "503 5.5.1"), "DATA without a recipient: 503");
    say(&p, "RCPT TO:<a@x.test>\r\n");
    n = request(&p, req, sizeof req, &fd);
    ok(n == 10 && memcmp(req, "Ra@x.test", 10) == 0,
       "a recipient refused before is asked about again");
    answer(&p, DELIVER_OK);
    ok(starts(reply(&p), "250 2.1.5"), "and accepted now: 250");
    int quiet = 1, taken = 1;
    for (int i = 0; i < 2; i++) {
        say(&p, "RCPT TO:<a@x.test>\r\n");
        taken &= starts(reply(&p), "250 2.1.5");
        quiet &= no_request(&p);
    }
    ok(taken && quiet, "one accepted lately is accepted again without asking "
       "the root part (it checks again at DATA)");
    say(&p, "RCPT TO:<a@x.test>\r\n");
    ok(starts(reply(&p), "452 4.5.3"), "past rcpt_max: 452 4.5.3");
    ok(no_request(&p), "and the root part is not asked");
    say(&p, "QUIT\r\n");
    reply(&p);
    finish(&p);
}

static void test_data(void)
{
    struct peer p;
    char req[1024], msg[1024];
    int fd;
    start(&p);
    open_transaction(&p, 0);
    say(&p, "RCPT TO:<b@x.test>\r\n");
    request(&p, req, sizeof req, &fd);
    answer(&p, DELIVER_OK);
    reply(&p);
    say(&p, "DATA\r\n");
    ok(starts(reply(&p), "354 "), "DATA: 354");
    say(&p, "Subject: t\r\n\r\n..stuffed\r\nbare\n.x\r\n.\r\n");
    ssize_t n = request(&p, req, sizeof req, &fd);
    static const char want[] = "Ds@y.test\0a@x.test\0b@x.test";
    ok(n == sizeof want && memcmp(req, want, sizeof want) == 0,
       "'D', the sender and each recipient, NUL-ended");
    ok(fd >= 0, "with the spool's descriptor");
    n = fd >= 0 ? pread(fd, msg, sizeof msg - 1, 0) : -1;
    msg[n > 0 ? n : 0] = '\0';
    is_str(msg, "Subject: t\n\n.stuffed\nbare\nx\n",
           "the spool: unstuffed, LF line ends, a bare LF taken");
    if (fd >= 0)
        close(fd);
    answer(&p, DELIVER_OK);
    answer(&p, DELIVER_OVERQUOTA);
    const char *r = reply(&p);
    ok(starts(r, "250 2.0.0") && strstr(r, "a@x.test"), "first recipient: 250, named");
    r = reply(&p);
    ok(starts(r, "552 5.2.2") && strstr(r, "b@x.test"), "second: its own 552 5.2.2, named");
    say(&p, "DATA\r\n");
    ok(starts(reply(&p), "503 5.5.1"), "the transaction is over after DATA");
    say(&p, "QUIT\r\n");
    reply(&p);
    is_int(finish(&p), 0, "exit 0");
}

static void test_data_refused(void)
{
    struct peer p;
    start(&p);
    open_transaction(&p, 0);
    say(&p, "DATA\r\n");
    reply(&p);
    if (write(p.client, "a\0b\r\n.\r\n", 8) != 8)
        exit(99);
    ok(starts(reply(&p), "554 5.6.0"), "a NUL in the message: 554 5.6.0");
    ok(no_request(&p), "no delivery asked for");
    open_transaction(&p, 1);
    say(&p, "DATA\r\n");
    reply(&p);
    for (int i = 0; i < 12; i++)
        say(&p, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\r\n");
    say(&p, ".\r\n");
    ok(starts(reply(&p), "552 5.3.4"), "a message over size_max: 552 5.3.4");
    ok(no_request(&p), "no delivery asked for");
    open_transaction(&p, 1);
    say(&p, "DATA\r\n");
    reply(&p);
    static char longline[LMTP_DATA_LINE_MAX + 16];
    memset(longline, 'z', sizeof longline - 3);
    memcpy(longline + sizeof longline - 3, "\r\n", 3);
    say(&p, longline);
    say(&p, ".\r\nNOOP\r\n");
    ok(starts(reply(&p), "554 5.6.0"), "a DATA line over the limit: 554 5.6.0");
    ok(starts(reply(&p), "250 2.0.0"), "and the next command is read as one");
    say(&p, "QUIT\r\n");
    reply(&p);
    finish(&p);
}

static void test_failures(void)
{
    struct peer p;
    start(&p);
    say(&p, "LHLO c\r\nMAIL FROM:<s@y.test>\r\n");
    reply(&p);
    reply(&p);
    close(p.root);
    p.root = -1;
    say(&p, "RCPT TO:<a@x.test>\r\n");
    ok(starts(reply(&p), "421 4.3.0"), "the root part gone: 421 4.3.0");
    is_int(finish(&p), 111, "and the parser exits 111");

    start(&p);
    for (int i = 0; i < LMTP_MAX_ERRORS; i++)
        say(&p, "BOGUS\r\n");
    int refused = 0;
    for (int i = 0; i < LMTP_MAX_ERRORS; i++)
        refused += starts(reply(&p), "500 5.5.1");
    is_int(refused, LMTP_MAX_ERRORS, "each unknown command: 500 5.5.1");
    ok(starts(reply(&p), "421 4.7.0"), "then, unasked, 421 4.7.0: too many errors");
    ok(!*reply(&p), "and the connection closes");
    finish(&p);

    start(&p);
    say(&p, "NO\001OP\r\n");
    ok(starts(reply(&p), "500 5.5.2"), "a control character: 500 5.5.2");
    static char big[LMTP_CMD_MAX + 10];
    memset(big, 'x', sizeof big - 3);
    memcpy(big, "NOOP ", 5);
    memcpy(big + sizeof big - 3, "\r\n", 3);
    say(&p, big);
    ok(starts(reply(&p), "500 5.5.2"), "a command line over 512 octets: 500 5.5.2");
    say(&p, "NOOP\r\n");
    ok(starts(reply(&p), "250 "), "the session goes on");
    finish(&p);

    conf.timeout = 1;
    start(&p);
    ok(starts(reply(&p), "421 4.4.2"), "a silent client: 421 4.4.2 after --timeout");
    is_int(finish(&p), 0, "exit 0");
    conf.timeout = 5;
}

/* lmtp_session() in this process, the client's stream given whole; the
 * parser's end of the request socket does not block, so a missing answer
 * is a root part gone.  Returns its exit code; out gets the replies. */
static int session_here(const char *stream, int answers, char *out, size_t outsz)
{
    int c[2], r[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, c) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET, 0, r) < 0 ||
        fcntl(r[1], F_SETFL, O_NONBLOCK) < 0 ||
        write(c[0], stream, strlen(stream)) != (ssize_t)strlen(stream))
        exit(99);
    shutdown(c[0], SHUT_WR);
    struct lmtp_answer a = { DELIVER_OK };
    for (int i = 0; i < answers; i++)
        if (send(r[0], &a, sizeof a, 0) != sizeof a)
            exit(99);
    int rc = lmtp_session(&conf, c[1], c[1], r[1]);
    close(c[1]);
    close(r[1]);
    close(r[0]);
    ssize_t n, len = 0;
    while ((n = read(c[0], out + len, outsz - 1 - (size_t)len)) > 0)
        len += n;
    out[len] = '\0';
    close(c[0]);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* How many descriptors this process has open. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static void test_session_returns(void)
{
    static char out[4096];
    int before = open_fds();
    int rc = session_here("LHLO c\r\nMAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\n"
                          "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", 1, out, sizeof out);
    is_int(rc, 111, "lmtp_session returns 111 when the root part fails DATA");
    const char *s354 = strstr(out, "\r\n354 ");
    ok(s354 && strstr(s354, "\r\n421 4.3.0") && ends_with(out, "closing connection\r\n"),
       "after 354, its last reply: 421 4.3.0");
    is_int(open_fds(), before, "and it leaves no descriptor open (the spool closed)");
    rc = session_here("LHLO c\r\nMAIL FROM:<s@y.test>\r\nRCPT TO:<a@x.test>\r\n"
                      "DATA\r\nSubject: cut sh", 1, out, sizeof out);
    is_int(rc, 0, "a client gone mid-DATA: lmtp_session returns 0");
    is_int(open_fds(), before, "and its spool is closed");
    rc = session_here("LHLO c\r\nQUIT\r\n", 0, out, sizeof out);
    is_int(rc, 0, "a second session in the same process returns 0");
    ok(starts(out, "250-") && strstr(out, "\r\n221 2.0.0"), "and answers LHLO and QUIT as a new one");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_lhlo();
    test_rcpt();
    test_data();
    test_data_refused();
    test_failures();
    test_session_returns();
    return tap_done();
}
