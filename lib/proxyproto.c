/* SPDX-License-Identifier: ISC */
#include "proxyproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"

/* v1 is one text line of at most 107 octets with its CRLF; the shortest
 * is "PROXY UNKNOWN\r\n".  v2 is a 16-octet fixed part and a block. */
#define V1_MAX 107
#define V1_MIN 15
static const char v1_prefix[] = "PROXY ";
#define V1_PREFIX_LEN (sizeof v1_prefix - 1)
static const unsigned char v2_sig[12] = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};
#define V2_FIXED 16
/* The address blocks of the v2 families (INET, INET6, UNIX). */
#define V2_INET 12
#define V2_INET6 36
#define V2_UNIX 216

static ssize_t fail(struct proxyproto *p, const char *why)
{
    p->why = why;
    return -1;
}

static ssize_t need(struct proxyproto *p, size_t more)
{
    p->more = more;
    return 0;
}

/* Address text as netenv's: an IPv4-mapped IPv6 address as IPv4. */
static void addr_text(int family, const unsigned char *a, char *out)
{
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a))
        inet_ntop(AF_INET, a + 12, out, 46);
    else
        inet_ntop(family, a, out, 46);
}

/* ---- version 1 ---- */

/* A decimal port, 0..65535, without leading zeros or sign. */
static int v1_port(const char *s, unsigned *port)
{
    uint32_t v;
    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 5 ||
        parse_u32(s, &v) < 0 || v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* One address of a TCP4/TCP6 line, in its own family's text form. */
static int v1_addr(int family, const char *s, char *out)
{
    unsigned char a[16];
    if (inet_pton(family, s, a) != 1)
        return -1;
    addr_text(family, a, out);
    return 0;
}

/* The line between "PROXY " and the CRLF, NUL-terminated in a copy. */
static ssize_t v1_fields(char *line, struct proxyproto *p)
{
    char *field[6];
    size_t n = 0;
    if (strncmp(line, "UNKNOWN", 7) == 0 && (line[7] == '\0' || line[7] == ' '))
        return 0;   /* the rest of the line is ignored, by the spec */
    for (char *s = line; s && n < 6; n++) {
        field[n] = s;
        char *sp = strchr(s, ' ');
        if (sp)
            *sp++ = '\0';
        s = sp;
    }
    if (n != 5)
        return fail(p, "v1: not PROTO SRC DST SPORT DPORT");
    for (size_t i = 0; i < 5; i++)
        if (!*field[i])
            return fail(p, "v1: an empty field (two spaces)");
    int family = strcmp(field[0], "TCP4") == 0   ? AF_INET
                 : strcmp(field[0], "TCP6") == 0 ? AF_INET6
                                                 : AF_UNSPEC;
    if (family == AF_UNSPEC)
        return fail(p, "v1: protocol not TCP4, TCP6 or UNKNOWN");
    if (v1_addr(family, field[1], p->src_ip) < 0 ||
        v1_addr(family, field[2], p->dst_ip) < 0)
        return fail(p, "v1: an address not of the protocol's family");
    if (v1_port(field[3], &p->src_port) < 0 ||
        v1_port(field[4], &p->dst_port) < 0)
        return fail(p, "v1: a port not from 0 to 65535");
    p->family = family;
    return 0;
}

static ssize_t v1_parse(const unsigned char *buf, size_t len,
                        struct proxyproto *p)
{
    size_t end = 0;
    p->version = 1;
    for (size_t i = 0; i < len && i < V1_MAX && !end; i++) {
        if (buf[i] == '\n') {
            if (i == 0 || buf[i - 1] != '\r')
                return fail(p, "v1: LF without CR");
            end = i + 1;
        } else if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n') {
            return fail(p, "v1: CR without LF");
        } else if (buf[i] == '\0') {
            return fail(p, "v1: a NUL in the line");
        }
    }
    if (!end) {
        if (len >= V1_MAX)
            return fail(p, "v1: no CRLF within 107 octets");
        if (len < V1_MIN)
            return need(p, V1_MIN - len);
        /* Another CRLF's worth, or one octet when a CR ends what we have. */
        size_t more = buf[len - 1] == '\r' ? 1 : 2;
        return need(p, more < V1_MAX - len ? more : V1_MAX - len);
    }
    if (end < V1_MIN)
        return fail(p, "v1: too short");
    char line[V1_MAX];
    memcpy(line, buf + V1_PREFIX_LEN, end - 2 - V1_PREFIX_LEN);
    line[end - 2 - V1_PREFIX_LEN] = '\0';
    if (v1_fields(line, p) < 0)
        return -1;
    return (ssize_t)end;
}

/* ---- version 2 ---- */

/* The TLVs after the addresses: each a type, a 16-bit length and that
 * many octets, all inside the block; their content is not used. */
