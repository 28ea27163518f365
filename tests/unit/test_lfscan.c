/* SPDX-License-Identifier: ISC */
/* lfscan: the same answer as memchr(p, '\n', n) for every length and
 * alignment, LF at every position, and no read outside p[0..n) (the
 * buffer is exactly n bytes at the end of a page under ASan/valgrind). */
#include <stdlib.h>
#include <string.h>

#include "lfscan.h"
#include "tap.h"

static int agrees(const char *p, size_t n)
{
    return lfscan(p, n) == memchr(p, '\n', n);
}

int main(void)
{
    char buf[96];
    int bad = 0;
    /* Every start (alignment) and length, no LF, then one LF anywhere. */
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; off + n <= 80; n++) {
            memset(buf, 'a', sizeof buf);
            bad += !agrees(buf + off, n);
            for (size_t at = 0; at < n; at++) {
                buf[off + at] = '\n';
                bad += !agrees(buf + off, n);
                buf[off + at] = 'a';
            }
        }
    is_int(bad, 0, "agrees with memchr at every alignment, length and LF position");

    /* Two LFs: the first one is found. */
    memset(buf, 'x', sizeof buf);
    buf[20] = buf[40] = '\n';
    ok(lfscan(buf, 64) == buf + 20, "the first of two LFs");
    ok(lfscan(buf + 21, 43) == buf + 40, "then the next one");
    ok(lfscan(buf, 20) == NULL, "an LF just past the end is not seen");

    /* A high byte (signed char) is not taken for anything. */
    memset(buf, 0x8a, sizeof buf);
    ok(lfscan(buf, sizeof buf) == NULL, "0x8a bytes are not LF");

    /* Exactly n bytes allocated: reads past them show under ASan. */
    for (size_t n = 1; n <= 40; n++) {
        char *h = malloc(n);
        if (!h)
            return 1;
        memset(h, 'b', n);
        h[n - 1] = '\n';
        bad += lfscan(h, n) != h + n - 1;
        free(h);
    }
    is_int(bad, 0, "an LF in the last byte of a heap block of each size");
    return tap_done();
}
