/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_cache.c: the size cache and the listing
 * cache, hostile and corrupt ones, and when a listing may be saved. */
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
#include "maildir_cache.h"
#include "maildir_fixture.h"
#include "tap.h"

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

    /* A forged cache (issue 16): 10^12 octets claimed for a 4-byte file
     * without ,S= is refused (more than the file can become), so the
     * file is read; a big claim the file can bear is believed, and a
     * small one is left to RETR to check (trans_cmds.c). */
    put_cache("popkit-sizes 1\n"
              "1700000001 0 1000000000000 1700000001.101.host\n"
              "1700000002 0 5 1700000002.102.host,S=4\n"
              "1700000005 0 5 1700000005.105.host\n");
    is_int(scan_reads(), 1, "forged 10^12 for a 4-byte file: refused, read");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "6 5 9 5", "and STAT's sizes are the files' own");
#define GOOD_LINES "popkit-sizes 1\n1700000001 0 6 1700000001.101.host\n" \
    "1700000002 0 5 1700000002.102.host,S=4\n" \
    "1700000005 0 5 1700000005.105.host\n"
    char huge[70000];
    memset(huge, 'y', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    put("cur", "1700000006.106.host:2,", huge);
    is_int(scan_reads(), 1, "a big message is read once");
    is_int(scan_reads(), 0, "and its true cached size (over the trust "
           "bound) passes the file check");
    put_cache(GOOD_LINES "1700000006 0 140000 1700000006.106.host\n");
    is_int(scan_reads(), 0, "a big claim within 2 * file + 2: believed");
    put_cache(GOOD_LINES "1700000006 0 140001 1700000006.106.host\n");
    is_int(scan_reads(), 1, "one octet more than the file can become: read");
    put_cache(GOOD_LINES "1700000006 0 69998 1700000006.106.host\n");
    is_int(scan_reads(), 1, "less than the file itself: read");
    scan_sizes(sizes, sizeof sizes);
    is_str(sizes, "6 5 9 5 70001", "sizes right after each");
    snprintf(a, sizeof a, "%s/cur/1700000006.106.host:2,", root);
    unlink(a);
    put_cache("popkit-sizes 1\n1700000001 0 6 1700000001.101.host\n");
    struct maildir dm;
    ok(maildir_open(&dm, root) == 0, "open for maildir_caches_drop");
    maildir_caches_drop(&dm);
    maildir_close(&dm);
    ok(access(p, F_OK) < 0, "maildir_caches_drop removes the size cache");

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
    scan_listing(&from, got, sizeof got);
    used_before = from == 1;
    /* 10^12 (40 bits, little-endian) for oldname's 2-byte file. */
    patch_listing(head + 2 * 16 + 8, "\x00\x10\xa5\xd4\xe8", 5);
    scan_listing(&from, got, sizeof got);
    ok(used_before && from == 0 && strcmp(got, want) == 0,
       "a forged 10^12 for a 2-byte file: refused, sizes the files' own");
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
    ok(!maildir_settled(&st, &start, 0), "changed in the tick the scan began: not settled");
    st = stamps(1700000100, 499500123, 1700000100, 499500123);
    ok(!maildir_settled(&st, &start, 0), "0.5 ms before: within the rounding margin");
    st = stamps(1700000100, 496000123, 1700000100, 496000123);
    ok(maildir_settled(&st, &start, 0), "one 4 ms tick before: settled");
    st = stamps(1700000090, 123, 1700000100, 500000000 - 7);
    ok(!maildir_settled(&st, &start, 0), "old mtime, fresh ctime: not settled");
    st = stamps(1700000101, 123, 1700000101, 123);
    ok(!maildir_settled(&st, &start, 0), "stamps in the future: not settled");
    st = stamps(1700000099, 0, 1700000099, 0);
    ok(!maildir_settled(&st, &start, 0), "whole-second stamps 1.5 s before: not settled");
    st = stamps(1700000097, 0, 1700000097, 0);
    ok(maildir_settled(&st, &start, 0), "whole-second stamps 3.5 s before: settled");

    /* Shared storage: another host's clock may run behind by the margin,
     * so a change it makes now may be stamped up to that far back. */
    st = stamps(1700000099, 0, 1700000099, 0);
    st.st_mtim.tv_nsec = st.st_ctim.tv_nsec = 123;
    ok(maildir_settled(&st, &start, 0), "fine stamps 1.5 s before, one clock: settled");
    ok(!maildir_settled(&st, &start, 2000),
       "the same with a 2 s skew margin: not settled");
    st = stamps(1700000098, 400000123, 1700000098, 400000123);
    ok(maildir_settled(&st, &start, 2000), "2.1 s before, 2 s margin: settled");
    st = stamps(1700000095, 0, 1700000095, 0);
    ok(!maildir_settled(&st, &start, 4000),
       "whole-second stamps 5.5 s before, 4 s margin: rounding and skew add up");
    st = stamps(1700000093, 0, 1700000093, 0);
    ok(maildir_settled(&st, &start, 4000), "7.5 s before: settled");

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

/* A scan as on shared storage: md->shared as maildir_open sets it on a
 * network file system (this one is local), the margin given. */
static void scan_shared(int shared, int settle_ms, int *from, char *names,
                        size_t n)
{
    struct maildir md;
    *from = -1;
    names[0] = '\0';
    if (maildir_open(&md, root) == 0 && maildir_lock(&md) == 0) {
        md.shared = (unsigned)shared;
        maildir_set_settle(&md, settle_ms);
        if (maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0) {
            *from = (int)md.from_listing;
            for (size_t i = 0; i < md.count; i++)
                snprintf(names + strlen(names), n - strlen(names), "%s%s",
                         i ? " " : "", maildir_msg_name(&md, i));
        }
    }
    maildir_close(&md);
}

static int listing_exists(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    return access(p, F_OK) == 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Shared storage: the listing is saved only once the directories are
 * older than the skew margin, a change that leaves new/'s mtime as it
 * was is still seen, and the key leaves out the device number, which
 * differs between two hosts' mounts of one file system. */
static void test_shared(void)
{
    char names[1024], got[1024], p[PATH_MAX];
    int from;
    struct maildir md;
    clear();
    no_listing();
    ok(maildir_open(&md, root) == 0 && md.shared == 0 && md.settle_ms == 0,
       "a Maildir on a local file system: not shared, no skew margin");
    maildir_set_settle(&md, 700000);
    is_int(md.settle_ms, MAILDIR_LISTING_SETTLE_MAX_MS, "the margin is bounded");
    maildir_close(&md);

    put("cur", "1700000001.M1P1.h,W=3:2,", "a\r\n");
    put("new", "1700000002.M1P1.h,W=3", "b\r\n");
    /* The session that moved new mail: its QUIT may not save the
     * listing while the renames are younger than the margin. */
    int refreshed = 2;
    if (maildir_open(&md, root) == 0 && maildir_lock(&md) == 0) {
        md.shared = 1;
        maildir_set_settle(&md, 5000);
        if (maildir_scan(&md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) == 0)
            refreshed = maildir_listing_refresh(&md);
    }
    maildir_close(&md);
    ok(refreshed == -1 && !listing_exists(),
       "QUIT within the 5 s margin of its renames: no listing saved");
    scan_shared(1, 5000, &from, names, sizeof names);
    ok(from == 0 && !listing_exists(),
       "a scan within the margin: read the directories, saved nothing");
    settle();
    scan_shared(1, 0, &from, names, sizeof names);
    ok(from == 0 && listing_exists(), "the same scan with no margin saves it");
    no_listing();
    sleep_ms(350);
    scan_shared(1, 300, &from, names, sizeof names);
    ok(from == 0 && listing_exists(), "past the margin: listing saved");

    /* Its key has no device number: another host's mount (another
     * st_dev) can use it, a local key (with st_dev) does not match it. */
    uint64_t dev = 1;
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    int fd = open(p, O_RDONLY);
    ok(fd >= 0 && pread(fd, &dev, sizeof dev, 40) == (ssize_t)sizeof dev &&
       dev == 0, "the shared key's device number is 0");
    if (fd >= 0)
        close(fd);
    scan_shared(0, 300, &from, got, sizeof got);
    ok(from == 0, "a local session does not take the shared key");
    no_listing();
    sleep_ms(350);
    scan_shared(1, 300, &from, got, sizeof got);
    scan_shared(1, 300, &from, got, sizeof got);
    ok(from == 1 && strcmp(got, names) == 0, "a shared session uses it");

    /* Another host's delivery whose stamp did not move new/'s mtime (a
     * clock behind, a coarse stamp): its ctime moved, so it is seen. */
    struct stat before;
    snprintf(p, sizeof p, "%s/new", root);
    stat(p, &before);
    put("new", "1700000003.M1P1.h,W=3", "c\r\n");
    struct timespec same[2] = { { 0, UTIME_OMIT }, before.st_mtim };
    utimensat(AT_FDCWD, p, same, 0);
    struct stat after;
    stat(p, &after);
    ok(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
       after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
       "a delivery with new/'s mtime left as it was");
    scan_shared(1, 300, &from, got, sizeof got);
    ok(from == 0 && strstr(got, "1700000003.M1P1.h,W=3") != NULL,
       "not missed: the listing is not used, the message is listed");
    /* And the listing saved before a change stamped in the margin's
     * window (a host 300 ms behind) is not saved from it. */
    no_listing();
    put("new", "1700000004.M1P1.h,W=3", "d\r\n");
    struct timespec behind[2] = { { 0, UTIME_OMIT }, { 0, 0 } };
    clock_gettime(CLOCK_REALTIME, &behind[1]);
    behind[1].tv_nsec = behind[1].tv_nsec >= 300000000L
                            ? behind[1].tv_nsec - 300000000L : 0;
    utimensat(AT_FDCWD, p, behind, 0);
    scan_shared(1, 5000, &from, got, sizeof got);
    ok(!listing_exists(), "new/ stamped 300 ms back, 5 s margin: not saved");
    no_listing();
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_cache();
    test_listing();
    test_listing_mutations();
    test_settled();
    test_shared();
    return fixture_done();
}
