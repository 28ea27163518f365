/* SPDX-License-Identifier: ISC */
/*
 * msgsend.h -- a message file sent as a POP3 multi-line answer (RETR,
 * TOP, RFC 1939 §7): where a message leaves for the socket.
 *
 * The answer is the caller's status line ("+OK ..."), the message in
 * wire form (msgfmt.h: CRLF line ends, dot-stuffing, TOP's line count)
 * and ".\r\n".  The status line is written only once the first read of
 * the file has succeeded, so a message that cannot be read is still
 * answered with a -ERR by the caller.  After the status line a failure
 * cannot be told to the client: the caller must end the session, so a
 * client never takes a truncated message for a whole one.
 *
 * Reading, in chunks of MAILDIR_READ_CHUNK and without fstat(2): the
 * caller gives the message's wire size, which bounds the file's size
 * (conversion only adds), and a Maildir file never changes, so a read
 * that returns less than asked is its end.  Each read asks for one byte
 * more than the file may still hold, so a message ends with that one
 * short read.  A file that holds more than its wire size (not what the
 * scan saw) is checked to be a regular file before it is read on: a
 * FIFO or a device would never end.  A file that holds less is sent as
 * it is.
 *
 * Writing: a chunk whose converted form surely fits the output buffer
 * (at most twice its size: every byte a line end or a stuffed dot) is
 * converted straight into it (io_reserve), so a small message costs no
 * copy and its status line, body and terminator leave in one write(2),
 * shared with other pipelined answers.  Bigger ones are converted into
 * a buffer of their own and written from there directly.
 *
 * Memory: the two buffers are allocated on the first message and kept
 * for the session; they are large, so malloc takes them from mmap and
 * only the pages a message really fills count against the session.
 */
#ifndef POPKIT_MSGSEND_H
#define POPKIT_MSGSEND_H

#include <stdint.h>

#include "io.h"

/* A session's sending state: zeroed is ready (nothing allocated yet). */
struct msgsend {
    char *rbuf;   /* MAILDIR_READ_CHUNK: what one read gives */
    char *wbuf;   /* its converted form, for chunks too big to go in place */
    uint64_t wire; /* after msgsend_retr() returned MSGSEND_OK: the wire
                      size of the file as it was read and sent, to hold
                      against what LIST said (a cache may have lied) */
};

enum {
    MSGSEND_OK = 0,          /* the whole answer is in out (a write error
                              * shows at the next flush) */
    MSGSEND_NOMEM = -1,      /* no buffers: nothing written */
    MSGSEND_UNREADABLE = -2, /* the open (fd < 0) or the first read failed,
                              * errno says why: nothing written */
    MSGSEND_WRITE_FAILED = -3, /* output failed after the status line */
    MSGSEND_READ_FAILED = -4   /* a later read failed after the status
                                * line, errno says why (EINVAL: longer
                                * than its wire size, not a regular file) */
};

/* RETR: send the message in fd (the caller's open, or -1 with errno set
 * by the failed open) whose wire size is wire_size, after the status
 * line status.  fd is closed before the call returns, errno kept.  Out
 * of memory is reported before a failed open.  *sent gets the message's
 * octets written, stuffed dots and added CRs included; the status line
 * and the end (a last line's missing line end, ".\r\n") are not
 * counted.  Returns a MSGSEND_ result. */
int msgsend_retr(struct msgsend *ms, struct io_out *out, int fd,
                 uint64_t wire_size, const char *status, uint64_t *sent);
/* TOP: the same, but only the header, the empty line that ends it, and
 * at most lines lines of the body; reading stops there. */
int msgsend_top(struct msgsend *ms, struct io_out *out, int fd,
                uint64_t wire_size, uint64_t lines, const char *status,
                uint64_t *sent);
/* Free the buffers; ms is zeroed (ready again). */
void msgsend_free(struct msgsend *ms);

#endif
