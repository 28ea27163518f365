/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/mdquota: every form of the definition line, sums
 * with negative lines, the recalculation triggers (5120 octets, 15
 * minutes over quota, corrupt lines, garbage, overflow), a missing file,
 * appends from several processes at once, the fit decision at its edges,
 * what a scan counts (folders, Trash, names without ",S="), and the
 * removal accounting pop3-maildir uses at QUIT. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "mdquota.h"
#include "tap.h"

static char root[] = "/tmp/test_mdquota.XXXXXX";
static int dirfd_;

static void path_of(const char *rel, char *p)
{
    snprintf(p, PATH_MAX, "%s/%s", root, rel);
}

static void put(const char *rel, const char *data, size_t len)
{
    char p[PATH_MAX];
    path_of(rel, p);
    FILE *f = fopen(p, "w");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        exit(1);
}

static void put_s(const char *rel, const char *text)
{
    put(rel, text, strlen(text));
}

/* The file's text (NUL-terminated in a static buffer), or NULL. */
static const char *slurp_rel(const char *rel, size_t *len)
{
    static char buf[1 << 16];
    char p[PATH_MAX];
    path_of(rel, p);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int exists(const char *rel)
{
    char p[PATH_MAX];
    path_of(rel, p);
    return access(p, F_OK) == 0;
}

static void mkdir_rel(const char *rel)
{
    char p[PATH_MAX];
    path_of(rel, p);
    mkdir(p, 0700);
}

static void age(const char *rel, time_t seconds)
{
    char p[PATH_MAX];
    path_of(rel, p);
    struct timespec ts[2] = { { time(NULL) - seconds, 0 },
                              { time(NULL) - seconds, 0 } };
    utimensat(AT_FDCWD, p, ts, 0);
}

/* ---- the definition line ---- */

static void def_ok(const char *s, uint64_t bytes, uint64_t count)
{
    struct mdquota_def d = { 7, 7 };
    int r = mdquota_parse_def(s, strlen(s), &d);
    ok(r == 0 && d.max_bytes == bytes && d.max_count == count,
       "definition '%s' is %llu octets, %llu messages", s,
       (unsigned long long)bytes, (unsigned long long)count);
}

static void def_bad(const char *s)
{
    struct mdquota_def d;
    ok(mdquota_parse_def(s, strlen(s), &d) < 0, "definition '%s' refused", s);
}

static void test_definitions(void)
{
    def_ok("1000000S,1000C", 1000000, 1000);
    def_ok("1000C,1000000S", 1000000, 1000);
    def_ok("1000000S", 1000000, 0);
    def_ok("1000C", 0, 1000);
    def_ok("", 0, 0);
    def_ok("0S", 0, 0);
    def_ok("0S,0C", 0, 0);
    def_ok("1000000000000000000S", 1000000000000000000ULL, 0);
    def_bad("1000");
    def_bad("S");
    def_bad("1000X");
    def_bad("1S,2S");
    def_bad("1C,2C");
    def_bad("1S,");
    def_bad(",1S");
    def_bad("1S,,2C");
    def_bad(" 1S");
    def_bad("1S ");
    def_bad("-1S");
    def_bad("+1S");
    def_bad("1000000000000000001S");   /* beyond MDQUOTA_VALUE_MAX */
    def_bad("99999999999999999999S");  /* 20 digits: would overflow */
    def_bad("184467440737095516160S");
    def_bad("1s");
    char longline[MDQUOTA_LINE_MAX + 8];
    memset(longline, '0', sizeof longline);
    longline[sizeof longline - 2] = 'S';
    longline[sizeof longline - 1] = '\0';
    def_bad(longline);

    struct mdquota_def d;
    ok(mdquota_parse_arg("5000", &d) == 0 && d.max_bytes == 5000
       && d.max_count == 0, "argument '5000' is 5000 octets");
    ok(mdquota_parse_arg("5000,20", &d) == 0 && d.max_bytes == 5000
       && d.max_count == 20, "argument '5000,20' is 5000 octets, 20 messages");
    ok(mdquota_parse_arg("5000S,20C", &d) == 0 && d.max_bytes == 5000
       && d.max_count == 20, "argument in the file's form");
    ok(mdquota_parse_arg("20C", &d) == 0 && d.max_bytes == 0
       && d.max_count == 20, "argument '20C' is a message count alone");
    ok(mdquota_parse_arg("", &d) < 0, "empty argument refused");
    ok(mdquota_parse_arg("1,2,3", &d) < 0, "argument '1,2,3' refused");
    ok(mdquota_parse_arg("1,", &d) < 0, "argument '1,' refused");
    ok(mdquota_parse_arg("x", &d) < 0, "argument 'x' refused");
    ok(mdquota_parse_arg("none", &d) < 0, "'none' is the caller's word");

    char out[MDQUOTA_LINE_MAX];
    struct mdquota_def both = { 1000000, 1000 }, sz = { 5, 0 }, ct = { 0, 9 },
                       none = { 0, 0 };
    mdquota_format_def(&both, out);
    is_str(out, "1000000S,1000C", "formatted: both limits");
    mdquota_format_def(&sz, out);
    is_str(out, "5S", "formatted: octets alone");
    mdquota_format_def(&ct, out);
    is_str(out, "9C", "formatted: messages alone");
    mdquota_format_def(&none, out);
    is_str(out, "0S", "formatted: no limit is 0S, never an empty line");
}

/* ---- the Maildir the scans count ---- */

static void clear_maildir(void)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "rm -rf %s/* %s/.[!.]*", root, root);
    if (system(cmd) != 0)
        exit(1);
    mkdir_rel("new");
    mkdir_rel("cur");
    mkdir_rel("tmp");
}

