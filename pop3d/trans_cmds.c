/* SPDX-License-Identifier: ISC */
/*
 * trans_cmds.c -- pop3-maildir's command table: the TRANSACTION state
 * of RFC 1939 and the UPDATE state QUIT enters.  Each handler answers
 * exactly one response (single- or multi-line) into the session's output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mdquota.h"
#include "trans.h"
#include "msgsend.h"
#include "params.h"
#include "pop3caps.h"
#include "pop3cmd.h"
#include "util.h"

#define ERR_NO_MSG "-ERR no such message\r\n"
#define ERR_DELETED "-ERR message is deleted\r\n"

/* The message a number argument names: its index, or -1 after the -ERR
 * has been written (not a number, out of range, or deleted). */
static long msg_arg(struct trans_session *s, const char *arg)
{
    uint32_t n;
    if (parse_u32(arg, &n) < 0 || n == 0 || n > s->md.count) {
        io_puts(&s->out, ERR_NO_MSG);
        return -1;
    }
    if (s->md.msg[n - 1].flags & MAILDIR_F_DELETED) {
        io_puts(&s->out, ERR_DELETED);
        return -1;
    }
    return (long)n - 1;
}

/* TOP's line count: any run of digits; beyond 64 bits is "all of it". */
static int parse_lines(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    *out = v;
    return 0;
}

static int cmd_stat(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    io_printf(&s->out, "+OK %zu %llu\r\n", s->live_count,
              (unsigned long long)s->live_size);
    return CMD_GO_ON;
}

static void list_line(struct trans_session *s, size_t i, int uidl, int single)
{
    const char *prefix = single ? "+OK " : "";
    if (uidl) {
        char id[MAILDIR_UIDL_MAX + 1];
        if (!uidlmap_uidl(&s->um, i, id))   /* migration: uidlmap.h */
            maildir_uidl(maildir_msg_name(&s->md, i), id);
        io_printf(&s->out, "%s%zu %s\r\n", prefix, i + 1, id);
    } else {
        io_printf(&s->out, "%s%zu %llu\r\n", prefix, i + 1,
                  (unsigned long long)s->md.msg[i].wire_size);
    }
}

static int list_or_uidl(struct trans_session *s, int argc, char **argv, int uidl)
{
    if (argc == 2) {
        long i = msg_arg(s, argv[1]);
        if (i >= 0)
            list_line(s, (size_t)i, uidl, 1);
        return CMD_GO_ON;
    }
    if (uidl)
        io_puts(&s->out, "+OK unique-id listing follows\r\n");
    else
        io_printf(&s->out, "+OK %zu messages (%llu octets)\r\n",
                  s->live_count, (unsigned long long)s->live_size);
    for (size_t i = 0; i < s->md.count; i++)
        if (!(s->md.msg[i].flags & MAILDIR_F_DELETED))
            list_line(s, i, uidl, 0);
    io_puts(&s->out, ".\r\n");
    return CMD_GO_ON;
}

static int cmd_list(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    return list_or_uidl(s, argc, argv, 0);
}

static int cmd_uidl(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    return list_or_uidl(s, argc, argv, 1);
}

/* Remember that message i was retrieved whole, for the seen flag QUIT
 * sets.  A bit a message, allocated on the first RETR: a session that
 * only lists costs nothing.  Out of memory, the flag is not set (the
 * message was sent; nothing is lost). */
static void mark_retrieved(struct trans_session *s, size_t i)
{
    if (s->no_seen)
        return;
    if (!s->retrieved)
        s->retrieved = calloc(s->md.count / 8 + 1, 1);
    if (s->retrieved)
        s->retrieved[i / 8] |= (unsigned char)(1u << (i % 8));
}

static int was_retrieved(const struct trans_session *s, size_t i)
{
    return s->retrieved && (s->retrieved[i / 8] & (1u << (i % 8)));
}

/* UPDATE state: every message retrieved and not deleted gets the seen
 * flag 'S' in its name, as Dovecot's POP3 server does, so an IMAP client
 * on the same Maildir shows it read.  A rename that fails leaves the
 * message as it was (nothing lost): one log line with the count and the
 * first reason.  Returns the messages marked. */
static unsigned mark_seen(struct trans_session *s)
{
    unsigned marked = 0, failed = 0;
    int first_err = 0;
    for (size_t i = 0; i < s->md.count; i++) {
        if (!was_retrieved(s, i) || (s->md.msg[i].flags & MAILDIR_F_DELETED))
            continue;
        int r = maildir_msg_flag(&s->md, i, 'S');
        if (r == 0)
            marked++;
        if (r < 0 && errno != ENOENT && failed++ == 0)
            first_err = errno;
    }
    if (failed)
        log_error("cannot mark %u messages seen: %s", failed,
                  strerror(first_err));
    return marked;
}

/* What became of RETR or TOP of message i (msgsend.h): a -ERR when
 * nothing was sent; the session's end when the answer broke off after
 * its +OK (nothing is deleted, so a client never takes a truncated
 * message for whole); else its count in t for the logout line. */