static int v2_tlvs(const unsigned char *t, size_t len)
{
    while (len > 0) {
        if (len < 3)
            return -1;
        size_t vlen = (size_t)t[1] << 8 | t[2];
        if (vlen > len - 3)
            return -1;
        t += 3 + vlen;
        len -= 3 + vlen;
    }
    return 0;
}

/* The address block's size for a PROXY command's family/transport byte,
 * or -1 for one we refuse (undefined, or a datagram: a POP3 connection
 * is a stream). */
static long v2_block(unsigned char fam, struct proxyproto *p)
{
    switch (fam) {
    case 0x00: return 0;          /* UNSPEC */
    case 0x11: return V2_INET;    /* TCP over IPv4 */
    case 0x21: return V2_INET6;   /* TCP over IPv6 */
    case 0x31: return V2_UNIX;    /* UNIX stream */
    case 0x12: case 0x22: case 0x32:
        p->why = "v2: a datagram transport";
        return -1;
    }
    p->why = "v2: an undefined family/transport";
    return -1;
}

static ssize_t v2_parse(const unsigned char *buf, size_t len,
                        struct proxyproto *p)
{
    p->version = 2;
    if (len < V2_FIXED)
        return need(p, V2_FIXED - len);
    if (buf[12] >> 4 != 2)
        return fail(p, "v2: unknown version");
    if ((buf[12] & 0x0F) > 1)
        return fail(p, "v2: unknown command");
    p->local = (buf[12] & 0x0F) == 0;
    size_t blen = (size_t)buf[14] << 8 | buf[15];
    /* LOCAL: the family and addresses are to be ignored, by the spec. */
    long addr = p->local ? 0 : v2_block(buf[13], p);
    if (addr < 0)
        return -1;
    if (blen < (size_t)addr)
        return fail(p, "v2: address block shorter than its family");
    if (blen - (size_t)addr > (p->local ? V2_UNIX : 0) + PROXYPROTO_TLV_MAX)
        return fail(p, "v2: TLV block too large");
    if (len < V2_FIXED + blen)
        return need(p, V2_FIXED + blen - len);
    const unsigned char *a = buf + V2_FIXED;
    if (!p->local &&
        v2_tlvs(a + addr, blen - (size_t)addr) < 0)
        return fail(p, "v2: a TLV runs past the block");
    if (addr == V2_INET || addr == V2_INET6) {
        int family = addr == V2_INET ? AF_INET : AF_INET6;
        size_t al = addr == V2_INET ? 4 : 16;
        addr_text(family, a, p->src_ip);
        addr_text(family, a + al, p->dst_ip);
        p->src_port = (unsigned)a[2 * al] << 8 | a[2 * al + 1];
        p->dst_port = (unsigned)a[2 * al + 2] << 8 | a[2 * al + 3];
        p->family = family;
    }
    return (ssize_t)(V2_FIXED + blen);
}

/* ---- either ---- */

/* buf is a start of prefix (of plen octets): 1, else 0. */
static int starts(const unsigned char *buf, size_t len,
                  const unsigned char *prefix, size_t plen)
{
    return memcmp(buf, prefix, len < plen ? len : plen) == 0;
}

ssize_t proxyproto_parse(const unsigned char *buf, size_t len,
                         struct proxyproto *p)
{
    memset(p, 0, sizeof *p);
    p->family = AF_UNSPEC;
    if (len == 0)
        return need(p, V1_MIN);   /* the shorter of the two minimums */
    if (starts(buf, len, (const unsigned char *)v1_prefix, V1_PREFIX_LEN))
        return v1_parse(buf, len, p);
    if (starts(buf, len, v2_sig, sizeof v2_sig))
        return v2_parse(buf, len, p);
    return fail(p, "not a PROXY header (bad signature)");
}

int proxyproto_read(int fd, int timeout_ms, struct proxyproto *p)
{
    static unsigned char buf[V2_FIXED + V2_UNIX + PROXYPROTO_TLV_MAX];
    size_t n = 0;
    long long deadline = now_ms() + timeout_ms;
    ssize_t r;
    while ((r = proxyproto_parse(buf, n, p)) == 0) {
        long long left = deadline - now_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int pr = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0)
            return (int)fail(p, n ? "timed out inside the header"
                                  : "timed out before the header");
        size_t want = p->more;
        ssize_t got = pr < 0 ? -1 : read(fd, buf + n, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return (int)fail(p, "read error");
        if (got == 0)
            return (int)fail(p, n ? "closed inside the header (partial)"
                                  : "closed before the header");
        n += (size_t)got;
    }
    return r < 0 ? -1 : 0;
}

/* ---- the balancers ---- */

