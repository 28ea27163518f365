/*
 * pop3caps.h -- the CAPA list (RFC 2449), in one place for both stages.
 *
 * The greeter answers CAPA before login and pop3-maildir after it; RFC
 * 2449 §5 lets the list change after login, but popkit keeps it the same
 * so a client sees one server.  Only STLS differs: the greeter offers it
 * when TLS is configured and not yet running (POP3CAPS_STLS).
 */
#ifndef POPKIT_POP3CAPS_H
#define POPKIT_POP3CAPS_H

#include <stddef.h>

#define POP3CAPS_STLS 1u   /* add "STLS" (greeter, TLS available, not on) */

/* The capability lines, without CRLF, NULL-terminated, in CAPA order. */
extern const char *const pop3caps_lines[];

/* Write the whole CAPA answer ("+OK ...\r\n", one line a capability,
 * ".\r\n") into buf (size bufsz).  Returns its length, or 0 if it does not
 * fit (POP3CAPS_MAX always fits). */
size_t pop3caps_format(char *buf, size_t bufsz, unsigned flags);

/* Room pop3caps_format() needs at most. */
#define POP3CAPS_MAX 512

#endif
