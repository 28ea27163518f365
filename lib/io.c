/* SPDX-License-Identifier: ISC */
#include "io.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* poll(2) for events on fd, ms milliseconds (< 0: forever). */
static int io_poll_ms(int fd, short events, int ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r > 0)
            return IO_OK;   /* readable, writable, or hung up: the I/O says */
        if (r == 0)
            return IO_TIMEOUT;
        if (errno != EINTR)
            return IO_ERROR;
    }
}

/* A timeout in seconds (0: none) as poll's milliseconds. */
static int io_ms(int timeout)
{
    return timeout > 0 ? timeout * 1000 : -1;
}

int io_wait(int fd, short events, int timeout)
{
    return io_poll_ms(fd, events, io_ms(timeout));
}

void io_in_init(struct io_in *in, int fd, int timeout, int exact)
{
    in->fd = fd;
    in->timeout = timeout;
    in->exact = exact;
    in->skipping = 0;
    in->skip_deadline = 0;
    in->line_deadline = 0;
    in->phase_deadline = 0;
    in->start = in->end = 0;
}

void io_in_deadline(struct io_in *in, long long at_ms)
{
    in->phase_deadline = at_ms;
}

int io_in_expired(const struct io_in *in)
{
    return in->phase_deadline > 0 && now_ms() >= in->phase_deadline;
}

/* The earlier of two deadlines, 0 standing for none. */
static long long io_earlier(long long a, long long b)
{
    if (a == 0)
        return b;
    return b == 0 || a < b ? a : b;
}

/* Milliseconds poll may wait until deadline (0: forever, -1 for poll);
 * 0 once it has passed, which times out without waiting. */
static int io_left_ms(long long deadline)
{
    if (deadline == 0)
        return -1;
    long long left = deadline - now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* The deadline of a line io_getline() starts waiting for now. */
static long long io_line_deadline(const struct io_in *in)
{
    long long own = in->timeout > 0 ? now_ms() + in->timeout * 1000LL : 0;
    return io_earlier(own, in->phase_deadline);
}

size_t io_pending(const struct io_in *in)
{
    return in->end - in->start;
}

/* How many bytes may be read without passing the end of a line: in exact
 * mode, up to and including the first LF waiting on the socket; one byte
 * where peeking is impossible.  Returns 0 at EOF, <0 on error. */
static ssize_t io_exact_span(int fd, size_t room)
{
    char peek[IO_INBUF_SIZE];
    if (room > sizeof peek)
        room = sizeof peek;
    ssize_t n = recv(fd, peek, room, MSG_PEEK);
    if (n < 0 && errno == ENOTSOCK)
        return 1;
    if (n <= 0)
        return n;
    char *lf = memchr(peek, '\n', (size_t)n);
    return lf ? lf - peek + 1 : n;
}

/* Read more bytes into the buffer (compacting it first), waiting until
 * deadline (monotonic ms, 0: forever): each poll gets only the time
 * left.  Returns the count, 0 at EOF, or an IO_ error. */
static ssize_t io_fill(struct io_in *in, long long deadline)
{
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->start = 0;
    }
    size_t room = sizeof in->buf - in->end;
    for (;;) {
        int ms = io_left_ms(deadline);
        if (ms == 0)
            return IO_TIMEOUT;
        int w = io_poll_ms(in->fd, POLLIN, ms);
        if (w != IO_OK)
            return w;
        ssize_t want = (ssize_t)room;
        if (in->exact) {
            want = io_exact_span(in->fd, room);
            if (want < 0 && errno == EINTR)
                continue;
            if (want < 0)
                return IO_ERROR;
            if (want == 0)
                return 0;
        }
        ssize_t n = read(in->fd, in->buf + in->end, (size_t)want);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return IO_ERROR;
        in->end += (size_t)n;
        return n;
    }
}

/* Discard the rest of a too-long line, through its LF.  The whole
 * discard is bounded by one timeout from when the line was found too
 * long, so a client that never sends the LF is cut off like an idle
 * one instead of holding the session by sending.  IO_OK or an error. */
static int io_skip(struct io_in *in)
{
    while (in->skipping) {
        char *base = in->buf + in->start;
        char *lf = memchr(base, '\n', in->end - in->start);
        if (lf) {
            in->start += (size_t)(lf - base) + 1;
            in->skipping = 0;
            break;
        }
        in->start = in->end = 0;
        ssize_t n = io_fill(in, in->skip_deadline);
        if (n == 0)
            return IO_EOF;
        if (n < 0)
            return (int)n;
    }
    return IO_OK;
}

