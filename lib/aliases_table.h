/* SPDX-License-Identifier: ISC */
/*
 * aliases_table.h -- the bottom of lib/aliases (aliases_table.c, the
 * alias-file table: parse, find, format): the byte helpers the
 * resolution (aliases.c) shares with it.  Not a contract: programs use
 * aliases.h.
 */
#ifndef POPKIT_ALIASES_TABLE_H
#define POPKIT_ALIASES_TABLE_H

#include <stddef.h>

/* ASCII lower case: names and domains compare without the locale. */
static inline unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static inline int eq_nocase(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

#endif
