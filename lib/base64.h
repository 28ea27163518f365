/* SPDX-License-Identifier: ISC */
/*
 * base64.h -- RFC 4648 base64, strict, for SASL (RFC 4422, RFC 5034).
 *
 * Decoding refuses anything a conforming peer does not send: a length that
 * is not a multiple of 4, characters outside the alphabet (whitespace
 * included), '=' anywhere but at the end, more than two of them, and
 * non-zero bits in the padding.  So every encoded string has exactly one
 * decoding and a hostile client cannot smuggle bytes past the parser.
 * Neither function allocates; output never exceeds the caller's size.
 */
#ifndef POPKIT_BASE64_H
#define POPKIT_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes needed to encode n bytes, plus the terminating NUL. */
#define BASE64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)
/* Upper bound of the decoded size of n base64 characters. */
#define BASE64_DECODED_MAX(n) (((n) / 4) * 3)

/* Encode in[0..n-1] into out (size outsz), NUL-terminated.  Returns the
 * length written (without the NUL), or -1 if out is too small. */
ssize_t base64_encode(const void *in, size_t n, char *out, size_t outsz);

/* Decode in[0..n-1] into out (size outsz).  Returns the decoded length,
 * or -1 for malformed input or an output that would not fit.  The output
 * is not NUL-terminated (decoded data may hold NULs). */
ssize_t base64_decode(const char *in, size_t n, void *out, size_t outsz);

#endif
