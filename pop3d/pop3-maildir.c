/* SPDX-License-Identifier: ISC */
/*
 * pop3-maildir MAILDIR -- stage 3 of popkit's POP3 service.
 *
 * Exec'd by stage 2 after a successful login, as the mail user, with the
 * client on fds 0 and 1 and the cwd at $HOME.  It answers the login
 * command itself (+OK, or -ERR [IN-USE] / [SYS/TEMP] / [SYS/PERM]), then
 * serves the TRANSACTION and UPDATE states (trans_cmds.c).  Once it has
 * spoken it exits 0, so a non-zero exit always means stage 2 failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "trans.h"
#include "params.h"
#include "pop3cmd.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: pop3-maildir [-t SECONDS] [--login-delay=SECONDS]\n"
    "         [--expire=DAYS|NEVER] [--uidl-from=dovecot|courier[:FILE]]\n"
    "         [--no-seen] [--settle=MS] [--syslog] MAILDIR\n"
    "  Serve the POP3 TRANSACTION state over the Maildir MAILDIR (relative\n"
    "  to the current directory, normally $HOME) for a client on fds 0/1.\n"
    "  -t: idle timeout, at most the default 600 (RFC 1939 minimum).\n"
    "  --login-delay, --expire: announced in CAPA (RFC 2449), not enforced.\n"
    "  --uidl-from: serve the UIDLs that server gave, from its file in the\n"
    "  Maildir (dovecot-uidlist, courierpop3dsizelist, or FILE there, a\n"
    "  copy frozen at the switch); see MIGRATION in pop3-maildir(8).\n"
    "  --syslog: log to syslog (LOG_MAIL), not stderr.\n"
    "  --no-seen: RETR does not mark messages seen (flag S) at QUIT.\n"
    "  --settle: the listing cache's margin for clock skew between hosts\n"
    "  sharing the Maildir, 0-600000 ms (default 2000 on a network or\n"
    "  cluster file system, 0 on a local one); see SHARED STORAGE.\n"
    "  Run by a checkpassword program after login; see pop3-maildir(8).\n";

/* The user's LOGIN-DELAY and EXPIRE for CAPA (RFC 2449 §6.5, §6.7). */
static const struct option long_opts[] = {
    { "login-delay", required_argument, NULL, 'L' },
    { "expire", required_argument, NULL, 'E' },
    { "uidl-from", required_argument, NULL, 'U' },
    { "syslog", no_argument, NULL, 'S' },
    { "no-seen", no_argument, NULL, 'N' },
    { "settle", required_argument, NULL, 'M' },
    { NULL, 0, NULL, 0 }
};

/* Static: the I/O buffers in it cost memory only where touched. */
static struct trans_session sess;

/* --uidl-from: whose UIDLs to serve, and from which file. */
static enum uidlmap_source uidl_from = UIDLMAP_OFF;
static const char *uidl_file;

/* --settle: the listing cache's skew margin, or -1: what the file
 * system calls for (maildir_open). */
static int settle_ms = -1;

/* What TLS the login line names (made printable). */
static char log_tls[LOG_TLS_MAX];

/* The account and the connection, for every log line (log.h's keys). */
static void log_ids(void)
{
    const char *u = getenv("USER");
    log_connection();
    log_set_user(u ? u : "?", u ? strlen(u) : 1);
    /* What the TLS relay negotiated (lib/tls.h sets these), or nothing. */
    const char *proto = getenv("SSL_PROTOCOL"), *cipher = getenv("SSL_CIPHER");
    if (proto && cipher) {
        char p[TLS_PROTOCOL_NAME_MAX], c[TLS_CIPHER_NAME_MAX];
        snprintf(log_tls, sizeof log_tls, " tls=%s/%s",
                 log_safe(p, sizeof p, proto, strlen(proto)),
                 log_safe(c, sizeof c, cipher, strlen(cipher)));
    }
}

/* Answer the login with an error, log why, and end (exit 0: spoken). */
static void refuse(struct trans_session *s, const char *answer, const char *why)
{
    io_puts(&s->out, answer);
    io_flush(&s->out);
    log_warn("refused: %s", why);
    exit(0);
}