/* 100 + 20 + 7 + 1000 octets in 4 messages count; the rest does not. */
static void fill_maildir(void)
{
    clear_maildir();
    put_s("new/1700000001.M1P1.host,S=100", "x");  /* ,S= believed */
    put_s("cur/1700000002.M2P1.host,S=20:2,S", "y");
    put_s("cur/1700000003.M3P1.host:2,", "1234567");   /* stat: 7 */
    put_s("cur/.hidden", "not a message");
    mkdir_rel("cur/subdir");
    put_s("tmp/1700000004.M4P1.host", "in delivery, not counted");
    mkdir_rel(".Sent");
    mkdir_rel(".Sent/cur");
    mkdir_rel(".Sent/new");
    mkdir_rel(".Sent/tmp");
    put_s(".Sent/cur/1700000005.M5P1.host,S=1000:2,S", "z");
    mkdir_rel(".Trash");
    mkdir_rel(".Trash/cur");
    put_s(".Trash/cur/1700000006.M6P1.host,S=50000:2,ST", "t");
    mkdir_rel(".Trash.Old");
    mkdir_rel(".Trash.Old/cur");
    put_s(".Trash.Old/cur/1700000007.M7P1.host,S=70000:2,ST", "t");
    mkdir_rel(".Trashy");
    mkdir_rel(".Trashy/new");
    put_s(".Trashy/new/1700000008.M8P1.host", "");   /* 0 octets, 1 message */
    put_s(".maildir2mbox.journal", "a file named like a folder");
}

#define FILL_BYTES (100 + 20 + 7 + 1000)
#define FILL_COUNT 5

