/*
 * crypt_count.c -- an LD_PRELOAD shim for the checkpassword tests only:
 * every crypt_r(3) call appends one line to $CRYPT_COUNT_LOG naming the
 * method and cost of the setting it was given ("$y$j9T", "$6$rounds=N"
 * or "$6"), never the salt or the password.  "The same work for an
 * unknown user as for a bad password" is then a count and a comparison,
 * not a timing.
 *
 * SHA-512 crypt ("$6$") is computed on OpenSSL's block function
 * (lib/sha512crypt.h), not by crypt_r: the shim counts the calls of
 * SHA512_Transform and keeps the running count, one line, in
 * $SHA512_COUNT_LOG (rewritten at each call, since a successful login
 * execs away without running any exit handler).
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef char *crypt_r_fn(const char *, const char *, struct crypt_data *);

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

char *crypt_r(const char *phrase, const char *setting, struct crypt_data *cd)
{
    crypt_r_fn *real = (crypt_r_fn *)dlsym(RTLD_NEXT, "crypt_r");
    const char *log = getenv("CRYPT_COUNT_LOG");
    if (log && setting) {
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "%.*s\n", (int)cost_part(setting), setting);
            fclose(f);
        }
    }
    return real ? real(phrase, setting, cd) : NULL;
}

/* OpenSSL's prototype without its header (and its deprecation mark). */
typedef void sha512_transform_fn(void *, const unsigned char *);
void SHA512_Transform(void *c, const unsigned char *data);

void SHA512_Transform(void *c, const unsigned char *data)
{
    static sha512_transform_fn *real;
    static int fd = -2;
    if (!real)
        real = (sha512_transform_fn *)dlsym(RTLD_NEXT, "SHA512_Transform");
    if (fd == -2) {
        const char *log = getenv("SHA512_COUNT_LOG");
        fd = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
                 : -1;
    }
    if (fd >= 0) {
        static unsigned long count;
        char line[32];
        int n = snprintf(line, sizeof line, "%lu\n", ++count);
        if (pwrite(fd, line, (size_t)n, 0) != n)
            abort();
    }
    real(c, data);
}
