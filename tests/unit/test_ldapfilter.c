/* SPDX-License-Identifier: ISC */
/* test_ldapfilter.c -- lib/ldapfilter: the login escaped as RFC 4515
 * wants it (so no login can widen or extend the filter), templates
 * checked, filters built. */
#include <stdlib.h>
#include <string.h>

#include "ldapfilter.h"
#include "tap.h"

static void esc(const char *s, size_t n, const char *want, const char *what)
{
    char out[64];
    size_t len = ldapfilter_escape(out, sizeof out, s, n);
    is_str(out, want, what);
    is_int(len, strlen(want), what);
}

static void escaping(void)
{
    esc("alice", 5, "alice", "plain login unchanged");
    esc("*", 1, "\\2a", "'*' (any entry) escaped");
    esc("(", 1, "\\28", "'(' escaped");
    esc(")", 1, "\\29", "')' escaped");
    esc("\\", 1, "\\5c", "'\\' escaped");
    esc("a\0b", 3, "a\\00b", "NUL escaped, and what follows it kept");
    esc(")(uid=*", 7, "\\29\\28uid=\\2a", "')(uid=*' cannot close the filter");
    esc("*)(|(uid=*", 10, "\\2a\\29\\28|\\28uid=\\2a",
        "'*)(|(uid=*': every special byte escaped");
    esc("j\xc3\xbcrgen", 7, "j\xc3\xbcrgen", "UTF-8 kept as it is");
    esc("", 0, "", "empty login");
}

/* Too little room: as much as fits, never half an escape, terminated,
 * and the length the whole would take. */
static void short_room(void)
{
    char out[5];
    memset(out, 'X', sizeof out);
    is_int(ldapfilter_escape(out, sizeof out, "ab*cd", 5), 7,
           "too small: the needed length returned");
    is_str(out, "ab", "too small: no half escape, terminated");
    is_int(ldapfilter_escape(NULL, 0, "**", 2), 6, "cap 0: just the length");
    memset(out, 'X', sizeof out);
    is_int(ldapfilter_escape(out, 4, "abc", 3), 3, "exactly fits (with NUL)");
    is_str(out, "abc", "exactly fits: all of it");
}

static void check(const char *tmpl, int want, const char *what)
{
    const char *why = "";
    int got = ldapfilter_check(tmpl, &why);
    ok(got == want, "%s (%s)", what, got ? "accepted" : why);
}

static void templates(void)
{
    check("(uid=%u)", 1, "simple template");
    check("(&(objectClass=posixAccount)(uid=%u))", 1, "the default");
    check("(|(mail=%u)(uid=%u))", 1, "two %u");
    check("(&(uid=%u)(descr=100%%))", 1, "%% is a percent");
    check("uid=%u", 0, "no parentheses");
    check("(uid=%s)", 0, "%s is not a key");
    check("(uid=%u", 0, "unbalanced");
    check("(uid=%u))", 0, "a ')' too many");
    check("(uid=%u)(x=y)", 0, "two filters side by side");
    check("(uid=alice)", 0, "no %u");
    check("(uid=%u)%", 0, "a lone % at the end");
}

static void build(const char *tmpl, const char *login, size_t n,
                  const char *want, const char *what)
{
    char *f = ldapfilter_build(tmpl, login, n);
    is_str(f ? f : "(null)", want, what);
    free(f);
}

static void building(void)
{
    build("(uid=%u)", "alice", 5, "(uid=alice)", "built");
    build("(uid=%u)", "*", 1, "(uid=\\2a)", "'*' matches only a login '*'");
    build("(&(objectClass=posixAccount)(uid=%u))", ")(uid=*", 7,
          "(&(objectClass=posixAccount)(uid=\\29\\28uid=\\2a))",
          "')(uid=*' stays inside its assertion");
    build("(|(mail=%u)(uid=%u))", "a(b", 3, "(|(mail=a\\28b)(uid=a\\28b))",
          "every %u replaced");
    build("(&(uid=%u)(d=5%%))", "x", 1, "(&(uid=x)(d=5%))", "%% becomes %");
    build("(uid=%u)", "a\0*", 3, "(uid=a\\00\\2a)", "NUL in the login escaped");
}

int main(void)
{
    escaping();
    short_room();
    templates();
    building();
    return tap_done();
}
