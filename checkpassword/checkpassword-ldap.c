/* SPDX-License-Identifier: ISC */
/*
 * checkpassword-ldap [-c FILE] PROG... -- stage 2 for accounts in an
 * LDAP directory (checkpassword-ldap(8)).  With --recipients first, the
 * recipient lookup of popkit-deliver and popkit-lmtpd instead
 * (ldap_recipients.c); the directory side of both is ldapdir.c.
 *
 * Reads login\0password\0timestamp\0 from fd 3; connects to the
 * directory of the configuration FILE (lib/ldapcfg.h) over ldaps:// or
 * StartTLS, binds as the search DN with the password from its file,
 * finds the login's one entry by the configured filter (the login
 * escaped, lib/ldapfilter.h), and checks the password by binding as
 * that entry or, with "auth compare", against its {CRYPT} userPassword
 * through libxcrypt (lib/pwcheck.h).  Then it becomes the entry's owner
 * and execs PROG with USER, HOME, SHELL (and MAILDIR) set.
 *
 * Exit 1: bad or unknown login, the same work either way (a bind as the
 * dummy DN, or a crypt of the built-in hash, for an unknown one); 2:
 * misuse; 111: the configuration, the directory (down, slow, refusing
 * the search DN) or the owner could not be used.  A directory that is
 * down is never a bad password.
 */
#include <errno.h>
#include <ldap.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpw.h"
#include "cpw_args.h"
#include "ldapcfg.h"
#include "ldapdir.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "pwcheck.h"
#include "slurp.h"
#include "util.h"

static const char usage[] =
    "usage: checkpassword-ldap [-c FILE] [--syslog] PROG...\n"
    "       checkpassword-ldap --recipients [-c FILE] [--syslog]\n"
    "  Check the credentials on fd 3 against the LDAP directory that FILE\n"
    "  (default " LDAPCFG_FILE ") describes, then run PROG as the\n"
    "  entry's owner. Exit 1: bad login, 2: misuse, 111: temporary failure\n"
    "  (the directory down or slow, a bad configuration).  --recipients:\n"
    "  answer popkit-deliver's and popkit-lmtpd's lookups (--ldap=FILE).\n";

/* What a check came to. */
enum verdict { V_BAD, V_GOOD, V_TEMP };


/* The backstop to libldap's own timeouts: a directory that holds the
 * connection past every one of them still ends in 111, never a hang. */
static void on_deadline(int sig)
{
    (void)sig;
    _exit(CPW_TEMP);
}

static void set_deadline(const struct ldapcfg *c)
{
    signal(SIGALRM, on_deadline);
    /* Connect, StartTLS, two binds and a search, each with its time. */
    alarm(c->timeout + 4 * c->op_timeout + 1);
}

/* Result codes of a bind that mean "not these credentials" rather than
 * "the directory cannot answer": wrong password, no password to bind
 * with, a policy refusing the account (locked, expired). */
static int bind_refused(int rc)
{
    return rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH
           || rc == LDAP_UNWILLING_TO_PERFORM
           || rc == LDAP_CONSTRAINT_VIOLATION;
}

/* auth bind: bind as the entry; for an unknown login (a == NULL) as
 * the dummy DN instead, the same round trip and lookup.  An empty
 * password would make an unauthenticated bind (RFC 4513 5.1.2), which
 * a server may answer with success: it is never sent, the dummy bind
 * is done for it too. */
static enum verdict check_bind(LDAP *ld, const struct ldapcfg *c,
                               const struct ldapdir_account *a, const char *password)
{
    int real = a && password[0];
    int rc = ldapdir_bind(ld, real ? a->dn : c->dummy_dn,
                         password[0] ? password : "-");

    if (rc == LDAP_SUCCESS)
        return real ? V_GOOD : V_BAD;
    if (bind_refused(rc))
        return V_BAD;
    ldapdir_log(ld, "bind as the user", rc);
    return V_TEMP;
}

