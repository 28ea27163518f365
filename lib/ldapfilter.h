/* SPDX-License-Identifier: ISC */
/*
 * ldapfilter.h -- an LDAP search filter with a login in it, safely.
 *
 * The administrator writes the filter once, with %u where the login
 * goes: "(&(objectClass=posixAccount)(uid=%u))".  The login is the
 * client's and may be anything; put in as it is, "*" would match every
 * entry and ")(" would add a filter of the client's own.  So it goes in
 * escaped as RFC 4515 section 3 requires of an assertion value: '*',
 * '(', ')', '\' and NUL as a backslash and two hex digits ("\2a",
 * "\28", "\29", "\5c", "\00").  Every other byte stands for itself
 * (UTF-8 included), which is what the RFC's grammar allows.
 *
 * In the template "%%" is a '%', and any other '%' is an error, so a
 * typing slip ("%s") is found when the configuration is read, not at a
 * login.
 */
#ifndef POPKIT_LDAPFILTER_H
#define POPKIT_LDAPFILTER_H

#include <stddef.h>

/* Escape the n bytes at s into out (room for cap bytes) and terminate
 * it.  Returns the length the escaped value has (without the NUL),
 * whether or not it fitted; when it is cap or more, out holds as much
 * as fits (never half an escape) and is still terminated (cap > 0). */
size_t ldapfilter_escape(char *out, size_t cap, const char *s, size_t n);

/* Is tmpl a usable template: balanced parentheses, starting with '(',
 * every '%' followed by 'u' or '%', at least one %u?  1 or 0; *why (a
 * static string) says what is wrong. */
int ldapfilter_check(const char *tmpl, const char **why);

/* The filter tmpl with every %u replaced by the escaped login (n
 * bytes), malloc'ed; NULL when out of memory.  tmpl has passed
 * ldapfilter_check. */
char *ldapfilter_build(const char *tmpl, const char *login, size_t n);

#endif
