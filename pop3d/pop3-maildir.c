/*
 * pop3-maildir MAILDIR -- stage 3 of popkit's POP3 service.
 *
 * Exec'd by stage 2 after a successful login, as the mail user, with the
 * client on fds 0 and 1 and the cwd at $HOME.  It answers the login
 * command itself (+OK, or -ERR [IN-USE] / [SYS/TEMP] / [SYS/PERM]), then
 * serves the TRANSACTION and UPDATE states (maildir_cmds.c).  Once it has
 * spoken it exits 0, so a non-zero exit always means stage 2 failed.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "log.h"
#include "maildir.h"
#include "maildir_session.h"
#include "params.h"
#include "util.h"

static const char usage[] =
    "usage: pop3-maildir [-t SECONDS] [--no-seen] MAILDIR\n"
    "  Serve the POP3 TRANSACTION state over the Maildir MAILDIR (relative\n"
    "  to the current directory, normally $HOME) for a client on fds 0/1.\n"
    "  -t: idle timeout, at most the default 600 (RFC 1939 minimum).\n"
    "  --no-seen: RETR does not mark messages seen (flag S) at QUIT.\n"
    "  Run by a checkpassword program after login; see pop3-maildir(8).\n";

/* Static: the I/O buffers in it cost memory only where touched. */
static struct session sess;

/* The client and the account, for the log lines (made printable). */
static char log_user[64], log_ip[64], log_tls[96];

static void log_ids(void)
{
    const char *u = getenv("USER"), *ip = getenv("TCPREMOTEIP");
    log_safe(log_user, sizeof log_user, u ? u : "?", u ? strlen(u) : 1);
    log_safe(log_ip, sizeof log_ip, ip ? ip : "?", ip ? strlen(ip) : 1);
    /* What the TLS relay negotiated (lib/tls.h sets these), or nothing. */
    const char *proto = getenv("SSL_PROTOCOL"), *cipher = getenv("SSL_CIPHER");
    char p[32], c[64];
    if (proto && cipher)
        snprintf(log_tls, sizeof log_tls, " tls=%s/%s",
                 log_safe(p, sizeof p, proto, strlen(proto)),
                 log_safe(c, sizeof c, cipher, strlen(cipher)));
}

/* Answer the login with an error, log why, and end (exit 0: spoken). */
static void refuse(struct session *s, const char *answer, const char *why)
{
    io_puts(&s->out, answer);
    io_flush(&s->out);
    log_warn("refused: user=%s rip=%s: %s", log_user, log_ip, why);
    exit(0);
}

static void open_maildrop(struct session *s, const char *path)
{
    char why[256];
    if (getuid() == 0 || geteuid() == 0)
        refuse(s, "-ERR [SYS/PERM] will not serve mail as root\r\n",
               "running as uid 0");
    if (maildir_open(&s->md, path) < 0) {
        snprintf(why, sizeof why, "cannot open Maildir %s: %s", path,
                 strerror(errno));
        refuse(s, "-ERR [SYS/TEMP] cannot open the maildrop\r\n", why);
    }
    int r = maildir_lock_wait(&s->md, MAILDIR_LOCK_WAIT_MS);
    if (r == MAILDIR_BUSY)
        refuse(s, "-ERR [IN-USE] maildrop in use by another session\r\n",
               "maildrop locked by another session");
    if (r < 0) {
        snprintf(why, sizeof why, "cannot lock Maildir %s: %s", path,
                 strerror(errno));
        refuse(s, "-ERR [SYS/TEMP] cannot lock the maildrop\r\n", why);
    }
    if (maildir_scan(&s->md, MAILDIR_SCAN_MOVE | MAILDIR_SCAN_SIZES) < 0) {
        snprintf(why, sizeof why, "cannot read Maildir %s: %s", path,
                 strerror(errno));
        refuse(s, "-ERR [SYS/TEMP] cannot read the maildrop\r\n", why);
    }
    s->live_count = s->md.count;
    for (size_t i = 0; i < s->md.count; i++)
        s->live_size += s->md.msg[i].wire_size;
    s->login_size = s->live_size;
}

/* The renames from new/ to cur/ that failed, one line a reason with its
 * count (a full disk refuses hundreds: not one line each). */
static void log_move_errors(const struct session *s)
{
    for (size_t k = 0; k < MAILDIR_MOVE_ERRORS && s->md.move_err[k].n; k++)
        log_error("cannot move %u messages from new/ to cur/: %s",
                  s->md.move_err[k].n, strerror(s->md.move_err[k].err));
}

