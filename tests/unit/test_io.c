/* SPDX-License-Identifier: ISC */
#include "io.h"
#include "util.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void test_lines(int exact)
{
    int sv[2];
    char line[POP3_CMD_MAX];
    struct io_in in;
    const char *what = exact ? "exact" : "buffered";
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    const char *msg = "USER a\r\nPASS b\nSTAT\r\nrest";
    write(sv[1], msg, strlen(msg));
    io_in_init(&in, sv[0], 5, exact);
    ssize_t n = io_getline(&in, line, sizeof line);
    ok(n == 6 && strcmp(line, "USER a") == 0, "%s: CRLF line", what);
    n = io_getline(&in, line, sizeof line);
    ok(n == 6 && strcmp(line, "PASS b") == 0, "%s: bare LF line", what);
    if (exact) {
        /* Nothing past PASS may have been consumed: the next program on
         * this descriptor must see STAT. */
        char rest[64];
        ssize_t r = recv(sv[0], rest, sizeof rest - 1, MSG_DONTWAIT);
        rest[r > 0 ? r : 0] = '\0';
        is_str(rest, "STAT\r\nrest", "exact: bytes after the line stay on the socket");
        is_int(io_pending(&in), 0, "exact: nothing buffered");
    } else {
        n = io_getline(&in, line, sizeof line);
        ok(n == 4 && strcmp(line, "STAT") == 0, "buffered: pipelined line");
        close(sv[1]);
        n = io_getline(&in, line, sizeof line);
        is_int(n, IO_EOF, "buffered: partial last line then EOF is EOF");
    }
    close(sv[0]);
    if (exact)
        close(sv[1]);
}

static void test_exact_pipe(void)
{
    int p[2];
    char line[64], rest[16];
    struct io_in in;
    pipe(p);
    write(p[1], "A\nB\n", 4);
    io_in_init(&in, p[0], 5, 1);
    ssize_t n = io_getline(&in, line, sizeof line);
    ok(n == 1 && line[0] == 'A', "exact on a pipe reads the line");
    n = read(p[0], rest, sizeof rest);
    ok(n == 2 && rest[0] == 'B', "exact on a pipe leaves the rest");
    close(p[0]);
    close(p[1]);
}

static void test_toolong(int exact)
{
    int sv[2];
    char line[POP3_CMD_MAX];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (fork() == 0) {
        close(sv[0]);
        char big[20000];
        memset(big, 'x', sizeof big);
        write(sv[1], big, sizeof big);
        write(sv[1], "\r\nNOOP\r\n", 8);
        _exit(0);
    }
    close(sv[1]);
    io_in_init(&in, sv[0], 5, exact);
    ssize_t n = io_getline(&in, line, sizeof line);
    is_int(n, IO_TOOLONG, exact ? "exact: 20000-byte line is TOOLONG" : "buffered: 20000-byte line is TOOLONG");
    n = io_getline(&in, line, sizeof line);
    ok(n == 4 && strcmp(line, "NOOP") == 0, "the next line is read normally");
    close(sv[0]);
}

static void test_boundary(void)
{
    int sv[2];
    char line[8];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "123456\r\n1234567\r\n1234567\n", 25);
    io_in_init(&in, sv[0], 5, 0);
    is_int(io_getline(&in, line, sizeof line), 6, "line of max octets with CRLF fits");
    is_int(io_getline(&in, line, sizeof line), IO_TOOLONG, "line of max+1 octets with CRLF does not");
    is_int(io_getline(&in, line, sizeof line), 7, "bare LF: max-1 octets before LF fit");
    close(sv[0]);
    close(sv[1]);
}

static void test_nul_and_timeout(void)
{
    int sv[2];
    char line[64];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "US\0ER\r\n", 7);
    io_in_init(&in, sv[0], 1, 0);
    ssize_t n = io_getline(&in, line, sizeof line);
    ok(n == 5 && memchr(line, '\0', (size_t)n) != NULL, "NUL kept in line, length tells");
    n = io_getline(&in, line, sizeof line);
    is_int(n, IO_TIMEOUT, "silent peer times out");
    close(sv[0]);
    close(sv[1]);
}

