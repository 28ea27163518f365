/*
 * sha512crypt.c -- SHA-512 crypt on OpenSSL's SHA-512 (sha512crypt.h).
 *
 * The algorithm is Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512" (2007-2008), the one glibc and libxcrypt implement.  Each of
 * its 5,000 rounds hashes at most 64 + 16 + 2 * password length bytes,
 * so for passwords up to 15 octets every round is a single SHA-512
 * block; such a digest is one call of the block function on a block we
 * pad ourselves, which is where the time goes.  Longer inputs take
 * OpenSSL's SHA512_Init/Update/Final.
 *
 * SHA512_Transform and friends are deprecated in OpenSSL 3 in favour of
 * EVP, whose per-digest set-up would cost more than the whole saving;
 * the low-level functions are still built and exported, so we say that
 * we know.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "config.h"

#include "sha512crypt.h"

#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#include "params.h"
#include "util.h"

#define ROUNDS_DEFAULT 5000
#define ROUNDS_MIN 1000
#define ROUNDS_MAX 999999999
#define SALT_MAX 16
/* The checkpassword payload bounds every password we are given (and
 * libcrypt refuses 512 bytes and more). */
#define PASSWORD_MAX PWCHECK_PASSWORD_MAX

static const char b64[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* One input of a digest. */
struct part {
    const void *p;
    size_t n;
};

/* Where digests are made; wiped once at the end rather than per round
 * (a wipe is a call the compiler may not drop). */
struct work {
    SHA512_CTX c;
    unsigned char block[128];
    uint64_t iv[8];   /* SHA-512's initial state, copied per round */
};

/* Big-endian store of the state: the digest. */
static void state_out(const SHA512_CTX *c, unsigned char out[64])
{
    for (int i = 0; i < 8; i++) {
        uint64_t h = c->h[i];
        for (int j = 7; j >= 0; j--, h >>= 8)
            out[i * 8 + j] = (unsigned char)h;
    }
}

/* SHA-512 of the concatenation of parts[0..n). */
static void digest(struct work *w, const struct part *parts, int n,
                   unsigned char out[64])
{
    size_t len = 0;

    for (int i = 0; i < n; i++)
        len += parts[i].n;
    if (len > 111) {
        SHA512_Init(&w->c);
        for (int i = 0; i < n; i++)
            SHA512_Update(&w->c, parts[i].p, parts[i].n);
        SHA512_Final(out, &w->c);
        return;
    }
    /* One block: the data, 0x80, zeros, the length in bits (128-bit
     * big-endian, of which the top 64 bits are zero here). */
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        memcpy(w->block + at, parts[i].p, parts[i].n);
        at += parts[i].n;
    }
    w->block[at] = 0x80;
    memset(w->block + at + 1, 0, 120 - at - 1);
    uint64_t bits = (uint64_t)len * 8;
    for (int j = 7; j >= 0; j--, bits >>= 8)
        w->block[120 + j] = (unsigned char)bits;
    memcpy(w->c.h, w->iv, sizeof w->iv);
    SHA512_Transform(&w->c, w->block);
    state_out(&w->c, out);
}

/* "rounds=N$" at s: N into *rounds and the length taken, 0 when s does
 * not start with "rounds=", -1 when the number is not canonical. */
static int parse_rounds(const char *s, unsigned long *rounds)
{
    static const char prefix[] = "rounds=";
    size_t k = sizeof prefix - 1, d = 0;
    unsigned long v = 0;

    if (strncmp(s, prefix, k) != 0)
        return 0;
    if (s[k] < '1' || s[k] > '9')
        return -1;
    while (s[k + d] >= '0' && s[k + d] <= '9' && d < 10)
        v = v * 10 + (unsigned long)(s[k + d++] - '0');
    if (s[k + d] != '$' || v < ROUNDS_MIN || v > ROUNDS_MAX)
        return -1;
    *rounds = v;
    return (int)(k + d + 1);
}

/* The salt at s: its length (1..SALT_MAX characters of the alphabet,
 * then '$' or the end), or 0. */
static size_t salt_length(const char *s)
{
    size_t n = 0;
    while (n <= SALT_MAX && s[n] && s[n] != '$' && strchr(b64, s[n]))
        n++;
    if (n == 0 || n > SALT_MAX || (s[n] && s[n] != '$'))
        return 0;
    return n;
}

