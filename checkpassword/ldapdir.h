/* SPDX-License-Identifier: ISC */
/*
 * ldapdir.h -- the directory side of checkpassword-ldap, for its two
 * uses: a login (checkpassword-ldap.c) and a recipient's lookup for
 * popkit-deliver and popkit-lmtpd (ldap_recipients.c).  One connection
 * set-up, one search and one attribute mapping serve both, so that the
 * account a login becomes is the account mail is delivered as.
 *
 * Everything here logs its failures itself (log.h, with the directory's
 * diagnostic message), as a stage 2 does; what a failure means for the
 * caller's exit code or answer is the caller's.
 */
#ifndef POPKIT_LDAPDIR_H
#define POPKIT_LDAPDIR_H

#include <ldap.h>
#include <stddef.h>
#include <sys/types.h>

#include "ldapcfg.h"

/* What the entry of a login gave, copied out of the search result. */
struct ldapdir_account {
    char *dn;
    char dn_shown[256]; /* the DN for the log (ldapdir_shown()) */
    char *owner;        /* owner_attr's value */
    char *uid, *gid;    /* uid_attr's and gid_attr's */
    char *home;
    char *maildir;
    char *crypt_hash;   /* a {CRYPT} userPassword, without the prefix */
};

void ldapdir_account_free(struct ldapdir_account *a);

/* What the directory said (a DN, a message, an attribute's value), fit
 * for a log line: cut to n bytes, control bytes made '?', so that no
 * entry can forge a line.  Spaces stay (log_safe, for a client's bytes,
 * turns them into '?' too).  Returns out. */
char *ldapdir_shown(char *out, size_t n, const char *prefix, const char *s);
/* Log the step that failed, LDAP's name for rc and the diagnostic. */
void ldapdir_log(LDAP *ld, const char *what, int rc);

/* Load the configuration file into c (with a dummy_dn under the base
 * when it names none) and the search DN's password into *bind_pw
 * (malloc'ed, NULL when there is no bind_dn).  0, or CPW_TEMP after
 * logging why. */
int ldapdir_setup(const char *file, struct ldapcfg *c, char **bind_pw);
/* Wipe and free a password of ldapdir_setup's. */
void ldapdir_pw_free(char *pw);

/* Connected, TLS on when asked, bound as the search DN.  NULL after
 * logging why (a temporary failure). */
LDAP *ldapdir_open(const struct ldapcfg *c, const char *bind_pw);
/* A simple bind as dn with password pw; the LDAP result code. */
int ldapdir_bind(LDAP *ld, const char *dn, const char *pw);

/* Find the entry of login (n bytes, escaped into the filter).  1 with
 * a filled in, 0 when there is no entry or more than one (a filter that
 * does not single out one account matches none), -1 after logging why
 * (temporary).  want_crypt: fetch userPassword for auth compare. */
int ldapdir_find(LDAP *ld, const struct ldapcfg *c, const char *login,
                 size_t n, int want_crypt, struct ldapdir_account *a);

/* The account that owns the mail: name (NULL when by number), uid,
 * gid, shell (NULL when by number). */
struct ldapdir_owner {
    const char *name;
    uid_t uid;
    gid_t gid;
    const char *shell;
};

/* The owner of a's mail: the configured owner, the account owner_attr
 * names, or uid_attr and gid_attr.  0; CPW_BAD for a uid the policy
 * refuses (0, below min_uid); CPW_TEMP after logging why when the entry
 * or the configuration names no usable account.  name and shell point
 * into getpwnam(3)'s static storage. */
int ldapdir_owner(const struct ldapcfg *c, const struct ldapdir_account *a,
                  struct ldapdir_owner *o);

/* checkpassword-ldap --recipients [-c FILE] [--syslog]: answer the
 * recipient lookups of popkit-deliver and popkit-lmtpd on stdin and
 * stdout (lib/ldaprcpt.h) until stdin ends (ldap_recipients.c).
 * argv[0] is "--recipients".  Returns the exit code. */
int ldap_recipients_main(int argc, char **argv);

#endif
