/* SPDX-License-Identifier: ISC */
/*
 * aliases.c -- parse the per-domain alias files and resolve recipients
 * into mailboxes and forward addresses (aliases.h).
 */
#include "aliases.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "slurp.h"

/* A limit of params.h in a message. */
#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- names and targets ---- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int eq_nocase(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* A byte a name or a local part may hold: printable ASCII but for the
 * separators and what sendmail would read as a quote, escape or
 * comment. */
static int name_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr(":@,\"\\()<>;", c);
}

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > ALIASES_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_byte((unsigned char)s[i]))
            return 0;
    return 1;
}

int aliases_valid_name(const char *name)
{
    return name_ok(name, strlen(name));
}

/* Why target (n bytes) is not one, or NULL when it is. */
static const char *target_error(const char *t, size_t n)
{
    const char *at = memchr(t, '@', n);
    char full[USERDB_ADDRESS_MAX + 1];

    if (t[0] == '|' || t[0] == '/' || (n >= 9 && memcmp(t, ":include:", 9) == 0))
        return "pipes, files and :include: are not supported";
    if (!at)
        return n == 1 && t[0] == '-' ? "'-' is not a target"
               : name_ok(t, n) ? NULL : "bad name in target";
    if (!name_ok(t, (size_t)(at - t)) || n > USERDB_ADDRESS_MAX
        || memchr(at + 1, '@', n - (size_t)(at - t) - 1))
        return "bad local part in target";
    memcpy(full, t, n);
    full[n] = '\0';
    return userdb_valid_address(full) ? NULL : "bad domain in target";
}

int aliases_valid_target(const char *target)
{
    return *target && target_error(target, strlen(target)) == NULL;
}

/* ---- parsing ---- */

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_sep(char c) { return c == ' ' || c == '\t' || c == ','; }

static int blank_or_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_blank(s[i]))
        i++;
    return i == n || s[i] == '#';
}

static int push_target(struct alias_entry *e, const char *s, size_t n)
{
    char **t = e->targets;
    /* Doubling at each power of two: an entry may hold thousands. */
    if ((e->ntargets & (e->ntargets - 1)) == 0) {
        t = realloc(t, (e->ntargets ? 2 * e->ntargets : 1) * sizeof *t);
        if (!t)
            return -1;
        e->targets = t;
    }
    t[e->ntargets] = strndup(s, n);
    if (!t[e->ntargets])
        return -1;
    e->ntargets++;
    return 0;
}

/* The name before the colon of text (n bytes), blanks around it
 * dropped, into e->name ("" when there is no colon).  Returns the offset
 * after the colon, or 0 without one.  -1: ENOMEM. */
static long take_name(struct alias_entry *e, const char *text, size_t n)
{
    const char *colon = memchr(text, ':', n);
    size_t a = 0, b = colon ? (size_t)(colon - text) : 0;
    while (a < b && is_blank(text[a]))
        a++;
    while (b > a && is_blank(text[b - 1]))
        b--;
    e->name = strndup(text + a, b - a);
    if (!e->name)
        return -1;
    return colon ? (long)(colon - text) + 1 : 0;
}

/* Fill e from one logical entry (continuations joined with a space).
 * 0, or -1 (ENOMEM); a bad entry sets e->error. */
static int parse_entry(struct alias_entry *e, const char *text, size_t n)
{
    long off = take_name(e, text, n);
    size_t i;
    if (off < 0)
        return -1;
    if (memchr(text, '\0', n))
        return (e->error = "a NUL byte"), 0;
    if (off == 0)
        return (e->error = "no colon: want 'name: target ...'"), 0;
    if (!aliases_valid_name(e->name))
        return (e->error = "bad name before the colon"), 0;
    for (i = (size_t)off; i < n;) {
        size_t j = i;
        const char *why;
        while (j < n && !is_sep(text[j]))
            j++;
        if (j > i && (why = target_error(text + i, j - i)) != NULL)
            return (e->error = why), 0;
        if (j > i && push_target(e, text + i, j - i))
            return -1;
        while (j < n && is_sep(text[j]))
            j++;
        i = j;
    }
    if (e->ntargets == 0)
        e->error = "no target after the colon";
    return 0;
}

