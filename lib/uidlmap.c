/* SPDX-License-Identifier: ISC */
/*
 * uidlmap.c -- read dovecot-uidlist or courierpop3dsizelist, check all
 * of it, map it onto the scanned messages (uidlmap.h says what is
 * believed).  The parse collects flat arrays: one entry a record, the
 * UIDLs in one growing block; the file itself is one buffer.  Only the
 * per-message slots and the UIDL block outlive uidlmap_load().
 */
#include "uidlmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "util.h"

#define DOVECOT_FILE "dovecot-uidlist"
#define COURIER_FILE "courierpop3dsizelist"

/* One record: its name's key (up to ':' or ',') in the file buffer. */
struct ent {
    const char *key;
    uint32_t key_len;
    uint32_t uidl_off;    /* in p->text */
};

struct parse {
    enum uidlmap_source src;
    int version;
    size_t lineno;
    struct ent *ent;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
    uint64_t uidv, next_uid, last_uid;   /* Dovecot's header, order */
    char why[192];        /* the first reason the file is bad */
};

int uidlmap_parse_source(const char *arg, enum uidlmap_source *src,
                         const char **file)
{
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (n == 7 && strncmp(arg, "dovecot", 7) == 0)
        *src = UIDLMAP_DOVECOT;
    else if (n == 7 && strncmp(arg, "courier", 7) == 0)
        *src = UIDLMAP_COURIER;
    else
        return -1;
    *file = NULL;
    if (!colon)
        return 0;
    /* A file of the Maildir's top directory: a plain name. */
    const char *f = colon + 1;
    if (!*f || strchr(f, '/') || strlen(f) > NAME_MAX ||
        strcmp(f, ".") == 0 || strcmp(f, "..") == 0)
        return -1;
    *file = f;
    return 0;
}

const char *uidlmap_file_name(enum uidlmap_source src)
{
    return src == UIDLMAP_COURIER ? COURIER_FILE : DOVECOT_FILE;
}

/* Record why the file is bad (the first reason wins).  Always -1. */
__attribute__((format(printf, 2, 3)))
static int bad(struct parse *p, const char *fmt, ...)
{
    if (p->why[0])
        return -1;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->lineno)
        snprintf(p->why, sizeof p->why, "line %zu: %s", p->lineno, msg);
    else
        snprintf(p->why, sizeof p->why, "%s", msg);
    return -1;
}

/* ---- Small pieces ---- */

