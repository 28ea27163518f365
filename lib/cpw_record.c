/* SPDX-License-Identifier: ISC */
/*
 * cpw_record.c -- the checkpassword record, login\0password\0timestamp\0,
 * packed and split in one place (cpw.h) for the four that handle it: the
 * greeter's parser and stage 1 pack it, the greeter's root part and
 * stage 2 split it.
 *
 * Both work on the caller's buffer and copy nothing elsewhere, so the
 * caller's one wipe of that buffer removes the password.  Packing checks
 * the whole length before it writes, so a record that does not fit leaves
 * no part of a password behind.
 */
#include "cpw.h"

#include <string.h>

ssize_t cpw_pack(char *buf, size_t cap, const char *login,
                 const char *password, const char *timestamp)
{
    const char *field[3] = { login, password, timestamp };
    size_t n[3], len = 0;
    if (cap > CPW_MAX)
        cap = CPW_MAX;
    for (int i = 0; i < 3; i++) {
        n[i] = strlen(field[i]) + 1;
        len += n[i];
    }
    if (len > cap)
        return -1;
    len = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(buf + len, field[i], n[i]);
        len += n[i];
    }
    return (ssize_t)len;
}

/* The field at *p, up to end: its start, with *p moved past its NUL, or
 * NULL when it has none. */
static const char *cpw_field(const char **p, const char *end)
{
    const char *start = *p;
    const char *nul = memchr(start, '\0', (size_t)(end - start));
    if (!nul)
        return NULL;
    *p = nul + 1;
    return start;
}

ssize_t cpw_unpack(const char *rec, size_t len, const char **login,
                   const char **password, const char **timestamp)
{
    const char *p = rec, *end = rec + len;
    if (len > CPW_MAX)
        return -1;
    const char *l = cpw_field(&p, end);
    const char *w = l ? cpw_field(&p, end) : NULL;
    if (!w)
        return -1;
    const char *t = "";   /* absent: login\0password\0 */
    if (p < end && !(t = cpw_field(&p, end)))
        return -1;
    *login = l;
    *password = w;
    *timestamp = t;
    return p - rec;
}