static void entry_free(struct alias_entry *e)
{
    for (size_t i = 0; i < e->ntargets; i++)
        free(e->targets[i]);
    free(e->targets);
    free(e->name);
    memset(e, 0, sizeof *e);
}

void aliases_table_free(struct alias_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        entry_free(&t->e[i]);
    free(t->e);
    free(t->order);
    memset(t, 0, sizeof *t);
}

static struct alias_entry *new_entry(struct alias_table *t, size_t line)
{
    struct alias_entry *e;
    if (t->n == t->cap) {
        /* Doubling: a file has up to some 200,000 entries. */
        size_t cap = t->cap ? t->cap * 2 : 64;
        e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return NULL;
        t->e = e;
        t->cap = cap;
    }
    e = t->e + t->n++;
    memset(e, 0, sizeof *e);
    e->line = line;
    return e;
}

/* How many lines from i form one entry: i, and the continuation lines
 * (starting with a blank, not blank or comment) right after it. */
static size_t entry_lines(char *const *lines, const size_t *len, size_t n,
                          size_t i)
{
    size_t k = i + 1;
    while (k < n && len[k] > 0 && is_blank(lines[k][0])
           && !blank_or_comment(lines[k], len[k]))
        k++;
    return k - i;
}

/* Join lines [i, i + count) with single spaces into buf (the entry must
 * fit ALIASES_ENTRY_MAX).  Its length, or the error. */
static const char *join_lines(char *const *lines, const size_t *len,
                              size_t i, size_t count, char *buf, size_t *out)
{
    size_t n = 0;
    for (size_t k = i; k < i + count; k++) {
        if (len[k] > ALIASES_LINE_MAX)
            return "line longer than " STR(ALIASES_LINE_MAX) " bytes";
        if (n + len[k] + 1 > ALIASES_ENTRY_MAX)
            return "entry longer than " STR(ALIASES_ENTRY_MAX) " bytes";
        memcpy(buf + n, lines[k], len[k]);
        n += len[k];
        buf[n++] = ' ';
    }
    *out = n - 1;
    return NULL;
}

/* One entry from line i on; 0 or -1 (ENOMEM). */
static int parse_one(struct alias_table *t, char *const *lines,
                     const size_t *len, size_t i, size_t count, char *buf)
{
    struct alias_entry *e = new_entry(t, i + 1);
    size_t n = 0;
    const char *why;
    if (!e)
        return -1;
    e->nlines = count;
    why = join_lines(lines, len, i, count, buf, &n);
    if (why) {
        /* The name is still made out when the colon is in reach, so
         * that name defers instead of falling to "-". */
        size_t head = len[i] < ALIASES_LINE_MAX ? len[i] : ALIASES_LINE_MAX;
        if (take_name(e, lines[i], head) < 0)
            return -1;
        e->error = why;
    } else if (is_blank(lines[i][0])) {
        e->name = strdup("");
        if (!e->name)
            return -1;
        e->error = "continuation line with no entry before it";
    } else if (parse_entry(e, buf, n)) {
        return -1;
    }
    if (e->error)
        t->nbad++;
    return 0;
}

