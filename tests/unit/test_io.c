#include "io.h"
#include "util.h"
#include "tap.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

int main(void)
{
    test_nodelay();
    test_linger();
    test_lines(0);
    test_lines(1);
    test_exact_pipe();
    test_toolong(0);
    test_toolong(1);
    test_boundary();
    test_nul_and_timeout();
    test_discard();
    test_output();
    test_write_error();
    return tap_done();
}
