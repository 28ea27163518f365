/* SPDX-License-Identifier: ISC */
/* test_sasl -- PLAIN and LOGIN decoding, authzid policy, login rules. */
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "tap.h"

static int plain(const char *msg, size_t len, struct sasl_creds *c)
{
    memset(c, 'x', sizeof *c);
    return sasl_plain(msg, len, c);
}

int main(void)
{
    struct sasl_creds c;
    char out[SASL_LINE_MAX];
    size_t len;

    is_int(sasl_mech_find("PLAIN"), SASL_MECH_PLAIN, "PLAIN");
    is_int(sasl_mech_find("login"), SASL_MECH_LOGIN, "mechanism names ignore case");
    is_int(sasl_mech_find("CRAM-MD5"), SASL_MECH_NONE, "CRAM-MD5 not offered");
    is_int(sasl_mech_find(""), SASL_MECH_NONE, "empty name");

    is_int(sasl_response("*", 1, out, sizeof out, &len), SASL_CANCEL, "* cancels");
    is_int(sasl_response("=", 1, out, sizeof out, &len), SASL_OK, "= is empty");
    is_int(len, 0, "= decodes to nothing");
    is_int(sasl_response("", 0, out, sizeof out, &len), SASL_OK, "empty line is empty");
    is_int(sasl_response("AHVzZXIAcGFzcw==", 16, out, sizeof out, &len), SASL_OK,
           "base64 response");
    is_int(len, 10, "decoded length");
    is_int(sasl_response("AHVzZXIAcGFzcw=", 15, out, sizeof out, &len),
           SASL_BAD_BASE64, "bad base64");
    is_int(sasl_response("**", 2, out, sizeof out, &len), SASL_BAD_BASE64,
           "** is not a cancel");

    /* PLAIN: authzid \0 authcid \0 passwd */
    is_int(plain("\0user\0pass", 10, &c), SASL_OK, "empty authzid");
    is_str(c.login, "user", "login");
    is_str(c.password, "pass", "password");
    is_int(plain("user\0user\0pass", 14, &c), SASL_OK, "authzid = authcid");
    is_str(c.login, "user", "login with authzid");
    is_int(plain("admin\0user\0pass", 15, &c), SASL_AUTHZID, "authzid != authcid refused");
    is_int(plain("use\0user\0pass", 13, &c), SASL_AUTHZID, "prefix authzid refused");
    is_int(plain("\0user\0", 6, &c), SASL_OK, "empty password passes to stage 2");
    is_str(c.password, "", "empty password");
    is_int(plain("\0\0pass", 6, &c), SASL_BAD_FORMAT, "empty authcid");
    is_int(plain("\0userpass", 9, &c), SASL_BAD_FORMAT, "one NUL");
    is_int(plain("userpass", 8, &c), SASL_BAD_FORMAT, "no NUL");
    is_int(plain("\0user\0pa\0ss", 11, &c), SASL_BAD_FORMAT, "NUL in password");
    is_int(plain("\0us\ter\0pass", 11, &c), SASL_BAD_FORMAT, "TAB in login");
    is_int(plain("\0us\rer\0pass", 11, &c), SASL_BAD_FORMAT, "CR in login");
    is_int(plain("\0user\0pa\rss", 11, &c), SASL_BAD_FORMAT, "CR in password");
    is_int(plain("\0us\xc3\xa9r\0pass", 11, &c), SASL_OK, "UTF-8 login");
    is_int(plain("\0us\xe9r\0pass", 10, &c), SASL_BAD_FORMAT, "Latin-1 login is not UTF-8");
    is_int(plain("\0\xc0\xafx\0pass", 9, &c), SASL_BAD_FORMAT, "overlong UTF-8");
    is_int(plain("\0\xed\xa0\x80x\0pass", 10, &c), SASL_BAD_FORMAT, "UTF-16 surrogate");
    is_int(plain("\0us%er\0p\xe9ss", 11, &c), SASL_OK, "% and 8-bit password pass through");

    /* Size: login\0password\0\0 must fit CPW_MAX. */
    char big[CPW_MAX + 8];
    memset(big, 'a', sizeof big);
    big[0] = '\0';
    big[10] = '\0';
    is_int(plain(big, CPW_MAX - 1, &c), SASL_OK, "largest payload that fits");
    is_int(plain(big, CPW_MAX, &c), SASL_TOO_LONG, "one byte more is refused");

    /* LOGIN fields. */
    char f[CPW_MAX];
    is_int(sasl_login_field("user", 4, f, sizeof f, 1), SASL_OK, "LOGIN user");
    is_str(f, "user", "LOGIN user copied");
    is_int(sasl_login_field("", 0, f, sizeof f, 1), SASL_BAD_FORMAT, "empty user");
    is_int(sasl_login_field("", 0, f, sizeof f, 0), SASL_OK, "empty password");
    is_int(sasl_login_field("a\0b", 3, f, sizeof f, 0), SASL_BAD_FORMAT, "NUL in password");
    is_int(sasl_login_field("a\0b", 3, f, sizeof f, 1), SASL_BAD_FORMAT, "NUL in user");
    is_int(sasl_login_field(big + 1, CPW_MAX, f, sizeof f, 0), SASL_TOO_LONG,
           "overlong LOGIN field");

    ok(sasl_login_valid("bob@example.org", 15), "address is a login");
    ok(!sasl_login_valid("a\x7f", 2), "DEL refused");
    ok(!sasl_login_valid("\xc3", 1), "truncated UTF-8 refused");
    ok(sasl_login_valid("\xf0\x9f\x98\x80", 4), "4-byte UTF-8 accepted");
    ok(!sasl_login_valid("\xf4\x90\x80\x80", 4), "beyond U+10FFFF refused");

    /* The mechanism table: what AUTH dispatches on and CAPA lists. */
    const struct sasl_mechanism *m = sasl_mechanism_find("plain");
    ok(m && strcmp(m->name, "PLAIN") == 0 && m->id == SASL_MECH_PLAIN &&
       m->steps == 1 && strcmp(m->challenges[0], "") == 0,
       "PLAIN: one response after an empty challenge");
    is_int(m ? m->take(&c, 0, "\0bob\0pw", 7) : -99, SASL_OK, "PLAIN takes one NUL-separated message");
    ok(strcmp(c.login, "bob") == 0 && strcmp(c.password, "pw") == 0,
       "PLAIN's take fills login and password");
    is_int(m ? m->take(&c, 0, "admin\0bob\0pw", 12) : -99, SASL_AUTHZID,
           "PLAIN's take keeps the authzid rule");
    m = sasl_mechanism_find("LOGIN");
    ok(m && m->id == SASL_MECH_LOGIN && m->steps == 2 &&
       strcmp(m->challenges[0], "VXNlcm5hbWU6") == 0 &&
       strcmp(m->challenges[1], "UGFzc3dvcmQ6") == 0,
       "LOGIN: Username: then Password:, base64");
    memset(&c, 'x', sizeof c);
    is_int(m ? m->take(&c, 0, "carol", 5) : -99, SASL_OK, "LOGIN step 0 is the user");
    is_int(m ? m->take(&c, 1, "s3cret", 6) : -99, SASL_OK, "LOGIN step 1 the password");
    ok(strcmp(c.login, "carol") == 0 && strcmp(c.password, "s3cret") == 0,
       "LOGIN's take fills each field from its step");
    is_int(m ? m->take(&c, 0, "", 0) : -99, SASL_BAD_FORMAT, "LOGIN's user may not be empty");
    ok(sasl_mechanism_find("CRAM-MD5") == NULL, "no entry for CRAM-MD5");
    size_t nmech = 0;
    for (const struct sasl_mechanism *t = sasl_mechanisms; t->name; t++)
        nmech += sasl_mechanism_find(t->name) == t && t->steps > 0 && t->take;
    is_int(nmech, 2, "every entry found by its name, with steps and a take");

    ok(strlen(sasl_strerror(SASL_AUTHZID)) > 0, "errors have text");
    sasl_wipe(&c);
    is_int(c.login[0] | c.password[0] | c.password[CPW_MAX], 0, "wipe clears");
    {
        /* Found by tests/fuzz/fuzz_sasl: LOGIN checked each field alone,
         * so a user name and a password that each fit but not together
         * passed, though the credentials must fit the checkpassword
         * payload as PLAIN's must. */
        const struct sasl_mechanism *lm = sasl_mechanism_find("LOGIN");
        static char half[CPW_MAX];
        memset(half, 'a', sizeof half);
        sasl_wipe(&c);
        is_int(lm->take(&c, 0, half, CPW_MAX / 2 + 1), SASL_OK, "LOGIN: a long user name alone fits");
        is_int(lm->take(&c, 1, half, CPW_MAX / 2 + 1), SASL_TOO_LONG,
               "LOGIN: with as long a password it does not fit the payload");
        sasl_wipe(&c);
        is_int(lm->take(&c, 0, half, 10), SASL_OK, "LOGIN: a short user name");
        is_int(lm->take(&c, 1, half, CPW_MAX - 13), SASL_OK,
               "LOGIN: the longest password that fits beside it");
        sasl_wipe(&c);
        is_int(lm->take(&c, 0, half, 10), SASL_OK, "LOGIN: a short user name, again");
        is_int(lm->take(&c, 1, half, CPW_MAX - 12), SASL_TOO_LONG,
               "LOGIN: one byte more does not fit");
        sasl_wipe(&c);
    }
    return tap_done();
}
