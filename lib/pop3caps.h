/* SPDX-License-Identifier: ISC */
/*
 * pop3caps.h -- the CAPA list (RFC 2449), in one place for both stages.
 *
 * The greeter answers CAPA in the AUTHORIZATION state, pop3-maildir in the
 * TRANSACTION state, and each lists what its state offers (RFC 2449 §5):
 * USER and SASL only before login and only while login is allowed
 * (POP3CAPS_LOGIN), STLS only before login while TLS is available and not
 * yet on (POP3CAPS_STLS).  The rest is the same in both states, so a
 * client sees one server: TOP, UIDL, RESP-CODES, AUTH-RESP-CODE,
 * PIPELINING, UTF8 USER (RFC 6856: the UTF8 command, and UTF-8 user names
 * and passwords), IMPLEMENTATION, and the administrator's LOGIN-DELAY and
 * EXPIRE (RFC 2449 §6.5, §6.7) when set, which popkit announces but does
 * not enforce.
 */
#ifndef POPKIT_POP3CAPS_H
#define POPKIT_POP3CAPS_H

#include <stddef.h>

#include "params.h"

#define POP3CAPS_STLS 1u    /* add STLS (greeter, TLS available, not on) */
#define POP3CAPS_LOGIN 2u   /* add USER and SASL (greeter, login allowed) */

/* The policy the administrator announces: each an RFC 2449 argument
 * list ("900", "900 USER", "NEVER"), or "" for no such capability. */
struct pop3caps_policy {
    char login_delay[POP3CAPS_POLICY_MAX];
    char expire[POP3CAPS_POLICY_MAX];
};

/* Set the LOGIN-DELAY argument from an option value: SECONDS, decimal,
 * 0 to POP3_LOGIN_DELAY_MAX; with allow_user also SECONDS,USER (before
 * login: the value after login may differ per user, RFC 2449 §6.5).
 * 0, or -1 for anything else (nothing changed). */
int pop3caps_set_login_delay(struct pop3caps_policy *p, const char *arg,
                             int allow_user);
/* The same for EXPIRE: DAYS (0 to POP3_EXPIRE_DAYS_MAX) or NEVER, with
 * allow_user also followed by ,USER. */
int pop3caps_set_expire(struct pop3caps_policy *p, const char *arg,
                        int allow_user);

/* Write the whole CAPA answer ("+OK ...\r\n", one line a capability,
 * ".\r\n") into buf (size bufsz).  p may be NULL (no policy).  Returns
 * its length, or 0 if it does not fit (POP3CAPS_MAX always fits). */
size_t pop3caps_format(char *buf, size_t bufsz, unsigned flags,
                       const struct pop3caps_policy *p);

/* The flags of the AUTHORIZATION state: POP3CAPS_LOGIN while login is
 * allowed, POP3CAPS_STLS while TLS is available and not yet running
 * (RFC 2595 §4: a server that is already in TLS does not offer it). */
unsigned pop3caps_auth_flags(int login_allowed, int tls_available,
                             int tls_active);

/* Whether the CAPA answer of the state flags says lists the capability
 * tag ("STLS", "SASL", "USER"): a line whose first word it is, compared
 * without case as RFC 2449 §5 compares tags.  So a command the list
 * offers is taken exactly when the list offers it. */
int pop3caps_offers(unsigned flags, const char *tag);

/* Room pop3caps_format() needs at most. */
#define POP3CAPS_MAX 512

#endif