static int msg_sent(struct trans_session *s, size_t i, int r, uint64_t sent,
                    struct tally *t)
{
    int err = errno;
    switch (r) {
    case MSGSEND_OK:
        t->n++;
        t->bytes += sent;
        return CMD_GO_ON;
    case MSGSEND_NOMEM:
        io_puts(&s->out, "-ERR [SYS/TEMP] out of memory\r\n");
        return CMD_GO_ON;
    case MSGSEND_UNREADABLE:
        io_puts(&s->out, err == ENOENT
                ? "-ERR message is gone: another program removed it\r\n"
                : "-ERR [SYS/TEMP] cannot read message\r\n");
        log_warn("cannot read %s: %s", maildir_msg_name(&s->md, i),
                 strerror(err));
        return CMD_GO_ON;
    case MSGSEND_WRITE_FAILED:
        s->reason = "disconnected-in-RETR";
        return CMD_END;
    default:   /* MSGSEND_READ_FAILED */
        log_error("read error in %s: %s", maildir_msg_name(&s->md, i),
                  strerror(err));
        s->reason = "read-error";
        return CMD_END;
    }
}

/* RETR sent message i whole, and it was not the size LIST and STAT said
 * (a forged or stale cache: the names of mail other agents delivered
 * carry no size, so a cache was its only source).  Say so, tell the
 * truth from now on in this session (RSET's total too), and drop the
 * caches so the next session reads the file instead. */
static void size_mismatch(struct trans_session *s, size_t i, uint64_t said)
{
    uint64_t real = s->send.wire;
    char name[LOG_FIELD_MAX];
    const char *file = maildir_msg_name(&s->md, i);
    log_warn("size mismatch: %s: LIST said %llu octets, RETR sent %llu; "
             "size caches dropped",
             log_safe(name, sizeof name, file, strlen(file)),
             (unsigned long long)said, (unsigned long long)real);
    if (real >= MAILDIR_SIZE_UNKNOWN)
        real = MAILDIR_SIZE_UNKNOWN - 1;
    s->md.msg[i].wire_size = real;
    s->live_size = s->live_size - said + real;
    s->login_size = s->login_size - said + real;
    maildir_caches_drop(&s->md);
}

/* RETR (top == 0) or TOP: the message in wire form. */
static int send_msg(struct trans_session *s, size_t i, int top, uint64_t lines)
{
    uint64_t size = s->md.msg[i].wire_size, sent;
    int fd = maildir_msg_open_nostat(&s->md, i);
    if (top) {
        int r = msgsend_top(&s->send, &s->out, fd, size, lines,
                            "+OK top of message follows\r\n", &sent);
        return msg_sent(s, i, r, sent, &s->top);
    }
    char status[64];
    snprintf(status, sizeof status, "+OK %llu octets\r\n",
             (unsigned long long)size);
    int r = msgsend_retr(&s->send, &s->out, fd, size, status, &sent);
    if (r == MSGSEND_OK && s->send.wire != size)
        size_mismatch(s, i, size);
    if (r == MSGSEND_OK) {
        if (i + 1 > s->last)
            s->last = (uint32_t)(i + 1);
        mark_retrieved(s, i);
    }
    return msg_sent(s, i, r, sent, &s->retr);
}

static int cmd_retr(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    long i = msg_arg(s, argv[1]);
    return i < 0 ? CMD_GO_ON : send_msg(s, (size_t)i, 0, 0);
}

static int cmd_top(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    uint64_t lines;
    long i = msg_arg(s, argv[1]);
    if (i < 0)
        return CMD_GO_ON;
    if (parse_lines(argv[2], &lines) < 0) {
        io_puts(&s->out, "-ERR bad line count\r\n");
        return CMD_GO_ON;
    }
    return send_msg(s, (size_t)i, 1, lines);
}

static int cmd_dele(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    long i = msg_arg(s, argv[1]);
    if (i < 0)
        return CMD_GO_ON;
    s->md.msg[i].flags |= MAILDIR_F_DELETED;
    s->live_count--;
    s->live_size -= s->md.msg[i].wire_size;
    io_printf(&s->out, "+OK message %ld deleted\r\n", i + 1);
    return CMD_GO_ON;
}

static int cmd_rset(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    for (size_t i = 0; i < s->md.count; i++)
        s->md.msg[i].flags &= (uint8_t)~MAILDIR_F_DELETED;
    s->live_count = s->md.count;
    s->live_size = s->login_size;
    s->last = 0;
    /* RSET undoes the session, the seen marks too (as LAST forgets, and
     * as Dovecot does). */
    if (s->retrieved)
        memset(s->retrieved, 0, s->md.count / 8 + 1);
    io_printf(&s->out, "+OK maildrop has %zu messages (%llu octets)\r\n",
              s->live_count, (unsigned long long)s->live_size);
    return CMD_GO_ON;
}

static int cmd_noop(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    io_puts(&s->out, "+OK\r\n");
    return CMD_GO_ON;
}

static int cmd_last(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    io_printf(&s->out, "+OK %u\r\n", s->last);
    return CMD_GO_ON;
}

/* RFC 2449 §5: what the TRANSACTION state offers, so not USER, SASL or
 * STLS; the administrator's LOGIN-DELAY and EXPIRE for this user. */
