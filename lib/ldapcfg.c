/* SPDX-License-Identifier: ISC */
/*
 * ldapcfg.c -- read checkpassword-ldap's configuration (ldapcfg.h).
 */
#include "ldapcfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapfilter.h"
#include "params.h"
#include "slurp.h"
#include "usage.h"
#include "util.h"

enum kind { K_STR, K_WORD, K_SECONDS, K_UID };

/* The words of a K_WORD key, in the order of its values (ldapcfg.h),
 * and what the error says. */
static const char *const bools[] = { "no", "yes", NULL };
static const char *const scopes[] = { "sub", "one", "base", NULL };
static const char *const auths[] = { "bind", "compare", NULL };
static const char *const recipients[] = { "address", "local", NULL };
#define KEY(name, kind, field) \
    { name, kind, offsetof(struct ldapcfg, field), NULL, NULL }
#define WORDS(name, field, list, what) \
    { name, K_WORD, offsetof(struct ldapcfg, field), list, what }

/* Every key: its name, what its value is, where it goes. */
static const struct key {
    const char *name;
    enum kind kind;
    size_t off;
    const char *const *words;
    const char *what;
} keys[] = {
    KEY("uri", K_STR, uri),
    WORDS("starttls", starttls, bools, "is yes or no"),
    KEY("ca_file", K_STR, ca_file),
    KEY("bind_dn", K_STR, bind_dn),
    KEY("bind_pw_file", K_STR, bind_pw_file),
    KEY("base", K_STR, base),
    KEY("filter", K_STR, filter),
    WORDS("scope", scope, scopes, "is sub, one or base"),
    WORDS("auth", auth, auths, "is bind or compare"),
    WORDS("recipient", recipient, recipients, "is address or local"),
    KEY("dummy_dn", K_STR, dummy_dn),
    KEY("dummy_hash", K_STR, dummy_hash),
    KEY("owner", K_STR, owner),
    KEY("owner_attr", K_STR, owner_attr),
    KEY("uid_attr", K_STR, uid_attr),
    KEY("gid_attr", K_STR, gid_attr),
    KEY("home_attr", K_STR, home_attr),
    KEY("maildir_attr", K_STR, maildir_attr),
    KEY("min_uid", K_UID, min_uid),
    KEY("timeout", K_SECONDS, timeout),
    KEY("op_timeout", K_SECONDS, op_timeout),
};
#define NKEYS (sizeof keys / sizeof keys[0])

void ldapcfg_free(struct ldapcfg *c)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].kind == K_STR) {
            char **p = (char **)(void *)((char *)c + keys[i].off);
            free(*p);
            *p = NULL;
        }
}

/* One of the words in list (NULL-terminated) as its index, or -1. */
static int word(const char *v, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(v, list[i]) == 0)
            return i;
    return -1;
}

/* Store the value v of key k in c; NULL, or what is wrong with v. */
static const char *set(struct ldapcfg *c, const struct key *k, const char *v)
{
    void *at = (char *)c + k->off;
    uint32_t n;
    int w;

    switch (k->kind) {
    case K_STR:
        if (!*v)
            return "needs a value";
        if (!(*(char **)at = strdup(v)))
            return strerror(errno);
        return NULL;
    case K_WORD:
        w = word(v, k->words);
        if (w < 0)
            return k->what;
        *(int *)at = w;
        return NULL;
    case K_SECONDS:
        if (parse_u32(v, &n) || n == 0 || n > LDAPCFG_TIMEOUT_MAX)
            return "is seconds, 1 to " USAGE_NUM(LDAPCFG_TIMEOUT_MAX);
        *(unsigned *)at = n;
        return NULL;
    case K_UID:
        if (parse_u32(v, &n) || n == 0)
            return "is a uid above 0";
        *(uid_t *)at = (uid_t)n;
        return NULL;
    }
    return "cannot be set";
}

static const struct key *find_key(const char *name, size_t n)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].name) == n && memcmp(keys[i].name, name, n) == 0)
            return &keys[i];
    return NULL;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* One line (not terminated, n bytes, no newline); NULL or the error,
 * with *kp the key it is about (NULL when none is known). */
