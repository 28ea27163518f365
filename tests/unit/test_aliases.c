/* SPDX-License-Identifier: ISC */
/* test_aliases.c -- the alias files (popkit-aliases(5)): parsing, bad
 * lines, and the resolution of recipients into mailboxes and forward
 * addresses, with every error kind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "params.h"
#include "tap.h"

static char dir[] = "/tmp/test_aliases.XXXXXX";
static char users[300], adir[300];

static void put(const char *name, const char *text, size_t n)
{
    char path[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", adir, name);
    f = fopen(path, "w");
    fwrite(text, 1, n, f);
    fclose(f);
}
#define PUT(name, text) put(name, text, strlen(text))

/* The outcome as one string: "u:ADDRESS" for a mailbox, "f:ADDRESS" for
 * a forward, in order, or the error kind's name. */
static const char *resolve_in(struct aliases *a, const char *rcpt,
                              struct aliases_result *r)
{
    static char out[8192];
    static const char *const kinds[] = {"ok", "unknown", "loop", "toodeep",
                                        "toomany", "badaddr", "temp"};
    size_t n = 0;
    out[0] = '\0';
    if (aliases_resolve(a, rcpt, r) != ALIASES_OK) {
        snprintf(out, sizeof out, "%s", kinds[r->kind]);
        return out;
    }
    for (size_t i = 0; i < r->nusers && n < sizeof out; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%su:%s", n ? " " : "",
                              r->users[i]->address);
    for (size_t i = 0; i < r->nforwards && n < sizeof out; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%sf:%s", n ? " " : "",
                              r->forwards[i]);
    return out;
}

static struct aliases *ctx;
static struct aliases_result res;

static const char *resolve(const char *rcpt)
{
    aliases_result_free(&res);
    return resolve_in(ctx, rcpt, &res);
}

static void like_why_at(const char *want, int line)
{
    int pass = strstr(res.why, want) != NULL;
    tap_ok(pass, __FILE__, line, "why says '%s'", want);
    if (!pass)
        printf("#   why: '%s'\n", res.why);
}

#define like_why(want) like_why_at((want), __LINE__)

static void setup(void)
{
    FILE *f;
    if (!mkdtemp(dir))
        exit(1);
    snprintf(users, sizeof users, "%s/users", dir);
    snprintf(adir, sizeof adir, "%s/aliases", dir);
    mkdir(adir, 0755);
    f = fopen(users, "w");
    fputs("# the users\n"
          "ann@abc.com:$6$x:vmail:/var/mail/abc/ann\n"
          "bob@abc.com:$6$x:vmail:/var/mail/abc/bob\n"
          "Carl@ABC.com:$6$x:vmail:/var/mail/abc/carl\n"
          "not a user line\n"
          "x@users-only.org:$6$x:vmail:/var/mail/uo/x\n"
          "ann@abc.com:$6$y:vmail:/var/mail/abc/second-ann\n", f);
    fclose(f);
    PUT("abc.com",
        "# abc.com\n"
        "\n"
        "sales: bob\n"
        "all: ann bob carl@abc.com x@remote.net\n"
        "ann: bob\n"
        "Info : Sales\n"
        "self: self\n"
        "l1: l2\n"
        "l2: l3\n"
        "l3: l1@ABC.com\n"
        "dup: ann ann@abc.com ANN@abc.com sales bob x@Remote.NET x@remote.net X@remote.net\n"
        "dia: left right\n"
        "left: ann\n"
        "right: ann@ABC.com\n"
        "multi: ann,\n"
        "\tbob\n"
        "  carl@abc.com   \n"
        "   # an indented comment\n"
        "commas: ann , bob,carl@abc.com,\n"
        "out: someone@elsewhere.net\n"
        "touo: x@users-only.org nobody@users-only.org\n");
    PUT("def.org", "info: ann@abc.com\n-: postmaster\npostmaster: bob@abc.com\n");
    PUT("loop.org", "-: nosuch\n");
}

