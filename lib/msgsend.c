/* SPDX-License-Identifier: ISC */
#include "msgsend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgfmt.h"
#include "params.h"

/* wbuf holds the converted form of a whole read chunk. */
#define WBUF_SIZE (2 * MAILDIR_READ_CHUNK + MSGFMT_OUT_MIN)

static int alloc_buffers(struct msgsend *ms)
{
    if (!ms->rbuf)
        ms->rbuf = malloc(MAILDIR_READ_CHUNK);
    if (!ms->wbuf)
        ms->wbuf = malloc(WBUF_SIZE);
    return ms->rbuf && ms->wbuf ? 0 : -1;
}

void msgsend_free(struct msgsend *ms)
{
    free(ms->rbuf);
    free(ms->wbuf);
    ms->rbuf = ms->wbuf = NULL;
}

/* The file being read (msgsend.h: bounded by the wire size, no fstat
 * unless it holds more). */
struct msgfile {
    int fd;
    uint64_t left;     /* bytes the file may still hold */
    int unbounded;     /* it held more: regular, read to a short read */
    int eof;
};

static ssize_t msgfile_read(struct msgfile *m, char *buf)
{
    if (m->eof)
        return 0;
    size_t want = !m->unbounded && m->left < MAILDIR_READ_CHUNK
                  ? (size_t)m->left + 1 : MAILDIR_READ_CHUNK;
    for (;;) {
        ssize_t r = read(m->fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return r;
        if ((size_t)r < want) {
            m->eof = 1;
        } else if (!m->unbounded && (uint64_t)r > m->left) {
            struct stat st;
            if (fstat(m->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                errno = EINVAL;
                return -1;
            }
            m->unbounded = 1;
        } else if (!m->unbounded) {
            m->left -= (uint64_t)r;
        }
        return r;
    }
}

/* Send what f makes of the chunk: in place in the output buffer when
 * its converted form surely fits there, else through wbuf, written
 * directly once it is half the output buffer or more. */
static int send_chunk(struct msgsend *ms, struct io_out *out,
                      struct msgfmt *f, const char *in, size_t len,
                      uint64_t *sent)
{
    size_t need = 2 * len + MSGFMT_OUT_MIN;
    if (need <= IO_OUTBUF_SIZE) {
        size_t room, o;
        char *to = io_reserve(out, need, &room);
        if (!to)
            return -1;
        msgfmt_conv(f, in, len, to, room, &o);
        io_commit(out, o);
        *sent += o;
        return 0;
    }
    while (len > 0 && !msgfmt_done(f)) {
        size_t o;
        size_t used = msgfmt_conv(f, in, len, ms->wbuf, WBUF_SIZE, &o);
        in += used;
        len -= used;
        *sent += o;
        int r = o < IO_OUTBUF_SIZE / 2 ? io_put(out, ms->wbuf, o)
                                       : io_write_direct(out, ms->wbuf, o);
        if (r != IO_OK)
            return -1;
    }
    return 0;
}

/* Close fd (if open) without losing the errno that says what failed. */
static void close_keep_errno(int fd)
{
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
}

/* The body from the first chunk (n bytes in rbuf) on, then the end. */
static int send_body(struct msgsend *ms, struct io_out *out,
                     struct msgfile *mf, ssize_t n, struct msgfmt *f,
                     struct msgsize *size, uint64_t *sent)
{
    while (n > 0) {
        if (size)
            msgsize_add(size, ms->rbuf, (size_t)n);
        if (send_chunk(ms, out, f, ms->rbuf, (size_t)n, sent) < 0)
            return MSGSEND_WRITE_FAILED;
        if (msgfmt_done(f))
            break;
        n = msgfile_read(mf, ms->rbuf);
    }
    if (n < 0)
        return MSGSEND_READ_FAILED;
    char end[MSGFMT_OUT_MIN];
    size_t e = msgfmt_end(f, end);
    io_put(out, end, e);   /* a failure shows at the flush */
    return MSGSEND_OK;
}

/* size, when not NULL, measures the whole file's wire size as it goes
 * (RETR reads it all). */
static int send_file(struct msgsend *ms, struct io_out *out, int fd,
                     uint64_t wire_size, struct msgfmt *f,
                     struct msgsize *size, const char *status, uint64_t *sent)
{
    *sent = 0;
    if (alloc_buffers(ms) < 0) {
        close_keep_errno(fd);
        return MSGSEND_NOMEM;
    }
    struct msgfile mf = { .fd = fd, .left = wire_size };
    ssize_t n = fd < 0 ? -1 : msgfile_read(&mf, ms->rbuf);
    if (n < 0) {
        close_keep_errno(fd);
        return MSGSEND_UNREADABLE;
    }
    io_puts(out, status);
    int r = send_body(ms, out, &mf, n, f, size, sent);
    close_keep_errno(fd);
    return r;
}

int msgsend_retr(struct msgsend *ms, struct io_out *out, int fd,
                 uint64_t wire_size, const char *status, uint64_t *sent)
{
    struct msgfmt f;
    struct msgsize size;
    msgfmt_init(&f);
    msgsize_init(&size);
    int r = send_file(ms, out, fd, wire_size, &f, &size, status, sent);
    ms->wire = msgsize_end(&size);
    return r;
}

int msgsend_top(struct msgsend *ms, struct io_out *out, int fd,
                uint64_t wire_size, uint64_t lines, const char *status,
                uint64_t *sent)
{
    struct msgfmt f;
    msgfmt_init_top(&f, lines);
    return send_file(ms, out, fd, wire_size, &f, NULL, status, sent);
}
