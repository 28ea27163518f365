/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir: names, UIDLs, size fields, order, the scan
 * and the move to cur/, the session lock, delivery. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "maildir_array.h"
#include "maildir_cache.h"
#include "msgfmt.h"
#include "tap.h"

static char root[] = "/tmp/test_maildir.XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/%s", root, dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static int exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/%s", root, dir, name);
    return access(p, F_OK) == 0;
}

static int count_dir(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, dir);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void clear(void)
{
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf %s/new/* %s/cur/* %s/tmp/*", root, root,
             root);
    if (system(cmd) != 0)
        exit(1);
}

/* Wait until changes made so far count as settled for the listing
 * cache: two ticks of the coarse clock the file system stamps with,
 * plus the rounding margin (maildir_settled).  Milliseconds, where
 * the old rule wanted 50 ms of quiet. */
static void settle(void)
{
    struct timespec res = { 0, 10000000L };
    clock_getres(CLOCK_REALTIME_COARSE, &res);
    long ns = 2 * res.tv_nsec + MAILDIR_LISTING_SETTLE_US * 1000L + 1000000L;
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

static void test_names(void)
{
    uint32_t s, u;
    char id[MAILDIR_UIDL_MAX + 1], again_flags[MAILDIR_UIDL_MAX + 1];
    char digest[MAILDIR_UIDL_MAX + 1], again[MAILDIR_UIDL_MAX + 1];

    /* The base runs to ':' only: ",S=" and ",W=" are part of the name
     * every reader keys by (it stopped at ',' too before popkit kept
     * names as they are; issue 11). */
    is_int(maildir_unique_len("123.M4P5.host,S=10:2,S"), 18, "base includes ,S=");
    is_int(maildir_unique_len("123.4.host:2,"), 10, "base stops at :");
    is_int(maildir_unique_len("plain"), 5, "base of a bare name");
    is_int(maildir_unique_len("a,b,c"), 5, "commas are part of the base");

    ok(maildir_name_time("1700000000.M123456P77.h", &s, &u) == 0 &&
       s == 1700000000 && u == 123456, "time and usec from a modern name");
    ok(maildir_name_time("1700000000.77.h", &s, &u) == 0 && s == 1700000000 &&
       u == 0, "old qmail name: time, usec 0 (the pid is not usec)");
    ok(maildir_name_time("1700000000.P7M42.h", &s, &u) == 0 && u == 42,
       "M field anywhere in the second part");
    ok(maildir_name_time("1700000000.M1234567P1.h", &s, &u) == 0 && u == 0,
       "overlong M field ignored");
    ok(maildir_name_time("abc.def", &s, &u) < 0, "no digits: no time");
    ok(maildir_name_time("1700000000", &s, &u) < 0, "no dot: no time");
    ok(maildir_name_time("99999999999.x", &s, &u) < 0, "11 digits refused");
    ok(maildir_name_time("4294967296.x", &s, &u) < 0, "over 32 bits refused");
    ok(maildir_name_time("4294967295.x", &s, &u) == 0 && s == 4294967295u,
       "2^32-1 accepted");

    /* The UIDL is the whole base, as qmail-pop3d and Dovecot's %f give
     * it; it used to drop ",S=..." (issue 11: every client re-downloaded
     * such mail after a switch from those servers). */
    is_int(maildir_uidl("1700000000.M1P2.host,S=5,W=7:2,S", id), 28,
           "UIDL length");
    is_str(id, "1700000000.M1P2.host,S=5,W=7", "UIDL is the base, S= and W= kept");
    maildir_uidl("1700000000.M1P2.host,S=5,W=7", id);
    is_str(id, "1700000000.M1P2.host,S=5,W=7", "same UIDL in new/");
    maildir_uidl("1700000000.M1P2.host,S=5:2,", id);
    is_str(id, "1700000000.M1P2.host,S=5", "S= alone kept");
    maildir_uidl("1700000000.M1P2.host:2,", id);
    is_str(id, "1700000000.M1P2.host", "no fields: the plain name");
    maildir_uidl("1700000000.M1P2.host:2,FRS", id);
    is_str(id, "1700000000.M1P2.host", "flags never in the UIDL");
    maildir_uidl("1700000000.M1P2.host:2,Sab", again_flags);
    is_str(again_flags, id, "UIDL same whatever the flags and keywords");
    char longname[100];
    memset(longname, 'x', 71);
    strcpy(longname + 71, ":2,");
    is_int(maildir_uidl(longname, digest), 32, "71 characters: digest");
    strcpy(longname + 71, ":2,S");
    maildir_uidl(longname, again);
    is_str(again, digest, "digest stable across flag changes");
    strcpy(longname + 71, ",S=5:2,");
    maildir_uidl(longname, again);
    ok(strlen(again) == 32 && strcmp(again, digest) != 0,
       "71 characters then ,S=: digest of the whole base");
    memset(longname, 'x', 64);
    strcpy(longname + 64, ",S=123:2,");
    is_int(maildir_uidl(longname, id), 70, "64 + \",S=123\" = 70: kept");
    strcpy(longname + 64, ",S=1234:2,");
    is_int(maildir_uidl(longname, id), 32, "64 + \",S=1234\" = 71: digest");
    longname[70] = ':';
    is_int(maildir_uidl(longname, id), 70, "70 characters kept as is");
    maildir_uidl("with space", id);
    is_int(strlen(id), 32, "space: digest");
    maildir_uidl("caf\xc3\xa9", id);
    is_int(strlen(id), 32, "8-bit: digest");
    maildir_uidl("with\x7f", id);
    is_int(strlen(id), 32, "DEL: digest");
    maildir_uidl(":2,S", digest);
    ok(strlen(digest) == 32 && strspn(digest, "0123456789abcdef") == 32,
       "empty unique: 32 hex digits");
    maildir_uidl("with space2", again);
    ok(strcmp(id, again) != 0, "different names, different digests");
    maildir_uidl("!~", id);
    is_str(id, "!~", "0x21 and 0x7e are allowed");

    /* Known digests, computed with the unsigned __int128 code before it
     * became 32-bit limbs (issue 12): UIDLs must not change with it. */
    static const struct { const char *name, *uidl; } fnv[] = {
        { ":2,S", "6c62272e07bb014262b821756295c58d" },   /* FNV offset */
        { "with space", "dd47559306f409fc7ffcd3a325adba4f" },
        { "caf\xc3\xa9", "4b38eb0ac183d94f70814abce2e7f149" },
        { "\xff\xfe\x80\x01", "65e60b6d39757277b806e8601eddeee3" },
        { "1700000000.M123456P789.a-very-long-host-name.example.org,S=12345,"
          "W=12600-and-more", "438e0efd68fe2e119916f18dee26789b" },
    };
    for (size_t k = 0; k < sizeof fnv / sizeof fnv[0]; k++) {
        if (!fnv[k].uidl)
            continue;
        maildir_uidl(fnv[k].name, id);
        is_str(id, fnv[k].uidl, "known FNV-1a 128 digest");
    }
    char xs[1001];
    memset(xs, 'x', 1000);
    xs[1000] = '\0';
    maildir_uidl(xs, id);
    is_str(id, "00e2531c2570995111249bb059f17d2d", "digest of 1000 octets");

    uint64_t v;
    ok(maildir_name_field("u,S=123,W=130:2,", 'S', &v) == 0 && v == 123, "S=");
    ok(maildir_name_field("u,S=123,W=130:2,", 'W', &v) == 0 && v == 130, "W=");
    ok(maildir_name_field("u,S=123:2,W=5", 'W', &v) < 0, "W in the info ignored");
    ok(maildir_name_field("u,S=1,S=1", 'S', &v) < 0, "repeated field refused");
    ok(maildir_name_field("u,S=", 'S', &v) < 0, "empty value refused");
    ok(maildir_name_field("u,S=-1", 'S', &v) < 0, "sign refused");
    ok(maildir_name_field("u,S=+1", 'S', &v) < 0, "plus refused");
    ok(maildir_name_field("u,S=12x", 'S', &v) < 0, "trailing junk refused");
    ok(maildir_name_field("u,S=99999999999999999999999", 'S', &v) < 0,
       "overlong value refused");
    ok(maildir_name_field("u,S=18446744073709551615", 'S', &v) < 0,
       "value over MAILDIR_SIZE_FIELD_MAX refused");
    ok(maildir_name_field("u,S=274877906944", 'S', &v) == 0,
       "MAILDIR_SIZE_FIELD_MAX itself accepted");
    ok(maildir_name_field("u,Sx=1", 'S', &v) < 0, "other key ignored");
    ok(maildir_name_field("u", 'S', &v) < 0, "absent");

    ok(maildir_name_wire_size("u,S=100,W=104") == 104, "consistent W trusted");
    ok(maildir_name_wire_size("u,W=104") == 104, "W alone trusted");
    ok(maildir_name_wire_size("u,S=100,W=99") == MAILDIR_SIZE_UNKNOWN,
       "W below S refused");
    ok(maildir_name_wire_size("u,S=100,W=203") == MAILDIR_SIZE_UNKNOWN,
       "W above 2S+2 refused");
    ok(maildir_name_wire_size("u,S=100,W=202") == 202, "W = 2S+2 accepted");
    ok(maildir_name_wire_size("u,S=100") == MAILDIR_SIZE_UNKNOWN,
       "S alone gives no wire size");

    /* The cur/ name keeps the base byte for byte: the move used to add
     * ",W=<size>" before the colon, which gave every message Dovecot had
     * indexed in new/ a new IMAP UID (issue 11). */
    char out[NAME_MAX + 1];
    ok(maildir_cur_name("123.M1P2.h", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h:2,") == 0, "cur name: base kept, :2, added");
    ok(maildir_cur_name("123.M1P2.h,S=48", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h,S=48:2,") == 0, "S= kept, no W= added");
    ok(maildir_cur_name("123.M1P2.h,S=48,W=50", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h,S=48,W=50:2,") == 0, "Dovecot's S= and W= kept");
    ok(maildir_cur_name("123.h:2,S", out, sizeof out) == 0 &&
       strcmp(out, "123.h:2,S") == 0, "existing info and flags kept");
    ok(maildir_cur_name("123.h:2,SRa", out, sizeof out) == 0 &&
       strcmp(out, "123.h:2,SRa") == 0, "unsorted info kept as it is");
    ok(maildir_cur_name("123.h:1,xyz", out, sizeof out) == 0 &&
       strcmp(out, "123.h:1,xyz") == 0, "other info kind kept");
    ok(maildir_cur_name("123.h,W=bad", out, sizeof out) == 0 &&
       strcmp(out, "123.h,W=bad:2,") == 0, "bad W kept as it is");
    ok(maildir_cur_name("h\x01 \xff", out, sizeof out) == 0 &&
       strcmp(out, "h\x01 \xff:2,") == 0, "hostile bytes kept as they are");
    char big[NAME_MAX + 1];
    memset(big, 'a', NAME_MAX - 2);
    big[NAME_MAX - 2] = '\0';
    ok(maildir_cur_name(big, out, sizeof out) < 0,
       "too long for NAME_MAX: refused");
    memset(big, 'a', NAME_MAX - 3);
    big[NAME_MAX - 3] = '\0';
    ok(maildir_cur_name(big, out, sizeof out) == 0 && strlen(out) == NAME_MAX,
       "exactly NAME_MAX: fits");

    /* Adding a flag: ASCII order, everything else kept. */
    is_int(maildir_flag_name("b:2,", 'S', out, sizeof out), 0, "add S");
    is_str(out, "b:2,S", "to empty flags");
    maildir_flag_name("b", 'S', out, sizeof out);
    is_str(out, "b:2,S", "to a name without info");
    maildir_flag_name("b,S=5,W=6:2,FR", 'S', out, sizeof out);
    is_str(out, "b,S=5,W=6:2,FRS", "after F and R, base kept");
    maildir_flag_name("b:2,DFT", 'S', out, sizeof out);
    is_str(out, "b:2,DFST", "between F and T");
    maildir_flag_name("b:2,Tab", 'S', out, sizeof out);
    is_str(out, "b:2,STab", "Dovecot keyword letters kept, after capitals");
    maildir_flag_name("b:2,TR", 'S', out, sizeof out);
    is_str(out, "b:2,RST", "unsorted flags come out in ASCII order");
    maildir_flag_name("b:2,XZ", 'S', out, sizeof out);
    is_str(out, "b:2,SXZ", "unknown flags kept");
    maildir_flag_name("b:2,R,ext=1", 'S', out, sizeof out);
    is_str(out, "b:2,RS,ext=1", "what follows a ',' in the info kept");
    strcpy(out, "untouched");
    is_int(maildir_flag_name("b:2,RS", 'S', out, sizeof out), 1,
           "already seen: nothing to do");
    is_str(out, "untouched", "out untouched");
    ok(maildir_flag_name("b:1,x", 'S', out, sizeof out) < 0,
       "info of another kind: not edited");
    memset(big, 'a', NAME_MAX - 3);
    strcpy(big + NAME_MAX - 3, ":2,");
    ok(maildir_flag_name(big, 'S', out, sizeof out) < 0,
       "a flag that would pass NAME_MAX: refused");

    char u1[128], u2[128];
    ok(maildir_unique(u1, sizeof u1) == 0 && maildir_unique(u2, sizeof u2) == 0,
       "unique names made");
    ok(strcmp(u1, u2) != 0, "two unique names differ");
    ok(maildir_name_time(u1, &s, &u) == 0, "a unique name carries its time");
    ok(strpbrk(u1, "/:,") == NULL, "no / : , in a unique name");
    ok(maildir_unique(u1, 5) < 0, "unique name: too small a buffer");
}

static void test_scan(void)
{
    struct maildir md;
    clear();
    put("new", "1700000003.M5P1.h", "third\n");
    put("cur", "1700000001.M9P1.h,W=9:2,S", "first\n");       /* W lies: 8 */
    put("new", "1700000002.M1P1.h,S=7", "sec\r\nd\n");
    put("cur", "1700000002.M0P1.h:2,", ".dot\nx");            /* wire 9 */
    put("cur", "noname", "old\n");                           /* mtime */
    put("new", ".hidden", "x\n");
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/cur/adir", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/cur/noname", root);
    struct timespec ts[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
    utimensat(AT_FDCWD, p, ts, 0);

    ok(maildir_open(&md, root) == 0, "open");
    ok(maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0, "scan");
    is_int(md.count, 5, "five messages (hidden file, directory skipped)");
    is_int(md.moved, 2, "two moved from new/");
    is_str(maildir_msg_name(&md, 0), "noname", "no time in name: by mtime");
    is_str(maildir_msg_name(&md, 1), "1700000001.M9P1.h,W=9:2,S", "then 1");
    is_str(maildir_msg_name(&md, 2), "1700000002.M0P1.h:2,", "usec 0 first");
    /* Moved with the base kept (it was moved with ",W=8" added before
     * the colon until issue 11). */
    is_str(maildir_msg_name(&md, 3), "1700000002.M1P1.h,S=7:2,",
           "moved with its base kept, after it");
    is_str(maildir_msg_name(&md, 4), "1700000003.M5P1.h:2,", "last");
    is_int(md.msg[0].wire_size, 5, "size counted: old\\r\\n");
    is_int(md.msg[1].wire_size, 9, "W trusted (the name vouches)");
    is_int(md.msg[2].wire_size, 9, "size counted with final CRLF added");
    is_int(md.msg[3].wire_size, 8, "CRLF kept in size");
    is_int(md.msg[4].wire_size, 7, "size counted in new/");
    ok(exists("cur", "1700000003.M5P1.h:2,") &&
       !exists("new", "1700000003.M5P1.h"), "file moved on disk, base kept");
    ok(exists("cur", "1700000002.M1P1.h,S=7:2,"), "S= name moved as it is");
    is_int(count_dir("new"), 0, "new/ empty but hidden file");
    is_int(md.size_reads, 4, "four files read for their size");
    maildir_close(&md);

    /* Second scan: nothing changed, nothing read. */
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_MOVE |
       MAILDIR_SCAN_SIZES) == 0, "scan again");
    is_int(md.count, 5, "same five");
    /* No lock, so no size cache: the four without a usable W (the two
     * moved ones included, since the move no longer adds W) read again. */
    is_int(md.size_reads, 4, "without the size cache, names without W read");
    is_int(md.moved, 0, "nothing moved");

    /* A flag change by another program: found again by the unique part. */
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/cur/1700000003.M5P1.h:2,", root);
    snprintf(b, sizeof b, "%s/cur/1700000003.M5P1.h:2,RS", root);
    rename(a, b);
    int fd = maildir_msg_open_nostat(&md, 4);
    ok(fd >= 0, "renamed message found again");
    if (fd >= 0)
        close(fd);
    is_str(maildir_msg_name(&md, 4), "1700000003.M5P1.h:2,RS",
           "entry follows the rename");
    unlink(b);
    errno = 0;
    ok(maildir_msg_open_nostat(&md, 4) < 0 && errno == ENOENT, "vanished: ENOENT");
    is_int(maildir_msg_unlink(&md, 4), 0, "unlinking a vanished one is fine");
    is_int(maildir_msg_unlink(&md, 1), 0, "unlink");
    ok(!exists("cur", "1700000001.M9P1.h,W=9:2,S"), "file gone");
    is_int(maildir_sync(&md), 0, "sync");
    maildir_close(&md);
    maildir_close(&md);
    ok(1, "closing twice is harmless");

    /* Hostile cases: a FIFO and a symlink in new/, a target that exists. */
    clear();
    snprintf(p, sizeof p, "%s/new/1700000005.fifo", root);
    mkfifo(p, 0600);
    snprintf(p, sizeof p, "%s/new/1700000006.link", root);
    symlink("/etc/passwd", p);
    put("new", "1700000007.dup", "new copy\n");
    put("cur", "1700000007.dup:2,", "cur copy\n");
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_MOVE |
       MAILDIR_SCAN_SIZES) == 0, "scan hostile");
    is_int(md.count, 2, "FIFO and symlink skipped");
    ok(exists("new", "1700000007.dup") && exists("cur", "1700000007.dup:2,"),
       "existing target not replaced: both kept");
    int in_new = 0;
    for (size_t i = 0; i < md.count; i++)
        if (md.msg[i].flags & MAILDIR_F_NEW)
            in_new++;
    is_int(in_new, 1, "the unmoved one served from new/");
    ok(md.move_failed == 1 && md.move_err[0].err == EEXIST &&
       md.move_err[0].n == 1 && md.move_err[1].n == 0,
       "the failed move counted with its reason");
    is_int(md.moved, 0, "and not counted as moved");
    maildir_close(&md);

    /* Scan without moving: new/ untouched. */
    clear();
    put("new", "1700000008.x", "a\n");
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, 0) == 0 &&
       md.count == 1 && exists("new", "1700000008.x"), "no MOVE: stays in new/");
    maildir_close(&md);

    errno = 0;
    ok(maildir_open(&md, "/nonexistent/Maildir") < 0 && errno == ENOENT,
       "missing Maildir: ENOENT");
    maildir_close(&md);
}

/* Many messages in random order with ties: oldest first, names break
 * ties, whatever order readdir gives. */
static void test_order(void)
{
    struct maildir md;
    clear();
    unsigned seed = 7;
    for (int i = 0; i < 600; i++) {
        char name[64];
        unsigned t = 1700000000u + (unsigned)(rand_r(&seed) % 50);
        unsigned u = (unsigned)(rand_r(&seed) % 3);
        if (i % 5 == 0)
            snprintf(name, sizeof name, "%u.%d.host,W=3:2,", t, i);
        else
            snprintf(name, sizeof name, "%u.M%uP%d.host,W=3:2,", t, u, i);
        put("cur", name, "x\n");
    }
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0
       && md.count == 600, "600 messages scanned");
    int sorted = 1;
    char prev[NAME_MAX + 1] = "";
    uint64_t pk = 0;
    for (size_t i = 0; i < md.count; i++) {
        uint32_t t, u;
        const char *n = maildir_msg_name(&md, i);
        maildir_name_time(n, &t, &u);
        uint64_t k = (uint64_t)t << 20 | u;
        if (i > 0 && (k < pk || (k == pk && strcmp(prev, n) >= 0)))
            sorted = 0;
        pk = k;
        snprintf(prev, sizeof prev, "%s", n);
    }
    ok(sorted, "sorted by time, usec, then name");
    is_int(md.size_reads, 0, "sizes from the names: no file read");
    maildir_close(&md);
}

/* The size cache alone: no listing cache in the way. */
static void no_listing(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    unlink(p);
}

static unsigned scan_reads(void)
{
    struct maildir md;
    unsigned reads = 999;
    no_listing();
    if (maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
        maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0)
        reads = md.size_reads;
    maildir_close(&md);
    return reads;
}

/* Sizes of the three test messages, in order, as one string. */
static void scan_sizes(char *out, size_t n)
{
    struct maildir md;
    out[0] = '\0';
    no_listing();
    if (maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
        maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0)
        for (size_t i = 0; i < md.count; i++)
            snprintf(out + strlen(out), n - strlen(out), "%s%llu",
                     i ? " " : "", (unsigned long long)md.msg[i].wire_size);
    maildir_close(&md);
}

static void put_cache(const char *text)
{
    put(".", MAILDIR_CACHE_NAME, text);
}

static void test_cache(void)
{
    char sizes[256], p[PATH_MAX];
    clear();
    /* qmail-pop3d's names in cur/: no size fields at all. */
    put("cur", "1700000001.101.host:2,S", "a\nb\n");          /* 6 */
    put("cur", "1700000002.102.host,S=4:2,", "abc\n");         /* 5 */
    put("cur", "1700000003.103.host:2,", "x");                  /* 3 */
    put("cur", "1700000004.104.host,W=9:2,", "ignored\n");     /* W */
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_CACHE_NAME);
    unlink(p);

    struct maildir md;
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0
       && md.size_reads == 3, "no lock: files read");
    maildir_close(&md);
    ok(access(p, F_OK) < 0, "no lock: no cache written");
    is_int(scan_reads(), 3, "first locked scan reads the three");
    ok(access(p, F_OK) == 0, "cache written");
    is_int(scan_reads(), 0, "next scan reads nothing");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "6 5 3 9", "sizes from the cache");

    /* A flag change keeps the cache entry valid. */
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/cur/1700000001.101.host:2,S", root);
    snprintf(b, sizeof b, "%s/cur/1700000001.101.host:2,RS", root);
    rename(a, b);
    is_int(scan_reads(), 0, "flag change: still from the cache");

    /* Stale: one gone, one new. */
    snprintf(a, sizeof a, "%s/cur/1700000003.103.host:2,", root);
    unlink(a);
    put("cur", "1700000005.105.host:2,", "new\r\n");
    is_int(scan_reads(), 1, "stale cache: only the new one read");
    is_int(scan_reads(), 0, "rewritten cache covers it");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "6 5 9 5", "sizes after the change");

    /* Hostile and corrupt caches. */
    put_cache("garbage\n");
    is_int(scan_reads(), 3, "wrong magic: cache ignored");
    put_cache("popkit-sizes 1\n"
              "1700000001 0 99999999999999999999999 1700000001.101.host\n"
              "1700000002 0 400 1700000002.102.host,S=4\n"
              "x y z\n"
              "1700000005 0 5 ../etc/passwd\n"
              "1700000005 0 5 1700000005.105.host\n");
    is_int(scan_reads(), 2, "bad lines and S-violating sizes ignored, good used");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "6 5 9 5", "sizes right after a hostile cache");
    char big[4096] = "popkit-sizes 1\n";
    memset(big + strlen(big), 'x', 1000);
    strcat(big, "\n1700000005 0 5 1700000005.105.host\n1700000001 0 6 "
                "1700000001.101.host");
    put_cache(big);
    is_int(scan_reads(), 2, "overlong line skipped, last line without LF unused");
    put_cache("popkit-sizes 1\n1700000005 0 5 1700000005.105.host\n"
              "1700000001 0 6 1700000001.101.host\n");
    is_int(scan_reads(), 2, "out-of-order entries just miss");
    unlink(p);
    symlink("/etc/passwd", p);
    is_int(scan_reads(), 3, "symlinked cache not followed");
    struct stat st;
    ok(lstat(p, &st) == 0 && S_ISREG(st.st_mode), "symlink replaced by a cache");
    unlink(p);
    mkdir(p, 0700);
    is_int(scan_reads(), 3, "a directory for a cache: ignored");
    rmdir(p);
    is_int(scan_reads(), 3, "rebuilt");
    is_int(scan_reads(), 0, "and used");
    unlink(p);

    /* New mail read in new/ by a moving scan: cached by its base, so
     * after the move to cur/ nothing is read again (popkit used to put
     * the size in the name instead, changing it). */
    clear();
    unlink(p);
    put("new", "1700000007.107.host", "new\n");
    put("new", "1700000008.108.host,S=2", "x\n");
    struct maildir mv;
    ok(maildir_open(&mv, root) == 0 && maildir_lock(&mv) == 0 &&
       maildir_scan(&mv, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       mv.size_reads == 2 && mv.moved == 2, "few new: read and moved");
    maildir_close(&mv);
    ok(exists("cur", "1700000007.107.host:2,") &&
       exists("cur", "1700000008.108.host,S=2:2,"), "moved with their bases");
    is_int(scan_reads(), 0, "moved mail: sizes from the cache, nothing read");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "5 3", "and right");
    unlink(p);

    /* A name with a line end must not pose as another in the cache. */
    clear();
    put("cur", "1700000006.106.ho\nst:2,", "aaaa\n");
    put("cur", "1700000006.106.ho:2,", "b\n");
    scan_reads();
    is_int(scan_reads(), 1, "name with LF: never cached, read each time");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "3 6", "and no other message takes its size");
    unlink(p);
}

