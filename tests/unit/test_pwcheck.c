/* SPDX-License-Identifier: ISC */
/* test_pwcheck.c -- crypt(3) verification and hash generation. */
#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include "pwcheck.h"
#include "tap.h"

/* A hash of pw made by libcrypt directly with the given setting. */
static const char *hash_with(const char *pw, const char *prefix, char *out)
{
    const char *setting = crypt_gensalt(prefix, 0, NULL, 0);
    const char *h = setting ? crypt(pw, setting) : NULL;
    snprintf(out, PWCHECK_HASH_MAX, "%s", h ? h : "*");
    return out;
}

static void methods(void)
{
    static const char *const prefixes[] = {"$y$", "$6$", "$5$", "$1$", ""};
    static const char *const names[] = {"yescrypt", "SHA-512", "SHA-256",
                                        "MD5", "DES"};
    char h[PWCHECK_HASH_MAX];
    for (size_t i = 0; i < 5; i++) {
        hash_with("s3cret", prefixes[i], h);
        if (h[0] == '*') {
            ok(1, "# SKIP %s not enabled in this libcrypt", names[i]);
            ok(1, "# SKIP %s", names[i]);
            continue;
        }
        ok(pwcheck_verify("s3cret", h, NULL), "%s hash matches", names[i]);
        ok(!pwcheck_verify("s3creT", h, NULL), "%s wrong password", names[i]);
    }
}

int main(void)
{
    char h[PWCHECK_HASH_MAX], h2[PWCHECK_HASH_MAX], locked[PWCHECK_HASH_MAX + 1];

    is_int(pwcheck_hash("correct horse", h, sizeof h), 0, "hash made");
    ok(strncmp(h, "$y$", 3) == 0 || strncmp(h, "$6$", 3) == 0,
       "yescrypt or SHA-512 crypt (%.4s)", h);
    ok(pwcheck_verify("correct horse", h, NULL), "right password matches");
    ok(!pwcheck_verify("correct horsE", h, NULL), "wrong password fails");
    ok(!pwcheck_verify("", h, NULL), "empty password fails");
    ok(!pwcheck_verify("correct horse", NULL, NULL), "no hash (unknown user) fails");
    ok(!pwcheck_verify("correct horse", NULL, h), "unknown user with template fails");
    pwcheck_hash("correct horse", h2, sizeof h2);
    ok(strcmp(h, h2) != 0, "each hash gets a fresh salt");

    snprintf(locked, sizeof locked, "!%s", h);
    ok(!pwcheck_verify("correct horse", locked, NULL), "'!' locked hash never matches");
    locked[0] = '*';
    ok(!pwcheck_verify("correct horse", locked, NULL), "'*' locked hash never matches");
    ok(!pwcheck_verify("", "", NULL), "empty hash never matches, even empty password");
    ok(!pwcheck_verify("x", "", NULL), "empty hash never matches");
    ok(!pwcheck_verify("x", "!", NULL), "bare '!' never matches");
    ok(!pwcheck_verify("x", "garbage", NULL), "garbage hash never matches");
    ok(!pwcheck_usable("") && !pwcheck_usable(NULL) && !pwcheck_usable("!x")
       && !pwcheck_usable("*") && pwcheck_usable(h), "usable()");

    methods();
    is_int(pwcheck_hash("x", h, 10), -1, "too small an output buffer is refused");
    return tap_done();
}