static void test_recalc_scan(void)
{
    struct mdquota q;
    struct mdquota_def d = { 1000000, 1000 };
    fill_maildir();
    ok(mdquota_set(dirfd_, &d, &q) == 0, "set writes maildirsize");
    is_int(q.bytes, FILL_BYTES, "scan: ,S= sizes, stat for the rest, folders,"
           " not Trash nor its subfolders nor tmp/ nor dot files");
    is_int(q.count, FILL_COUNT, "scan: message count (.Trashy is not Trash)");
    char want[128];
    snprintf(want, sizeof want, "1000000S,1000C\n%d %d\n", FILL_BYTES,
             FILL_COUNT);
    is_str(slurp_rel(MDQUOTA_NAME, NULL), want, "the file: definition, one sum");
    struct stat st;
    char p[PATH_MAX];
    path_of(MDQUOTA_NAME, p);
    ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600,
       "maildirsize is mode 600");
    char tmpdir[PATH_MAX + 16];
    path_of("tmp", tmpdir);
    size_t entries = 0;
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", tmpdir);
    FILE *f = popen(cmd, "r");
    if (f) {
        if (fscanf(f, "%zu", &entries) != 1)
            entries = 99;
        pclose(f);
    }
    is_int(entries, 1, "tmp/ holds no leftover of the rewrite");
    ok(mdquota_load(dirfd_, &q) == 1 && q.bytes == FILL_BYTES
       && q.count == FILL_COUNT && !q.recalculated,
       "load reads it back without recalculating");
}

/* ---- reading ---- */

/* Load text as maildirsize; 1 when it was recalculated. */
static int load_text(const char *text, size_t len, struct mdquota *q)
{
    put(MDQUOTA_NAME, text, len);
    if (mdquota_load(dirfd_, q) != 1)
        return -1;
    return q->recalculated;
}

static void corrupt(const char *text, size_t len, const char *what)
{
    struct mdquota q;
    int r = load_text(text, len, &q);
    ok(r == 1 && q.bytes == FILL_BYTES && q.count == FILL_COUNT
       && q.def.max_bytes == 1000,
       "%s: recalculated from the scan, definition kept", what);
}

static void corrupt_s(const char *text, const char *what)
{
    corrupt(text, strlen(text), what);
}

static void test_sums(void)
{
    struct mdquota q;
    fill_maildir();
    ok(mdquota_load(dirfd_, &q) == 0 && !q.defined,
       "no maildirsize: no quota (0)");
    ok(!exists(MDQUOTA_NAME), "load does not create maildirsize");

    const char *t = "1000S,10C\n100 1\n50 1\n-30 -1\n";
    ok(load_text(t, strlen(t), &q) == 0 && q.bytes == 120 && q.count == 1
       && q.def.max_bytes == 1000 && q.def.max_count == 10,
       "sums with a negative line: 120 octets, 1 message");
    t = "1000S\n       100      1\n  -30   -1  \n\t5\t1\n";
    ok(load_text(t, strlen(t), &q) == 0 && q.bytes == 75 && q.count == 1,
       "Courier's padded lines and tabs are read");
    t = "1000S\n+100 +1\n";
    ok(load_text(t, strlen(t), &q) == 0 && q.bytes == 100 && q.count == 1,
       "a plus sign is read");
    t = "\n100 1\n";
    ok(load_text(t, strlen(t), &q) == 0 && q.defined && q.def.max_bytes == 0
       && q.bytes == 100, "an empty definition: defined, no limits");

    corrupt_s("1000S\n100 1\ngarbage\n", "a garbage line");
    corrupt_s("1000S\n100\n", "a line with one number");
    corrupt_s("1000S\n100 1 1\n", "a line with three numbers");
    corrupt_s("1000S\n1x0 1\n", "a number with a letter in it");
    corrupt_s("1000S\n- 1\n", "a bare sign");
    corrupt_s("1000S\n100 1\n50 1", "a torn last line (no newline)");
    corrupt("1000S\n100 1\n\0 1\n", 16, "a NUL");
    corrupt_s("1000S\n100 1\n\n", "an empty line");
    corrupt_s("1000S\n", "no usage line at all");
    corrupt_s("1000S\n100 1\n-200 -1\n", "sums that go negative (octets)");
    corrupt_s("1000S\n100 1\n-100 -2\n", "sums that go negative (count)");
    corrupt_s("1000S\n99999999999999999999 1\n", "a 20-digit number (would overflow)");
    corrupt_s("1000S\n1000000000000000001 1\n", "a number beyond MDQUOTA_VALUE_MAX");
    corrupt_s("1000S\n1000000000000000000 1\n1000000000000000000 1\n", "sums beyond MDQUOTA_VALUE_MAX");
    corrupt_s("1000S\n-9223372036854775808 1\n", "INT64_MIN");
    char longline[6 + MDQUOTA_LINE_MAX + 8];
    memcpy(longline, "1000S\n", 6);
    memset(longline + 6, ' ', sizeof longline - 6);
    memcpy(longline + 6, "1 1", 3);
    longline[sizeof longline - 1] = '\n';
    corrupt(longline, sizeof longline, "a line over MDQUOTA_LINE_MAX");

    /* A file that is not a definition at all means no quota, and is
     * left as it is (nobody can know what it meant). */
    const char *bad[] = { "garbage\n100 1\n", "1000\n100 1\n", "1000X\n1 1\n",
                          "1000S", "\x01\x02\x03", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_s(MDQUOTA_NAME, bad[i]);
        int r = mdquota_load(dirfd_, &q);
        size_t len;
        const char *now = slurp_rel(MDQUOTA_NAME, &len);
        ok(r == 0 && !q.defined && now && strcmp(now, bad[i]) == 0,
           "bad definition line %zu: no quota, file untouched", i);
    }
    char huge[200];
    memcpy(huge, "1000S\n", 6);
    memset(huge + 6, 0xff, sizeof huge - 6);
    corrupt(huge, sizeof huge, "binary garbage after the definition");
}

