/* SPDX-License-Identifier: ISC */
/*
 * msgfmt.h -- a message file as POP3 sends it (RFC 1939 §3, RETR, TOP).
 *
 * The wire form of a message:
 *   - every LF not preceded by CR becomes CRLF; an existing CRLF stays as
 *     it is (never CR CR LF); a CR not followed by LF is kept as a byte;
 *   - a last line without LF is ended: LF when it ends in CR, else CRLF;
 *   - every line starting with '.' gets one more '.' (dot-stuffing);
 *   - ".\r\n" ends the answer.
 * NUL and 8-bit bytes pass unchanged.  The "wire size" (LIST, STAT, ,W=)
 * is the size after the first two steps: the octets the client keeps
 * once it has undone the stuffing.
 *
 * Both converters are streaming and state-carrying, so a file is fed in
 * chunks of any size (a CR at the end of one chunk and an LF at the start
 * of the next make one CRLF).  The hot loop is memchr for LF and memcpy
 * of whole line runs; no allocation, no I/O.
 */
#ifndef POPKIT_MSGFMT_H
#define POPKIT_MSGFMT_H

#include <stddef.h>
#include <stdint.h>

struct msgfmt {
    uint64_t lines_left;     /* TOP: body lines still to send */
    unsigned char bol;       /* the next byte starts a line */
    unsigned char cr;        /* the last byte taken was CR */
    unsigned char linebytes; /* bytes in the current line, saturating at 2 */
    unsigned char in_body;   /* past the empty line ending the header */
    unsigned char limited;   /* TOP: stop after lines_left body lines */
    unsigned char done;      /* TOP: limit reached, ignore the rest */
};

/* Room msgfmt_end() needs; msgfmt_conv() needs an outcap at least this. */
#define MSGFMT_OUT_MIN 8

/* Whole message (RETR). */
void msgfmt_init(struct msgfmt *f);
/* Header, the empty line, then at most body_lines lines (TOP n l). */
void msgfmt_init_top(struct msgfmt *f, uint64_t body_lines);
/* Convert from in[0..inlen) into out[0..outcap).  Returns the input
 * bytes consumed (all of them unless out filled up, or TOP finished);
 * *outlen gets the bytes written.  Call again with the rest. */
size_t msgfmt_conv(struct msgfmt *f, const char *in, size_t inlen,
                   char *out, size_t outcap, size_t *outlen);
/* True once a TOP has sent all it will: the caller may stop reading. */
int msgfmt_done(const struct msgfmt *f);
/* The end of the answer: the missing line end, then ".\r\n".  Writes at
 * most MSGFMT_OUT_MIN bytes; returns the count. */
size_t msgfmt_end(struct msgfmt *f, char *out);

/* Counting the wire size of a file fed in chunks. */
struct msgsize {
    uint64_t size;
    unsigned char cr;    /* last byte was CR */
    unsigned char bol;   /* last byte was LF, or nothing yet */
};
void msgsize_init(struct msgsize *s);
void msgsize_add(struct msgsize *s, const char *in, size_t len);
uint64_t msgsize_end(const struct msgsize *s);
/* One-shot: the wire size of buf[0..len). */
uint64_t msgfmt_wire_size(const char *buf, size_t len);

#endif