static void test_discard(void)
{
    int sv[2];
    char line[64];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "STLS\r\nCAPA\r\nUSER x\r\n", 20);
    io_in_init(&in, sv[0], 1, 0);
    io_getline(&in, line, sizeof line);
    io_discard(&in);
    write(sv[1], "NOOP\r\n", 6);
    ssize_t n = io_getline(&in, line, sizeof line);
    ok(n == 4 && strcmp(line, "NOOP") == 0, "io_discard drops what was sent before, keeps later input");
    close(sv[0]);
    close(sv[1]);
}

static void test_output(void)
{
    int sv[2];
    static struct io_out out;
    static char big[200000], back[200100];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        io_out_init(&out, sv[1], 5);
        io_printf(&out, "+OK %d\r\n", 3);
        io_put(&out, big, 100);
        io_write_direct(&out, big + 100, sizeof big - 100);
        io_puts(&out, ".\r\n");
        _exit(io_flush(&out) == IO_OK ? 0 : 1);
    }
    close(sv[1]);
    ssize_t n = read_full(sv[0], back, sizeof back);
    is_int(n, 7 + sizeof big + 3, "every byte arrives, in order");
    ok(memcmp(back, "+OK 3\r\n", 7) == 0 && memcmp(back + 7, big, sizeof big) == 0
       && memcmp(back + 7 + sizeof big, ".\r\n", 3) == 0, "buffered and direct writes keep their order");
    close(sv[0]);
}

static void test_write_error(void)
{
    int sv[2];
    static struct io_out out;
    signal(SIGPIPE, SIG_IGN);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    io_out_init(&out, sv[0], 1);
    io_puts(&out, "+OK\r\n");
    is_int(io_flush(&out), IO_ERROR, "write to a closed peer fails");
    is_int(io_puts(&out, "x"), IO_ERROR, "and every later call fails fast");
    close(sv[0]);
}

static void test_linger(void)
{
    int sv[2];
    char buf[16];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "late\r\n", 6);        /* input the server never read */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[1]);
        io_linger(sv[0], sv[0], 5, 1 << 20);
        _exit(0);
    }
    close(sv[0]);
    ssize_t n = read(sv[1], buf, sizeof buf);
    is_int(n, 0, "io_linger half-closes: the client sees EOF, not a reset");
    close(sv[1]);                          /* the client closes */
    int st;
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st), "io_linger returns once the client closes");
    int p[2];
    pipe(p);
    write(p[1], "kept", 4);
    io_linger(p[0], p[1], 5, 1 << 20);     /* not a socket: nothing to do */
    ok(read(p[0], buf, sizeof buf) == 4, "io_linger leaves a pipe alone (its input unread)");
    close(p[0]);
    close(p[1]);
}

static void test_nodelay(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 1);
    getsockname(l, (struct sockaddr *)&a, &al);
    connect(c, (struct sockaddr *)&a, sizeof a);
    int s = accept(l, NULL, NULL), v = 0;
    socklen_t vl = sizeof v;
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
    is_int(v, 0, "a fresh TCP socket has Nagle on");
    io_nodelay(s);
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
    is_int(v, 1, "io_nodelay switches it off (TCP_NODELAY)");
    close(s);
    close(c);
    close(l);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* A too-long line is reported when its octet past the limit arrives, not
 * when (or if) its LF does; the rest is dropped as it comes and the next
 * line is read as usual. */
