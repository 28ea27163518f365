/* SPDX-License-Identifier: ISC */
/*
 * fuzz_maildir_name.c -- the pure Maildir name functions (lib/
 * maildir_name.c, maildir.h "Names"), on a file name as readdir gives
 * one (NUL-terminated, no '/', at most NAME_MAX).  Checked: the UIDL is
 * 1..70 characters 0x21-0x7E, the same for the name with other flags;
 * the base ends before the first ':'; the cur/ and flagged names keep
 * the base and fit their buffers; flagging twice is a no-op; the sizes
 * the name vouches for obey S <= W <= 2S+2.
 */
#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "maildir.h"
#include "maildir_name.h"

static void check_uidl(const char *name, char *uidl)
{
    size_t n = maildir_uidl(name, uidl);
    CHECK(n >= 1 && n <= MAILDIR_UIDL_MAX && uidl[n] == '\0');
    for (size_t i = 0; i < n; i++)
        CHECK(uidl[i] >= 0x21 && uidl[i] <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char name[NAME_MAX + 1], out[NAME_MAX + 1], out2[NAME_MAX + 1];
    static char uidl[MAILDIR_UIDL_MAX + 1], uidl2[MAILDIR_UIDL_MAX + 1];
    if (size < 1 || size > NAME_MAX || memchr(data, 0, size) || memchr(data, '/', size))
        return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    size_t base = maildir_unique_len(name);
    const char *colon = strchr(name, ':');
    CHECK(base == (colon ? (size_t)(colon - name) : size));
    check_uidl(name, uidl);
    uint32_t sec, usec;
    (void)maildir_name_time(name, &sec, &usec);
    uint64_t s, w;
    int has_s = maildir_name_field(name, 'S', &s) == 0;
    int has_w = maildir_name_field(name, 'W', &w) == 0;
    uint64_t wire = maildir_name_wire_size(name);
    if (wire != MAILDIR_SIZE_UNKNOWN) {
        CHECK(has_w && wire == w);
        if (has_s)
            CHECK(s <= w && w <= 2 * s + 2);
    }
    if (maildir_cur_name(name, out, sizeof out) == 0) {
        CHECK(strlen(out) <= NAME_MAX);
        CHECK(maildir_unique_len(out) == base && memcmp(out, name, base) == 0);
        CHECK(strchr(out, ':') != NULL);
        check_uidl(out, uidl2);
        CHECK(strcmp(uidl, uidl2) == 0);
    }
    static const char flags[] = "SRTDFa";
    for (const char *f = flags; *f; f++) {
        int r = maildir_flag_name(name, *f, out, sizeof out);
        CHECK(r >= -1 && r <= 1);
        if (r != 0)
            continue;
        CHECK(strlen(out) <= NAME_MAX);
        CHECK(maildir_unique_len(out) == base && memcmp(out, name, base) == 0);
        CHECK(maildir_name_keycmp(out, name) == 0);
        check_uidl(out, uidl2);
        CHECK(strcmp(uidl, uidl2) == 0);
        CHECK(maildir_flag_name(out, *f, out2, sizeof out2) == 1);
    }
    const char *end;
    uint64_t v;
    if (maildir_parse_digits(name, 20, &v, &end) == 0)
        CHECK(end > name && end <= name + 20);
    return 0;
}
