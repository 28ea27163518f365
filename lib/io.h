/* SPDX-License-Identifier: ISC */
/*
 * io.h -- buffered network I/O with timeouts and exact line reads.
 *
 * Input: io_getline() returns one line at a time, CRLF or LF terminated,
 * with the terminator removed.  A line longer than the caller's limit is
 * reported as IO_TOOLONG as soon as its first octet past the limit
 * arrives, without waiting for its end, so the client gets its -ERR at
 * once; the rest of that line is then discarded as it arrives, by the
 * next io_getline(), without being stored (memory never grows with
 * input), before that call reads the next line.  Discarding one line is
 * bounded by the timeout as a whole, not per read: a client that sends
 * without end is cut off like an idle one.
 *
 * Deadlines, not per-read timeouts: the timeout bounds the whole line
 * from the moment io_getline() starts waiting for it, and each poll(2)
 * gets only the time left, so a client that trickles one byte at a time
 * cannot stretch a command past it.  io_in_deadline() adds a deadline
 * for a whole phase (the greeter's pre-login phase), after which every
 * read times out whatever the per-line time left.
 *
 * In exact mode the reader never consumes a
 * byte past the end of the line it returns: on a socket it peeks, then
 * reads exactly the line; elsewhere it reads one byte at a time.  The
 * greeter uses exact mode so commands pipelined behind the login reach
 * stage 3 untouched on the same descriptor.
 *
 * Output: io_put()/io_printf() append to a buffer written with as few
 * write(2) calls as possible (io_reserve() lends its free room to a
 * converter writing in place); io_flush() writes it out.  Every wait, for
 * input or for a client that does not read, is bounded by the timeout.
 * After an output error every further call fails fast with IO_ERROR.
 */
#ifndef POPKIT_IO_H
#define POPKIT_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "params.h"

enum {
    IO_OK = 0,
    IO_EOF = -1,      /* the peer closed (a partial last line is dropped) */
    IO_TIMEOUT = -2,  /* the line did not arrive within its deadline */
    IO_ERROR = -3,    /* read/write error; errno says which */
    IO_TOOLONG = -4   /* the line did not fit; it was consumed and dropped */
};

struct io_in {
    int fd;
    int timeout;     /* seconds; 0 waits forever */
    int exact;       /* never read past the end of the returned line */
    int skipping;    /* the rest of a too-long line is still to discard */
    long long skip_deadline; /* monotonic ms when discarding it times out */
    long long line_deadline; /* monotonic ms: the current line's end; 0 none */
    long long phase_deadline; /* monotonic ms: every read's end; 0 none */
    size_t start;    /* first unconsumed byte in buf */
    size_t end;      /* one past the last buffered byte */
    char buf[IO_INBUF_SIZE];
};

struct io_out {
    int fd;
    int timeout;     /* seconds a write may wait; 0 waits forever */
    int failed;      /* sticky: an earlier write failed */
    size_t len;
    char buf[IO_OUTBUF_SIZE];
};

void io_in_init(struct io_in *in, int fd, int timeout, int exact);
/* From now on no read waits past at_ms (monotonic, util.h's now_ms());
 * 0: no phase deadline (the default). */
void io_in_deadline(struct io_in *in, long long at_ms);
/* The phase deadline has passed (what an IO_TIMEOUT was: the phase's end
 * rather than one line's). */
int io_in_expired(const struct io_in *in);
/* Read a line into line[0..max-1], NUL-terminated, terminator removed.
 * A line fits when it is at most max octets counting its CRLF (max-1
 * before a bare LF), so max = POP3_CMD_MAX enforces RFC 2449 exactly.
 * Returns its length (>= 0; it may contain NUL bytes, which the caller
 * must check for) or one of IO_EOF, IO_TIMEOUT, IO_ERROR, IO_TOOLONG.
 * On IO_TOOLONG line[0..max-2] holds the line's first max-1 octets (not
 * NUL-terminated) and the rest is left to discard (see above), unless
 * io_getline_more() takes it. */
ssize_t io_getline(struct io_in *in, char *line, size_t max);
/* Right after io_getline() returned IO_TOOLONG for max_was: go on with
 * the same line under a larger limit max (line has room for it), for
 * the one command that may be longer (AUTH with an initial response,
 * RFC 5034 §4).  Returns as io_getline() does for the whole line. */
ssize_t io_getline_more(struct io_in *in, char *line, size_t max_was,
                        size_t max);
/* A whole line waits in the buffer (past the rest of a too-long line
 * being discarded): reading it will not block. */
int io_line_waiting(const struct io_in *in);
/* Bytes already read from the descriptor but not yet returned. */
size_t io_pending(const struct io_in *in);
/* Drop everything buffered and everything readable without waiting
 * (after STLS: nothing sent in the clear may be executed under TLS). */
void io_discard(struct io_in *in);
/* Overwrite every byte of the input buffer, so what it held (the PASS
 * line, say) does not outlive its use in memory, and drop what was
 * buffered.  The descriptor is not touched. */
void io_in_wipe(struct io_in *in);

void io_out_init(struct io_out *out, int fd, int timeout);
int io_put(struct io_out *out, const void *data, size_t len);
int io_puts(struct io_out *out, const char *s);
int io_printf(struct io_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Write everything buffered.  IO_OK or IO_ERROR/IO_TIMEOUT. */
int io_flush(struct io_out *out);
/* Write len bytes straight to fd (after flushing the buffer), for large
 * bodies that gain nothing from a copy.  IO_OK or an error. */
int io_write_direct(struct io_out *out, const void *data, size_t len);
/* Room for need more bytes at the end of the buffer, for a converter
 * to write its output in place instead of through a copy (msgsend.h):
 * when they do not fit beside what is buffered, the buffer is flushed
 * first.  need is at most IO_OUTBUF_SIZE.  Returns the room, with *room
 * its size (>= need: all the buffer has free), or NULL after an output
 * error, that flush's or an earlier one (like every other output call).
 * Nothing in the room is output until io_commit(). */
char *io_reserve(struct io_out *out, size_t need, size_t *room);
/* The first len bytes (len <= *room) of the room the last io_reserve()
 * gave are output, after everything buffered before it. */
void io_commit(struct io_out *out, size_t len);

/* End a session without a TCP reset eating the last answer: half-close
 * out_fd, then read and drop what the client still sends on in_fd until
 * it closes, at most max_bytes or seconds.  A no-op when out_fd is not a
 * socket.  (Closing with unread input makes the kernel send a reset,
 * which can destroy an answer the client has not read yet.) */
void io_linger(int in_fd, int out_fd, int seconds, size_t max_bytes);

/* Send small answers at once (TCP_NODELAY): every flush popkit makes is a
 * complete batch of answers, so Nagle's algorithm only adds a delayed-ACK
 * wait to the tail of each.  A no-op when fd is not a TCP socket. */
void io_nodelay(int fd);

/* Wait until fd is readable (events POLLIN) or writable (POLLOUT).
 * Returns IO_OK, IO_TIMEOUT or IO_ERROR.  timeout 0 waits forever. */
int io_wait(int fd, short events, int timeout);

#endif