/* Scan (locked, sizes); *from gets from_listing, names the order. */
static void scan_listing(int *from, char *names, size_t n)
{
    struct maildir md;
    *from = -1;
    names[0] = '\0';
    if (maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
        maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0) {
        *from = (int)md.from_listing;
        for (size_t i = 0; i < md.count; i++)
            snprintf(names + strlen(names), n - strlen(names), "%s%s=%llu",
                     i ? " " : "", maildir_msg_name(&md, i),
                     (unsigned long long)md.msg[i].wire_size);
    }
    maildir_close(&md);
}

/* Overwrite len bytes at off in the listing file, in place. */
static void patch_listing(long off, const void *data, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    int fd = open(p, O_WRONLY);
    if (fd < 0 || pwrite(fd, data, len, off) != (ssize_t)len)
        exit(1);
    close(fd);
}

static void test_listing(void)
{
    char want[1024], got[1024], p[PATH_MAX], saved[4096];
    int from;
    clear();
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    unlink(p);
    put("cur", "1700000001.M1P1.h,W=3:2,S", "a\r\n");
    put("cur", "1700000002.M1P1.h,W=3:2,", "b\r\n");
    put("cur", "oldname:2,", "c\n");
    /* One clock tick on: the directories count as settled. */
    settle();
    scan_listing(&from, want, sizeof want);
    ok(from == 0 && access(p, F_OK) == 0, "settled: listing saved");
    scan_listing(&from, got, sizeof got);
    ok(from == 1, "next scan comes from the listing");
    is_str(got, want, "same messages, order, sizes");
    int fd = open(p, O_RDONLY);
    ssize_t len = read(fd, saved, sizeof saved);
    close(fd);

    /* Hostile or broken listings with the right key: all refused. */
    const long head = 136, arena = head + 3 * 16;
    uint32_t big = 0xffffffffu;
    patch_listing(head + 4, &big, 4);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "name offset out of range: refused");
    scan_listing(&from, got, sizeof got);
    ok(from == 1, "rewritten good listing used");
    patch_listing(arena, "/", 1);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "a '/' in a name: refused");
    scan_listing(&from, got, sizeof got);
    int used_before = from == 1;
    char *hit = memmem(saved, (size_t)len, "oldname", 7);
    if (hit)
        patch_listing(hit - saved, ".", 1);
    scan_listing(&from, got, sizeof got);
    ok(used_before && hit && from == 0 && strcmp(got, want) == 0,
       "a name made hidden ('.' first, no time prefix): refused");
    char e0[16], e1[16];
    memcpy(e0, saved + head, 16);
    memcpy(e1, saved + head + 16, 16);
    patch_listing(head, e1, 16);
    patch_listing(head + 16, e0, 16);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "out of order: refused");
    patch_listing(head + 8, "\xff\xff\xff\xff\xff", 5);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "unknown size: refused");
    uint64_t count = 1000000;
    patch_listing(24, &count, 8);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "count beyond the file: refused");
    if (truncate(p, len - 1) < 0)
        exit(1);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strcmp(got, want) == 0, "truncated: refused");
    unlink(p);
    symlink("/etc/passwd", p);
    scan_listing(&from, got, sizeof got);
    struct stat st;
    ok(from == 0 && lstat(p, &st) == 0 && S_ISREG(st.st_mode),
       "symlinked listing not followed, replaced");

    /* Any change to cur/ invalidates it. */
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/cur/1700000002.M1P1.h,W=3:2,", root);
    snprintf(b, sizeof b, "%s/cur/1700000002.M1P1.h,W=3:2,S", root);
    rename(a, b);
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strstr(got, "1700000002.M1P1.h,W=3:2,S=3") != NULL,
       "flag change: listing not used, new name seen");
    put("new", "1700000009.M1P1.h", "new\n");
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strstr(got, "1700000009.M1P1.h=5") != NULL,
       "mail in new/: listing not used, message seen");
    unlink(p);
}

