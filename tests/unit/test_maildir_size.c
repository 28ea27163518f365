/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_size.c: the wire sizes of files whose names
 * give none, read in one process or two, files that vanish or are not
 * files, and when the size cache is worth writing anew. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "maildir.h"
#include "maildir_array.h"
#include "maildir_cache.h"
#include "maildir_size.h"
#include "msgfmt.h"
#include "maildir_fixture.h"
#include "tap.h"

/* Write len bytes of text to cur/name. */
static void put_bytes(const char *name, const char *text, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/cur/%s", root, name);
    FILE *f = fopen(p, "w");
    fwrite(text, 1, len, f);
    fclose(f);
}

/* A body of len bytes: LF lines with a CRLF line now and then and no
 * final line end, so the wire size differs from len. */
static char *body_of(size_t len)
{
    char *b = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        b[i] = i % 61 == 60 ? '\n' : i % 122 == 58 ? '\r' : (char)('a' + i % 26);
    b[len] = '\0';
    return b;
}

/* Files around the read chunk: one read, a read that fills the buffer
 * exactly (then the type is checked), and several reads. */
static void test_chunks(void)
{
    struct maildir md;
    size_t lens[] = { 0, 1, MAILDIR_READ_CHUNK - 1, MAILDIR_READ_CHUNK,
                      MAILDIR_READ_CHUNK + 1, 3 * MAILDIR_READ_CHUNK + 7 };
    uint64_t want[6];
    clear();
    no_listing();
    for (int k = 0; k < 6; k++) {
        char name[64], *b = body_of(lens[k]);
        snprintf(name, sizeof name, "17000000%02d.M1P1.h:2,", k);
        put_bytes(name, b, lens[k]);
        want[k] = msgfmt_wire_size(b, lens[k]);
        free(b);
    }
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0
       && md.count == 6, "six files without a size in the name");
    int bad = 0;
    for (size_t i = 0; i < md.count && i < 6; i++)
        bad += md.msg[i].wire_size != want[i];
    is_int(bad, 0, "sizes exact at 0, 1, chunk-1, chunk, chunk+1, 3 chunks");
    is_int(md.size_reads, 6, "each read once");
    is_int(md.msg[0].wire_size, 0, "an empty file kept (the type checked), 0 octets");
    maildir_close(&md);
}

/* maildir_fill_sizes on a hand-made array: a file gone and a FIFO are
 * dropped (the FIFO never read on), the others sized. */
static void test_gone_and_fifo(void)
{
    struct maildir md;
    struct stat st = { 0 };
    int want_cache = -1;
    char p[PATH_MAX];
    clear();
    no_listing();
    put("cur", "1700000001.M1P1.h:2,", "one\n");
    snprintf(p, sizeof p, "%s/cur/1700000002.M1P1.fifo:2,", root);
    mkfifo(p, 0600);
    put("cur", "1700000004.M1P1.h,W=99:2,", "named\n");
    ok(maildir_open(&md, root) == 0, "open");
    ok(maildir_msg_add(&md, "1700000003.M1P1.gone:2,", 0, MAILDIR_SIZE_UNKNOWN,
                       &st) == 0 &&
       maildir_msg_add(&md, "1700000002.M1P1.fifo:2,", 0, MAILDIR_SIZE_UNKNOWN,
                       &st) == 0 &&
       maildir_msg_add(&md, "1700000001.M1P1.h:2,", 0, MAILDIR_SIZE_UNKNOWN,
                       &st) == 0 &&
       maildir_msg_add(&md, "1700000004.M1P1.h,W=99:2,", 0, 99, &st) == 0,
       "four entries added");
    maildir_sort(&md);
    is_int(maildir_fill_sizes(&md, 0, &want_cache), 0, "no SIZES: nothing to do");
    ok(md.count == 4 && md.msg[0].wire_size == MAILDIR_SIZE_UNKNOWN &&
       md.size_reads == 0, "no file read, no entry dropped");
    is_int(maildir_fill_sizes(&md, MAILDIR_SCAN_SIZES, &want_cache), 0,
           "sizes filled");
    is_int(md.count, 2, "the vanished file and the FIFO dropped");
    is_str(maildir_msg_name(&md, 0), "1700000001.M1P1.h:2,", "the file kept");
    is_int(md.msg[0].wire_size, 5, "its size read");
    is_int(md.msg[1].wire_size, 99, "the name's size not read");
    is_int(md.size_reads, 1, "one read counted");
    is_int(want_cache, 0, "no lock: no size cache wanted");
    maildir_close(&md);
    unlink(p);
}