/* auth compare: crypt(3) of the {CRYPT} userPassword, or for an
 * unknown login (or an entry without one) of dummy_hash, a hash of the
 * directory's own method and cost, else the built-in one: one
 * computation either way (pwcheck.h). */
static enum verdict check_compare(const struct ldapcfg *c,
                                  const struct ldapdir_account *a,
                                  const char *password)
{
    const char *hash = a ? a->crypt_hash : NULL;
    return pwcheck_verify(password, hash, c->dummy_hash) && hash ? V_GOOD
                                                                  : V_BAD;
}

/* Look the login up and check its password: one search, one check. */
static enum verdict authenticate(const struct ldapcfg *c, const char *bind_pw,
                                 const struct cpw_creds *cr, struct ldapdir_account *a)
{
    LDAP *ld = ldapdir_open(c, bind_pw);
    enum verdict v;
    int found;

    if (!ld)
        return V_TEMP;
    found = ldapdir_find(ld, c, cr->login, strlen(cr->login),
                         c->auth == LDAPCFG_AUTH_COMPARE, a);
    if (found < 0)
        v = V_TEMP;
    else if (c->auth == LDAPCFG_AUTH_COMPARE)
        v = check_compare(c, found ? a : NULL, cr->password);
    else
        v = check_bind(ld, c, found ? a : NULL, cr->password);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return v;
}

/* Become the owner and run prog; returns only on failure. */
static int run_as_owner(const struct ldapcfg *c, const struct ldapdir_account *a,
                        const char *login, char **prog)
{
    struct ldapdir_owner o;
    const char *why;
    int rc = ldapdir_owner(c, a, &o);

    if (rc)
        return rc;
    if (!a->home || a->home[0] != '/') {
        log_error("%s: no absolute %s", a->dn_shown, c->home_attr);
        return CPW_TEMP;
    }
    if (privdrop_become(o.name, o.uid, o.gid, &why)
        || privdrop_enter(login, a->home, o.shell, &why)
        || (a->maildir && setenv("MAILDIR", a->maildir, 1)
            && (why = "setenv MAILDIR"))) {
        log_error("cannot become uid %lu for %s: %s: %s",
                  (unsigned long)o.uid, a->dn_shown, why, strerror(errno));
        return CPW_TEMP;
    }
    alarm(0);
    execvp(prog[0], prog);
    log_error("cannot run %s: %s", prog[0], strerror(errno));
    return CPW_TEMP;
}

int main(int argc, char **argv)
{
    struct ldapcfg c;
    struct cpw_creds cr;
    struct ldapdir_account a = { 0 };
    char *bind_pw = NULL, *login = NULL;
    const char *file;
    enum verdict v;
    int first, rc;

    log_init("checkpassword-ldap");
    if (argc > 1 && strcmp(argv[1], "--recipients") == 0)
        return ldap_recipients_main(argc - 1, argv + 1);
    log_connection();   /* the greeter's keys: rip, lip, session (log.h) */
    file = LDAPCFG_FILE;
    first = cpw_args_file(argc, argv, "checkpassword-ldap", usage, "-c", &file);
    rc = ldapdir_setup(file, &c, &bind_pw);
    if (rc == 0)
        rc = cpw_read(&cr);
    if (rc) {
        ldapdir_pw_free(bind_pw);
        ldapcfg_free(&c);
        return rc;
    }
    log_set_user(cr.login, strlen(cr.login));
    set_deadline(&c);
    v = authenticate(&c, bind_pw ? bind_pw : "", &cr, &a);
    if (v == V_GOOD && !(login = strdup(cr.login))) {
        log_error("out of memory");
        v = V_TEMP;
    }
    cpw_wipe(&cr);
    ldapdir_pw_free(bind_pw);
    if (v == V_GOOD)
        rc = run_as_owner(&c, &a, login, argv + first);
    else
        rc = v == V_BAD ? CPW_BAD : CPW_TEMP;
    free(login);
    ldapdir_account_free(&a);
    ldapcfg_free(&c);
    return rc;
}
