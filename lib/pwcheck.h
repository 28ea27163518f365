/* SPDX-License-Identifier: ISC */
/*
 * pwcheck.h -- check a password against a crypt(3) hash, and make hashes.
 * Every hash, of every scheme, is computed by libxcrypt's crypt_rn(): no
 * password-hashing code of our own.
 *
 * pwcheck_verify() always does one full crypt(3) computation, whatever
 * it is given, so a caller that passes NULL for an unknown user takes the
 * same time as for a known one (given a like hash as template: the
 * caller passes a hash of the same method and cost it has at hand, or
 * NULL for the built-in yescrypt one).  A hash that is empty, or locked
 * with a leading '!' or '*', never matches; the work is still done.  The
 * result is compared in constant time.
 *
 * pwcheck_hash() makes a new hash with a fresh random salt: yescrypt
 * ($y$) where libcrypt has it, else SHA-512 crypt ($6$).
 */
#ifndef POPKIT_PWCHECK_H
#define POPKIT_PWCHECK_H

#include <stddef.h>

#include "params.h"

/* 1 when password matches hash, 0 otherwise (also for hash == NULL). */
int pwcheck_verify(const char *password, const char *hash,
                   const char *template_hash);
/* Does hash look usable at all (not empty, not locked)? */
int pwcheck_usable(const char *hash);
/* Write a new hash of password into out (size outsz, at least
 * PWCHECK_HASH_MAX).  0, or -1 with errno set. */
int pwcheck_hash(const char *password, char *out, size_t outsz);

#endif