/* A stat with these mtime and ctime (seconds, nanoseconds). */
static struct stat stamps(time_t ms, long mns, time_t cs, long cns)
{
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mtim.tv_sec = ms;
    st.st_mtim.tv_nsec = mns;
    st.st_ctim.tv_sec = cs;
    st.st_ctim.tv_nsec = cns;
    return st;
}

/* When a listing may be saved: stamps older than the scan's start by
 * more than the file system's rounding, never in the same tick. */
static void test_settled(void)
{
    struct timespec start = { 1700000100, 500000123 };
    struct stat st;
    st = stamps(1700000100, 500000123, 1700000100, 500000123);
    ok(!maildir_settled(&st, &start), "changed in the tick the scan began: not settled");
    st = stamps(1700000100, 499500123, 1700000100, 499500123);
    ok(!maildir_settled(&st, &start), "0.5 ms before: within the rounding margin");
    st = stamps(1700000100, 496000123, 1700000100, 496000123);
    ok(maildir_settled(&st, &start), "one 4 ms tick before: settled");
    st = stamps(1700000090, 123, 1700000100, 500000000 - 7);
    ok(!maildir_settled(&st, &start), "old mtime, fresh ctime: not settled");
    st = stamps(1700000101, 123, 1700000101, 123);
    ok(!maildir_settled(&st, &start), "stamps in the future: not settled");
    st = stamps(1700000099, 0, 1700000099, 0);
    ok(!maildir_settled(&st, &start), "whole-second stamps 1.5 s before: not settled");
    st = stamps(1700000097, 0, 1700000097, 0);
    ok(maildir_settled(&st, &start), "whole-second stamps 3.5 s before: settled");

    /* On disk: a delivery stamped now (or later) keeps the listing from
     * being saved, whatever the scan saw; once settled it is saved. */
    char p[PATH_MAX], want[1024], got[1024];
    int from;
    clear();
    no_listing();
    put("cur", "1700000001.M1P1.h,W=3:2,", "a\r\n");
    put("new", "1700000002.M1P1.h,W=3", "b\r\n");
    snprintf(p, sizeof p, "%s/new", root);
    struct timespec later[2] = { { 0, UTIME_OMIT }, { time(NULL) + 30, 0 } };
    utimensat(AT_FDCWD, p, later, 0);
    settle();
    scan_listing(&from, want, sizeof want);
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    ok(from == 0 && access(p, F_OK) < 0, "new/ stamped in the future: no listing saved");
    snprintf(p, sizeof p, "%s/new", root);
    struct timespec past[2] = { { 0, UTIME_OMIT }, { time(NULL) - 30, 0 } };
    utimensat(AT_FDCWD, p, past, 0);   /* its ctime is now: still fresh */
    struct stat changed;
    struct timespec end;
    stat(p, &changed);
    scan_listing(&from, got, sizeof got);
    clock_gettime(CLOCK_REALTIME_COARSE, &end);
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    /* Only a scan that began within the margin of the change says
     * anything; a slow machine (valgrind) may begin it later, when
     * saving is right. */
    int64_t gap = (int64_t)(end.tv_sec - changed.st_ctim.tv_sec) * 1000000000 +
                  (end.tv_nsec - changed.st_ctim.tv_nsec);
    int in_tick = gap <= (int64_t)MAILDIR_LISTING_SETTLE_US * 1000;
    if (in_tick)
        ok(from == 0 && access(p, F_OK) < 0,
           "ctime of this tick: no listing saved");
    else
        tap_skip("ctime of this tick: no listing saved",
                 "the scan began after the margin on this machine");
    settle();
    scan_listing(&from, got, sizeof got);
    ok(access(p, F_OK) == 0 && (from == 0 || !in_tick),
       "a tick later: listing saved");
    scan_listing(&from, got, sizeof got);
    ok(from == 1 && strcmp(got, want) == 0, "and used, same messages");
    /* A delivery right after the scan that saved it: the listing's key
     * no longer matches, the message is seen at once. */
    put("new", "1700000003.M1P1.h,W=3", "c\r\n");
    scan_listing(&from, got, sizeof got);
    ok(from == 0 && strstr(got, "1700000003.M1P1.h,W=3=3") != NULL,
       "delivery just after it was saved: listing not used, message seen");
    no_listing();
}

