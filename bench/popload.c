/* SPDX-License-Identifier: ISC */
/*
 * popload -- a POP3 load generator for the benchmark (bench/run).
 *
 * N client threads, each with its own blocking socket to 127.0.0.1 (only
 * loopback: the tool takes a port, never a host), bounded by a session
 * count and a wall-clock time.  Modes:
 *
 *   session  whole sessions in a loop: connect, greeting, USER, PASS, STAT,
 *            optionally UIDL and LIST (-L) and RETR of the first N (-r),
 *            QUIT.  Reports sessions/s and latency percentiles.
 *   retr     one session per client: LIST, then RETR of every message one
 *            after another, each answer read before the next command.
 *   pipe     the same, with up to WINDOW RETR commands in flight.
 *   copy     no POP3: the baseline.  A thread serves FILE over a loopback
 *            socket with a plain read/write loop, the main thread reads it
 *            to EOF.  Reports MB/s.
 *
 * Output is one "key value..." line per figure, for bench/run to parse.
 * MB means 10^6 bytes; latencies are in milliseconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "usage.h"

/* ---- limits: every loop here is bounded by one of these ---- */

/* Client threads: more than a 2-core loopback test can use. */
#define MAX_CLIENTS 256
/* Sessions in one run (session mode). */
#define MAX_SESSIONS 10000000L
/* Seconds in one run. */
#define MAX_SECONDS 3600
/* RETR commands in flight in pipe mode; 1024 short commands still fit in
 * any socket send buffer, so writing them never blocks on our own reads. */
#define MAX_WINDOW 1024
/* Passes over the maildrop in retr/pipe mode (and over FILE in copy
 * mode): enough to make a one-message transfer last long enough to time. */
#define MAX_PASSES 1000
/* Messages one session may list (LIST answer lines kept). */
#define MAX_MESSAGES 2000000
/* Latency samples kept per figure per thread; beyond this the rest are
 * dropped (the counts stay exact). */
#define MAX_SAMPLES 1000000
/* Receive buffer per connection: large, so a 50 MB RETR costs few reads. */
#define RBUF_SIZE (256 * 1024)
/* A status or listing line longer than this is a protocol error. */
#define LINE_MAX_LEN 4096
/* Socket timeout: a stuck server fails the run instead of hanging it. */
#define IO_TIMEOUT_DEFAULT 30
/* Consecutive failed sessions after which a client gives up. */
#define MAX_CONSEC_ERRORS 50

enum mode { MODE_SESSION, MODE_RETR, MODE_PIPE, MODE_COPY };
enum lat { LAT_GREET, LAT_PASS_STAT, LAT_PASS_UIDL, LAT_PASS_LIST,
           LAT_PASS_RETR, LAT_SESSION, LAT_RETR, LAT_COUNT };
static const char *const lat_name[LAT_COUNT] = {
    "greet", "pass_stat", "pass_uidl", "pass_list", "pass_retr", "session",
    "retr" };

struct options {
    enum mode mode;
    int port, clients, nusers, nretr, list, window, hold, timeout, passes;
    long sessions;
    double seconds;
    const char *user, *pass, *file;
};

struct samples { double *v; size_t n, cap; };

struct client {
    int id;
    pthread_t th;
    /* connection */
    int fd;
    char *buf;
    size_t start, end;
    int bol;
    /* results */
    long sessions, errors, consec_errors, retrs, size_mismatch;
    uint64_t bytes;
    struct samples lat[LAT_COUNT];
    char err[200];
    /* LIST sizes of the current session (retr/pipe modes) */
    long *sizes;
    long nmsg, sizes_cap;
};

static struct options opt;
static double t_start, t_deadline;
static atomic_long sessions_left;
static atomic_int stop_all;