static const char *parse_line(struct ldapcfg *c, const char *line, size_t n,
                              unsigned *seen, const struct key **kp)
{
    const struct key *k;
    size_t klen = 0;
    char value[LDAPCFG_LINE_MAX];
    const char *v;

    while (n && is_blank(*line)) {
        line++;
        n--;
    }
    while (n && is_blank(line[n - 1]))
        n--;
    if (n == 0 || line[0] == '#')
        return NULL;
    while (klen < n && !is_blank(line[klen]))
        klen++;
    k = *kp = find_key(line, klen);
    if (!k)
        return "unknown key";
    if (*seen & (1u << (k - keys)))
        return "given twice";
    *seen |= 1u << (k - keys);
    v = line + klen;
    n -= klen;
    while (n && is_blank(*v)) {
        v++;
        n--;
    }
    if (memchr(v, '\0', n))
        return "holds a NUL byte";
    memcpy(value, v, n);
    value[n] = '\0';
    return set(c, k, value);
}

/* "KEY why" for the error of key k (or just why when there is none). */
static void say(char *err, size_t errsz, unsigned lineno,
                const struct key *k, const char *why)
{
    str_cut(err, errsz, "line %u: %s%s%s", lineno, k ? k->name : "",
            k ? " " : "", why);
}

static void defaults(struct ldapcfg *c)
{
    memset(c, 0, sizeof *c);
    c->scope = LDAPCFG_SUB;
    c->auth = LDAPCFG_AUTH_BIND;
    c->min_uid = CPW_MIN_UID_DEFAULT;
    c->timeout = LDAPCFG_TIMEOUT;
    c->op_timeout = LDAPCFG_OP_TIMEOUT;
}

/* Fill in the string defaults; NULL or the error. */
static const char *string_defaults(struct ldapcfg *c)
{
    char **slot[] = { &c->filter, &c->uid_attr, &c->gid_attr, &c->home_attr };
    const char *value[] = { LDAPCFG_FILTER_DEFAULT, LDAPCFG_UID_ATTR,
                            LDAPCFG_GID_ATTR, LDAPCFG_HOME_ATTR };
    for (size_t i = 0; i < sizeof slot / sizeof slot[0]; i++)
        if (!*slot[i] && !(*slot[i] = strdup(value[i])))
            return strerror(errno);
    return NULL;
}

/* What the keys together must be; NULL or the error. */
static const char *complete(struct ldapcfg *c)
{
    const char *why;

    if (!c->uri)
        return "no uri";
    if (!c->base)
        return "no base";
    if (!c->bind_dn != !c->bind_pw_file)
        return "bind_dn and bind_pw_file go together";
    if (c->owner && c->owner_attr)
        return "owner and owner_attr exclude each other";
    if (c->starttls && strncmp(c->uri, "ldap://", 7) != 0)
        return "starttls is for ldap:// (ldaps:// is TLS already)";
    if ((why = string_defaults(c)) != NULL)
        return why;
    if (!ldapfilter_check(c->filter, &why))
        return why;
    if (c->dummy_hash && strncasecmp(c->dummy_hash, "{CRYPT}", 7) == 0)
        memmove(c->dummy_hash, c->dummy_hash + 7, strlen(c->dummy_hash + 7) + 1);
    if (c->dummy_hash && c->dummy_hash[0] != '$')
        return "dummy_hash is a crypt(3) hash ($id$...)";
    return NULL;
}

int ldapcfg_parse(const char *text, size_t len, struct ldapcfg *c,
                  char *err, size_t errsz)
{
    unsigned seen = 0, lineno = 0;
    size_t pos = 0;
    const char *why = NULL;
    const struct key *k = NULL;

    defaults(c);
    while (pos < len && !why) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        k = NULL;
        if (n >= LDAPCFG_LINE_MAX)
            why = "line too long";
        else
            why = parse_line(c, text + pos, n, &seen, &k);
        pos += n + 1;
    }
    if (why) {
        say(err, errsz, lineno, k, why);
    } else if ((why = complete(c)) != NULL) {
        str_cut(err, errsz, "%s", why);
    } else {
        return 0;
    }
    ldapcfg_free(c);
    return -1;
}

int ldapcfg_load(const char *path, struct ldapcfg *c, char *err,
                 size_t errsz)
{
    struct slurp s;
    int rc;

    memset(c, 0, sizeof *c);   /* ldapcfg_free()-able whatever happens */
    if (slurp(&s, path, LDAPCFG_FILE_MAX)) {
        int e = errno;
        str_cut(err, errsz, "cannot read %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    rc = ldapcfg_parse(s.data, s.len, c, err, errsz);
    slurp_release(&s, 0);
    if (rc)
        errno = EINVAL;
    return rc;
}