/* Random names through every parser: no crash, sane answers. */
static void test_random_names(void)
{
    unsigned seed = 99;
    static const char bytes[] = "0123456789.,:=SWM P/\x01\x7f\xff~!a";
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        char name[80], id[MAILDIR_UIDL_MAX + 1], out[NAME_MAX + 1];
        size_t len = (size_t)(rand_r(&seed) % 79);
        for (size_t i = 0; i < len; i++)
            name[i] = bytes[rand_r(&seed) % (sizeof bytes - 1)];
        name[len] = '\0';
        uint32_t t, u;
        uint64_t v;
        size_t n = maildir_uidl(name, id);
        if (n < 1 || n > MAILDIR_UIDL_MAX || strlen(id) != n)
            bad++;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
                bad++;
        if (maildir_name_time(name, &t, &u) == 0 && u > 999999)
            bad++;
        if (maildir_name_field(name, 'S', &v) == 0 && v > MAILDIR_SIZE_FIELD_MAX)
            bad++;
        (void)maildir_name_wire_size(name);
        size_t base = maildir_unique_len(name);
        if (maildir_cur_name(name, out, sizeof out) == 0) {
            char again[MAILDIR_UIDL_MAX + 1];
            maildir_uidl(out, again);
            if (strcmp(id, again) != 0 || strncmp(out, name, base) != 0 ||
                maildir_unique_len(out) != base)
                bad++;   /* the move to cur/ must keep the base and UIDL */
        }
        if (maildir_flag_name(name, 'S', out, sizeof out) == 0) {
            char again[MAILDIR_UIDL_MAX + 1];
            maildir_uidl(out, again);
            if (strcmp(id, again) != 0 || strncmp(out, name, base) != 0 ||
                maildir_unique_len(out) != base)
                bad++;   /* a flag must keep the base and UIDL */
        }
    }
    is_int(bad, 0, "20000 random names: UIDLs valid, base kept by move and flag");
}

