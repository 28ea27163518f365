/* SPDX-License-Identifier: ISC */
/* test_acctfile.c -- lib/acctfile: an account and its groups from
 * passwd- and group-format files, as NSS `files` finds them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctfile.h"
#include "tap.h"

static char dir[] = "/tmp/test_acctfile.XXXXXX";
static char pw[256], gr[256];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* The groups as "g1,g2,..." for comparing. */
static const char *groups_str(const struct acctfile *a)
{
    static char s[1024];
    size_t n = 0;
    s[0] = '\0';
    for (size_t i = 0; i < a->ngroups && n < sizeof s - 16; i++)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s%u", i ? "," : "",
                              (unsigned)a->groups[i]);
    return s;
}

static void found(void)
{
    struct acctfile a;
    write_file(pw, "root:x:0:0:root:/root:/bin/bash\n"
                   "# vmail:x:1:1::/comment:/bin/false\n"
                   "\n"
                   "vmail:x:120:130:Virtual mail:/var/vmail:/usr/sbin/nologin\n"
                   "vmail2:x:121:131::/srv/v2:\n");
    write_file(gr, "root:x:0:\nvmail:x:130:\nmailers:x:140:vmail\n"
                   "other:x:150:alice,vmail2\n");
    is_int(acctfile_find(pw, gr, "vmail", &a), 1, "vmail found");
    is_str(a.name, "vmail", "its name");
    is_int(a.uid, 120, "its uid");
    is_int(a.gid, 130, "its gid");
    is_str(a.home, "/var/vmail", "its home");
    is_str(a.shell, "/usr/sbin/nologin", "its shell");
    is_str(groups_str(&a), "130,140", "primary gid first, then the group listing it");
    acctfile_free(&a);
    is_int(acctfile_find(pw, gr, "vmail2", &a), 1,
           "a login that vmail is a prefix of: found as itself");
    is_int(a.uid, 121, "with its own uid");
    is_str(a.shell, "", "an empty shell stays empty (the caller defaults it)");
    is_str(groups_str(&a), "131,150", "member as the last of a list");
    acctfile_free(&a);
    is_int(acctfile_find(pw, NULL, "vmail", &a), 1,
           "no group file (the greeter's use): found");
    ok(a.uid == 120 && a.gid == 130 && a.groups == NULL && a.ngroups == 0,
       "ids only, no groups read");
    acctfile_free(&a);
    is_int(acctfile_find(pw, NULL, "nobody-here", &a), 0,
           "no group file: a missing login is still not found");
}

static void not_found(void)
{
    struct acctfile a;
    write_file(pw, "vmail:x:120:130::/var/vmail:/bin/false\n"
                   "# ghost:x:5:5::/:/bin/false\n");
    write_file(gr, "vmail:x:130:\n");
    is_int(acctfile_find(pw, gr, "ghost", &a), 0, "a commented-out login: not found");
    is_int(acctfile_find(pw, gr, "vmai", &a), 0, "a prefix of a login: not found");
    is_int(acctfile_find(pw, gr, "vmaill", &a), 0, "a login longer than one: not found");
    is_int(acctfile_find(pw, gr, "VMAIL", &a), 0, "case matters, as in NSS");
    is_int(acctfile_find(pw, gr, "", &a), 0, "the empty name: not found");
    is_int(acctfile_find(pw, gr, "x", &a), 0, "a password field is not a name");
    errno = 0;
    is_int(acctfile_find("/nonexistent/passwd", gr, "vmail", &a), -1,
           "a missing passwd file: -1");
    is_int(errno, ENOENT, "with its errno");
    is_int(acctfile_find(pw, "/nonexistent/group", "vmail", &a), -1,
           "a missing group file when the login is found: -1");
}

