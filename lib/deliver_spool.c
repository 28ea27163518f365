/* SPDX-License-Identifier: ISC */
/*
 * deliver_spool.c -- deliver.h's spool: the message held once, its
 * sizes, the loop check in its header, and its copy out.
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "deliver_spool.h"
#include "deliver_status.h"
#include "msgfmt.h"
#include "params.h"
#include "util.h"

/* ---- The spool ---- */

/* An anonymous seekable file: memfd, else an unlinked temporary file. */
static int spool_fd(void)
{
    int fd = memfd_create("popkit-spool", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, sizeof path, "%s/popkit-spool.XXXXXX", dir) >=
        (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static void spool_reset(struct deliver_spool *s, int fd, uint64_t limit)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->limit = limit;
    s->bol = 1;
}

int deliver_spool_open(struct deliver_spool *s, uint64_t limit)
{
    int fd = spool_fd();
    if (fd < 0)
        return -1;
    spool_reset(s, fd, limit);
    return 0;
}

/* Track the header's end and the wire size over LF text about to be
 * stored at s->octets. */
static void spool_scan(struct deliver_spool *s, struct msgsize *ms,
                       const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->in_body; i++) {
        if (p[i] == '\n') {
            if (s->bol) {
                s->in_body = 1;
                s->header_end = s->octets + i + 1;
            }
            s->bol = 1;
        } else {
            s->bol = 0;
        }
    }
    msgsize_add(ms, p, n);
}

/* The wire count's state lives in the spool between calls. */
static void spool_msgsize(const struct deliver_spool *s, struct msgsize *ms)
{
    msgsize_init(ms);
    ms->size = s->wire;
    ms->bol = s->octets == 0 || s->wire_bol;
    ms->cr = s->wire_cr;
}

static void spool_msgsize_keep(struct deliver_spool *s,
                               const struct msgsize *ms)
{
    s->wire = ms->size;
    s->wire_bol = ms->bol && s->octets > 0;
    s->wire_cr = ms->cr;
}

static int spool_store(struct deliver_spool *s, const char *p, size_t n)
{
    if (s->too_big || (s->limit && s->octets + n > s->limit)) {
        s->too_big = 1;
        errno = EFBIG;
        return -1;
    }
    if (n == 0)
        return 0;
    struct msgsize ms;
    spool_msgsize(s, &ms);
    spool_scan(s, &ms, p, n);
    if (write_all(s->fd, p, n) < 0)
        return -1;
    s->octets += n;
    spool_msgsize_keep(s, &ms);
    return 0;
}

int deliver_spool_write(struct deliver_spool *s, const void *p, size_t n)
{
    return spool_store(s, p, n);
}

/* CRLF -> LF of in[0..n) into out (room n + 1), a CR at the end held
 * back in s->cr for the next chunk.  Returns the bytes in out. */
static size_t spool_unix(struct deliver_spool *s, const char *in, size_t n,
                         char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->cr) {
            s->cr = 0;
            if (in[i] == '\n') {
                out[o++] = '\n';
                continue;
            }
            out[o++] = '\r';
        }
        if (in[i] == '\r')
            s->cr = 1;
        else
            out[o++] = in[i];
    }
    return o;
}

int deliver_spool_from_fd(struct deliver_spool *s, int fd)
{
    enum { CHUNK = 65536 };
    char *in = malloc(2 * CHUNK + 1);
    if (!in)
        return -1;
    char *out = in + CHUNK;
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, in, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
        size_t o = spool_unix(s, in, (size_t)r, out);
        if (spool_store(s, out, o) < 0) {
            rc = -1;
            break;
        }
    }
    int e = errno;
    free(in);
    errno = e;
    return rc;
}

/* The spool's wire size: the stored count plus the final line end. */
static uint64_t spool_wire(const struct deliver_spool *s)
{
    struct msgsize ms;
    spool_msgsize(s, &ms);
    return msgsize_end(&ms);
}

int deliver_spool_finish(struct deliver_spool *s)
{
    if (s->cr) {
        s->cr = 0;
        if (spool_store(s, "\r", 1) < 0)
            return -1;
    }
    if (!s->in_body)
        s->header_end = s->octets;
    s->wire = spool_wire(s);
    return 0;
}

int deliver_spool_adopt(struct deliver_spool *s, int fd, uint64_t limit)
{
    spool_reset(s, fd, 0);
    /* On the stack: a malloc of this size is an mmap and a munmap for
     * every message. */
    char buf[DELIVER_COPY_CHUNK];
    struct msgsize ms;
    msgsize_init(&ms);
    uint64_t off = 0;
    ssize_t r;
    while ((r = pread(fd, buf, sizeof buf, (off_t)off)) > 0) {
        s->octets = off;
        spool_scan(s, &ms, buf, (size_t)r);
        off += (uint64_t)r;
    }
    int e = errno;
    if (r < 0 || (limit && off > limit)) {
        deliver_spool_close(s);
        errno = r < 0 ? e : EFBIG;
        return -1;
    }
    s->octets = off;
    s->wire = msgsize_end(&ms);
    s->limit = limit;
    if (!s->in_body)
        s->header_end = s->octets;
    return 0;
}

