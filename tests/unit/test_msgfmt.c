/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/msgfmt: a message file in POP3 wire form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgfmt.h"
#include "tap.h"

/* Convert in[0..len) with chunks of chunk bytes and an output buffer of
 * outcap, as a caller would; returns a malloc'd result and its length. */
static char *conv(const char *in, size_t len, int top, uint64_t lines,
                  size_t chunk, size_t outcap, size_t *outlen)
{
    struct msgfmt f;
    if (top)
        msgfmt_init_top(&f, lines);
    else
        msgfmt_init(&f);
    size_t cap = 4 * len + 16, o = 0;
    char *res = malloc(cap);
    char *out = malloc(outcap);
    size_t i = 0;
    while (i < len && !msgfmt_done(&f)) {
        size_t n = len - i < chunk ? len - i : chunk;
        size_t used = 0;
        while (used < n && !msgfmt_done(&f)) {
            size_t w;
            used += msgfmt_conv(&f, in + i + used, n - used, out, outcap, &w);
            memcpy(res + o, out, w);
            o += w;
        }
        i += n;
    }
    o += msgfmt_end(&f, res + o);
    free(out);
    *outlen = o;
    return res;
}

/* The rules of msgfmt.h, spelled out byte by byte: the reference. */
static char *reference(const char *in, size_t len, int top, uint64_t lines,
                       size_t *outlen)
{
    char *res = malloc(4 * len + 16);
    size_t o = 0;
    int bol = 1, in_body = 0, linebytes = 0;
    uint64_t left = lines;
    int done = 0;
    for (size_t i = 0; i < len && !done; i++) {
        char c = in[i];
        if (bol && c == '.')
            res[o++] = '.';
        bol = 0;
        if (c == '\n') {
            if (i == 0 || in[i - 1] != '\r')
                res[o++] = '\r';
            res[o++] = '\n';
            int empty = linebytes == 0 || (linebytes == 1 && in[i - 1] == '\r');
            bol = 1;
            linebytes = 0;
            if (top) {
                if (!in_body) {
                    if (empty) {
                        in_body = 1;
                        if (left == 0)
                            done = 1;
                    }
                } else if (--left == 0) {
                    done = 1;
                }
            }
            continue;
        }
        res[o++] = c;
        linebytes++;
    }
    if (!bol) {
        if (res[o - 1] != '\r')
            res[o++] = '\r';
        res[o++] = '\n';
    }
    memcpy(res + o, ".\r\n", 3);
    *outlen = o + 3;
    return res;
}

static int same(const char *in, size_t len, const char *want, size_t wlen,
                int top, uint64_t lines, size_t chunk, size_t outcap)
{
    size_t n;
    char *got = conv(in, len, top, lines, chunk, outcap, &n);
    int r = n == wlen && memcmp(got, want, n) == 0;
    free(got);
    return r;
}

static void check(const char *in, const char *want, const char *what)
{
    size_t len = strlen(in), wlen = strlen(want);
    ok(same(in, len, want, wlen, 0, 0, len + 1, 1 << 16), "%s", what);
    ok(same(in, len, want, wlen, 0, 0, 1, MSGFMT_OUT_MIN),
       "%s (byte by byte, tiny output)", what);
    /* The wire size is the answer without dot-stuffing and ".\r\n". */
    size_t dots = 0;
    for (size_t i = 0; i < len; i++)
        if (in[i] == '.' && (i == 0 || in[i - 1] == '\n'))
            dots++;
    ok(msgfmt_wire_size(in, len) == wlen - 3 - dots, "wire size: %s", what);
}

static void check_top(const char *in, uint64_t lines, const char *want,
                      const char *what)
{
    size_t len = strlen(in);
    ok(same(in, len, want, strlen(want), 1, lines, len + 1, 1 << 16), "%s",
       what);
    ok(same(in, len, want, strlen(want), 1, lines, 3, MSGFMT_OUT_MIN),
       "%s (small chunks)", what);
}