/* A valid file of exactly len octets: the definition, "1 1" lines, and
 * a first usage line padded to make up the length.  Its sums are not
 * the Maildir's, so a recalculation shows. */
static size_t sized_file(char *buf, size_t len)
{
    const char *head = "1000000S\n";
    size_t h = strlen(head), lines = (len - h - 40) / 4, pos = h;
    memcpy(buf, head, h);
    size_t first = len - h - lines * 4;   /* "1 1" + padding + "\n" */
    memset(buf + pos, ' ', first);
    memcpy(buf + pos, "1 1", 3);
    buf[pos + first - 1] = '\n';
    pos += first;
    for (size_t i = 0; i < lines; i++, pos += 4)
        memcpy(buf + pos, "1 1\n", 4);
    return lines + 1;
}

static void test_size_trigger(void)
{
    char buf[MDQUOTA_FILE_MAX + 2];
    struct mdquota q;
    fill_maildir();
    size_t n = sized_file(buf, MDQUOTA_FILE_MAX);
    ok(load_text(buf, MDQUOTA_FILE_MAX, &q) == 0 && q.bytes == n
       && q.count == n, "exactly 5120 octets: the sums are read");
    sized_file(buf, MDQUOTA_FILE_MAX + 1);
    ok(load_text(buf, MDQUOTA_FILE_MAX + 1, &q) == 1 && q.bytes == FILL_BYTES
       && q.count == FILL_COUNT, "5121 octets: recalculated");
    size_t len;
    const char *now = slurp_rel(MDQUOTA_NAME, &len);
    char want[64];
    snprintf(want, sizeof want, "1000000S\n%d %d\n", FILL_BYTES, FILL_COUNT);
    is_str(now, want, "... and rewritten to two lines");
}