/* Steps 1-3 of the scheme: the digest A of password and salt. */
static void digest_a(struct work *w, const unsigned char *pw, size_t pl,
                     const unsigned char *salt, size_t sl,
                     unsigned char a[64])
{
    unsigned char b[64];
    struct part pb[3] = { { pw, pl }, { salt, sl }, { pw, pl } };
    SHA512_CTX *c = &w->c;

    digest(w, pb, 3, b);
    SHA512_Init(c);
    SHA512_Update(c, pw, pl);
    SHA512_Update(c, salt, sl);
    size_t n;
    for (n = pl; n > 64; n -= 64)
        SHA512_Update(c, b, 64);
    SHA512_Update(c, b, n);
    for (n = pl; n > 0; n >>= 1) {
        if (n & 1)
            SHA512_Update(c, b, 64);
        else
            SHA512_Update(c, pw, pl);
    }
    SHA512_Final(a, c);
    wipe(b, sizeof b);
}

/* A digest of `times` copies of s, stretched or cut to `len` bytes. */
static void digest_repeat(struct work *w, const unsigned char *s, size_t n,
                          size_t times, unsigned char *out, size_t len)
{
    unsigned char d[64];

    SHA512_Init(&w->c);
    for (size_t i = 0; i < times; i++)
        SHA512_Update(&w->c, s, n);
    SHA512_Final(d, &w->c);
    for (size_t i = 0; i < len; i++)
        out[i] = d[i % 64];
    wipe(d, sizeof d);
}

/* The rounds: each hashes the last digest with the password and salt
 * sequences in an order set by the round number. */
static void stretch(struct work *w, unsigned char a[64],
                    const unsigned char *p, size_t pl,
                    const unsigned char *s, size_t sl, unsigned long rounds)
{
    for (unsigned long r = 0; r < rounds; r++) {
        struct part parts[4];
        int n = 0;
        parts[n++] = (r & 1) ? (struct part){ p, pl } : (struct part){ a, 64 };
        if (r % 3)
            parts[n++] = (struct part){ s, sl };
        if (r % 7)
            parts[n++] = (struct part){ p, pl };
        parts[n++] = (r & 1) ? (struct part){ a, 64 } : (struct part){ p, pl };
        digest(w, parts, n, a);
    }
}

/* crypt's base-64 of the digest, in the scheme's byte order. */
static char *encode(const unsigned char a[64], char *o)
{
    for (int i = 0; i < 21; i++) {
        int x = (i * 22) % 63, y = (x + 21) % 63, z = (y + 21) % 63;
        uint32_t w = (uint32_t)a[x] << 16 | (uint32_t)a[y] << 8 | a[z];
        for (int k = 0; k < 4; k++, w >>= 6)
            *o++ = b64[w & 0x3f];
    }
    uint32_t w = a[63];
    *o++ = b64[w & 0x3f];
    *o++ = b64[w >> 6];
    *o = '\0';
    return o;
}

int sha512crypt(const char *password, const char *setting,
                char out[SHA512CRYPT_MAX])
{
    unsigned long rounds = ROUNDS_DEFAULT;
    size_t pl = strlen(password);

    if (strncmp(setting, "$6$", 3) != 0 || pl > PASSWORD_MAX)
        return -1;
    int rl = parse_rounds(setting + 3, &rounds);
    if (rl < 0)
        return -1;
    const char *salt = setting + 3 + rl;
    size_t sl = salt_length(salt);
    if (sl == 0)
        return -1;

    const unsigned char *pw = (const unsigned char *)password;
    const unsigned char *su = (const unsigned char *)salt;
    unsigned char a[64], p[PASSWORD_MAX], s[SALT_MAX];
    struct work w;
    SHA512_Init(&w.c);
    memcpy(w.iv, w.c.h, sizeof w.iv);
    digest_a(&w, pw, pl, su, sl, a);
    digest_repeat(&w, pw, pl, pl, p, pl);
    digest_repeat(&w, su, sl, 16u + a[0], s, sl);
    stretch(&w, a, p, pl, s, sl, rounds);

    size_t head = 3 + (size_t)rl + sl;
    memcpy(out, setting, head);
    out[head] = '$';
    encode(a, out + head + 1);
    wipe(&w, sizeof w);
    wipe(a, sizeof a);
    wipe(p, pl);
    wipe(s, sizeof s);
    return 0;
}
