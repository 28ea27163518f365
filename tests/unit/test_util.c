/* SPDX-License-Identifier: ISC */
#include "util.h"
#include "params.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void test_parse_u32(void)
{
    uint32_t v = 7;
    ok(parse_u32("0", &v) == 0 && v == 0, "0 parses");
    ok(parse_u32("42", &v) == 0 && v == 42, "42 parses");
    ok(parse_u32("4294967295", &v) == 0 && v == 4294967295u, "UINT32_MAX parses");
    ok(parse_u32("4294967296", &v) == -1, "UINT32_MAX+1 refused");
    ok(parse_u32("4294967297", &v) == -1, "4294967297 refused (no wrap to 1)");
    ok(parse_u32("99999999999999999999", &v) == -1, "20 digits refused");
    ok(parse_u32("-1", &v) == -1, "negative refused");
    ok(parse_u32("+1", &v) == -1, "plus sign refused");
    ok(parse_u32("", &v) == -1, "empty refused");
    ok(parse_u32("1x", &v) == -1, "trailing junk refused");
    ok(parse_u32(" 1", &v) == -1, "leading space refused");
    ok(parse_u32("0000000001", &v) == 0 && v == 1, "ten digits with zeros parse");
    ok(parse_u32("00000000001", &v) == -1, "eleven digits refused");
    ok(parse_u32n("12:34", 2, &v) == 0 && v == 12, "parse_u32n: the first n bytes");
    ok(parse_u32n("12:34", 3, &v) == -1, "parse_u32n: a non-digit within n");
    ok(parse_u32n("12", 0, &v) == -1, "parse_u32n: n of 0 refused");
}

static void test_wipe_and_compare(void)
{
    char secret[16] = "hunter2hunter2!";
    wipe(secret, sizeof secret);
    int zero = 1;
    for (size_t i = 0; i < sizeof secret; i++)
        zero &= secret[i] == 0;
    ok(zero, "wipe zeroes every byte");
    ok(memeq_ct("abc", "abc", 3) == 0, "memeq_ct equal");
    ok(memeq_ct("abc", "abd", 3) != 0, "memeq_ct differs in last byte");
    ok(memeq_ct("xbc", "abc", 3) != 0, "memeq_ct differs in first byte");
}

static void test_write_read(void)
{
    int p[2];
    char big[100000], back[100001];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    ok(pipe(p) == 0, "pipe");
    if (fork() == 0) {
        close(p[0]);
        _exit(write_all(p[1], big, sizeof big) == 0 ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = read_full(p[0], back, sizeof back);
    is_int(n, sizeof big, "read_full gets everything write_all sent, to EOF");
    ok(memcmp(big, back, sizeof big) == 0, "bytes intact");
    close(p[0]);
}

static void test_str_cut(void)
{
    char small[8], big[32];
    str_cut(big, sizeof big, "%s %d", "relay", 42);
    is_str(big, "relay 42", "str_cut formats like snprintf");
    str_cut(small, sizeof small, "%s", "a reason too long to fit");
    is_str(small, "a reaso", "str_cut cuts to the buffer, NUL-terminated");
}

/* Whether a raw fsync of the directory dir fails with EINVAL. */
static int fsync_says_einval(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return 0;
    int einval = fsync(fd) < 0 && errno == EINVAL;
    close(fd);
    return einval;
}

static void test_fsync_dir(void)
{
    char dir[] = "/tmp/test_util.XXXXXX";
    char file[sizeof dir + 8];
    ok(mkdtemp(dir) != NULL, "a scratch directory");
    ok(fsync_dir(dir) == 0, "fsync_dir of a directory");
    snprintf(file, sizeof file, "%s/f", dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    close(fd);
    errno = 0;
    ok(fsync_dir(file) == -1 && errno == ENOTDIR, "a file is not a directory: ENOTDIR");
    unlink(file);
    rmdir(dir);
    errno = 0;
    ok(fsync_dir(dir) == -1 && errno == ENOENT, "a missing directory: ENOENT");
    /* procfs cannot sync a directory: the EINVAL fsync_dir forgives. */
    if (fsync_says_einval("/proc"))
        ok(fsync_dir("/proc") == 0, "EINVAL (no directory to sync) is taken as done");
    else
        tap_skip("EINVAL taken as done", "/proc cannot be used to make a directory fsync fail with EINVAL here");
}

static void test_now_ms(void)
{
    long long a = now_ms();
    struct timespec pause = { 0, 30 * 1000000 };
    nanosleep(&pause, NULL);
    long long b = now_ms();
    ok(a > 0 && b - a >= 30 && b - a < 30000, "now_ms counts milliseconds (30 ms sleep)");
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    long long c = (long long)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
    ok(c >= b && c - b < 1000, "now_ms is CLOCK_MONOTONIC");
}

static void test_hostname_valid(void)
{
    static char longest[DNS_NAME_MAX + 2];
    ok(hostname_valid("mail.example.org"), "a DNS name is a host name");
    ok(hostname_valid("[192.0.2.1]"), "an address literal too");
    ok(!hostname_valid(""), "empty is not");
    ok(!hostname_valid("a b"), "a space is not");
    ok(!hostname_valid("a\tb") && !hostname_valid("a\x7f"), "nor TAB or DEL");
    ok(!hostname_valid("<a>") && !hostname_valid("a>"), "nor '<' or '>'");
    ok(!hostname_valid("h\xc3\xa9"), "nor 8-bit octets");
    memset(longest, 'a', DNS_NAME_MAX);
    ok(hostname_valid(longest), "DNS_NAME_MAX octets are");
    longest[DNS_NAME_MAX] = 'a';
    ok(!hostname_valid(longest), "one more is not");
}

int main(void)
{
    test_parse_u32();
    test_wipe_and_compare();
    test_write_read();
    test_str_cut();
    test_fsync_dir();
    test_now_ms();
    test_hostname_valid();
    return tap_done();
}
