/* SPDX-License-Identifier: ISC */
/* test_ldapcfg.c -- lib/ldapcfg: checkpassword-ldap's configuration
 * file, its defaults, and every kind of mistake found with its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldapcfg.h"
#include "params.h"
#include "tap.h"

static int parse(const char *text, struct ldapcfg *c, char *err, size_t n)
{
    err[0] = '\0';
    return ldapcfg_parse(text, strlen(text), c, err, n);
}

static void minimal(void)
{
    struct ldapcfg c;
    char err[200];
    int rc = parse("uri ldap://127.0.0.1:389\nbase dc=example,dc=org\n",
                   &c, err, sizeof err);
    is_int(rc, 0, "uri and base are enough");
    if (rc)
        return;
    is_str(c.uri, "ldap://127.0.0.1:389", "uri");
    is_str(c.base, "dc=example,dc=org", "base");
    is_str(c.filter, LDAPCFG_FILTER_DEFAULT, "default filter");
    is_str(c.uid_attr, "uidNumber", "default uid_attr");
    is_str(c.gid_attr, "gidNumber", "default gid_attr");
    is_str(c.home_attr, "homeDirectory", "default home_attr");
    ok(c.scope == LDAPCFG_SUB && c.auth == LDAPCFG_AUTH_BIND && !c.starttls,
       "default scope sub, auth bind, no StartTLS");
    ok(c.recipient == LDAPCFG_RCPT_ADDRESS,
       "default recipient address: %%u is a recipient's whole address");
    ok(!c.bind_dn && !c.bind_pw_file && !c.owner && !c.owner_attr
       && !c.maildir_attr && !c.ca_file && !c.dummy_dn,
       "optional keys unset");
    is_int(c.timeout, LDAPCFG_TIMEOUT, "default timeout");
    is_int(c.op_timeout, LDAPCFG_OP_TIMEOUT, "default op_timeout");
    is_int(c.min_uid, CPW_MIN_UID_DEFAULT, "default min_uid");
    ldapcfg_free(&c);
}

static void full(void)
{
    struct ldapcfg c;
    char err[200];
    int rc = parse("# a comment\n"
                   "\n"
                   "  uri   ldaps://ldap.example.org  \r\n"
                   "ca_file /etc/ssl/ca.pem\n"
                   "bind_dn cn=popkit, ou=services,dc=example,dc=org\n"
                   "bind_pw_file /etc/popkit/ldap.pw\n"
                   "base\tou=people,dc=example,dc=org\n"
                   "filter (&(objectClass=inetOrgPerson)(mail=%u))\n"
                   "scope one\n"
                   "auth compare\n"
                   "recipient local\n"
                   "owner_attr description\n"
                   "home_attr homeDirectory\n"
                   "maildir_attr mailMessageStore\n"
                   "min_uid 500\n"
                   "timeout 2\n"
                   "op_timeout 3\n"
                   "dummy_hash {crypt}$6$salt$hash\n"
                   "dummy_dn cn=nobody,dc=example,dc=org",   /* no newline */
                   &c, err, sizeof err);
    is_int(rc, 0, "every key");
    if (rc) {
        printf("# %s\n", err);
        return;
    }
    is_str(c.uri, "ldaps://ldap.example.org", "blanks and CR around a value go");
    is_str(c.bind_dn, "cn=popkit, ou=services,dc=example,dc=org",
           "blanks inside a value stay");
    is_str(c.base, "ou=people,dc=example,dc=org", "a tab separates too");
    is_str(c.filter, "(&(objectClass=inetOrgPerson)(mail=%u))", "filter");
    ok(c.scope == LDAPCFG_ONE && c.auth == LDAPCFG_AUTH_COMPARE, "scope, auth");
    ok(c.recipient == LDAPCFG_RCPT_LOCAL, "recipient local");
    is_str(c.owner_attr, "description", "owner_attr");
    is_str(c.maildir_attr, "mailMessageStore", "maildir_attr");
    is_int(c.min_uid, 500, "min_uid");
    ok(c.timeout == 2 && c.op_timeout == 3, "timeouts");
    is_str(c.dummy_dn, "cn=nobody,dc=example,dc=org", "a last line without newline");
    is_str(c.dummy_hash, "$6$salt$hash", "dummy_hash: the {CRYPT} prefix (any case) taken off");
    ldapcfg_free(&c);
}

