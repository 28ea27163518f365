/* SPDX-License-Identifier: ISC */
/*
 * fuzz_userdb.c -- the users file's line parser (lib/userdb
 * userdb_parse), one line as the reader splits the file (no newline, no
 * NUL).  Checked, from userdb.h: an entry's fields pass the
 * userdb_valid_* checks, point into the line, and written back with
 * userdb_format() parse again to the same fields.
 */
#include <string.h>

#include "fuzz.h"
#include "userdb.h"

#define USERDB_LINE_FUZZ 4096

static void check_into(const char *line, size_t len, const char *f)
{
    CHECK(f >= line && f + strlen(f) <= line + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[USERDB_LINE_FUZZ + 1], again[USERDB_LINE_FUZZ + 1];
    if (size > USERDB_LINE_FUZZ || memchr(data, 0, size) || memchr(data, '\n', size))
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct userdb_entry e;
    memset(&e, 0, sizeof e);
    int r = userdb_parse(line, &e);
    CHECK(r >= -1 && r <= 1);
    if (r != 1)
        return 0;
    CHECK(userdb_valid_address(e.address) && userdb_valid_hash(e.hash));
    CHECK(userdb_valid_owner(e.owner) && userdb_valid_home(e.home));
    CHECK(e.apop && (*e.apop == '\0' || userdb_valid_apop(e.apop)));
    check_into(line, size, e.address);
    check_into(line, size, e.hash);
    check_into(line, size, e.owner);
    check_into(line, size, e.home);
    CHECK(userdb_addr_eq(e.address, e.address));
    char *s = userdb_format(&e);
    CHECK(s && strlen(s) <= USERDB_LINE_FUZZ);
    strcpy(again, s);
    free(s);
    struct userdb_entry f;
    memset(&f, 0, sizeof f);
    CHECK(userdb_parse(again, &f) == 1);
    CHECK(strcmp(e.address, f.address) == 0 && strcmp(e.hash, f.hash) == 0);
    CHECK(strcmp(e.owner, f.owner) == 0 && strcmp(e.home, f.home) == 0);
    CHECK(strcmp(e.apop, f.apop) == 0);
    return 0;
}
