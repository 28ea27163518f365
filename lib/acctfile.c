/* SPDX-License-Identifier: ISC */
/*
 * acctfile.c -- an account and its groups from /etc/passwd and
 * /etc/group the way NSS `files` reads them (acctfile.h).
 */
#include "acctfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "slurp.h"
#include "util.h"

/* A field of a line: [p, p + n). */
struct span {
    const char *p;
    size_t n;
};

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The next line of file with the blanks before it skipped (as NSS
 * `files` does); NULL at the end. */
static const char *next_line(const struct slurp *file, size_t *pos,
                             size_t *n)
{
    const char *line = slurp_next_line(file, pos, n);
    while (line && *n && is_blank(*line)) {
        line++;
        (*n)--;
    }
    return line;
}

/* Split line into at most max fields at ':'; the last takes the rest of
 * the line.  Returns the number of fields. */
static size_t split(const char *line, size_t n, struct span *f, size_t max)
{
    size_t k = 0;
    while (k + 1 < max) {
        const char *c = memchr(line, ':', n);
        if (!c)
            break;
        f[k].p = line;
        f[k++].n = (size_t)(c - line);
        n -= (size_t)(c - line) + 1;
        line = c + 1;
    }
    f[k].p = line;
    f[k++].n = n;
    return k;
}

int acctfile_parse_id(const char *s, size_t n, uint32_t *out)
{
    return parse_u32n(s, n, out) < 0 || *out == UINT32_MAX ? -1 : 0;
}

static int parse_id(struct span s, uint32_t *out)
{
    return acctfile_parse_id(s.p, s.n, out);
}

static int name_is(struct span s, const char *login, size_t loginlen)
{
    return s.n == loginlen && memcmp(s.p, login, loginlen) == 0;
}

/* Copy the passwd line's name, home and shell into a->storage. */
static int keep_account(const struct span *f, struct acctfile *a)
{
    size_t n = f[0].n + f[5].n + f[6].n + 3;
    char *s = malloc(n);
    if (!s)
        return -1;
    a->storage = s;
    a->name = s;
    memcpy(s, f[0].p, f[0].n);
    s[f[0].n] = '\0';
    s += f[0].n + 1;
    a->home = s;
    memcpy(s, f[5].p, f[5].n);
    s[f[5].n] = '\0';
    s += f[5].n + 1;
    a->shell = s;
    memcpy(s, f[6].p, f[6].n);
    s[f[6].n] = '\0';
    return 0;
}

/* The first good passwd line for login: 1, 0 or -1. */
static int find_passwd(const struct slurp *file, const char *login,
                       struct acctfile *a)
{
    size_t pos = 0, n, loginlen = strlen(login);
    const char *line;
    while ((line = next_line(file, &pos, &n)) != NULL) {
        struct span f[7];
        uint32_t uid, gid;
        if (n == 0 || line[0] == '#')
            continue;
        if (split(line, n, f, 7) != 7 || !name_is(f[0], login, loginlen)
            || parse_id(f[2], &uid) || parse_id(f[3], &gid))
            continue;
        a->uid = uid;
        a->gid = gid;
        return keep_account(f, a) ? -1 : 1;
    }
    return 0;
}

/* Does the comma-separated member list hold login? */
static int is_member(struct span members, const char *login, size_t loginlen)
{
    const char *p = members.p, *end = members.p + members.n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        struct span m;
        while (p < end && is_blank(*p))
            p++;
        m.p = p;
        m.n = (size_t)((comma ? comma : end) - p);
        if (name_is(m, login, loginlen))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int add_group(struct acctfile *a, size_t *cap, gid_t g)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (a->groups[i] == g)
            return 0;
    if (a->ngroups == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        gid_t *l = realloc(a->groups, ncap * sizeof *l);
        if (!l)
            return -1;
        a->groups = l;
        *cap = ncap;
    }
    a->groups[a->ngroups++] = g;
    return 0;
}

/* The primary gid, then every group listing the login. */
static int find_groups(const struct slurp *file, struct acctfile *a)
{
    size_t pos = 0, n, cap = 0, loginlen = strlen(a->name);
    const char *line;
    if (add_group(a, &cap, a->gid))
        return -1;
    while ((line = next_line(file, &pos, &n)) != NULL) {
        struct span f[4];
        uint32_t gid;
        if (n == 0 || line[0] == '#')
            continue;
        if (split(line, n, f, 4) != 4 || parse_id(f[2], &gid)
            || !is_member(f[3], a->name, loginlen))
            continue;
        if (add_group(a, &cap, gid))
            return -1;
    }
    return 0;
}

int acctfile_find(const char *passwd, const char *group, const char *login,
                  struct acctfile *a)
{
    struct slurp file;
    int found;

    memset(a, 0, sizeof *a);
    if (!*login)
        return 0;   /* an empty name field is no account */
    if (slurp(&file, passwd, ACCTFILE_MAX))
        return -1;
    found = find_passwd(&file, login, a);
    slurp_release(&file, 0);
    if (found != 1 || !group)
        return found;
    if (slurp(&file, group, ACCTFILE_MAX)
        || find_groups(&file, a)) {
        int err = errno;
        slurp_release(&file, 0);
        acctfile_free(a);
        errno = err;
        return -1;
    }
    slurp_release(&file, 0);
    return 1;
}

void acctfile_free(struct acctfile *a)
{
    free(a->storage);
    free(a->groups);
    memset(a, 0, sizeof *a);
}
