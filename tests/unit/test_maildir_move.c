/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_move.c: the rename that never replaces,
 * the cur/ name; many messages moved to cur/ by a
 * helper process while the session reads them, and sessions killed at
 * any moment. */
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
#include "maildir_move.h"
#include "msgfmt.h"
#include "maildir_fixture.h"
#include "tap.h"

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

/* The rename never replaces a file; the cur/ name keeps the base. */
static void test_rename(void)
{
    struct maildir md;
    char to[NAME_MAX + 1], big[NAME_MAX + 1];
    clear();
    put("new", "1700000001.a", "new\n");
    put("cur", "1700000001.a:2,", "cur\n");
    put("new", "1700000002.b", "b\n");
    ok(maildir_open(&md, root) == 0, "open");
    errno = 0;
    ok(maildir_rename_noreplace(md.newfd, "1700000001.a", md.curfd,
                                "1700000001.a:2,") < 0 && errno == EEXIST,
       "target exists: -1, EEXIST");
    ok(exists("new", "1700000001.a") && exists("cur", "1700000001.a:2,"),
       "both files kept");
    is_int(maildir_rename_noreplace(md.newfd, "1700000002.b", md.curfd,
                                    "1700000002.b:2,"), 0, "renamed");
    ok(!exists("new", "1700000002.b") && exists("cur", "1700000002.b:2,"),
       "moved on disk");
    errno = 0;
    ok(maildir_rename_noreplace(md.newfd, "1700000002.b", md.curfd, "x") < 0 &&
       errno == ENOENT && !exists("cur", "x"), "a source gone: ENOENT");
    maildir_close(&md);
    maildir_cur_name_of("1700000003.c,S=5", to);
    is_str(to, "1700000003.c,S=5:2,", "cur/ name: the base and :2,");
    maildir_cur_name_of("1700000003.c:2,RS", to);
    is_str(to, "1700000003.c:2,RS", "an info kept");
    memset(big, 'a', NAME_MAX - 1);
    big[NAME_MAX - 1] = '\0';
    maildir_cur_name_of(big, to);
    is_str(to, big, "too long for :2,: the name as it is");
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_rename();
    test_many_new();
    test_many_gone_while_moving();
    test_many_killed();
    return fixture_done();
}
