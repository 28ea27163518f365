/* SPDX-License-Identifier: ISC */
/*
 * ldapfilter.c -- the login escaped into a search filter (ldapfilter.h).
 */
#include "ldapfilter.h"

#include <stdlib.h>
#include <string.h>

/* The bytes RFC 4515 section 3 says an assertion value must escape. */
static int must_escape(unsigned char c)
{
    return c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0';
}

size_t ldapfilter_escape(char *out, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t w = must_escape(c) ? 3 : 1;
        if (len + w < cap) {
            if (w == 3) {
                out[len] = '\\';
                out[len + 1] = hex[c >> 4];
                out[len + 2] = hex[c & 15];
            } else {
                out[len] = (char)c;
            }
        } else if (len < cap) {
            cap = len + 1;   /* full: nothing more goes in */
        }
        len += w;
    }
    if (cap)
        out[len < cap ? len : cap - 1] = '\0';
    return len;
}

int ldapfilter_check(const char *tmpl, const char **why)
{
    int depth = 0, logins = 0;

    if (tmpl[0] != '(') {
        *why = "a filter starts with '('";
        return 0;
    }
    for (const char *p = tmpl; *p; p++) {
        if (*p == '%') {
            if (p[1] != 'u' && p[1] != '%') {
                *why = "'%' is followed by 'u' (the login) or '%'";
                return 0;
            }
            logins += p[1] == 'u';
            p++;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && (--depth < 0 || (depth == 0 && p[1]))) {
            depth = -1;   /* a ')' too many, or more after the last */
            break;
        }
    }
    if (depth != 0) {
        *why = "the parentheses do not match";
        return 0;
    }
    if (!logins) {
        *why = "no %u for the login";
        return 0;
    }
    return 1;
}

char *ldapfilter_build(const char *tmpl, const char *login, size_t n)
{
    size_t esc = ldapfilter_escape(NULL, 0, login, n), len = 0;
    char *out;

    for (const char *p = tmpl; *p; p++) {
        if (*p == '%')
            len += *++p == 'u' ? esc : 1;
        else
            len++;
    }
    out = malloc(len + 1);
    if (!out)
        return NULL;
    len = 0;
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            out[len++] = *p;
        else if (*++p == '%')
            out[len++] = '%';
        else
            len += ldapfilter_escape(out + len, esc + 1, login, n);
    }
    out[len] = '\0';
    return out;
}