static void users_and_aliases(void)
{
    is_str(resolve("ann@abc.com"), "u:ann@abc.com", "a user is a mailbox");
    is_str(res.users[0]->home, "/var/mail/abc/ann",
           "the user's record, the first entry for the address");
    is_int(res.foreign, 0, "a user is not foreign");
    is_str(resolve("ANN@Abc.COM"), "u:ann@abc.com",
           "users: local part and domain without case");
    is_str(resolve("carl@abc.com"), "u:Carl@ABC.com",
           "a user written in capitals, asked for in lower case");
    is_str(resolve("sales@abc.com"), "u:bob@abc.com",
           "an alias to a bare name: a user of the same domain");
    is_str(resolve("SALES@ABC.COM"), "u:bob@abc.com", "alias names without case");
    is_str(resolve("info@abc.com"), "u:bob@abc.com",
           "blanks around the colon; a bare name naming another alias");
    is_str(resolve("all@abc.com"),
           "u:ann@abc.com u:bob@abc.com u:Carl@ABC.com f:x@remote.net",
           "all: a fan-out to users and a forward");
    is_int(res.foreign, 0, "a forward reached through an alias is not foreign");
    is_str(resolve("ann@abc.com"), "u:ann@abc.com",
           "a user wins over an alias of the same name");
    is_str(resolve("multi@abc.com"), "u:ann@abc.com u:bob@abc.com u:Carl@ABC.com",
           "continuation lines (tab, spaces) join the entry; commas separate");
    is_str(resolve("commas@abc.com"), "u:ann@abc.com u:bob@abc.com u:Carl@ABC.com",
           "commas and blanks in any mix, a trailing comma");
    is_str(resolve("touo@abc.com"), "unknown",
           "an alias to an unknown user of a users-only domain fails the whole recipient");
    like_why("nobody@users-only.org");
}

static void defaults(void)
{
    is_str(resolve("info@def.org"), "u:ann@abc.com", "a listed name of a '-' domain");
    is_str(resolve("whoever@def.org"), "u:bob@abc.com",
           "'-' takes every unlisted name (here to an alias of its own domain)");
    is_str(resolve("Anything.Else@DEF.ORG"), "u:bob@abc.com", "'-', domain in capitals");
    is_str(resolve("nobody@abc.com"), "unknown", "no '-': an unknown name is unknown");
    is_int(res.kind, ALIASES_UNKNOWN, "kind ALIASES_UNKNOWN");
    is_str(resolve("y@users-only.org"), "unknown",
           "a domain with users and no alias file: unknown names are unknown");
    is_str(resolve("nosuch@loop.org"), "loop",
           "'-' naming a name that falls to '-' again: a loop, not a hang");
}

static void forwards(void)
{
    is_str(resolve("someone@elsewhere.net"), "f:someone@elsewhere.net",
           "outside popkit's domains: forward to the address itself");
    is_int(res.foreign, 1, "and foreign, so a caller that must not relay can refuse it");
    is_str(resolve("out@abc.com"), "f:someone@elsewhere.net", "an alias to an outside address");
    is_int(res.foreign, 0, "not foreign");
    is_str(resolve("someone@ELSEWHERE.net"), "f:someone@elsewhere.net",
           "a forward's domain in lower case");
}

static void dedup(void)
{
    is_str(resolve("dup@abc.com"),
           "u:ann@abc.com u:bob@abc.com f:x@remote.net f:X@remote.net",
           "duplicates dropped: users by record, forwards by local part as"
           " written and domain without case");
    is_str(resolve("dia@abc.com"), "u:ann@abc.com", "a diamond gives one mailbox");
}

static void loops(void)
{
    is_str(resolve("self@abc.com"), "loop", "a loop of length 1");
    like_why("abc.com:7: alias self leads back to itself");
    is_str(resolve("l1@abc.com"), "loop", "a loop of length 3");
    is_str(resolve("sales@abc.com"), "u:bob@abc.com",
           "after a loop the next resolve starts afresh");
}

