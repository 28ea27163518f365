/* SPDX-License-Identifier: ISC */
/*
 * aliases_table.c -- one alias file as a table (aliases.h): the names
 * and targets it may hold, its parse, the lookup of a name, and the
 * lines of an entry to write.  The bottom of lib/aliases; aliases.c,
 * the files of a context and the resolution, stands on it.
 */
#include "aliases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliases_table.h"
#include "params.h"

/* A limit of params.h in a message. */
#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- names and targets ---- */

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
            /* a comma before a target starting with '#': a line whose
             * first non-blank byte is '#' would be a comment */
            len = (size_t)snprintf(buf, sizeof buf, "\t%s%s",
                                   targets[i][0] == '#' ? "," : "", targets[i]);
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
