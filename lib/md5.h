/* SPDX-License-Identifier: ISC */
/*
 * md5.h -- MD5 (RFC 1321), for the APOP digest (RFC 1939 §7) only.
 *
 * MD5 is broken for collision resistance; APOP uses it as RFC 1939 fixes
 * it, and popkit uses it for nothing else.  Our own implementation, so
 * that checkpassword-virtual need not load libcrypto (about 0.7 ms of
 * dynamic loading per session) for 64 bytes of hashing.
 *
 * Use:
 *     struct md5_ctx c;
 *     unsigned char digest[MD5_DIGEST_LEN];
 *     md5_init(&c);
 *     md5_update(&c, data, len);      // any number of times
 *     md5_final(&c, digest);          // c is wiped afterwards
 * or md5(data, len, digest) for one buffer.
 */
#ifndef POPKIT_MD5_H
#define POPKIT_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16
#define MD5_BLOCK_LEN 64

struct md5_ctx {
    uint32_t state[4];                  /* A, B, C, D */
    uint64_t length;                    /* message length in bytes so far */
    unsigned char block[MD5_BLOCK_LEN]; /* a partial block */
    size_t used;                        /* bytes in block */
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
/* Write the digest and wipe the context (it may have held a secret). */
void md5_final(struct md5_ctx *c, unsigned char digest[MD5_DIGEST_LEN]);
void md5(const void *data, size_t len, unsigned char digest[MD5_DIGEST_LEN]);

/* The digest as 32 lowercase hex digits and a NUL, into hex[33]. */
void md5_hex(const unsigned char digest[MD5_DIGEST_LEN],
             char hex[2 * MD5_DIGEST_LEN + 1]);

#endif