/* a0: a1 ... a(n-1): ann@abc.com in chain.org, b0...b10 one longer. */
static void nesting(void)
{
    char text[4096];
    size_t n = 0;
    for (int i = 0; i < ALIASES_DEPTH_MAX - 1; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "a%d: a%d\n", i, i + 1);
    n += (size_t)snprintf(text + n, sizeof text - n, "a%d: ann@abc.com\n",
                          ALIASES_DEPTH_MAX - 1);
    for (int i = 0; i < ALIASES_DEPTH_MAX; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "b%d: b%d\n", i, i + 1);
    n += (size_t)snprintf(text + n, sizeof text - n, "b%d: ann@abc.com\n",
                          ALIASES_DEPTH_MAX);
    /* z reaches a1 first (9 expansions below it: 10 in all), then a0,
     * through which a1 is one deeper: 11. */
    n += (size_t)snprintf(text + n, sizeof text - n, "z: a1 a0\nzz: a1\n");
    put("chain.org", text, n);
    is_str(resolve("a0@chain.org"), "u:ann@abc.com",
           "aliases nested exactly ALIASES_DEPTH_MAX deep resolve");
    is_str(resolve("b0@chain.org"), "toodeep", "one more is too deep");
    is_str(resolve("zz@chain.org"), "u:ann@abc.com", "(10 deep through a1)");
    is_str(resolve("z@chain.org"), "toodeep",
           "an entry reached again deeper is measured on the deeper path too");
}

static void too_many(void)
{
    char *text = malloc(ALIASES_ENTRY_MAX);
    size_t n = (size_t)snprintf(text, ALIASES_ENTRY_MAX, "big:");
    for (int i = 0; i <= ALIASES_TARGETS_MAX; i++)
        n += (size_t)snprintf(text + n, ALIASES_ENTRY_MAX - n, "%sf%d@r.net",
                              i % 10 ? " " : "\n\t", i);
    n += (size_t)snprintf(text + n, ALIASES_ENTRY_MAX - n, "\nfits: f1@r.net f2@r.net\n");
    put("many.org", text, n);
    is_str(resolve("big@many.org"), "toomany", "one target past ALIASES_TARGETS_MAX");
    is_str(resolve("fits@many.org"), "f:f1@r.net f:f2@r.net", "(the file is fine otherwise)");
    free(text);
}

static void bad_lines(void)
{
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text,
        "good: ann@abc.com\n"               /* 1 */
        "broken ann@abc.com\n"              /* 2: no colon */
        "typo: ann@@abc.com\n"              /* 3 */
        "pipe: |/usr/bin/vacation\n"        /* 4 */
        "empty:\n"                          /* 5 */
        "good: bob\n"                       /* 6: second entry */
        "# a comment\n"                     /* 7 */
        "\tstray continuation\n"            /* 8 */
        "bad name: ann\n"                   /* 9 */
        "dash: -\n");                       /* 10 */
    n += (size_t)snprintf(text + n, sizeof text - n, "long: ");
    memset(text + n, 'x', ALIASES_LINE_MAX);        /* 11: overlong */
    n += ALIASES_LINE_MAX;
    n += (size_t)snprintf(text + n, sizeof text - n, "@abc.com\n");
    memcpy(text + n, "nul: ann\0bob\n", 13);        /* 12 */
    n += 13;
    n += (size_t)snprintf(text + n, sizeof text - n, "after: bob@abc.com\n");   /* 13 */
    put("bad.org", text, n);

    is_str(resolve("good@bad.org"), "u:ann@abc.com",
           "good lines work beside bad ones; the first entry of a name wins");
    is_str(resolve("after@bad.org"), "u:bob@abc.com", "a line after the bad ones");
    is_str(resolve("typo@bad.org"), "temp",
           "a name whose entry is bad defers (temporary), not bounce or '-'");
    like_why_at("bad.org:3: bad local part in target", __LINE__);
    is_str(resolve("pipe@bad.org"), "temp", "a pipe target is a bad entry");
    like_why_at("bad.org:4: pipes, files and :include: are not supported", __LINE__);
    is_str(resolve("empty@bad.org"), "temp", "no target is a bad entry");
    like_why_at("bad.org:5: no target", __LINE__);
    is_str(resolve("dash@bad.org"), "temp", "'-' as a target is a bad entry");
    is_str(resolve("long@bad.org"), "temp", "an overlong line defers its name");
    like_why_at("bad.org:11: line longer than 4096", __LINE__);
    is_str(resolve("nul@bad.org"), "temp", "a NUL byte makes a bad entry");
    like_why_at("bad.org:12: a NUL byte", __LINE__);
    is_str(resolve("broken@bad.org"), "unknown",
           "a line without a colon names nothing: skipped");

    /* The table itself: every bad line with its line number. */
    {
        char *lines[] = {"a: b", "a b", "\tc", "#x", " ", "b: c,", "\td"};
        size_t len[7];
        struct alias_table t;
        const struct alias_entry *bad, *e;
        for (int i = 0; i < 7; i++)
            len[i] = strlen(lines[i]);
        ok(aliases_parse(lines, len, 7, &t) == 0, "aliases_parse");
        is_int(t.n, 3, "three entries: a, the colonless line, b");
        is_int(t.nbad, 1, "one bad: the colonless line (with its continuation)");
        is_int(t.e[1].line, 2, "bad entry's line number");
        is_int(t.e[1].nlines, 2, "and it spans the continuation line");
        e = aliases_find(&t, "B", &bad);
        ok(e && e->ntargets == 2 && strcmp(e->targets[1], "d") == 0 && e->line == 6
           && e->nlines == 2,
           "a continuation line after comments and blank lines belongs to the entry right before it");
        aliases_table_free(&t);
    }
}