/* Names without case, as bytes: the order of t->order. */
static int cmp_name(const char *a, const char *b)
{
    for (; *a && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
        ;
    return (int)lower((unsigned char)*a) - (int)lower((unsigned char)*b);
}

static int cmp_order(const void *x, const void *y)
{
    const struct alias_entry *a = *(struct alias_entry *const *)x;
    const struct alias_entry *b = *(struct alias_entry *const *)y;
    int c = cmp_name(a->name, b->name);
    return c ? c : (a > b) - (a < b);   /* one array: file order */
}

/* Sort the index by name, and make every good entry after the first good
 * one of its name a bad one: names are found by binary search, and a
 * second entry is found in one pass, not by a search per line. */
static int index_names(struct alias_table *t)
{
    t->order = malloc((t->n + 1) * sizeof *t->order);
    if (!t->order)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        t->order[i] = &t->e[i];
    qsort(t->order, t->n, sizeof *t->order, cmp_order);
    for (size_t k = 0, seen = 0; k < t->n; k++) {
        struct alias_entry *e = t->order[k];
        if (k > 0 && cmp_name(t->order[k - 1]->name, e->name))
            seen = 0;
        if (e->error || !*e->name)
            continue;
        if (seen) {
            e->error = "a second entry for this name (the first one is used)";
            t->nbad++;
        }
        seen = 1;
    }
    return 0;
}

int aliases_parse(char *const *lines, const size_t *len, size_t n,
                  struct alias_table *t)
{
    char *buf = malloc(ALIASES_ENTRY_MAX);
    memset(t, 0, sizeof *t);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t count;
        if (blank_or_comment(lines[i], len[i]) && !memchr(lines[i], '\0', len[i])) {
            i++;
            continue;
        }
        count = entry_lines(lines, len, n, i);
        if (parse_one(t, lines, len, i, count, buf)) {
            free(buf);
            aliases_table_free(t);
            return -1;
        }
        i += count;
    }
    free(buf);
    if (index_names(t)) {
        aliases_table_free(t);
        return -1;
    }
    return 0;
}

