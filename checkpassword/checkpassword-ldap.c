/* SPDX-License-Identifier: ISC */
/*
 * checkpassword-ldap [-c FILE] PROG... -- stage 2 for accounts in an
 * LDAP directory (checkpassword-ldap(8)).
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
#include "ldapfilter.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "pwcheck.h"
#include "slurp.h"
#include "util.h"

static const char usage[] =
    "usage: checkpassword-ldap [-c FILE] [--syslog] PROG...\n"
    "  Check the credentials on fd 3 against the LDAP directory that FILE\n"
    "  (default " LDAPCFG_FILE ") describes, then run PROG as the\n"
    "  entry's owner. Exit 1: bad login, 2: misuse, 111: temporary failure\n"
    "  (the directory down or slow, a bad configuration).\n";

/* What a check came to. */
enum verdict { V_BAD, V_GOOD, V_TEMP };

/* What the entry of a login gave, copied out of the search result. */
struct account {
    char *dn;
    char dn_shown[256]; /* the DN for the log (shown()) */
    char *owner;        /* owner_attr's value */
    char *uid, *gid;    /* uid_attr's and gid_attr's */
    char *home;
    char *maildir;
    char *crypt_hash;   /* a {CRYPT} userPassword, without the prefix */
};

static void account_free(struct account *a)
{
    if (a->crypt_hash)
        wipe(a->crypt_hash, strlen(a->crypt_hash));
    free(a->dn);
    free(a->owner);
    free(a->uid);
    free(a->gid);
    free(a->home);
    free(a->maildir);
    free(a->crypt_hash);
    memset(a, 0, sizeof *a);
}

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

/* What the directory said (a DN, a message, an attribute's value), fit
 * for a log line: cut to n bytes, control bytes made '?', so that no
 * entry can forge a line.  Spaces stay (log_safe, for a client's bytes,
 * turns them into '?' too).  Returns out. */
static char *shown(char *out, size_t n, const char *prefix, const char *s)
{
    str_cut(out, n, "%s%s", prefix, s);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return out;
}

/* The step that failed, LDAP's name for the code and the server's (or
 * libldap's) diagnostic message. */
static void log_ldap(LDAP *ld, const char *what, int rc)
{
    char *diag = NULL;
    char text[256] = "";

    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    if (diag && *diag)
        shown(text, sizeof text, ": ", diag);
    log_error("%s: %s%s", what, ldap_err2string(rc), text);
    ldap_memfree(diag);
}

/* The search DN's password: the file's first line.  A malloc'ed string,
 * or NULL after logging why. */
static char *read_bind_pw(const char *path)
{
    struct slurp s;
    struct stat st;
    char *pw;
    size_t n;

    if (slurp(&s, path, LDAPCFG_PW_MAX)) {
        log_error("cannot read bind_pw_file %s: %s", path, strerror(errno));
        return NULL;
    }
    n = strcspn(s.data, "\r\n");
    if (n == 0 || (n < s.len && s.data[n] == '\0')) {   /* empty, or a NUL */
        log_error("bind_pw_file %s: no password on its first line", path);
        slurp_release(&s, 1);
        return NULL;
    }
    pw = strndup(s.data, n);
    slurp_release(&s, 1);
    if (!pw)
        log_error("out of memory");
    else if (stat(path, &st) == 0 && (st.st_mode & 077))
        log_warn("bind_pw_file %s can be read by others (chmod 600)", path);
    return pw;
}

static int set_timeout(LDAP *ld, int opt, unsigned seconds)
{
    struct timeval tv = { .tv_sec = (time_t)seconds, .tv_usec = 0 };
    return ldap_set_option(ld, opt, &tv);
}

/* The per-connection options: protocol 3, no referrals (they would get
 * our credentials), the timeouts, TLS that checks the server. */
static int set_options(LDAP *ld, const struct ldapcfg *c)
{
    int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, client = 0;
    const char *ca = c->ca_file ? c->ca_file : LDAPCFG_CA_DEFAULT;

    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)
        || ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)
        || set_timeout(ld, LDAP_OPT_NETWORK_TIMEOUT, c->timeout)
        || set_timeout(ld, LDAP_OPT_TIMEOUT, c->op_timeout)
        || ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca)
        || ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
        || ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &client))
        return -1;
    return 0;
}