/* 1-20 decimal digits, nothing else, at most max.  0 or -1. */
static int num(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* RFC 1939 §7: 1 to 70 characters in the range 0x21 to 0x7E. */
static int uidl_ok(const char *s, size_t n)
{
    if (n == 0 || n > MAILDIR_UIDL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* The part of a name that identifies the message for life. */
static size_t key_len(const char *name, size_t n)
{
    size_t k = 0;
    while (k < n && name[k] != ':' && name[k] != ',')
        k++;
    return k;
}

/* Length of the word at s (up to a space or n). */
static size_t word(const char *s, size_t n)
{
    const char *sp = memchr(s, ' ', n);
    return sp ? (size_t)(sp - s) : n;
}

/* Append a record: its file name and its UIDL (checked here). */
static int add(struct parse *p, const char *name, size_t name_len,
               const char *uidl, size_t uidl_len)
{
    size_t k = key_len(name, name_len);
    if (k == 0 || memchr(name, '/', name_len))
        return bad(p, "not a Maildir file name");
    if (!uidl_ok(uidl, uidl_len))
        return bad(p, "a UIDL that is not 1-70 characters 0x21-0x7E");
    if (p->n >= MAILDIR_MAX_MESSAGES)
        return bad(p, "more than %d records", MAILDIR_MAX_MESSAGES);
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        struct ent *e = realloc(p->ent, cap * sizeof *e);
        if (!e)
            return bad(p, "out of memory");
        p->ent = e;
        p->cap = cap;
    }
    if (p->text_cap - p->text_len < uidl_len + 1) {
        size_t cap = p->text_cap ? 2 * p->text_cap : 4096;
        char *t = realloc(p->text, cap);
        if (!t)
            return bad(p, "out of memory");
        p->text = t;
        p->text_cap = cap;
    }
    p->ent[p->n].key = name;
    p->ent[p->n].key_len = (uint32_t)k;
    p->ent[p->n].uidl_off = (uint32_t)p->text_len;
    p->n++;
    memcpy(p->text + p->text_len, uidl, uidl_len);
    p->text[p->text_len + uidl_len] = '\0';
    p->text_len += uidl_len + 1;
    return 0;
}

/* ---- Dovecot: dovecot-uidlist ---- */

/* Up to max numbers (each at most lim) separated by single spaces,
 * filling l to its end.  How many, or -1. */
static int nums(const char *l, size_t n, uint64_t lim, uint64_t *v, int max)
{
    int k = 0;
    for (;;) {
        size_t w = word(l, n);
        if (k == max || num(l, w, lim, &v[k]) < 0)
            return -1;
        k++;
        if (w == n)
            return k;
        l += w + 1, n -= w + 1;
    }
}

/* "3 V<uidvalidity> N<nextuid> [<key><value>...]" or "1 <v> <next>". */
static int dovecot_header(struct parse *p, const char *l, size_t n)
{
    uint64_t f[2] = { 0, 0 };
    if (n >= 2 && l[0] == '1' && l[1] == ' ') {
        p->version = 1;
        if (nums(l + 2, n - 2, UINT32_MAX, f, 2) != 2)
            return bad(p, "a bad version 1 header");
    } else if (n >= 1 && l[0] == '3' && (n == 1 || l[1] == ' ')) {
        p->version = 3;
        for (l++, n--; n > 0; ) {
            l++, n--;                           /* the space */
            size_t w = word(l, n);
            if (w == 0 || l[0] < 'A' || l[0] > 'Z')
                return bad(p, "a bad header field");
            if ((l[0] == 'V' || l[0] == 'N') &&
                num(l + 1, w - 1, UINT32_MAX, &f[l[0] == 'N']) < 0)
                return bad(p, "a bad %c header field", l[0]);
            l += w, n -= w;
        }
    } else {
        return bad(p, "not a dovecot-uidlist of version 1 or 3");
    }
    if (f[0] == 0 || f[1] == 0)
        return bad(p, "no UIDVALIDITY or next UID in the header");
    p->uidv = f[0];
    p->next_uid = f[1];
    return 0;
}

/* The extension fields of a version 3 record, up to " :NAME".  *pv:
 * the P field's value (NULL when absent); returns the name's offset. */
static long dovecot_fields(struct parse *p, const char *l, size_t n,
                           const char **pv, size_t *pn)
{
    size_t i = 0;
    *pv = NULL;
    for (;;) {
        if (i >= n || l[i] != ' ')
            return bad(p, "a record without \" :name\"");
        i++;
        if (i < n && l[i] == ':')
            return (long)i + 1;
        size_t w = word(l + i, n - i);
        if (w == 0 || l[i] < 'A' || l[i] > 'Z')
            return bad(p, "a bad record field");
        if (l[i] == 'P') {
            if (*pv)
                return bad(p, "two P fields");
            *pv = l + i + 1;
            *pn = w - 1;
        }
        i += w;
    }
}

static int dovecot_record(struct parse *p, const char *l, size_t n)
{
    size_t w = word(l, n);
    uint64_t uid;
    if (num(l, w, UINT32_MAX, &uid) < 0 || uid == 0)
        return bad(p, "a bad UID");
    if (uid <= p->last_uid)
        return bad(p, "UID %llu out of order or twice",
                   (unsigned long long)uid);
    /* No check against the header's next UID: Dovecot appends records
     * (its LDA, its IMAP) without rewriting the header, so a live file
     * holds UIDs at and past it. */
    p->last_uid = uid;
    const char *pv = NULL, *name;
    size_t pn = 0, name_len;
    if (p->version == 1) {
        if (w >= n || l[w] != ' ')
            return bad(p, "a record without a name");
        name = l + w + 1;
    } else {
        long off = dovecot_fields(p, l + w, n - w, &pv, &pn);
        if (off < 0)
            return -1;
        name = l + w + (size_t)off;
    }
    name_len = n - (size_t)(name - l);
    if (pv && pn > 0)                 /* the UIDL Dovecot was told to keep */
        return add(p, name, name_len, pv, pn);
    if (pv) {                         /* empty P: the name before ':' */
        const char *colon = memchr(name, ':', name_len);
        return add(p, name, name_len, name,
                   colon ? (size_t)(colon - name) : name_len);
    }
    char id[24];
    /* Dovecot's %X expands to lower-case hex (seen from its pop3 2.3.19;
     * its var_expand prints "%llx"): clients compare UIDLs exactly. */
    int len = snprintf(id, sizeof id, "%08x%08x", (unsigned)uid,
                       (unsigned)p->uidv);
    return add(p, name, name_len, id, (size_t)len);
}

/* ---- Courier: courierpop3dsizelist ---- */

/* "/3 <nextuid> <uidv>", or version 2 where uidv may be missing. */
static int courier_header(struct parse *p, const char *l, size_t n)
{
    uint64_t v[2];
    if (n < 3 || l[0] != '/' || (l[1] != '2' && l[1] != '3') || l[2] != ' ')
        return bad(p, "not a courierpop3dsizelist of version 2 or 3");
    p->version = l[1] - '0';
    int k = nums(l + 3, n - 3, UINT64_MAX, v, 2);
    if (k < (p->version == 3 ? 2 : 1))
        return bad(p, "a bad header");
    return 0;
}

/* "<name> <size> <n>:<uidv>[:<utf8>]" (the :utf8 in version 3 only). */
static int courier_record(struct parse *p, const char *l, size_t n)
{
    const char *sp2 = memrchr(l, ' ', n);
    const char *sp1 = sp2 ? memrchr(l, ' ', (size_t)(sp2 - l)) : NULL;
    if (!sp1 || sp1 == l)
        return bad(p, "not \"name size uid:uidv\"");
    uint64_t size, uid, uidv, utf8 = 0;
    const char *u = sp2 + 1, *end = l + n;
    const char *c1 = memchr(u, ':', (size_t)(end - u));
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
    if (num(sp1 + 1, (size_t)(sp2 - sp1 - 1), UINT64_MAX, &size) < 0 || !c1 ||
        num(u, (size_t)(c1 - u), UINT64_MAX, &uid) < 0 || uid == 0 ||
        num(c1 + 1, (size_t)((c2 ? c2 : end) - c1 - 1), UINT64_MAX, &uidv) < 0)
        return bad(p, "a bad size or UID");
    if ((p->version == 3) != (c2 != NULL) ||
        (c2 && num(c2 + 1, (size_t)(end - c2 - 1), 1, &utf8) < 0))
        return bad(p, "a bad UTF-8 field for version %d", p->version);
    char id[48];
    int len = uidv ? snprintf(id, sizeof id, "UID%llu-%llu",
                              (unsigned long long)uid,
                              (unsigned long long)uidv)
                   : snprintf(id, sizeof id, "UID%llu",
                              (unsigned long long)uid);
    return add(p, l, (size_t)(sp1 - l), id, (size_t)len);
}

/* ---- The file ---- */

/* The whole file into *buf.  1 read, 0 absent, -1 (p->why says). */
static int read_file(struct parse *p, int dirfd, const char *name,
                     char **buf, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : bad(p, "%s", strerror(errno));
    struct stat st;
    const char *no = fstat(fd, &st) < 0 ? strerror(errno)
                     : !S_ISREG(st.st_mode) ? "not a regular file"
                     : st.st_size > UIDLMAP_FILE_MAX
                     ? "larger than UIDLMAP_FILE_MAX (lib/params.h)" : NULL;
    if (no) {
        close(fd);
        return bad(p, "%s", no);
    }
    *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = *buf ? read_full(fd, *buf, (size_t)st.st_size) : -1;
    close(fd);
    if (n < 0)
        return bad(p, "cannot read: %s", strerror(errno));
    *len = (size_t)n;
    return 1;
}

/* Every line: whole (a newline ends it), short enough, printable. */
static int parse_lines(struct parse *p, const char *buf, size_t len)
{
    if (len == 0)
        return bad(p, "empty");
    if (memchr(buf, '\0', len))
        return bad(p, "a NUL byte");
    for (size_t pos = 0; pos < len; ) {
        const char *l = buf + pos;
        const char *nl = memchr(l, '\n', len - pos);
        p->lineno++;
        if (!nl)
            return bad(p, "a torn last line (the file is truncated)");
        size_t n = (size_t)(nl - l);
        if (n > UIDLMAP_LINE_MAX)
            return bad(p, "longer than %d bytes", UIDLMAP_LINE_MAX);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
                return bad(p, "a control character%s",
                           l[i] == '\r' ? " (CR)" : "");
        int r = p->lineno == 1
                ? (p->src == UIDLMAP_COURIER ? courier_header(p, l, n)
                                             : dovecot_header(p, l, n))
                : (p->src == UIDLMAP_COURIER ? courier_record(p, l, n)
                                             : dovecot_record(p, l, n));
        if (r < 0)
            return -1;
        pos += n + 1;
    }
    p->lineno = 0;
    return 0;
}

/* ---- Mapping onto the messages ---- */

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

static int ent_cmp(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    return keycmp(a->key, a->key_len, b->key, b->key_len);
}

static const struct ent *find_key(const struct parse *p, const char *k,
                                  size_t kl)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = keycmp(k, kl, p->ent[mid].key, p->ent[mid].key_len);
        if (c == 0)
            return &p->ent[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The records by name: one a name. */
static int check_names(struct parse *p)
{
    if (p->n > 1)    /* no record: p->ent is NULL, which qsort may not get */
        qsort(p->ent, p->n, sizeof *p->ent, ent_cmp);
    for (size_t i = 1; i < p->n; i++)
        if (ent_cmp(&p->ent[i - 1], &p->ent[i]) == 0)
            return bad(p, "a name listed twice");
    return 0;
}

/* Every record's UIDL: one a record (a UID reused, or P fields that
 * repeat, is no file that server kept), messages present or not. */
static int check_uidls(struct parse *p)
{
    const char **ids = malloc((p->n ? p->n : 1) * sizeof *ids);
    if (!ids)
        return bad(p, "out of memory");
    for (size_t i = 0; i < p->n; i++)
        ids[i] = p->text + p->ent[i].uidl_off;
    qsort(ids, p->n, sizeof *ids, str_cmp);
    int r = 0;
    for (size_t i = 1; i < p->n && r == 0; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            r = bad(p, "the UIDL %s twice", ids[i]);
    free(ids);
    return r;
}

/* Each message's slot from its record.  Then no UIDL may be served
 * twice: two messages on one record, or a mapped UIDL equal to the own
 * UIDL of a message the file does not list. */
static int map_messages(struct parse *p, struct uidlmap *um,
                        struct maildir *md)
{
    um->slot = calloc(md->count ? md->count : 1, sizeof *um->slot);
    if (!um->slot)
        return bad(p, "out of memory");
    um->count = md->count;
    for (size_t i = 0; i < md->count; i++) {
        const char *name = maildir_msg_name(md, i);
        size_t nl = strlen(name);
        const struct ent *e = find_key(p, name, key_len(name, nl));
        if (e) {
            um->slot[i] = e->uidl_off + 1;
            um->mapped++;
        }
    }
    const char **ids = malloc((um->mapped ? um->mapped : 1) * sizeof *ids);
    if (!ids)
        return bad(p, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < md->count; i++)
        if (um->slot[i])
            ids[k++] = p->text + um->slot[i] - 1;
    qsort(ids, k, sizeof *ids, str_cmp);
    int r = 0;
    for (size_t i = 1; i < k && r == 0; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            r = bad(p, "two messages match the record of UIDL %s", ids[i]);
    for (size_t i = 0; i < md->count && r == 0; i++) {
        char own[MAILDIR_UIDL_MAX + 1];
        const char *o = own;
        if (um->slot[i])
            continue;
        maildir_uidl(maildir_msg_name(md, i), own);
        if (bsearch(&o, ids, k, sizeof *ids, str_cmp))
            r = bad(p, "UIDL %s is also another message's own", own);
    }
    free(ids);
    return r;
}

int uidlmap_load(struct uidlmap *um, struct maildir *md,
                 enum uidlmap_source src, const char *file, const char *who)
{
    memset(um, 0, sizeof *um);
    if (src == UIDLMAP_OFF)
        return 0;
    struct parse p;
    memset(&p, 0, sizeof p);
    p.src = src;
    char *buf = NULL;
    size_t len = 0;
    if (!file)
        file = uidlmap_file_name(src);
    int r = read_file(&p, md->dirfd, file, &buf, &len);
    if (r > 0) {
        r = parse_lines(&p, buf, len) < 0 || check_names(&p) < 0 ||
            check_uidls(&p) < 0 || map_messages(&p, um, md) < 0 ? -1 : 0;
    }
    free(buf);
    free(p.ent);
    if (r < 0) {
        free(p.text);
        uidlmap_free(um);
        log_warn("%signoring %s: %s; every message gets popkit's own UIDL",
                 who ? who : "", file, p.why);
        return -1;
    }
    um->text = p.text;
    return 0;
}

size_t uidlmap_uidl(const struct uidlmap *um, size_t i, char *out)
{
    if (!um->slot || i >= um->count || um->slot[i] == 0)
        return 0;
    const char *s = um->text + um->slot[i] - 1;
    size_t n = strlen(s);
    memcpy(out, s, n + 1);
    return n;
}

void uidlmap_free(struct uidlmap *um)
{
    free(um->slot);
    free(um->text);
    memset(um, 0, sizeof *um);
}
