/* SPDX-License-Identifier: ISC */
/*
 * lmtp_root.c -- the privilege line of popkit-lmtpd (lmtp.h).
 *
 * Everything that runs with the privilege popkit-lmtpd was started with
 * is here, and none of it reads the client: the parser (lmtp_cmds.c)
 * does, in a child that first dropped everything (lib/privsep).  The
 * root part reads only the parser's requests, each one datagram checked
 * byte by byte, resolves recipients against the users file and alias
 * files (which the parser cannot read), and delivers: deliver_recipient
 * hands each mailbox to the connection's child for its owner (a
 * deliver_pool: forked at the owner's first mailbox, become that owner,
 * kept for the connection), so one recipient's failure, or a crash in
 * one delivery, touches no other.
 *
 * With --ldap the users come from checkpassword-ldap's directory
 * (ldaprcpt.h): its helper is started at the first lookup, by the root
 * part, after the parser was forked, so the parser inherits neither the
 * process, its socket nor anything it learnt.
 *
 * It refuses recipients outside popkit's domains (aliases.h: foreign):
 * an LMTP server is a final destination, not a relay.  Forward addresses
 * an alias names are popkit's own configuration and go to sendmail.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aliases.h"
#include "deliver.h"
#include "exitcode.h"
#include "fdpass.h"
#include "io.h"
#include "ldaprcpt.h"
#include "lmtp.h"
#include "log.h"
#include "params.h"
#include "privsep.h"
#include "sandbox.h"
#include "util.h"

struct root {
    const struct lmtp_conf *conf;
    struct aliases *aliases;
    struct ldaprcpt *dir;     /* --ldap, or NULL */
    struct deliver_opts opts;
    int fd;                   /* the parser's socket */
    pid_t parser;
    char *req;                /* one request, LMTP_REQ_SIZE */
    size_t req_size;
    char **fields;            /* its strings: rcpt_max + 1 */
};

/* Send one answer.  0 or -1 (the parser is gone). */
static int root_answer(struct root *r, enum deliver_status st)
{
    struct lmtp_answer a = { (uint8_t)st };
    ssize_t w;
    while ((w = send(r->fd, &a, sizeof a, MSG_NOSIGNAL)) < 0 &&
           errno == EINTR)
        ;
    return w == (ssize_t)sizeof a ? 0 : -1;
}

/* Receive one request into r->req, with at most one descriptor in *fd
 * (-1: none).  Returns its length, 0 when the parser is done, -1 when it
 * sent what our parser never sends.  No timer: the parser's own bound
 * the client (a DATA of many slow lines may rightly take long), and a
 * parser that hangs holds only this connection. */
static ssize_t root_receive(struct root *r, int *fd)
{
    ssize_t n = fdpass_recv(r->fd, r->req, r->req_size, fd);
    if (n < 0 && errno != EBADMSG) {
        /* Not the parser's doing: say why the connection ends here. */
        log_error("cannot read the parser's request: %s", strerror(errno));
        return 0;
    }
    return n;
}

/* A string our parser can send: no control character (its command
 * lines cannot hold one), so none reaches the log or a header. */
static int req_printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* Split the NUL-ended strings after the kind byte into v (at most max);
 * every one printable and at most an address long.  Their count, or -1. */
static int req_split(char *req, size_t n, char **v, int max)
{
    int count = 0;
    size_t i = 1;
    while (i < n) {
        char *end = memchr(req + i, '\0', n - i);
        size_t len = end ? (size_t)(end - (req + i)) : 0;
        if (!end || count >= max || len > LMTP_PATH_MAX ||
            !req_printable(req + i, len))
            return -1;
        v[count++] = req + i;
        i = (size_t)(end - req) + 1;
    }
    return count;
}

/* Whether recipient may get mail here, as the parser's RCPT asks. */
static enum deliver_status root_check(struct root *r, const char *rcpt)
{
    struct aliases_result ar;
    enum aliases_kind k = aliases_resolve(r->aliases, rcpt, &ar);
    enum deliver_status st = deliver_from_aliases(k);
    if (k == ALIASES_OK && ar.foreign) {
        st = DELIVER_UNKNOWN;
        log_info("rcpt=%s refused: not in popkit's domains (no relaying)",
                 rcpt);
    } else if (k != ALIASES_OK) {
        log_info("rcpt=%s refused: %s", rcpt, ar.why[0] ? ar.why : "?");
    }
    aliases_result_free(&ar);
    return st;
}