/* One "ADDR[/BITS]" of len octets. */
static int net_parse(const char *s, size_t len, struct proxyproto_net *net)
{
    char text[64];
    if (len == 0 || len >= sizeof text)
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    char *slash = strchr(text, '/');
    if (slash)
        *slash = '\0';
    memset(net, 0, sizeof *net);
    if (inet_pton(AF_INET, text, net->addr) == 1)
        net->family = AF_INET;
    else if (inet_pton(AF_INET6, text, net->addr) == 1)
        net->family = AF_INET6;
    else
        return -1;
    unsigned max = net->family == AF_INET ? 32 : 128;
    uint32_t bits = max;
    if (slash && (!slash[1] || (slash[1] == '0' && slash[2]) ||
                  parse_u32(slash + 1, &bits) < 0 || bits > max))
        return -1;
    net->prefix = bits;
    /* An IPv4-mapped network is its IPv4 one: proxyproto_from_match
     * compares a mapped peer as IPv4, so kept as IPv6 it would match
     * nothing (::ffff:10.0.0.1, as a dual-stack tcpserver gives the
     * balancer's address, could never be listed). */
    if (net->family == AF_INET6 && bits >= 96 &&
        IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)net->addr)) {
        memmove(net->addr, net->addr + 12, 4);
        memset(net->addr + 4, 0, 12);
        net->family = AF_INET;
        net->prefix = bits - 96;
    }
    return 0;
}

int proxyproto_from_parse(const char *list, struct proxyproto_from *f)
{
    f->n = 0;
    for (const char *s = list;; ) {
        size_t len = strcspn(s, ",");
        if (f->n == PROXYPROTO_FROM_MAX || net_parse(s, len, &f->net[f->n]) < 0)
            return -1;
        f->n++;
        if (!s[len])
            return 0;
        s += len + 1;
    }
}

/* The first bits of a and b are equal. */
static int prefix_equal(const unsigned char *a, const unsigned char *b,
                        unsigned bits)
{
    size_t bytes = bits / 8;
    if (memcmp(a, b, bytes) != 0)
        return 0;
    if (bits % 8 == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - bits % 8));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

int proxyproto_from_match(const struct proxyproto_from *f, const char *ip)
{
    unsigned char a[16];
    int family;
    if (!ip)
        return 0;
    if (inet_pton(AF_INET, ip, a) == 1) {
        family = AF_INET;
    } else if (inet_pton(AF_INET6, ip, a) == 1) {
        family = AF_INET6;
        if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
            memmove(a, a + 12, 4);
            family = AF_INET;
        }
    } else {
        return 0;
    }
    for (size_t i = 0; i < f->n; i++)
        if (f->net[i].family == family &&
            prefix_equal(a, f->net[i].addr, f->net[i].prefix))
            return 1;
    return 0;
}

/* ---- at the start of a connection ---- */

/* The header's addresses as the connection's, for every later stage. */
static void accept_setenv(const struct proxyproto *p)
{
    char sport[8], dport[8];
    snprintf(sport, sizeof sport, "%u", p->src_port);
    snprintf(dport, sizeof dport, "%u", p->dst_port);
    /* Host names and ident tcpserver may have found were the balancer's. */
    unsetenv("TCPREMOTEHOST");
    unsetenv("TCPREMOTEINFO");
    unsetenv("TCPLOCALHOST");
    if (setenv("TCPREMOTEIP", p->src_ip, 1) < 0 ||
        setenv("TCPREMOTEPORT", sport, 1) < 0 ||
        setenv("TCPLOCALIP", p->dst_ip, 1) < 0 ||
        setenv("TCPLOCALPORT", dport, 1) < 0)
        log_die(EXIT_TEMP, "cannot set the PROXY addresses: out of memory");
}

int proxyproto_accept(const struct proxyproto_from *f, int fd)
{
    char balancer[64];
    const char *peer = getenv("TCPREMOTEIP");
    struct proxyproto p;
    if (f->n == 0 || !proxyproto_from_match(f, peer))
        return 0;
    snprintf(balancer, sizeof balancer, "%s", peer);
    if (proxyproto_read(fd, PROXYPROTO_TIMEOUT * 1000, &p) < 0) {
        log_warn("PROXY header from balancer %s: %s; closing", balancer,
                 p.why);
        return -1;
    }
    if (p.local || p.family == AF_UNSPEC) {
        log_info("PROXY v%d %s from balancer %s: the socket's addresses "
                 "kept", p.version, p.local ? "LOCAL (a health check)"
                 : "header without internet addresses", balancer);
        return 0;
    }
    accept_setenv(&p);
    log_info("PROXY v%d header from balancer %s: client port %u, local "
             "port %u", p.version, balancer, p.src_port, p.dst_port);
    return 0;
}