static const char usage[] =
"usage: popload -p PORT [-m session|retr|pipe] [-c CLIENTS] [-n SESSIONS]\n"
"               [-t SECONDS] [-u USER] [-w PASS] [-k NUSERS] [-r NRETR] [-L]\n"
"               [-W WINDOW] [-T TIMEOUT] [-P PASSES] [-H]\n"
"       popload -m copy -f FILE [-P PASSES]\n"
"  Load a POP3 server on 127.0.0.1:PORT.  USER may hold %d, replaced by\n"
"  1 + client index mod NUSERS (default user bench%d, password bench).\n"
"  -n bounds the sessions (default 100), -t the seconds (default 10).\n"
"  -L adds UIDL and LIST to each session, -r N RETRs the first N messages.\n"
"  retr and pipe modes RETR every message PASSES times (default 1).\n"
"  -H holds each session before QUIT: prints 'HOLD port=N' and waits for a\n"
"  line on standard input.\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* popload's own CPU seconds: if they near the elapsed time, the client,
 * not the server, is what was measured. */
static double own_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > MAX_SECONDS)
        return -1;
    *out = v;
    return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
    static const char *const names[] = { "session", "retr", "pipe", "copy" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *m = (enum mode)i;
            return 0;
        }
    return -1;
}

/* Parse argv into opt; a misuse exits 2 (lib/usage). */
static void parse_args(int argc, char **argv)
{
    long v;
    int c;
    opt = (struct options){ .mode = MODE_SESSION, .clients = 1, .nusers = 1,
        .window = 32, .timeout = IO_TIMEOUT_DEFAULT, .sessions = 100,
        .seconds = 10, .user = "bench%d", .pass = "bench", .passes = 1 };
    usage_std(argc, argv, "popload", usage);
#define NUM(lo, hi, dst) do { if (parse_long(optarg, lo, hi, &v)) \
        usage_misuse("popload", usage, "-%c: want a number in %ld..%ld", c, \
                     (long)(lo), (long)(hi)); dst = v; } while (0)
    opterr = 0;
    while ((c = getopt(argc, argv, ":p:m:c:n:t:u:w:k:r:LW:T:P:Hf:h")) != -1) {
        switch (c) {
        case 'p': NUM(1, 65535, opt.port); break;
        case 'm':
            if (parse_mode(optarg, &opt.mode))
                usage_misuse("popload", usage, "unknown mode %s", optarg);
            break;
        case 'c': NUM(1, MAX_CLIENTS, opt.clients); break;
        case 'n': NUM(1, MAX_SESSIONS, opt.sessions); break;
        case 't':
            if (parse_seconds(optarg, &opt.seconds))
                usage_misuse("popload", usage, "-t: want seconds in (0, %d]",
                             MAX_SECONDS);
            break;
        case 'u': opt.user = optarg; break;
        case 'w': opt.pass = optarg; break;
        case 'k': NUM(1, MAX_CLIENTS, opt.nusers); break;
        case 'r': NUM(0, MAX_MESSAGES, opt.nretr); break;
        case 'L': opt.list = 1; break;
        case 'W': NUM(1, MAX_WINDOW, opt.window); break;
        case 'T': NUM(1, MAX_SECONDS, opt.timeout); break;
        case 'P': NUM(1, MAX_PASSES, opt.passes); break;
        case 'H': opt.hold = 1; break;
        case 'f': opt.file = optarg; break;
        case 'h': usage_help(usage);
        default: usage_getopt("popload", c, argv, usage);
        }
    }
#undef NUM
    if (optind != argc)
        usage_misuse("popload", usage, "unexpected argument %s", argv[optind]);
    if (opt.mode == MODE_COPY ? !opt.file : !opt.port)
        usage_misuse("popload", usage, "%s", opt.mode == MODE_COPY ?
                     "copy mode needs -f FILE" : "-p PORT is required");
}

/* ---- samples and percentiles ---- */

static void sample_add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        if (s->cap >= MAX_SAMPLES)
            return;
        size_t cap = s->cap ? s->cap * 2 : 1024;
        double *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const struct samples *s, double p)
{
    size_t i = (size_t)(p / 100.0 * (s->n - 1) + 0.5);
    return s->v[i < s->n ? i : s->n - 1];
}

static void report_latency(const char *name, struct samples *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    printf("lat_%s n=%zu min=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f\n",
           name, s->n, s->v[0] * 1e3, pct(s, 50) * 1e3, pct(s, 90) * 1e3,
           pct(s, 99) * 1e3, s->v[s->n - 1] * 1e3);
}

/* ---- connection I/O ---- */