static void bad_addresses(void)
{
    is_str(resolve("noat"), "badaddr", "a recipient without @ is a bad address");
    is_str(resolve("a@b@"), "badaddr", "nor with an empty domain");
    is_str(resolve("a@b@abc.com"), "badaddr", "nor with two @");
    is_str(resolve("@abc.com"), "badaddr", "nor with an empty local part");
    is_str(resolve("a b@abc.com"), "badaddr", "nor with a space");
    is_str(resolve(""), "badaddr", "nor an empty one");
}

static void missing_and_unreadable(void)
{
    struct aliases *a;
    struct aliases_result r = {0};
    char path[600], nodir[600], nousers[600];

    snprintf(nodir, sizeof nodir, "%s/no-such-dir", dir);
    a = aliases_open(users, nodir);
    is_str(resolve_in(a, "bob@abc.com", &r), "u:bob@abc.com",
           "a missing alias directory: users still resolve");
    aliases_result_free(&r);
    is_str(resolve_in(a, "sales@abc.com", &r), "unknown",
           "and a domain with users has no aliases");
    aliases_result_free(&r);
    is_str(resolve_in(a, "p@def.org", &r), "f:p@def.org",
           "and a domain with neither is outside popkit's");
    aliases_result_free(&r);
    aliases_close(a);

    snprintf(nousers, sizeof nousers, "%s/no-such-users", dir);
    a = aliases_open(nousers, adir);
    is_str(resolve_in(a, "info@def.org", &r), "temp",
           "a missing users file is a temporary failure, not a bounce");
    ok(strstr(r.why, "no-such-users") != NULL, "naming the file");
    aliases_result_free(&r);
    aliases_close(a);

    snprintf(path, sizeof path, "%s/empty-users", dir);
    fclose(fopen(path, "w"));
    a = aliases_open(path, adir);
    is_str(resolve_in(a, "out@abc.com", &r), "f:someone@elsewhere.net",
           "an empty users file: aliases alone");
    aliases_result_free(&r);
    is_str(resolve_in(a, "ann@abc.com", &r), "unknown",
           "and no one is a user (ann's alias names bob, who is not either)");
    aliases_result_free(&r);
    aliases_close(a);

    /* A directory where the file should be: unreadable even for root. */
    snprintf(path, sizeof path, "%s/dir.org", adir);
    mkdir(path, 0755);
    is_str(resolve("x@dir.org"), "temp", "an alias file that cannot be read: temporary");
    like_why_at("dir.org", __LINE__);
    rmdir(path);
    PUT("dir.org", "x: ann@abc.com\n");
    is_str(resolve("x@dir.org"), "u:ann@abc.com", "read again at the next resolve once fixed");

    PUT("perm.org", "x: ann@abc.com\n");
    snprintf(path, sizeof path, "%s/perm.org", adir);
    chmod(path, 0);
    if (geteuid() == 0) {
        tap_skip("a mode 000 alias file is temporary", "root reads any file");
    } else {
        is_str(resolve("x@perm.org"), "temp", "a mode 000 alias file is temporary");
        like_why_at("Permission denied", __LINE__);
    }
    chmod(path, 0644);
}

