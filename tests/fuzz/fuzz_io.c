/* SPDX-License-Identifier: ISC */
/*
 * fuzz_io.c -- the line reader (lib/io io_getline, io_getline_more) on a
 * socket (as tcpserver and inetd give the greeter) or a pipe holding the
 * input, its writer closed.  Byte 0 gives the limit max
 * (2..POP3_CMD_MAX+1), byte 1 exact mode (bit 0), whether a too-long
 * line is taken on under a larger limit (bit 1, as AUTH does) and a pipe
 * instead of a socket (bit 2: exact mode cannot peek into a pipe and
 * reads it a byte at a time); the rest is what the client sent.  Checked: every line returned is
 * NUL-terminated, shorter than its limit, holds no LF, and is a run of
 * the input in order; the reader never waits (the input is all there)
 * and ends at EOF.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "io.h"

#define INPUT_MAX 16384    /* well under a pipe's or socket's buffer: one write */
#define MORE_MAX 1024

static struct io_in in;

/* The line at or after *pos in the input, which it must be. */
static void check_in_order(const uint8_t *data, size_t size, size_t *pos,
                           const char *line, size_t len)
{
    while (*pos + len <= size) {
        if (memcmp(data + *pos, line, len) == 0 &&
            (*pos + len == size || data[*pos + len] == '\r' || data[*pos + len] == '\n')) {
            *pos += len;
            return;
        }
        (*pos)++;
    }
    CHECK(!"line not found in the input, in order");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[MORE_MAX + 1];
    if (size < 2 || size - 2 > INPUT_MAX)
        return 0;
    size_t max = 2 + data[0] % (POP3_CMD_MAX);
    int exact = data[1] & 1, more = data[1] & 2, use_pipe = data[1] & 4;
    data += 2;
    size -= 2;
    int p[2];
    CHECK((use_pipe ? pipe(p) : socketpair(AF_UNIX, SOCK_STREAM, 0, p)) == 0);
    CHECK(write(p[1], data, size) == (ssize_t)size);
    close(p[1]);
    io_in_init(&in, p[0], 5, exact);
    size_t pos = 0;
    for (;;) {
        memset(line, 0x55, sizeof line);
        ssize_t r = io_getline(&in, line, max);
        size_t limit = max;
        if (r == IO_TOOLONG && more) {
            r = io_getline_more(&in, line, max, MORE_MAX);
            limit = MORE_MAX;
        }
        if (r == IO_EOF)
            break;
        CHECK(r != IO_TIMEOUT && r != IO_ERROR);
        if (r == IO_TOOLONG)
            continue;
        CHECK(r >= 0 && (size_t)r < limit);
        CHECK(line[r] == '\0');
        CHECK(memchr(line, '\n', (size_t)r) == NULL);
        check_in_order(data, size, &pos, line, (size_t)r);
    }
    CHECK(io_pending(&in) == 0);
    close(p[0]);
    return 0;
}