static int cmd_capa(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    char buf[POP3CAPS_MAX];
    size_t n = pop3caps_format(buf, sizeof buf, 0, &s->caps);
    io_put(&s->out, buf, n);
    return CMD_GO_ON;
}

/* RFC 6856 has UTF8 in the AUTHORIZATION state; a client that sends it
 * after login (AUTH first, say) loses nothing by a +OK: popkit has no
 * ASCII-only mode to leave, and serves messages as stored. */
static int cmd_utf8(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    io_puts(&s->out, "+OK UTF-8 enabled\r\n");
    return CMD_GO_ON;
}

/* UPDATE state: remove what was marked, set the seen flags, make it
 * durable, say how it went. */
static int cmd_quit(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    unsigned failed = 0;
    struct mdquota_removed quota = { 0 };   /* for maildirsize, if any */
    /* Removing needs the names the renames give: wait for them only then
     * (a session that deleted nothing answers at once, see below). */
    if (s->live_count < s->md.count)
        maildir_moves_wait(&s->md);
    for (size_t i = 0; i < s->md.count; i++) {
        if (!(s->md.msg[i].flags & MAILDIR_F_DELETED))
            continue;
        if (mdquota_msg_unlink(&s->md, i, &quota) < 0) {
            log_error("cannot remove %s: %s", maildir_msg_name(&s->md, i),
                      strerror(errno));
            failed++;
            continue;
        }
        s->del.n++;
        s->del.bytes += s->md.msg[i].wire_size;
    }
    if (mdquota_removed_commit(s->md.dirfd, &quota) < 0)
        log_error("cannot update %s: %s", MDQUOTA_NAME, strerror(errno));
    unsigned seen = s->retrieved ? mark_seen(s) : 0;
    if ((s->del.n > 0 || seen > 0) && maildir_sync(&s->md) < 0) {
        log_error("cannot sync the maildrop: %s", strerror(errno));
        failed++;
    }
    /* The first session on new mail changed the directories: they are
     * listed again for the next session's listing cache, but after the
     * answer has gone (serve), still under the lock.  Otherwise unlock
     * before answering: the client may reconnect the moment it reads the
     * answer, and must not find this session in the way. */
    s->refresh_listing = s->md.moved > 0 || s->md.moving > 0 || seen > 0;
    if (!s->refresh_listing)
        maildir_unlock(&s->md);
    if (failed)
        io_printf(&s->out, "-ERR [SYS/TEMP] %u messages not removed\r\n",
                  failed);
    else
        io_puts(&s->out, "+OK bye\r\n");
    s->reason = "quit";
    return CMD_END;
}

static int cmd_wrong_state(void *ctx, int argc, char **argv)
{
    struct trans_session *s = ctx;
    io_puts(&s->out, "-ERR already logged in\r\n");
    return CMD_GO_ON;
}

/* Every command may run while the first session's renames from new/ to
 * cur/ are still under way (maildir_moves_wait in maildir.h): each reads
 * counts, sizes and names, opens a message by either of its names, or
 * marks entries in memory.  QUIT waits for the renames before it
 * removes files, or after its answer when it removes none (the unlock
 * waits for them).  Each line is checked first by lib/pop3cmd, by the
 * same rules as before login. */
static const struct pop3cmd cmds[] = {
    { "STAT", cmd_stat, 0, 0, 0 },
    { "LIST", cmd_list, 0, 1, 0 },
    { "UIDL", cmd_uidl, 0, 1, 0 },
    { "RETR", cmd_retr, 1, 1, 0 },
    { "TOP", cmd_top, 2, 2, 0 },
    { "DELE", cmd_dele, 1, 1, 0 },
    { "RSET", cmd_rset, 0, 0, 0 },
    { "NOOP", cmd_noop, 0, 0, 0 },
    { "QUIT", cmd_quit, 0, 0, 0 },
    { "CAPA", cmd_capa, 0, 0, 0 },
    { "LAST", cmd_last, 0, 0, 0 },
    { "UTF8", cmd_utf8, 0, 0, 0 },
    /* AUTHORIZATION-state commands a confused client may repeat, with
     * whatever it sends after them, as before login. */
    { "USER", cmd_wrong_state, 0, 1, POP3CMD_REST },
    { "PASS", cmd_wrong_state, 0, 1, POP3CMD_REST },
    { "APOP", cmd_wrong_state, 0, 1, POP3CMD_REST },
    { "AUTH", cmd_wrong_state, 0, 1, POP3CMD_REST },
    { "STLS", cmd_wrong_state, 0, 1, POP3CMD_REST },
};

static const struct pop3cmd_table trans_table =
    POP3CMD_TABLE(cmds, POP3_ARG_MAX);

int trans_cmd_run(struct trans_session *s, char *line, size_t len)
{
    int r = CMD_GO_ON;
    enum pop3cmd_result refused = pop3cmd_run(&trans_table, s, line, len, &r);
    if (refused != POP3CMD_RAN)
        io_puts(&s->out, pop3cmd_reply(refused));
    return r;
}