/* Each text must fail with err containing want. */
static void bad(const char *text, const char *want, const char *what)
{
    struct ldapcfg c;
    char err[200];
    int rc = parse(text, &c, err, sizeof err);
    ok(rc == -1 && strstr(err, want), "%s: '%s'", what, err);
    if (rc == 0)
        ldapcfg_free(&c);
}

#define BASE "uri ldap://h\nbase dc=x\n"

static void mistakes(void)
{
    bad("base dc=x\n", "no uri", "uri required");
    bad("uri ldap://h\n", "no base", "base required");
    bad(BASE "frobnicate 1\n", "line 3: unknown key", "unknown key, with its line");
    bad(BASE "uri ldap://other\n", "line 3: uri given twice", "a key twice");
    bad(BASE "bind_dn\n", "line 3: bind_dn needs a value", "empty value");
    bad(BASE "starttls maybe\n", "yes or no", "starttls is yes or no");
    bad(BASE "scope subtree\n", "line 3: scope is sub, one or base", "bad scope");
    bad(BASE "auth plain\n", "bind or compare", "bad auth");
    bad(BASE "recipient domain\n", "line 3: recipient is address or local",
        "bad recipient");
    bad(BASE "timeout 0\n", "seconds", "timeout 0");
    bad(BASE "timeout 301\n", "seconds", "timeout over the maximum");
    bad(BASE "op_timeout 5s\n", "seconds", "timeout not a number");
    bad(BASE "min_uid 0\n", "uid above 0", "min_uid 0");
    bad(BASE "bind_dn cn=a\n", "go together", "bind_dn without its password file");
    bad(BASE "bind_pw_file /p\n", "go together", "password file without bind_dn");
    bad(BASE "owner vmail\nowner_attr x\n", "exclude", "owner and owner_attr");
    bad("uri ldaps://h\nbase dc=x\nstarttls yes\n", "starttls is for ldap://",
        "StartTLS on ldaps://");
    bad(BASE "filter (uid=%s)\n", "'%'", "filter with a bad %");
    bad(BASE "filter (uid=alice)\n", "no %u", "filter without the login");
    bad(BASE "filter uid=%u\n", "starts with '('", "filter without parentheses");
    bad(BASE "dummy_hash {SSHA}abc\n", "crypt(3) hash", "dummy_hash not a crypt hash");
    {
        char text[LDAPCFG_LINE_MAX + 64];
        size_t n = (size_t)snprintf(text, sizeof text, BASE "filter (uid=%%u)");
        memset(text + n, 'x', LDAPCFG_LINE_MAX);
        text[n + LDAPCFG_LINE_MAX] = '\0';
        bad(text, "line 3: line too long", "an overlong line");
    }
    {
        struct ldapcfg c;
        char err[200];
        static const char nul[] = "uri ldap://h\nbase dc=x\0y\n";
        ok(ldapcfg_parse(nul, sizeof nul - 1, &c, err, sizeof err) == -1
           && strstr(err, "line 2: base holds a NUL"), "a NUL in a value: '%s'", err);
    }
}

static void from_file(void)
{
    char path[] = "/tmp/test_ldapcfg.XXXXXX", err[200];
    struct ldapcfg c;
    int fd = mkstemp(path);
    const char text[] = "uri ldapi:///\nbase o=test\n";

    if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) {
        ok(0, "temp file");
        return;
    }
    close(fd);
    ok(ldapcfg_load(path, &c, err, sizeof err) == 0 && strcmp(c.base, "o=test") == 0,
       "loaded from a file");
    ldapcfg_free(&c);
    unlink(path);
    ok(ldapcfg_load(path, &c, err, sizeof err) == -1 && strstr(err, "cannot read"),
       "a missing file: '%s'", err);
}

int main(void)
{
    minimal();
    full();
    mistakes();
    from_file();
    return tap_done();
}
