/* SPDX-License-Identifier: ISC */
/*
 * aliases.h -- the alias files of popkit's virtual domains
 * (popkit-aliases(5)) and the resolution of a recipient into the
 * mailboxes and forward addresses its mail goes to.
 *
 * Files: one a domain, ALIASDIR/DOMAIN, DOMAIN in lower case (default
 * ALIASES_DIR, lib/params.h).  Lines, as the seed article's qmail_db and
 * sendmail's aliases(5):
 *     name: target target, target ...
 * targets separated by blanks and/or commas; a line starting with a
 * blank continues the entry of the line right before it; lines whose
 * first non-blank byte is '#', and blank lines, are ignored (and end an
 * entry: a continuation after them is a bad line).  A target is a bare
 * name (an alias or user of the same domain) or local@domain.  The name
 * "-" is the domain's default.  Names compare without regard to ASCII
 * case, as the users file's addresses do (userdb.h).
 *
 * Bad entries (no colon, a bad name or target, no target, a pipe or file
 * target, a continuation with nothing to continue, a line longer than
 * ALIASES_LINE_MAX, an entry longer than ALIASES_ENTRY_MAX, a NUL byte, a
 * second entry for a name) are kept in the table with their error and
 * file:line; resolution skips them, except that a name whose only
 * entries are bad is a temporary failure -- mail for it waits for the fix
 * instead of falling to "-" or bouncing -- and so is an unlisted name
 * when the "-" entry is bad.
 *
 * Resolution of local@domain (domain compared without case):
 *   1. a user of the users file is a mailbox;
 *   1b. else, with a directory (aliases_set_directory), a user it
 *      holds is a mailbox; a directory that cannot answer is a
 *      temporary failure (the mail waits, nothing bounces);
 *   2. else the domain's alias file: the name's entry, or else "-",
 *      expands, each target resolved in turn (a bare name in the
 *      domain of the file that names it); neither: unknown;
 *   3. else a domain with users but no alias file: unknown;
 *   4. else, with a directory, the recipient itself (not an alias's
 *      target) is unknown: the directory's domains cannot be listed,
 *      and the MTA handed the address over as one of ours;
 *   5. else the address is outside popkit's domains: forward it.
 * Expansions nest at most ALIASES_DEPTH_MAX deep; a chain that comes
 * back to an entry already being expanded is a loop; an entry reached
 * twice (a diamond) is expanded once.  Targets are deduplicated (users
 * by record, forward addresses with the domain compared without case).
 * Any failure anywhere fails the whole recipient: a fan-out never
 * delivers to some members and silently drops others.
 */
#ifndef POPKIT_ALIASES_H
#define POPKIT_ALIASES_H

#include <stddef.h>

#include "userdb.h"

/* ---- one alias file ---- */

struct alias_entry {
    char *name;         /* as written; "" when a bad line has none */
    char **targets;
    size_t ntargets;
    size_t line;        /* 1-based number of its first line */
    size_t nlines;      /* lines it spans (continuations included) */
    const char *error;  /* NULL, or why the entry is bad */
};

struct alias_table {
    struct alias_entry *e;  /* in file order */
    size_t n, cap;
    size_t nbad;
    struct alias_entry **order; /* e by name (no case), then line */
};

/* Parse n lines (lines[i] of len[i] bytes, no newline; NUL bytes make a
 * line bad) into t.  0, or -1 (ENOMEM; t emptied). */
int aliases_parse(char *const *lines, const size_t *len, size_t n,
                  struct alias_table *t);
void aliases_table_free(struct alias_table *t);
/* The first good entry for name (case-insensitive), or NULL; *bad, when
 * not NULL, gets the first bad entry of that name (or NULL). */
const struct alias_entry *aliases_find(const struct alias_table *t,
                                       const char *name,
                                       const struct alias_entry **bad);
/* Is name a valid alias name ("-" is), and target a valid target?  1/0. */
int aliases_valid_name(const char *name);
int aliases_valid_target(const char *target);
/* The entry as the lines vuser writes: "name: t1 t2 ...", wrapped into
 * continuation lines (a tab, then targets) before 78 columns.  *n gets
 * how many lines (each malloc'ed); NULL on ENOMEM. */
char **aliases_format(const char *name, char *const *targets, size_t ntargets,
                      size_t *n);

/* ---- resolution ---- */

enum aliases_kind {
    ALIASES_OK = 0,
    ALIASES_UNKNOWN,    /* no such user or alias, no "-": 550 5.1.1, 67 */
    ALIASES_LOOP,       /* an alias leads back to itself: 5.4.6 */
    ALIASES_TOODEEP,    /* nested past ALIASES_DEPTH_MAX: 5.4.6 */
    ALIASES_TOOMANY,    /* more than ALIASES_TARGETS_MAX targets: 550 5.5.3 */
    ALIASES_BADADDR,    /* the recipient is not local@domain: 501 5.1.3, 65 */
    ALIASES_TEMP        /* a file cannot be read, or a bad entry: 4xx, 75 */
};

struct aliases_result {
    enum aliases_kind kind;
    /* Mailboxes: records of the users file or of the directory, owned
     * by the context (valid until aliases_close; never userdb_entry_free
     * them). */
    const struct userdb_entry **users;
    size_t nusers;
    /* Forward addresses (owned by the result), for sendmail -i -f SENDER --. */
    char **forwards;
    size_t nforwards;
    /* The recipient itself is in none of popkit's domains (its one
     * forward is itself): a caller that must not relay refuses it. */
    int foreign;
    /* For a failure: what and where, e.g. "/etc/popkit/aliases/abc.com:3:
     * all -> x@abc.com: no such user or alias". */
    char why[512];
};

struct aliases;

/* A context over the users file and ALIASDIR; the files are read at the
 * first resolve and kept (an LMTP session resolves many recipients).
 * users_file NULL: no users file (the users come from a directory).
 * NULL on ENOMEM. */
struct aliases *aliases_open(const char *users_file, const char *alias_dir);

/* A directory of users, asked about an address the users file does not
 * hold: 1 with *e filled (the context keeps it, and releases it with
 * userdb_entry_free at aliases_close), 0 when it has no such user, -1
 * when it cannot answer now (why filled).  ldaprcpt_lookup is one. */
typedef int (*aliases_lookup_fn)(void *ctx, const char *address,
                                 struct userdb_entry *e, char *why,
                                 size_t whysz);
/* Consult fn (with ctx) at step 1b from now on.  The users it finds are
 * kept for the context's life: a recipient asked about at RCPT and again
 * at DATA, or reached through two aliases, is one lookup and one
 * mailbox. */
void aliases_set_directory(struct aliases *a, aliases_lookup_fn fn,
                           void *ctx);
/* Resolve recipient into *r (free with aliases_result_free whatever the
 * outcome); returns r->kind.  A temporary failure to read a file is
 * retried at the next call. */
enum aliases_kind aliases_resolve(struct aliases *a, const char *recipient,
                                  struct aliases_result *r);
void aliases_result_free(struct aliases_result *r);
void aliases_close(struct aliases *a);

/* The file of domain under alias_dir into buf (domain lowered); 0, or -1
 * when domain is not a valid domain or the path does not fit. */
int aliases_path(const char *alias_dir, const char *domain, char *buf,
                 size_t size);

#endif
