/* SPDX-License-Identifier: ISC */
/* test_md5 -- lib/md5 against RFC 1321's test suite (appendix A.5) and
 * RFC 1939's APOP example. */
#include "md5.h"
#include "tap.h"

#include <string.h>

static void check_hex(const char *msg, const char *want)
{
    unsigned char d[MD5_DIGEST_LEN];
    char hex[2 * MD5_DIGEST_LEN + 1];
    md5(msg, strlen(msg), d);
    md5_hex(d, hex);
    is_str(hex, want, msg[0] ? msg : "(empty message)");
}

static void test_rfc1321_suite(void)
{
    check_hex("", "d41d8cd98f00b204e9800998ecf8427e");
    check_hex("a", "0cc175b9c0f1b6a831c399e269772661");
    check_hex("abc", "900150983cd24fb0d6963f7d28e17f72");
    check_hex("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    check_hex("abcdefghijklmnopqrstuvwxyz",
              "c3fcd3d76192e4007dfb496cca67e13b");
    check_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
              "d174ab98d277d9f5a5611c2c9f419d9f");
    check_hex("1234567890123456789012345678901234567890"
              "1234567890123456789012345678901234567890",
              "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_apop_example(void)
{
    check_hex("<1896.697170952@dbc.mtview.ca.us>tanstaaf",
              "c4c9334bac560ecc979e58001b3e22fb");
}

/* The digest must not depend on how the input is split: every split
 * point of the 80-byte vector (crossing the 64-byte block boundary), and
 * one byte at a time. */
static void test_incremental(void)
{
    const char *msg = "1234567890123456789012345678901234567890"
                      "1234567890123456789012345678901234567890";
    size_t len = strlen(msg);
    unsigned char whole[MD5_DIGEST_LEN], part[MD5_DIGEST_LEN];
    struct md5_ctx c;
    int same = 1;

    md5(msg, len, whole);
    for (size_t cut = 0; cut <= len; cut++) {
        md5_init(&c);
        md5_update(&c, msg, cut);
        md5_update(&c, msg + cut, len - cut);
        md5_final(&c, part);
        same &= memcmp(whole, part, sizeof whole) == 0;
    }
    ok(same, "every two-part split gives the same digest");
    md5_init(&c);
    for (size_t i = 0; i < len; i++)
        md5_update(&c, msg + i, 1);
    md5_final(&c, part);
    ok(memcmp(whole, part, sizeof whole) == 0, "byte by byte, the same");
    ok(c.used == 0 && c.length == 0 && c.state[0] == 0,
       "md5_final wipes the context");
}

/* Lengths around the padding edge: 55 bytes pads in one block, 56..63
 * need a second; 64 is exactly one.  Checked against digests of
 * runs of 'a' computed independently (python3 hashlib). */
static void test_padding_edges(void)
{
    static const struct { size_t n; const char *hex; } v[] = {
        { 55, "ef1772b6dff9a122358552954ad0df65" },
        { 56, "3b0c8ac703f828b04c6c197006d17218" },
        { 63, "b06521f39153d618550606be297466d5" },
        { 64, "014842d480b571495a4a0363793f7367" },
        { 65, "c743a45e0d2e6a95cb859adae0248435" },
    };
    char buf[80];
    memset(buf, 'a', sizeof buf);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        unsigned char d[MD5_DIGEST_LEN];
        char hex[2 * MD5_DIGEST_LEN + 1];
        md5(buf, v[i].n, d);
        md5_hex(d, hex);
        is_str(hex, v[i].hex, "padding edge");
    }
}

int main(void)
{
    test_rfc1321_suite();
    test_apop_example();
    test_incremental();
    test_padding_edges();
    return tap_done();
}
