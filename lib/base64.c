/* SPDX-License-Identifier: ISC */
#include "base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ssize_t base64_encode(const void *in, size_t n, char *out, size_t outsz)
{
    const unsigned char *p = in;
    size_t o = 0;
    if (outsz < BASE64_ENCODED_SIZE(n))
        return -1;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return (ssize_t)o;
}

/* Value of one alphabet character, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

ssize_t base64_decode(const char *in, size_t n, void *out, size_t outsz)
{
    unsigned char *o = out;
    size_t len = 0;
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = 0;
        unsigned v = 0;
        for (size_t j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            int d = b64_value(c);
            if (c == '=' && last && j >= 2) {
                pad++;
                d = 0;
            } else if (d < 0 || pad > 0) {
                return -1;   /* not in the alphabet, or data after '=' */
            }
            v = (v << 6) | (unsigned)d;
        }
        /* The bits that padding leaves over must be zero (canonical). */
        if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
            return -1;
        size_t got = 3 - (size_t)pad;
        if (len + got > outsz)
            return -1;
        o[len++] = (unsigned char)(v >> 16);
        if (got > 1)
            o[len++] = (unsigned char)(v >> 8);
        if (got > 2)
            o[len++] = (unsigned char)v;
    }
    return (ssize_t)len;
}