static void test_toolong_at_once(int exact)
{
    int sv[2];
    char line[POP3_CMD_MAX], big[1000];
    struct io_in in;
    const char *what = exact ? "exact" : "buffered";
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    memset(big, 'x', sizeof big);
    write(sv[1], big, sizeof big);            /* no LF yet */
    io_in_init(&in, sv[0], 5, exact);
    double t0 = now_s();
    ssize_t n = io_getline(&in, line, sizeof line);
    ok(n == IO_TOOLONG, "%s: 1000 octets without LF: TOOLONG", what);
    ok(now_s() - t0 < 1, "%s: ... at once, without waiting for the LF", what);
    ok(memcmp(line, big, POP3_CMD_MAX - 1) == 0,
       "%s: line holds the first max-1 octets", what);
    write(sv[1], big, sizeof big);
    write(sv[1], "\r\nNOOP\r\nSTAT\r\n", 14);
    n = io_getline(&in, line, sizeof line);
    ok(n == 4 && strcmp(line, "NOOP") == 0,
       "%s: the rest is discarded through its LF, then the next line", what);
    if (exact) {
        char rest[64];
        n = recv(sv[0], rest, sizeof rest - 1, MSG_DONTWAIT);
        rest[n > 0 ? n : 0] = '\0';
        is_str(rest, "STAT\r\n", "exact: nothing past that line was read");
    }
    close(sv[0]);
    close(sv[1]);
}

/* Exactly at the limit: max-1 octets and no LF yet is not too long. */
static void test_toolong_boundary(void)
{
    int sv[2];
    char line[8];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "1234567", 7);
    io_in_init(&in, sv[0], 1, 0);
    if (fork() == 0) {
        usleep(200000);
        write(sv[1], "\n", 1);
        _exit(0);
    }
    is_int(io_getline(&in, line, sizeof line), 7,
           "max-1 octets then (later) LF: fits, waited for the LF");
    wait(NULL);
    close(sv[0]);
    close(sv[1]);
}

/* io_getline_more takes the too-long line on under a larger limit. */
static void test_getline_more(void)
{
    int sv[2];
    static char line[2049], want[600];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    memcpy(want, "AUTH PLAIN ", 11);
    memset(want + 11, 'A', sizeof want - 12);
    want[sizeof want - 1] = '\0';
    write(sv[1], want, strlen(want));
    write(sv[1], "\r\nNOOP\r\n", 8);
    io_in_init(&in, sv[0], 5, 1);
    is_int(io_getline(&in, line, POP3_CMD_MAX), IO_TOOLONG,
           "599-octet AUTH line: TOOLONG at 255");
    ssize_t n = io_getline_more(&in, line, POP3_CMD_MAX, sizeof line);
    ok(n == (ssize_t)strlen(want) && strcmp(line, want) == 0,
       "io_getline_more returns the whole line");
    n = io_getline(&in, line, POP3_CMD_MAX);
    ok(n == 4 && strcmp(line, "NOOP") == 0, "and the next line follows");
    close(sv[0]);
    close(sv[1]);
}

/* io_line_waiting does not count the LF of a line being discarded. */
static void test_line_waiting(void)
{
    int sv[2];
    char line[16];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "0123456789012345678901234\r\n", 27);
    io_in_init(&in, sv[0], 1, 0);
    is_int(io_getline(&in, line, sizeof line), IO_TOOLONG, "TOOLONG");
    ok(!io_line_waiting(&in),
       "io_line_waiting: the rest of a too-long line is not a line");
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "0123456789012345678901234\r\nNOOP\r\n", 33);
    io_in_init(&in, sv[0], 1, 0);
    io_getline(&in, line, sizeof line);
    ok(io_line_waiting(&in), "io_line_waiting: a whole line behind it is");
    close(sv[0]);
    close(sv[1]);
}

/* Discarding is bounded by one timeout in all: a client trickling bytes
 * without LF is cut off, and one that goes silent costs no CPU. */