static void groups(void)
{
    struct acctfile a;
    write_file(pw, "bob:x:1000:1000::/home/bob:/bin/sh\n");
    write_file(gr, "bob:x:1000:\n"
                   "a:x:10:alice,bob,carol\n"       /* in the middle */
                   "b:x:11:bobby,bo,xbob\n"         /* prefixes, suffixes */
                   "c:x:12: bob\n"                  /* blank before the name */
                   "d:x:13:bob \n"                  /* blank after: another name */
                   "e:x:1000:bob\n"                 /* the primary gid again */
                   "f:x:10:bob\n"                   /* a gid already had */
                   "g:x:14\n"                       /* no member field */
                   "h:x:notanumber:bob\n"           /* bad gid */
                   "i:x::bob\n"                     /* empty gid */
                   "# j:x:15:bob\n"                 /* comment */
                   "  k:x:16:bob\n"                 /* leading blanks */
                   "l:x:4294967295:bob\n"           /* (gid_t)-1 */
                   "m:x:17:,,bob,\n"                /* empty members */
                   "n:x:18:bob");                   /* no final newline */
    is_int(acctfile_find(pw, gr, "bob", &a), 1, "bob found");
    is_str(groups_str(&a), "1000,10,12,16,17,18",
           "groups: primary, then each listing bob once; bad lines skipped");
    acctfile_free(&a);
}

static void malformed(void)
{
    struct acctfile a;
    write_file(pw, "svc:x:abc:1::/:/bin/false\n"       /* bad uid */
                   "svc:x:5::/:/bin/false\n"            /* six fields */
                   "svc:x:-1:1::/:/bin/false\n"         /* sign */
                   "svc:x:4294967295:1::/:/bin/false\n" /* (uid_t)-1 */
                   "svc:x:99999999999:1::/:/bin/false\n"
                   "svc:x:7:8:a:b:/bin/sh:extra\n");    /* the good one */
    write_file(gr, "");
    is_int(acctfile_find(pw, gr, "svc", &a), 1,
           "malformed lines for a login are skipped, the good one found");
    is_int(a.uid, 7, "uid of the well-formed line");
    is_str(a.shell, "/bin/sh:extra", "the shell is the rest of the line");
    is_str(groups_str(&a), "8", "an empty group file: the primary gid only");
    acctfile_free(&a);
}

static void long_lines(void)
{
    struct acctfile a;
    size_t n = 200000;
    char *big = malloc(n + 4096), *p = big;
    FILE *f;
    /* A group with thousands of members, far beyond any stdio buffer. */
    p += sprintf(p, "big:x:500:");
    for (int i = 0; i < 15000; i++)
        p += sprintf(p, "user%d,", i);
    sprintf(p, "vmail\n");
    f = fopen(gr, "w");
    fprintf(f, "vmail:x:130:\n%s", big);
    fclose(f);
    /* And a passwd line with a 100,000-byte comment field before it. */
    f = fopen(pw, "w");
    fprintf(f, "long:x:1:1:");
    for (int i = 0; i < 100000; i++)
        fputc('g', f);
    fprintf(f, ":/:/bin/false\nvmail:x:120:130::/var/vmail:/bin/false\n");
    fclose(f);
    is_int(acctfile_find(pw, gr, "vmail", &a), 1,
           "found after a 100 kB passwd line");
    is_str(groups_str(&a), "130,500", "member at the end of a 100 kB group line");
    acctfile_free(&a);
    is_int(acctfile_find(pw, gr, "long", &a), 1, "the long line itself is an account");
    is_str(a.shell, "/bin/false", "with its shell");
    acctfile_free(&a);
    free(big);
}

/* The real files: what NSS says for root (root is local everywhere). */
static void real_files(void)
{
    struct acctfile a;
    is_int(acctfile_find(ACCTFILE_PASSWD, ACCTFILE_GROUP, "root", &a), 1,
           "root in /etc/passwd");
    ok(a.uid == 0 && a.gid == 0 && a.ngroups >= 1 && a.groups[0] == 0,
       "as uid 0, gid 0, groups starting with 0");
    acctfile_free(&a);
}

static void ids(void)
{
    uint32_t v = 0;
    ok(acctfile_parse_id("1000:x", 4, &v) == 0 && v == 1000, "an id: its digits only");
    ok(acctfile_parse_id("4294967294", 10, &v) == 0, "2^32-2 is an id");
    ok(acctfile_parse_id("4294967295", 10, &v) == -1, "(uid_t)-1 is not");
    ok(acctfile_parse_id("-1", 2, &v) == -1 && acctfile_parse_id("", 0, &v) == -1,
       "nor a sign, nor nothing");
}

int main(void)
{
    ids();
    if (!mkdtemp(dir))
        return 1;
    snprintf(pw, sizeof pw, "%s/passwd", dir);
    snprintf(gr, sizeof gr, "%s/group", dir);
    found();
    not_found();
    groups();
    malformed();
    long_lines();
    real_files();
    unlink(pw);
    unlink(gr);
    rmdir(dir);
    return tap_done();
}