static void format(void)
{
    char *t[40];
    char name[32];
    size_t n, len[40];
    char **lines;
    struct alias_table tab;
    const struct alias_entry *e;
    int fits = 1, same = 1;

    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "u%d@ex.org", i);
        t[i] = strdup(name);
    }
    lines = aliases_format("all", t, 40, &n);
    ok(lines && n > 1, "a long entry is wrapped into continuation lines");
    ok(lines && strncmp(lines[0], "all: u0@ex.org u1@ex.org", 24) == 0,
       "first line 'name: target target'");
    for (size_t i = 0; i < n; i++) {
        len[i] = strlen(lines[i]);
        if (len[i] > 77 || (i > 0 && lines[i][0] != '\t'))
            fits = 0;
    }
    ok(fits, "every line under 78 columns, continuations start with a tab");
    ok(aliases_parse(lines, len, n, &tab) == 0, "the lines parse");
    e = aliases_find(&tab, "all", NULL);
    ok(e && e->ntargets == 40, "back to 40 targets");
    for (int i = 0; e && i < 40; i++)
        if (strcmp(e->targets[i], t[i]))
            same = 0;
    ok(same, "in order");
    aliases_table_free(&tab);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    for (int i = 0; i < 40; i++)
        free(t[i]);

    ok(aliases_valid_name("-") && aliases_valid_name("john.smith")
       && !aliases_valid_name("a b") && !aliases_valid_name("a@b")
       && !aliases_valid_name("a:b") && !aliases_valid_name("a,b")
       && !aliases_valid_name(""), "aliases_valid_name");
    ok(aliases_valid_target("kquincy") && aliases_valid_target("a@b.org")
       && !aliases_valid_target("-") && !aliases_valid_target("|prog")
       && !aliases_valid_target("/var/mail/x") && !aliases_valid_target("a@")
       && !aliases_valid_target("a@b_c.org") && !aliases_valid_target(""),
       "aliases_valid_target");
    {
        char p[600];
        ok(aliases_path("/etc/popkit/aliases", "ABC.Com", p, sizeof p) == 0
           && strcmp(p, "/etc/popkit/aliases/abc.com") == 0,
           "aliases_path: the domain's file, in lower case");
        ok(aliases_path("/d", "../etc", p, sizeof p) < 0
           && aliases_path("/d", "a/b", p, sizeof p) < 0,
           "aliases_path refuses what is not a domain");
    }
}

/* Found by tests/fuzz/fuzz_aliases: a target may begin with '#' (an
 * address's local part may), but one that aliases_format() put first on
 * a continuation line made it a comment line, so vuser's rewrite lost
 * it and every target after it on that line. */
static void format_hash_target(void)
{
    char *t[12];
    char name[32];
    size_t n, len[12];
    char **lines;
    struct alias_table tab;
    const struct alias_entry *e;
    int same = 1;

    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "%suser%d@example.org", i == 4 ? "#" : "", i);
        t[i] = strdup(name);
    }
    lines = aliases_format("list", t, 12, &n);
    ok(lines && n > 1, "an entry with a '#' target is wrapped");
    for (size_t i = 0; lines && i < n; i++)
        len[i] = strlen(lines[i]);
    ok(lines && aliases_parse(lines, len, n, &tab) == 0, "its lines parse");
    e = lines ? aliases_find(&tab, "list", NULL) : NULL;
    ok(e && e->ntargets == 12, "back to 12 targets, the '#' one included");
    for (int i = 0; e && i < 12 && i < (int)e->ntargets; i++)
        if (strcmp(e->targets[i], t[i]))
            same = 0;
    ok(e && same, "in order");
    if (lines)
        aliases_table_free(&tab);
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
    for (int i = 0; i < 12; i++)
        free(t[i]);
}

