/* SPDX-License-Identifier: ISC */
/*
 * crypt_count.c -- an LD_PRELOAD shim for the checkpassword tests only:
 * every call of libxcrypt's hashing entry points (crypt_rn, the one
 * popkit uses, and crypt_r, crypt_ra, crypt, so a stray call of another
 * one is counted too) appends one line to $CRYPT_COUNT_LOG naming the
 * method and cost of the setting it was given ("$y$j9T", "$6$rounds=N"
 * or "$6"), never the salt or the password.  "The same work for an
 * unknown user as for a bad password" is then a count and a comparison,
 * not a timing.
 */
#include <crypt.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef char *crypt_rn_fn(const char *, const char *, void *, int);
typedef char *crypt_r_fn(const char *, const char *, struct crypt_data *);
typedef char *crypt_ra_fn(const char *, const char *, void **, int *);
typedef char *crypt_fn(const char *, const char *);

/* Length of the method-and-cost part of setting. */
static size_t cost_part(const char *s)
{
    const char *p;
    if (s[0] != '$')
        return 0;                           /* DES: no method, no cost */
    p = strchr(s + 1, '$');                 /* end of the method id */
    if (!p)
        return strlen(s);
    if (strncmp(s, "$y$", 3) == 0 || strncmp(p + 1, "rounds=", 7) == 0) {
        const char *q = strchr(p + 1, '$'); /* yescrypt params, rounds= */
        return q ? (size_t)(q - s) : strlen(s);
    }
    return (size_t)(p - s);
}

/* One line a hash computed; written before the exec a login ends in. */
static void count(const char *setting)
{
    const char *log = getenv("CRYPT_COUNT_LOG");
    if (log && setting) {
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "%.*s\n", (int)cost_part(setting), setting);
            fclose(f);
        }
    }
}

char *crypt_rn(const char *phrase, const char *setting, void *data, int size)
{
    crypt_rn_fn *real = (crypt_rn_fn *)dlsym(RTLD_NEXT, "crypt_rn");
    count(setting);
    return real ? real(phrase, setting, data, size) : NULL;
}

char *crypt_r(const char *phrase, const char *setting, struct crypt_data *cd)
{
    crypt_r_fn *real = (crypt_r_fn *)dlsym(RTLD_NEXT, "crypt_r");
    count(setting);
    return real ? real(phrase, setting, cd) : NULL;
}

char *crypt_ra(const char *phrase, const char *setting, void **data, int *size)
{
    crypt_ra_fn *real = (crypt_ra_fn *)dlsym(RTLD_NEXT, "crypt_ra");
    count(setting);
    return real ? real(phrase, setting, data, size) : NULL;
}

char *crypt(const char *phrase, const char *setting)
{
    crypt_fn *real = (crypt_fn *)dlsym(RTLD_NEXT, "crypt");
    count(setting);
    return real ? real(phrase, setting) : NULL;
}