/* Under the session lock, so no maildir2mbox runs now: a journal left
 * means one was interrupted mid-batch, and the messages it names may be
 * in the mbox already (or half of them).  Serving them would hand the
 * user mail twice, and a DELE of one would leave the next maildir2mbox
 * unable to tell its own partial append from foreign data: refuse until
 * maildir2mbox, which alone knows the mbox and its locks, finishes it.
 * Nothing in the Maildir is touched. */
static void refuse_if_journal(struct trans_session *s, const char *path)
{
    char buf[PATH_MAX + 128], mbox[256] = "$MAIL", why[PATH_MAX + 512];
    int fd = openat(s->md.dirfd, MAILDIR2MBOX_JOURNAL,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return;
    /* Its third line names the mbox ("path /..."): say what to run. */
    ssize_t n = fd < 0 ? -1 : read_full(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    char *p = strstr(buf, "\npath /");
    if (p) {
        p += 6;
        log_safe(mbox, sizeof mbox, p, strcspn(p, "\n"));
    }
    snprintf(why, sizeof why, "an interrupted maildir2mbox left %s/%s; "
             "run maildir2mbox as this user with MAILDIR=%s MAIL=%s to "
             "finish it", path, MAILDIR2MBOX_JOURNAL, path, mbox);
    refuse(s, "-ERR [IN-USE] maildrop busy: a move to the mbox must "
              "finish first\r\n", why);
}

static void open_maildrop(struct trans_session *s, const char *path)
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
    if (settle_ms >= 0)
        maildir_set_settle(&s->md, settle_ms);
    int r = maildir_lock_wait(&s->md, MAILDIR_LOCK_WAIT_MS);
    if (r == MAILDIR_BUSY)
        refuse(s, "-ERR [IN-USE] maildrop in use by another session\r\n",
               "maildrop locked by another session");
    if (r < 0) {
        snprintf(why, sizeof why, "cannot lock Maildir %s: %s", path,
                 strerror(errno));
        refuse(s, "-ERR [SYS/TEMP] cannot lock the maildrop\r\n", why);
    }
    refuse_if_journal(s, path);
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
static void log_move_errors(const struct trans_session *s)
{
    for (size_t k = 0; k < MAILDIR_MOVE_ERRORS && s->md.move_err[k].n; k++)
        log_error("cannot move %u messages from new/ to cur/: %s",
                  s->md.move_err[k].n, strerror(s->md.move_err[k].err));
}

/* After a session whose renames a helper did: what really moved. */
static void log_moves_done(struct trans_session *s)
{
    maildir_moves_wait(&s->md);
    log_move_errors(s);
    log_info("moved: moved=%u failed=%u", s->md.moved, s->md.move_failed);
}

/* --uidl-from: the old server's UIDLs for the messages its file lists
 * (a bad file is logged by uidlmap_load and costs nothing but them). */
static void load_uidls(struct trans_session *s, enum uidlmap_source src,
                       const char *file)
{
    /* user= and rip= come with every line (log.h's keys). */
    if (src != UIDLMAP_OFF &&
        uidlmap_load(&s->um, &s->md, src, file, NULL) == 0)
        log_info("uidl-from: %s gave %zu of %zu messages their UIDLs",
                 file ? file : uidlmap_file_name(src), s->um.mapped,
                 s->md.count);
}

/* After QUIT's answer, so closing with unread input does not make TCP
 * send a reset that destroys the answer before it is read (io.h).
 * (pop3-greeter does the same in front of us; other greeters may not.) */
static void linger(void)
{
    io_linger(0, 1, MAILDIR_LINGER_SECONDS, MAILDIR_LINGER_BYTES);
}

static void serve(struct trans_session *s)
{
    char line[POP3_CMD_MAX + 1];
    for (;;) {
        /* While a whole command line waits, the answers so far may wait
         * too: pipelined answers share one write. */
        if (!io_line_waiting(&s->in) && io_flush(&s->out) != IO_OK) {
            s->reason = "disconnected";
            return;
        }
        ssize_t n = io_getline(&s->in, line, POP3_CMD_MAX);
        if (n == IO_TOOLONG) {
            /* Answered at once; the rest of the line is dropped as it
             * comes (io.h), then the session goes on. */
            io_puts(&s->out, pop3cmd_reply(POP3CMD_LINE_TOO_LONG));
            continue;
        }
        if (n == IO_TIMEOUT) {
            /* RFC 1939 §3: close without a response, and no UPDATE. */
            s->reason = "idle-timeout";
            return;
        }
        if (n < 0) {
            s->reason = "disconnected";
            return;
        }
        if (trans_cmd_run(s, line, (size_t)n) == CMD_END) {
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

/* The value arg of option opt was refused: say which option. */
static void __attribute__((noreturn)) bad_value(int opt, const char *arg)
{
    const struct option *o = long_opts;
    while (o->name && o->val != opt)
        o++;
    if (o->name)
        usage_misuse("pop3-maildir", usage, "bad value '%s' for --%s", arg,
                     o->name);
    usage_misuse("pop3-maildir", usage, "bad value '%s' for -%c", arg, opt);
}

/* One command-line option into the session; -1: a usage error. */
static int set_option(struct trans_session *s, int opt, const char *arg,
                      int *timeout)
{
    uint32_t t;
    switch (opt) {
    case 't':
        if (parse_u32(arg, &t) < 0 || t == 0 || t > POP3_IDLE_TIMEOUT)
            return -1;
        *timeout = (int)t;
        return 0;
    case 'L':   /* after login the value is this user's: no ,USER */
        return pop3caps_set_login_delay(&s->caps, arg, 0);
    case 'E':
        return pop3caps_set_expire(&s->caps, arg, 0);
    case 'U':
        return uidlmap_parse_source(arg, &uidl_from, &uidl_file);
    case 'S':
        log_syslog();
        return 0;
    case 'N':
        s->no_seen = 1;
        return 0;
    case 'M':
        if (parse_u32(arg, &t) < 0 || t > MAILDIR_LISTING_SETTLE_MAX_MS)
            return -1;
        settle_ms = (int)t;
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    log_init("pop3-maildir");
    usage_std(argc, argv, "pop3-maildir", usage);
    int timeout = POP3_IDLE_TIMEOUT, opt;
    struct trans_session *s = &sess;
    opterr = 0;
    /* A misuse is logged, never written to fd 2 when that is syslog's. */
    while ((opt = getopt_long(argc, argv, "+:t:", long_opts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            usage_getopt("pop3-maildir", opt, argv, usage);
        if (set_option(s, opt, optarg, &timeout) < 0)
            bad_value(opt, optarg);
    }
    if (argc - optind != 1 || argv[optind][0] == '\0')
        usage_misuse("pop3-maildir", usage, argc - optind > 1
                     ? "one MAILDIR only" : "no MAILDIR given");
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
    load_uidls(s, uidl_from, uidl_file);

    io_printf(&s->out, "+OK maildrop has %zu messages (%llu octets)\r\n",
              s->live_count, (unsigned long long)s->live_size);
    /* moved= counts renames done; a helper still renaming (moving=)
     * reports when it is done, after the session. */
    unsigned moving = s->md.moving;
    if (!moving)
        log_move_errors(s);
    log_info("login: messages=%zu size=%llu moved=%u moving=%u read=%u "
             "listing=%u%s", s->md.count, (unsigned long long)s->login_size,
             s->md.moved, moving, s->md.size_reads, s->md.from_listing,
             log_tls);
    s->reason = "disconnected";
    serve(s);
    if (moving)
        log_moves_done(s);
    log_info("logout: reason=%s top=%u/%llu retr=%u/%llu del=%u/%llu "
             "size=%llu", s->reason,
             s->top.n, (unsigned long long)s->top.bytes, s->retr.n,
             (unsigned long long)s->retr.bytes, s->del.n,
             (unsigned long long)s->del.bytes,
             (unsigned long long)s->login_size);
    maildir_close(&s->md);
    uidlmap_free(&s->um);
    msgsend_free(&s->send);
    free(s->retrieved);
    return 0;
}