/* A listing with random bytes changed (the key left intact): the scan
 * never crashes and never hands out an unusable entry. */
static void test_listing_mutations(void)
{
    char p[PATH_MAX], saved[8192];
    int from;
    char got[2048];
    clear();
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    unlink(p);
    for (int i = 0; i < 8; i++) {
        char name[64];
        snprintf(name, sizeof name, "17000000%02d.M%dP1.h,W=3:2,", i, i);
        put("cur", name, "a\r\n");
    }
    put("cur", "oddname", "zz\n");
    settle();
    scan_listing(&from, got, sizeof got);
    scan_listing(&from, got, sizeof got);
    ok(from == 1, "listing in use");
    int fd = open(p, O_RDONLY);
    ssize_t len = read(fd, saved, sizeof saved);
    close(fd);
    unsigned seed = 5;
    int bad = 0;
    for (int round = 0; round < 300 && len > 136; round++) {
        char buf[8192];
        memcpy(buf, saved, (size_t)len);
        int flips = 1 + rand_r(&seed) % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = 136 + (size_t)rand_r(&seed) % (size_t)(len - 136);
            buf[at] = (char)rand_r(&seed);
        }
        fd = open(p, O_WRONLY | O_TRUNC);
        if (fd < 0 || write(fd, buf, (size_t)len) != len)
            exit(1);
        close(fd);
        struct maildir md;
        if (maildir_open(&md, root) == 0 &&
            maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0) {
            for (size_t i = 0; i < md.count; i++) {
                const char *n = maildir_msg_name(&md, i);
                if (!n[0] || n[0] == '.' || strchr(n, '/') ||
                    strlen(n) > NAME_MAX ||
                    md.msg[i].wire_size == MAILDIR_SIZE_UNKNOWN)
                    bad++;
            }
        } else {
            bad++;
        }
        maildir_close(&md);
    }
    is_int(bad, 0, "300 mutated listings: no unusable entry");
    unlink(p);
}

