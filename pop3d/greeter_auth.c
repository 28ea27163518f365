/* SPDX-License-Identifier: ISC */
/*
 * greeter_auth.c -- the AUTHORIZATION state (RFC 1939 §4), in the
 * unprivileged parser child (see greeter.h).
 *
 * One handler a verb, found in a table by lib/pop3cmd, which checks
 * every line by the same rules as the TRANSACTION state.  A handler
 * returns GA_CONTINUE to read the next command or GA_DONE once the
 * request for the root part is filled in (credentials or STLS).
 * Everything read from the client is bounded: command lines by
 * POP3_CMD_MAX (AUTH and SASL responses by SASL_LINE_MAX), each refused
 * as soon as it passes its limit (lib/io.h), the number of commands by
 * POP3_PRELOGIN_MAX_COMMANDS, each command line by the deadline
 * POP3_PRELOGIN_TIMEOUT, and the whole pre-login phase by
 * --login-deadline (lib/io.h: deadlines, not timeouts per read).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "cpw.h"
#include "greeter.h"
#include "io.h"
#include "log.h"
#include "params.h"
#include "pop3caps.h"
#include "pop3cmd.h"
#ifdef POPKIT_SANDBOX_PROBE
#include "sandbox.h"
#endif
#include "sasl.h"
#include "util.h"

enum { GA_CONTINUE, GA_DONE, GA_QUIT };

struct auth_session {
    const struct greeter_conf *conf;
    const struct greeter_state *st;
    struct io_in in;
    struct io_out out;
    unsigned commands;
    int have_user;
    char user[CPW_MAX];            /* from USER, waiting for PASS */
    struct greeter_req req;
    size_t req_len;
    char line[SASL_LINE_MAX + 1];  /* the current command or response */
    char dec[SASL_LINE_MAX];       /* a decoded SASL response */
};

static void ga_reply(struct auth_session *g, const char *s)
{
    io_puts(&g->out, s);
    io_puts(&g->out, "\r\n");
}

static int ga_login_allowed(const struct auth_session *g)
{
    return greeter_login_allowed(g->conf, g->st);
}

/* The state of the shared list (lib/pop3caps.h) the greeter is in:
 * whether login in the clear is refused, whether TLS is there and on. */
static unsigned greeter_caps(const struct greeter_conf *conf,
                             const struct greeter_state *st)
{
    return pop3caps_auth_flags(greeter_login_allowed(conf, st),
                               conf->tls_cert != NULL, st->tls_active);
}

/* STLS and AUTH's mechanisms are taken when CAPA lists them. */
static int ga_offers(const struct auth_session *g, const char *tag)
{
    return pop3caps_offers(greeter_caps(g->conf, g->st), tag);
}

/* The shared list, so both stages announce the same. */
void greeter_capa(struct io_out *out, const struct greeter_conf *conf,
                  const struct greeter_state *st)
{
    char buf[POP3CAPS_MAX];
    size_t n = pop3caps_format(buf, sizeof buf, greeter_caps(conf, st),
                               &conf->policy);
    io_put(out, buf, n);
}

/* Fill the request: kind and the checkpassword record, its timestamp
 * left empty for the root part, which alone vouches for its own. */
static int ga_request(struct auth_session *g, char kind, const char *login,
                      const char *password)
{
    ssize_t n = cpw_pack(g->req.payload, sizeof g->req.payload, login,
                         password, "");
    if (n < 0) {
        ga_reply(g, "-ERR [AUTH] credentials too long");
        return GA_CONTINUE;
    }
    g->req.kind = kind;
    g->req_len = (size_t)n;
    return GA_DONE;
}

static int ga_refuse_cleartext(struct auth_session *g)
{
    char verb[16];
    if (ga_login_allowed(g))
        return 0;
    /* g->line holds the verb alone now, after any leading spaces
     * (pop3cmd_run cut it off). */
    const char *sent = g->line + strspn(g->line, " ");
    log_info("login refused: reason=cleartext-before-STLS command=%s",
             log_safe(verb, sizeof verb, sent, strlen(sent)));
    ga_reply(g, "-ERR [AUTH] login only after STLS");
    return 1;
}

