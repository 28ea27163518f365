/* SPDX-License-Identifier: ISC */
/* test_userdb.c -- the virtual users file: parsing, lookup, atomic and
 * concurrent rewrites. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "userdb.h"

static char dir[] = "/tmp/test_userdb.XXXXXX";
static char path[256];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static char *read_file(void)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* The hash check works eight bytes at a time: every bad byte, at every
 * place in a word and in the tail, must still be caught. */
static void hash_bytes(void)
{
    static const unsigned char bad[] = {0x00, 0x01, 0x09, 0x0a, 0x20, 0x3a,
                                        0x7f, 0x80, 0xa0, 0xff};
    char h[40];
    int missed = 0, refused_good = 0;
    for (size_t len = 1; len < sizeof h - 1; len++) {
        for (size_t i = 0; i < len; i++)
            h[i] = (char)('!' + (i * 7) % 94);    /* 0x21..0x7e */
        h[len] = '\0';
        if (h[0] == ':')
            h[0] = 'x';
        for (size_t i = 0; i < len; i++)
            if (h[i] == ':')
                h[i] = 'y';
        if (!userdb_valid_hash(h))
            refused_good++;
        for (size_t pos = 0; pos < len; pos++)
            for (size_t b = 0; b < sizeof bad; b++) {
                char keep = h[pos];
                h[pos] = (char)bad[b];
                /* a NUL ends the string early: the prefix is still good */
                if (bad[b] != 0 && userdb_valid_hash(h))
                    missed++;
                h[pos] = keep;
            }
    }
    is_int(refused_good, 0, "hash check: printable hashes of 1-38 bytes pass");
    is_int(missed, 0, "hash check: space, control, ':', DEL and 8-bit bytes "
           "caught at every position");
    ok(userdb_valid_hash("~!$6$x/y.z"), "the edges 0x21 and 0x7e pass");
}

static void parsing(void)
{
    struct userdb_entry e;
    char l1[] = "bob@abc.com:$6$x$y:vmail:/var/mail/abc/bob";
    char l2[] = "bob@abc.com:$6$x$y:vmail:/var/mail/abc/bob:736563726574";
    char l3[] = "  # a comment", l4[] = "", l5[] = "bob@abc.com:h:vmail";
    char l6[] = "bob@abc.com:h:vmail:relative/home";
    char l7[] = "bob@abc.com:h:vmail:/h:zz", l8[] = "a:b:c:/d:e:f";
    char l9[] = "bob@abc.com::vmail:/h";

    is_int(userdb_parse(l1, &e), 1, "four fields parse");
    is_str(e.address, "bob@abc.com", "address");
    is_str(e.hash, "$6$x$y", "hash");
    is_str(e.owner, "vmail", "owner");
    is_str(e.home, "/var/mail/abc/bob", "home");
    is_str(e.apop, "", "no APOP secret");
    is_int(userdb_parse(l2, &e), 1, "five fields parse");
    is_str(e.apop, "736563726574", "APOP secret field");
    is_int(userdb_parse(l3, &e), 0, "comment");
    is_int(userdb_parse(l4, &e), 0, "empty line");
    is_int(userdb_parse(l5, &e), -1, "three fields: malformed");
    is_int(userdb_parse(l6, &e), -1, "relative home: malformed");
    is_int(userdb_parse(l7, &e), -1, "non-hex APOP field: malformed");
    is_int(userdb_parse(l8, &e), -1, "six fields: malformed");
    is_int(userdb_parse(l9, &e), 1, "empty hash parses (a locked user)");
}