/* A simple bind as dn with password pw; the LDAP result code. */
static int simple_bind(LDAP *ld, const char *dn, const char *pw)
{
    struct berval cred;
    cred.bv_val = (char *)pw;
    cred.bv_len = strlen(pw);
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* Connected, TLS on when asked, bound as the search DN.  NULL after
 * logging why (111). */
static LDAP *dir_open(const struct ldapcfg *c, const char *bind_pw)
{
    LDAP *ld = NULL;
    int rc;

    /* Only our configuration counts: not ldap.conf, ~/.ldaprc or the
     * LDAP* variables of whoever started the greeter. */
    setenv("LDAPNOINIT", "1", 1);
    rc = ldap_initialize(&ld, c->uri);
    unsetenv("LDAPNOINIT");
    if (rc != LDAP_SUCCESS) {
        log_error("uri %s: %s", c->uri, ldap_err2string(rc));
        return NULL;
    }
    if (set_options(ld, c)) {
        log_error("cannot set the LDAP options (TLS, timeouts)");
    } else if (c->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL))) {
        log_ldap(ld, "StartTLS", rc);
    } else if (c->bind_dn && (rc = simple_bind(ld, c->bind_dn, bind_pw))) {
        log_ldap(ld, "bind as bind_dn", rc);
    } else {
        return ld;
    }
    ldap_unbind_ext_s(ld, NULL, NULL);
    return NULL;
}

/* The first value of attr in e, as a string; NULL when there is none
 * or it holds a NUL.  *oom is set when out of memory. */
static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr, int *oom)
{
    struct berval **v;
    char *s = NULL;

    if (!attr)
        return NULL;
    v = ldap_get_values_len(ld, e, attr);
    if (v && v[0] && !memchr(v[0]->bv_val, '\0', v[0]->bv_len)) {
        s = strndup(v[0]->bv_val, v[0]->bv_len);
        *oom |= s == NULL;
    }
    ldap_value_free_len(v);
    return s;
}

/* The hash of the first {CRYPT} value of userPassword (RFC 2307's
 * scheme prefix, in any case); NULL when there is none. */
static char *crypt_value(LDAP *ld, LDAPMessage *e, int *oom)
{
    static const char prefix[] = "{CRYPT}";
    const size_t plen = sizeof prefix - 1;
    struct berval **v = ldap_get_values_len(ld, e, "userPassword");
    char *s = NULL;

    for (size_t i = 0; v && v[i] && !s; i++) {
        const struct berval *b = v[i];
        if (b->bv_len > plen && strncasecmp(b->bv_val, prefix, plen) == 0
            && !memchr(b->bv_val, '\0', b->bv_len)) {
            s = strndup(b->bv_val + plen, b->bv_len - plen);
            *oom |= s == NULL;
        }
    }
    for (size_t i = 0; v && v[i]; i++)
        wipe(v[i]->bv_val, v[i]->bv_len);
    ldap_value_free_len(v);
    return s;
}

/* Copy what the entry says into a. 0, or -1 when out of memory. */
static int read_entry(LDAP *ld, LDAPMessage *e, const struct ldapcfg *c,
                      struct account *a)
{
    int oom = 0;
    char *dn = ldap_get_dn(ld, e);

    a->dn = dn ? strdup(dn) : NULL;
    ldap_memfree(dn);
    oom |= a->dn == NULL;
    if (a->dn)
        shown(a->dn_shown, sizeof a->dn_shown, "", a->dn);
    a->owner = first_value(ld, e, c->owner_attr, &oom);
    a->uid = first_value(ld, e, c->uid_attr, &oom);
    a->gid = first_value(ld, e, c->gid_attr, &oom);
    a->home = first_value(ld, e, c->home_attr, &oom);
    a->maildir = first_value(ld, e, c->maildir_attr, &oom);
    if (c->auth == LDAPCFG_AUTH_COMPARE)
        a->crypt_hash = crypt_value(ld, e, &oom);
    return oom ? -1 : 0;
}

