/* SPDX-License-Identifier: ISC */
/*
 * fuzz_cpw.c -- the checkpassword record (lib/cpw_record.c cpw_unpack):
 * what stage 2 reads from fd 3.  Checked, from cpw.h: the fields point
 * into the record, each ends at its NUL, they take the bytes returned
 * (at most len), a refused record leaves the out-pointers alone, and a
 * record cpw_pack() makes from the fields unpacks to the same fields.
 */
#include <string.h>

#include "cpw.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char rec[CPW_MAX * 2];
    static char again[CPW_MAX + 1];
    if (size > sizeof rec)
        return 0;
    memcpy(rec, data, size);
    const char *sentinel = "untouched";
    const char *login = sentinel, *password = sentinel, *ts = sentinel;
    ssize_t n = cpw_unpack(rec, size, &login, &password, &ts);
    if (n < 0) {
        CHECK(n == -1);
        CHECK(login == sentinel && password == sentinel && ts == sentinel);
        return 0;
    }
    CHECK(size <= CPW_MAX && (size_t)n <= size);
    CHECK(login == rec);
    size_t ll = strlen(login), pl = strlen(password), tl = strlen(ts);
    CHECK(password == rec + ll + 1);
    CHECK(ll + 1 + pl + 1 <= (size_t)n);
    if (ts != rec + ll + 1 + pl + 1) {
        CHECK(tl == 0);                  /* absent: "" */
        CHECK((size_t)n == ll + pl + 2);
    } else {
        CHECK((size_t)n == ll + pl + tl + 3);
    }
    if (ll + pl + tl + 3 > CPW_MAX)
        return 0;    /* a record without its timestamp's NUL, full: no room for it */
    ssize_t m = cpw_pack(again, sizeof again, login, password, ts);
    CHECK(m == (ssize_t)(ll + pl + tl + 3));
    const char *l2, *p2, *t2;
    CHECK(cpw_unpack(again, (size_t)m, &l2, &p2, &t2) == m);
    CHECK(strcmp(l2, login) == 0 && strcmp(p2, password) == 0 && strcmp(t2, ts) == 0);
    return 0;
}