static void fixed_cases(void)
{
    check("", ".\r\n", "empty message");
    check("a\nb\n", "a\r\nb\r\n.\r\n", "bare LF becomes CRLF");
    check("a\r\nb\r\n", "a\r\nb\r\n.\r\n", "CRLF kept, no CR CR LF");
    check("a\rb\r\n", "a\rb\r\n.\r\n", "lone CR kept");
    check("a\r\r\n", "a\r\r\n.\r\n", "CR before CRLF kept as is");
    check(".\n..x\n.\r\nx.\n", "..\r\n...x\r\n..\r\nx.\r\n.\r\n",
          "dot lines stuffed, inner dots not");
    check("abc", "abc\r\n.\r\n", "no final newline: CRLF added");
    check("abc\r", "abc\r\n.\r\n", "ends in CR: LF added");
    check(".", "..\r\n.\r\n", "lone dot, no newline");
    check("\n\n", "\r\n\r\n.\r\n", "empty lines");
    check("Subject: \xe9t\xe9\n\n\xff\xfe body\n",
          "Subject: \xe9t\xe9\r\n\r\n\xff\xfe body\r\n.\r\n", "8-bit bytes");
    /* NUL bytes: strlen cannot carry them, so by hand. */
    const char in[] = "a\0b\n\0\n";
    const char want[] = "a\0b\r\n\0\r\n.\r\n";
    ok(same(in, sizeof in - 1, want, sizeof want - 1, 0, 0, 100, 100),
       "NUL bytes pass");
    is_int(msgfmt_wire_size(in, sizeof in - 1), sizeof want - 4,
           "wire size with NUL bytes");

    const char *msg = "A: 1\nB: 2\n\nl1\n.l2\nl3\n";
    check_top(msg, 0, "A: 1\r\nB: 2\r\n\r\n.\r\n", "TOP 0: header and blank");
    check_top(msg, 2, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n",
              "TOP 2: two body lines, stuffed");
    check_top(msg, UINT64_MAX, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n",
              "TOP huge: whole message");
    check_top("A: 1\r\n\r\nx\r\ny\r\n", 1, "A: 1\r\n\r\nx\r\n.\r\n",
              "TOP on CRLF file");
    check_top("A: 1\nB: 2", 5, "A: 1\r\nB: 2\r\n.\r\n",
              "TOP: header only, no newline");
}

/* Random messages over the interesting bytes, random chunking and
 * output sizes, against the reference. */
static void random_cases(void)
{
    static const char alphabet[] = { 'a', '.', '\r', '\n', '\0', '\xff' };
    unsigned seed = 12345;
    int bad = 0, badsize = 0, badtop = 0;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(rand_r(&seed) % 64);
        char in[64];
        for (size_t i = 0; i < len; i++)
            in[i] = alphabet[rand_r(&seed) % sizeof alphabet];
        size_t chunk = 1 + (size_t)(rand_r(&seed) % 9);
        size_t outcap = MSGFMT_OUT_MIN + (size_t)(rand_r(&seed) % 12);
        size_t wlen;
        char *want = reference(in, len, 0, 0, &wlen);
        if (!same(in, len, want, wlen, 0, 0, chunk, outcap))
            bad++;
        /* Wire size: the unstuffed answer without the final ".\r\n". */
        size_t dots = 0;
        for (size_t i = 0; i < len; i++)
            if (in[i] == '.' && (i == 0 || in[i - 1] == '\n'))
                dots++;
        struct msgsize s;
        msgsize_init(&s);
        for (size_t i = 0; i < len; i += chunk)
            msgsize_add(&s, in + i, len - i < chunk ? len - i : chunk);
        if (msgsize_end(&s) != wlen - 3 - dots)
            badsize++;
        free(want);
        uint64_t lines = (uint64_t)(rand_r(&seed) % 4);
        want = reference(in, len, 1, lines, &wlen);
        if (!same(in, len, want, wlen, 1, lines, chunk, outcap))
            badtop++;
        free(want);
    }
    is_int(bad, 0, "3000 random messages match the reference (RETR)");
    is_int(badsize, 0, "3000 random wire sizes match, chunked");
    is_int(badtop, 0, "3000 random messages match the reference (TOP)");
}

int main(void)
{
    fixed_cases();
    random_cases();
    return tap_done();
}
