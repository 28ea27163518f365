/* SPDX-License-Identifier: ISC */
/*
 * lmtp_cmds.c -- popkit-lmtpd's parser: the LMTP commands (RFC 2033,
 * with RFC 5321's rules), through lib/pop3cmd with LMTP's own table, and
 * the DATA reader, in the unprivileged child (lmtp.h).
 *
 * Transaction state is the parser's: the sender and the recipients the
 * root part accepted.  Replies are buffered and written when no whole
 * command waits behind the one answered (PIPELINING, RFC 2920), so a
 * client that sends a transaction in one write gets its answers in one.
 *
 * DATA: each line is read with its own bound (LMTP_DATA_LINE_MAX),
 * dot-unstuffed (RFC 5321 §4.5.2), stored with LF (lib/deliver's spool),
 * counted as it came (with CRLF, as SIZE counts, RFC 1870).  A line too
 * long, a NUL or a message over the size limit is read to its end and
 * refused for every recipient; otherwise the spool goes to the root part
 * and each recipient gets its own reply, as the root part reports it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "fdpass.h"
#include "io.h"
#include "lmtp.h"
#include "log.h"
#include "params.h"
#include "pop3cmd.h"
#include "usage.h"

/* A command handler's verdict. */
enum { LC_CONTINUE = 0, LC_QUIT = 1 };

struct lmtp_session {
    const struct lmtp_conf *conf;
    int reqfd;
    int greeted;              /* LHLO seen */
    int in_mail;              /* MAIL accepted, transaction open */
    int root_failed;          /* the root part is gone: 111 at the end */
    unsigned errors;          /* refused commands so far */
    unsigned nrcpt;           /* recipients accepted */
    char sender[LMTP_PATH_MAX + 1];
    char (*rcpt)[LMTP_PATH_MAX + 1];  /* conf->rcpt_max of them */
    struct rcpt_seen {        /* accepted lately (params.h) */
        char addr[LMTP_PATH_MAX + 1];
        time_t at;            /* CLOCK_MONOTONIC seconds */
    } seen[LMTP_RCPT_SEEN_MAX];
    unsigned seen_next;       /* the slot the next one takes */
    char *req;                /* the request being built */
    size_t req_size;
    struct io_in in;
    struct io_out out;
    char line[LMTP_DATA_LINE_MAX + 1];
    char chunk[LMTP_SPOOL_CHUNK];     /* spool writes, in pieces */
    size_t chunk_len;
};

/* The parser's own replies (protocol, not delivery: the latter come from
 * lib/deliver's table through deliver_reply). */
#define LR_OK             "250 2.0.0 OK"
#define LR_SENDER_OK      "250 2.1.0 sender OK"
#define LR_RCPT_OK        "250 2.1.5 recipient OK"
#define LR_START_DATA     "354 start mail input; end with <CRLF>.<CRLF>"
#define LR_BYE            "221 2.0.0 closing connection"
#define LR_VRFY           "252 2.5.0 cannot VRFY; send the mail and see"
#define LR_NEED_LHLO      "503 5.5.1 send LHLO first"
#define LR_NESTED_MAIL    "503 5.5.1 MAIL already given; RSET first"
#define LR_NEED_MAIL      "503 5.5.1 send MAIL first"
#define LR_NEED_RCPT      "503 5.5.1 no valid recipients"
#define LR_TOO_MANY_RCPT  "452 4.5.3 too many recipients; send the rest in " \
                          "another transaction"
#define LR_BAD_PATH       "501 5.5.4 syntax: MAIL FROM:<address> or " \
                          "RCPT TO:<address>"
#define LR_BAD_SENDER     "501 5.1.7 bad sender address syntax"
#define LR_BAD_RCPT       "501 5.1.3 bad recipient address syntax"
#define LR_NO_DOMAIN      "501 5.5.4 LHLO wants a domain or address literal"
#define LR_BAD_PARAM      "555 5.5.4 parameter not recognized or malformed"
#define LR_UNKNOWN        "500 5.5.1 command not recognized"
#define LR_SYNTAX         "500 5.5.2 syntax error: a control character or " \
                          "NUL in the command"