static void test_fits(void)
{
    struct mdquota q;
    const char *t = "1000S,10C\n900 9\n";
    fill_maildir();
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 100), 1, "900 + 100 of 1000 octets fits");
    is_int(mdquota_fits(&q, 101), 0, "900 + 101 of 1000 octets does not");
    is_int(mdquota_fits(&q, UINT64_MAX), 0, "a huge size does not (no wrap)");
    t = "1000S,10C\n10 10\n";
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 1), 0, "10 of 10 messages: the 11th does not fit");
    t = "1000S,10C\n10 9\n";
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 1), 1, "9 of 10 messages: the 10th fits");
    t = "0S,0C\n999999 99999\n";
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 1u << 30), 1, "quota 0 is no quota");
    t = "10C\n999999 3\n";
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 1u << 30), 1, "a count limit alone ignores octets");
    t = "1000S\n999999 1000000\n";
    load_text(t, strlen(t), &q);
    is_int(mdquota_fits(&q, 1), 0, "an octet limit alone ignores the count");
    char p[PATH_MAX];
    path_of(MDQUOTA_NAME, p);
    unlink(p);
    ok(mdquota_load(dirfd_, &q) == 0 && mdquota_fits(&q, UINT64_MAX),
       "no maildirsize: everything fits");
}

static void test_stale(void)
{
    struct mdquota q;
    /* Over quota by the file, but the Maildir holds 1127 octets. */
    const char *t = "2000S\n5000 3\n";
    fill_maildir();
    load_text(t, strlen(t), &q);
    age(MDQUOTA_NAME, MDQUOTA_STALE_SECONDS - 60);
    q.mtime = time(NULL) - (MDQUOTA_STALE_SECONDS - 60);
    is_int(mdquota_check(dirfd_, &q, 10, time(NULL)), 0,
           "over quota, file 14 minutes old: refused without a recalculation");
    ok(!q.recalculated && strcmp(slurp_rel(MDQUOTA_NAME, NULL), t) == 0,
       "... the file is as it was");
    age(MDQUOTA_NAME, MDQUOTA_STALE_SECONDS + 60);
    ok(mdquota_load(dirfd_, &q) == 1 && !q.recalculated && q.bytes == 5000,
       "a stale file alone is no reason to recalculate at load");
    is_int(mdquota_check(dirfd_, &q, 10, time(NULL)), 1,
           "over quota, file 16 minutes old: recalculated, and it fits");
    ok(q.recalculated && q.bytes == FILL_BYTES, "... from the scan");
    is_int(mdquota_check(dirfd_, &q, 1000, time(NULL)), 0,
           "a recalculated over-quota answer stands (no second scan)");
    t = "2000S\n100 1\n";
    load_text(t, strlen(t), &q);
    age(MDQUOTA_NAME, MDQUOTA_STALE_SECONDS + 60);
    q.mtime = time(NULL) - (MDQUOTA_STALE_SECONDS + 60);
    is_int(mdquota_check(dirfd_, &q, 10, time(NULL)), 1,
           "within quota, stale file: fits, no recalculation");
    ok(!q.recalculated && strcmp(slurp_rel(MDQUOTA_NAME, NULL), t) == 0,
       "... the file is as it was");
}

/* ---- writing ---- */

static void test_append(void)
{
    fill_maildir();
    is_int(mdquota_record_delivery(dirfd_, 10), 1,
           "no maildirsize: record_delivery says 1");
    is_int(mdquota_record_removal(dirfd_, 10, 1), 1,
           "no maildirsize: record_removal says 1");
    ok(!exists(MDQUOTA_NAME), "... and neither creates the file");
    put_s(MDQUOTA_NAME, "1000S\n0 0\n");
    is_int(mdquota_record_delivery(dirfd_, 4096), 0, "record_delivery");
    is_int(mdquota_record_removal(dirfd_, 5000, 3), 0, "record_removal");
    is_int(mdquota_record_removal(dirfd_, 0, 0), 0, "nothing removed");
    is_str(slurp_rel(MDQUOTA_NAME, NULL), "1000S\n0 0\n4096 1\n-5000 -3\n",
           "one line each, none for nothing removed");
    put_s(MDQUOTA_NAME, "0S\n0 0\n");
    is_int(mdquota_record_delivery(dirfd_, UINT64_MAX), 0,
           "a huge size is capped");
    is_str(slurp_rel(MDQUOTA_NAME, NULL), "0S\n0 0\n1000000000000000000 1\n",
           "... to MDQUOTA_VALUE_MAX");
    struct mdquota q;
    ok(mdquota_load(dirfd_, &q) == 1 && !q.recalculated,
       "a capped line is still one the reader believes");
}