static void test_lock(void)
{
    struct maildir md, other;
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0, "lock taken");
    ok(maildir_open(&other, root) == 0, "second open");
    is_int(maildir_lock(&other), MAILDIR_BUSY, "second session: BUSY");
    maildir_close(&md);
    is_int(maildir_lock(&other), 0, "free after close");
    maildir_close(&other);

    /* A holder that dies without unlocking. */
    int sync[2];
    if (pipe(sync) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        struct maildir c;
        char ch = maildir_open(&c, root) == 0 && maildir_lock(&c) == 0 ? 'y'
                                                                         : 'n';
        if (write(sync[1], &ch, 1) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    char ch = 0;
    if (read(sync[0], &ch, 1) != 1)
        ch = 0;
    ok(ch == 'y', "child holds the lock");
    ok(maildir_open(&md, root) == 0, "open");
    is_int(maildir_lock(&md), MAILDIR_BUSY, "live holder: BUSY");
    is_int(maildir_lock_wait(&md, 60), MAILDIR_BUSY,
           "waiting 60 ms on a live holder: BUSY");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    is_int(maildir_lock(&md), 0, "dead holder's lock taken over");
    maildir_unlock(&md);
    ok(md.lockfd == -1, "unlocked");
    ok(maildir_open(&other, root) == 0 && maildir_lock(&other) == 0,
       "free after maildir_unlock");
    maildir_close(&other);
    maildir_close(&md);

    /* A holder on its way out: the waiter gets the lock. */
    pid = fork();
    if (pid == 0) {
        struct maildir c;
        char y = maildir_open(&c, root) == 0 && maildir_lock(&c) == 0 ? 'y'
                                                                        : 'n';
        if (write(sync[1], &y, 1) < 0)
            _exit(1);
        struct timespec ts = { 0, 150 * 1000000L };
        nanosleep(&ts, NULL);
        _exit(0);
    }
    if (read(sync[0], &ch, 1) != 1)
        ch = 0;
    ok(ch == 'y' && maildir_open(&md, root) == 0 &&
       maildir_lock_wait(&md, 5000) == 0, "lock_wait outlasts an exiting holder");
    waitpid(pid, NULL, 0);
    maildir_close(&md);

    /* A stale lock file with a bogus pid is no obstacle. */
    put(".", MAILDIR_LOCK_NAME, "99999999\n");
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0,
       "stale lock file taken over");
    maildir_close(&md);

    /* A symlink for a lock file is refused, not followed. */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LOCK_NAME);
    unlink(p);
    symlink("/tmp/popkit-nowhere", p);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) < 0,
       "symlinked lock refused");
    ok(access("/tmp/popkit-nowhere", F_OK) < 0, "symlink target not created");
    maildir_close(&md);
    unlink(p);
    close(sync[0]);
    close(sync[1]);
}

/* A scan with neither flag only lists: nothing moved, no message read,
 * no cache written even under the lock in a settled Maildir, where a
 * SIZES scan would write both (maildir2mbox relies on it). */
static void test_plain_listing(void)
{
    struct maildir md;
    char p[PATH_MAX];
    clear();
    no_listing();
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_CACHE_NAME);
    unlink(p);
    put("new", "1700000010.M1P1.h", "new one\n");
    put("cur", "1700000009.M1P1.h:2,S", "read one\n");
    /* Settled past the clock-tick guard, as a listing wants. */
    settle();
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, 0) == 0, "locked plain scan");
    is_int(md.count, 2, "both listed");
    ok(md.count == 2 && strcmp(maildir_msg_name(&md, 0), "1700000009.M1P1.h:2,S") == 0 &&
       strcmp(maildir_msg_name(&md, 1), "1700000010.M1P1.h") == 0 &&
       (md.msg[1].flags & MAILDIR_F_NEW) && !(md.msg[0].flags & MAILDIR_F_NEW),
       "oldest first, the new one still in new/");
    is_int(md.size_reads, 0, "no message read");
    is_int(md.moved, 0, "nothing moved");
    ok(exists("new", "1700000010.M1P1.h"), "new/ untouched on disk");
    ok(!exists(".", MAILDIR_CACHE_NAME) && !exists(".", MAILDIR_LISTING_NAME),
       "no size cache, no listing written");
    ok(maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0 && exists(".", MAILDIR_CACHE_NAME) &&
       exists(".", MAILDIR_LISTING_NAME), "(a SIZES scan there writes both)");
    maildir_close(&md);
}

/* A message found again by its base, whatever its info. */
static void test_find_unique(void)
{
    struct maildir md;
    char out[NAME_MAX + 1];
    clear();
    put("cur", "1700000020.M1P1.h,W=3:2,RS", "x\n");
    put("cur", "1700000021.M1P1.hx:2,", "y\n");
    ok(maildir_open(&md, root) == 0, "open");
    ok(maildir_find_unique(md.curfd, "1700000020.M1P1.h,W=3:2,", out) == 0 &&
       strcmp(out, "1700000020.M1P1.h,W=3:2,RS") == 0, "flags changed: found");
    ok(maildir_find_unique(md.curfd, "1700000020.M1P1.h,W=3", out) == 0 &&
       strcmp(out, "1700000020.M1P1.h,W=3:2,RS") == 0, "the new/ name finds the cur/ one");
    /* The identity is the whole base now: the name without ",W=3" used
     * to find it too, when popkit's move added W (issue 11). */
    errno = 0;
    ok(maildir_find_unique(md.curfd, "1700000020.M1P1.h", out) < 0 && errno == ENOENT,
       "a base without the W= field is another message");
    ok(maildir_find_unique(md.curfd, "1700000021.M1P1.hx:2,", out) == 0 &&
       strcmp(out, "1700000021.M1P1.hx:2,") == 0, "the very name counts");
    errno = 0;
    ok(maildir_find_unique(md.curfd, "1700000021.M1P1.h:2,", out) < 0 && errno == ENOENT,
       "a longer unique is another message: ENOENT");
    errno = 0;
    ok(maildir_find_unique(md.newfd, "1700000020.M1P1.h", out) < 0 && errno == ENOENT,
       "not in new/: ENOENT");
    /* moved from new/ to cur/ under the same name (some readers do) */
    put("new", "1700000022.a", "z\n");
    ok(maildir_scan(&md, 0) == 0 && md.count == 3 && (md.msg[2].flags & MAILDIR_F_NEW),
       "listed in new/");
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/new/1700000022.a", root);
    snprintf(b, sizeof b, "%s/cur/1700000022.a", root);
    rename(a, b);
    int fd = maildir_msg_open_nostat(&md, 2);
    ok(fd >= 0 && !(md.msg[2].flags & MAILDIR_F_NEW),
       "moved to cur/ under the same name: found there");
    if (fd >= 0)
        close(fd);
    maildir_close(&md);
}

