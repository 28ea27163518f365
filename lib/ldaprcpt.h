/* SPDX-License-Identifier: ISC */
/*
 * ldaprcpt.h -- recipients from the LDAP directory of checkpassword-ldap
 * (popkit-deliver --ldap=CONFIG, popkit-lmtpd --ldap=CONFIG).
 *
 * One account source for login and delivery: the lookup is done by
 * checkpassword-ldap itself, run as "checkpassword-ldap --recipients -c
 * CONFIG" (checkpassword-ldap(8)), with the same configuration file,
 * filter, escaping and attribute mapping as a login, so a recipient's
 * Maildir is the one its login is served.  It is a helper process rather
 * than code linked in because libldap is glibc's and dynamic while
 * popkit-lmtpd may be a static musl program (deliver/local.mk); and the
 * helper alone ever holds the search DN's password.
 *
 * The helper is started at the first lookup, so in popkit-lmtpd it is a
 * child of the root part started after the parser was forked: the
 * parser inherits neither the process nor its socket.  It lives as long
 * as the context, one connection to the directory for many recipients.
 *
 * The protocol on the helper's stdin and stdout (one socket), one
 * request at a time:
 *     request:  ADDRESS LF
 *     answer:   "OK" TAB OWNER TAB HOME TAB MAILDIR LF   an account
 *               "NO" LF                               no such recipient
 *               "TEMP" TAB WHY LF                     cannot answer now
 * OWNER is a local account name, HOME absolute, MAILDIR absolute or
 * empty (then HOME/Maildir, as the users file).  A helper that does not
 * answer within the timeout, answers something else, or exits is a
 * temporary failure; it is killed and started anew at the next lookup.
 */
#ifndef POPKIT_LDAPRCPT_H
#define POPKIT_LDAPRCPT_H

#include <stddef.h>

#include "userdb.h"

struct ldaprcpt;

/* A context for the configuration file config and the helper program
 * helper (an absolute path), no process yet.  The configuration is read
 * now, so a mistake is found at start-up, and its timeouts give the
 * answer's deadline.  NULL with the reason in err. */
struct ldaprcpt *ldaprcpt_new(const char *helper, const char *config,
                              char *err, size_t errsz);
/* Look address up: 1 with *e filled (address, owner, home, maildir;
 * hash and apop ""; release with userdb_entry_free), 0 when the
 * directory has no such recipient, -1 when it cannot answer now (why
 * says why).  Its signature is aliases_lookup_fn's (aliases.h). */
int ldaprcpt_lookup(void *ctx, const char *address, struct userdb_entry *e,
                    char *why, size_t whysz);
/* Close the helper's socket and wait for it; free everything. */
void ldaprcpt_free(struct ldaprcpt *r);

/* The answer line (no LF) for address into *e: 1, 0, or -1 with why
 * (a TEMP answer's WHY, or what is malformed).  Pure. */
int ldaprcpt_parse(const char *line, const char *address,
                   struct userdb_entry *e, char *why, size_t whysz);
/* The helper beside the running program (/proc/self/exe): its
 * directory and "checkpassword-ldap", into buf.  0, or -1. */
int ldaprcpt_helper_beside(char *buf, size_t size);

#endif
