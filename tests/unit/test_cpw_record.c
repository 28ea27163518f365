/* SPDX-License-Identifier: ISC */
/* test_cpw_record.c -- the checkpassword record packed and split
 * (cpw_pack, cpw_unpack): round trip, empty fields, missing NULs and the
 * exact limits. */
#include <string.h>

#include "cpw.h"
#include "tap.h"

#define REC(lit) lit, sizeof(lit) - 1

static const char *login, *password, *timestamp;

static long long unpack(const char *rec, size_t len)
{
    login = password = timestamp = NULL;
    return cpw_unpack(rec, len, &login, &password, &timestamp);
}

/* A string of n copies of c in buf (size > n). */
static const char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void round_trip(void)
{
    char buf[CPW_MAX];
    ssize_t n = cpw_pack(buf, sizeof buf, "bob@x.org", "pw", "<1.2@h>");
    is_int(n, sizeof "bob@x.org" + sizeof "pw" + sizeof "<1.2@h>",
           "pack: the three fields and their NULs");
    ok(n > 0 && memcmp(buf, "bob@x.org\0pw\0<1.2@h>\0", (size_t)n) == 0,
       "pack: login\\0password\\0timestamp\\0");
    is_int(unpack(buf, (size_t)n), n, "unpack: takes all of it");
    is_str(login, "bob@x.org", "round trip: login");
    is_str(password, "pw", "round trip: password");
    is_str(timestamp, "<1.2@h>", "round trip: timestamp");
    ok(login == buf, "unpack: the fields point into the record");

    is_int(cpw_pack(buf, sizeof buf, "", "", ""), 3, "pack: empty fields");
    ok(memcmp(buf, "\0\0\0", 3) == 0, "pack: three NULs");
    is_int(unpack(buf, 3), 3, "unpack: empty fields are fields");
    ok(login && !*login && password && !*password && timestamp && !*timestamp,
       "unpack: all three empty");
}

static void shapes(void)
{
    is_int(unpack(REC("bob\0pw\0")), 7, "no timestamp: accepted");
    is_str(timestamp, "", "an absent timestamp is empty");
    is_int(unpack(REC("bob\0pw\0\0")), 8, "an empty timestamp");
    is_int(unpack(REC("bob\0pw\0ts\0more")), 10,
           "bytes after the timestamp's NUL are not part of it");
    is_str(timestamp, "ts", "and the timestamp stops at its NUL");

    is_int(unpack(REC("")), -1, "nothing at all: refused");
    is_int(unpack(REC("bob")), -1, "login without NUL: refused");
    ok(login == NULL && password == NULL && timestamp == NULL,
       "a refused record sets no field");
    is_int(unpack(REC("bob\0")), -1, "no password: refused");
    is_int(unpack(REC("bob\0pw")), -1, "password without NUL: refused");
    is_int(unpack(REC("bob\0pw\0ts")), -1, "timestamp without NUL: refused");
    is_int(unpack("bob\0pw\0", 3), -1, "len is the bound, not the NULs");
}

static void limits(void)
{
    char buf[CPW_MAX + 2], big[CPW_MAX + 2], rec[CPW_MAX + 2];
    /* login, a one-byte password, no timestamp: CPW_MAX - 3 + 3 NULs. */
    const char *l = repeat(big, 'a', CPW_MAX - 4);
    is_int(cpw_pack(buf, sizeof buf, l, "p", ""), CPW_MAX,
           "pack: exactly CPW_MAX bytes fit");
    is_int(unpack(buf, CPW_MAX), CPW_MAX, "unpack: exactly CPW_MAX bytes");
    is_int((long long)strlen(login), CPW_MAX - 4, "the long login kept");

    l = repeat(big, 'a', CPW_MAX - 3);
    memset(buf, 'x', sizeof buf);
    is_int(cpw_pack(buf, sizeof buf, l, "p", ""), -1,
           "pack: CPW_MAX + 1 bytes refused, whatever the room");
    ok(buf[0] == 'x', "pack: nothing written when it does not fit");
    is_int(cpw_pack(buf, 10, "logi", "pw", "t"), 10, "pack: a cap below CPW_MAX fits exactly");
    is_int(cpw_pack(buf, 9, "logi", "pw", "t"), -1, "pack: and one byte more is refused");

    memset(rec, 'a', sizeof rec);
    rec[10] = rec[20] = rec[CPW_MAX - 1] = rec[CPW_MAX] = '\0';
    is_int(unpack(rec, CPW_MAX), CPW_MAX, "unpack: a CPW_MAX-byte record");
    is_int(unpack(rec, CPW_MAX + 1), -1, "unpack: CPW_MAX + 1 bytes refused");
}

int main(void)
{
    round_trip();
    shapes();
    limits();
    return tap_done();
}