#define LR_EMPTY          "500 5.5.2 empty command"
#define LR_ARITY          "501 5.5.4 wrong arguments for this command"
#define LR_LINE_TOO_LONG  "500 5.5.2 line too long (RFC 5321: 512 octets " \
                          "with CRLF)"
#define LR_TIMEOUT        "421 4.4.2 timeout; closing connection"
#define LR_TOO_MANY_ERR   "421 4.7.0 too many errors; closing connection"
#define LR_ROOT_GONE      "421 4.3.0 internal error; closing connection"

static void reply(struct lmtp_session *s, const char *line)
{
    io_puts(&s->out, line);
    io_put(&s->out, "\r\n", 2);
}

/* A delivery status as its reply, with detail after the table's text. */
static void reply_status(struct lmtp_session *s, enum deliver_status st,
                         const char *detail)
{
    char buf[LMTP_PATH_MAX + 256];
    deliver_reply(st, detail, buf, sizeof buf);
    reply(s, buf);
}

static void transaction_reset(struct lmtp_session *s)
{
    s->in_mail = 0;
    s->nrcpt = 0;
    s->sender[0] = '\0';
}

/* The root part failed a request: say so and end the session (111). */
static int root_gone(struct lmtp_session *s)
{
    log_error("the root part is gone; closing");
    s->root_failed = 1;
    reply(s, LR_ROOT_GONE);
    return LC_QUIT;
}

/* ---- Talking to the root part ---- */

/* One request datagram, with the spool descriptor when fd >= 0. */
static int root_send(struct lmtp_session *s, size_t len, int fd)
{
    return fdpass_send(s->reqfd, s->req, len, fd);
}

/* One answer; a status the table does not know is a temporary failure. */
static int root_answer(struct lmtp_session *s, enum deliver_status *st)
{
    struct lmtp_answer a;
    ssize_t n;
    while ((n = recv(s->reqfd, &a, sizeof a, 0)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof a)
        return -1;
    *st = a.status < DELIVER_NSTATUS ? (enum deliver_status)a.status
                                     : DELIVER_TEMP;
    return 0;
}

/* Append s (with its NUL) to the request at *len. */
static void req_add(struct lmtp_session *s, size_t *len, const char *str)
{
    size_t n = strlen(str) + 1;
    memcpy(s->req + *len, str, n);   /* fits: LMTP_REQ_SIZE */
    *len += n;
}

/* ---- Paths (RFC 5321 §4.1.2) ---- */

/* The address inside "<...>" at p: quoted strings may hold '>' and
 * spaces; a source route "@a,@b:" is dropped (§4.1.1.3: receivers
 * ignore it).  On success *addr is the address (NUL-terminated in place)
 * and *rest what follows the '>'.  0, or -1 when malformed. */
static int path_parse(char *p, char **addr, char **rest)
{
    if (*p != '<')
        return -1;
    char *a = ++p;
    int quoted = 0;
    for (; *p; p++) {
        if (quoted && *p == '\\' && p[1])
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '>' || *p == ' ' || *p == '<'))
            break;
    }
    if (*p != '>')
        return -1;
    *p++ = '\0';
    if (*a == '@') {
        char *colon = strchr(a, ':');
        if (!colon)
            return -1;
        a = colon + 1;
    }
    if (strlen(a) > LMTP_PATH_MAX - 2)
        return -1;
    if (*p && *p != ' ')
        return -1;
    while (*p == ' ')
        p++;
    *addr = a;
    *rest = p;
    return 0;
}

/* "FROM:" or "TO:" (any case), spaces after the colon tolerated (many
 * clients send them), then a path. */
static int arg_path(char *arg, const char *keyword, char **addr, char **rest)
{
    size_t k = strlen(keyword);
    if (strncasecmp(arg, keyword, k) != 0)
        return -1;
    arg += k;
    while (*arg == ' ')
        arg++;
    return path_parse(arg, addr, rest);
}