const struct alias_entry *aliases_find(const struct alias_table *t,
                                       const char *name,
                                       const struct alias_entry **bad)
{
    size_t lo = 0, hi = t->n;
    if (bad)
        *bad = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_name(t->order[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < t->n && cmp_name(t->order[lo]->name, name) == 0; lo++) {
        const struct alias_entry *e = t->order[lo];
        if (!e->error)
            return e;
        if (bad && !*bad)
            *bad = e;
    }
    return NULL;
}

/* ---- formatting ---- */

static int add_line(char ***lines, size_t *n, const char *s)
{
    char **l = realloc(*lines, (*n + 1) * sizeof *l);
    if (!l)
        return -1;
    *lines = l;
    l[*n] = strdup(s);
    if (!l[*n])
        return -1;
    (*n)++;
    return 0;
}

char **aliases_format(const char *name, char *const *targets, size_t ntargets,
                      size_t *n)
{
    char buf[ALIASES_LINE_MAX];
    char **lines = NULL;
    size_t len;

    size_t on_line = 0;    /* targets on the line in buf */

    *n = 0;
    len = (size_t)snprintf(buf, sizeof buf, "%s:", name);
    for (size_t i = 0; i < ntargets; i++) {
        /* A continuation line before 78 columns (the tab counts 8), but
         * never an empty line: a target longer than that stands alone. */
        if (on_line > 0 && len + 1 + strlen(targets[i]) > 77) {
            if (add_line(&lines, n, buf))
                goto fail;
            len = (size_t)snprintf(buf, sizeof buf, "\t%s", targets[i]);
            on_line = 1;
            continue;
        }
        len += (size_t)snprintf(buf + len, sizeof buf - len, " %s", targets[i]);
        on_line++;
    }
    if (add_line(&lines, n, buf))
        goto fail;
    return lines;
fail:
    for (size_t i = 0; i < *n; i++)
        free(lines[i]);
    free(lines);
    *n = 0;
    return NULL;
}

/* ---- the files a context reads ---- */

/* A user of the users file, keyed for binary search by domain, then
 * local part, then position (the first entry for an address wins, as
 * at login). */
struct user {
    struct userdb_entry e;
    const char *domain;
    size_t dlen, llen, index;
};

enum { WHITE, GRAY, BLACK };    /* an entry's state in one resolve */

struct domain {
    char *name;             /* lower case */
    char *path;
    struct alias_table t;   /* empty when there is no file */
    int exists;             /* an alias file was read */
    unsigned char *state;   /* per entry; WHITE between resolves */
    unsigned *height;       /* expansions below a BLACK entry */
};

struct aliases {
    char *users_file, *alias_dir;
    struct slurp users_data;
    int users_loaded;
    struct user *users;
    size_t nusers;
    struct domain **domains;    /* each its own allocation: a resolve
                                 * holds pointers to them while it
                                 * reads more domains */
    size_t ndomains;
};

/* The running resolve. */
struct run {
    struct aliases *a;
    struct aliases_result *r;
};

struct aliases *aliases_open(const char *users_file, const char *alias_dir)
{
    struct aliases *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->users_file = strdup(users_file);
    a->alias_dir = strdup(alias_dir);
    if (!a->users_file || !a->alias_dir) {
        aliases_close(a);
        return NULL;
    }
    return a;
}

static void domain_free(struct domain *d)
{
    free(d->name);
    free(d->path);
    aliases_table_free(&d->t);
    free(d->state);
    free(d->height);
    free(d);
}

void aliases_close(struct aliases *a)
{
    if (!a)
        return;
    if (a->users_loaded)
        slurp_release(&a->users_data, 1);
    free(a->users);
    for (size_t i = 0; i < a->ndomains; i++)
        domain_free(a->domains[i]);
    free(a->domains);
    free(a->users_file);
    free(a->alias_dir);
    free(a);
}

static int cmp_key(const char *d1, size_t d1n, const char *l1, size_t l1n,
                   const struct user *u)
{
    size_t i;
    for (i = 0; i < d1n && i < u->dlen; i++)
        if (lower((unsigned char)d1[i]) != lower((unsigned char)u->domain[i]))
            return lower((unsigned char)d1[i]) - lower((unsigned char)u->domain[i]);
    if (d1n != u->dlen)
        return d1n < u->dlen ? -1 : 1;
    for (i = 0; i < l1n && i < u->llen; i++)
        if (lower((unsigned char)l1[i]) != lower((unsigned char)u->e.address[i]))
            return lower((unsigned char)l1[i]) - lower((unsigned char)u->e.address[i]);
    if (l1n != u->llen)
        return l1n < u->llen ? -1 : 1;
    return 0;
}

static int cmp_users(const void *x, const void *y)
{
    const struct user *a = x, *b = y;
    int c = cmp_key(a->domain, a->dlen, a->e.address, a->llen, b);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int add_user(struct aliases *a, char *line, size_t n, size_t *cap)
{
    struct user u;
    int rc;
    line[n] = '\0';     /* its newline, or the NUL after the file */
    if (n > USERDB_LINE_MAX)
        return 0;
    rc = userdb_parse(line, &u.e);
    if (rc != 1)
        return 0;
    u.domain = strrchr(u.e.address, '@') + 1;
    u.llen = (size_t)(u.domain - 1 - u.e.address);
    u.dlen = strlen(u.domain);
    u.index = a->nusers;
    if (a->nusers == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct user *p = realloc(a->users, c * sizeof *p);
        if (!p)
            return -1;
        a->users = p;
        *cap = c;
    }
    a->users[a->nusers++] = u;
    return 0;
}

/* Read the users file once, parsed in place and sorted. */
static int load_users(struct run *run)
{
    struct aliases *a = run->a;
    size_t pos = 0, n, cap = 0;
    char *line;
    if (a->users_loaded)
        return 0;
    if (slurp(&a->users_data, a->users_file, USERDB_FILE_MAX)) {
        snprintf(run->r->why, sizeof run->r->why, "cannot read %s: %s",
                 a->users_file, strerror(errno));
        return -1;
    }
    a->users_loaded = 1;
    while ((line = slurp_next_line(&a->users_data, &pos, &n)) != NULL)
        if (add_user(a, line, n, &cap)) {
            snprintf(run->r->why, sizeof run->r->why, "out of memory");
            return -1;
        }
    if (a->nusers)      /* an empty file: users is NULL */
        qsort(a->users, a->nusers, sizeof *a->users, cmp_users);
    return 0;
}

/* The first user at or after (domain, local), by the sort order. */
static size_t lower_bound(const struct aliases *a, const char *d, size_t dn,
                          const char *l, size_t ln)
{
    size_t lo = 0, hi = a->nusers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(d, dn, l, ln, &a->users[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct user *find_user(const struct aliases *a, const char *d,
                                    const char *l, size_t ln)
{
    size_t dn = strlen(d), i = lower_bound(a, d, dn, l, ln);
    if (i < a->nusers && cmp_key(d, dn, l, ln, &a->users[i]) == 0)
        return &a->users[i];
    return NULL;
}

static int domain_has_users(const struct aliases *a, const char *d)
{
    size_t dn = strlen(d), i = lower_bound(a, d, dn, "", 0);
    return i < a->nusers && eq_nocase(d, dn, a->users[i].domain, a->users[i].dlen);
}

int aliases_path(const char *alias_dir, const char *domain, char *buf,
                 size_t size)
{
    char probe[USERDB_ADDRESS_MAX + 3];
    size_t dn = strlen(domain), n;
    if (dn + 2 > USERDB_ADDRESS_MAX)
        return -1;
    snprintf(probe, sizeof probe, "x@%s", domain);
    if (!userdb_valid_address(probe))
        return -1;
    n = (size_t)snprintf(buf, size, "%s/%s", alias_dir, domain);
    if (n >= size)
        return -1;
    for (char *p = buf + n - dn; *p; p++)
        *p = (char)lower((unsigned char)*p);
    return 0;
}

/* Split a slurped file into lines for aliases_parse. */
static int parse_file(const struct slurp *f, struct alias_table *t)
{
    size_t pos = 0, n, count = 0, cap = 0;
    char **lines = NULL, *line;
    size_t *len = NULL;
    int rc;
    while ((line = slurp_next_line(f, &pos, &n)) != NULL) {
        if (count == cap) {
            size_t c = cap ? cap * 2 : 64;
            char **l = realloc(lines, c * sizeof *l);
            size_t *ln = l ? realloc(len, c * sizeof *ln) : NULL;
            if (l)
                lines = l;
            if (!ln) {
                free(lines);
                free(len);
                return -1;
            }
            len = ln;
            cap = c;
        }
        lines[count] = line;
        len[count++] = n;
    }
    rc = aliases_parse(lines, len, count, t);
    free(lines);
    free(len);
    return rc;
}

/* Read domain's alias file into d (a missing one, or a missing
 * directory, leaves d->exists 0).  0, or -1 with run->r->why said. */
static int read_domain(struct run *run, struct domain *d)
{
    struct slurp f;
    int rc;
    if (slurp(&f, d->path, ALIASES_FILE_MAX)) {
        if (errno == ENOENT)
            return 0;
        snprintf(run->r->why, sizeof run->r->why, "cannot read %s: %s",
                 d->path, strerror(errno));
        return -1;
    }
    rc = parse_file(&f, &d->t);
    slurp_release(&f, 0);
    if (rc == 0 && d->t.n) {
        d->state = calloc(d->t.n, 1);
        d->height = calloc(d->t.n, sizeof *d->height);
        if (!d->state || !d->height)
            rc = -1;
    }
    if (rc) {
        snprintf(run->r->why, sizeof run->r->why, "out of memory");
        return -1;
    }
    d->exists = 1;
    return 0;
}

/* The domain, read at its first use; NULL after saying why.  A domain
 * that could not be read is not kept, so the next resolve tries again. */
static struct domain *get_domain(struct run *run, const char *name)
{
    struct aliases *a = run->a;
    size_t size = strlen(a->alias_dir) + strlen(name) + 2;
    struct domain *d, **p;
    for (size_t i = 0; i < a->ndomains; i++)
        if (strcmp(a->domains[i]->name, name) == 0)
            return a->domains[i];
    p = realloc(a->domains, (a->ndomains + 1) * sizeof *p);
    d = p ? calloc(1, sizeof *d) : NULL;
    if (p)
        a->domains = p;
    if (!d) {
        snprintf(run->r->why, sizeof run->r->why, "out of memory");
        return NULL;
    }
    d->name = strdup(name);
    d->path = malloc(size);
    if (!d->name || !d->path) {
        snprintf(run->r->why, sizeof run->r->why, "out of memory");
        domain_free(d);
        return NULL;
    }
    snprintf(d->path, size, "%s/%s", a->alias_dir, name);
    if (read_domain(run, d)) {
        domain_free(d);
        return NULL;
    }
    a->domains[a->ndomains++] = d;
    return d;
}

/* ---- resolution ---- */

__attribute__((format(printf, 3, 4)))
static enum aliases_kind fail(struct run *run, enum aliases_kind k,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->r->why, sizeof run->r->why, fmt, ap);
    va_end(ap);
    run->r->kind = k;
    return k;
}

static int room(struct run *run)
{
    if (run->r->nusers + run->r->nforwards < ALIASES_TARGETS_MAX)
        return 1;
    fail(run, ALIASES_TOOMANY, "more than %d mailboxes and forward addresses",
         ALIASES_TARGETS_MAX);
    return 0;
}

static enum aliases_kind add_mailbox(struct run *run, const struct user *u)
{
    struct aliases_result *r = run->r;
    const struct userdb_entry **p;
    for (size_t i = 0; i < r->nusers; i++)
        if (r->users[i] == &u->e)
            return ALIASES_OK;
    if (!room(run))
        return r->kind;
    p = realloc(r->users, (r->nusers + 1) * sizeof *p);
    if (!p)
        return fail(run, ALIASES_TEMP, "out of memory");
    r->users = p;
    p[r->nusers++] = &u->e;
    return ALIASES_OK;
}

/* Forward addresses are equal when their local parts are (as written:
 * another site's local parts may differ by case) and their domains
 * are without regard to case. */
static int same_forward(const char *a, const char *b)
{
    const char *da = strrchr(a, '@'), *db = strrchr(b, '@');
    return da - a == db - b && memcmp(a, b, (size_t)(da - a)) == 0
           && eq_nocase(da, strlen(da), db, strlen(db));
}

static enum aliases_kind add_forward(struct run *run, const char *addr)
{
    struct aliases_result *r = run->r;
    char **p;
    for (size_t i = 0; i < r->nforwards; i++)
        if (same_forward(r->forwards[i], addr))
            return ALIASES_OK;
    if (!room(run))
        return r->kind;
    p = realloc(r->forwards, (r->nforwards + 1) * sizeof *p);
    if (!p)
        return fail(run, ALIASES_TEMP, "out of memory");
    r->forwards = p;
    p[r->nforwards] = strdup(addr);
    if (!p[r->nforwards])
        return fail(run, ALIASES_TEMP, "out of memory");
    r->nforwards++;
    return ALIASES_OK;
}

static enum aliases_kind visit(struct run *run, const char *target,
                               const char *domain, unsigned depth,
                               unsigned *height);

/* Where an entry is, for messages: "FILE:LINE". */
static const char *where(const struct domain *d, const struct alias_entry *e,
                         char *buf, size_t size)
{
    snprintf(buf, size, "%s:%zu", d->path, e->line);
    return buf;
}

/* Expand entry e of d, entered depth expansions deep; *height gets the
 * expansions it takes itself, it included. */
static enum aliases_kind expand(struct run *run, struct domain *d,
                                const struct alias_entry *e, unsigned depth,
                                unsigned *height)
{
    size_t k = (size_t)(e - d->t.e);
    char at[4200];
    unsigned h = 0;

    if (d->state[k] == GRAY)
        return fail(run, ALIASES_LOOP, "%s: alias %s leads back to itself",
                    where(d, e, at, sizeof at), e->name);
    if (d->state[k] == BLACK) {
        *height = d->height[k];
        if (depth + d->height[k] > ALIASES_DEPTH_MAX)
            return fail(run, ALIASES_TOODEEP, "%s: alias %s nests too deep",
                        where(d, e, at, sizeof at), e->name);
        return ALIASES_OK;
    }
    if (depth + 1 > ALIASES_DEPTH_MAX)
        return fail(run, ALIASES_TOODEEP,
                    "%s: alias %s nests more than %d deep",
                    where(d, e, at, sizeof at), e->name, ALIASES_DEPTH_MAX);
    d->state[k] = GRAY;
    for (size_t i = 0; i < e->ntargets; i++) {
        unsigned th = 0;
        if (visit(run, e->targets[i], d->name, depth + 1, &th))
            return run->r->kind;
        if (th > h)
            h = th;
    }
    d->state[k] = BLACK;
    d->height[k] = h + 1;
    *height = h + 1;
    return ALIASES_OK;
}

/* local@domain (both lower-cased copies) in a domain with an alias file. */
static enum aliases_kind in_alias_file(struct run *run, struct domain *d,
                                       const char *local, const char *full,
                                       unsigned depth, unsigned *height)
{
    const struct alias_entry *bad, *dbad = NULL, *e = aliases_find(&d->t, local, &bad);
    char at[4200];
    if (!e && bad)
        return fail(run, ALIASES_TEMP, "%s: %s", where(d, bad, at, sizeof at),
                    bad->error);
    if (!e)
        e = aliases_find(&d->t, "-", &dbad);
    if (!e && dbad)
        return fail(run, ALIASES_TEMP, "%s: %s", where(d, dbad, at, sizeof at),
                    dbad->error);
    if (!e)
        return fail(run, ALIASES_UNKNOWN,
                    "%s: no such user or alias, and no '-' in %s", full, d->path);
    return expand(run, d, e, depth, height);
}

/* One address (or bare name, of domain) depth expansions deep. */
static enum aliases_kind visit(struct run *run, const char *target,
                               const char *domain, unsigned depth,
                               unsigned *height)
{
    char full[USERDB_ADDRESS_MAX + 1], *at;
    const struct user *u;
    struct domain *d;
    int n;

    *height = 0;
    if (strchr(target, '@'))
        n = snprintf(full, sizeof full, "%s", target);
    else
        n = snprintf(full, sizeof full, "%s@%s", target, domain ? domain : "");
    if (n < 0 || (size_t)n >= sizeof full || !userdb_valid_address(full)
        || strchr(full, '@') != strrchr(full, '@'))
        return fail(run, ALIASES_BADADDR, "bad address '%s'%s", target,
                    depth ? " in an alias" : ": want local@domain");
    at = strrchr(full, '@');
    for (char *p = at + 1; *p; p++)
        *p = (char)lower((unsigned char)*p);
    if ((u = find_user(run->a, at + 1, full, (size_t)(at - full))) != NULL)
        return add_mailbox(run, u);
    if ((d = get_domain(run, at + 1)) == NULL)
        return run->r->kind = ALIASES_TEMP;
    if (d->exists) {
        char local[USERDB_ADDRESS_MAX + 1];
        snprintf(local, sizeof local, "%.*s", (int)(at - full), full);
        return in_alias_file(run, d, local, full, depth, height);
    }
    if (domain_has_users(run->a, at + 1))
        return fail(run, ALIASES_UNKNOWN, "%s: no such user (and no alias file %s)",
                    full, d->path);
    if (depth == 0)
        run->r->foreign = 1;
    return add_forward(run, full);
}

static void reset_states(struct aliases *a)
{
    for (size_t i = 0; i < a->ndomains; i++)
        if (a->domains[i]->state)
            memset(a->domains[i]->state, WHITE, a->domains[i]->t.n);
}

enum aliases_kind aliases_resolve(struct aliases *a, const char *recipient,
                                  struct aliases_result *r)
{
    struct run run = {a, r};
    unsigned height;
    memset(r, 0, sizeof *r);
    if (load_users(&run))
        return r->kind = ALIASES_TEMP;
    visit(&run, recipient, NULL, 0, &height);
    reset_states(a);
    if (r->kind != ALIASES_OK) {
        enum aliases_kind k = r->kind;
        char why[sizeof r->why];
        memcpy(why, r->why, sizeof why);
        aliases_result_free(r);
        r->kind = k;
        memcpy(r->why, why, sizeof why);
    }
    return r->kind;
}

void aliases_result_free(struct aliases_result *r)
{
    for (size_t i = 0; i < r->nforwards; i++)
        free(r->forwards[i]);
    free(r->forwards);
    free(r->users);
    memset(r, 0, sizeof *r);
}