static void fields(void)
{
    char longaddr[300];
    ok(userdb_valid_address("webmaster@abc.com"), "plain address");
    ok(userdb_valid_address("a.b+c@sub-1.example.org"), "dots, plus, hyphen");
    ok(!userdb_valid_address("webmaster"), "no domain refused");
    ok(!userdb_valid_address("@abc.com"), "empty local part refused");
    ok(!userdb_valid_address("a@"), "empty domain refused");
    ok(!userdb_valid_address("a b@abc.com"), "space refused");
    ok(!userdb_valid_address("a:b@abc.com"), "colon refused");
    ok(!userdb_valid_address("a\n@abc.com"), "newline refused");
    ok(!userdb_valid_address("a@abc..com"), "empty label refused");
    ok(!userdb_valid_address("a@abc_com"), "underscore in domain refused");
    memset(longaddr, 'a', sizeof longaddr);
    strcpy(longaddr + 250, "@b.cd");
    ok(!userdb_valid_address(longaddr), "255-octet address refused");
    ok(userdb_valid_home("/var/mail/a b"), "absolute home with a space");
    ok(!userdb_valid_home("var/mail"), "relative home refused");
    ok(!userdb_valid_home("/var:mail"), "colon in home refused");
    ok(!userdb_valid_home("/var\nmail"), "newline in home refused");
    ok(!userdb_valid_owner("") && !userdb_valid_owner("a:b")
       && !userdb_valid_owner("-r") && userdb_valid_owner("vmail"), "owners");
    ok(userdb_addr_eq("WebMaster@ABC.com", "webmaster@abc.COM"),
       "addresses compare without case");
    ok(!userdb_addr_eq("webmaster@abc.com", "webmaster@another.org"),
       "same local part, other domain: another user");
    ok(!userdb_addr_eq("webmaster@abc.com", "webmaster@abc.co"), "prefix differs");
}

static void lookup(void)
{
    struct userdb_entry e;
    char tmpl[128];
    size_t bad = 0;

    write_file("# users\n"
               "locked@abc.com:!$6$zz$locked:vmail:/m/abc/locked\n"
               "webmaster@abc.com:$6$aa$first:vmail:/m/abc/webmaster\n"
               "broken line\n"
               "webmaster@another.org:$6$bb$second:vmail2:/m/another/webmaster:6869\n"
               "\n");
    is_int(userdb_lookup(path, "WEBMASTER@abc.com", &e, tmpl, sizeof tmpl, &bad),
           1, "found without regard to case");
    is_str(e.hash, "$6$aa$first", "the abc.com user's hash");
    is_str(e.address, "webmaster@abc.com", "address as written in the file");
    is_str(tmpl, "$6$aa$first", "template is the first hash not locked");
    is_int(bad, 1, "one malformed line counted");
    userdb_entry_free(&e);
    is_int(userdb_lookup(path, "webmaster@another.org", &e, NULL, 0, NULL), 1,
           "second domain found");
    is_str(e.home, "/m/another/webmaster", "its own home");
    is_str(e.owner, "vmail2", "its own owner");
    is_str(e.apop, "6869", "its APOP field");
    userdb_entry_free(&e);
    is_int(userdb_lookup(path, "webmaster@third.net", &e, NULL, 0, NULL), 0,
           "unknown domain: not found");
    is_int(userdb_lookup(path, "webmaster", &e, NULL, 0, NULL), 0,
           "bare local part: not found");
    is_int(userdb_lookup("/nonexistent/users", "a@b.c", &e, NULL, 0, NULL), -1,
           "missing file: -1");
    is_int(errno, ENOENT, "with errno");
}

/* Lines the scan must count as malformed, whichever field holds the bad
 * bytes (NULs too: the file is one buffer, not C strings), while the
 * good line after them is still found. */
static void lookup_malformed(void)
{
    static const char text[] =
        "nul@abc.com:$6$aa$x:vmail:/m/a\0tail\n"          /* NUL in home */
        "# a comment\0with a NUL\n"
        "sp@abc.com:$6$aa$ x:vmail:/m/a\n"                  /* space in hash */
        "del@abc.com:$6$aa$x\x7f:vmail:/m/a\n"             /* DEL in hash */
        "hi@abc.com:$6$aa$x\xc3\xa9:vmail:/m/a\n"          /* UTF-8 in hash */
        "ctl@abc.com:$6$aa$x:vm\x01ail:/m/a\n"             /* control in owner */
        "@abc.com:$6$aa$x:vmail:/m/a\n"                     /* empty local part */
        "a@abc..com:$6$aa$x:vmail:/m/a\n"                   /* empty label */
        "a@abc.com:$6$aa$x::/m/a\n"                         /* empty owner */
        "a@abc.com:$6$aa$x:-vmail:/m/a\n"                   /* owner like an option */
        "a@abc.com:$6$aa$x:vmail:m/a\n"                     /* relative home */
        "a@abc.com:$6$aa$x:vmail:/m/a:ABCD\n"               /* upper-case hex */
        "a@abc.com:$6$aa$x:vmail:/m/a:abc\n"                /* odd hex */
        "a@abc.com:$6$aa$x:vmail:/m/a:ab:cd\n"              /* six fields */
        "a@abc.com:$6$aa$x:vmail\n"                         /* three fields */
        "good@abc.com:$6$bb$good:vmail:/m/good dir\n";
    struct userdb_entry e;
    size_t bad = 0;
    FILE *f = fopen(path, "w");
    fwrite(text, 1, sizeof text - 1, f);
    fclose(f);
    is_int(userdb_lookup(path, "good@abc.com", &e, NULL, 0, &bad), 1,
           "a good line after fifteen bad ones: found");
    is_str(e.home, "/m/good dir", "with its home");
    is_int(bad, 15, "all fifteen counted as malformed, NUL lines included");
    userdb_entry_free(&e);
    is_int(userdb_lookup(path, "nul@abc.com", &e, NULL, 0, NULL), 0,
           "a line cut by a NUL is no entry");
}

