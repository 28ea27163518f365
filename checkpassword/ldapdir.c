/* SPDX-License-Identifier: ISC */
/*
 * ldapdir.c -- the directory side of checkpassword-ldap (ldapdir.h):
 * the connection, the search and the mapping of an entry to its owner.
 */
#include "ldapdir.h"

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cpw.h"
#include "ldapfilter.h"
#include "log.h"
#include "params.h"
#include "slurp.h"
#include "util.h"


void ldapdir_account_free(struct ldapdir_account *a)
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

char *ldapdir_shown(char *out, size_t n, const char *prefix, const char *s)
{
    str_cut(out, n, "%s%s", prefix, s);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return out;
}

/* The step that failed, LDAP's name for the code and the server's (or
 * libldap's) diagnostic message. */
void ldapdir_log(LDAP *ld, const char *what, int rc)
{
    char *diag = NULL;
    char text[256] = "";

    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    if (diag && *diag)
        ldapdir_shown(text, sizeof text, ": ", diag);
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

int ldapdir_bind(LDAP *ld, const char *dn, const char *pw)
{
    struct berval cred;
    cred.bv_val = (char *)pw;
    cred.bv_len = strlen(pw);
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

LDAP *ldapdir_open(const struct ldapcfg *c, const char *bind_pw)
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
        ldapdir_log(ld, "StartTLS", rc);
    } else if (c->bind_dn && (rc = ldapdir_bind(ld, c->bind_dn, bind_pw))) {
        ldapdir_log(ld, "bind as bind_dn", rc);
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
                      int want_crypt, struct ldapdir_account *a)
{
    int oom = 0;
    char *dn = ldap_get_dn(ld, e);

    a->dn = dn ? strdup(dn) : NULL;
    ldap_memfree(dn);
    oom |= a->dn == NULL;
    if (a->dn)
        ldapdir_shown(a->dn_shown, sizeof a->dn_shown, "", a->dn);
    a->owner = first_value(ld, e, c->owner_attr, &oom);
    a->uid = first_value(ld, e, c->uid_attr, &oom);
    a->gid = first_value(ld, e, c->gid_attr, &oom);
    a->home = first_value(ld, e, c->home_attr, &oom);
    a->maildir = first_value(ld, e, c->maildir_attr, &oom);
    if (want_crypt)
        a->crypt_hash = crypt_value(ld, e, &oom);
    return oom ? -1 : 0;
}

static const int scopes[] = {
    [LDAPCFG_SUB] = LDAP_SCOPE_SUBTREE,
    [LDAPCFG_ONE] = LDAP_SCOPE_ONELEVEL,
    [LDAPCFG_BASE] = LDAP_SCOPE_BASE,
};

int ldapdir_find(LDAP *ld, const struct ldapcfg *c, const char *login,
                 size_t n_login, int want_crypt, struct ldapdir_account *a)
{
    char *attrs[7], userpassword[] = "userPassword";
    size_t na = 0;
    struct timeval tv = { .tv_sec = (time_t)c->op_timeout, .tv_usec = 0 };
    LDAPMessage *res = NULL;
    char *filter = ldapfilter_build(c->filter, login, n_login);
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
    if (want_crypt)
        attrs[na++] = userpassword;
    attrs[na] = NULL;
    rc = ldap_search_ext_s(ld, c->base, scopes[c->scope], filter, attrs, 0,
                           NULL, NULL, &tv, 2, &res);
    free(filter);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        ldapdir_log(ld, "search", rc);
    } else if ((n = ldap_count_entries(ld, res)) != 1) {
        if (n > 1)
            log_warn("the filter matches more than one entry: none is taken");
        found = 0;
    } else if (read_entry(ld, ldap_first_entry(ld, res), c, want_crypt, a)) {
        log_error("out of memory");
    } else {
        found = 1;
    }
    ldap_msgfree(res);
    return found;
}

static int owner_by_name(const char *name, struct ldapdir_owner *o)
{
    struct passwd *pw = getpwnam(name);

    if (!pw || pw->pw_uid == 0) {
        char name_shown[LOG_FIELD_MAX];
        log_error("owner %s: %s", ldapdir_shown(name_shown, sizeof name_shown, "", name),
                  pw ? "has uid 0: refused" : "no such account");
        return CPW_TEMP;
    }
    o->name = pw->pw_name;
    o->uid = pw->pw_uid;
    o->gid = pw->pw_gid;
    o->shell = pw->pw_shell;
    return 0;
}

int ldapdir_owner(const struct ldapcfg *c, const struct ldapdir_account *a,
                  struct ldapdir_owner *o)
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

int ldapdir_setup(const char *file, struct ldapcfg *c, char **bind_pw)
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

void ldapdir_pw_free(char *pw)
{
    if (pw)
        wipe(pw, strlen(pw));
    free(pw);
}
