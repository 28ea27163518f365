/* SPDX-License-Identifier: ISC */
/*
 * userdb.c -- parse, look up and atomically rewrite the virtual users
 * file (userdb.h).
 */
#include "userdb.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "slurp.h"
#include "util.h"

/* ---- fields ---- */

static int is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Are all n bytes printable ASCII from lo (0x20 with space, 0x21
 * without) to 0x7e?  Eight at a time, since every line of the users
 * file is checked at every login: a byte of 0x80 or more, one below lo
 * (exact for bytes under 0x80), one equal to 0x7f.  A NUL fails too. */
static int all_print_from(const char *s, size_t n, unsigned char lo)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t high = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, del;
        memcpy(&w, s + i, 8);
        del = w ^ (0x7f * ones);
        if ((w & high) || ((w - lo * ones) & ~w & high)
            || ((del - ones) & ~del & high))
            return 0;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] < lo || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

static int all_graph(const char *s, size_t n) { return all_print_from(s, n, 0x21); }
static int all_print(const char *s, size_t n) { return all_print_from(s, n, 0x20); }
static int has_colon(const char *s, size_t n) { return memchr(s, ':', n) != NULL; }

/* The field checks on [s, s + n), colons aside: the parser splits at
 * colons, so only the public checks (vuser's input) look for them. */

