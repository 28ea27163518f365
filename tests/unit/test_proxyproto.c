/* SPDX-License-Identifier: ISC */
#include "proxyproto.h"
#include "tap.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const unsigned char sig[12] = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/* A v2 header in out: the signature, ver_cmd, fam, the block of blen
 * octets.  Its length. */
static size_t v2(unsigned char *out, unsigned char vc, unsigned char fam,
                 const unsigned char *block, size_t blen)
{
    memcpy(out, sig, 12);
    out[12] = vc;
    out[13] = fam;
    out[14] = (unsigned char)(blen >> 8);
    out[15] = (unsigned char)blen;
    if (blen)
        memcpy(out + 16, block, blen);
    return 16 + blen;
}

static ssize_t parse_str(const char *s, struct proxyproto *p)
{
    return proxyproto_parse((const unsigned char *)s, strlen(s), p);
}

static void test_v1(void)
{
    struct proxyproto p;
    const char *h4 = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 110\r\nUSER x";
    is_int(parse_str(h4, &p), (long long)(strstr(h4, "USER") - h4),
           "v1 TCP4: the header's length, not the bytes after it");
    is_int(p.version, 1, "v1: version 1");
    is_int(p.family, AF_INET, "v1 TCP4: AF_INET");
    is_str(p.src_ip, "192.0.2.1", "v1 TCP4: source address");
    is_str(p.dst_ip, "198.51.100.2", "v1 TCP4: destination address");
    is_int(p.src_port, 56324, "v1: source port");
    is_int(p.dst_port, 110, "v1: destination port");
    is_int(parse_str("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n", &p), 36,
           "v1 TCP6: whole line");
    is_int(p.family, AF_INET6, "v1 TCP6: AF_INET6");
    is_str(p.src_ip, "2001:db8::1", "v1 TCP6: source address");
    is_int(p.src_port, 65535, "v1: port 65535");
    is_int(parse_str("PROXY TCP6 ::ffff:192.0.2.9 ::1 1 2\r\n", &p), 37,
           "v1 TCP6 v4-mapped");
    is_str(p.src_ip, "192.0.2.9", "v1: v4-mapped source as IPv4");
    is_int(parse_str("PROXY UNKNOWN\r\n", &p), 15, "v1 UNKNOWN: 15 octets");
    is_int(p.family, AF_UNSPEC, "v1 UNKNOWN: keep the socket's addresses");
    is_int(parse_str("PROXY UNKNOWN ffff::1 ::1 1 2\r\nX", &p), 31,
           "v1 UNKNOWN: the rest of the line ignored");

    /* Partial: 0 and how much more, never past the end. */
    is_int(parse_str("", &p), 0, "nothing yet: incomplete");
    is_int((long long)p.more, 15, "nothing yet: 15 octets are safe");
    is_int(parse_str("PROX", &p), 0, "v1 prefix: incomplete");
    is_int((long long)p.more, 11, "v1 prefix: up to the shortest header");
    is_int(parse_str("PROXY TCP4 192.0.2.1", &p), 0, "v1 line: incomplete");
    is_int((long long)p.more, 2, "v1 line: a CRLF's worth");
    is_int(parse_str("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r", &p), 0, "v1 CR: incomplete");
    is_int((long long)p.more, 1, "v1 CR: one octet");

    const char *bad[] = {
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n",     /* LF alone */
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rX\n",  /* CR alone */
        "PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n",
        "PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",
        "PROXY TCP6 192.0.2.1 ::1 1 2\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 65536\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
        "PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY \r\n",
        "proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n",
        "USER bob\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ssize_t r = parse_str(bad[i], &p);
        ok(r == -1 && p.why, "v1 bad %zu: -1 (%s)", i, p.why ? p.why : "none");
    }
    char longl[200] = "PROXY UNKNOWN ";
    memset(longl + 14, 'x', 93);
    is_int(proxyproto_parse((unsigned char *)longl, 107, &p), -1,
           "v1: no CRLF within 107 octets");
    memcpy(longl + 105, "\r\n", 2);
    is_int(proxyproto_parse((unsigned char *)longl, 107, &p), 107,
           "v1: a 107-octet line is fine");
    longl[105] = 'x';
    is_int(proxyproto_parse((unsigned char *)longl, 106, &p), 0,
           "v1: 106 octets without CRLF: incomplete");
    is_int((long long)p.more, 1, "v1: never asks past octet 107");
    char nul[] = "PROXY UNKNOWN \0\r\n";
    is_int(proxyproto_parse((unsigned char *)nul, sizeof nul - 1, &p), -1,
           "v1: a NUL is an error");
}

