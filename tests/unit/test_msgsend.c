/* SPDX-License-Identifier: ISC */
#include "msgsend.h"
#include "msgfmt.h"
#include "params.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define STATUS "+OK here\r\n"
#define RETR ((uint64_t)-1)   /* run(): lines for a RETR, not a TOP */

static struct msgsend ms;
static struct io_out out;   /* large: not on the stack */

/* A regular file holding data[0..len), open for reading at its start. */
static int file_with(const void *data, size_t len)
{
    char path[] = "/tmp/test_msgsend.XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    write(fd, data, len);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* What was written to the output file so far (NUL-terminated, *len). */
static char *written(int fd, size_t *len)
{
    off_t n = lseek(fd, 0, SEEK_END);
    char *b = malloc((size_t)n + 1);
    pread(fd, b, (size_t)n, 0);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

struct result {
    int r, err;
    uint64_t sent;
    char *text;    /* the whole output, flushed */
    size_t len;
};

/* Send fd (wire size wire) as RETR, or TOP lines, into a fresh output
 * file; the result and the output. */
static struct result send_fd(int fd, uint64_t wire, uint64_t lines)
{
    struct result res;
    int of = file_with("", 0);
    io_out_init(&out, of, 5);
    res.r = lines == RETR
            ? msgsend_retr(&ms, &out, fd, wire, STATUS, &res.sent)
            : msgsend_top(&ms, &out, fd, wire, lines, STATUS, &res.sent);
    res.err = errno;
    io_flush(&out);
    res.text = written(of, &res.len);
    close(of);
    return res;
}

static struct result send_data(const char *data, size_t len, uint64_t lines)
{
    return send_fd(file_with(data, len), msgfmt_wire_size(data, len), lines);
}

/* The wire form by the rules of msgfmt.h, one byte at a time: an
 * independent statement of what msgsend must produce.  *end gets the
 * octets of the end: a missing last line end, and ".\r\n". */
static size_t reference(const char *in, size_t len, uint64_t lines, char *o,
                        size_t *end)
{
    size_t n = 0, linelen = 0;
    int in_body = 0, top = lines != RETR;
    for (size_t i = 0; i < len; i++) {
        if (linelen == 0 && in[i] == '.')
            o[n++] = '.';
        if (in[i] != '\n') {
            o[n++] = in[i];
            linelen++;
            continue;
        }
        if (linelen == 0 || in[i - 1] != '\r')
            o[n++] = '\r';
        o[n++] = '\n';
        int empty = linelen == 0 || (linelen == 1 && in[i - 1] == '\r');
        linelen = 0;
        if (top && in_body && --lines == 0)
            break;
        if (top && !in_body && empty) {
            in_body = 1;
            if (lines == 0)
                break;
        }
    }
    size_t body = n;
    if (linelen > 0) {
        if (in[len - 1] != '\r')
            o[n++] = '\r';
        o[n++] = '\n';
    }
    memcpy(o + n, ".\r\n", 3);
    n += 3;
    *end = n - body;
    return n;
}

/* The answer data must give, by the reference, and the octets sent:
 * the message's, without the end. */
static int answer_is(const struct result *res, const char *data, size_t len,
                     uint64_t lines)
{
    char *want = malloc(2 * len + 16);
    size_t s = strlen(STATUS);
    memcpy(want, STATUS, s);
    size_t end;
    size_t n = s + reference(data, len, lines, want + s, &end);
    int same = res->r == MSGSEND_OK && res->len == n &&
               memcmp(res->text, want, n) == 0 && res->sent == n - s - end;
    free(want);
    return same;
}

static void test_conversion(void)
{
    const char *m = "To: a\n\r\nb\r\nc\rd\n\nend";
    struct result res = send_data(m, strlen(m), RETR);
    is_int(res.r, MSGSEND_OK, "RETR: MSGSEND_OK");
    is_str(res.text, STATUS "To: a\r\n\r\nb\r\nc\rd\r\n\r\nend\r\n.\r\n",
           "LF becomes CRLF, CRLF and a lone CR stay, the last line is ended");
    ok(answer_is(&res, m, strlen(m), RETR), "... as the reference says");
    is_int(res.sent, res.len - strlen(STATUS) - 5,
           "sent: the message's octets, not the status line or the end "
           "(the last line's CRLF, .CRLF)");
    free(res.text);
    res = send_data("x\r", 2, RETR);
    is_str(res.text, STATUS "x\r\n.\r\n", "a last line ending in CR gets LF");
    free(res.text);
    res = send_data("", 0, RETR);
    is_str(res.text, STATUS ".\r\n", "an empty message: only the terminator");
    free(res.text);
}

static void test_dots(void)
{
    const char *m = ".x\n..y\r\n.\nz.\n.";
    struct result res = send_data(m, strlen(m), RETR);
    is_str(res.text, STATUS "..x\r\n...y\r\n..\r\nz.\r\n..\r\n.\r\n",
           "every line starting with '.' gets one more, the last one too");
    is_int(res.sent, strlen(m) + 3 + 4,
           "sent counts the stuffed dots and the CRs added within");
    free(res.text);
}

static void test_top(void)
{
    const char *m = "A: 1\nB: 2\n\nl1\n.l2\nl3\n";
    struct result res = send_data(m, strlen(m), 0);
    is_str(res.text, STATUS "A: 1\r\nB: 2\r\n\r\n.\r\n",
           "TOP 0: the header and the empty line");
    free(res.text);
    res = send_data(m, strlen(m), 2);
    is_str(res.text, STATUS "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n",
           "TOP 2: two body lines, stuffed");
    free(res.text);
    res = send_data(m, strlen(m), 99);
    is_str(res.text, STATUS "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n",
           "TOP 99 past the body: the whole message");
    free(res.text);
    res = send_data("A: 1\nB: 2", 9, 5);
    is_str(res.text, STATUS "A: 1\r\nB: 2\r\n.\r\n",
           "TOP of a message that is all header, without a last LF");
    free(res.text);
}

/* Bigger than every buffer: the read chunk, the output buffer, and the
 * in-place limit; lines of every kind across the chunk boundaries. */
static char *big_message(size_t len)
{
    char *m = malloc(len);
    const char *lines[] = { "Subject: x\n", "\n", ".dot\n", "crlf\r\n",
                            "..two\r\n", "cr\ralone\n", "\r\n", ".\n",
                            "a longer line of some ordinary text\n" };
    size_t n = 0;
    for (unsigned k = 0; n < len; k = (k * 7 + 3) % 9) {
        size_t l = strlen(lines[k]);
        l = l < len - n ? l : len - n;
        memcpy(m + n, lines[k], l);
        n += l;
    }
    return m;
}

static void test_big(void)
{
    size_t len = 3 * MAILDIR_READ_CHUNK + 12345;
    char *m = big_message(len);
    struct result res = send_data(m, len, RETR);
    ok(answer_is(&res, m, len, RETR),
       "a message of 3 read chunks and more: every byte as the reference");
    free(res.text);
    res = send_data(m, len, 40000);
    ok(answer_is(&res, m, len, 40000), "TOP 40000 of it: as the reference");
    free(res.text);
    for (size_t sz = IO_OUTBUF_SIZE / 2 - 8; sz < IO_OUTBUF_SIZE / 2 + 8; sz += 5) {
        res = send_data(m, sz, RETR);
        ok(answer_is(&res, m, sz, RETR),
           "%zu octets, about where a chunk no longer goes in place", sz);
        free(res.text);
    }
    free(m);
}

/* The wire size the scan saw is not what the file holds now. */
static void test_size_changed(void)
{
    const char *m = "one\ntwo\n";
    struct result res = send_fd(file_with(m, 8), 1000, RETR);
    ok(answer_is(&res, m, 8, RETR), "a file shorter than its wire size: sent as it is");
    free(res.text);
    res = send_fd(file_with(m, 8), 3, RETR);
    ok(answer_is(&res, m, 8, RETR),
       "a regular file longer than its wire size: read on to its end");
    free(res.text);
    size_t len = 2 * MAILDIR_READ_CHUNK + 77;
    char *b = big_message(len);
    res = send_fd(file_with(b, len), 5 * MAILDIR_READ_CHUNK, RETR);
    ok(answer_is(&res, b, len, RETR), "shrunk below what 5 chunks hold: to its end");
    free(res.text);
    res = send_fd(file_with(b, len), MAILDIR_READ_CHUNK, RETR);
    ok(answer_is(&res, b, len, RETR), "grown past its 1 chunk: to its end");
    free(res.text);
    res = send_fd(file_with(b, len), MAILDIR_READ_CHUNK + 9, RETR);
    ok(answer_is(&res, b, len, RETR), "grown within the second chunk: to its end");
    free(res.text);
    free(b);
}

/* A descriptor that is not a regular file and gives more than its wire
 * size would never end: refused. */
static void test_not_regular(void)
{
    int p[2];
    pipe(p);
    write(p[1], "0123456789\n", 11);
    struct result res = send_fd(p[0], 5, RETR);
    is_int(res.r, MSGSEND_UNREADABLE, "a FIFO longer than its wire size: refused");
    is_int(res.err, EINVAL, "... errno EINVAL");
    is_int(res.len, 0, "... before the status line: nothing written");
    ok(fcntl(p[0], F_GETFD) < 0 && errno == EBADF, "... and the descriptor closed");
    free(res.text);
    close(p[1]);

    pipe(p);
    write(p[1], "short\n", 6);
    close(p[1]);
    res = send_fd(p[0], 100, RETR);
    ok(answer_is(&res, "short\n", 6, RETR),
       "a FIFO within its wire size ends at its short read");
    free(res.text);

    res = send_fd(open("/dev/zero", O_RDONLY), 3 * MAILDIR_READ_CHUNK, RETR);
    is_int(res.r, MSGSEND_READ_FAILED,
           "a device that goes on past its wire size: refused after the +OK");
    is_int(res.err, EINVAL, "... errno EINVAL");
    ok(res.len > 3 * MAILDIR_READ_CHUNK && memcmp(res.text, STATUS, strlen(STATUS)) == 0
       && memcmp(res.text + res.len - 3, ".\r\n", 3) != 0,
       "... the wire size sent, then no terminator: the caller ends the session");
    free(res.text);
}

static void test_open_failed(void)
{
    errno = ENOENT;
    struct result res = send_fd(-1, 10, RETR);
    is_int(res.r, MSGSEND_UNREADABLE, "a failed open (fd -1): UNREADABLE");
    is_int(res.err, ENOENT, "... its errno kept");
    is_int(res.len, 0, "... nothing written");
    free(res.text);
}

/* A small answer waits in the output buffer behind the ones before it,
 * to leave with them in one write; the buffers are kept. */
static void test_shared_write(void)
{
    int of = file_with("", 0);
    io_out_init(&out, of, 5);
    io_puts(&out, "+OK 1\r\n");
    char *rbuf = ms.rbuf;
    uint64_t sent;
    int r = msgsend_retr(&ms, &out, file_with("hi\n", 3), 3, STATUS, &sent);
    size_t len;
    char *text = written(of, &len);
    ok(r == MSGSEND_OK && len == 0, "a small answer is not written yet");
    ok(rbuf != NULL && ms.rbuf == rbuf, "the read buffer is kept for the session");
    free(text);
    io_flush(&out);
    text = written(of, &len);
    is_str(text, "+OK 1\r\n" STATUS "hi\r\n.\r\n", "it follows the answer before it");
    free(text);
    close(of);
}

static void test_write_failed(void)
{
    int sv[2];
    signal(SIGPIPE, SIG_IGN);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    io_out_init(&out, sv[0], 1);
    size_t len = 2 * MAILDIR_READ_CHUNK;
    char *m = big_message(len);
    uint64_t sent;
    int r = msgsend_retr(&ms, &out, file_with(m, len), len, STATUS, &sent);
    is_int(r, MSGSEND_WRITE_FAILED, "a client gone during a big RETR: WRITE_FAILED");
    r = msgsend_retr(&ms, &out, file_with("hi\n", 3), 3, STATUS, &sent);
    is_int(r, MSGSEND_WRITE_FAILED,
           "a small RETR after an output error: WRITE_FAILED, not queued for nothing");
    free(m);
    close(sv[0]);
}

int main(void)
{
    ok(ms.rbuf == NULL && ms.wbuf == NULL, "nothing allocated before the first message");
    test_conversion();
    test_dots();
    test_top();
    test_big();
    test_size_changed();
    test_not_regular();
    test_open_failed();
    test_shared_write();
    test_write_failed();
    msgsend_free(&ms);
    ok(ms.rbuf == NULL && ms.wbuf == NULL, "msgsend_free leaves it ready again");
    return tap_done();
}