static const int scopes[] = {
    [LDAPCFG_SUB] = LDAP_SCOPE_SUBTREE,
    [LDAPCFG_ONE] = LDAP_SCOPE_ONELEVEL,
    [LDAPCFG_BASE] = LDAP_SCOPE_BASE,
};

/* Find the login's entry.  1 with a filled in, 0 when there is no
 * entry or more than one (a filter that does not single out one
 * account logs in none), -1 after logging why (111). */
static int dir_find(LDAP *ld, const struct ldapcfg *c, const char *login,
                    struct account *a)
{
    char *attrs[7], userpassword[] = "userPassword";
    size_t na = 0;
    struct timeval tv = { .tv_sec = (time_t)c->op_timeout, .tv_usec = 0 };
    LDAPMessage *res = NULL;
    char *filter = ldapfilter_build(c->filter, login, strlen(login));
    int rc, n, found = -1;

    if (!filter) {
        log_error("out of memory");
        return -1;
    }
    attrs[na++] = c->uid_attr;
    attrs[na++] = c->gid_attr;
    attrs[na++] = c->home_attr;
    if (c->owner_attr)
        attrs[na++] = c->owner_attr;
    if (c->maildir_attr)
        attrs[na++] = c->maildir_attr;
    if (c->auth == LDAPCFG_AUTH_COMPARE)
        attrs[na++] = userpassword;
    attrs[na] = NULL;
    rc = ldap_search_ext_s(ld, c->base, scopes[c->scope], filter, attrs, 0,
                           NULL, NULL, &tv, 2, &res);
    free(filter);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        log_ldap(ld, "search", rc);
    } else if ((n = ldap_count_entries(ld, res)) != 1) {
        if (n > 1)
            log_warn("the filter matches more than one entry: no login");
        found = 0;
    } else if (read_entry(ld, ldap_first_entry(ld, res), c, a)) {
        log_error("out of memory");
    } else {
        found = 1;
    }
    ldap_msgfree(res);
    return found;
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
                               const struct account *a, const char *password)
{
    int real = a && password[0];
    int rc = simple_bind(ld, real ? a->dn : c->dummy_dn,
                         password[0] ? password : "-");

    if (rc == LDAP_SUCCESS)
        return real ? V_GOOD : V_BAD;
    if (bind_refused(rc))
        return V_BAD;
    log_ldap(ld, "bind as the user", rc);
    return V_TEMP;
}

/* auth compare: crypt(3) of the {CRYPT} userPassword, or for an
 * unknown login (or an entry without one) of dummy_hash, a hash of the
 * directory's own method and cost, else the built-in one: one
 * computation either way (pwcheck.h). */
static enum verdict check_compare(const struct ldapcfg *c,
                                  const struct account *a,
                                  const char *password)
{
    const char *hash = a ? a->crypt_hash : NULL;
    return pwcheck_verify(password, hash, c->dummy_hash) && hash ? V_GOOD
                                                                  : V_BAD;
}

/* Look the login up and check its password: one search, one check. */
static enum verdict authenticate(const struct ldapcfg *c, const char *bind_pw,
                                 const struct cpw_creds *cr, struct account *a)
{
    LDAP *ld = dir_open(c, bind_pw);
    enum verdict v;
    int found;

    if (!ld)
        return V_TEMP;
    found = dir_find(ld, c, cr->login, a);
    if (found < 0)
        v = V_TEMP;
    else if (c->auth == LDAPCFG_AUTH_COMPARE)
        v = check_compare(c, found ? a : NULL, cr->password);
    else
        v = check_bind(ld, c, found ? a : NULL, cr->password);
    ldap_unbind_ext_s(ld, NULL, NULL);
    return v;
}

/* The account that owns the mail: name (NULL when by number), uid,
 * gid, shell.  0; CPW_BAD for a uid the policy refuses; CPW_TEMP after
 * logging why when the entry or the configuration names none. */
struct owner {
    const char *name;
    uid_t uid;
    gid_t gid;
    const char *shell;
};

