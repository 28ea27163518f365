/* SPDX-License-Identifier: ISC */
/*
 * mdfloor.c -- the least work a Maildir delivery can do, as a yardstick
 * for bench/run's delivery figures (never installed, never a delivery
 * agent).
 *
 * Each message is the Maildir protocol and nothing else: an O_EXCL
 * create of a unique name in tmp/, one write of SIZE octets made at
 * start-up, fsync of the file, link() into new/, fsync of new/ (kept
 * open, so not even an open a message), unlink of the tmp/ name.  No
 * network, no parsing, no header, no quota, no fork.  What it measures is
 * what the disk and the kernel allow for one durable message, which no
 * delivery agent that keeps the protocol can go above: bench/run reports
 * it beside popkit-lmtpd's and Dovecot's LMTP figures.
 *
 * With several MAILDIRs the messages go to them in turn; with -c the
 * COUNT messages are split among WRITERS processes writing at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "usage.h"

#define COUNT_MAX 10000000L
#define SIZE_MAX_BYTES (1L << 24)
#define WRITERS_MAX 64L
#define MAILDIRS_MAX 10000

static const char usage[] =
    "usage: mdfloor [-n COUNT] [-s SIZE] [-c WRITERS] MAILDIR...\n"
    "  Deliver COUNT (default 1000) messages of SIZE octets (default\n"
    "  4096) into the MAILDIRs in turn (tmp/ new/ cur/ made when\n"
    "  missing) with nothing but the Maildir protocol: O_EXCL create in\n"
    "  tmp/, write, fsync, link into new/, fsync new/, unlink tmp/.\n"
    "  WRITERS (default 1) processes share the COUNT.  Prints messages/s:\n"
    "  the floor a delivery benchmark measures servers against.\n";

static void die(const char *what, const char *path)
{
    fprintf(stderr, "mdfloor: %s %s: %s\n", what, path, strerror(errno));
    exit(EXIT_TEMP);
}

/* One Maildir: its path, and new/ open for the fsync a message. */
struct maildir {
    const char *path;
    int newfd;
};

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        die("mkdir", path);
}

static void open_maildir(struct maildir *m, const char *path)
{
    char sub[PATH_MAX];
    static const char *const subs[] = { "tmp", "new", "cur" };
    m->path = path;
    make_dir(path);
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        snprintf(sub, sizeof sub, "%s/%s", path, subs[i]);
        make_dir(sub);
    }
    snprintf(sub, sizeof sub, "%s/new", path);
    m->newfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->newfd < 0)
        die("open", sub);
}

/* One message, the protocol's steps in the protocol's order. */
static void deliver_one(const struct maildir *m, const char *msg, size_t n,
                        unsigned long seq)
{
    char name[128], tmp[PATH_MAX], new[PATH_MAX];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(name, sizeof name, "%lld.M%06ldP%ldQ%lu.floor",
             (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), seq);
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", m->path, name);
    snprintf(new, sizeof new, "%s/new/%s,S=%zu", m->path, name, n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die("create", tmp);
    if (write(fd, msg, n) != (ssize_t)n)
        die("write", tmp);
    if (fsync(fd) < 0)
        die("fsync", tmp);
    close(fd);
    if (link(tmp, new) < 0)
        die("link", new);
    if (fsync(m->newfd) < 0)
        die("fsync", m->path);
    if (unlink(tmp) < 0)
        die("unlink", tmp);
}

/* SIZE octets of 'x' lines ending LF, as a message body. */
static char *make_message(size_t size)
{
    char *p = malloc(size);
    if (!p) {
        fprintf(stderr, "mdfloor: out of memory\n");
        exit(EXIT_TEMP);
    }
    memset(p, 'x', size);
    for (size_t i = 63; i < size; i += 64)
        p[i] = '\n';
    p[size - 1] = '\n';
    return p;
}

/* The value s of option -opt, from 1 to max; else misuse. */
static long number(int opt, const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        usage_misuse("mdfloor", usage, "-%c wants a number from 1 to %ld",
                     opt, max);
    return v;
}

/* Writer w of writers: its share of count, over the Maildirs in turn
 * starting at its own, so that writers spread when there are several. */
static void writer(struct maildir *mds, int nmd, long count, long w,
                   long writers, const char *msg, size_t size)
{
    long share = count / writers + (w < count % writers);
    for (long i = 0; i < share; i++)
        deliver_one(&mds[(w + i * writers) % nmd], msg, size,
                    (unsigned long)i);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the writers as child processes; 0 when all of them succeeded. */
static int run_writers(struct maildir *mds, int nmd, long count,
                       long writers, const char *msg, size_t size)
{
    int failed = 0;
    for (long w = 0; w < writers; w++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork", "writer");
        if (pid == 0) {
            writer(mds, nmd, count, w, writers, msg, size);
            _exit(0);
        }
    }
    for (long w = 0; w < writers; w++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            failed = 1;
    }
    return failed;
}

int main(int argc, char **argv)
{
    long count = 1000, size = 4096, writers = 1;
    int c;

    usage_std(argc, argv, "mdfloor", usage);
    opterr = 0;
    while ((c = getopt(argc, argv, ":n:s:c:")) != -1) {
        switch (c) {
        case 'n': count = number(c, optarg, COUNT_MAX); break;
        case 's': size = number(c, optarg, SIZE_MAX_BYTES); break;
        case 'c': writers = number(c, optarg, WRITERS_MAX); break;
        default: usage_getopt("mdfloor", c, argv, usage);
        }
    }
    int nmd = argc - optind;
    if (nmd < 1)
        usage_misuse("mdfloor", usage, "a MAILDIR is required");
    if (nmd > MAILDIRS_MAX)
        usage_misuse("mdfloor", usage, "at most %d MAILDIRs", MAILDIRS_MAX);
    struct maildir *mds = calloc((size_t)nmd, sizeof *mds);
    char *msg = make_message((size_t)size);
    if (!mds)
        die("calloc", "maildirs");
    for (int i = 0; i < nmd; i++)
        open_maildir(&mds[i], argv[optind + i]);

    double t0 = now();
    int failed = run_writers(mds, nmd, count, writers, msg, (size_t)size);
    double secs = now() - t0;
    free(msg);
    free(mds);
    if (failed) {
        fprintf(stderr, "mdfloor: a writer failed\n");
        return EXIT_TEMP;
    }
    printf("mdfloor messages=%ld size=%ld writers=%ld maildirs=%d "
           "seconds=%.3f msgs_per_s=%.1f\n", count, size, writers, nmd, secs,
           secs > 0 ? (double)count / secs : 0.0);
    return 0;
}