static int fail(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int conn_open(struct client *c)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
        .sin_port = htons((uint16_t)opt.port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct timeval tv = { .tv_sec = opt.timeout };
    int one = 1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail(c, "socket: %s", strerror(errno));
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->start = c->end = 0;
    c->bol = 1;
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return fail(c, "connect: %s", strerror(errno));
    return 0;
}

static void conn_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int send_all(struct client *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(c->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(c, "write: %s", w < 0 ? strerror(errno) : "closed");
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read more into the buffer, moving unread bytes to its front first when
 * the tail is full.  -1 on EOF, error or timeout. */
static int fill(struct client *c)
{
    if (c->end == RBUF_SIZE) {
        if (c->start == 0)
            return fail(c, "line too long");
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->end, RBUF_SIZE - c->end);
        if (r > 0) {
            c->end += (size_t)r;
            return 0;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return fail(c, "read: %s", r < 0 ? strerror(errno) : "server closed");
    }
}

/* One line without its CRLF into line (NUL-terminated). */
static int read_line(struct client *c, char *line, size_t size)
{
    for (;;) {
        char *p = memchr(c->buf + c->start, '\n', c->end - c->start);
        if (p) {
            size_t n = (size_t)(p - (c->buf + c->start));
            size_t keep = n;
            if (keep > 0 && c->buf[c->start + keep - 1] == '\r')
                keep--;
            if (keep >= size)
                return fail(c, "response line too long");
            memcpy(line, c->buf + c->start, keep);
            line[keep] = '\0';
            c->start += n + 1;
            return 0;
        }
        if (c->end - c->start > LINE_MAX_LEN)
            return fail(c, "response line too long");
        if (fill(c))
            return -1;
    }
}

/* A status line; 0 for +OK, -1 (with the line as error) otherwise. */
static int read_status(struct client *c, const char *what)
{
    char line[LINE_MAX_LEN + 1];
    if (read_line(c, line, sizeof line))
        return -1;
    if (strncmp(line, "+OK", 3) != 0)
        return fail(c, "%s: %.150s", what, line);
    return 0;
}

/* The next dot that starts a line in b[0..n), or NULL.  b[0] itself is
 * never one (the caller handles a line start at b).  Dots are rare in
 * mail next to line ends, so memchr on '.' skips most of the text at
 * memory speed: the client must not be what limits a fast server. */
static char *next_line_dot(char *b, size_t n)
{
    char *p = b + 1, *end = b + n;
    while (p < end && (p = memchr(p, '.', (size_t)(end - p))) != NULL) {
        if (p[-1] == '\n')
            return p;
        p++;
    }
    return NULL;
}

/* Skip a multi-line body up to and including its ".CRLF" terminator,
 * counting its wire bytes and the stuffed dots. */
static int skip_multiline(struct client *c, uint64_t *wire, uint64_t *dots)
{
    for (;;) {
        size_t avail = c->end - c->start;
        char *b = c->buf + c->start;
        if (avail == 0 || (c->bol && b[0] == '.' && avail < 3)) {
            if (fill(c))
                return -1;
            continue;
        }
        if (c->bol && b[0] == '.') {
            if (b[1] == '\n' || (b[1] == '\r' && b[2] == '\n')) {
                c->start += b[1] == '\n' ? 2 : 3;
                return 0;
            }
            (*dots)++;
        }
        char *p = next_line_dot(b, avail);
        size_t n = p ? (size_t)(p - b) : avail;
        c->bol = p ? 1 : b[avail - 1] == '\n';
        c->start += n;
        *wire += n;
    }
}

/* Read a multi-line listing ("N value" lines) of LIST or UIDL; with
 * keep_sizes the LIST sizes are stored by message number. */
static int read_listing(struct client *c, int keep_sizes)
{
    char line[LINE_MAX_LEN + 1];
    long count = 0;
    for (;;) {
        if (read_line(c, line, sizeof line))
            return -1;
        if (line[0] == '.' && line[1] == '\0')
            break;
        if (++count > MAX_MESSAGES)
            return fail(c, "listing too long");
        if (!keep_sizes)
            continue;
        long num, size;
        if (sscanf(line, "%ld %ld", &num, &size) != 2 || num != count)
            return fail(c, "bad LIST line: %.100s", line);
        if (count > c->sizes_cap) {
            long cap = c->sizes_cap ? c->sizes_cap * 2 : 4096;
            long *ns = realloc(c->sizes, (size_t)cap * sizeof *ns);
            if (!ns)
                return fail(c, "out of memory");
            c->sizes = ns;
            c->sizes_cap = cap;
        }
        c->sizes[count - 1] = size;
    }
    if (keep_sizes)
        c->nmsg = count;
    return 0;
}

static int command(struct client *c, const char *cmd, const char *arg)
{
    char line[LINE_MAX_LEN];
    int n = snprintf(line, sizeof line, "%s%s%s\r\n", cmd, arg ? " " : "",
                     arg ? arg : "");
    if (n < 0 || (size_t)n >= sizeof line)
        return fail(c, "command too long");
    if (send_all(c, line, (size_t)n))
        return -1;
    return read_status(c, cmd);
}

/* USER with %d replaced by the client's user number. */
static void user_name(const struct client *c, char *out, size_t size)
{
    const char *pct_d = strstr(opt.user, "%d");
    if (!pct_d) {
        snprintf(out, size, "%s", opt.user);
        return;
    }
    snprintf(out, size, "%.*s%d%s", (int)(pct_d - opt.user), opt.user,
             1 + c->id % opt.nusers, pct_d + 2);
}

/* Connect and log in; records greeting latency, returns PASS's send time. */
static int login(struct client *c, double *t_pass)
{
    char user[256];
    double t0 = now();
    if (conn_open(c) || read_status(c, "greeting"))
        return -1;
    sample_add(&c->lat[LAT_GREET], now() - t0);
    user_name(c, user, sizeof user);
    if (command(c, "USER", user))
        return -1;
    *t_pass = now();
    return command(c, "PASS", opt.pass);
}

/* Print HOLD and wait for a line on stdin (bench/run reads /proc now). */
static void hold(struct client *c)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    char line[64];
    getsockname(c->fd, (struct sockaddr *)&sa, &len);
    printf("HOLD port=%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        return;
}

static int retr_one(struct client *c, long i)
{
    char num[24];
    uint64_t wire = 0, dots = 0;
    snprintf(num, sizeof num, "%ld", i);
    if (command(c, "RETR", num) || skip_multiline(c, &wire, &dots))
        return -1;
    c->retrs++;
    c->bytes += wire;
    return 0;
}

/* QUIT, then wait for the server to close: the session is over only
 * when the server has finished with it (released its lock, exited), or a
 * client reconnecting at once could find the maildrop still in use. */
static int quit(struct client *c)
{
    if (command(c, "QUIT", NULL))
        return -1;
    c->start = c->end = 0;
    for (int i = 0; i < 1000; i++) {        /* bounded; reads time out */
        ssize_t r = read(c->fd, c->buf, RBUF_SIZE);
        if (r == 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return fail(c, "after QUIT: %s", strerror(errno));
    }
    return fail(c, "after QUIT: server kept sending");
}

/* connect .. QUIT once. */
static int one_session(struct client *c)
{
    double t_pass, t0 = now();
    if (login(c, &t_pass) || command(c, "STAT", NULL))
        return -1;
    sample_add(&c->lat[LAT_PASS_STAT], now() - t_pass);
    if (opt.list) {
        if (command(c, "UIDL", NULL) || read_listing(c, 0))
            return -1;
        sample_add(&c->lat[LAT_PASS_UIDL], now() - t_pass);
        if (command(c, "LIST", NULL) || read_listing(c, 0))
            return -1;
        sample_add(&c->lat[LAT_PASS_LIST], now() - t_pass);
    }
    for (long i = 1; i <= opt.nretr; i++) {
        if (retr_one(c, i))
            return -1;
        /* A first message in hand: what a fetching user waits for. */
        if (i == 1)
            sample_add(&c->lat[LAT_PASS_RETR], now() - t_pass);
    }
    if (opt.hold)
        hold(c);
    if (quit(c))
        return -1;
    sample_add(&c->lat[LAT_SESSION], now() - t0);
    return 0;
}

/* RETR a message whose LIST size is known, checking the octet count:
 * body bytes on the wire less stuffed dots must equal the LIST size. */
static int read_retr_answer(struct client *c, long i)
{
    uint64_t wire = 0, dots = 0;
    if (read_status(c, "RETR") || skip_multiline(c, &wire, &dots))
        return -1;
    if ((long)(wire - dots) != c->sizes[i - 1])
        c->size_mismatch++;
    c->retrs++;
    c->bytes += wire;
    return 0;
}

/* The message the k-th RETR (from 1) of a multi-pass session asks for. */
static long retr_msg(const struct client *c, long k)
{
    return (k - 1) % c->nmsg + 1;
}

static int send_retrs(struct client *c, long from, long to)
{
    char cmds[MAX_WINDOW * 20];
    size_t n = 0;
    for (long k = from; k <= to; k++)
        n += (size_t)snprintf(cmds + n, sizeof cmds - n, "RETR %ld\r\n",
                              retr_msg(c, k));
    return send_all(c, cmds, n);
}

/* One session RETR-ing every message, window 1 (retr) or opt.window. */
static int retr_session(struct client *c)
{
    double t_pass, t0;
    long window = opt.mode == MODE_PIPE ? opt.window : 1;
    if (login(c, &t_pass) || command(c, "LIST", NULL) || read_listing(c, 1))
        return -1;
    sample_add(&c->lat[LAT_PASS_LIST], now() - t_pass);
    long sent = 0, done = 0, last = c->nmsg * opt.passes;
    t0 = now();
    while (done < last) {
        if (sent < last && sent - done <= window / 2) {
            long to = done + window < last ? done + window : last;
            if (atomic_load(&stop_all) || now() > t_deadline)
                last = to = sent;       /* time is up: drain what's sent */
            if (to > sent && send_retrs(c, sent + 1, to))
                return -1;
            sent = to;
            if (done >= last)
                break;
        }
        double t1 = now();
        if (read_retr_answer(c, retr_msg(c, done + 1)))
            return -1;
        done++;
        if (window == 1)
            sample_add(&c->lat[LAT_RETR], now() - t1);
    }
    sample_add(&c->lat[LAT_SESSION], now() - t0);
    return quit(c);
}

static int time_is_up(void)
{
    return atomic_load(&stop_all) || now() >= t_deadline;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    c->buf = malloc(RBUF_SIZE);
    c->fd = -1;
    if (!c->buf) {
        c->errors++;
        snprintf(c->err, sizeof c->err, "out of memory");
        return NULL;
    }
    while (!time_is_up()) {
        if (atomic_fetch_sub(&sessions_left, 1) <= 0)
            break;
        int r = opt.mode == MODE_SESSION ? one_session(c) : retr_session(c);
        conn_close(c);
        if (r == 0) {
            c->sessions++;
            c->consec_errors = 0;
        } else {
            c->errors++;
            if (++c->consec_errors >= MAX_CONSEC_ERRORS)
                break;
        }
        if (opt.mode != MODE_SESSION)
            break;
    }
    free(c->buf);
    return NULL;
}

/* ---- copy mode: the loopback baseline ---- */

struct copy_server { int lfd, filefd; long long bytes; int err; };

static void *copy_serve(void *arg)
{
    struct copy_server *s = arg;
    static char buf[65536];
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) {
        s->err = errno;
        return NULL;
    }
    for (int pass = 0; pass < opt.passes;) {
        ssize_t r = read(s->filefd, buf, sizeof buf);
        if (r == 0) {
            pass++;
            lseek(s->filefd, 0, SEEK_SET);
            continue;
        }
        if (r < 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(fd, buf + off, (size_t)(r - off));
            if (w <= 0) {
                s->err = errno;
                close(fd);
                return NULL;
            }
            off += w;
        }
        s->bytes += r;
    }
    close(fd);
    return NULL;
}

static int copy_mode(void)
{
    struct copy_server s = { .lfd = -1 };
    struct sockaddr_in sa = { .sin_family = AF_INET,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    pthread_t th;
    struct client c = { .fd = -1 };
    uint64_t got = 0;
    s.filefd = open(opt.file, O_RDONLY | O_CLOEXEC);
    s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.filefd < 0 || s.lfd < 0 ||
        bind(s.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(s.lfd, 1) < 0 ||
        getsockname(s.lfd, (struct sockaddr *)&sa, &len) < 0) {
        fprintf(stderr, "popload: copy: %s: %s\n", opt.file, strerror(errno));
        return 1;
    }
    opt.port = ntohs(sa.sin_port);
    c.buf = malloc(RBUF_SIZE);
    if (!c.buf || pthread_create(&th, NULL, copy_serve, &s)) {
        fprintf(stderr, "popload: copy: cannot start\n");
        free(c.buf);
        return 1;
    }
    double t0 = now();
    if (conn_open(&c) == 0) {
        for (;;) {      /* bounded by the file's size and the socket timeout */
            ssize_t r = read(c.fd, c.buf, RBUF_SIZE);
            if (r <= 0)
                break;
            got += (uint64_t)r;
        }
    }
    double el = now() - t0;
    conn_close(&c);
    pthread_join(th, NULL);
    close(s.lfd);
    close(s.filefd);
    free(c.buf);
    printf("mode copy bytes=%" PRIu64 " elapsed=%.6f mb_per_s=%.2f "
           "client_cpu=%.3f\n", got, el, got / el / 1e6, own_cpu());
    if (s.err || (long long)got != s.bytes) {
        fprintf(stderr, "popload: copy: short transfer\n");
        return 1;
    }
    return 0;
}

/* ---- report ---- */


static int report(struct client *cl, double elapsed)
{
    static const char *const mname[] = { "session", "retr", "pipe", "copy" };
    long sessions = 0, errors = 0, retrs = 0, mism = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < opt.clients; i++) {
        sessions += cl[i].sessions;
        errors += cl[i].errors;
        retrs += cl[i].retrs;
        mism += cl[i].size_mismatch;
        bytes += cl[i].bytes;
        if (cl[i].err[0])
            fprintf(stderr, "popload: client %d: %s\n", i, cl[i].err);
    }
    printf("mode %s clients=%d sessions=%ld errors=%ld elapsed=%.6f "
           "sessions_per_s=%.2f client_cpu=%.3f\n", mname[opt.mode],
           opt.clients, sessions, errors, elapsed, sessions / elapsed,
           own_cpu());
    if (retrs) {
        /* Throughput over the RETR phase only: the sum of each client's
         * RETR time would double-count overlap, so use the slowest. */
        double span = 0;
        for (int i = 0; i < opt.clients; i++)
            for (size_t k = 0; k < cl[i].lat[LAT_SESSION].n; k++)
                if (cl[i].lat[LAT_SESSION].v[k] > span)
                    span = cl[i].lat[LAT_SESSION].v[k];
        if (opt.mode == MODE_SESSION || span <= 0)
            span = elapsed;
        printf("retr count=%ld bytes=%" PRIu64 " retr_per_s=%.2f "
               "mb_per_s=%.2f size_mismatch=%ld\n", retrs, bytes,
               retrs / span, bytes / span / 1e6, mism);
    }
    for (int l = 0; l < LAT_COUNT; l++) {
        struct samples all = { 0 };
        for (int i = 0; i < opt.clients; i++)
            for (size_t k = 0; k < cl[i].lat[l].n; k++)
                sample_add(&all, cl[i].lat[l].v[k]);
        report_latency(lat_name[l], &all);
        free(all.v);
    }
    return errors || mism ? 1 : 0;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (opt.mode == MODE_COPY)
        return copy_mode();
    struct client *cl = calloc((size_t)opt.clients, sizeof *cl);
    if (!cl) {
        fprintf(stderr, "popload: out of memory\n");
        return 1;
    }
    atomic_store(&sessions_left, opt.mode == MODE_SESSION ? opt.sessions
                                                          : opt.clients);
    t_start = now();
    t_deadline = t_start + opt.seconds;
    int started = 0;
    for (int i = 0; i < opt.clients; i++) {
        cl[i].id = i;
        if (pthread_create(&cl[i].th, NULL, client_main, &cl[i]) != 0) {
            fprintf(stderr, "popload: cannot start client %d\n", i);
            atomic_store(&stop_all, 1);
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(cl[i].th, NULL);
    int r = report(cl, now() - t_start);
    for (int i = 0; i < opt.clients; i++) {
        for (int l = 0; l < LAT_COUNT; l++)
            free(cl[i].lat[l].v);
        free(cl[i].sizes);
    }
    free(cl);
    return started == opt.clients ? r : 1;
}