#define WRITERS 8
#define APPENDS 300

static void test_concurrent(void)
{
    fill_maildir();
    put_s(MDQUOTA_NAME, "0S\n0 0\n");
    pid_t kids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        kids[w] = fork();
        if (kids[w] == 0) {
            int fails = 0;
            for (int i = 0; i < APPENDS; i++)
                fails += mdquota_add(dirfd_, w + 1, 1) != 0;
            _exit(fails ? 1 : 0);
        }
    }
    int all_ok = 1;
    for (int w = 0; w < WRITERS; w++) {
        int st;
        if (kids[w] < 0 || waitpid(kids[w], &st, 0) < 0 || !WIFEXITED(st)
            || WEXITSTATUS(st) != 0)
            all_ok = 0;
    }
    ok(all_ok, "%d processes appended %d lines each", WRITERS, APPENDS);
    size_t len;
    const char *text = slurp_rel(MDQUOTA_NAME, &len);
    long lines = 0, good = 0, bytes = 0, count = 0;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        long b, c;
        char tail;
        lines++;
        if (sscanf(p, "%ld %ld%c", &b, &c, &tail) == 3 && tail == '\n') {
            good++;
            bytes += b;
            count += c;
        }
        p = nl + 1;
    }
    is_int(lines, 2 + WRITERS * APPENDS, "no line lost");
    is_int(good, 1 + WRITERS * APPENDS, "no line torn or interleaved");
    is_int(count, WRITERS * APPENDS, "the counts add up");
    is_int(bytes, APPENDS * WRITERS * (WRITERS + 1) / 2, "the octets add up");
}

/* ---- removals, as pop3-maildir's QUIT makes them ---- */

