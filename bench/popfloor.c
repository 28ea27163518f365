/* SPDX-License-Identifier: ISC */
/*
 * popfloor.c -- the least work a POP3 server can do, as a yardstick for
 * bench/run (never installed, never a mail server).
 *
 * It listens on 127.0.0.1:PORT, serves one connection at a time, accepts
 * any USER and PASS, and answers STAT, LIST, UIDL, RETR, NOOP and QUIT
 * for COUNT identical messages of SIZE octets kept in memory: each answer
 * is one write of bytes made at start-up, with no file opened, no state
 * kept and no check of anything.  What a POP3 client measures against it
 * is the cost of the round trip itself (the client, the two system calls
 * a server cannot avoid, the wake-ups between two processes), which no
 * real server can go below: bench/run reports it beside popkit's and
 * Dovecot's RETR figures so that a ratio is read against what the
 * machine allows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exitcode.h"
#include "usage.h"
#include "util.h"

#define LINE_MAX_BYTES 512
#define COUNT_MAX 1000000
#define SIZE_MAX_BYTES (1 << 20)

static const char usage[] =
    "usage: popfloor -p PORT [-n COUNT] [-s SIZE]\n"
    "  Serve COUNT (default 5000) identical SIZE-octet (default 4096)\n"
    "  messages from memory over POP3 on 127.0.0.1:PORT, any login\n"
    "  accepted, one connection at a time, until killed: the floor a\n"
    "  benchmark measures servers against.\n";

static void die(const char *what)
{
    fprintf(stderr, "popfloor: %s: %s\n", what, strerror(errno));
    exit(EXIT_TEMP);
}

/* A whole answer made once. */
struct answer {
    char *p;
    size_t n;
};

static void append(struct answer *a, size_t cap, const char *s, size_t n)
{
    if (a->n + n > cap) {
        fprintf(stderr, "popfloor: answer too large\n");
        exit(EXIT_TEMP);
    }
    memcpy(a->p + a->n, s, n);
    a->n += n;
}

/* The RETR answer: +OK, SIZE octets of 'x' lines ending CRLF (no line
 * starts with a dot), the terminator. */
static struct answer make_retr(long size)
{
    size_t cap = (size_t)size + 64;
    struct answer a = { malloc(cap), 0 };
    char head[64];
    if (!a.p)
        die("malloc");
    append(&a, cap, head, (size_t)snprintf(head, sizeof head,
                                           "+OK %ld octets\r\n", size));
    for (long left = size; left > 0;) {   /* left >= 2 at every turn */
        long k = left >= 66 ? 62 : left - 2;
        memset(a.p + a.n, 'x', (size_t)k);
        a.n += (size_t)k;
        append(&a, cap, "\r\n", 2);
        left -= k + 2;
    }
    append(&a, cap, ".\r\n", 3);
    return a;
}

/* LIST or UIDL: "+OK", one line a message, ".". */
static struct answer make_listing(long count, long size, int uidl)
{
    size_t cap = (size_t)count * 32 + 64;
    struct answer a = { malloc(cap), 0 };
    char line[64];
    if (!a.p)
        die("malloc");
    append(&a, cap, "+OK\r\n", 5);
    for (long i = 1; i <= count; i++) {
        int n = uidl ? snprintf(line, sizeof line, "%ld u%ld\r\n", i, i)
                     : snprintf(line, sizeof line, "%ld %ld\r\n", i, size);
        append(&a, cap, line, (size_t)n);
    }
    append(&a, cap, ".\r\n", 3);
    return a;
}

struct floor_conf {
    long count, size;
    struct answer retr, list, uidl;
    char stat[64];
};

/* One command line; 1 when the client said QUIT, -1 on a write error. */
static int answer_line(int fd, const struct floor_conf *f, const char *line)
{
    if (!strncasecmp(line, "RETR ", 5)) {
        long n = strtol(line + 5, NULL, 10);
        if (n >= 1 && n <= f->count)
            return write_all(fd, f->retr.p, f->retr.n);
        return write_all(fd, "-ERR no such message\r\n", 22);
    }
    if (!strncasecmp(line, "LIST", 4))
        return write_all(fd, f->list.p, f->list.n);
    if (!strncasecmp(line, "UIDL", 4))
        return write_all(fd, f->uidl.p, f->uidl.n);
    if (!strncasecmp(line, "STAT", 4))
        return write_all(fd, f->stat, strlen(f->stat));
    if (!strncasecmp(line, "QUIT", 4))
        return write_all(fd, "+OK bye\r\n", 9) < 0 ? -1 : 1;
    return write_all(fd, "+OK\r\n", 5);
}

static void serve(int fd, const struct floor_conf *f)
{
    char buf[LINE_MAX_BYTES * 4];
    size_t have = 0;
    if (write_all(fd, "+OK popfloor\r\n", 14) < 0)
        return;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        have += (size_t)r;
        buf[have] = '\0';
        char *p = buf, *nl;
        while ((nl = memchr(p, '\n', have - (size_t)(p - buf)))) {
            *nl = '\0';
            if (answer_line(fd, f, p) != 0)
                return;
            p = nl + 1;
        }
        have -= (size_t)(p - buf);
        memmove(buf, p, have);
        if (have > LINE_MAX_BYTES)
            return;   /* an overlong line: not a client we serve */
    }
}

/* The value s of option -opt, from 1 to max; else misuse. */
static long number(int opt, const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        usage_misuse("popfloor", usage, "-%c wants a number from 1 to %ld",
                     opt, max);
    return v;
}

int main(int argc, char **argv)
{
    struct floor_conf f = { .count = 5000, .size = 4096 };
    long port = 0;
    int c, one = 1;

    usage_std(argc, argv, "popfloor", usage);
    opterr = 0;
    while ((c = getopt(argc, argv, ":p:n:s:")) != -1) {
        switch (c) {
        case 'p': port = number(c, optarg, 65535); break;
        case 'n': f.count = number(c, optarg, COUNT_MAX); break;
        case 's': f.size = number(c, optarg, SIZE_MAX_BYTES); break;
        default: usage_getopt("popfloor", c, argv, usage);
        }
    }
    if (!port)
        usage_misuse("popfloor", usage, "-p PORT is required");
    if (optind != argc)
        usage_misuse("popfloor", usage, "no operands wanted, got '%s'",
                     argv[optind]);
    if (f.size < 2)
        usage_misuse("popfloor", usage, "-s wants at least 2 octets");
    f.retr = make_retr(f.size);
    f.list = make_listing(f.count, f.size, 0);
    f.uidl = make_listing(f.count, f.size, 1);
    snprintf(f.stat, sizeof f.stat, "+OK %ld %ld\r\n", f.count,
             f.count * f.size);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ls < 0)
        die("socket");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 16) < 0)
        die("bind");
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        /* As popkit and Dovecot do: no Nagle delay on small answers. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        serve(fd, &f);
        close(fd);
    }
}
