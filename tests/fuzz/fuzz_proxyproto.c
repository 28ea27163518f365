/* SPDX-License-Identifier: ISC */
/*
 * fuzz_proxyproto.c -- the PROXY header (lib/proxyproto), versions 1 and
 * 2 with their TLVs, as a balancer (or anyone who can reach the port
 * from a listed address) sends it; and the --proxy-from list, when the
 * input is text.  Checked, from proxyproto.h: an error says why; a
 * header's length is within the input and its fields are the family's
 * (addresses that parse back, ports below 65536); the result depends on
 * no octet past the header, every shorter start of a header is "valid
 * but incomplete", and reading as proxyproto_read does, p->more octets
 * at a time, reaches exactly the header's end and never reads past it.
 * A CIDR list that parses matches each of its own addresses (IPv4
 * ones also in their IPv4-mapped form).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "proxyproto.h"

static void check_header(const uint8_t *data, size_t r, const struct proxyproto *p)
{
    CHECK(p->version == 1 || p->version == 2);
    CHECK(p->version == 2 || r <= 107);
    CHECK(p->src_port <= 65535 && p->dst_port <= 65535);
    if (p->family == AF_UNSPEC) {
        CHECK(p->src_ip[0] == '\0' && p->dst_ip[0] == '\0');
    } else {
        unsigned char a[16];
        CHECK(p->family == AF_INET || p->family == AF_INET6);
        CHECK(!p->local);
        /* IPv4-mapped IPv6 is given as IPv4 text */
        CHECK(inet_pton(AF_INET, p->src_ip, a) == 1 || inet_pton(AF_INET6, p->src_ip, a) == 1);
        CHECK(inet_pton(AF_INET, p->dst_ip, a) == 1 || inet_pton(AF_INET6, p->dst_ip, a) == 1);
    }
    /* nothing past the header counts */
    struct proxyproto q;
    CHECK(proxyproto_parse(data, r, &q) == (ssize_t)r);
    CHECK(memcmp(&q, p, sizeof q) == 0);
    for (size_t k = 0; k < r; k++) {
        CHECK(proxyproto_parse(data, k, &q) == 0);
        CHECK(q.more >= 1 && k + q.more <= r);
    }
}

/* proxyproto_read's loop on the input as a socket's bytes. */
static void check_read_steps(const uint8_t *data, size_t size, ssize_t whole)
{
    struct proxyproto q;
    size_t n = 0;
    ssize_t r;
    while ((r = proxyproto_parse(data, n, &q)) == 0) {
        CHECK(q.more >= 1);
        if (n + q.more > size) {
            CHECK(whole <= 0);       /* the header is longer than the input */
            return;
        }
        n += q.more;
    }
    if (r < 0) {
        CHECK(q.why != NULL && whole < 0);
        return;
    }
    CHECK(r == whole && (size_t)r == n);
}

static void check_from(const uint8_t *data, size_t size)
{
    static char list[1024];
    if (size >= sizeof list || memchr(data, 0, size))
        return;
    memcpy(list, data, size);
    list[size] = '\0';
    struct proxyproto_from f;
    if (proxyproto_from_parse(list, &f) < 0)
        return;
    CHECK(f.n >= 1 && f.n <= PROXYPROTO_FROM_MAX);
    for (size_t i = 0; i < f.n; i++) {
        const struct proxyproto_net *net = &f.net[i];
        char text[INET6_ADDRSTRLEN];
        CHECK(net->family == AF_INET || net->family == AF_INET6);
        CHECK(net->prefix <= (net->family == AF_INET ? 32u : 128u));
        CHECK(inet_ntop(net->family, net->addr, text, sizeof text) != NULL);
        /* An IPv6 net shorter than /96 may start at an IPv4-mapped
         * address, which a peer is compared as IPv4 (proxyproto.h): not
         * in an IPv6 net. */
        if (net->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)net->addr))
            continue;
        CHECK(proxyproto_from_match(&f, text) == 1);
        if (net->family == AF_INET) {
            char mapped[INET6_ADDRSTRLEN + 8];
            snprintf(mapped, sizeof mapped, "::ffff:%s", text);
            CHECK(proxyproto_from_match(&f, mapped) == 1);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct proxyproto p;
    ssize_t r = proxyproto_parse(data, size, &p);
    CHECK(r >= -1 && r <= (ssize_t)size);
    if (r < 0)
        CHECK(p.why != NULL);
    else if (r == 0)
        CHECK(p.more >= 1);
    else
        check_header(data, (size_t)r, &p);
    check_read_steps(data, size, r);
    check_from(data, size);
    return 0;
}
