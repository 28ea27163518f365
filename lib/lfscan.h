/* SPDX-License-Identifier: ISC */
#ifndef POPKIT_LFSCAN_H
#define POPKIT_LFSCAN_H
/*
 * lfscan -- find the next LF in a buffer, as memchr(p, '\n', n) does.
 *
 * RETR spends most of its instructions looking for line ends.  glibc's
 * memchr is vectorised, musl's reads a word at a time (5x the
 * instructions, callgrind of 1,000 RETRs of 4 KB), and pop3-maildir is
 * built against musl when it can be.  So on x86-64, whose baseline has
 * SSE2, the search is done here 16 bytes a step; elsewhere it is memchr.
 * Never reads outside p[0..n).
 */
#include <stddef.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

static inline const char *lfscan(const char *p, size_t n)
{
    const __m128i lf = _mm_set1_epi8('\n');
    while (n >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
        n -= 16;
    }
    for (; n; p++, n--)
        if (*p == '\n')
            return p;
    return NULL;
}
#else
static inline const char *lfscan(const char *p, size_t n)
{
    return memchr(p, '\n', n);
}
#endif

#endif