static void editing(void)
{
    struct userdb db;
    struct userdb_entry e = {.address = "new@abc.com", .hash = "$6$cc$h",
                             .owner = "vmail", .home = "/m/new", .apop = ""};
    struct stat st;

    chmod(path, 0640);
    is_int(userdb_load(&db, path), 0, "load");
    is_int(db.file.n, 6, "six lines");
    is_int(userdb_del(&db, "locked@abc.com"), 0, "delete the locked one");
    is_int(userdb_put(&db, &e), 0, "add");
    e.address = "WEBMASTER@ABC.COM";
    e.hash = "$6$dd$changed";
    is_int(userdb_put(&db, &e), 0, "replace (address in any case)");
    is_int(userdb_del(&db, "webmaster@another.org"), 0, "delete");
    is_int(userdb_del(&db, "nobody@abc.com"), -1, "delete of an absent user");
    is_int(userdb_commit(&db), 0, "commit");
    userdb_close(&db);
    is_str(read_file(),
           "# users\n"
           "WEBMASTER@ABC.COM:$6$dd$changed:vmail:/m/new\n"
           "broken line\n"
           "\n"
           "new@abc.com:$6$cc$h:vmail:/m/new\n",
           "comments, blank and malformed lines kept; edits in place");
    stat(path, &st);
    is_int(st.st_mode & 0777, 0640, "file mode kept across the rewrite");

    write_file("a@b.cd:h:o:/h\n");
    {
        FILE *f = fopen(path, "a");
        fwrite("x\0y\n", 1, 4, f);
        fclose(f);
    }
    is_int(userdb_load(&db, path), -1, "a NUL byte: refused to edit");
    is_int(errno, EINVAL, "EINVAL");
    userdb_close(&db);
    is_str(read_file(), "a@b.cd:h:o:/h\nx", "and the file is untouched");
}

/* Twenty processes add a user each at once; all must be there. */
static void concurrent(void)
{
    enum { N = 20 };
    int found = 0;
    unlink(path);
    for (int i = 0; i < N; i++) {
        if (fork() == 0) {
            struct userdb db;
            char addr[64];
            struct userdb_entry e = {.address = addr, .hash = "h",
                                     .owner = "o", .home = "/h", .apop = ""};
            snprintf(addr, sizeof addr, "user%d@example.org", i);
            if (userdb_load(&db, path) || userdb_put(&db, &e)
                || userdb_commit(&db))
                _exit(1);
            userdb_close(&db);
            _exit(0);
        }
    }
    int fails = 0, status;
    while (wait(&status) > 0)
        fails += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    is_int(fails, 0, "20 concurrent writers succeed");
    for (int i = 0; i < N; i++) {
        struct userdb_entry e;
        char addr[64];
        snprintf(addr, sizeof addr, "user%d@example.org", i);
        if (userdb_lookup(path, addr, &e, NULL, 0, NULL) == 1)
            found++;
        userdb_entry_free(&e);
    }
    is_int(found, N, "all 20 users present afterwards");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/users", dir);
    hash_bytes();
    parsing();
    fields();
    lookup();
    editing();
    concurrent();
    lookup_malformed();     /* last: it replaces the file editing() uses */
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd))
            ok(0, "cleanup");
    }
    return tap_done();
}