/* Deliver the spool to each recipient, one answer each as it is done. */
static int root_deliver(struct root *r, int fd, char **v, int count)
{
    struct deliver_spool sp;
    if (deliver_spool_adopt(&sp, fd, r->conf->size_max) < 0) {
        log_error("cannot read the spool the parser passed: %s",
                  strerror(errno));
        for (int i = 1; i < count; i++)
            if (root_answer(r, DELIVER_TEMP) < 0)
                return -1;
        return 0;
    }
    const char *sender = v[0];
    for (int i = 1; i < count; i++) {
        /* deliver_recipient resolves the recipient itself and refuses
         * what root_check refuses at RCPT (unknown, outside popkit's
         * domains): checking it here first resolved it twice.  A spool
         * over the size limit never gets here (adopt fails it). */
        struct deliver_report rep = { .status = DELIVER_OK };
        enum deliver_status st = deliver_recipient(r->aliases, &sp, sender,
                                                   v[i], &r->opts, &rep);
        /* The answer first: the parser and the MTA wait for it, the log
         * line does not need to go before it (it may be a pipe to a
         * logger that has to be woken). */
        int gone = root_answer(r, st) < 0;
        const struct deliver_code *dc = deliver_code(st);
        if (st == DELIVER_OK)
            log_info("delivered from=<%s> rcpt=%s size=%llu mailboxes=%u "
                     "forwards=%u", sender, v[i],
                     (unsigned long long)sp.octets, rep.mailboxes,
                     rep.forwards);
        else
            log_info("not delivered from=<%s> rcpt=%s: %d %s %s", sender,
                     v[i], dc->smtp, dc->enhanced,
                     rep.why[0] ? rep.why : dc->text);
        if (gone) {
            deliver_spool_close(&sp);
            return -1;
        }
    }
    deliver_spool_close(&sp);
    return 0;
}

/* Act on one request.  0, or -1 when it is malformed or the parser is
 * gone. */
static int root_request(struct root *r, ssize_t n, int fd)
{
    char **v = r->fields;
    int max = (int)r->conf->rcpt_max + 1;
    int count = req_split(r->req, (size_t)n, v, max);
    if (r->req[0] == LMTP_REQ_RCPT && fd < 0 && count == 1)
        return root_answer(r, root_check(r, v[0]));
    if (r->req[0] == LMTP_REQ_DATA && fd >= 0 && count >= 2)
        return root_deliver(r, fd, v, count);
    if (fd >= 0)
        close(fd);
    log_error("malformed request from the parser; closing");
    return -1;
}

/* The connection is over: the delivery children end before the client's
 * connection is closed (they hold none of it, but the MTA's next
 * connection should not meet them still running). */
static void root_close(struct root *r)
{
    deliver_pool_free(r->opts.pool);
    r->opts.pool = NULL;
    aliases_close(r->aliases);
    ldaprcpt_free(r->dir);
    r->dir = NULL;
}

/* Fork the parser on fds 0/1 with the socket at LMTP_REQ_FD, dropped
 * to the privsep account before it reads a byte. */
static void parser_start(struct root *r, const struct privsep *ps)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        log_die(EXIT_TEMP, "socketpair: %s", strerror(errno));
    r->parser = fork();
    if (r->parser < 0)
        log_die(EXIT_TEMP, "fork: %s", strerror(errno));
    if (r->parser == 0) {
        close(sv[0]);
        if (sv[1] != LMTP_REQ_FD) {
            if (dup2(sv[1], LMTP_REQ_FD) < 0)
                log_die(EXIT_TEMP, "dup2: %s", strerror(errno));
            close(sv[1]);
        }
        privsep_drop(ps, LMTP_PARSER_FILES);
        if (sandbox_enter(SANDBOX_LMTP_PARSER) < 0)
            log_die(EXIT_TEMP, "cannot install the parser's seccomp filter: "
                    "%s", strerror(errno));
        lmtp_parse(r->conf, LMTP_REQ_FD);
    }
    close(sv[1]);
    r->fd = sv[0];
}

