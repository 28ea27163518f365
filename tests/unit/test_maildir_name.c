/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/maildir_name.c: the base, UIDLs, delivery time,
 * size fields, the cur/ and flag names, fresh unique names; random
 * names through every parser. */
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
#include "tap.h"

static void test_names(void)
{
    uint32_t s, u;
    char id[MAILDIR_UIDL_MAX + 1], again_flags[MAILDIR_UIDL_MAX + 1];
    char digest[MAILDIR_UIDL_MAX + 1], again[MAILDIR_UIDL_MAX + 1];

    /* The base runs to ':' only: ",S=" and ",W=" are part of the name
     * every reader keys by (it stopped at ',' too before popkit kept
     * names as they are; issue 11). */
    is_int(maildir_unique_len("123.M4P5.host,S=10:2,S"), 18, "base includes ,S=");
    is_int(maildir_unique_len("123.4.host:2,"), 10, "base stops at :");
    is_int(maildir_unique_len("plain"), 5, "base of a bare name");
    is_int(maildir_unique_len("a,b,c"), 5, "commas are part of the base");

    ok(maildir_name_time("1700000000.M123456P77.h", &s, &u) == 0 &&
       s == 1700000000 && u == 123456, "time and usec from a modern name");
    ok(maildir_name_time("1700000000.77.h", &s, &u) == 0 && s == 1700000000 &&
       u == 0, "old qmail name: time, usec 0 (the pid is not usec)");
    ok(maildir_name_time("1700000000.P7M42.h", &s, &u) == 0 && u == 42,
       "M field anywhere in the second part");
    ok(maildir_name_time("1700000000.M1234567P1.h", &s, &u) == 0 && u == 0,
       "overlong M field ignored");
    ok(maildir_name_time("abc.def", &s, &u) < 0, "no digits: no time");
    ok(maildir_name_time("1700000000", &s, &u) < 0, "no dot: no time");
    ok(maildir_name_time("99999999999.x", &s, &u) < 0, "11 digits refused");
    ok(maildir_name_time("4294967296.x", &s, &u) < 0, "over 32 bits refused");
    ok(maildir_name_time("4294967295.x", &s, &u) == 0 && s == 4294967295u,
       "2^32-1 accepted");

    /* The UIDL is the whole base, as qmail-pop3d and Dovecot's %f give
     * it; it used to drop ",S=..." (issue 11: every client re-downloaded
     * such mail after a switch from those servers). */
    is_int(maildir_uidl("1700000000.M1P2.host,S=5,W=7:2,S", id), 28,
           "UIDL length");
    is_str(id, "1700000000.M1P2.host,S=5,W=7", "UIDL is the base, S= and W= kept");
    maildir_uidl("1700000000.M1P2.host,S=5,W=7", id);
    is_str(id, "1700000000.M1P2.host,S=5,W=7", "same UIDL in new/");
    maildir_uidl("1700000000.M1P2.host,S=5:2,", id);
    is_str(id, "1700000000.M1P2.host,S=5", "S= alone kept");
    maildir_uidl("1700000000.M1P2.host:2,", id);
    is_str(id, "1700000000.M1P2.host", "no fields: the plain name");
    maildir_uidl("1700000000.M1P2.host:2,FRS", id);
    is_str(id, "1700000000.M1P2.host", "flags never in the UIDL");
    maildir_uidl("1700000000.M1P2.host:2,Sab", again_flags);
    is_str(again_flags, id, "UIDL same whatever the flags and keywords");
    char longname[100];
    memset(longname, 'x', 71);
    strcpy(longname + 71, ":2,");
    is_int(maildir_uidl(longname, digest), 32, "71 characters: digest");
    strcpy(longname + 71, ":2,S");
    maildir_uidl(longname, again);
    is_str(again, digest, "digest stable across flag changes");
    strcpy(longname + 71, ",S=5:2,");
    maildir_uidl(longname, again);
    ok(strlen(again) == 32 && strcmp(again, digest) != 0,
       "71 characters then ,S=: digest of the whole base");
    memset(longname, 'x', 64);
    strcpy(longname + 64, ",S=123:2,");
    is_int(maildir_uidl(longname, id), 70, "64 + \",S=123\" = 70: kept");
    strcpy(longname + 64, ",S=1234:2,");
    is_int(maildir_uidl(longname, id), 32, "64 + \",S=1234\" = 71: digest");
    longname[70] = ':';
    is_int(maildir_uidl(longname, id), 70, "70 characters kept as is");
    maildir_uidl("with space", id);
    is_int(strlen(id), 32, "space: digest");
    maildir_uidl("caf\xc3\xa9", id);
    is_int(strlen(id), 32, "8-bit: digest");
    maildir_uidl("with\x7f", id);
    is_int(strlen(id), 32, "DEL: digest");
    maildir_uidl(":2,S", digest);
    ok(strlen(digest) == 32 && strspn(digest, "0123456789abcdef") == 32,
       "empty unique: 32 hex digits");
    maildir_uidl("with space2", again);
    ok(strcmp(id, again) != 0, "different names, different digests");
    maildir_uidl("!~", id);
    is_str(id, "!~", "0x21 and 0x7e are allowed");

    /* Known digests, computed with the unsigned __int128 code before it
     * became 32-bit limbs (issue 12): UIDLs must not change with it. */
    static const struct { const char *name, *uidl; } fnv[] = {
        { ":2,S", "6c62272e07bb014262b821756295c58d" },   /* FNV offset */
        { "with space", "dd47559306f409fc7ffcd3a325adba4f" },
        { "caf\xc3\xa9", "4b38eb0ac183d94f70814abce2e7f149" },
        { "\xff\xfe\x80\x01", "65e60b6d39757277b806e8601eddeee3" },
        { "1700000000.M123456P789.a-very-long-host-name.example.org,S=12345,"
          "W=12600-and-more", "438e0efd68fe2e119916f18dee26789b" },
    };
    for (size_t k = 0; k < sizeof fnv / sizeof fnv[0]; k++) {
        if (!fnv[k].uidl)
            continue;
        maildir_uidl(fnv[k].name, id);
        is_str(id, fnv[k].uidl, "known FNV-1a 128 digest");
    }
    char xs[1001];
    memset(xs, 'x', 1000);
    xs[1000] = '\0';
    maildir_uidl(xs, id);
    is_str(id, "00e2531c2570995111249bb059f17d2d", "digest of 1000 octets");

    uint64_t v;
    ok(maildir_name_field("u,S=123,W=130:2,", 'S', &v) == 0 && v == 123, "S=");
    ok(maildir_name_field("u,S=123,W=130:2,", 'W', &v) == 0 && v == 130, "W=");
    ok(maildir_name_field("u,S=123:2,W=5", 'W', &v) < 0, "W in the info ignored");
    ok(maildir_name_field("u,S=1,S=1", 'S', &v) < 0, "repeated field refused");
    ok(maildir_name_field("u,S=", 'S', &v) < 0, "empty value refused");
    ok(maildir_name_field("u,S=-1", 'S', &v) < 0, "sign refused");
    ok(maildir_name_field("u,S=+1", 'S', &v) < 0, "plus refused");
    ok(maildir_name_field("u,S=12x", 'S', &v) < 0, "trailing junk refused");
    ok(maildir_name_field("u,S=99999999999999999999999", 'S', &v) < 0,
       "overlong value refused");
    ok(maildir_name_field("u,S=18446744073709551615", 'S', &v) < 0,
       "value over MAILDIR_SIZE_FIELD_MAX refused");
    ok(maildir_name_field("u,S=274877906944", 'S', &v) == 0,
       "MAILDIR_SIZE_FIELD_MAX itself accepted");
    ok(maildir_name_field("u,Sx=1", 'S', &v) < 0, "other key ignored");
    ok(maildir_name_field("u", 'S', &v) < 0, "absent");

    ok(maildir_name_wire_size("u,S=100,W=104") == 104, "consistent W trusted");
    ok(maildir_name_wire_size("u,W=104") == 104, "W alone trusted");
    ok(maildir_name_wire_size("u,S=100,W=99") == MAILDIR_SIZE_UNKNOWN,
       "W below S refused");
    ok(maildir_name_wire_size("u,S=100,W=203") == MAILDIR_SIZE_UNKNOWN,
       "W above 2S+2 refused");
    ok(maildir_name_wire_size("u,S=100,W=202") == 202, "W = 2S+2 accepted");
    ok(maildir_name_wire_size("u,S=100") == MAILDIR_SIZE_UNKNOWN,
       "S alone gives no wire size");

    /* The cur/ name keeps the base byte for byte: the move used to add
     * ",W=<size>" before the colon, which gave every message Dovecot had
     * indexed in new/ a new IMAP UID (issue 11). */
    char out[NAME_MAX + 1];
    ok(maildir_cur_name("123.M1P2.h", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h:2,") == 0, "cur name: base kept, :2, added");
    ok(maildir_cur_name("123.M1P2.h,S=48", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h,S=48:2,") == 0, "S= kept, no W= added");
    ok(maildir_cur_name("123.M1P2.h,S=48,W=50", out, sizeof out) == 0 &&
       strcmp(out, "123.M1P2.h,S=48,W=50:2,") == 0, "Dovecot's S= and W= kept");
    ok(maildir_cur_name("123.h:2,S", out, sizeof out) == 0 &&
       strcmp(out, "123.h:2,S") == 0, "existing info and flags kept");
    ok(maildir_cur_name("123.h:2,SRa", out, sizeof out) == 0 &&
       strcmp(out, "123.h:2,SRa") == 0, "unsorted info kept as it is");
    ok(maildir_cur_name("123.h:1,xyz", out, sizeof out) == 0 &&
       strcmp(out, "123.h:1,xyz") == 0, "other info kind kept");
    ok(maildir_cur_name("123.h,W=bad", out, sizeof out) == 0 &&
       strcmp(out, "123.h,W=bad:2,") == 0, "bad W kept as it is");
    ok(maildir_cur_name("h\x01 \xff", out, sizeof out) == 0 &&
       strcmp(out, "h\x01 \xff:2,") == 0, "hostile bytes kept as they are");
    char big[NAME_MAX + 1];
    memset(big, 'a', NAME_MAX - 2);
    big[NAME_MAX - 2] = '\0';
    ok(maildir_cur_name(big, out, sizeof out) < 0,
       "too long for NAME_MAX: refused");
    memset(big, 'a', NAME_MAX - 3);
    big[NAME_MAX - 3] = '\0';
    ok(maildir_cur_name(big, out, sizeof out) == 0 && strlen(out) == NAME_MAX,
       "exactly NAME_MAX: fits");

    /* Adding a flag: ASCII order, everything else kept. */
    is_int(maildir_flag_name("b:2,", 'S', out, sizeof out), 0, "add S");
    is_str(out, "b:2,S", "to empty flags");
    maildir_flag_name("b", 'S', out, sizeof out);
    is_str(out, "b:2,S", "to a name without info");
    maildir_flag_name("b,S=5,W=6:2,FR", 'S', out, sizeof out);
    is_str(out, "b,S=5,W=6:2,FRS", "after F and R, base kept");
    maildir_flag_name("b:2,DFT", 'S', out, sizeof out);
    is_str(out, "b:2,DFST", "between F and T");
    maildir_flag_name("b:2,Tab", 'S', out, sizeof out);
    is_str(out, "b:2,STab", "Dovecot keyword letters kept, after capitals");
    maildir_flag_name("b:2,TR", 'S', out, sizeof out);
    is_str(out, "b:2,RST", "unsorted flags come out in ASCII order");
    maildir_flag_name("b:2,XZ", 'S', out, sizeof out);
    is_str(out, "b:2,SXZ", "unknown flags kept");
    maildir_flag_name("b:2,R,ext=1", 'S', out, sizeof out);
    is_str(out, "b:2,RS,ext=1", "what follows a ',' in the info kept");
    strcpy(out, "untouched");
    is_int(maildir_flag_name("b:2,RS", 'S', out, sizeof out), 1,
           "already seen: nothing to do");
    is_str(out, "untouched", "out untouched");
    ok(maildir_flag_name("b:1,x", 'S', out, sizeof out) < 0,
       "info of another kind: not edited");
    memset(big, 'a', NAME_MAX - 3);
    strcpy(big + NAME_MAX - 3, ":2,");
    ok(maildir_flag_name(big, 'S', out, sizeof out) < 0,
       "a flag that would pass NAME_MAX: refused");

    char u1[128], u2[128];
    ok(maildir_unique(u1, sizeof u1) == 0 && maildir_unique(u2, sizeof u2) == 0,
       "unique names made");
    ok(strcmp(u1, u2) != 0, "two unique names differ");
    ok(maildir_name_time(u1, &s, &u) == 0, "a unique name carries its time");
    ok(strpbrk(u1, "/:,") == NULL, "no / : , in a unique name");
    ok(maildir_unique(u1, 5) < 0, "unique name: too small a buffer");
}

/* Random names through every parser: no crash, sane answers. */
static void test_random_names(void)
{
    unsigned seed = 99;
    static const char bytes[] = "0123456789.,:=SWM P/\x01\x7f\xff~!a";
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        char name[80], id[MAILDIR_UIDL_MAX + 1], out[NAME_MAX + 1];
        size_t len = (size_t)(rand_r(&seed) % 79);
        for (size_t i = 0; i < len; i++)
            name[i] = bytes[rand_r(&seed) % (sizeof bytes - 1)];
        name[len] = '\0';
        uint32_t t, u;
        uint64_t v;
        size_t n = maildir_uidl(name, id);
        if (n < 1 || n > MAILDIR_UIDL_MAX || strlen(id) != n)
            bad++;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
                bad++;
        if (maildir_name_time(name, &t, &u) == 0 && u > 999999)
            bad++;
        if (maildir_name_field(name, 'S', &v) == 0 && v > MAILDIR_SIZE_FIELD_MAX)
            bad++;
        (void)maildir_name_wire_size(name);
        size_t base = maildir_unique_len(name);
        if (maildir_cur_name(name, out, sizeof out) == 0) {
            char again[MAILDIR_UIDL_MAX + 1];
            maildir_uidl(out, again);
            if (strcmp(id, again) != 0 || strncmp(out, name, base) != 0 ||
                maildir_unique_len(out) != base)
                bad++;   /* the move to cur/ must keep the base and UIDL */
        }
        if (maildir_flag_name(name, 'S', out, sizeof out) == 0) {
            char again[MAILDIR_UIDL_MAX + 1];
            maildir_uidl(out, again);
            if (strcmp(id, again) != 0 || strncmp(out, name, base) != 0 ||
                maildir_unique_len(out) != base)
                bad++;   /* a flag must keep the base and UIDL */
        }
    }
    is_int(bad, 0, "20000 random names: UIDLs valid, base kept by move and flag");
}

int main(void)
{
    test_names();
    test_random_names();
    return tap_done();
}
