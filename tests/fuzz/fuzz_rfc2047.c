/* SPDX-License-Identifier: ISC */
/*
 * fuzz_rfc2047.c -- RFC 2047 decoding for a terminal (lib/rfc2047).
 * Byte 0 picks the target charset and the output size; the rest is a
 * header value.  Checked, from rfc2047.h: the output is NUL-terminated
 * at the length returned, within outsz, and holds no C0 control and no
 * DEL; in UTF-8 it is valid UTF-8 with no C1 control and no bidi
 * override (U+202A-U+202E, U+2066-U+2069).
 */
#include <string.h>

#include "fuzz.h"
#include "rfc2047.h"

/* Walk UTF-8 s[0..n), aborting on an invalid sequence or an unsafe
 * character. */
static void check_safe_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len, cp;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else {
            CHECK((c & 0xf8) == 0xf0);
            len = 4;
            cp = c & 0x07;
        }
        CHECK(i + len <= n);
        for (unsigned k = 1; k < len; k++) {
            CHECK((s[i + k] & 0xc0) == 0x80);
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        CHECK(cp >= 0x20 && cp != 0x7f);
        CHECK(cp < 0x80 || cp > 0x9f);
        CHECK(!(cp >= 0x202a && cp <= 0x202e) && !(cp >= 0x2066 && cp <= 0x2069));
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = { NULL, "UTF-8", "ISO-8859-1", "ASCII" };
    static const size_t sizes[] = { 1, 2, 7, 64, 4096 };
    static char out[4096 + 1];
    if (size < 1 || size > 8192)
        return 0;
    const char *to = charsets[data[0] & 3];
    size_t outsz = sizes[(data[0] >> 2) % 5];
    memset(out, 'X', sizeof out);
    size_t n = rfc2047_decode((const char *)data + 1, size - 1, to, out, outsz);
    CHECK(n < outsz && out[n] == '\0' && strlen(out) == n);
    CHECK(out[outsz] == 'X' || outsz == sizeof out);
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
    if (!to || strcmp(to, "UTF-8") == 0)
        check_safe_utf8((const unsigned char *)out, n);
    return 0;
}