static void test_removals(void)
{
    struct maildir md;
    struct mdquota_removed r;
    fill_maildir();
    put_s(MDQUOTA_NAME, "1000000S\n1127 5\n");
    if (maildir_open(&md, root) < 0 || maildir_scan(&md, 0) < 0) {
        ok(0, "open the Maildir");
        return;
    }
    is_int(md.count, 3, "three messages at the top");
    memset(&r, 0, sizeof r);
    /* 0: new/...,S=100; 1: cur/...,S=20:2,S; 2: cur/...:2, (7 octets) */
    ok(mdquota_msg_unlink(&md, 0, &r) == 0, "remove the ,S= message");
    ok(mdquota_msg_unlink(&md, 2, &r) == 0, "remove the sizeless message");
    is_int(r.count, 2, "two counted");
    is_int(r.bytes, 107, "octets from ,S= and from fstat");
    /* Another program removed message 1 first: not ours to count. */
    char p[PATH_MAX];
    path_of("cur/1700000002.M2P1.host,S=20:2,S", p);
    unlink(p);
    ok(mdquota_msg_unlink(&md, 1, &r) == 0, "a message already gone: removed");
    is_int(r.count, 2, "... and not counted");
    ok(mdquota_removed_commit(md.dirfd, &r) == 0, "commit");
    is_str(slurp_rel(MDQUOTA_NAME, NULL), "1000000S\n1127 5\n-107 -2\n",
           "one negative line for what was removed");
    maildir_close(&md);

    /* A message renamed by another program after the scan. */
    fill_maildir();
    put_s(MDQUOTA_NAME, "1000000S\n1127 5\n");
    if (maildir_open(&md, root) < 0 || maildir_scan(&md, 0) < 0)
        return;
    char q[PATH_MAX];
    path_of("cur/1700000003.M3P1.host:2,", p);
    path_of("cur/1700000003.M3P1.host:2,S", q);
    rename(p, q);
    memset(&r, 0, sizeof r);
    ok(mdquota_msg_unlink(&md, 2, &r) == 0 && !exists("cur/1700000003.M3P1.host:2,S"),
       "a message renamed meanwhile is found and removed");
    is_int(r.count, 1, "... and counted");
    is_int(r.bytes, 7, "... with its file's size");
    mdquota_removed_commit(md.dirfd, &r);
    maildir_close(&md);

    /* Without maildirsize nothing is counted, nothing is created. */
    fill_maildir();
    if (maildir_open(&md, root) < 0 || maildir_scan(&md, 0) < 0)
        return;
    memset(&r, 0, sizeof r);
    ok(mdquota_msg_unlink(&md, 0, &r) == 0
       && !exists("new/1700000001.M1P1.host,S=100"),
       "no maildirsize: the message is removed");
    ok(mdquota_removed_commit(md.dirfd, &r) == 0 && !exists(MDQUOTA_NAME),
       "... and no maildirsize appears");
    maildir_close(&md);

    /* By name, as maildir2mbox removes: counted only when removed. */
    fill_maildir();
    put_s(MDQUOTA_NAME, "1000000S\n1127 5\n");
    memset(&r, 0, sizeof r);
    ok(mdquota_unlink_at(dirfd_, dirfd_, "new/1700000001.M1P1.host,S=100", &r)
       == 0, "unlink_at a ,S= message");
    ok(mdquota_unlink_at(dirfd_, dirfd_, "cur/1700000003.M3P1.host:2,", &r)
       == 0, "unlink_at a sizeless message");
    errno = 0;
    ok(mdquota_unlink_at(dirfd_, dirfd_, "cur/1700000003.M3P1.host:2,", &r) < 0
       && errno == ENOENT, "unlink_at of a missing file: ENOENT");
    ok(r.count == 2 && r.bytes == 107, "two counted, 107 octets");
    mdquota_removed_commit(dirfd_, &r);
    is_str(slurp_rel(MDQUOTA_NAME, NULL), "1000000S\n1127 5\n-107 -2\n",
           "one line for both");
    fill_maildir();
    memset(&r, 0, sizeof r);
    ok(mdquota_unlink_at(dirfd_, dirfd_, "new/1700000001.M1P1.host,S=100", &r)
       == 0 && r.count == 0 && mdquota_removed_commit(dirfd_, &r) == 0
       && !exists(MDQUOTA_NAME), "unlink_at without maildirsize counts nothing");

    /* Nothing removed: nothing written. */
    fill_maildir();
    put_s(MDQUOTA_NAME, "1000000S\n1127 5\n");
    memset(&r, 0, sizeof r);
    r.state = 1;
    mdquota_removed_commit(dirfd_, &r);
    is_str(slurp_rel(MDQUOTA_NAME, NULL), "1000000S\n1127 5\n",
           "nothing removed: no line");
}

static void test_unset(void)
{
    struct mdquota_def d = { 0, 5 };
    struct mdquota q;
    fill_maildir();
    ok(mdquota_set(dirfd_, &d, &q) == 0 && q.def.max_count == 5,
       "set a count alone");
    ok(mdquota_load(dirfd_, &q) == 1 && q.def.max_bytes == 0
       && q.def.max_count == 5, "read back");
    ok(mdquota_unset(dirfd_) == 0 && !exists(MDQUOTA_NAME), "unset removes it");
    ok(mdquota_unset(dirfd_) == 0, "unset without a file is fine");
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    dirfd_ = open(root, O_RDONLY | O_DIRECTORY);
    if (dirfd_ < 0)
        return 1;
    test_definitions();
    test_recalc_scan();
    test_sums();
    test_size_trigger();
    test_fits();
    test_stale();
    test_append();
    test_concurrent();
    test_removals();
    test_unset();
    close(dirfd_);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
