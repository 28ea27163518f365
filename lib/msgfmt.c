/* SPDX-License-Identifier: ISC */
#include "msgfmt.h"

#include <string.h>

#include "lfscan.h"

void msgfmt_init(struct msgfmt *f)
{
    memset(f, 0, sizeof *f);
    f->bol = 1;
}

void msgfmt_init_top(struct msgfmt *f, uint64_t body_lines)
{
    msgfmt_init(f);
    f->limited = 1;
    f->lines_left = body_lines;
}

int msgfmt_done(const struct msgfmt *f)
{
    return f->done;
}

/* Note the bytes in[0..n) of the current line (n > 0). */
static void take_run(struct msgfmt *f, const char *in, size_t n)
{
    f->cr = in[n - 1] == '\r';
    f->bol = 0;
    f->linebytes = n >= 2 || f->linebytes + n >= 2 ? 2
                   : (unsigned char)(f->linebytes + n);
}

/* A line ended (its LF taken): count it for TOP. */
static void line_done(struct msgfmt *f)
{
    int empty = f->linebytes == 0 || (f->linebytes == 1 && f->cr);
    f->bol = 1;
    f->cr = 0;
    f->linebytes = 0;
    if (!f->limited)
        return;
    if (!f->in_body) {
        if (empty) {
            f->in_body = 1;
            if (f->lines_left == 0)
                f->done = 1;
        }
    } else if (--f->lines_left == 0) {
        f->done = 1;
    }
}

size_t msgfmt_conv(struct msgfmt *f, const char *in, size_t inlen,
                   char *out, size_t outcap, size_t *outlen)
{
    size_t i = 0, o = 0;
    /* Each step may add up to 3 bytes beyond the run: '.', CR, LF. */
    while (i < inlen && !f->done && outcap - o >= 4) {
        if (f->bol && in[i] == '.') {
            out[o++] = '.';
            f->bol = 0;   /* stuffed once, even if the run is split */
        }
        const char *lf = lfscan(in + i, inlen - i);
        size_t run = lf ? (size_t)(lf - (in + i)) : inlen - i;
        size_t room = outcap - o - 2;
        if (run > room) {
            memcpy(out + o, in + i, room);
            take_run(f, in + i, room);
            o += room;
            i += room;
            break;
        }
        if (run > 0) {
            memcpy(out + o, in + i, run);
            take_run(f, in + i, run);
            o += run;
            i += run;
        }
        if (lf) {
            if (!f->cr)
                out[o++] = '\r';
            out[o++] = '\n';
            i++;
            line_done(f);
        }
    }
    *outlen = o;
    return f->done ? inlen : i;
}

size_t msgfmt_end(struct msgfmt *f, char *out)
{
    size_t o = 0;
    if (!f->bol) {
        if (!f->cr)
            out[o++] = '\r';
        out[o++] = '\n';
        f->bol = 1;
    }
    memcpy(out + o, ".\r\n", 3);
    return o + 3;
}

void msgsize_init(struct msgsize *s)
{
    s->size = 0;
    s->cr = 0;
    s->bol = 1;
}

void msgsize_add(struct msgsize *s, const char *in, size_t len)
{
    const char *p = in, *end = in + len;
    if (len == 0)
        return;
    s->size += len;
    while (p < end) {
        const char *lf = lfscan(p, (size_t)(end - p));
        if (!lf)
            break;
        int cr_before = lf > in ? lf[-1] == '\r' : s->cr;
        if (!cr_before)
            s->size++;
        p = lf + 1;
    }
    s->cr = end[-1] == '\r';
    s->bol = end[-1] == '\n';
}

uint64_t msgsize_end(const struct msgsize *s)
{
    if (s->bol)
        return s->size;
    return s->size + (s->cr ? 1 : 2);
}

uint64_t msgfmt_wire_size(const char *buf, size_t len)
{
    struct msgsize s;
    msgsize_init(&s);
    msgsize_add(&s, buf, len);
    return msgsize_end(&s);
}
