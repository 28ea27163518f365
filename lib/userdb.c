/* SPDX-License-Identifier: ISC */
/*
 * userdb.c -- parse, look up and atomically rewrite the virtual users
 * file (userdb.h).
 */
#include "config.h"

#include "userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void chomp(char *s, ssize_t *n)
{
    if (*n > 0 && s[*n - 1] == '\n')
        s[--*n] = '\0';
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

static int push_line(struct userdb *db, char *s)
{
    if (db->n == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 64;
        char **l = realloc(db->lines, cap * sizeof *l);
        if (!l)
            return -1;
        db->lines = l;
        db->cap = cap;
    }
    db->lines[db->n++] = s;
    return 0;
}

static int take_lock(struct userdb *db)
{
    size_t n = strlen(db->path) + sizeof ".lock";
    char *lock = malloc(n);
    if (!lock)
        return -1;
    snprintf(lock, n, "%s.lock", db->path);
    db->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(lock);
    if (db->lockfd < 0)
        return -1;
    while (flock(db->lockfd, LOCK_EX) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static int read_lines(struct userdb *db, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        char *copy;
        chomp(line, &n);
        if ((size_t)n != strlen(line)) {
            errno = EINVAL;     /* a NUL byte: a rewrite would lose it */
            rc = -1;
            break;
        }
        copy = strdup(line);
        if (!copy || push_line(db, copy)) {
            free(copy);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = -1;
    if (line) {
        wipe(line, cap);
        free(line);
    }
    return rc;
}

int userdb_load(struct userdb *db, const char *path)
{
    struct stat st;
    FILE *f;
    int rc;

    memset(db, 0, sizeof *db);
    db->lockfd = -1;
    db->mode = 0600;
    db->uid = (uid_t)-1;
    db->gid = (gid_t)-1;
    db->path = strdup(path);
    if (!db->path || take_lock(db))
        return -1;
    f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fileno(f), &st) == 0) {
        db->exists = 1;
        db->mode = st.st_mode & 07777;
        db->uid = st.st_uid;
        db->gid = st.st_gid;
    }
    rc = read_lines(db, f);
    fclose(f);
    return rc;
}

long userdb_find(const struct userdb *db, const char *address)
{
    for (size_t i = 0; i < db->n; i++) {
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
    if (strlen(db->lines[i]) > USERDB_LINE_MAX)
        return -1;
    return parse_copy(db->lines[i], e);
}

int userdb_put(struct userdb *db, const struct userdb_entry *e)
{
    long i = userdb_find(db, e->address);
    char *s = userdb_format(e);
    if (!s)
        return -1;
    if (i < 0)
        return push_line(db, s) ? (free(s), -1) : 0;
    wipe(db->lines[i], strlen(db->lines[i]));
    free(db->lines[i]);
    db->lines[i] = s;
    return 0;
}

int userdb_del(struct userdb *db, const char *address)
{
    long i = userdb_find(db, address);
    if (i < 0)
        return -1;
    wipe(db->lines[i], strlen(db->lines[i]));
    free(db->lines[i]);
    memmove(db->lines + i, db->lines + i + 1,
            (db->n - (size_t)i - 1) * sizeof *db->lines);
    db->n--;
    return 0;
}

/* fsync the directory holding path, so the rename is on disk. */
static int sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int rc = fsync_dir(dirname(copy));
    int err = errno;
    free(copy);
    errno = err;
    return rc;
}

static int write_lines(const struct userdb *db, int fd)
{
    for (size_t i = 0; i < db->n; i++)
        if (write_all(fd, db->lines[i], strlen(db->lines[i]))
            || write_all(fd, "\n", 1))
            return -1;
    return 0;
}

/* Give the new file the old one's mode and (as root) owner. */
static int copy_attrs(const struct userdb *db, int fd)
{
    if (fchmod(fd, db->mode))
        return -1;
    if (db->exists && geteuid() == 0 && fchown(fd, db->uid, db->gid))
        return -1;
    return 0;
}

int userdb_commit(struct userdb *db)
{
    size_t n = strlen(db->path) + sizeof ".tmpXXXXXX";
    char *tmp = malloc(n);
    int fd, err;

    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmpXXXXXX", db->path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    if (copy_attrs(db, fd) || write_lines(db, fd) || fsync(fd))
        goto fail;
    if (close(fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, db->path))
        goto fail;
    free(tmp);
    return sync_dir(db->path);
fail:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    errno = err;
    return -1;
}

void userdb_close(struct userdb *db)
{
    for (size_t i = 0; i < db->n; i++) {
        wipe(db->lines[i], strlen(db->lines[i]));
        free(db->lines[i]);
    }
    free(db->lines);
    free(db->path);
    if (db->lockfd >= 0)
        close(db->lockfd);
    memset(db, 0, sizeof *db);
    db->lockfd = -1;
}
