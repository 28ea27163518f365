/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_deliver.c: writing a message, and a
 * failure that leaves nothing behind. */
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

/* Each delivery its own name; a failure leaves nothing behind. */
static void test_deliver_more(void)
{
    struct maildir md;
    char a[NAME_MAX + 1], b[NAME_MAX + 1], p[PATH_MAX];
    clear();
    ok(maildir_open(&md, root) == 0, "open");
    ok(maildir_deliver(&md, "", 0, a) == 0 && maildir_deliver(&md, "x", 1, b) == 0,
       "two deliveries, one empty");
    ok(strcmp(a, b) != 0 && count_dir("new") == 2, "two names in new/");
    is_int(maildir_deliver(&md, "y", 1, NULL), 0, "no name wanted: fine");
    is_int(count_dir("new"), 3, "and delivered");
    snprintf(p, sizeof p, "%s/tmp", root);
    rmdir(p);
    errno = 0;
    ok(maildir_deliver(&md, "z", 1, a) < 0 && errno == ENOENT,
       "no tmp/: -1, ENOENT");
    is_int(count_dir("new"), 3, "nothing in new/");
    mkdir(p, 0700);
    maildir_close(&md);
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_deliver();
    test_deliver_more();
    return fixture_done();
}