/* Read the line on into line[len..], len octets of it already there. */
static ssize_t io_getline_at(struct io_in *in, char *line, size_t len,
                             size_t max)
{
    for (;;) {
        char *base = in->buf + in->start;
        size_t avail = in->end - in->start;
        char *lf = memchr(base, '\n', avail);
        size_t take = lf ? (size_t)(lf - base) : avail;
        if (len + take >= max) {
            /* Too long now, whatever follows: keep the first max-1
             * octets (io_getline_more may go on from there), leave the
             * rest for io_skip, and let the caller answer at once. */
            size_t keep = max - 1 - len;
            memcpy(line + len, base, keep);
            in->start += keep;
            in->skipping = 1;
            in->skip_deadline = io_line_deadline(in);
            return IO_TOOLONG;
        }
        memcpy(line + len, base, take);
        len += take;
        in->start += lf ? take + 1 : take;
        if (lf)
            break;
        ssize_t n = io_fill(in, in->line_deadline);
        if (n == 0)
            return IO_EOF;
        if (n < 0)
            return n;
    }
    if (len > 0 && line[len - 1] == '\r')
        len--;
    line[len] = '\0';
    return (ssize_t)len;
}

ssize_t io_getline(struct io_in *in, char *line, size_t max)
{
    int r = io_skip(in);
    if (r != IO_OK)
        return r;
    in->line_deadline = io_line_deadline(in);
    return io_getline_at(in, line, 0, max);
}

ssize_t io_getline_more(struct io_in *in, char *line, size_t max_was,
                        size_t max)
{
    in->skipping = 0;
    return io_getline_at(in, line, max_was - 1, max);
}

int io_line_waiting(const struct io_in *in)
{
    const char *p = in->buf + in->start;
    size_t n = in->end - in->start;
    const char *lf = memchr(p, '\n', n);
    if (lf && in->skipping) {   /* that LF ends the line being discarded */
        n -= (size_t)(lf + 1 - p);
        lf = memchr(lf + 1, '\n', n);
    }
    return lf != NULL;
}

void io_discard(struct io_in *in)
{
    char junk[IO_INBUF_SIZE];
    in->start = in->end = 0;
    in->skipping = 0;
    for (;;) {
        struct pollfd p = { .fd = in->fd, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
            break;
        if (read(in->fd, junk, sizeof junk) <= 0)
            break;
    }
}

void io_in_wipe(struct io_in *in)
{
    wipe(in->buf, sizeof in->buf);
    in->start = in->end = 0;
    in->skipping = 0;
}

void io_out_init(struct io_out *out, int fd, int timeout)
{
    out->fd = fd;
    out->timeout = timeout;
    out->failed = 0;
    out->len = 0;
}

/* Write everything in data, waiting (bounded) on a slow reader. */
static int io_write_raw(struct io_out *out, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(out->fd, data, len);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            int w = io_wait(out->fd, POLLOUT, out->timeout);
            if (w != IO_OK) {
                out->failed = 1;
                return w;
            }
            continue;
        }
        out->failed = 1;
        return IO_ERROR;
    }
    return IO_OK;
}

int io_flush(struct io_out *out)
{
    if (out->failed)
        return IO_ERROR;
    int r = io_write_raw(out, out->buf, out->len);
    out->len = 0;
    return r;
}

int io_put(struct io_out *out, const void *data, size_t len)
{
    if (out->failed)
        return IO_ERROR;
    if (out->len + len > sizeof out->buf) {
        int r = io_flush(out);
        if (r != IO_OK)
            return r;
        if (len > sizeof out->buf)
            return io_write_raw(out, data, len);
    }
    memcpy(out->buf + out->len, data, len);
    out->len += len;
    return IO_OK;
}

int io_puts(struct io_out *out, const char *s)
{
    return io_put(out, s, strlen(s));
}

int io_printf(struct io_out *out, const char *fmt, ...)
{
    char tmp[POP3_RESP_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return IO_ERROR;
    if ((size_t)n >= sizeof tmp)
        n = (int)sizeof tmp - 1;   /* responses are short by contract */
    return io_put(out, tmp, (size_t)n);
}

int io_write_direct(struct io_out *out, const void *data, size_t len)
{
    int r = io_flush(out);
    if (r != IO_OK)
        return r;
    return io_write_raw(out, data, len);
}

char *io_reserve(struct io_out *out, size_t need, size_t *room)
{
    if (out->failed)
        return NULL;
    if (need > sizeof out->buf - out->len && io_flush(out) != IO_OK)
        return NULL;
    *room = sizeof out->buf - out->len;
    return out->buf + out->len;
}

void io_commit(struct io_out *out, size_t len)
{
    out->len += len;
}

void io_linger(int in_fd, int out_fd, int seconds, size_t max_bytes)
{
    char junk[4096];
    size_t total = 0;
    time_t end = time(NULL) + seconds;
    if (shutdown(out_fd, SHUT_WR) < 0)
        return;   /* not a socket: nothing to protect */
    while (total < max_bytes) {
        time_t now = time(NULL);
        struct pollfd p = { .fd = in_fd, .events = POLLIN };
        if (now >= end || poll(&p, 1, (int)(end - now) * 1000) <= 0)
            break;
        ssize_t n = read(in_fd, junk, sizeof junk);
        if (n <= 0)
            break;
        total += (size_t)n;
    }
}

void io_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