/* Many messages in new/: the scan answers while a helper renames them
 * (MAILDIR_MOVE_ASYNC_MIN) and two processes read them
 * (MAILDIR_SIZE_FORK_MIN).  Their bodies vary so every size differs. */
#define MANY (MAILDIR_MOVE_ASYNC_MIN + MAILDIR_SIZE_FORK_MIN + 40)

static void many_body(int i, char *out, size_t n)
{
    /* LF lines, a CRLF line every third message, no final LF every
     * fifth, and some bodies past one page. */
    size_t o = (size_t)snprintf(out, n, "Subject: %d\n\n", i);
    for (int k = 0; k < i % 7 + (i % 11 == 0 ? 300 : 1); k++)
        o += (size_t)snprintf(out + o, n - o, "%sline %d of %d\n",
                              k % 3 == 0 ? "." : "", k, i);
    if (i % 3 == 0)
        o += (size_t)snprintf(out + o, n - o, "crlf\r\n");
    if (i % 5 == 0)
        o += (size_t)snprintf(out + o, n - o, "tail");
}

static void many_name(int i, char *out, size_t n)
{
    snprintf(out, n, "%d.M%dP77.h", 1700001000 + i, i);
}

static void many_fill(void)
{
    char name[64], body[8192];
    clear();
    no_listing();
    for (int i = 0; i < MANY; i++) {
        many_name(i, name, sizeof name);
        many_body(i, body, sizeof body);
        put("new", name, body);
    }
}

/* Every message exactly once, in new/ under its own name or in cur/
 * under NAME:2, (the base kept: until issue 11 it was NAME,W=exact:2,);
 * the count of those in cur/ into *in_cur. */
static int many_check_disk(int *in_cur)
{
    char name[64], cur[128];
    int bad = 0;
    *in_cur = 0;
    for (int i = 0; i < MANY; i++) {
        many_name(i, name, sizeof name);
        snprintf(cur, sizeof cur, "%s:2,", name);
        int n = exists("new", name), c = exists("cur", cur);
        if (n + c != 1)
            bad++;
        *in_cur += c;
    }
    if (count_dir("new") + count_dir("cur") != MANY)
        bad++;
    return bad;
}

/* A fresh session's view: every message, oldest first, exact sizes,
 * UIDLs the unique names.  Returns the number of wrong entries. */
static int many_check_scan(struct maildir *md)
{
    char name[64], body[8192], id[MAILDIR_UIDL_MAX + 1];
    int bad = md->count == MANY ? 0 : 1000;
    for (size_t i = 0; i < md->count && i < MANY; i++) {
        many_name((int)i, name, sizeof name);
        many_body((int)i, body, sizeof body);
        maildir_uidl(maildir_msg_name(md, i), id);
        if (strcmp(id, name) != 0 ||
            md->msg[i].wire_size != msgfmt_wire_size(body, strlen(body)))
            bad++;
    }
    return bad;
}

/* Read every message through maildir_msg_open_nostat and compare it
 * with its body.  Returns the number that differ or fail to open. */
static int many_read_all(struct maildir *md)
{
    char body[8192], got[8192];
    int bad = 0;
    for (size_t i = 0; i < md->count && i < MANY; i++) {
        many_body((int)i, body, sizeof body);
        int fd = maildir_msg_open_nostat(md, i);
        ssize_t n = fd < 0 ? -1 : read(fd, got, sizeof got);
        if (fd >= 0)
            close(fd);
        if (n != (ssize_t)strlen(body) || memcmp(got, body, (size_t)n) != 0)
            bad++;
    }
    return bad;
}

/* A message removed by another program while the helper renames: the
 * open waits for the helper, finds neither name, and says ENOENT. */
static void test_many_gone_while_moving(void)
{
    struct maildir md;
    char name[64], path[256];
    many_fill();
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.moves != NULL, "many in new/: moves under way");
    many_name(5, name, sizeof name);
    snprintf(path, sizeof path, "%s/new/%s", root, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/cur/%s:2,", root, name);
    unlink(path);
    errno = 0;
    int fd = maildir_msg_open_nostat(&md, 5);
    ok(fd < 0 && errno == ENOENT, "a message removed meanwhile: ENOENT");
    if (fd >= 0)
        close(fd);
    ok(md.moves == NULL, "after waiting for the helper");
    fd = maildir_msg_open_nostat(&md, 6);
    ok(fd >= 0, "its neighbour still opens");
    if (fd >= 0)
        close(fd);
    maildir_close(&md);
}

static void test_many_new(void)
{
    struct maildir md;
    int in_cur;
    many_fill();
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0,
       "many in new/: scan");
    is_int(md.size_reads, MANY, "every one read once (two processes)");
    is_int(md.moved + md.moving, MANY, "all moving or moved");
    ok(md.moves != NULL, "moves left to a helper process");
    is_int(many_check_scan(&md), 0, "sizes and UIDLs right while moving");
    is_int(many_read_all(&md), 0,
           "every message reads back exactly while moving (by either name)");
    ok(md.moves != NULL, "and no open had to wait for the helper");
    maildir_moves_wait(&md);
    ok(md.moves == NULL && md.moving == 0, "moves done after the wait");
    is_int(md.moved, MANY, "all moved");
    int flagged = 0, named = 0;
    char want[128];
    for (size_t i = 0; i < md.count; i++) {
        if (md.msg[i].flags & MAILDIR_F_NEW)
            flagged++;
        many_name((int)i, want, sizeof want);
        snprintf(want + strlen(want), sizeof want - strlen(want), ":2,");
        if (strcmp(maildir_msg_name(&md, i), want) != 0)
            named++;
    }
    is_int(flagged, 0, "no entry left in new/");
    is_int(named, 0, "entries carry their cur/ names, base kept");
    is_int(many_check_disk(&in_cur), 0, "on disk: each message once");
    is_int(in_cur, MANY, "all in cur/ under their base and :2,");
    int fd = maildir_msg_open_nostat(&md, 7);
    ok(fd >= 0, "a moved message opens");
    if (fd >= 0)
        close(fd);
    is_int(many_check_scan(&md), 0, "sizes and UIDLs right after the moves");
    put("new", "1800000000.M1P1.late", "late\n");   /* arrives meanwhile */
    is_int(maildir_listing_refresh(&md), 0, "listing refreshed at the end");
    is_int(md.count, MANY, "the session's own listing untouched");
    ok(exists("cur", "1800000000.M1P1.late:2,"), "late mail moved by the refresh");
    maildir_close(&md);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.from_listing == 0, "refresh that moved late mail saves no listing");
    maildir_close(&md);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0,
       "scan after the late one settled");
    is_int(maildir_listing_refresh(&md), 0, "refresh with nothing new");
    maildir_close(&md);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.from_listing == 1 && md.count == MANY + 1 && md.size_reads == 0,
       "next session comes from the refreshed listing");
    maildir_close(&md);
    /* The sizes the first session read are in the size cache: losing
     * the listing costs a readdir, no message read; losing the size
     * cache too costs one read of each, and never a rename. */
    char late[PATH_MAX];
    snprintf(late, sizeof late, "%s/cur/1800000000.M1P1.late:2,", root);
    unlink(late);
    no_listing();
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.from_listing == 0 && md.size_reads == 0 && md.moved == 0,
       "listing lost: sizes from the size cache, nothing read");
    is_int(many_check_scan(&md), 0, "sizes and UIDLs right from the size cache");
    maildir_close(&md);
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/%s", root, MAILDIR_CACHE_NAME);
    no_listing();
    unlink(cache);
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.size_reads == MANY && md.moved == 0 && md.moving == 0,
       "both caches lost: every message read once, none renamed");
    is_int(many_check_scan(&md), 0, "sizes exact after the re-read");
    is_int(many_check_disk(&in_cur), 0, "names on disk unchanged");
    maildir_close(&md);
    struct maildir nolock;
    ok(maildir_open(&nolock, root) == 0 && maildir_listing_refresh(&nolock) < 0,
       "no refresh without the lock");
    maildir_close(&nolock);

    /* Closing (or unlocking) while the helper runs waits for it. */
    many_fill();
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.moves != NULL, "scan again with moves pending");
    maildir_unlock(&md);
    ok(md.moves == NULL && count_dir("new") == 0, "unlock waited for them");
    maildir_close(&md);
}