/* Under the lock: a size read wants a new cache, a cache that gave
 * every size does not, a stale line does. */
static void test_want_cache(void)
{
    struct maildir md;
    int want_cache = -1;
    clear();
    no_listing();
    put("cur", "1700000001.M1P1.h:2,", "a\n");
    put("cur", "1700000002.M1P1.h:2,", "bb\n");
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            put(".", MAILDIR_CACHE_NAME, "popkit-sizes 1\n"
                "1700000001 1 3 1700000001.M1P1.h\n"
                "1700000002 1 4 1700000002.M1P1.h\n"
                "1700000003 1 5 1700000003.M1P1.gone\n");
        struct stat st = { 0 };
        int r = maildir_open(&md, root) == 0 && maildir_lock(&md) == 0 &&
                maildir_msg_add(&md, "1700000002.M1P1.h:2,", 0,
                                MAILDIR_SIZE_UNKNOWN, &st) == 0 &&
                maildir_msg_add(&md, "1700000001.M1P1.h:2,", 0,
                                MAILDIR_SIZE_UNKNOWN, &st) == 0;
        maildir_sort(&md);
        r = r && maildir_fill_sizes(&md, MAILDIR_SCAN_SIZES, &want_cache) == 0;
        if (round == 0) {
            ok(r && md.size_reads == 2 && want_cache == 1,
               "no cache: both read, a cache wanted");
            maildir_sizes_write(&md);
        } else if (round == 1) {
            ok(r && md.size_reads == 0 && want_cache == 0,
               "every size from the cache: none read, no new cache");
        } else {
            ok(r && md.size_reads == 0 && want_cache == 1,
               "a stale cache line: a new cache wanted");
        }
        ok(md.count == 2 && md.msg[0].wire_size == 3 && md.msg[1].wire_size == 4,
           "sizes right");
        maildir_close(&md);
    }
}

/* Enough files for two processes: every size exact, each file counted
 * once, the helper reaped. */
static void test_two_processes(void)
{
    struct maildir md;
    enum { N = MAILDIR_SIZE_FORK_MIN + 41 };
    static uint64_t want[N];
    clear();
    no_listing();
    for (int i = 0; i < N; i++) {
        char name[64], body[256];
        snprintf(name, sizeof name, "%d.M%dP9.h:2,", 1700002000 + i, i);
        int n = snprintf(body, sizeof body, "Subject: %d\n\n%.*s\n", i, i % 97,
                         "................................................."
                         "................................................");
        put_bytes(name, body, (size_t)n);
        want[i] = msgfmt_wire_size(body, (size_t)n);
    }
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0
       && md.count == N, "many files without a size in the name");
    int bad = 0;
    for (size_t i = 0; i < md.count && i < N; i++)
        bad += md.msg[i].wire_size != want[i];
    is_int(bad, 0, "every size exact (half read by the helper)");
    is_int(md.size_reads, N, "each counted once");
    errno = 0;
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "the helper reaped");
    maildir_close(&md);
}

int main(void)
{
    if (fixture_setup() < 0)
        return 1;
    test_chunks();
    test_gone_and_fifo();
    test_want_cache();
    test_two_processes();
    return fixture_done();
}
