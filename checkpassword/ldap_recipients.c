/* SPDX-License-Identifier: ISC */
/*
 * ldap_recipients.c -- checkpassword-ldap --recipients: the lookup of a
 * recipient for popkit-deliver and popkit-lmtpd, over the protocol of
 * lib/ldaprcpt.h, with the search, escaping and owner mapping of a login
 * (ldapdir.h): the account and Maildir mail goes to are the ones a login
 * of the same entry is served.
 *
 * What %u is: the whole address, or with "recipient local" its local
 * part (ldapcfg.h).  The owner is "owner", owner_attr's account, or the
 * account whose uid is the entry's uid_attr (a delivery becomes an
 * account by name, as with the users file); uid 0 and uids under
 * min_uid are refused as at login, and the recipient is then unknown.
 * One connection serves many lookups; when the directory fails one,
 * the answer is TEMP and the next lookup connects anew.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpw.h"
#include "ldapdir.h"
#include "log.h"
#include "params.h"
#include "usage.h"
#include "userdb.h"

static const char usage[] =
    "usage: checkpassword-ldap --recipients [-c FILE] [--syslog]\n"
    "  Answer the recipient lookups of popkit-deliver and popkit-lmtpd\n"
    "  (--ldap=FILE) on stdin and stdout from the LDAP directory that\n"
    "  FILE (default " LDAPCFG_FILE ") describes.\n";

/* A lookup that takes longer than this has failed: the caller gets EOF,
 * which is a temporary failure (it waits a little longer itself). */
static void on_deadline(int sig)
{
    (void)sig;
    _exit(CPW_TEMP);
}

static const char *parse_args(int argc, char **argv)
{
    const char *file = LDAPCFG_FILE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && *argv[i + 1])
            file = argv[++i];
        else if (strcmp(argv[i], "--syslog") == 0)
            log_syslog();
        else
            usage_misuse("checkpassword-ldap", usage, "--recipients takes "
                         "-c FILE and --syslog only, got '%s'", argv[i]);
    }
    return file;
}

/* What the lookup of one address came to. */
struct answer {
    int found;              /* 1 account, 0 none, -1 temporary */
    char owner[USERDB_OWNER_MAX + 1];
    const char *home, *maildir;
    const char *why;        /* for TEMP, a static string */
};

/* A path from the directory fit for the answer: absolute, printable
 * (no tab or LF to break the line), as long as a users file's home. */
static int path_ok(const char *p)
{
    return p && userdb_valid_home(p);
}

/* The owner's account name into ans->owner; 0, or CPW_BAD / CPW_TEMP
 * (logged). */
static int owner_name(const struct ldapcfg *c, const struct ldapdir_account *a,
                      struct answer *ans)
{
    struct ldapdir_owner o;
    int rc = ldapdir_owner(c, a, &o);
    const char *name;

    if (rc)
        return rc;
    name = o.name;
    if (!name) {
        struct passwd *pw = getpwuid(o.uid);
        if (!pw) {
            log_error("%s: uid %lu has no account on this host to deliver as",
                      a->dn_shown, (unsigned long)o.uid);
            return CPW_TEMP;
        }
        name = pw->pw_name;
    }
    size_t n = strlen(name);
    if (!userdb_valid_owner(name) || n >= sizeof ans->owner) {
        log_error("%s: owner is not a usable account name", a->dn_shown);
        return CPW_TEMP;
    }
    memcpy(ans->owner, name, n + 1);
    return 0;
}

/* The answer for the entry found. */
static void from_entry(const struct ldapcfg *c, const struct ldapdir_account *a,
                       struct answer *ans)
{
    int rc = owner_name(c, a, ans);

    ans->found = rc == 0 ? 1 : rc == CPW_BAD ? 0 : -1;
    ans->why = "the entry names no usable owner (see the log)";
    if (ans->found != 1)
        return;
    if (!path_ok(a->home)) {
        log_error("%s: no absolute %s", a->dn_shown, c->home_attr);
        ans->found = -1;
        ans->why = "the entry has no usable home (see the log)";
    } else if (a->maildir && !path_ok(a->maildir)) {
        log_error("%s: %s is not an absolute path", a->dn_shown,
                  c->maildir_attr);
        ans->found = -1;
        ans->why = "the entry has no usable Maildir (see the log)";
    }
    ans->home = a->home;
    ans->maildir = a->maildir ? a->maildir : "";
}

/* Look address up on *ld (connected here when NULL; dropped after a
 * failure, so the next lookup connects anew), and answer. */
static void lookup(const struct ldapcfg *c, const char *bind_pw, LDAP **ld,
                   const char *address)
{
    struct ldapdir_account a = { 0 };
    struct answer ans = { .found = -1, .why = "the directory is unavailable" };
    size_t n = strlen(address);
    const char *at = strrchr(address, '@');

    if (c->recipient == LDAPCFG_RCPT_LOCAL && at)
        n = (size_t)(at - address);
    alarm(c->timeout + 3 * c->op_timeout + 1);
    if (!*ld)
        *ld = ldapdir_open(c, bind_pw);
    if (*ld) {
        int found = ldapdir_find(*ld, c, address, n, 0, &a);
        if (found > 0)
            from_entry(c, &a, &ans);
        else
            ans.found = found;
    }
    if (ans.found < 0 && *ld) {
        ldap_unbind_ext_s(*ld, NULL, NULL);
        *ld = NULL;
    }
    alarm(0);
    if (ans.found > 0)
        printf("OK\t%s\t%s\t%s\n", ans.owner, ans.home, ans.maildir);
    else if (ans.found == 0)
        printf("NO\n");
    else
        printf("TEMP\t%s\n", ans.why);
    fflush(stdout);
    ldapdir_account_free(&a);
}

/* One request line into buf, its LF taken off.  1, or 0 at the end. */
static int next_request(char *buf, size_t size)
{
    size_t n;
    if (!fgets(buf, (int)size, stdin))
        return 0;
    n = strlen(buf);
    if (n == 0 || buf[n - 1] != '\n')
        return 0;   /* too long, or a NUL: not our caller; stop */
    buf[n - 1] = '\0';
    return 1;
}

int ldap_recipients_main(int argc, char **argv)
{
    struct ldapcfg c;
    char *bind_pw = NULL, address[USERDB_ADDRESS_MAX + 2];
    LDAP *ld = NULL;
    const char *file = parse_args(argc, argv);
    int rc = ldapdir_setup(file, &c, &bind_pw);

    if (rc) {
        ldapdir_pw_free(bind_pw);
        ldapcfg_free(&c);
        return rc;
    }
    signal(SIGALRM, on_deadline);
    while (next_request(address, sizeof address)) {
        if (userdb_valid_address(address)) {
            lookup(&c, bind_pw ? bind_pw : "", &ld, address);
        } else {
            printf("NO\n");
            fflush(stdout);
        }
    }
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    ldapdir_pw_free(bind_pw);
    ldapcfg_free(&c);
    return 0;
}