static int cmd_capa(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    greeter_capa(&g->out, g->conf, g->st);
    return GA_CONTINUE;
}

/* RFC 6856: UTF8 in the AUTHORIZATION state.  Nothing to switch: user
 * names and passwords go to stage 2 as the client sent them (valid
 * UTF-8 names, USER and SASL alike) and messages are served as stored. */
static int cmd_utf8(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    ga_reply(g, "+OK UTF-8 enabled");
    return GA_CONTINUE;
}

static int cmd_noop(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    ga_reply(g, "+OK");
    return GA_CONTINUE;
}

static int cmd_quit(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    io_printf(&g->out, "+OK %s closing connection\r\n", g->conf->hostname);
    return GA_QUIT;
}

static int cmd_user(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    char *arg = argv[1];
    if (ga_refuse_cleartext(g))
        return GA_CONTINUE;
    g->have_user = 0;
    if (!arg || !sasl_login_valid(arg, strlen(arg))) {
        ga_reply(g, "-ERR invalid user name");
        return GA_CONTINUE;
    }
    strcpy(g->user, arg);   /* sasl_login_valid bounds it below CPW_MAX */
    g->have_user = 1;
    ga_reply(g, "+OK send PASS");
    return GA_CONTINUE;
}

static int cmd_pass(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    char *arg = argv[1];
    if (ga_refuse_cleartext(g))
        return GA_CONTINUE;
    if (!g->have_user) {
        ga_reply(g, "-ERR USER first");
        return GA_CONTINUE;
    }
    g->have_user = 0;
    if (!arg) {
        ga_reply(g, "-ERR [AUTH] missing password");
        return GA_CONTINUE;
    }
    return ga_request(g, GREETER_REQ_USER, g->user, arg);
}

/* RFC 1939 §7: APOP name digest, the digest 32 hex digits. */
static int cmd_apop(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    char *arg = argv[1];
    char *sp = arg ? strrchr(arg, ' ') : NULL;
    if (!g->conf->apop || !g->st->timestamp[0]) {
        ga_reply(g, "-ERR APOP not available");
        return GA_CONTINUE;
    }
    if (ga_refuse_cleartext(g))
        return GA_CONTINUE;
    if (!sp) {
        ga_reply(g, "-ERR usage: APOP name digest");
        return GA_CONTINUE;
    }
    *sp = '\0';
    char *digest = sp + 1;
    size_t n = strlen(digest);
    int hex = n == APOP_DIGEST_LEN;
    for (size_t i = 0; hex && i < n; i++) {
        hex = isxdigit((unsigned char)digest[i]) != 0;
        digest[i] = (char)tolower((unsigned char)digest[i]);
    }
    if (!hex) {
        ga_reply(g, "-ERR [AUTH] the APOP digest must be 32 hex digits");
        return GA_CONTINUE;
    }
    if (!sasl_login_valid(arg, strlen(arg))) {
        ga_reply(g, "-ERR invalid user name");
        return GA_CONTINUE;
    }
    return ga_request(g, GREETER_REQ_APOP, arg, digest);
}

static int cmd_stls(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    if (!ga_offers(g, "STLS")) {
        ga_reply(g, g->st->tls_active ? "-ERR TLS already active"
                                      : "-ERR STLS not available");
        return GA_CONTINUE;
    }
    /* Whatever came with STLS was sent in the clear and must never run
     * under TLS (RFC 2595 §4, CVE-2021-38084): drop it now, before +OK,
     * since after +OK the client's handshake may already be arriving. */
    io_discard(&g->in);
    ga_reply(g, "+OK begin TLS negotiation");
    g->req.kind = GREETER_REQ_STLS;
    g->req_len = 0;
    return GA_DONE;
}

/* Send a SASL challenge and read the client's response into g->dec.
 * Returns SASL_OK (length in *len), a SASL_ error, or -100 when the
 * connection is gone. */
static int ga_sasl_exchange(struct auth_session *g, const char *challenge, size_t *len)
{
    io_printf(&g->out, "+ %s\r\n", challenge);
    if (io_flush(&g->out) != IO_OK)
        return -100;
    ssize_t n = io_getline(&g->in, g->line, sizeof g->line);
    if (n == IO_TOOLONG)
        return SASL_TOO_LONG;
    if (n < 0)
        return -100;
    return sasl_response(g->line, (size_t)n, g->dec, sizeof g->dec, len);
}

