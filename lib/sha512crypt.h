/*
 * sha512crypt.h -- SHA-512 crypt ("$6$", Drepper's SHA-crypt, the scheme
 * of most existing /etc/shadow and users files) computed with OpenSSL's
 * SHA-512 block function.
 *
 * Why not only crypt(3): libcrypt's portable-C SHA-512 takes 1.25 ms for
 * the default 5,000 rounds on the benchmark machine, OpenSSL's assembly
 * 0.8 ms, and that difference is a sixth of a whole POP3 session.  The
 * scheme is the same, bit for bit: the unit test compares this module
 * with crypt_r() over hundreds of passwords, salts and round counts.
 *
 * Only the canonical settings are taken: "$6$" and an optional
 * "rounds=N$" (N from 1000 to 999999999, no leading zero), a salt of 1 to
 * 16 characters of crypt's alphabet, then "$" or the end of the string.
 * For anything else sha512crypt() declines and the caller asks
 * libcrypt, which knows every scheme and every corner of this one
 * (over-long salts, the empty salt).
 */
#ifndef POPKIT_SHA512CRYPT_H
#define POPKIT_SHA512CRYPT_H

#include <stddef.h>

/* "$6$rounds=999999999$" + 16 salt characters + "$" + 86 = 123, and NUL. */
#define SHA512CRYPT_MAX 124

/* Hash password with setting (a full hash or just its "$6$...$" part)
 * into out[SHA512CRYPT_MAX].  0, or -1 when the setting is not one this
 * module takes (nothing written then). */
int sha512crypt(const char *password, const char *setting,
                char out[SHA512CRYPT_MAX]);

#endif
