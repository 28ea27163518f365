/* SPDX-License-Identifier: ISC */
/*
 * rfc2047.h -- header text for a terminal: RFC 2047 encoded words
 * decoded, everything converted to the terminal's character set, and
 * nothing that could act on the terminal left in.
 *
 * Input is an unfolded header value (line breaks of folding may remain;
 * they become spaces).  Encoded words =?CHARSET?B|Q?TEXT?= (CHARSET may
 * carry an RFC 2231 "*lang" suffix) are decoded and converted with
 * iconv(3); white space between two adjacent encoded words is dropped,
 * as RFC 2047 6.2 says.  Bytes outside encoded words are taken as UTF-8
 * when they are valid UTF-8, else as ISO-8859-1 (what 8-bit headers
 * usually are).  An encoded word in a charset iconv does not know stays
 * as it was written.
 *
 * Safety: C0 controls (TAB, CR and LF become a space), DEL, C1 controls
 * and the Unicode bidirectional overrides become '?', so a subject can
 * neither move the cursor, send an escape sequence, nor reorder what the
 * user sees.  A character the target charset lacks becomes '?'.
 */
#ifndef POPKIT_RFC2047_H
#define POPKIT_RFC2047_H

#include <stddef.h>

/* Decode in[0..len) into out (outsz >= 1) in charset `to` (e.g.
 * nl_langinfo(CODESET); NULL or "" means UTF-8), NUL-terminated, cut on
 * a character boundary when it does not fit.  Returns the length. */
size_t rfc2047_decode(const char *in, size_t len, const char *to, char *out,
                      size_t outsz);

#endif
