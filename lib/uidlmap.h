/* SPDX-License-Identifier: ISC */
/*
 * uidlmap.h -- the UIDLs the POP3 server before popkit gave, read from
 * the file it left in the Maildir, so that clients which leave mail on
 * the server (fetchmail, getmail, Thunderbird, Outlook) do not download
 * it all again after the switch (pop3-maildir --uidl-from, MIGRATION in
 * pop3-maildir(8)).
 *
 *   UIDLMAP_DOVECOT  dovecot-uidlist, what Dovecot's POP3 server showed
 *                    with its default pop3_uidl_format %08Xu%08Xv: the
 *                    IMAP UID then the UIDVALIDITY, 8 lower-case hex
 *                    digits each; a record's P field (a UIDL Dovecot
 *                    kept from its own migration) instead when present,
 *                    the file name before ':' when P is empty, as
 *                    Dovecot does.  Versions 3 ("3 V<uidvalidity>
 *                    N<nextuid> ...", records "<uid> [<key><value>...]
 *                    :<name>") and 1 ("1 <uidvalidity> <nextuid>",
 *                    records "<uid> <name>").
 *   UIDLMAP_COURIER  courierpop3dsizelist, what Courier's pop3d showed:
 *                    "UID<n>-<uidv>" ("UID<n>" when uidv is 0) from
 *                    the header "/3 <nextuid> <uidv>" (or /2) and
 *                    records "<name> <size> <n>:<uidv>[:<utf8>]".
 *
 * A record names its message by file name; it matches the message in
 * new/ or cur/ whose name agrees up to the first ':' or ',' (the part
 * that never changes, whatever flags or size fields were added since).
 * Records of messages no longer in the Maildir are ignored (the file is
 * as old as the other server's last session); messages the file does
 * not list (arrived since) keep popkit's own UIDL.
 *
 * The file is input that may be stale, truncated or hostile.  It is
 * only read, never written.  It is believed only as a whole: a header
 * or a record that is not exactly what that server writes (a torn last
 * line, a number out of range, a UID out of order or reused, a name
 * twice, a control character, CR or NUL, a line over UIDLMAP_LINE_MAX,
 * a UIDL outside RFC 1939's 1-70 characters 0x21-0x7E, two messages
 * ending up with the same UIDL, a file over UIDLMAP_FILE_MAX) makes the
 * whole file ignored, with one log_warn line saying why, and every
 * message gets popkit's own UIDL.
 *
 * Memory: nothing is allocated when the file is absent.  Otherwise the
 * file is read once and freed before uidlmap_load() returns; what stays
 * is a flat array of one uint32_t a message and the mapped UIDLs in one
 * block (no allocation a message).
 */
#ifndef POPKIT_UIDLMAP_H
#define POPKIT_UIDLMAP_H

#include <stddef.h>
#include <stdint.h>

#include "maildir.h"

enum uidlmap_source { UIDLMAP_OFF = 0, UIDLMAP_DOVECOT, UIDLMAP_COURIER };

struct uidlmap {
    uint32_t *slot;    /* per message: 1 + offset of its UIDL in text, or 0 */
    char *text;        /* the mapped UIDLs, each NUL-terminated */
    size_t count;      /* messages slot covers (md->count at load) */
    size_t mapped;     /* messages with a slot, for the log line */
};

/* The --uidl-from value: "dovecot" or "courier", optionally ":FILE"
 * (a plain name in the Maildir's top directory, e.g. a copy frozen at
 * the switch; pop3-maildir(8) says when that is needed).  *file is
 * NULL without it.  0 or -1. */
int uidlmap_parse_source(const char *arg, enum uidlmap_source *src,
                         const char **file);
/* The file each source reads by default, in the Maildir's top directory. */
const char *uidlmap_file_name(enum uidlmap_source src);

/* Read file (NULL: src's own) from md's Maildir and map it onto md's
 * messages (the scan done).  0: mapped, or no such file (um then stays
 * empty); -1: the file is bad or unreadable, logged once (who, e.g.
 * "user=x: ", starts the line; may be NULL), um empty.  um must be
 * zeroed or freed before. */
int uidlmap_load(struct uidlmap *um, struct maildir *md,
                 enum uidlmap_source src, const char *file, const char *who);
/* Message i's UIDL from the file into out (MAILDIR_UIDL_MAX + 1 bytes);
 * its length, or 0 when the file gave it none (use maildir_uidl). */
size_t uidlmap_uidl(const struct uidlmap *um, size_t i, char *out);
/* Free what uidlmap_load kept; um is empty again.  Safe twice. */
void uidlmap_free(struct uidlmap *um);

#endif
