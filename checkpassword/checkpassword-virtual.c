/* SPDX-License-Identifier: ISC */
/*
 * checkpassword-virtual -f FILE PROG... -- stage 2 for virtual users.
 *
 * Reads login\0password\0timestamp\0 from fd 3, finds the login in the
 * users file (popkit-users(5)), checks the password with crypt(3) -- or,
 * for an APOP attempt, the digest against the user's APOP secret -- then
 * becomes the user's owner and execs PROG with USER, HOME and SHELL set.
 * Exit 1: bad or unknown login (the same work either way); 2: misuse;
 * 111: the file or the owner could not be used.
 *
 * Linked statically and without NSS (the owner is a local account, read
 * from /etc/passwd and /etc/group): a login is one exec, and a dynamic
 * one spent more on ld.so and nsswitch's modules than on its own work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpw.h"
#include "cpw_args.h"
#include "acctfile.h"
#include "log.h"
#include "md5.h"
#include "params.h"
#include "privdrop.h"
#include "pwcheck.h"
#include "userdb.h"
#include "util.h"

#define APOP_DIGEST_HEX 32
#define DEFAULT_USERS CPW_USERS_FILE

static const char usage[] =
    "usage: checkpassword-virtual [-f FILE] [--syslog] PROG...\n"
    "  Check the credentials on fd 3 against the virtual users FILE\n"
    "  (popkit-users(5), default " DEFAULT_USERS "),\n"
    "  then run PROG as the user's owner. Exit 1: bad login, 2: misuse,\n"
    "  111: temporary failure.\n";

static int is_hex32(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return i == APOP_DIGEST_HEX;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

/* MD5(timestamp . secret) as lowercase hex into out[33]; secret is the
 * hex-encoded secret from the users file. */
static void apop_digest(const char *timestamp, const char *hexsecret,
                        char out[APOP_DIGEST_HEX + 1])
{
    unsigned char secret[USERDB_APOP_SECRET_MAX], md[MD5_DIGEST_LEN];
    size_t n = strlen(hexsecret) / 2;
    struct md5_ctx ctx;

    if (n > sizeof secret)
        n = sizeof secret;
    for (size_t i = 0; i < n; i++)
        secret[i] = (unsigned char)(hexval(hexsecret[2 * i]) << 4
                                    | hexval(hexsecret[2 * i + 1]));
    md5_init(&ctx);
    md5_update(&ctx, timestamp, strlen(timestamp));
    md5_update(&ctx, secret, n);
    md5_final(&ctx, md);
    md5_hex(md, out);
    wipe(md, sizeof md);
    wipe(secret, sizeof secret);
}

/* Compare the client's digest with ours; 1 on a match.  A user without
 * a secret is checked against a dummy one and never matches. */
static int apop_verify(const struct cpw_creds *c, const char *hexsecret)
{
    char want[APOP_DIGEST_HEX + 1], got[APOP_DIGEST_HEX + 1];
    int usable = hexsecret && *hexsecret, match;

    apop_digest(c->timestamp, usable ? hexsecret : "00", want);
    for (size_t i = 0; i <= APOP_DIGEST_HEX; i++)
        got[i] = c->password[i] >= 'A' && c->password[i] <= 'F'
                     ? (char)(c->password[i] + 32) : c->password[i];
    match = memeq_ct(want, got, APOP_DIGEST_HEX) == 0;
    wipe(want, sizeof want);
    wipe(got, sizeof got);
    return usable && match;
}

/* An APOP attempt: the greeter sent a challenge and a 32-hex digest.  A
 * greeter that always sends its timestamp (qmail-popup) still gets
 * USER/PASS checked by password when the password is anything else. */
static int is_apop(const struct cpw_creds *c)
{
    return c->timestamp[0] != '\0' && is_hex32(c->password);
}

/* 1 when the credentials are right for e (NULL: unknown user). */
static int check(const struct cpw_creds *c, const struct userdb_entry *e,
                 const char *tmpl)
{
    if (is_apop(c))
        return apop_verify(c, e ? e->apop : NULL) && e != NULL;
    return pwcheck_verify(c->password, e ? e->hash : NULL, tmpl) && e != NULL;
}

/* Why an owner cannot be used, for the log. */
static void log_owner_missing(const struct userdb_entry *e, int rc)
{
    if (rc < 0)
        log_error("owner %s of %s: cannot read %s or %s: %s", e->owner,
                  e->address, ACCTFILE_PASSWD, ACCTFILE_GROUP,
                  strerror(errno));
    else
        log_error("owner %s of %s: no such local account in %s (owners"
                  " must be local: this program does not use NSS, see"
                  " popkit-users(5))", e->owner, e->address,
                  ACCTFILE_PASSWD);
}

/* Become the owner and run prog; returns only on failure (111).  The
 * owner comes from /etc/passwd and /etc/group, not NSS: see
 * acctfile.h. */
static int run_as_owner(const struct userdb_entry *e, char **prog)
{
    struct acctfile a;
    const char *why;
    int rc = acctfile_find(ACCTFILE_PASSWD, ACCTFILE_GROUP, e->owner, &a);

    if (rc != 1) {
        log_owner_missing(e, rc);
        return CPW_TEMP;
    }
    if (a.uid == 0) {
        log_error("owner %s of %s has uid 0: refused", e->owner, e->address);
        acctfile_free(&a);
        return CPW_TEMP;
    }
    if (privdrop_become_list(a.uid, a.gid, a.groups, a.ngroups, &why)
        || privdrop_enter(e->address, e->home, a.shell, &why)) {
        log_error("cannot become %s for %s: %s: %s", e->owner, e->address,
                  why, strerror(errno));
        acctfile_free(&a);
        return CPW_TEMP;
    }
    acctfile_free(&a);
    execvp(prog[0], prog);
    log_error("cannot run %s: %s", prog[0], strerror(errno));
    return CPW_TEMP;
}

int main(int argc, char **argv)
{
    struct cpw_creds c;
    struct userdb_entry e;
    char tmpl[PWCHECK_HASH_MAX];
    const char *file;
    size_t bad_lines = 0;
    int first, rc, found, good;

    /* First, so that a misuse (parse_args) goes where lines go (log.h):
     * to syslog when that is where they go, not onto fd 2. */
    log_init("checkpassword-virtual");
    log_connection();   /* the greeter's keys: rip, lip, session (log.h) */
    file = DEFAULT_USERS;
    first = cpw_args_file(argc, argv, "checkpassword-virtual", usage, "-f",
                          &file);
    rc = cpw_read(&c);
    if (rc)
        return rc;
    log_set_user(c.login, strlen(c.login));
    found = userdb_lookup(file, c.login, &e, tmpl, sizeof tmpl, &bad_lines);
    if (found < 0) {
        log_error("cannot read %s: %s", file, strerror(errno));
        cpw_wipe(&c);
        return CPW_TEMP;
    }
    if (bad_lines)
        log_warn("%s: %zu malformed lines ignored (see vuser list)", file,
                 bad_lines);
    good = check(&c, found ? &e : NULL, tmpl);
    cpw_wipe(&c);
    wipe(tmpl, sizeof tmpl);
    if (!good) {
        userdb_entry_free(&e);
        return CPW_BAD;
    }
    /* The secrets are not needed past this point. */
    wipe(e.hash, strlen(e.hash));
    wipe(e.apop, strlen(e.apop));
    rc = run_as_owner(&e, argv + first);
    userdb_entry_free(&e);
    return rc;
}
