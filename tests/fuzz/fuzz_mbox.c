/* SPDX-License-Identifier: ISC */
/*
 * fuzz_mbox.c -- mbox From_ quoting (lib/mbox, mboxrd), as a property:
 * a message written through mbox_begin/mbox_body/mbox_end into a memory
 * sink, in chunks the input chooses (a "From " split across calls must
 * still be found), reads back by mboxrd's rule -- one '>' taken off each
 * line matching ^>+From  -- as exactly its bytes, with the final newline
 * mbox.h adds when it lacked one; and no body line the writer emits
 * starts "From ", which a reader would take for the next message.
 * Byte 0 gives the chunk size (1..32); the rest is the message.
 */
#include <string.h>

#include "fuzz.h"
#include "mbox.h"

#define MSG_MAX 8192

struct collect {
    char buf[2 * MSG_MAX + 256];
    size_t len;
};

static int sink_mem(struct mbox_out *o, const void *data, size_t len)
{
    struct collect *c = o->arg;
    CHECK(c->len + len <= sizeof c->buf);
    memcpy(c->buf + c->len, data, len);
    c->len += len;
    return 0;
}

static int is_quoted_from(const char *s, size_t n)
{
    size_t g = 0;
    while (g < n && s[g] == '>')
        g++;
    return g > 0 && n - g >= 5 && memcmp(s + g, "From ", 5) == 0;
}

/* mboxrd's reader on body[0..n): out gets the message back. */
static size_t unquote(const char *body, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const char *nl = memchr(body + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (body + i)) + 1 : n - i;
        CHECK(!(len >= 5 && memcmp(body + i, "From ", 5) == 0));
        size_t skip = is_quoted_from(body + i, len) ? 1 : 0;
        memcpy(out + o, body + i + skip, len - skip);
        o += len - skip;
        i += len;
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct collect c;
    static struct mbox_out o;
    static char back[2 * MSG_MAX + 256];
    if (size < 1 || size - 1 > MSG_MAX)
        return 0;
    size_t chunk = 1 + data[0] % 32;
    const char *msg = (const char *)data + 1;
    size_t len = size - 1;
    c.len = 0;
    mbox_out_init(&o, -1, 0, sink_mem, &c);
    CHECK(mbox_begin(&o, "MAILER-DAEMON", 1700000000) == 0);
    for (size_t i = 0; i < len; i += chunk)
        CHECK(mbox_body(&o, msg + i, len - i < chunk ? len - i : chunk) == 0);
    CHECK(mbox_end(&o) == 0);
    CHECK(mbox_flush(&o) == 0);
    /* the From_ line, the body, the blank line that ends the message */
    const char *nl = memchr(c.buf, '\n', c.len);
    CHECK(nl && memcmp(c.buf, "From MAILER-DAEMON ", 19) == 0);
    const char *body = nl + 1;
    size_t blen = c.len - (size_t)(body - c.buf);
    CHECK(blen >= 1 && body[blen - 1] == '\n');
    blen--;
    size_t n = unquote(body, blen, back);
    int added_nl = len > 0 && msg[len - 1] != '\n';
    CHECK(n == len + (size_t)added_nl);
    CHECK(memcmp(back, msg, len) == 0);
    if (added_nl)
        CHECK(back[len] == '\n');
    return 0;
}