/* Answer a failed SASL step; -100 ends the session. */
static int ga_sasl_fail(struct auth_session *g, int err)
{
    if (err == -100)
        return GA_QUIT;
    if (err == SASL_CANCEL)
        ga_reply(g, "-ERR authentication cancelled");
    else
        io_printf(&g->out, "-ERR [AUTH] %s\r\n", sasl_strerror(err));
    return GA_CONTINUE;
}

/* The end of a SASL exchange: hand finished credentials to the root part,
 * or answer the failure; the credentials are wiped either way. */
static int ga_sasl_done(struct auth_session *g, int r, char kind, struct sasl_creds *c)
{
    r = r == SASL_OK ? ga_request(g, kind, c->login, c->password)
                     : ga_sasl_fail(g, r);
    sasl_wipe(c);
    return r;
}

/* One exchange of a mechanism in lib/sasl's table: each step's response
 * (step 0's the initial response if the client gave one) decoded and
 * taken into the credentials, the decoded text wiped after each. */
static int ga_auth_mech(struct auth_session *g, const struct sasl_mechanism *m,
                        char *ir)
{
    struct sasl_creds c;
    int r = SASL_OK;
    for (unsigned step = 0; r == SASL_OK && step < m->steps; step++) {
        size_t len = 0;
        if (step == 0 && ir)
            r = sasl_response(ir, strlen(ir), g->dec, sizeof g->dec, &len);
        else
            r = ga_sasl_exchange(g, m->challenges[step], &len);
        if (r == SASL_OK)
            r = m->take(&c, step, g->dec, len);
        wipe(g->dec, sizeof g->dec);
    }
    char kind = m->id == SASL_MECH_PLAIN ? GREETER_REQ_PLAIN : GREETER_REQ_LOGIN;
    return ga_sasl_done(g, r, kind, &c);
}

/* AUTH alone: the mechanisms lib/sasl's table offers, while login is. */
static void ga_auth_list(struct auth_session *g)
{
    io_puts(&g->out, "+OK methods supported:\r\n");
    if (ga_offers(g, "SASL"))
        for (const struct sasl_mechanism *m = sasl_mechanisms; m->name; m++)
            io_printf(&g->out, "%s\r\n", m->name);
    io_puts(&g->out, ".\r\n");
}

/* RFC 5034: AUTH [mechanism [initial-response]]. */
static int cmd_auth(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    char *arg = argv[1];
    if (!arg) {
        ga_auth_list(g);
        return GA_CONTINUE;
    }
    if (ga_refuse_cleartext(g))
        return GA_CONTINUE;
    char *ir = strchr(arg, ' ');
    if (ir)
        *ir++ = '\0';
    const struct sasl_mechanism *m = sasl_mechanism_find(arg);
    if (m)
        return ga_auth_mech(g, m, ir);
    ga_reply(g, "-ERR unsupported authentication mechanism");
    return GA_CONTINUE;
}

#ifdef POPKIT_SANDBOX_PROBE
/* The test twin's XSECCOMP (tests/integration/pop3-greeter-probe, never
 * installed): a system call outside the parser's allow-list, which must
 * kill this process before it can answer. */
static int cmd_xseccomp(void *ctx, int argc, char **argv)
{
    struct auth_session *g = ctx;
    io_flush(&g->out);
    sandbox_probe_forbidden();
    ga_reply(g, "-ERR still alive: the forbidden call returned");
    return GA_CONTINUE;
}

#endif
/* The AUTHORIZATION state's commands (lib/pop3cmd.h checks each line
 * first).  USER, PASS, APOP and AUTH take the rest of the line: a name
 * or password may hold spaces and run past RFC 2449's 40 octets, and
 * AUTH's initial response is as long as a SASL response (RFC 5034 §4).
 * They take it optionally: each handler answers its own missing
 * argument, after the refusal of a login in the clear. */
