/* SPDX-License-Identifier: ISC */
/*
 * aliases.c -- the files a resolve reads (the users file, each domain's
 * alias file, once a context) and the resolution of a recipient into
 * mailboxes and forward addresses (aliases.h).
 *
 * lib/aliases in layers, top to bottom; a file calls only the one below:
 *
 *   aliases.c        a context's files, the resolution
 *   aliases_table.c  one alias file: names, parse, find, format
 */
#include "aliases.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases_table.h"
#include "params.h"
#include "slurp.h"

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
    aliases_lookup_fn dir_fn;   /* the directory (step 1b), or NULL */
    void *dir_ctx;
    struct userdb_entry **dir_users;    /* what it found, each its own
                                         * allocation (results point in) */
    size_t ndir;
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
    a->users_file = users_file ? strdup(users_file) : NULL;
    a->alias_dir = strdup(alias_dir);
    if ((users_file && !a->users_file) || !a->alias_dir) {
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
    for (size_t i = 0; i < a->ndir; i++) {
        userdb_entry_free(a->dir_users[i]);
        free(a->dir_users[i]);
    }
    free(a->dir_users);
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
    if (a->users_loaded || !a->users_file)
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

static enum aliases_kind add_mailbox(struct run *run,
                                     const struct userdb_entry *e)
{
    struct aliases_result *r = run->r;
    const struct userdb_entry **p;
    for (size_t i = 0; i < r->nusers; i++)
        if (r->users[i] == e)
            return ALIASES_OK;
    if (!room(run))
        return r->kind;
    p = realloc(r->users, (r->nusers + 1) * sizeof *p);
    if (!p)
        return fail(run, ALIASES_TEMP, "out of memory");
    r->users = p;
    p[r->nusers++] = e;
    return ALIASES_OK;
}

void aliases_set_directory(struct aliases *a, aliases_lookup_fn fn,
                           void *ctx)
{
    a->dir_fn = fn;
    a->dir_ctx = ctx;
}

/* Step 1b: the directory's user full (local@domain, the domain lower
 * case), asked once a context.  1 with *u, 0 when it has none, -1 with
 * the temporary failure in run. */
static int directory_user(struct run *run, const char *full,
                          const struct userdb_entry **u)
{
    struct aliases *a = run->a;
    struct userdb_entry e, *kept, **p;
    char why[400] = "";
    int rc;

    for (size_t i = 0; i < a->ndir; i++)
        if (userdb_addr_eq(a->dir_users[i]->address, full)) {
            *u = a->dir_users[i];
            return 1;
        }
    rc = a->dir_fn(a->dir_ctx, full, &e, why, sizeof why);
    if (rc <= 0) {
        if (rc < 0)
            fail(run, ALIASES_TEMP, "%s: the directory: %s", full,
                 why[0] ? why : "cannot answer");
        return rc;
    }
    p = realloc(a->dir_users, (a->ndir + 1) * sizeof *p);
    if (p)
        a->dir_users = p;
    kept = p ? malloc(sizeof *kept) : NULL;
    if (!kept) {
        userdb_entry_free(&e);
        fail(run, ALIASES_TEMP, "out of memory");
        return -1;
    }
    *kept = e;
    a->dir_users[a->ndir++] = kept;
    *u = kept;
    return 1;
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
    const struct userdb_entry *du;
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
        return add_mailbox(run, &u->e);
    if (run->a->dir_fn && (n = directory_user(run, full, &du)) != 0)
        return n < 0 ? run->r->kind : add_mailbox(run, du);
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
    if (depth == 0 && run->a->dir_fn)
        return fail(run, ALIASES_UNKNOWN, "%s: no such user in the directory "
                    "(and no alias file %s)", full, d->path);
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
