/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_scan.c: the scan of new/ and cur/ (order,
 * sizes, the move, hostile entries), and the plain listing. */
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
#include "maildir_fixture.h"
#include "tap.h"

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

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_scan();
    test_plain_listing();
    return fixture_done();
}