static void test_toolong_forever(void)
{
    int sv[2];
    char line[POP3_CMD_MAX], big[300];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        memset(big, 'x', sizeof big);
        write(sv[1], big, sizeof big);
        for (;;) {                      /* a byte every 100 ms, no LF */
            usleep(100000);
            if (write(sv[1], "x", 1) < 0)
                _exit(0);
        }
    }
    close(sv[1]);
    io_in_init(&in, sv[0], 1, 0);
    is_int(io_getline(&in, line, sizeof line), IO_TOOLONG, "trickle: TOOLONG");
    double t0 = now_s();
    ssize_t n = io_getline(&in, line, sizeof line);
    double t = now_s() - t0;
    is_int(n, IO_TIMEOUT, "a line that never ends times out while discarded");
    ok(t > 0.8 && t < 3, "after the timeout (1 s) in all, not per read (%.2f s)", t);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[0]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    memset(big, 'x', sizeof big);
    write(sv[1], big, sizeof big);
    io_in_init(&in, sv[0], 1, 0);
    io_getline(&in, line, sizeof line);
    double c0 = cpu_s();
    t0 = now_s();
    n = io_getline(&in, line, sizeof line);
    is_int(n, IO_TIMEOUT, "silent after a too-long start: times out");
    ok(cpu_s() - c0 < 0.2 && now_s() - t0 > 0.8,
       "waiting to discard does not spin (%.3f s CPU)", cpu_s() - c0);
    close(sv[0]);
    close(sv[1]);
}

/* A child that sends text one byte every gap_us, then exits; its pid. */
static pid_t trickle(int fd, const char *text, useconds_t gap_us)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (const char *p = text; *p; p++) {
            usleep(gap_us);
            if (write(fd, p, 1) < 0)
                break;
        }
        pause();
        _exit(0);
    }
    return pid;
}

/* One deadline a line, not a fresh timeout a read: a line trickled a
 * byte every 150 ms (well under the 1 s timeout) times out 1 s after
 * io_getline started waiting for it; a line that arrives in time is
 * read as before, and the next line gets a deadline of its own. */
static void test_line_deadline(int exact)
{
    int sv[2];
    char line[POP3_CMD_MAX];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = trickle(sv[1], "NOOP\r\nNOOP NOOP NOOP NOOP\r\n", 150000);
    io_in_init(&in, sv[0], 1, exact);
    is_int(io_getline(&in, line, sizeof line), 4,
           exact ? "deadline (exact): a line trickled within it is read"
                 : "deadline: a line trickled within it is read");
    double t0 = now_s();
    ssize_t n = io_getline(&in, line, sizeof line);
    double t = now_s() - t0;
    is_int(n, IO_TIMEOUT, "a trickled line that outlasts its deadline times out");
    ok(t > 0.8 && t < 1.6, "at the deadline (1 s), not a timeout per byte "
       "(%.2f s)", t);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[0]);
    close(sv[1]);
}

/* The phase deadline cuts every read short, whatever the line's own
 * time left; io_in_expired says which deadline it was. */
static void test_phase_deadline(void)
{
    int sv[2];
    char line[POP3_CMD_MAX];
    struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = trickle(sv[1], "A\nB\nC\nD\nE\nF\nG\nH\nI\nJ\n", 200000);
    io_in_init(&in, sv[0], 60, 1);
    double t0 = now_s();
    io_in_deadline(&in, now_ms() + 1000);
    ssize_t n;
    int lines = 0;
    while ((n = io_getline(&in, line, sizeof line)) == 1)
        lines++;
    double t = now_s() - t0;
    is_int(n, IO_TIMEOUT, "phase deadline: reads time out once it passes");
    ok(lines >= 2 && lines <= 6, "the lines before it were read (%d)", lines);
    ok(t > 0.8 && t < 1.6, "at the phase deadline (1 s), not the 60 s "
       "timeout (%.2f s)", t);
    ok(io_in_expired(&in), "io_in_expired: the phase deadline passed");
    io_in_init(&in, sv[0], 60, 1);
    ok(!io_in_expired(&in), "io_in_expired: none set");
    io_in_deadline(&in, now_ms() - 1);
    is_int(io_getline(&in, line, sizeof line), IO_TIMEOUT,
           "a phase deadline already passed: no wait at all");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[0]);
    close(sv[1]);
}