/* After a session whose renames a helper did: what really moved. */
static void log_moves_done(struct session *s)
{
    maildir_moves_wait(&s->md);
    log_move_errors(s);
    log_info("moved: user=%s rip=%s moved=%u failed=%u", log_user, log_ip,
             s->md.moved, s->md.move_failed);
}

/* True when a whole command line waits in the input buffer: then the
 * answers so far may wait too, and pipelined answers share one write. */
static int line_waiting(const struct io_in *in)
{
    return memchr(in->buf + in->start, '\n', in->end - in->start) != NULL;
}

/* After QUIT's answer, so closing with unread input does not make TCP
 * send a reset that destroys the answer before it is read (io.h).
 * (pop3-greeter does the same in front of us; other greeters may not.) */
static void linger(void)
{
    io_linger(0, 1, MAILDIR_LINGER_SECONDS, MAILDIR_LINGER_BYTES);
}

static void serve(struct session *s)
{
    char line[POP3_CMD_MAX + 1];
    for (;;) {
        if (!line_waiting(&s->in) && io_flush(&s->out) != IO_OK) {
            s->reason = "disconnected";
            return;
        }
        ssize_t n = io_getline(&s->in, line, POP3_CMD_MAX);
        if (n == IO_TOOLONG) {
            io_puts(&s->out, "-ERR line too long\r\n");
            continue;
        }
        if (n == IO_TIMEOUT) {
            /* RFC 1939 §3: close without a response, and no UPDATE. */
            s->reason = "idle timeout";
            return;
        }
        if (n < 0) {
            s->reason = "disconnected";
            return;
        }
        if (memchr(line, '\0', (size_t)n)) {
            io_puts(&s->out, "-ERR NUL in command\r\n");
            continue;
        }
        if (maildir_cmd_run(s, line) == CMD_END) {
            int flushed = io_flush(&s->out) == IO_OK;
            /* Off the QUIT answer's path: a client reconnecting meanwhile
             * waits for the lock (MAILDIR_LOCK_WAIT_MS), then finds the
             * listing saved. */
            if (s->refresh_listing) {
                maildir_listing_refresh(&s->md);
                maildir_unlock(&s->md);
            }
            if (flushed && strcmp(s->reason, "quit") == 0)
                linger();
            return;
        }
    }
}

int main(int argc, char **argv)
{
    log_init("pop3-maildir");
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    int timeout = POP3_IDLE_TIMEOUT, opt;
    uint32_t t;
    static const struct option longopts[] = {
        { "no-seen", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct session *s = &sess;
    while ((opt = getopt_long(argc, argv, "+t:", longopts, NULL)) != -1) {
        if (opt == 'S') {
            s->no_seen = 1;
            continue;
        }
        if (opt != 't' || parse_u32(optarg, &t) < 0 || t == 0 ||
            t > POP3_IDLE_TIMEOUT) {
            fputs(usage, stderr);
            return 2;
        }
        timeout = (int)t;
    }
    if (argc - optind != 1 || argv[optind][0] == '\0') {
        fputs(usage, stderr);
        return 2;
    }
    /* A client that goes away must not kill us mid-write: EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    /* The scan's helper processes are waited for (maildir.h): not
     * reaped behind its back by an ignored SIGCHLD inherited via exec. */
    signal(SIGCHLD, SIG_DFL);
    io_in_init(&s->in, 0, timeout, 0);
    io_out_init(&s->out, 1, IO_WRITE_TIMEOUT);
    io_nodelay(1);
    log_ids();
    open_maildrop(s, argv[optind]);

    io_printf(&s->out, "+OK maildrop has %zu messages (%llu octets)\r\n",
              s->live_count, (unsigned long long)s->live_size);
    /* moved= counts renames done; a helper still renaming (moving=)
     * reports when it is done, after the session. */
    unsigned moving = s->md.moving;
    if (!moving)
        log_move_errors(s);
    log_info("login: user=%s rip=%s%s messages=%zu size=%llu moved=%u "
             "moving=%u read=%u listing=%u", log_user, log_ip, log_tls,
             s->md.count, (unsigned long long)s->login_size, s->md.moved,
             moving, s->md.size_reads, s->md.from_listing);
    s->reason = "disconnected";
    serve(s);
    if (moving)
        log_moves_done(s);
    log_info("logout: user=%s rip=%s reason=%s top=%u/%llu retr=%u/%llu "
             "del=%u/%llu size=%llu", log_user, log_ip, s->reason,
             s->top.n, (unsigned long long)s->top.bytes, s->retr.n,
             (unsigned long long)s->retr.bytes, s->del.n,
             (unsigned long long)s->del.bytes,
             (unsigned long long)s->login_size);
    maildir_close(&s->md);
    free(s->rbuf);
    free(s->wbuf);
    free(s->retrieved);
    return 0;
}
