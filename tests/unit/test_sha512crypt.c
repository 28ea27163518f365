/* test_sha512crypt.c -- the OpenSSL-based SHA-512 crypt gives exactly
 * what libcrypt gives, and declines what it does not take. */
#include "config.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "sha512crypt.h"
#include "tap.h"

static const char alphabet[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* libcrypt's answer, or "*" when it refuses the setting. */
static const char *reference(const char *pw, const char *setting)
{
    static struct crypt_data cd;
    const char *h = crypt_r(pw, setting, &cd);
    return h ? h : "*";
}

/* Does ours equal libcrypt's for pw and setting?  Prints the first
 * difference. */
static int same(const char *pw, const char *setting)
{
    char out[SHA512CRYPT_MAX];
    if (sha512crypt(pw, setting, out) != 0) {
        printf("# declined: %s\n", setting);
        return 0;
    }
    const char *want = reference(pw, setting);
    if (strcmp(out, want) != 0) {
        printf("# pw len %zu, setting %s\n#  got  %s\n#  want %s\n",
               strlen(pw), setting, out, want);
        return 0;
    }
    return 1;
}

/* Known answers from Drepper's specification, which libcrypt must give
 * too: the test is not only "like libcrypt". */
static void spec_vectors(void)
{
    char out[SHA512CRYPT_MAX];
    sha512crypt("Hello world!", "$6$saltstring", out);
    is_str(out, "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3u"
                "BnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "spec vector 1");
    /* Vector 2's salt has 20 characters: libcrypt cuts it, we decline. */
    is_int(sha512crypt("Hello world!", "$6$rounds=10000$saltstringsaltstring",
                       out), -1, "spec vector 2 (over-long salt) is declined");
    sha512crypt("we have a short salt string but not a short password",
                "$6$rounds=77777$short", out);
    is_str(out, "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoM"
                "xIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0",
           "spec vector 3");
    sha512crypt("a short string", "$6$rounds=123456$asaltof16chars..", out);
    is_str(out, "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE"
                "8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1",
           "spec vector 4");
}

/* Random passwords of every length from 0 to 130 (one-block rounds up to
 * 15, several blocks beyond) and salts of every length from 1 to 16. */
static void random_inputs(void)
{
    char pw[CPW_MAX + 1], setting[64];
    int bad = 0, n = 0;
    srand(1939);
    for (size_t pl = 0; pl <= 130; pl++) {
        size_t sl = 1 + pl % 16;
        for (size_t i = 0; i < pl; i++)
            pw[i] = (char)(1 + rand() % 255);   /* any byte but NUL */
        pw[pl] = '\0';
        strcpy(setting, "$6$");
        for (size_t i = 0; i < sl; i++)
            setting[3 + i] = alphabet[rand() % 64];
        strcpy(setting + 3 + sl, "$");
        bad += !same(pw, setting);
        n++;
    }
    ok(bad == 0, "%d random passwords (lengths 0-130) as libcrypt", n);

    /* Around the one-block limit (2 * password + salt <= 47), with
     * custom round counts. */
    bad = n = 0;
    for (int k = 0; k < 400; k++) {
        size_t pl = (size_t)(rand() % 41), sl = 1 + (size_t)(rand() % 16);
        for (size_t i = 0; i < pl; i++)
            pw[i] = (char)(1 + rand() % 255);
        pw[pl] = '\0';
        int len = snprintf(setting, sizeof setting, "$6$rounds=%d$",
                           1000 + rand() % 100);
        for (size_t i = 0; i < sl; i++)
            setting[len++] = alphabet[rand() % 64];
        setting[len] = '\0';
        bad += !same(pw, setting);
        n++;
    }
    ok(bad == 0, "%d random passwords (0-40) with rounds=1000-1099", n);
}

static void edges(void)
{
    char pw[PWCHECK_PASSWORD_MAX + 2];
    memset(pw, 'x', PWCHECK_PASSWORD_MAX);
    pw[PWCHECK_PASSWORD_MAX] = '\0';
    ok(same(pw, "$6$abc$"), "a %d-byte password (the longest a client can "
       "send) as libcrypt", PWCHECK_PASSWORD_MAX);
    pw[PWCHECK_PASSWORD_MAX] = 'x';
    pw[PWCHECK_PASSWORD_MAX + 1] = '\0';
    char out[SHA512CRYPT_MAX];
    is_int(sha512crypt(pw, "$6$abc$", out), -1,
           "a longer password is declined (libcrypt's to answer)");
    ok(same("secret", "$6$rounds=1000$abc$"), "rounds=1000 (the minimum)");
    ok(same("secret", "$6$rounds=5000$abc$"),
       "rounds=5000 written out is kept in the output");
    ok(same("secret", "$6$rounds=1234$0123456789abcdef$"),
       "custom rounds and a 16-character salt");
    ok(same("secret", "$6$abc"), "a setting without the closing '$'");
    char full[SHA512CRYPT_MAX];
    sha512crypt("secret", "$6$abc$", full);
    ok(same("secret", full), "a whole hash as the setting");
    ok(same("", "$6$z$"), "the empty password");

    static const char *const declined[] = {
        "$6$rounds=999$abc$", "$6$rounds=01000$abc$", "$6$rounds=$abc$",
        "$6$rounds=1000000000$abc$", "$6$rounds=99999999999999999999$a$",
        "$6$$", "$6$ab*c$", "$6$ab:c$", "$6$abcdefghijklmnopq$",
        "$5$abc$", "$y$j9T$abc$", "$6", "", "abc",
    };
    int all = 1;
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++) {
        if (sha512crypt("secret", declined[i], out) != -1) {
            printf("# taken: %s\n", declined[i]);
            all = 0;
        }
    }
    ok(all, "non-canonical settings and other schemes are declined");
}

int main(void)
{
    spec_vectors();
    random_inputs();
    edges();
    return tap_done();
}
