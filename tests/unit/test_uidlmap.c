/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/uidlmap: dovecot-uidlist (versions 3 and 1) and
 * courierpop3dsizelist (3 and 2) as those servers write them, mapped
 * onto a real Maildir scan; and the hostile files, each ignored as a
 * whole with exactly one log line. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "tap.h"
#include "uidlmap.h"

static char root[] = "/tmp/test_uidlmap.XXXXXX";
static char logpath[PATH_MAX];

static void put(const char *rel, const char *data, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        exit(1);
}

static void put_s(const char *rel, const char *text)
{
    put(rel, text, strlen(text));
}

static void rm(const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    unlink(p);
    rmdir(p);
}

/* The messages every case maps onto (new/ and cur/, with and without
 * size fields and flags). */
static const char *const msgs[] = {
    "cur/1700000001.M1P1.host,S=10:2,S",
    "new/1700000002.M2P1.host",
    "cur/1700000003.M3P1.host:2,",
    "cur/1700000004.M4P1.host,S=5,W=6:2,RS",
    "new/1700000010.M10P1.host",          /* never in any file: arrived later */
};
#define NMSG (sizeof msgs / sizeof msgs[0])

static struct maildir md;
static struct uidlmap um;
static int loaded_rc;
static const char *load_file;   /* --uidl-from=SRC:FILE, or NULL */