/* The parser is done: wait for it; its status is ours when it failed. */
static int parser_end(struct root *r, int malformed)
{
    int status = 0;
    if (malformed)
        kill(r->parser, SIGKILL);
    close(r->fd);
    while (waitpid(r->parser, &status, 0) < 0 && errno == EINTR)
        ;
    io_linger(0, 1, LMTP_LINGER_SECONDS, LMTP_LINGER_BYTES);
    if (malformed)
        return EXIT_TEMP;
    if (WIFSIGNALED(status)) {
        log_error("the parser was killed by signal %d%s", WTERMSIG(status),
                  WTERMSIG(status) == SIGSYS ? " (SIGSYS: a system call "
                  "outside its seccomp allow-list)" : "");
        return EXIT_TEMP;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_TEMP;
}

/* The greeting, or, when the set-up fails before it (log_die exits),
 * a 421 in its place: the MTA then defers with a reason instead of
 * finding the connection closed. */
static const char *root_hostname;
static int root_greeted;

static void root_greet(void)
{
    char line[DNS_NAME_MAX + 64];
    int n = snprintf(line, sizeof line, "220 %s LMTP " POPKIT_IMPLEMENTATION
                     " ready\r\n", root_hostname);
    write_all(1, line, (size_t)n);
    root_greeted = 1;
}

static void root_refuse_unless_greeted(void)
{
    char line[DNS_NAME_MAX + 64];
    if (root_greeted)
        return;
    int n = snprintf(line, sizeof line, "421 4.3.0 %s LMTP service not "
                     "available; try again later\r\n", root_hostname);
    write_all(1, line, (size_t)n);
}

/* The directory of --ldap: its configuration read (a mistake is found
 * before the greeting, which then is a 421) and the helper found beside
 * this program.  No process, no connection yet. */
static struct ldaprcpt *root_directory(const struct lmtp_conf *c)
{
    char helper[4096], err[512];
    struct ldaprcpt *d;
    if (!c->ldap)
        return NULL;
    if (ldaprcpt_helper_beside(helper, sizeof helper) < 0)
        log_die(EXIT_TEMP, "cannot find checkpassword-ldap beside this "
                "program (/proc/self/exe)");
    if ((d = ldaprcpt_new(helper, c->ldap, err, sizeof err)) == NULL)
        log_die(EXIT_TEMP, "--ldap: %s", err);
    return d;
}

int lmtp_run(const struct lmtp_conf *c)
{
    static struct root r;
    struct privsep ps;
    root_hostname = c->hostname;
    atexit(root_refuse_unless_greeted);
    privsep_prepare(&ps, c->privsep_user, c->privsep_dir);
    r.conf = c;
    r.opts.quota_tempfail = c->quota_tempfail;
    r.opts.mta_delivered_to = c->mta_delivered_to;
    r.opts.sendmail = c->sendmail;
    r.opts.hostname = c->hostname;
    r.req_size = LMTP_REQ_SIZE(c->rcpt_max);
    r.req = malloc(r.req_size);
    /* Not on the stack: sized for --max-recipients, not for its largest
     * value (80 KB of stack, every page of it probed and resident, and
     * again in every delivery child forked from here). */
    r.fields = calloc(c->rcpt_max + 1, sizeof *r.fields);
    if (!r.req || !r.fields)
        log_die(EXIT_TEMP, "out of memory");
    r.dir = root_directory(c);
    root_greet();
    /* Before the files are opened: the parser inherits none of them. */
    parser_start(&r, &ps);
    r.aliases = aliases_open(c->users, c->aliasdir);
    r.opts.pool = deliver_pool_new();
    if (!r.aliases || !r.opts.pool)
        log_die(EXIT_TEMP, "out of memory");
    if (r.dir)
        aliases_set_directory(r.aliases, ldaprcpt_lookup, r.dir);
    for (;;) {
        int fd;
        ssize_t n = root_receive(&r, &fd);
        if (n == 0)
            break;
        if (n < 0 || root_request(&r, n, fd) < 0) {
            root_close(&r);
            return parser_end(&r, 1);
        }
    }
    root_close(&r);
    return parser_end(&r, 0);
}
