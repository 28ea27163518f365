/* SPDX-License-Identifier: ISC */
/*
 * tlsload -- POP3 load over TLS (and, for the baseline, without), for
 * bench/tls-run.  The same client code does both, so the difference
 * between the figures is what TLS costs.
 *
 *   session  whole sessions in a loop: connect, [TLS handshake | STLS and
 *            handshake], greeting, USER, PASS, STAT, QUIT.  sessions/s.
 *   retr     one session per client: LIST, then RETR of every message,
 *            each read to its end before the next.  MB/s (10^6 bytes).
 *
 * Only 127.0.0.1.  Output: "key value" lines for the runner to parse.
 * The certificate is not verified unless -C names a CA file: this is a
 * load generator, the tests check verification.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "exitcode.h"
#include "usage.h"

/* Every loop is bounded by one of these. */
#define MAX_CLIENTS 256
#define MAX_SECONDS 3600
#define MAX_MESSAGES 1000000
/* Large, so a 50 MB RETR costs few reads. */
#define RBUF_SIZE (256 * 1024)
#define LINE_MAX_LEN 4096
/* A stuck server fails the run instead of hanging it. */
#define IO_TIMEOUT 30

enum tls_mode { TLS_NONE, TLS_IMPLICIT, TLS_STLS };

static struct {
    int port, clients, retr;
    enum tls_mode tls;
    double seconds;
    const char *user, *pass, *cafile;
} opt = { .clients = 1, .seconds = 5, .user = "bench1@bench.invalid",
          .pass = "bench" };

static SSL_CTX *ctx;
static double deadline;
static atomic_long total_sessions, total_errors, total_retrs;
static atomic_ullong total_bytes;

struct conn {
    int fd;
    SSL *ssl;
    size_t start, end;
    char buf[RBUF_SIZE];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char usage[] =
"usage: tlsload -p PORT [-m session|retr] [-s | -S] [-c CLIENTS] [-t SECONDS]\n"
"               [-u USER] [-w PASS] [-C CAFILE]\n"
"  POP3 load on 127.0.0.1:PORT: -s implicit TLS, -S STLS, neither: plain.\n"
"  session: whole sessions for SECONDS (default 5); retr: one session a\n"
"  client, RETR of every message.\n";

static int conn_open(struct conn *c)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)opt.port) };
    struct timeval tv = { .tv_sec = IO_TIMEOUT };
    int one = 1;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->ssl = NULL;
    c->start = c->end = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;   /* fd stays -1 */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static int conn_tls(struct conn *c)
{
    c->ssl = SSL_new(ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)
        || !SSL_set_tlsext_host_name(c->ssl, "localhost"))
        return -1;
    if (SSL_connect(c->ssl) != 1) {
        ERR_clear_error();
        return -1;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    close(c->fd);
}

static ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, (int)n);
        return r > 0 ? r : -1;
    }
    ssize_t r = read(c->fd, buf, n);
    return r > 0 ? r : -1;
}

static int conn_write(struct conn *c, const char *s)
{
    size_t n = strlen(s);
    if (c->ssl)
        return SSL_write(c->ssl, s, (int)n) == (int)n ? 0 : -1;
    return write(c->fd, s, n) == (ssize_t)n ? 0 : -1;
}

/* The next line without its CRLF into line (truncated to LINE_MAX_LEN);
 * returns its length on the wire, or -1. */
static ssize_t conn_line(struct conn *c, char *line)
{
    for (;;) {
        char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
        if (nl) {
            size_t len = (size_t)(nl - (c->buf + c->start)) + 1;
            size_t keep = len < LINE_MAX_LEN ? len : LINE_MAX_LEN - 1;
            memcpy(line, c->buf + c->start, keep);
            while (keep > 0 && (line[keep - 1] == '\n'
                                || line[keep - 1] == '\r'))
                keep--;
            line[keep] = '\0';
            c->start += len;
            return (ssize_t)len;
        }
        if (c->start > 0) {
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        }
        if (c->end == sizeof c->buf)
            c->end = 0;            /* an absurd line: drop it */
        ssize_t r = conn_read(c, c->buf + c->end, sizeof c->buf - c->end);
        if (r < 0)
            return -1;
        c->end += (size_t)r;
    }
}

static int command(struct conn *c, const char *cmd, char *line)
{
    if (cmd && conn_write(c, cmd) < 0)
        return -1;
    if (conn_line(c, line) < 0 || strncmp(line, "+OK", 3) != 0)
        return -1;
    return 0;
}

/* Connect, secure as asked, log in. */
static int session_start(struct conn *c, char *line)
{
    char cmd[600];
    if (conn_open(c) < 0)
        return -1;
    if (opt.tls == TLS_IMPLICIT && conn_tls(c) < 0)
        return -1;
    if (command(c, NULL, line) < 0)
        return -1;
    if (opt.tls == TLS_STLS) {
        if (command(c, "STLS\r\n", line) < 0 || conn_tls(c) < 0)
            return -1;
    }
    snprintf(cmd, sizeof cmd, "USER %s\r\n", opt.user);
    if (command(c, cmd, line) < 0)
        return -1;
    snprintf(cmd, sizeof cmd, "PASS %s\r\n", opt.pass);
    return command(c, cmd, line);
}