static int owner_by_name(const char *name, struct owner *o)
{
    struct passwd *pw = getpwnam(name);

    if (!pw || pw->pw_uid == 0) {
        char name_shown[LOG_FIELD_MAX];
        log_error("owner %s: %s", shown(name_shown, sizeof name_shown, "", name),
                  pw ? "has uid 0: refused" : "no such account");
        return CPW_TEMP;
    }
    o->name = pw->pw_name;
    o->uid = pw->pw_uid;
    o->gid = pw->pw_gid;
    o->shell = pw->pw_shell;
    return 0;
}

static int find_owner(const struct ldapcfg *c, const struct account *a,
                      struct owner *o)
{
    uint32_t uid, gid;

    if (c->owner)
        return owner_by_name(c->owner, o);
    if (c->owner_attr) {
        if (!a->owner) {
            log_error("%s: no %s", a->dn_shown, c->owner_attr);
            return CPW_TEMP;
        }
        return owner_by_name(a->owner, o);
    }
    if (!a->uid || !a->gid || parse_u32(a->uid, &uid) || parse_u32(a->gid, &gid)) {
        log_error("%s: no numeric %s and %s", a->dn_shown, c->uid_attr,
                  c->gid_attr);
        return CPW_TEMP;
    }
    if (uid == 0 || uid < c->min_uid) {
        log_warn("login refused: %s has uid %lu (min_uid %lu; never 0)",
                 a->dn_shown, (unsigned long)uid, (unsigned long)c->min_uid);
        return CPW_BAD;
    }
    o->name = NULL;
    o->uid = (uid_t)uid;
    o->gid = (gid_t)gid;
    o->shell = NULL;
    return 0;
}

/* Become the owner and run prog; returns only on failure. */
static int run_as_owner(const struct ldapcfg *c, const struct account *a,
                        const char *login, char **prog)
{
    struct owner o;
    const char *why;
    int rc = find_owner(c, a, &o);

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

/* The configuration and the search DN's password; 0 or CPW_TEMP. */
static int setup(const char *file, struct ldapcfg *c, char **bind_pw)
{
    char err[256];

    if (ldapcfg_load(file, c, err, sizeof err)) {
        log_error("%s: %s", file, err);
        return CPW_TEMP;
    }
    if (!c->dummy_dn) {
        /* An entry no directory holds, under the base: the server does
         * the same lookup for it as for a real entry. */
        size_t n = strlen(c->base) + sizeof "cn=checkpassword-ldap-dummy,";
        if ((c->dummy_dn = malloc(n)) == NULL) {
            log_error("out of memory");
            return CPW_TEMP;
        }
        snprintf(c->dummy_dn, n, "cn=checkpassword-ldap-dummy,%s", c->base);
    }
    *bind_pw = NULL;
    if (c->bind_pw_file && !(*bind_pw = read_bind_pw(c->bind_pw_file)))
        return CPW_TEMP;
    return 0;
}

int main(int argc, char **argv)
{
    struct ldapcfg c;
    struct cpw_creds cr;
    struct account a = { 0 };
    char *bind_pw = NULL, *login = NULL;
    const char *file;
    enum verdict v;
    int first, rc;

    log_init("checkpassword-ldap");
    log_connection();   /* the greeter's keys: rip, lip, session (log.h) */
    file = LDAPCFG_FILE;
    first = cpw_args_file(argc, argv, "checkpassword-ldap", usage, "-c", &file);
    rc = setup(file, &c, &bind_pw);
    if (rc == 0)
        rc = cpw_read(&cr);
    if (rc) {
        if (bind_pw)
            wipe(bind_pw, strlen(bind_pw));
        free(bind_pw);
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
    if (bind_pw)
        wipe(bind_pw, strlen(bind_pw));
    free(bind_pw);
    if (v == V_GOOD)
        rc = run_as_owner(&c, &a, login, argv + first);
    else
        rc = v == V_BAD ? CPW_BAD : CPW_TEMP;
    free(login);
    account_free(&a);
    ldapcfg_free(&c);
    return rc;
}
