/* SPDX-License-Identifier: ISC */
/*
 * maildir_name.h -- what maildir_name.c gives the other lib/maildir files
 * beyond maildir.h, for the layers above it (maildir.c says which).
 * Not a contract: programs use maildir.h.
 */
#ifndef POPKIT_MAILDIR_NAME_H
#define POPKIT_MAILDIR_NAME_H

#include <stdint.h>

/* 1..maxdigits decimal digits at s, stopping at the first non-digit
 * (*end).  0, or -1 when there are none or too many. */
int maildir_parse_digits(const char *s, int maxdigits, uint64_t *val,
                         const char **end);

/* Compare two names by their part before ':' (the name without flags,
 * which a message keeps for life): <0, 0, >0 as strcmp. */
int maildir_name_keycmp(const char *a, const char *b);

#endif