/* A domain: labels of letters, digits and '-', dots between them. */
static int domain_ok(const char *d, size_t n)
{
    size_t label = 0;
    for (const unsigned char *p = (const unsigned char *)d; n; p++, n--) {
        if (*p == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (is_lower_alnum(lower(*p)) || *p == '-') {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0;
}

static int address_ok(const char *a, size_t n)
{
    size_t at = n;
    while (at > 0 && a[at - 1] != '@')
        at--;
    if (at <= 1 || n > USERDB_ADDRESS_MAX)
        return 0;   /* no '@', or nothing before it */
    return all_graph(a, at - 1) && domain_ok(a + at, n - at);
}

static int owner_ok(const char *o, size_t n)
{
    return n > 0 && n <= USERDB_OWNER_MAX && o[0] != '-' && all_graph(o, n);
}

static int home_ok(const char *h, size_t n)
{
    return n > 0 && h[0] == '/' && n <= USERDB_HOME_MAX && all_print(h, n);
}

static int apop_ok(const char *hex, size_t n)
{
    if (n % 2 || n > 2 * USERDB_APOP_SECRET_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return 0;
    return 1;
}

int userdb_valid_address(const char *a)
{
    size_t n = strlen(a);
    return address_ok(a, n) && !has_colon(a, n);
}

int userdb_valid_owner(const char *o)
{
    size_t n = strlen(o);
    return owner_ok(o, n) && !has_colon(o, n);
}

int userdb_valid_home(const char *h)
{
    size_t n = strlen(h);
    return home_ok(h, n) && !has_colon(h, n);
}

int userdb_valid_hash(const char *h)
{
    size_t n = strlen(h);
    return all_graph(h, n) && !has_colon(h, n);
}

int userdb_valid_apop(const char *hex)
{
    return apop_ok(hex, strlen(hex));
}

int userdb_addr_eq(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (; *x && lower(*x) == lower(*y); x++, y++)
        ;
    return *x == '\0' && *y == '\0';
}

/* ---- lines ---- */

/* Split [line, line + n) at colons in place (each becomes a NUL; the
 * byte at line[n] must be one already) into at most max fields.
 * Returns how many, max meaning "max or more". */
static size_t split_fields(char *line, size_t n, char **f, size_t *len,
                           size_t max)
{
    char *p = line, *end = line + n;
    size_t k = 0;
    while (k < max) {
        char *c = memchr(p, ':', (size_t)(end - p));
        f[k] = p;
        len[k++] = (size_t)((c ? c : end) - p);
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return k;
}

/* userdb_parse on a line of known length, which may hold NUL bytes (the
 * lookup's buffer): they fail the field checks like any control byte. */
static int parse_line(char *line, size_t n, struct userdb_entry *e)
{
    const char *s = line, *end = line + n;
    char *f[6];
    size_t len[6], k;

    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end || *s == '#')
        return memchr(s, '\0', (size_t)(end - s)) ? -1 : 0;
    memset(e, 0, sizeof *e);
    k = split_fields(line, n, f, len, 6);
    if (k < 4 || k > 5)
        return -1;
    e->address = f[0];
    e->hash = f[1];
    e->owner = f[2];
    e->home = f[3];
    e->apop = k == 5 ? f[4] : (char *)"";
    if (!address_ok(f[0], len[0]) || !all_graph(f[1], len[1])
        || !owner_ok(f[2], len[2]) || !home_ok(f[3], len[3])
        || (k == 5 && !apop_ok(f[4], len[4])))
        return -1;
    return 1;
}

int userdb_parse(char *line, struct userdb_entry *e)
{
    return parse_line(line, strlen(line), e);
}

void userdb_entry_free(struct userdb_entry *e)
{
    if (e->line) {
        wipe(e->line, e->size);
        free(e->line);
    }
    memset(e, 0, sizeof *e);
}

char *userdb_format(const struct userdb_entry *e)
{
    const char *apop = e->apop ? e->apop : "";
    size_t n = strlen(e->address) + strlen(e->hash) + strlen(e->owner)
               + strlen(e->home) + strlen(apop) + 5;
    char *s = malloc(n);
    if (!s)
        return NULL;
    snprintf(s, n, "%s:%s:%s:%s%s%s", e->address, e->hash, e->owner,
             e->home, *apop ? ":" : "", apop);
    return s;
}

/* Copy line into fresh storage and parse it there. */
static int parse_copy(const char *line, struct userdb_entry *e)
{
    size_t size = strlen(line) + 1;
    char *copy = malloc(size);
    int rc;
    if (!copy)
        return -1;
    memcpy(copy, line, size);
    rc = userdb_parse(copy, e);
    if (rc == 1) {
        e->line = copy;
        e->size = size;
    } else {
        wipe(copy, size);
        free(copy);
    }
    return rc;
}

/* ---- lookup ---- */

/* Move the parsed fields of line (size bytes, NULs in place) into fresh
 * storage owned by e.  0 or -1. */
static int keep_entry(const char *line, size_t size,
                      const struct userdb_entry *cur, struct userdb_entry *e)
{
    e->line = malloc(size);
    if (!e->line)
        return -1;
    memcpy(e->line, line, size);
    e->size = size;
    e->address = e->line + (cur->address - line);
    e->hash = e->line + (cur->hash - line);
    e->owner = e->line + (cur->owner - line);
    e->home = e->line + (cur->home - line);
    e->apop = *cur->apop ? e->line + (cur->apop - line) : (char *)"";
    return 0;
}

/* One line of the scan: count it if malformed, take the template hash
 * and the first entry for address.  0, or -1 (ENOMEM). */
static int scan_line(char *line, size_t n, const char *address,
                     struct userdb_entry *e, char *tmpl, size_t tmplsz,
                     size_t *bad)
{
    struct userdb_entry cur;
    int rc;
    if (n > USERDB_LINE_MAX) {
        (*bad)++;
        return 0;
    }
    rc = parse_line(line, n, &cur);
    if (rc < 0)
        (*bad)++;
    if (rc != 1)
        return 0;
    /* The template is the first hash that is in use (not locked), so
     * the dummy check costs what a real one does. */
    if (tmpl && tmplsz && !tmpl[0] && cur.hash[0] && cur.hash[0] != '!'
        && cur.hash[0] != '*' && strlen(cur.hash) < tmplsz)
        strcpy(tmpl, cur.hash);
    /* The first match wins; later ones are still read so the work
     * does not depend on where the user is. */
    if (!e->line && userdb_addr_eq(cur.address, address))
        return keep_entry(line, n + 1, &cur, e);
    return 0;
}

int userdb_lookup(const char *path, const char *address,
                  struct userdb_entry *e, char *tmpl, size_t tmplsz,
                  size_t *malformed)
{
    size_t pos = 0, n, bad = 0;
    struct slurp file;
    char *line;
    int err = 0;

    memset(e, 0, sizeof *e);
    if (tmpl && tmplsz)
        tmpl[0] = '\0';
    /* The whole file in one read: no stdio, no system call per line. */
    if (slurp(&file, path, USERDB_FILE_MAX))
        return -1;
    while ((line = slurp_next_line(&file, &pos, &n)) != NULL) {
        /* Ended in place: its newline, or the NUL slurp put after the
         * file, becomes the end of the line's last field. */
        line[n] = '\0';
        if (scan_line(line, n, address, e, tmpl, tmplsz, &bad)) {
            err = ENOMEM;
            break;
        }
    }
    slurp_release(&file, 1);
    if (malformed)
        *malformed = bad;
    if (err) {
        userdb_entry_free(e);
        errno = err;
        return -1;
    }
    return e->line != NULL;
}

/* ---- editing ---- */

int userdb_load(struct userdb *db, const char *path)
{
    return linefile_load(&db->file, path, 0600);
}

long userdb_find(const struct userdb *db, const char *address)
{
    for (size_t i = 0; i < db->file.n; i++) {
        struct userdb_entry e;
        int rc = userdb_get(db, i, &e), eq;
        if (rc != 1)
            continue;
        eq = userdb_addr_eq(e.address, address);
        userdb_entry_free(&e);
        if (eq)
            return (long)i;
    }
    return -1;
}

int userdb_get(const struct userdb *db, size_t i, struct userdb_entry *e)
{
    memset(e, 0, sizeof *e);
    if (strlen(db->file.lines[i]) > USERDB_LINE_MAX)
        return -1;
    return parse_copy(db->file.lines[i], e);
}

int userdb_put(struct userdb *db, const struct userdb_entry *e)
{
    long i = userdb_find(db, e->address);
    char *s = userdb_format(e);
    if (!s)
        return -1;
    if (i < 0)
        return linefile_insert(&db->file, db->file.n, s) ? (free(s), -1) : 0;
    wipe(db->file.lines[i], strlen(db->file.lines[i]));
    free(db->file.lines[i]);
    db->file.lines[i] = s;
    return 0;
}

int userdb_del(struct userdb *db, const char *address)
{
    long i = userdb_find(db, address);
    if (i < 0)
        return -1;
    linefile_remove(&db->file, (size_t)i, 1);
    return 0;
}

int userdb_commit(struct userdb *db)
{
    return linefile_commit(&db->file);
}

void userdb_close(struct userdb *db)
{
    linefile_close(&db->file);
}
