/* SPDX-License-Identifier: ISC */
#include "rfc2047.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "params.h"

/* A growing UTF-8 buffer for the decoded text. */
struct ubuf {
    char *p;
    size_t len, cap;
    int failed;
};

static void ub_put(struct ubuf *u, const char *s, size_t n)
{
    if (u->failed)
        return;
    if (u->len + n + 1 > u->cap) {
        size_t cap = (u->len + n + 1) * 2;
        char *p = realloc(u->p, cap);
        if (!p) {
            u->failed = 1;
            return;
        }
        u->p = p;
        u->cap = cap;
    }
    memcpy(u->p + u->len, s, n);
    u->len += n;
}

static void ub_putc(struct ubuf *u, char c)
{
    ub_put(u, &c, 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = s[0], min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; c &= 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; c &= 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; c &= 0x07; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int valid_utf8(const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n; ) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i, &cp);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

/* Text outside encoded words: UTF-8 if it is, else ISO-8859-1. */
static void raw_to_utf8(struct ubuf *u, const char *s, size_t n)
{
    if (valid_utf8(s, n)) {
        ub_put(u, s, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            ub_putc(u, (char)c);
        } else {
            ub_putc(u, (char)(0xc0 | (c >> 6)));
            ub_putc(u, (char)(0x80 | (c & 0x3f)));
        }
    }
}

static int is_utf8_name(const char *cs)
{
    return !cs || !*cs || strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0;
}

/* Convert data in charset cs to UTF-8 into u.  -1 if iconv does not know
 * cs (the caller keeps the word as written). */
static int to_utf8(struct ubuf *u, const char *cs, const char *data, size_t n)
{
    if (is_utf8_name(cs) || strcasecmp(cs, "US-ASCII") == 0) {
        ub_put(u, data, n);          /* invalid bytes become '?' later */
        return 0;
    }
    iconv_t cd = iconv_open("UTF-8", cs);
    if (cd == (iconv_t)-1)
        return -1;
    char *in = (char *)data;
    size_t inleft = n;
    char buf[256];
    while (inleft > 0) {
        char *out = buf;
        size_t outleft = sizeof buf;
        size_t r = iconv(cd, &in, &inleft, &out, &outleft);
        ub_put(u, buf, (size_t)(out - buf));
        if (r == (size_t)-1) {
            if (errno == E2BIG)
                continue;
            ub_putc(u, '?');                  /* EILSEQ, or EINVAL at the end */
            if (errno == EINVAL)
                break;
            in++;
            inleft--;
        }
    }
    iconv_close(cd);
    return 0;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Lenient: mailers drop padding; out has room for n bytes. */
static size_t decode_b(const char *s, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            continue;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    return o;
}

static size_t decode_q(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '_')
            out[o++] = ' ';
        else if (s[i] == '=' && i + 2 < n &&
                 (h = hexval((unsigned char)s[i + 1])) >= 0 &&
                 (l = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else
            out[o++] = s[i];
    }
    return o;
}

/* If an encoded word starts at s (n bytes left), decode it into u and
 * return its length; else 0 (nothing appended). */
static size_t encoded_word(struct ubuf *u, const char *s, size_t n)
{
    if (n < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    const char *cs = s + 2, *end = s + n;
    const char *q1 = memchr(cs, '?', (size_t)(end - cs));
    if (!q1 || q1 == cs || q1 + 3 >= end || q1[2] != '?')
        return 0;
    char enc = q1[1];
    if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
        return 0;
    const char *text = q1 + 3, *p = text;
    while (p + 1 < end && !(p[0] == '?' && p[1] == '='))
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '?')
            return 0;
        else
            p++;
    if (p + 1 >= end)
        return 0;
    char charset[RFC2047_CHARSET_MAX];
    size_t cslen = (size_t)(q1 - cs);
    if (cslen >= sizeof charset)
        return 0;
    memcpy(charset, cs, cslen);
    charset[cslen] = '\0';
    charset[strcspn(charset, "*")] = '\0';        /* RFC 2231 language */
    size_t tlen = (size_t)(p - text);
    char *bytes = malloc(tlen + 1);
    if (!bytes)
        return 0;
    size_t blen = (enc == 'B' || enc == 'b') ? decode_b(text, tlen, bytes)
                                              : decode_q(text, tlen, bytes);
    int r = to_utf8(u, charset, bytes, blen);
    free(bytes);
    return r < 0 ? 0 : (size_t)(p + 2 - s);
}

static int is_lwsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void decode_words(struct ubuf *u, const char *in, size_t len)
{
    size_t i = 0, raw = 0;
    int after_word = 0;
    while (i < len) {
        if (in[i] == '=' && i + 1 < len && in[i + 1] == '?') {
            size_t mark = u->len;
            size_t gap_ws = 1;
            for (size_t k = raw; k < i; k++)
                gap_ws &= (size_t)is_lwsp(in[k]);
            /* text before the word, unless it only separates two words */
            if (!(after_word && gap_ws))
                raw_to_utf8(u, in + raw, i - raw);
            size_t w = encoded_word(u, in + i, len - i);
            if (w > 0) {
                i += w;
                raw = i;
                after_word = 1;
                continue;
            }
            u->len = mark;                   /* not a word: all stays raw */
        }
        i++;
    }
    raw_to_utf8(u, in + raw, len - raw);
}

static int is_unsafe(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
           cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* White space runs become one space; unsafe characters '?'. In place. */
static void make_safe(struct ubuf *u)
{
    size_t o = 0;
    int in_space = 0;
    for (size_t i = 0; i < u->len; ) {
        uint32_t cp;
        size_t l = utf8_seq((unsigned char *)u->p + i, u->len - i, &cp);
        if (l == 0) {
            u->p[o++] = '?';
            i++;
            in_space = 0;
            continue;
        }
        if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n') {
            if (!in_space)
                u->p[o++] = ' ';
            in_space = 1;
        } else if (is_unsafe(cp)) {
            u->p[o++] = '?';
            in_space = 0;
        } else {
            memmove(u->p + o, u->p + i, l);
            o += l;
            in_space = 0;
        }
        i += l;
    }
    u->len = o;
}

/* UTF-8 u into out in charset `to`; a missing character becomes '?'. */
static size_t from_utf8(const struct ubuf *u, const char *to, char *out, size_t outsz)
{
    size_t room = outsz - 1, o = 0;
    if (is_utf8_name(to)) {
        for (size_t i = 0; i < u->len; ) {
            uint32_t cp;
            size_t l = utf8_seq((unsigned char *)u->p + i, u->len - i, &cp);
            if (l == 0 || o + l > room)
                break;
            memcpy(out + o, u->p + i, l);
            o += l;
            i += l;
        }
        out[o] = '\0';
        return o;
    }
    iconv_t cd = iconv_open(to, "UTF-8");
    char *in = u->p;
    size_t inleft = u->len;
    while (inleft > 0 && o < room) {
        uint32_t cp;
        size_t l = utf8_seq((unsigned char *)in, inleft, &cp);
        if (l == 0)
            l = 1;
        if (cd == (iconv_t)-1) {
            out[o++] = cp < 0x80 ? (char)cp : '?';
        } else {
            char *ip = in, *op = out + o;
            size_t il = l, ol = room - o;
            if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
                if (errno == E2BIG)
                    break;
                out[o++] = '?';
            } else {
                o = (size_t)(op - out);
            }
        }
        in += l;
        inleft -= l;
    }
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    out[o] = '\0';
    return o;
}

size_t rfc2047_decode(const char *in, size_t len, const char *to, char *out,
                      size_t outsz)
{
    struct ubuf u = { NULL, 0, 0, 0 };
    if (outsz == 0)
        return 0;
    decode_words(&u, in, len);
    if (u.failed) {
        free(u.p);
        out[0] = '\0';
        return 0;
    }
    make_safe(&u);
    size_t n = from_utf8(&u, to, out, outsz);
    free(u.p);
    return n;
}