/* The next "NAME=VALUE" or "NAME" word of MAIL's parameters. */
static char *param_next(char **p)
{
    while (**p == ' ')
        (*p)++;
    if (!**p)
        return NULL;
    char *w = *p;
    while (**p && **p != ' ')
        (*p)++;
    if (**p)
        *(*p)++ = '\0';
    return w;
}

/* RFC 1870 SIZE=n and RFC 6152 BODY=7BIT|8BITMIME.  0 fine, 1 SIZE over
 * the limit, -1 anything else. */
static int mail_params(const struct lmtp_session *s, char *p)
{
    char *w;
    while ((w = param_next(&p)) != NULL) {
        if (strncasecmp(w, "SIZE=", 5) == 0) {
            char *end;
            const char *v = w + 5;
            if (*v < '0' || *v > '9')
                return -1;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (*end || errno == ERANGE || n > s->conf->size_max)
                return *end ? -1 : 1;
        } else if (strcasecmp(w, "BODY=7BIT") != 0 &&
                   strcasecmp(w, "BODY=8BITMIME") != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- Commands ---- */

static int cmd_lhlo(void *ctx, int argc, char **argv)
{
    struct lmtp_session *s = ctx;
    if (argc < 2 || !argv[1][0] || argv[1][0] == ' ') {
        reply(s, LR_NO_DOMAIN);
        return LC_CONTINUE;
    }
    transaction_reset(s);
    s->greeted = 1;
    io_printf(&s->out, "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES"
              "\r\n250-8BITMIME\r\n250 SIZE %llu\r\n", s->conf->hostname,
              (unsigned long long)s->conf->size_max);
    return LC_CONTINUE;
}

static int cmd_mail(void *ctx, int argc, char **argv)
{
    struct lmtp_session *s = ctx;
    char *addr, *rest;
    if (!s->greeted)
        return reply(s, LR_NEED_LHLO), LC_CONTINUE;
    if (s->in_mail)
        return reply(s, LR_NESTED_MAIL), LC_CONTINUE;
    if (argc < 2 || strncasecmp(argv[1], "FROM:", 5) != 0)
        return reply(s, LR_BAD_PATH), LC_CONTINUE;
    if (arg_path(argv[1], "FROM:", &addr, &rest) < 0)
        return reply(s, LR_BAD_SENDER), LC_CONTINUE;
    int p = mail_params(s, rest);
    if (p < 0)
        return reply(s, LR_BAD_PARAM), LC_CONTINUE;
    if (p > 0) {
        reply_status(s, DELIVER_TOOBIG, "SIZE over the limit this server "
                     "announced");
        return LC_CONTINUE;
    }
    memcpy(s->sender, addr, strlen(addr) + 1);
    s->in_mail = 1;
    s->nrcpt = 0;
    reply(s, LR_SENDER_OK);
    return LC_CONTINUE;
}

/* ---- Recipients accepted lately (params.h: LMTP_RCPT_SEEN_*) ---- */

static time_t now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Did the root part accept addr (byte for byte) lately? */
static int rcpt_seen(const struct lmtp_session *s, const char *addr)
{
    time_t now = now_seconds();
    for (unsigned i = 0; i < LMTP_RCPT_SEEN_MAX; i++)
        if (s->seen[i].addr[0] && now - s->seen[i].at < LMTP_RCPT_SEEN_SECONDS
            && strcmp(s->seen[i].addr, addr) == 0)
            return 1;
    return 0;
}

/* The root part accepted addr: kept in place of the oldest one. */
static void rcpt_remember(struct lmtp_session *s, const char *addr)
{
    struct rcpt_seen *e = &s->seen[s->seen_next];
    s->seen_next = (s->seen_next + 1) % LMTP_RCPT_SEEN_MAX;
    memcpy(e->addr, addr, strlen(addr) + 1);
    e->at = now_seconds();
}

static int cmd_rcpt(void *ctx, int argc, char **argv)
{
    struct lmtp_session *s = ctx;
    char *addr, *rest;
    if (!s->in_mail)
        return reply(s, LR_NEED_MAIL), LC_CONTINUE;
    if (argc < 2 || strncasecmp(argv[1], "TO:", 3) != 0)
        return reply(s, LR_BAD_PATH), LC_CONTINUE;
    if (arg_path(argv[1], "TO:", &addr, &rest) < 0 || !*addr)
        return reply(s, LR_BAD_RCPT), LC_CONTINUE;
    if (*rest)
        return reply(s, LR_BAD_PARAM), LC_CONTINUE;
    if (s->nrcpt >= s->conf->rcpt_max)
        return reply(s, LR_TOO_MANY_RCPT), LC_CONTINUE;
    if (!rcpt_seen(s, addr)) {
        size_t len = 0;
        s->req[len++] = LMTP_REQ_RCPT;
        req_add(s, &len, addr);
        enum deliver_status st;
        if (root_send(s, len, -1) < 0 || root_answer(s, &st) < 0)
            return root_gone(s);
        if (st != DELIVER_OK) {
            reply_status(s, st, addr);
            return LC_CONTINUE;
        }
        rcpt_remember(s, addr);
    }
    memcpy(s->rcpt[s->nrcpt++], addr, strlen(addr) + 1);
    reply(s, LR_RCPT_OK);
    return LC_CONTINUE;
}

/* Why a message read in full is refused, or DELIVER_OK. */
struct data_verdict {
    enum deliver_status st;
    const char *why;
};

static int chunk_flush(struct lmtp_session *s, struct deliver_spool *sp)
{
    int r = s->chunk_len ? deliver_spool_write(sp, s->chunk, s->chunk_len)
                         : 0;
    s->chunk_len = 0;
    return r;
}

/* One unstuffed line and its LF into the spool, through the chunk. */
static int spool_line(struct lmtp_session *s, struct deliver_spool *sp,
                      const char *p, size_t n)
{
    if (s->chunk_len + n + 1 > sizeof s->chunk && chunk_flush(s, sp) < 0)
        return -1;
    if (n + 1 > sizeof s->chunk)   /* cannot happen: a line is smaller */
        return -1;
    memcpy(s->chunk + s->chunk_len, p, n);
    s->chunk[s->chunk_len + n] = '\n';
    s->chunk_len += n + 1;
    return 0;
}

/* Note the first reason to refuse the message; the rest is still read. */
static void data_refuse(struct data_verdict *v, enum deliver_status st,
                        const char *why)
{
    if (v->st == DELIVER_OK) {
        v->st = st;
        v->why = why;
    }
}

/* Read the message to its final dot into sp.  LC_QUIT when the client
 * leaves or times out (nothing is delivered: the caller drops the
 * spool), else LC_CONTINUE with the verdict in v. */
static int data_read(struct lmtp_session *s, struct deliver_spool *sp,
                      struct data_verdict *v)
{
    uint64_t wire = 0;
    s->chunk_len = 0;
    for (;;) {
        ssize_t n = io_getline(&s->in, s->line, sizeof s->line - 1);
        if (n == IO_TOOLONG) {
            data_refuse(v, DELIVER_BADINPUT, "a line longer than "
                        USAGE_NUM(LMTP_DATA_LINE_MAX) " octets");
            continue;
        }
        if (n == IO_TIMEOUT) {
            log_info("client idle for %d seconds in DATA; closing",
                     s->conf->timeout);
            reply(s, LR_TIMEOUT);
            return LC_QUIT;
        }
        if (n < 0) {
            log_info("client left in the middle of DATA: nothing delivered");
            return LC_QUIT;
        }
        const char *p = s->line;
        if (n == 1 && p[0] == '.')
            break;
        if (p[0] == '.')
            p++, n--;
        wire += (uint64_t)n + 2;
        if (memchr(p, '\0', (size_t)n))
            data_refuse(v, DELIVER_BADINPUT, "a NUL in the message");
        if (wire > s->conf->size_max)
            data_refuse(v, DELIVER_TOOBIG, "message over the size limit");
        if (v->st == DELIVER_OK && spool_line(s, sp, p, (size_t)n) < 0)
            data_refuse(v, errno == EFBIG ? DELIVER_TOOBIG : DELIVER_TEMP,
                        errno == EFBIG ? "message over the size limit"
                                       : "cannot write the spool");
    }
    if (v->st == DELIVER_OK &&
        (chunk_flush(s, sp) < 0 || deliver_spool_finish(sp) < 0))
        data_refuse(v, errno == EFBIG ? DELIVER_TOOBIG : DELIVER_TEMP,
                    errno == EFBIG ? "message over the size limit"
                                   : "cannot write the spool");
    return LC_CONTINUE;
}

/* Hand the spool to the root part (which then owns it) and answer each
 * recipient as it reports.  LC_QUIT when the root part failed. */
static int data_deliver(struct lmtp_session *s, struct deliver_spool *sp)
{
    size_t len = 0;
    s->req[len++] = LMTP_REQ_DATA;
    req_add(s, &len, s->sender);
    for (unsigned i = 0; i < s->nrcpt; i++)
        req_add(s, &len, s->rcpt[i]);
    int sent = root_send(s, len, sp->fd);
    deliver_spool_close(sp);   /* the root part has its own descriptor */
    if (sent < 0)
        return root_gone(s);
    for (unsigned i = 0; i < s->nrcpt; i++) {
        enum deliver_status st;
        if (root_answer(s, &st) < 0)
            return root_gone(s);
        reply_status(s, st, s->rcpt[i]);
    }
    return LC_CONTINUE;
}

static int cmd_data(void *ctx, int argc, char **argv)
{
    struct lmtp_session *s = ctx;
    if (!s->in_mail)
        return reply(s, LR_NEED_MAIL), LC_CONTINUE;
    if (s->nrcpt == 0)
        return reply(s, LR_NEED_RCPT), LC_CONTINUE;
    struct deliver_spool sp;
    if (deliver_spool_open(&sp, s->conf->size_max) < 0) {
        log_error("cannot make a spool: %s", strerror(errno));
        reply_status(s, DELIVER_TEMP, "cannot make a spool");
        return LC_CONTINUE;
    }
    reply(s, LR_START_DATA);
    struct data_verdict v = { DELIVER_OK, NULL };
    if ((!io_line_waiting(&s->in) && io_flush(&s->out) != IO_OK) ||
        data_read(s, &sp, &v) == LC_QUIT) {
        deliver_spool_close(&sp);
        return LC_QUIT;
    }
    int ret = LC_CONTINUE;
    if (v.st == DELIVER_OK) {
        ret = data_deliver(s, &sp);
    } else {
        log_info("message refused for %u recipients: %s", s->nrcpt, v.why);
        for (unsigned i = 0; i < s->nrcpt; i++)
            reply_status(s, v.st, v.why);
        deliver_spool_close(&sp);
    }
    transaction_reset(s);
    return ret;
}

static int cmd_rset(void *ctx, int argc, char **argv)
{
    struct lmtp_session *s = ctx;
    transaction_reset(s);
    reply(s, LR_OK);
    return LC_CONTINUE;
}

static int cmd_noop(void *ctx, int argc, char **argv)
{
    reply(ctx, LR_OK);
    return LC_CONTINUE;
}

static int cmd_vrfy(void *ctx, int argc, char **argv)
{
    reply(ctx, LR_VRFY);
    return LC_CONTINUE;
}

static int cmd_quit(void *ctx, int argc, char **argv)
{
    reply(ctx, LR_BYE);
    return LC_QUIT;
}

/* RFC 2033 §4.1: HELO and EHLO are not LMTP; they are unknown here. */
static const struct pop3cmd lmtp_cmds[] = {
    { "LHLO", cmd_lhlo, 0, 1, POP3CMD_REST },
    { "MAIL", cmd_mail, 0, 1, POP3CMD_REST },
    { "RCPT", cmd_rcpt, 0, 1, POP3CMD_REST },
    { "DATA", cmd_data, 0, 0, 0 },
    { "RSET", cmd_rset, 0, 0, 0 },
    { "NOOP", cmd_noop, 0, 1, POP3CMD_REST },
    { "VRFY", cmd_vrfy, 1, 1, POP3CMD_REST },
    { "QUIT", cmd_quit, 0, 0, 0 },
};

static const struct pop3cmd_table lmtp_table = POP3CMD_TABLE(lmtp_cmds, 0);

/* The reply to a line pop3cmd_run() refused. */
static const char *refusal(enum pop3cmd_result r)
{
    switch (r) {
    case POP3CMD_NUL:
    case POP3CMD_CONTROL: return LR_SYNTAX;
    case POP3CMD_EMPTY: return LR_EMPTY;
    case POP3CMD_UNKNOWN: return LR_UNKNOWN;
    case POP3CMD_LINE_TOO_LONG: return LR_LINE_TOO_LONG;
    case POP3CMD_ARG_TOO_LONG:
    case POP3CMD_ARITY:
    case POP3CMD_RAN: break;
    }
    return LR_ARITY;
}

/* One command line: read, refused or run.  LC_QUIT ends the session. */
static int session_step(struct lmtp_session *s)
{
    /* PIPELINING: answers go out only when nothing more is waiting. */
    if (!io_line_waiting(&s->in) && io_flush(&s->out) != IO_OK)
        return LC_QUIT;
    if (s->errors >= LMTP_MAX_ERRORS) {
        reply(s, LR_TOO_MANY_ERR);
        return LC_QUIT;
    }
    ssize_t n = io_getline(&s->in, s->line, LMTP_CMD_MAX);
    enum pop3cmd_result r = POP3CMD_LINE_TOO_LONG;
    int ret = LC_CONTINUE;
    if (n == IO_TIMEOUT) {
        log_info("client idle for %d seconds; closing", s->conf->timeout);
        reply(s, LR_TIMEOUT);
        return LC_QUIT;
    }
    if (n < 0 && n != IO_TOOLONG)
        return LC_QUIT;
    if (n >= 0)
        r = pop3cmd_run(&lmtp_table, s, s->line, (size_t)n, &ret);
    if (r != POP3CMD_RAN) {
        s->errors++;
        reply(s, refusal(r));
    }
    return ret;
}

int lmtp_session(const struct lmtp_conf *conf, int infd, int outfd,
                 int reqfd)
{
    static struct lmtp_session s;   /* large buffers: not on the stack */
    /* Each field reset by name, no memset of the whole: the buffers are
     * most of the parser's memory, and a page written is a page resident
     * (a connection's processes stay under 1 MB, issue 14). */
    s.conf = conf;
    s.reqfd = reqfd;
    s.greeted = s.in_mail = s.root_failed = 0;
    s.errors = s.nrcpt = 0;
    s.sender[0] = '\0';
    s.chunk_len = 0;
    for (unsigned i = 0; i < LMTP_RCPT_SEEN_MAX; i++)
        s.seen[i].addr[0] = '\0';
    s.seen_next = 0;
    s.req_size = LMTP_REQ_SIZE(conf->rcpt_max);
    s.req = malloc(s.req_size);
    s.rcpt = calloc(conf->rcpt_max ? conf->rcpt_max : 1, sizeof *s.rcpt);
    io_in_init(&s.in, infd, conf->timeout, 0);
    io_out_init(&s.out, outfd, IO_WRITE_TIMEOUT);
    if (!s.req || !s.rcpt) {
        log_error("out of memory");
        reply(&s, "421 4.3.0 out of memory; closing connection");
    } else {
        while (session_step(&s) == LC_CONTINUE)
            ;
    }
    io_flush(&s.out);   /* the answers still buffered go out */
    free(s.req);
    free(s.rcpt);
    return s.root_failed ? 111 : 0;
}

void lmtp_parse(const struct lmtp_conf *conf, int reqfd)
{
    _exit(lmtp_session(conf, 0, 1, reqfd));
}