static void test_v2(void)
{
    struct proxyproto p;
    unsigned char h[2048];
    const unsigned char in4[12] = { 192, 0, 2, 1, 198, 51, 100, 2,
                                    0xDC, 0x04, 0x03, 0xE3 };
    size_t n = v2(h, 0x21, 0x11, in4, sizeof in4);
    memcpy(h + n, "\x16\x03\x01", 3);   /* a ClientHello behind it */
    is_int(proxyproto_parse(h, n + 3, &p), 28, "v2 INET: 28 octets exactly");
    is_int(p.version, 2, "v2: version 2");
    is_int(p.local, 0, "v2 PROXY: not local");
    is_int(p.family, AF_INET, "v2 INET: AF_INET");
    is_str(p.src_ip, "192.0.2.1", "v2 INET: source");
    is_str(p.dst_ip, "198.51.100.2", "v2 INET: destination");
    is_int(p.src_port, 56324, "v2 INET: source port");
    is_int(p.dst_port, 995, "v2 INET: destination port");
    for (size_t i = 0; i < 28; i++) {
        if (proxyproto_parse(h, i, &p) != 0 || i + p.more > 28) {
            ok(0, "v2 INET cut at %zu: incomplete, never past the end", i);
            break;
        }
        if (i == 27)
            ok(1, "v2 INET cut anywhere: incomplete, never past the end");
    }

    unsigned char in6[36 + 10] = { 0x20, 0x01, 0x0d, 0xb8 };
    in6[15] = 1;
    in6[31] = 1;   /* ::1 */
    in6[32] = 0x30; in6[33] = 0x39; in6[34] = 0; in6[35] = 110;
    /* Two TLVs: an SSL one (0x20) and a NOOP, ignored. */
    memcpy(in6 + 36, "\x20\x00\x02xy\x04\x00\x02zz", 10);
    n = v2(h, 0x21, 0x21, in6, sizeof in6);
    is_int(proxyproto_parse(h, n, &p), 16 + 46, "v2 INET6 with TLVs");
    is_int(p.family, AF_INET6, "v2 INET6: AF_INET6");
    is_str(p.src_ip, "2001:db8::1", "v2 INET6: source");
    is_str(p.dst_ip, "::1", "v2 INET6: destination");
    is_int(p.src_port, 12345, "v2 INET6: source port");

    unsigned char un[216] = "/run/x";
    n = v2(h, 0x21, 0x31, un, sizeof un);
    is_int(proxyproto_parse(h, n, &p), 232, "v2 UNIX: accepted");
    is_int(p.family, AF_UNSPEC, "v2 UNIX: keep the socket's addresses");
    n = v2(h, 0x21, 0x00, NULL, 0);
    is_int(proxyproto_parse(h, n, &p), 16, "v2 UNSPEC: accepted");
    is_int(p.family, AF_UNSPEC, "v2 UNSPEC: keep the socket's addresses");
    n = v2(h, 0x20, 0x00, NULL, 0);
    is_int(proxyproto_parse(h, n, &p), 16, "v2 LOCAL: accepted");
    is_int(p.local, 1, "v2 LOCAL: local");
    is_int(p.family, AF_UNSPEC, "v2 LOCAL: no addresses");
    n = v2(h, 0x20, 0x11, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), 28, "v2 LOCAL with a block: skipped");
    is_int(p.family, AF_UNSPEC, "v2 LOCAL: its addresses are ignored");

    /* Errors. */
    n = v2(h, 0x21, 0x11, in4, sizeof in4);
    h[3] = 0x0B;
    is_int(proxyproto_parse(h, n, &p), -1, "v2: bad signature");
    is_int(proxyproto_parse(h, 4, &p), -1, "v2: bad signature seen early");
    n = v2(h, 0x31, 0x11, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: version 3");
    n = v2(h, 0x11, 0x11, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: version 1 in binary");
    n = v2(h, 0x22, 0x11, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: command 2");
    n = v2(h, 0x21, 0x41, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: family 4");
    n = v2(h, 0x21, 0x12, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: UDP over IPv4");
    n = v2(h, 0x21, 0x13, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: transport 3");
    n = v2(h, 0x21, 0x21, in4, sizeof in4);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: INET6 with a 12-octet block");
    memcpy(in6 + 36, "\x20\x00\x09xy\x04\x00\x02zz", 10);
    n = v2(h, 0x21, 0x21, in6, sizeof in6);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: a TLV past the block");
    n = v2(h, 0x21, 0x21, in6, 38);
    is_int(proxyproto_parse(h, n, &p), -1, "v2: a TLV of 2 octets");
    /* Too large a TLV block: refused from the fixed part alone. */
    v2(h, 0x21, 0x11, NULL, 0);
    h[14] = (unsigned char)((12 + PROXYPROTO_TLV_MAX + 1) >> 8);
    h[15] = (unsigned char)(12 + PROXYPROTO_TLV_MAX + 1);
    is_int(proxyproto_parse(h, 16, &p), -1, "v2: TLVs over the bound, seen at 16");
    h[14] = (unsigned char)((12 + PROXYPROTO_TLV_MAX) >> 8);
    h[15] = (unsigned char)(12 + PROXYPROTO_TLV_MAX);
    is_int(proxyproto_parse(h, 16, &p), 0, "v2: TLVs at the bound: read on");
    is_int((long long)p.more, 12 + PROXYPROTO_TLV_MAX, "v2: the block's length");
}

/* proxyproto_read leaves the bytes after the header in the pipe. */
static void test_read(void)
{
    struct proxyproto p;
    int fds[2];
    char rest[16] = "";
    unsigned char h[64];
    const unsigned char in4[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2 };
    size_t n = v2(h, 0x21, 0x11, in4, sizeof in4);
    memcpy(h + n, "CAPA\r\n", 6);
    if (pipe(fds) < 0 || write(fds[1], h, n + 6) != (ssize_t)n + 6)
        return;
    is_int(proxyproto_read(fds[0], 1000, &p), 0, "read v2: 0");
    is_str(p.src_ip, "10.0.0.1", "read v2: the source");
    ok(read(fds[0], rest, sizeof rest - 1) == 6 && !strcmp(rest, "CAPA\r\n"),
       "read v2: the bytes after it untouched");
    const char *l = "PROXY UNKNOWN\r\n\x16\x03";
    ok(write(fds[1], l, strlen(l)) == (ssize_t)strlen(l), "write v1");
    is_int(proxyproto_read(fds[0], 1000, &p), 0, "read v1 UNKNOWN: 0");
    memset(rest, 0, sizeof rest);
    ok(read(fds[0], rest, sizeof rest - 1) == 2 && rest[0] == 0x16,
       "read v1: the bytes after it untouched");
    ok(write(fds[1], "PROXY TCP4 1.2.3.4", 18) == 18, "write a partial v1");
    is_int(proxyproto_read(fds[0], 200, &p), -1, "read: too slow: -1");
    ok(p.why && strstr(p.why, "timed out"), "read: timed out (%s)", p.why);
    close(fds[1]);
    is_int(proxyproto_read(fds[0], 1000, &p), -1, "read: end of file: -1");
    ok(p.why && strstr(p.why, "closed"), "read: closed (%s)", p.why);
    close(fds[0]);
}

static void test_from(void)
{
    struct proxyproto_from f;
    is_int(proxyproto_from_parse("10.0.0.0/8,2001:db8::/32,192.0.2.7", &f), 0,
           "from: three CIDRs");
    is_int((long long)f.n, 3, "from: three nets");
    ok(proxyproto_from_match(&f, "10.200.1.1"), "from: in 10/8");
    ok(!proxyproto_from_match(&f, "11.0.0.1"), "from: not in 10/8");
    ok(proxyproto_from_match(&f, "::ffff:10.1.1.1"), "from: v4-mapped in 10/8");
    ok(proxyproto_from_match(&f, "2001:db8:ffff::1"), "from: in the /32");
    ok(!proxyproto_from_match(&f, "2001:db9::1"), "from: not in the /32");
    ok(proxyproto_from_match(&f, "192.0.2.7"), "from: a host address");
    ok(!proxyproto_from_match(&f, "192.0.2.8"), "from: its neighbour not");
    ok(!proxyproto_from_match(&f, "unknown"), "from: no address: no");
    ok(!proxyproto_from_match(&f, NULL), "from: unset: no");
    is_int(proxyproto_from_parse("127.0.0.1/25", &f), 0, "from: /25");
    ok(proxyproto_from_match(&f, "127.0.0.127") &&
       !proxyproto_from_match(&f, "127.0.0.128"), "from: /25 boundary");
    is_int(proxyproto_from_parse("0.0.0.0/0", &f), 0, "from: /0");
    ok(proxyproto_from_match(&f, "203.0.113.5"), "from: /0 matches all IPv4");
    /* Found by tests/fuzz/fuzz_proxyproto: a mapped network matched
     * nothing, its own address included. */
    is_int(proxyproto_from_parse("::ffff:10.0.0.1,::ffff:192.0.2.0/120", &f), 0,
           "from: IPv4-mapped CIDRs");
    ok(proxyproto_from_match(&f, "::ffff:10.0.0.1") &&
       proxyproto_from_match(&f, "10.0.0.1"), "from: a mapped host matches its address, mapped or not");
    ok(proxyproto_from_match(&f, "192.0.2.200") &&
       !proxyproto_from_match(&f, "192.0.3.1"), "from: a mapped /120 is the IPv4 /24");
    is_int(proxyproto_from_parse("::ffff:0:0/95", &f), 0, "from: a /95 around the mapped range");
    ok(!proxyproto_from_match(&f, "10.0.0.1"), "from: stays IPv6 (it is more than IPv4)");
    const char *bad[] = { "", ",", "10.0.0.0/33", "::/129", "10.0.0.0/",
                          "10.0.0.0/08", "host", "10.0.0.1,", "1.2.3.4/-1" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok(proxyproto_from_parse(bad[i], &f) == -1, "from bad: '%s'", bad[i]);
    char many[PROXYPROTO_FROM_MAX * 12 + 20] = "";
    for (int i = 0; i <= PROXYPROTO_FROM_MAX; i++)
        strcat(many, i ? ",10.0.0.1" : "10.0.0.1");
    is_int(proxyproto_from_parse(many, &f), -1, "from: too many CIDRs");
}

int main(void)
{
    test_v1();
    test_v2();
    test_read();
    test_from();
    return tap_done();
}