/* Load src's file, with stderr into a file: how many log lines. */
static int load(enum uidlmap_source src)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    uidlmap_free(&um);
    loaded_rc = uidlmap_load(&um, &md, src, load_file, "user=test: ");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(logpath, "r");
    int lines = 0, c;
    while ((c = getc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

static const char *log_text(void)
{
    static char buf[512];
    FILE *f = fopen(logpath, "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The UIDL message i is served: the file's, else "own". */
static const char *uidl(size_t i)
{
    static char buf[MAILDIR_UIDL_MAX + 1];
    return uidlmap_uidl(&um, i, buf) ? buf : "own";
}

/* Index of the message whose file name starts with prefix. */
static size_t idx(const char *prefix)
{
    for (size_t i = 0; i < md.count; i++)
        if (strncmp(maildir_msg_name(&md, i), prefix, strlen(prefix)) == 0)
            return i;
    return (size_t)-1;
}

static void hostile(enum uidlmap_source src, const char *data, size_t len,
                    const char *what)
{
    const char *file = uidlmap_file_name(src);
    put(file, data, len);
    int lines = load(src);
    ok(loaded_rc == -1 && lines == 1 && um.slot == NULL && um.text == NULL &&
       strstr(log_text(), file) != NULL,
       "%s %s: ignored as a whole, one log line", file, what);
    printf("#   %s", log_text());      /* the reason given, for the reader */
    for (size_t i = 0; i < md.count; i++)
        if (strcmp(uidl(i), "own") != 0)
            ok(0, "... yet message %zu has a mapped UIDL", i);
    rm(file);
}

#define HOSTILE(src, lit, what) hostile(src, lit, sizeof lit - 1, what)

static void test_parse_source(void)
{
    enum uidlmap_source src;
    const char *file;
    ok(uidlmap_parse_source("dovecot", &src, &file) == 0 &&
       src == UIDLMAP_DOVECOT && file == NULL, "\"dovecot\"");
    ok(uidlmap_parse_source("courier", &src, &file) == 0 &&
       src == UIDLMAP_COURIER && file == NULL, "\"courier\"");
    ok(uidlmap_parse_source("dovecot:popkit-uidl-dovecot", &src, &file) == 0 &&
       src == UIDLMAP_DOVECOT && strcmp(file, "popkit-uidl-dovecot") == 0,
       "\"dovecot:FILE\": a frozen copy");
    ok(uidlmap_parse_source("qmail", &src, &file) < 0, "\"qmail\": refused");
    ok(uidlmap_parse_source("dovecotx", &src, &file) < 0, "\"dovecotx\": refused");
    ok(uidlmap_parse_source("dovecot:", &src, &file) < 0, "an empty FILE");
    ok(uidlmap_parse_source("dovecot:../x", &src, &file) < 0, "a FILE with '/'");
    ok(uidlmap_parse_source("courier:..", &src, &file) < 0, "FILE \"..\"");
}

static void test_frozen_copy(void)
{
    put_s("dovecot-uidlist", "3 V1 N99\n1 :1700000001.M1P1.host\n");
    put_s("frozen", "3 V2 N99\n3 :1700000001.M1P1.host\n");
    load_file = "frozen";
    is_int(load(UIDLMAP_DOVECOT), 0, "dovecot:frozen: no log line");
    is_str(uidl(idx("1700000001.")), "0000000300000002",
           "dovecot:frozen reads the copy, not the live dovecot-uidlist");
    load_file = NULL;
    rm("frozen");
    rm("dovecot-uidlist");
}

/* Dovecot appends records (LDA, IMAP) without rewriting the header: a
 * live file lists UIDs at and past the header's next UID. */
static void test_appended_records(void)
{
    put_s("dovecot-uidlist", "3 V2 N2\n1 :1700000001.M1P1.host\n"
                             "2 :1700000002.M2P1.host\n");
    is_int(load(UIDLMAP_DOVECOT), 0, "records past N: no log line");
    is_str(uidl(idx("1700000002.")), "0000000200000002",
           "a record appended at the header's next UID is believed");
    rm("dovecot-uidlist");
}

static void test_off_and_absent(void)
{
    is_int(load(UIDLMAP_OFF), 0, "off: no log line");
    ok(loaded_rc == 0 && um.slot == NULL && um.text == NULL,
       "off: nothing allocated, nothing mapped");
    is_int(load(UIDLMAP_DOVECOT), 0, "no dovecot-uidlist: no log line");
    ok(loaded_rc == 0 && um.slot == NULL, "no file: nothing allocated");
    is_str(uidl(0), "own", "no file: popkit's own UIDL");
    is_int(load(UIDLMAP_COURIER), 0, "no courierpop3dsizelist: no log line");
    ok(loaded_rc == 0 && um.slot == NULL, "no Courier file: nothing allocated");
}

static void test_dovecot_v3(void)
{
    put_s("dovecot-uidlist",
          "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n"
          "1 :1700000001.M1P1.host,S=10\n"
          "2 W12 G0123456789abcdef0123456789abcdef :1700000002.M2P1.host\n"
          "7 P0123abc :1700000003.M3P1.host:2,S\n"
          "9 P :1700000004.M4P1.host,S=5\n"
          "25000 :1699999999.M9P9.gone,S=99\n");
    is_int(load(UIDLMAP_DOVECOT), 0, "dovecot v3: no log line");
    is_int(loaded_rc, 0, "dovecot v3: loaded");
    is_int(um.mapped, 4, "dovecot v3: the four listed messages mapped");
    char want[32];
    snprintf(want, sizeof want, "%08x%08x", 1u, 1275660208u);
    is_str(uidl(idx("1700000001.")), want,
           "%08Xu%08Xv: UID 1, UIDVALIDITY 1275660208 (name with ,S=, now "
           "in cur/ with flags)");
    is_str(uidl(idx("1700000002.")), "000000024c0907b0",
           "lower-case hex, message still in new/, W and G fields skipped");
    is_str(uidl(idx("1700000003.")), "0123abc",
           "a P field is the UIDL Dovecot served");
    is_str(uidl(idx("1700000004.")), "1700000004.M4P1.host,S=5",
           "an empty P field: the uidlist's name before ':'");
    is_str(uidl(idx("1700000010.")), "own",
           "a message not listed (arrived after the switch): own UIDL");
    uidlmap_free(&um);
    ok(um.slot == NULL && um.text == NULL, "uidlmap_free empties it");
    uidlmap_free(&um);
    rm("dovecot-uidlist");
}

static void test_dovecot_v1(void)
{
    put_s("dovecot-uidlist", "1 1275660208 5\n"
                             "3 1700000001.M1P1.host,S=10:2,S\n"
                             "4 1700000003.M3P1.host\n");
    is_int(load(UIDLMAP_DOVECOT), 0, "dovecot v1: no log line");
    is_str(uidl(idx("1700000001.")), "000000034c0907b0", "dovecot v1: UID 3");
    is_str(uidl(idx("1700000003.")), "000000044c0907b0", "dovecot v1: UID 4");
    is_str(uidl(idx("1700000002.")), "own", "dovecot v1: unlisted: own");
    rm("dovecot-uidlist");
}

static void test_courier(void)
{
    put_s("courierpop3dsizelist",
          "/3 7 1700000000\n"
          "1700000001.M1P1.host,S=10:2,S 12 1:1700000000:0\n"
          "1700000002.M2P1.host 50 2:1700000000:1\n"
          "1700000003.M3P1.host:2, 9 6:0:0\n"
          "1600000000.M1P1.deleted:2,S 7 5:1700000000:0\n");
    is_int(load(UIDLMAP_COURIER), 0, "courier v3: no log line");
    is_int(um.mapped, 3, "courier v3: three listed messages mapped");
    is_str(uidl(idx("1700000001.")), "UID1-1700000000", "UID<n>-<uidv>");
    is_str(uidl(idx("1700000002.")), "UID2-1700000000",
           "matched in new/ by the name before ':'");
    is_str(uidl(idx("1700000003.")), "UID6", "uidv 0: UID<n>");
    is_str(uidl(idx("1700000004.")), "own", "not listed: own UIDL");
    rm("courierpop3dsizelist");
    put_s("courierpop3dsizelist", "/2 3 1600000000\n"
                                  "1700000004.M4P1.host,S=5:2,S 5 2:1600000000\n");
    is_int(load(UIDLMAP_COURIER), 0, "courier v2: no log line");
    is_str(uidl(idx("1700000004.")), "UID2-1600000000", "courier v2 record");
    rm("courierpop3dsizelist");
    /* Found by tests/fuzz/fuzz_uidlmap: a header and no record gave
     * qsort() a NULL array, undefined behaviour (UBSan stops there). */
    put_s("courierpop3dsizelist", "/2 3 1600000000\n");
    is_int(load(UIDLMAP_COURIER), 0, "courier, a header and no record: no log line");
    is_int(um.mapped, 0, "courier, no record: nothing mapped");
    rm("courierpop3dsizelist");
}

static void test_dovecot_hostile(void)
{
    const enum uidlmap_source D = UIDLMAP_DOVECOT;
    HOSTILE(D, "", "empty");
    HOSTILE(D, "\n", "an empty header");
    HOSTILE(D, "2 1275660208 5\n1 x\n", "version 2 (not written since 1.0)");
    HOSTILE(D, "3 V1275660208\n1 :1700000001.M1P1.host\n", "header without N");
    HOSTILE(D, "3 V0 N5\n1 :1700000001.M1P1.host\n", "UIDVALIDITY 0");
    HOSTILE(D, "3 V1 N5 x\n", "a header field that is no KEYvalue");
    HOSTILE(D, "3 V4294967296 N5\n1 :1700000001.M1P1.host\n",
            "UIDVALIDITY beyond 32 bits");
    HOSTILE(D, "3 V1 N99\n1 :1700000001.M1P1.host\n2 :1700000002.M2P1.h",
            "a truncated last line");
    HOSTILE(D, "3 V1 N99\n1 :1700000001.M1P1.host\n2\n", "a record cut after the UID");
    HOSTILE(D, "3 V1 N99\n1 W10\n", "a record without a name");
    HOSTILE(D, "3 V1 N99\n99999999999999999999999 :1700000001.M1P1.host\n",
            "a UID of 23 digits");
    HOSTILE(D, "3 V1 N99\n-1 :1700000001.M1P1.host\n", "a negative UID");
    HOSTILE(D, "3 V1 N99\n0 :1700000001.M1P1.host\n", "UID 0");
    HOSTILE(D, "3 V1 N99\n4 :1700000001.M1P1.host\n4 :1700000002.M2P1.host\n",
            "a UID twice");
    HOSTILE(D, "3 V1 N99\n5 :1700000001.M1P1.host\n4 :1700000002.M2P1.host\n",
            "UIDs out of order");
    HOSTILE(D, "3 V1 N99\n1 :1700000001.M1P1.host\n2 :1700000001.M1P1.host:2,S\n",
            "a name twice");
    HOSTILE(D, "3 V1 N99\r\n1 :1700000001.M1P1.host\r\n", "CRLF lines");
    HOSTILE(D, "3 V1 N99\n1 :1700000001.M1P1\0host\n", "a NUL byte");
    HOSTILE(D, "3 V1 N99\n1 :1700000001.M1P1\thost\n", "a tab in a name");
    HOSTILE(D, "3 V1 N99\n1 :cur/1700000001.M1P1.host\n", "a name with '/'");
    HOSTILE(D, "3 V1 N99\n1 :\n", "an empty name");
    HOSTILE(D, "3 V1 N99\n1 P01234567890123456789012345678901234567890123456789"
               "012345678901234567890 :1700000001.M1P1.host\n",
            "a P UIDL of 71 characters");
    HOSTILE(D, "3 V1 N99\n1 Pa Pb :1700000001.M1P1.host\n", "two P fields");
    HOSTILE(D, "3 V1 N99\n1 Psame :1700000001.M1P1.host\n"
               "2 Psame :1700000002.M2P1.host\n",
            "two messages given the same UIDL");
    HOSTILE(D, "3 V1 N99\n1 P1700000010.M10P1.host :1700000001.M1P1.host\n",
            "a UIDL equal to an unlisted message's own");
    put_s("cur/1700000002.M2P1.host,S=17:2,S", "Subject: x\n\nbody\n");
    struct maildir md2;
    if (maildir_open(&md2, root) < 0 || maildir_scan(&md2, 0) < 0)
        exit(1);
    struct maildir keep = md;
    md = md2;
    HOSTILE(D, "3 V1 N99\n2 :1700000002.M2P1.host\n",
            "a record two messages match (a copy in new/ and cur/)");
    md = keep;
    maildir_close(&md2);
    rm("cur/1700000002.M2P1.host,S=17:2,S");
    HOSTILE(D, "3 V1 N99\n1 P :1700000001.M1P1.host.that.goes.on.and.on.past."
               "the.seventy.characters.rfc1939.allows\n",
            "an empty P with a name too long for a UIDL");
    char line[UIDLMAP_LINE_MAX + 64];
    int n = snprintf(line, sizeof line, "3 V1 N99\n1 W1 :1700000001.M1P1.host");
    memset(line + n, 'x', UIDLMAP_LINE_MAX);
    n += UIDLMAP_LINE_MAX;
    line[n++] = '\n';
    hostile(D, line, (size_t)n, "a line over UIDLMAP_LINE_MAX");
    /* Not a file to read: a directory, a symlink (never followed), a
     * sparse file beyond UIDLMAP_FILE_MAX (refused before any read). */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/dovecot-uidlist", root);
    mkdir(p, 0700);
    int lines = load(D);
    ok(loaded_rc == -1 && lines == 1, "a directory: ignored, one log line");
    rmdir(p);
    put_s("real", "3 V1 N99\n1 :1700000001.M1P1.host\n");
    if (symlink("real", p) != 0)
        exit(1);
    lines = load(D);
    ok(loaded_rc == -1 && lines == 1 && um.slot == NULL,
       "a symlink: not followed, ignored, one log line");
    unlink(p);
    rm("real");
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, UIDLMAP_FILE_MAX + 1) != 0)
        exit(1);
    close(fd);
    lines = load(D);
    ok(loaded_rc == -1 && lines == 1 && strstr(log_text(), "larger"),
       "a file over UIDLMAP_FILE_MAX: ignored unread, one log line");
    unlink(p);
}

static void test_courier_hostile(void)
{
    const enum uidlmap_source C = UIDLMAP_COURIER;
    HOSTILE(C, "", "empty");
    HOSTILE(C, "3 7 1700000000\n", "a header without '/'");
    HOSTILE(C, "/1 7 1700000000\n", "version 1");
    HOSTILE(C, "/3 7\n", "a version 3 header without uidv");
    HOSTILE(C, "/3 7 1700000000 9\n", "a header with a third number");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 1:1700000000\n",
            "a version 3 record without the UTF-8 field");
    HOSTILE(C, "/2 7 1700000000\n1700000001.M1P1.host 12 1:1700000000:0\n",
            "a version 2 record with a UTF-8 field");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 1:1700000000:2\n",
            "a UTF-8 field of 2");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 0:1700000000:0\n",
            "UID 0");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host x12 1:1700000000:0\n",
            "a size that is no number");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 "
               "123456789012345678901:1:0\n", "a UID of 21 digits");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 "
               "18446744073709551616:1:0\n", "a UID beyond 64 bits");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12\n",
            "a truncated record");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 1:17000",
            "a torn last line");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 1:1:0\n"
               "1700000002.M2P1.host 12 1:1:0\n", "a UID twice");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host 12 1:1:0\n"
               "1700000001.M1P1.host:2,S 12 2:1:0\n", "a name twice");
    HOSTILE(C, "/3 7 1700000000\n1600000001.M1P1.gone 12 3:1:0\n"
               "1600000002.M1P1.gone 12 3:1:0\n",
            "a UID twice, in records of messages since deleted");
    HOSTILE(C, "/3 7 1700000000\r\n1700000001.M1P1.host 12 1:1:0\r\n", "CRLF");
    HOSTILE(C, "/3 7 1700000000\n1700000001.M1P1.host\0 12 1:1:0\n", "a NUL byte");
}

int main(void)
{
    log_init("test_uidlmap");
    if (!mkdtemp(root))
        return 1;
    snprintf(logpath, sizeof logpath, "%s.log", root);
    char p[2 * PATH_MAX + 16];   /* "rm -rf ROOT LOGPATH" */
    for (const char *const *d = (const char *const[]){ "new", "cur", "tmp", NULL };
         *d; d++) {
        snprintf(p, sizeof p, "%s/%s", root, *d);
        mkdir(p, 0700);
    }
    for (size_t i = 0; i < NMSG; i++)
        put_s(msgs[i], "Subject: x\n\nbody\n");
    if (maildir_open(&md, root) < 0 || maildir_scan(&md, 0) < 0)
        return 1;
    is_int(md.count, NMSG, "the Maildir holds the test messages");
    test_parse_source();
    test_off_and_absent();
    test_frozen_copy();
    test_appended_records();
    test_dovecot_v3();
    test_dovecot_v1();
    test_courier();
    test_dovecot_hostile();
    test_courier_hostile();
    uidlmap_free(&um);
    maildir_close(&md);
    snprintf(p, sizeof p, "rm -rf %s %s", root, logpath);
    if (system(p) != 0)
        return 1;
    return tap_done();
}
