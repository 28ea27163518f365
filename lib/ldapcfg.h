/* SPDX-License-Identifier: ISC */
/*
 * ldapcfg.h -- the configuration file of checkpassword-ldap
 * (checkpassword-ldap(8)): where the directory is, how to search it and
 * how an entry becomes a mail account.
 *
 * One "key value" a line; the value is the rest of the line with the
 * blanks around it taken off (a filter or a DN may hold spaces).  Empty
 * lines and lines starting with '#' are comments.  A key given twice, an
 * unknown key, a bad value or a missing required key (uri, base) is an
 * error with the line it is on, found when the file is read, so that a
 * slip is logged at the first login and never taken for a bad password.
 *
 * The strings of a parsed configuration are malloc'ed, NULL when not
 * given; keys with defaults (params.h, LDAPCFG_*) hold them.
 */
#ifndef POPKIT_LDAPCFG_H
#define POPKIT_LDAPCFG_H

#include <stddef.h>
#include <sys/types.h>

enum ldapcfg_scope { LDAPCFG_SUB, LDAPCFG_ONE, LDAPCFG_BASE };
enum ldapcfg_auth { LDAPCFG_AUTH_BIND, LDAPCFG_AUTH_COMPARE };
/* What %u is when a recipient is looked up (popkit-deliver --ldap,
 * popkit-lmtpd --ldap): the whole address, or its local part for a
 * directory whose logins are bare names. */
enum ldapcfg_recipient { LDAPCFG_RCPT_ADDRESS, LDAPCFG_RCPT_LOCAL };

struct ldapcfg {
    char *uri;            /* ldap://, ldaps:// or ldapi:// URIs */
    int starttls;         /* 1: StartTLS on ldap:// before anything */
    char *ca_file;        /* the CA the server's certificate is checked by */
    char *bind_dn;        /* the search connection's identity */
    char *bind_pw_file;   /* ...and the file holding its password */
    char *base;           /* where to search */
    char *filter;         /* with %u for the login (ldapfilter.h) */
    int scope;            /* enum ldapcfg_scope */
    int auth;             /* enum ldapcfg_auth */
    int recipient;        /* enum ldapcfg_recipient (delivery only) */
    char *dummy_dn;       /* bound as for an unknown login (same work) */
    char *dummy_hash;     /* crypt for one (auth compare), {CRYPT} taken off */
    char *owner;          /* a fixed local account owning all mail, or */
    char *owner_attr;     /* an attribute naming the account, or */
    char *uid_attr;       /* numeric uid and gid attributes */
    char *gid_attr;
    char *home_attr;      /* the home directory */
    char *maildir_attr;   /* the Maildir, exported as MAILDIR (optional) */
    uid_t min_uid;        /* uids below are refused (uid_attr only) */
    unsigned timeout;     /* seconds to connect */
    unsigned op_timeout;  /* seconds for each operation */
};

/* Parse the text[0..len) (need not be terminated) into c, which is
 * cleared first.  0, or -1 with a reason ("line N: ...") in err; c is
 * freed then (and may be given to ldapcfg_free again). */
int ldapcfg_parse(const char *text, size_t len, struct ldapcfg *c,
                  char *err, size_t errsz);
/* The same from the file path.  -1 also when it cannot be read (err
 * says why, errno is set); c is cleared then. */
int ldapcfg_load(const char *path, struct ldapcfg *c, char *err,
                 size_t errsz);
void ldapcfg_free(struct ldapcfg *c);

#endif
