/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_msg.c: one message found again by its
 * base, opened, flagged. */
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

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_flag();
    test_find_unique();
    return fixture_done();
}