static int one_session(struct conn *c, char *line)
{
    int rc = session_start(c, line) < 0 || command(c, "STAT\r\n", line) < 0
             || command(c, "QUIT\r\n", line) < 0 ? -1 : 0;
    if (c->fd >= 0)
        conn_close(c);
    return rc;
}

/* Read a multi-line answer to its end; octets of its lines. */
static long long multiline(struct conn *c, char *line)
{
    long long bytes = 0;
    for (;;) {
        ssize_t n = conn_line(c, line);
        if (n < 0)
            return -1;
        if (strcmp(line, ".") == 0)
            return bytes;
        bytes += n;
    }
}

static int retr_all(struct conn *c, char *line)
{
    char cmd[64];
    long n = 0;
    c->fd = -1;
    if (session_start(c, line) < 0 || command(c, "STAT\r\n", line) < 0
        || sscanf(line, "+OK %ld", &n) != 1 || n < 0 || n > MAX_MESSAGES) {
        if (c->fd >= 0)
            conn_close(c);
        return -1;
    }
    for (long i = 1; i <= n && now() < deadline; i++) {
        snprintf(cmd, sizeof cmd, "RETR %ld\r\n", i);
        long long b;
        if (command(c, cmd, line) < 0 || (b = multiline(c, line)) < 0) {
            conn_close(c);
            return -1;
        }
        atomic_fetch_add(&total_bytes, (unsigned long long)b);
        atomic_fetch_add(&total_retrs, 1);
    }
    command(c, "QUIT\r\n", line);
    conn_close(c);
    return 0;
}

static void *client(void *arg)
{
    struct conn *c = malloc(sizeof *c);
    char *line = malloc(LINE_MAX_LEN);
    (void)arg;
    if (!c || !line)
        abort();
    if (opt.retr) {
        if (retr_all(c, line) < 0)
            atomic_fetch_add(&total_errors, 1);
    } else {
        while (now() < deadline) {
            c->fd = -1;
            if (one_session(c, line) == 0)
                atomic_fetch_add(&total_sessions, 1);
            else if (atomic_fetch_add(&total_errors, 1) > 100)
                break;
        }
    }
    free(line);
    free(c);
    return NULL;
}

/* The value of option -o, a whole number in [lo, hi]; else misuse. */
static int whole(int o, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        usage_misuse("tlsload", usage, "-%c wants a number from %ld to %ld",
                     o, lo, hi);
    return (int)v;
}

/* Parse argv into opt; a misuse exits 2 (lib/usage). */
static void parse_args(int argc, char **argv)
{
    int o;
    char *end;
    usage_std(argc, argv, "tlsload", usage);
    opterr = 0;
    while ((o = getopt(argc, argv, ":p:m:sSc:t:u:w:C:")) != -1) {
        switch (o) {
        case 'p': opt.port = whole(o, optarg, 1, 65535); break;
        case 'm': if (strcmp(optarg, "retr") == 0) opt.retr = 1;
                  else if (strcmp(optarg, "session") != 0)
                      usage_misuse("tlsload", usage, "unknown mode %s", optarg);
                  break;
        case 's': opt.tls = TLS_IMPLICIT; break;
        case 'S': opt.tls = TLS_STLS; break;
        case 'c': opt.clients = whole(o, optarg, 1, MAX_CLIENTS); break;
        case 't': opt.seconds = strtod(optarg, &end);
                  if (*end || !(opt.seconds > 0) || opt.seconds > MAX_SECONDS)
                      usage_misuse("tlsload", usage, "-t wants seconds in "
                                   "(0, %d]", MAX_SECONDS);
                  break;
        case 'u': opt.user = optarg; break;
        case 'w': opt.pass = optarg; break;
        case 'C': opt.cafile = optarg; break;
        default: usage_getopt("tlsload", o, argv, usage);
        }
    }
    if (optind != argc)
        usage_misuse("tlsload", usage, "unexpected argument %s", argv[optind]);
    if (!opt.port)
        usage_misuse("tlsload", usage, "-p PORT is required");
}

int main(int argc, char **argv)
{
    pthread_t th[MAX_CLIENTS];
    parse_args(argc, argv);
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (opt.cafile) {
        if (SSL_CTX_load_verify_locations(ctx, opt.cafile, NULL) != 1) {
            fprintf(stderr, "tlsload: cannot load %s\n", opt.cafile);
            return 2;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    double start = now();
    deadline = start + opt.seconds;
    for (int i = 0; i < opt.clients; i++)
        if (pthread_create(&th[i], NULL, client, NULL) != 0) {
            fprintf(stderr, "tlsload: cannot start client %d\n", i);
            return EXIT_TEMP;
        }
    for (int i = 0; i < opt.clients; i++)
        pthread_join(th[i], NULL);
    double took = now() - start;
    printf("seconds %.3f\n", took);
    printf("errors %ld\n", atomic_load(&total_errors));
    if (opt.retr) {
        unsigned long long b = atomic_load(&total_bytes);
        printf("retrs %ld\nbytes %llu\nmb_per_s %.1f\n",
               atomic_load(&total_retrs), b, b / 1e6 / took);
    } else {
        long s = atomic_load(&total_sessions);
        printf("sessions %ld\nsessions_per_s %.1f\n", s, s / took);
    }
    SSL_CTX_free(ctx);
    return atomic_load(&total_errors) ? 1 : 0;
}
