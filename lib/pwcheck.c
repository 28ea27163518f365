/* SPDX-License-Identifier: ISC */
/*
 * pwcheck.c -- crypt(3) verification with equal work for every answer
 * (pwcheck.h).  Learnt from popa3d: the dummy check for unknown users.
 */
#include "pwcheck.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A yescrypt hash at libcrypt's default cost of a string that is never a
 * password; unknown users are checked against it. */
static const char dummy_hash[] =
    "$y$j9T$Ez1UUO7OiaaBO3.8TGN2x/$X.GK7nQmEvsiKSvJC8QY82iLcBZzDnzmDUO.z0H/pt6";

int pwcheck_usable(const char *hash)
{
    return hash && hash[0] && hash[0] != '!' && hash[0] != '*';
}

/* The setting to compute with: the hash itself if usable; for a locked
 * "!$6$..." the hash behind the '!', so locking does not change timing;
 * otherwise the template, or the built-in dummy. */
static const char *work_setting(const char *hash, const char *template_hash)
{
    if (pwcheck_usable(hash))
        return hash;
    if (hash && hash[0] == '!' && pwcheck_usable(hash + 1))
        return hash + 1;
    if (pwcheck_usable(template_hash))
        return template_hash;
    return dummy_hash;
}

int pwcheck_verify(const char *password, const char *hash,
                   const char *template_hash)
{
    const char *setting = work_setting(hash, template_hash);
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *out;
    int match = 0;

    if (!cd)
        return 0;
    /* Every scheme goes to libxcrypt: no hashing code of our own.
     * crypt_rn returns NULL on failure, never a "*" string. */
    out = crypt_rn(password, setting, cd, (int)sizeof *cd);
    if (out && pwcheck_usable(hash)) {
        size_t n = strlen(hash);
        match = strlen(out) == n && memeq_ct(out, hash, n) == 0;
    }
    wipe(cd, sizeof *cd);
    free(cd);
    return match;
}

/* A fresh salt for prefix ("$y$" or "$6$"); 0 or -1. */
static int make_setting(const char *prefix, char *setting, size_t n)
{
    return crypt_gensalt_rn(prefix, 0, NULL, 0, setting, (int)n) ? 0 : -1;
}

int pwcheck_hash(const char *password, char *out, size_t outsz)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd;
    const char *h;
    int rc = -1;

    if (make_setting("$y$", setting, sizeof setting)
        && make_setting("$6$", setting, sizeof setting))
        return -1;
    cd = calloc(1, sizeof *cd);
    if (!cd)
        return -1;
    h = crypt_rn(password, setting, cd, (int)sizeof *cd);
    if (h && strlen(h) < outsz) {
        strcpy(out, h);
        rc = 0;
    } else {
        errno = EINVAL;
    }
    wipe(cd, sizeof *cd);
    free(cd);
    return rc;
}