/* What a descriptor's file holds, from its start (NUL-terminated). */
static size_t file_text(int fd, char *buf, size_t max)
{
    ssize_t n = pread(fd, buf, max - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* io_reserve/io_commit: room written in place is output in its turn. */
static void test_reserve(void)
{
    static struct io_out out;
    static char back[IO_OUTBUF_SIZE + 64], fill[IO_OUTBUF_SIZE];
    char path[] = "/tmp/test_io.XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    io_out_init(&out, fd, 5);
    io_puts(&out, "ab");
    size_t room = 0;
    char *p = io_reserve(&out, 10, &room);
    ok(p != NULL && room == IO_OUTBUF_SIZE - 2,
       "io_reserve: all the free room, after what is buffered");
    memcpy(p, "cdXX", 4);
    io_commit(&out, 2);
    io_puts(&out, "e");
    is_int(file_text(fd, back, sizeof back), 0, "nothing written before a flush");
    io_flush(&out);
    file_text(fd, back, sizeof back);
    is_str(back, "abcde", "committed bytes in their place, the rest of the room not");

    memset(fill, 'f', sizeof fill);
    io_put(&out, fill, IO_OUTBUF_SIZE - 5);
    p = io_reserve(&out, 10, &room);
    ok(p != NULL && room == IO_OUTBUF_SIZE,
       "io_reserve: need beyond the free room flushes first");
    is_int(file_text(fd, back, sizeof back), 5 + IO_OUTBUF_SIZE - 5,
           "... what was buffered is written then");
    p = io_reserve(&out, IO_OUTBUF_SIZE, &room);
    ok(p != NULL && room == IO_OUTBUF_SIZE, "need of the whole buffer fits an empty one");
    close(fd);

    int sv[2];
    signal(SIGPIPE, SIG_IGN);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    io_out_init(&out, sv[0], 1);
    io_put(&out, fill, IO_OUTBUF_SIZE - 5);
    ok(io_reserve(&out, 10, &room) == NULL, "io_reserve: NULL when the flush fails");
    ok(io_reserve(&out, 10, &room) == NULL,
       "io_reserve: NULL after an earlier error, though the room is there");
    close(sv[0]);
}

/* io_in_wipe leaves no byte of what the buffer held. */
static void test_in_wipe(void)
{
    int sv[2];
    char line[64];
    static struct io_in in;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[1], "PASS secret\r\nNOOP\r\n", 19);
    io_in_init(&in, sv[0], 1, 0);
    io_getline(&in, line, sizeof line);
    ok(io_pending(&in) == 6 && memcmp(in.buf, "PASS secret", 11) == 0,
       "the buffer holds the PASS line and the next");
    io_in_wipe(&in);
    size_t nonzero = 0;
    for (size_t i = 0; i < sizeof in.buf; i++)
        nonzero += in.buf[i] != 0;
    is_int(nonzero, 0, "io_in_wipe: every byte of the buffer overwritten");
    is_int(io_pending(&in), 0, "... and nothing buffered any more");
    write(sv[1], "STAT\r\n", 6);
    ok(io_getline(&in, line, sizeof line) == 4 && strcmp(line, "STAT") == 0,
       "... later input is read as usual");
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    test_reserve();
    test_in_wipe();
    test_nodelay();
    test_linger();
    test_lines(0);
    test_lines(1);
    test_exact_pipe();
    test_toolong(0);
    test_toolong(1);
    test_boundary();
    test_toolong_at_once(0);
    test_toolong_at_once(1);
    test_toolong_boundary();
    test_getline_more();
    test_line_waiting();
    test_toolong_forever();
    test_line_deadline(0);
    test_line_deadline(1);
    test_phase_deadline();
    test_nul_and_timeout();
    test_discard();
    test_output();
    test_write_error();
    return tap_done();
}
