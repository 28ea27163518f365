/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_array.c: names in the arena (what the
 * fields rebuild left out, the same bytes given back), the session order
 * of many messages with ties, the growing regions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "maildir_array.h"
#include "maildir_fixture.h"
#include "tap.h"

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

/* Each name comes back byte for byte, with the parts its fields
 * rebuild (the time prefix, a final ":2,") left out of the arena. */
static void test_arena(void)
{
    static const struct {
        const char *name;
        unsigned flags;   /* MAILDIR_F_PFX / SFX expected */
    } c[] = {
        { "1700000001.M1P1.h:2,", MAILDIR_F_PFX | MAILDIR_F_SFX },
        { "1700000002.M1P1.h:2,S", MAILDIR_F_PFX },
        { "1700000003.M1P1.h", MAILDIR_F_PFX },
        { "noname:2,", MAILDIR_F_SFX },
        { "0001700000004.x:2,", MAILDIR_F_SFX },   /* 13 digits: no time */
        { "1700000005.a:2,:2,", MAILDIR_F_PFX },   /* ':' before the end */
        { "1700000006.", 0 },                       /* nothing after */
        { ":2,", 0 },                               /* nothing before */
        { "plain", 0 },
    };
    enum { N = sizeof c / sizeof c[0] };
    struct maildir md;
    struct stat st = { 0 };
    st.st_mtim.tv_sec = 1600000000;
    ok(maildir_open(&md, root) == 0, "open");
    int added = 0, bad_name = 0, bad_flags = 0;
    size_t full = 0;
    for (size_t k = 0; k < N; k++) {
        added += maildir_msg_add(&md, c[k].name, k == 2 ? MAILDIR_F_NEW : 0,
                                 3, &st) == 0;
        full += strlen(c[k].name) + 1;
    }
    is_int(added, N, "every name added");
    for (size_t k = 0; k < md.count && k < N; k++) {
        unsigned f = md.msg[k].flags & (MAILDIR_F_PFX | MAILDIR_F_SFX);
        bad_name += strcmp(maildir_msg_name(&md, k), c[k].name) != 0;
        bad_flags += f != c[k].flags;
    }
    is_int(bad_name, 0, "every name given back byte for byte");
    is_int(bad_flags, 0, "prefix and suffix left out exactly where they rebuild");
    ok(md.arena_len < full, "the arena holds less than the names");
    ok(maildir_msg_dirfd(&md, 2) == md.newfd && maildir_msg_dirfd(&md, 3) == md.curfd,
       "new/ for an entry flagged NEW, else cur/");
    ok(md.msg[3].time == 1600000000 && md.msg[0].time == 1700000001 &&
       md.msg[0].usec == 1, "time from the name, else the mtime");
    /* A name stored again (a flag change) replaces the old one. */
    is_int(maildir_store_name(&md, &md.msg[0], "1700000001.M1P1.h:2,S"), 0,
           "a new name stored");
    is_str(maildir_msg_name(&md, 0), "1700000001.M1P1.h:2,S", "and given back");
    ok(md.msg[0].flags & MAILDIR_F_PFX && !(md.msg[0].flags & MAILDIR_F_SFX),
       "its suffix no longer left out");
    maildir_close(&md);
}

/* Ties in time and usec: the name without flags decides, then the
 * whole name; maildir_sort puts a reversed array in order. */
static void test_before(void)
{
    struct maildir md;
    struct stat st = { 0 };
    const char *names[] = { "1700000001.M5P1.b:2,S", "1700000001.M5P1.b:2,",
                            "1700000001.M5P1.a:2,T", "1700000001.M4P9.z",
                            "1700000000.M9P9.y" };
    ok(maildir_open(&md, root) == 0, "open");
    for (int k = 0; k < 5; k++)
        maildir_msg_add(&md, names[k], 0, 1, &st);
    ok(!maildir_msg_before(&md, &md.msg[0], &md.msg[0]), "nothing before itself");
    ok(maildir_msg_before(&md, &md.msg[1], &md.msg[0]) &&
       !maildir_msg_before(&md, &md.msg[0], &md.msg[1]),
       "same base: the whole name decides");
    ok(maildir_msg_before(&md, &md.msg[2], &md.msg[1]), "a:2,T before b:2,");
    ok(maildir_msg_before(&md, &md.msg[3], &md.msg[2]), "usec before the name");
    ok(maildir_msg_before(&md, &md.msg[4], &md.msg[3]), "seconds before usec");
    maildir_sort(&md);
    int bad = 0;
    for (int k = 0; k < 5; k++)
        bad += strcmp(maildir_msg_name(&md, (size_t)k), names[4 - k]) != 0;
    is_int(bad, 0, "a reversed array sorted");
    maildir_close(&md);
}

/* The regions grow to what is asked, keep their content, and stay when
 * they are big enough. */
static void test_region(void)
{
    void *p = NULL;
    size_t cap = 0;
    ok(maildir_region_grow(&p, &cap, 10) == 0 && p && cap >= 10, "first map");
    memcpy(p, "kept", 5);
    void *q = p;
    size_t c0 = cap;
    ok(maildir_region_grow(&p, &cap, c0) == 0 && p == q && cap == c0,
       "big enough: unchanged");
    ok(maildir_region_grow(&p, &cap, 5 * c0 + 1) == 0 && cap >= 5 * c0 + 1 &&
       strcmp(p, "kept") == 0, "grown, content kept");
    maildir_region_free(p, cap);
    maildir_region_free(NULL, 0);
    ok(1, "freed (NULL too)");
    unsigned char *s = maildir_shared_map(0);
    ok(s != NULL, "a shared map of 0 bytes still maps");
    pid_t pid = fork();
    if (pid == 0) {
        s[0] = 42;
        _exit(0);
    }
    maildir_helper_wait(pid);
    is_int(s[0], 42, "a helper's write seen after the wait");
    munmap(s, 1);
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_arena();
    test_before();
    test_order();
    test_region();
    return fixture_done();
}
