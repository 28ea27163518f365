/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/rfc2047.c: encoded words (B and Q, UTF-8 and
 * ISO-8859-1), adjacent words, raw 8-bit text, conversion to the
 * terminal's charset, and that no control character gets through. */
#include <string.h>

#include "rfc2047.h"
#include "tap.h"

static char out[512];

static const char *dec(const char *in, const char *to)
{
    rfc2047_decode(in, strlen(in), to, out, sizeof out);
    return out;
}

int main(void)
{
    is_str(dec("plain subject", "UTF-8"), "plain subject", "plain text unchanged");
    is_str(dec("=?UTF-8?B?w6l0w6kgZOKCrA==?=", "UTF-8"), "\xc3\xa9t\xc3\xa9 d\xe2\x82\xac",
           "B, UTF-8");
    is_str(dec("=?utf-8?q?caf=C3=A9_cr=C3=A8me?=", "UTF-8"), "caf\xc3\xa9 cr\xc3\xa8me",
           "Q, lowercase, _ is a space");
    is_str(dec("=?ISO-8859-1?Q?Gr=FC=DFe?=", "UTF-8"), "Gr\xc3\xbc\xc3\x9f" "e",
           "ISO-8859-1 to UTF-8");
    is_str(dec("=?ISO-8859-1?Q?Gr=FC=DFe?=", "ISO-8859-1"), "Gr\xfc\xdf" "e",
           "ISO-8859-1 to an ISO-8859-1 terminal");
    is_str(dec("=?UTF-8?B?w6l0w6k=?=", "ISO-8859-1"), "\xe9t\xe9",
           "UTF-8 to an ISO-8859-1 terminal");
    is_str(dec("=?UTF-8?B?4oKsIOaXpeacrA==?=", "ISO-8859-1"), "? ??",
           "characters the terminal lacks become '?'");
    is_str(dec("=?UTF-8?B?w6k=?=", "ANSI_X3.4-1968"), "?", "ASCII terminal (C locale)");
    is_str(dec("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "UTF-8"), "ab",
           "white space between adjacent encoded words dropped");
    is_str(dec("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?= c", "UTF-8"), "ab c",
           "... also across folding; text after kept");
    is_str(dec("Re: =?UTF-8?Q?x?= and y", "UTF-8"), "Re: x and y",
           "white space next to plain text kept");
    is_str(dec("=?UTF-8*en?Q?lang?=", "UTF-8"), "lang", "RFC 2231 language suffix");
    is_str(dec("=?X-NO-SUCH?Q?abc?=", "UTF-8"), "=?X-NO-SUCH?Q?abc?=",
           "unknown charset: left as written");
    is_str(dec("=?UTF-8?Q?not closed", "UTF-8"), "=?UTF-8?Q?not closed",
           "unterminated word: left as written");
    is_str(dec("=?UTF-8?X?abc?=", "UTF-8"), "=?UTF-8?X?abc?=", "unknown encoding: left");
    is_str(dec("caf\xc3\xa9", "UTF-8"), "caf\xc3\xa9", "raw UTF-8 header kept");
    is_str(dec("caf\xe9", "UTF-8"), "caf\xc3\xa9", "raw 8-bit taken as ISO-8859-1");
    is_str(dec("=?UTF-8?B?w6k?=", "UTF-8"), "\xc3\xa9", "B without padding");

    /* Nothing that acts on a terminal. */
    is_str(dec("a\x1b[2Jb\x07" "c\x7f" "d", "UTF-8"), "a?[2Jb?c?d", "raw ESC, BEL, DEL");
    is_str(dec("=?UTF-8?Q?x=1B]0;pwned=07y?=", "UTF-8"), "x?]0;pwned?y",
           "encoded ESC and BEL");
    is_str(dec("=?UTF-8?B?wpvCnQ==?=", "UTF-8"), "??", "C1 controls (CSI, OSC)");
    is_str(dec("=?ISO-8859-1?Q?=9B=9D?=", "UTF-8"), "??", "C1 controls from ISO-8859-1");
    is_str(dec("=?UTF-8?B?YeKArmI=?=", "UTF-8"), "a?b", "bidi override");
    is_str(dec("a\tb\r\n c\n", "UTF-8"), "a b c ", "tab and line breaks become one space");
    is_str(dec("=?UTF-8?Q?a=00b?=", "UTF-8"), "a?b", "NUL");
    is_str(dec("=?UTF-8?B?/w==?=", "UTF-8"), "?", "invalid UTF-8 in a word");

    char small[6];
    rfc2047_decode("\xc3\xa9\xc3\xa9\xc3\xa9", 6, "UTF-8", small, sizeof small);
    is_str(small, "\xc3\xa9\xc3\xa9", "cut on a character boundary");
    rfc2047_decode("abcdefgh", 8, "ISO-8859-1", small, sizeof small);
    is_str(small, "abcde", "cut when converting too");
    return tap_done();
}