static const struct pop3cmd ga_cmds[] = {
    { "USER", cmd_user, 0, 1, POP3CMD_REST },
    { "PASS", cmd_pass, 0, 1, POP3CMD_REST },
    { "APOP", cmd_apop, 0, 1, POP3CMD_REST },
    { "AUTH", cmd_auth, 0, 1, POP3CMD_REST },
    { "CAPA", cmd_capa, 0, 0, 0 },
    { "STLS", cmd_stls, 0, 0, 0 },
    { "UTF8", cmd_utf8, 0, 0, 0 },
    { "NOOP", cmd_noop, 0, 0, 0 },
    { "QUIT", cmd_quit, 0, 0, 0 },
#ifdef POPKIT_SANDBOX_PROBE
    { "XSECCOMP", cmd_xseccomp, 0, 0, 0 },
#endif
};

static const struct pop3cmd_table ga_table =
    POP3CMD_TABLE(ga_cmds, POP3_ARG_MAX);

/* Read a command line: RFC 2449 §4's 255 octets with CRLF, refused as
 * soon as it passes them, except AUTH, whose initial response may make
 * it as long as a SASL response (RFC 5034 §4). */
static ssize_t ga_getline(struct auth_session *g)
{
    ssize_t n = io_getline(&g->in, g->line, POP3_CMD_MAX);
    if (n == IO_TOOLONG && strncasecmp(g->line, "AUTH ", 5) == 0)
        n = io_getline_more(&g->in, g->line, POP3_CMD_MAX, sizeof g->line);
    return n;
}

/* Read and answer commands until a request is ready (1) or the session
 * ends (0). */
static int ga_loop(struct auth_session *g)
{
    for (;;) {
        if (io_flush(&g->out) != IO_OK)
            return 0;
        if (g->st->commands + g->commands >= POP3_PRELOGIN_MAX_COMMANDS) {
            ga_reply(g, "-ERR too many commands before login");
            io_flush(&g->out);
            return 0;
        }
        ssize_t n = ga_getline(g);
        g->commands++;
        if (n == IO_TOOLONG) {
            /* Answered at once; the rest is dropped as it comes (io.h).
             * It may have held a password. */
            wipe(g->line, sizeof g->line);
            io_puts(&g->out, pop3cmd_reply(POP3CMD_LINE_TOO_LONG));
            continue;
        }
        if (n == IO_TIMEOUT) {
            /* RFC 1939 §3: the autologout timer closes without a word. */
            if (io_in_expired(&g->in))
                log_info("login deadline of %u seconds passed before "
                         "login; closing", g->conf->login_deadline);
            else
                log_info("client idle for %d seconds before login; "
                         "closing", POP3_PRELOGIN_TIMEOUT);
            return 0;
        }
        if (n < 0)
            return 0;
        int r = GA_CONTINUE;
        enum pop3cmd_result refused = pop3cmd_run(&ga_table, g, g->line,
                                                  (size_t)n, &r);
        if (refused != POP3CMD_RAN)
            io_puts(&g->out, pop3cmd_reply(refused));
        wipe(g->line, sizeof g->line);
        if (r == GA_QUIT) {
            io_flush(&g->out);
            return 0;
        }
        if (r == GA_DONE)
            return io_flush(&g->out) == IO_OK;
    }
}

void greeter_parse(const struct greeter_conf *conf,
                   const struct greeter_state *st, int reqfd)
{
    static struct auth_session g;   /* large buffers: not on the stack */
    g.conf = conf;
    g.st = st;
    io_in_init(&g.in, 0, POP3_PRELOGIN_TIMEOUT, 1);
    io_in_deadline(&g.in, st->deadline);
    io_out_init(&g.out, 1, IO_WRITE_TIMEOUT);
    int ready = ga_loop(&g);
    wipe(g.user, sizeof g.user);
    if (ready) {
        g.req.commands = (unsigned char)g.commands;
        size_t len = offsetof(struct greeter_req, payload) + g.req_len;
        ssize_t w;
        do
            w = send(reqfd, &g.req, len, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
    }
    wipe(&g.req, sizeof g.req);
    io_in_wipe(&g.in);   /* held the PASS line */
    _exit(0);
}