void deliver_spool_close(struct deliver_spool *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* ---- The loop check ---- */

/* Is the header field in f[0..n) (unfolded or not) "Delivered-To:" with
 * the value recipient? */
static int field_is_dt(const char *f, size_t n, const char *recipient)
{
    static const char name[] = "delivered-to:";
    if (n < sizeof name - 1 || strncasecmp(f, name, sizeof name - 1) != 0)
        return 0;
    f += sizeof name - 1;
    n -= sizeof name - 1;
    while (n && (*f == ' ' || *f == '\t' || *f == '\n' || *f == '\r'))
        f++, n--;
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t' || f[n - 1] == '\n' ||
                 f[n - 1] == '\r'))
        n--;
    if (n >= 2 && f[0] == '<' && f[n - 1] == '>')
        f++, n -= 2;
    return n == strlen(recipient) && strncasecmp(f, recipient, n) == 0;
}

static int field_named(const char *f, size_t n, const char *name)
{
    size_t l = strlen(name);
    return n >= l && strncasecmp(f, name, l) == 0;
}

/* Is the field f[0..n) still in the MTA's leading run, given what of it
 * was seen?  It takes the field into m (or seen_dt) when so. */
static int take_mta_field(const char *f, size_t n, const char *recipient,
                          struct mta_lines *m, int *seen_dt)
{
    if (field_named(f, n, "return-path:") && !m->return_path) {
        m->return_path = 1;
        return 1;
    }
    if (field_named(f, n, "delivered-to:") && !*seen_dt) {
        *seen_dt = 1;
        m->delivered_to = field_is_dt(f, n, recipient);
        return 1;
    }
    return 0;
}

int deliver_loop_scan(const struct deliver_spool *s, const char *recipient,
                      int mta, struct mta_lines *m)
{
    m->return_path = m->delivered_to = 0;
    size_t n = s->header_end < DELIVER_HEADER_SCAN_MAX
                   ? (size_t)s->header_end
                   : DELIVER_HEADER_SCAN_MAX;
    char *h = malloc(n + 1);
    if (!h)
        return -1;
    ssize_t r = n ? pread(s->fd, h, n, 0) : 0;
    if (r < 0) {
        free(h);
        return -1;
    }
    n = (size_t)r;
    int found = 0, in_run = mta, seen_dt = 0;
    size_t start = 0;
    /* A field runs from its line to the next line not starting with a
     * blank (a folded continuation belongs to it). */
    for (size_t i = 0; i <= n && !found; i++) {
        int end = i == n ||
                  (h[i] == '\n' && (i + 1 >= n ||
                                    (h[i + 1] != ' ' && h[i + 1] != '\t')));
        if (!end)
            continue;
        if (in_run)
            in_run = take_mta_field(h + start, i - start, recipient, m,
                                    &seen_dt);
        if (!in_run)
            found = field_is_dt(h + start, i - start, recipient);
        start = i + 1;
    }
    free(h);
    return found;
}

int deliver_has_delivered_to(const struct deliver_spool *s,
                             const char *recipient)
{
    struct mta_lines m;
    return deliver_loop_scan(s, recipient, 0, &m);
}

enum deliver_status deliver_envelope_check(const struct deliver_spool *s,
                                           const char *sender,
                                           const char *recipient, int mta,
                                           struct mta_lines *m,
                                           struct deliver_report *r)
{
    if (!header_safe(sender) || !header_safe(recipient))
        return fail(r, DELIVER_BADINPUT, "a control character in the "
                                         "sender or recipient");
    int loop = deliver_loop_scan(s, recipient, mta, m);
    if (loop < 0)
        return fail_errno(r, errno, "read", "the spool");
    if (loop)
        return fail(r, DELIVER_LOOP, "Delivered-To: %s already there",
                    recipient);
    return DELIVER_OK;
}

/* The spool's octets from *off on into fd, by pread and write. */
static int copy_by_read(int fd, const struct deliver_spool *s, uint64_t *off)
{
    char buf[DELIVER_COPY_CHUNK];
    while (*off < s->octets) {
        size_t want = s->octets - *off < sizeof buf
                          ? (size_t)(s->octets - *off) : sizeof buf;
        ssize_t r = pread(s->fd, buf, want, (off_t)*off);
        if (r <= 0) {
            if (r == 0)
                errno = EIO;    /* the spool shrank: never write less */
            return -1;
        }
        if (write_all(fd, buf, (size_t)r) < 0)
            return -1;
        *off += (uint64_t)r;
    }
    return 0;
}

/* Write prefix then the spool into fd.  0 or -1 with errno.  The spool
 * goes by sendfile(2), inside the kernel: no buffer, and a system call
 * fewer for a message of one chunk; where the kernel will not send
 * between these two files (EINVAL, ENOSYS) by pread and write. */
int deliver_spool_copy(int fd, const char *prefix, size_t plen,
                       const struct deliver_spool *s)
{
    if (write_all(fd, prefix, plen) < 0)
        return -1;
    uint64_t off = 0;
    while (off < s->octets) {
        off_t at = (off_t)off;
        size_t want = s->octets - off < DELIVER_SENDFILE_MAX
                          ? (size_t)(s->octets - off) : DELIVER_SENDFILE_MAX;
        ssize_t r = sendfile(fd, s->fd, &at, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EINVAL || errno == ENOSYS) && off == 0)
            return copy_by_read(fd, s, &off);
        if (r <= 0) {
            if (r == 0)
                errno = EIO;    /* the spool shrank: never write less */
            return -1;
        }
        off += (uint64_t)r;
    }
    return 0;
}
