/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/pop3caps: the CAPA list of each state, and the
 * LOGIN-DELAY and EXPIRE option values. */
#include <string.h>

#include "pop3caps.h"
#include "tap.h"

static int has(const char *buf, const char *cap)
{
    char want[64];
    snprintf(want, sizeof want, "\r\n%s\r\n", cap);
    return strstr(buf, want) != NULL;
}

static void test_states(void)
{
    char buf[POP3CAPS_MAX];
    const char *both[] = { "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                           "PIPELINING", "UTF8 USER",
                           "IMPLEMENTATION popkit" };
    size_t n = pop3caps_format(buf, sizeof buf, POP3CAPS_LOGIN, NULL);
    ok(n > 0 && n == strlen(buf), "CAPA answer fits POP3CAPS_MAX");
    ok(strncmp(buf, "+OK", 3) == 0, "starts +OK");
    ok(n >= 5 && strcmp(buf + n - 5, "\r\n.\r\n") == 0, "ends with a dot line");
    ok(has(buf, "USER") && has(buf, "SASL PLAIN LOGIN"),
       "before login: USER and SASL PLAIN LOGIN");
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++)
        ok(has(buf, both[i]), "before login: %s", both[i]);
    ok(strstr(buf, "STLS") == NULL, "no STLS unless asked");
    ok(strstr(buf, "LOGIN-DELAY") == NULL && strstr(buf, "EXPIRE") == NULL,
       "no LOGIN-DELAY or EXPIRE unless set");

    n = pop3caps_format(buf, sizeof buf, 0, NULL);
    ok(n > 0 && !has(buf, "USER") && strstr(buf, "SASL") == NULL &&
       strstr(buf, "STLS") == NULL,
       "after login (RFC 2449 §5): no USER, SASL or STLS");
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++)
        ok(has(buf, both[i]), "after login: %s", both[i]);

    n = pop3caps_format(buf, sizeof buf, POP3CAPS_STLS, NULL);
    ok(n > 0 && has(buf, "STLS") && !has(buf, "USER"),
       "TLS required, not on: STLS, no USER");
    ok(pop3caps_format(buf, 20, 0, NULL) == 0, "too small a buffer gives 0");
}

/* The state flags and the query the greeter asks before it takes STLS
 * or lists AUTH's mechanisms. */
static void test_query(void)
{
    is_int(pop3caps_auth_flags(1, 0, 0), POP3CAPS_LOGIN, "no TLS: login only");
    is_int(pop3caps_auth_flags(0, 1, 0), POP3CAPS_STLS, "TLS required, not on: STLS only");
    is_int(pop3caps_auth_flags(1, 1, 0), POP3CAPS_LOGIN | POP3CAPS_STLS,
           "--allow-cleartext, TLS not on: both");
    is_int(pop3caps_auth_flags(1, 1, 1), POP3CAPS_LOGIN, "TLS on: no STLS again");

    ok(pop3caps_offers(POP3CAPS_STLS, "STLS"), "STLS offered with its flag");
    ok(!pop3caps_offers(POP3CAPS_LOGIN, "STLS"), "and not without");
    ok(pop3caps_offers(POP3CAPS_LOGIN, "SASL") && pop3caps_offers(POP3CAPS_LOGIN, "USER"),
       "SASL and USER while login is allowed");
    ok(!pop3caps_offers(POP3CAPS_STLS, "SASL") && !pop3caps_offers(0, "USER"),
       "not while it is refused, nor after login");
    ok(pop3caps_offers(0, "top") && pop3caps_offers(0, "UTF8"),
       "tags compare without case; a tag with arguments is found by its first word");
    ok(!pop3caps_offers(POP3CAPS_LOGIN, "US") && !pop3caps_offers(POP3CAPS_LOGIN, "PLAIN") &&
       !pop3caps_offers(0, "OK") && !pop3caps_offers(0, "") && !pop3caps_offers(0, "."),
       "a prefix, an argument, the +OK and dot lines are not tags");
}

static void test_policy(void)
{
    char buf[POP3CAPS_MAX];
    struct pop3caps_policy p = { "", "" };
    ok(pop3caps_set_login_delay(&p, "900", 0) == 0 &&
       strcmp(p.login_delay, "900") == 0, "--login-delay=900");
    ok(pop3caps_set_expire(&p, "NEVER", 0) == 0 &&
       strcmp(p.expire, "NEVER") == 0, "--expire=NEVER");
    size_t n = pop3caps_format(buf, sizeof buf, 0, &p);
    ok(n > 0 && has(buf, "LOGIN-DELAY 900") && has(buf, "EXPIRE NEVER"),
       "CAPA lists LOGIN-DELAY 900 and EXPIRE NEVER");
    ok(pop3caps_set_expire(&p, "0", 0) == 0 && strcmp(p.expire, "0") == 0,
       "--expire=0 (the client may not keep mail here)");
    ok(pop3caps_set_expire(&p, "030", 0) == 0 && strcmp(p.expire, "30") == 0,
       "leading zeros: the number as RFC 2449 writes it");
    ok(pop3caps_set_login_delay(&p, "300,USER", 1) == 0 &&
       strcmp(p.login_delay, "300 USER") == 0, "SECONDS,USER before login");
    ok(pop3caps_set_expire(&p, "NEVER,USER", 1) == 0 &&
       strcmp(p.expire, "NEVER USER") == 0, "NEVER,USER before login");
    n = pop3caps_format(buf, sizeof buf, POP3CAPS_LOGIN | POP3CAPS_STLS, &p);
    ok(n > 0 && has(buf, "LOGIN-DELAY 300 USER") && has(buf, "EXPIRE NEVER USER")
       && has(buf, "STLS"), "everything at once fits");

    strcpy(p.login_delay, "7");
    const char *bad[] = { "", "-1", "+5", " 5", "5 ", "x", "5x", "1e3",
                          "604801", "4294967296", "99999999999999999999",
                          "300,USER", "300,", ",USER", "NEVER" };
    int refused = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused += pop3caps_set_login_delay(&p, bad[i], 0) < 0;
    is_int(refused, sizeof bad / sizeof bad[0],
           "junk, negative, huge, NEVER and ,USER after login: refused");
    is_str(p.login_delay, "7", "a refused value changes nothing");
    ok(pop3caps_set_login_delay(&p, "604800", 0) == 0, "a week is the most");
    ok(pop3caps_set_login_delay(&p, "300,user", 1) < 0 &&
       pop3caps_set_login_delay(&p, "300,USER,USER", 1) < 0,
       "only ,USER exactly");
    const char *bad_exp[] = { "", "-1", "never", "NEVERx", "3651",
                              "4294967295", "30,USER" };
    refused = 0;
    for (size_t i = 0; i < sizeof bad_exp / sizeof bad_exp[0]; i++)
        refused += pop3caps_set_expire(&p, bad_exp[i], 0) < 0;
    is_int(refused, sizeof bad_exp / sizeof bad_exp[0],
           "--expire: junk, lower-case never, huge: refused");
    ok(pop3caps_set_expire(&p, "3650", 0) == 0, "ten years is the most");
}

int main(void)
{
    test_states();
    test_query();
    test_policy();
    return tap_done();
}