/* A session killed at any moment, during the reads or the renames:
 * nothing lost, nothing doubled, names valid, and the next session sees
 * every message with its exact size and unchanged UIDL.  Even rounds
 * kill the session with its helper (its process group), odd ones the
 * session alone: its helper then finishes the renames, holding the
 * lock, and the next session waits for it. */
static void test_many_killed(void)
{
    int bad_disk = 0, bad_scan = 0, partial = 0;
    for (int round = 0; round < 16; round++) {
        many_fill();
        pid_t pid = fork();
        if (pid == 0) {
            struct maildir c;
            setpgid(0, 0);
            if (maildir_open(&c, root) == 0 && maildir_lock(&c) == 0)
                maildir_scan(&c, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES);
            pause();   /* the renames go on in the helper */
            _exit(0);
        }
        setpgid(pid, pid);
        struct timespec ts = { 0, (long)(round / 2) * 1000000L };
        nanosleep(&ts, NULL);
        kill(round % 2 ? pid : -pid, SIGKILL);
        waitpid(pid, NULL, 0);
        struct maildir md;
        int locked = maildir_open(&md, root) == 0 &&
                     maildir_lock_wait(&md, 10000) == 0;
        int in_cur;
        bad_disk += many_check_disk(&in_cur);
        if (in_cur > 0 && in_cur < MANY)
            partial++;
        if (round % 2 && in_cur != 0 && in_cur != MANY)
            bad_disk++;   /* an orphaned helper finishes before unlocking */
        if (locked &&
            maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0) {
            bad_scan += many_check_scan(&md);
            maildir_moves_wait(&md);
            bad_scan += many_check_scan(&md);
        } else {
            bad_scan++;
        }
        maildir_close(&md);
        bad_disk += many_check_disk(&in_cur);
        if (in_cur != MANY)
            bad_disk++;
    }
    is_int(bad_disk, 0, "16 sessions killed at 0-7 ms: each message once, "
                        "in new/ or in cur/ with its base kept");
    is_int(bad_scan, 0, "and the next session lists all, sizes and UIDLs kept");
    printf("# %d of 16 killed mid-move (some in new/, some in cur/)\n", partial);
}

/* The seen flag: added to the info by a rename in cur/, the base kept,
 * the flags in ASCII order, following another program's rename. */
static void test_flag(void)
{
    struct maildir md;
    clear();
    no_listing();
    put("new", "1700000030.M1P1.h,S=2", "a\n");
    put("cur", "1700000031.M1P1.h:2,FTab", "b\n");
    put("cur", "1700000032.M1P1.h:2,RS", "c\n");
    put("cur", "1700000033.M1P1.h:1,odd", "d\n");
    put("cur", "1700000034.M1P1.h:2,", "e\n");
    ok(maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
       maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.count == 5, "scan");
    is_int(maildir_msg_flag(&md, 0, 'S'), 0, "moved one flagged");
    ok(exists("cur", "1700000030.M1P1.h,S=2:2,S") &&
       !exists("cur", "1700000030.M1P1.h,S=2:2,"), "renamed to BASE:2,S");
    is_str(maildir_msg_name(&md, 0), "1700000030.M1P1.h,S=2:2,S", "entry follows");
    is_int(maildir_msg_flag(&md, 1, 'S'), 0, "flags and keywords");
    ok(exists("cur", "1700000031.M1P1.h:2,FSTab"), "S in ASCII order, keywords kept");
    is_int(maildir_msg_flag(&md, 2, 'S'), 1, "already seen: nothing to do");
    ok(exists("cur", "1700000032.M1P1.h:2,RS"), "name unchanged");
    is_int(maildir_msg_flag(&md, 3, 'S'), 1, "another info kind: left alone");
    ok(exists("cur", "1700000033.M1P1.h:1,odd"), "name unchanged");
    /* Another program (an IMAP server) renamed it meanwhile. */
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof a, "%s/cur/1700000034.M1P1.h:2,", root);
    snprintf(b, sizeof b, "%s/cur/1700000034.M1P1.h:2,F", root);
    rename(a, b);
    is_int(maildir_msg_flag(&md, 4, 'S'), 0, "renamed by another program: followed");
    ok(exists("cur", "1700000034.M1P1.h:2,FS") && !exists("cur", "1700000034.M1P1.h:2,F"),
       "its flag kept, S added");
    unlink(b);
    snprintf(b, sizeof b, "%s/cur/1700000034.M1P1.h:2,FS", root);
    unlink(b);
    errno = 0;
    ok(maildir_msg_flag(&md, 4, 'R') < 0 && errno == ENOENT, "gone: ENOENT");
    /* A flag name taken by another file is never replaced. */
    put("cur", "1700000031.M1P1.h:2,FRSTab", "other\n");
    ok(maildir_msg_flag(&md, 1, 'R') < 0 && errno == EEXIST &&
       exists("cur", "1700000031.M1P1.h:2,FSTab"), "target exists: not replaced");
    is_int(count_dir("new"), 0, "new/ empty");
    maildir_close(&md);
}

static void test_deliver(void)
{
    struct maildir md;
    char name[NAME_MAX + 1];
    clear();
    ok(maildir_open(&md, root) == 0, "open");
    ok(maildir_deliver(&md, "hello\n", 6, name) == 0, "deliver");
    ok(exists("new", name), "in new/");
    uint64_t v;
    ok(maildir_name_field(name, 'S', &v) == 0 && v == 6, "with S=");
    is_int(count_dir("tmp"), 0, "tmp/ cleaned");
    ok(maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0 &&
       md.count == 1 && md.msg[0].wire_size == 7, "delivered mail scans");
    maildir_close(&md);
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    char p[PATH_MAX];
    const char *sub[] = { "new", "cur", "tmp" };
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, sub[i]);
        mkdir(p, 0700);
    }
    test_names();
    test_scan();
    test_order();
    test_cache();
    test_listing();
    test_listing_mutations();
    test_settled();
    test_random_names();
    test_lock();
    test_plain_listing();
    test_flag();
    test_find_unique();
    test_deliver();
    test_many_new();
    test_many_gone_while_moving();
    test_many_killed();
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