/* ---- a directory of users (aliases_set_directory) ---- */

/* The fake directory: "dirk@abc.com" and "d2@new.org" are its users,
 * "down@..." cannot be answered; every call counted. */
static int dir_calls;

static int fake_directory(void *c, const char *address,
                          struct userdb_entry *e, char *why, size_t whysz)
{
    static const char *const known[] = { "dirk@abc.com", "d2@new.org",
                                         "ann@abc.com" };
    char line[400];
    (void)c;
    dir_calls++;
    if (strncmp(address, "down@", 5) == 0) {
        snprintf(why, whysz, "the directory is unavailable");
        return -1;
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcasecmp(address, known[i]) == 0) {
            snprintf(line, sizeof line, "%s:x:vmail:/dir/%s", address,
                     address);
            char *copy = strdup(line);
            if (!copy || userdb_parse(copy, e) != 1)
                return -1;
            e->line = copy;
            e->size = strlen(line) + 1;
            e->maildir = (char *)"/dir/Maildir-of-its-own";
            return 1;
        }
    return 0;
}

static void directory(void)
{
    struct aliases *d = aliases_open(users, adir), *only = aliases_open(NULL, adir);
    struct aliases_result r;

    aliases_set_directory(d, fake_directory, NULL);
    aliases_set_directory(only, fake_directory, NULL);
    dir_calls = 0;
    is_str(resolve_in(d, "ann@abc.com", &r), "u:ann@abc.com",
           "users file and directory: the users file's user first");
    is_str(r.users[0]->home, "/var/mail/abc/ann", "the users file's record");
    is_int(dir_calls, 0, "the directory is not asked then");
    aliases_result_free(&r);
    is_str(resolve_in(d, "Dirk@ABC.com", &r), "u:Dirk@abc.com",
           "a user only the directory holds is a mailbox");
    is_str(r.users[0]->maildir, "/dir/Maildir-of-its-own",
           "with the directory's record (its own Maildir)");
    aliases_result_free(&r);
    is_str(resolve_in(d, "Dirk@abc.com", &r), "u:Dirk@abc.com", "asked again");
    is_int(dir_calls, 1, "the directory was asked once (RCPT, then DATA)");
    aliases_result_free(&r);
    is_str(resolve_in(d, "sales@abc.com", &r), "u:bob@abc.com",
           "a name that is an alias still resolves through its file");
    aliases_result_free(&r);
    is_str(resolve_in(d, "down@abc.com", &r), "temp",
           "a directory that cannot answer: a temporary failure");
    ok(strstr(r.why, "the directory is unavailable") != NULL, "why: %s", r.why);
    aliases_result_free(&r);
    is_str(resolve_in(d, "nobody@new.org", &r), "unknown",
           "with a directory, an unknown recipient is unknown, not foreign");
    ok(strstr(r.why, "no such user in the directory") != NULL, "why: %s", r.why);
    aliases_result_free(&r);
    is_str(resolve_in(d, "out@abc.com", &r), "f:someone@elsewhere.net",
           "an alias's target elsewhere is still forwarded");
    aliases_result_free(&r);
    is_str(resolve_in(only, "ann@abc.com", &r), "u:ann@abc.com",
           "no users file: the directory's ann");
    is_str(r.users[0]->home, "/dir/ann@abc.com", "its record, not the file's");
    aliases_result_free(&r);
    is_str(resolve_in(only, "bob@abc.com", &r), "unknown",
           "no users file: its users are not read");
    aliases_result_free(&r);
    is_str(resolve_in(only, "dup@abc.com", &r), "unknown",
           "an alias to users the directory does not hold fails whole");
    aliases_result_free(&r);
    aliases_close(d);
    aliases_close(only);
}

int main(void)
{
    setup();
    ctx = aliases_open(users, adir);
    users_and_aliases();
    defaults();
    forwards();
    dedup();
    loops();
    nesting();
    too_many();
    bad_lines();
    bad_addresses();
    missing_and_unreadable();
    format();
    format_hash_target();
    directory();
    aliases_result_free(&res);
    aliases_close(ctx);
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return tap_done();
}
