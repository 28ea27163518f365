/* SPDX-License-Identifier: ISC */
/*
 * md5.c -- MD5 as RFC 1321 describes it (see md5.h).
 *
 * The message is padded with a 1 bit, zeros to 56 mod 64 bytes, and its
 * bit length as a little-endian 64-bit number; each 64-byte block is
 * read as 16 little-endian words and mixed into the four-word state in
 * four rounds of sixteen steps.
 */
#include "md5.h"

#include <string.h>

#include "util.h"

/* Step constants: the integer part of 2^32 * |sin(i + 1)|, i = 0..63
 * (RFC 1321 §3.4), precomputed so no libm is needed. */
static const uint32_t md5_sine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
    0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
    0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
    0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
    0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts: four per round, used in turn. */
static const unsigned char md5_shift[4][4] = {
    { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

static uint32_t rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t load_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
           | (uint32_t)p[3] << 24;
}

static void store_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Step i's auxiliary function of (b, c, d) and the word of the block it
 * takes: round 1 F and words in order, round 2 G and 1 + 5i, round 3 H
 * and 5 + 3i, round 4 I and 7i (all mod 16). */
static uint32_t md5_mix(unsigned i, uint32_t b, uint32_t c, uint32_t d,
                        unsigned *word)
{
    switch (i / 16) {
    case 0:
        *word = i;
        return (b & c) | (~b & d);
    case 1:
        *word = (1 + 5 * i) % 16;
        return (b & d) | (c & ~d);
    case 2:
        *word = (5 + 3 * i) % 16;
        return b ^ c ^ d;
    default:
        *word = (7 * i) % 16;
        return c ^ (b | ~d);
    }
}

static void md5_block(uint32_t state[4], const unsigned char block[64])
{
    uint32_t x[16], a = state[0], b = state[1], c = state[2], d = state[3];
    for (unsigned i = 0; i < 16; i++)
        x[i] = load_le32(block + 4 * i);
    for (unsigned i = 0; i < 64; i++) {
        unsigned word;
        uint32_t f = md5_mix(i, b, c, d, &word);
        uint32_t sum = a + f + x[word] + md5_sine[i];
        /* (a, b, c, d) <- (d, b + (sum <<< s), b, c) */
        a = d;
        d = c;
        c = b;
        b = b + rotl(sum, md5_shift[i / 16][i % 4]);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    wipe(x, sizeof x);
}

void md5_init(struct md5_ctx *c)
{
    /* RFC 1321 §3.3: words A..D, given there low-order byte first. */
    c->state[0] = 0x67452301;
    c->state[1] = 0xefcdab89;
    c->state[2] = 0x98badcfe;
    c->state[3] = 0x10325476;
    c->length = 0;
    c->used = 0;
}

void md5_update(struct md5_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->length += len;
    while (len > 0) {
        size_t take = MD5_BLOCK_LEN - c->used;
        if (take > len)
            take = len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used == MD5_BLOCK_LEN) {
            md5_block(c->state, c->block);
            c->used = 0;
        }
    }
}

void md5_final(struct md5_ctx *c, unsigned char digest[MD5_DIGEST_LEN])
{
    uint64_t bits = c->length * 8;
    static const unsigned char one = 0x80, zero = 0;
    unsigned char len_le[8];

    for (unsigned i = 0; i < 8; i++)
        len_le[i] = (unsigned char)(bits >> (8 * i));
    md5_update(c, &one, 1);
    while (c->used != MD5_BLOCK_LEN - 8)
        md5_update(c, &zero, 1);
    md5_update(c, len_le, sizeof len_le);
    for (unsigned i = 0; i < 4; i++)
        store_le32(digest + 4 * i, c->state[i]);
    wipe(c, sizeof *c);
}

void md5(const void *data, size_t len, unsigned char digest[MD5_DIGEST_LEN])
{
    struct md5_ctx c;
    md5_init(&c);
    md5_update(&c, data, len);
    md5_final(&c, digest);
}

void md5_hex(const unsigned char digest[MD5_DIGEST_LEN],
             char hex[2 * MD5_DIGEST_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < MD5_DIGEST_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * MD5_DIGEST_LEN] = '\0';
}
