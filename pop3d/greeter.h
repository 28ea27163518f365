/* SPDX-License-Identifier: ISC */
/*
 * greeter.h -- the parts of pop3-greeter (stage 1) and how they meet.
 *
 * pop3-greeter.c   options and main.
 * greeter_root.c   the privilege line: the part that keeps root, forks the
 *                  unprivileged parser, runs stage 2 (started ahead of the
 *                  credentials, cpw_start) and decides what a failed login
 *                  costs.  Nothing else runs with privilege.
 * greeter_auth.c   the AUTHORIZATION state: the command table that reads
 *                  the client, in the chrooted unprivileged child.
 *
 * The parser child lives for one request: it answers commands until it
 * holds credentials (or the client asked for STLS, or left), sends one
 * struct greeter_req over a SOCK_SEQPACKET socket and exits.  The root
 * part then acts on the request and, if the session goes on, forks a new
 * parser with the state it keeps (struct greeter_state).  The parser reads
 * the client in exact mode, so it never consumes a byte past the line that
 * completed the login: pipelined commands are left for stage 3.
 */
#ifndef POPKIT_GREETER_H
#define POPKIT_GREETER_H

#include <sys/types.h>

#include "params.h"
#include "pop3caps.h"

struct greeter_conf {
    const char *hostname;
    char **prog;              /* stage 2 and the rest of the chain */
    int apop;                 /* --apop */
    unsigned fail_delay;      /* --fail-delay */
    unsigned max_failures;    /* --max-failures */
    unsigned login_deadline;  /* --login-deadline, seconds */
    unsigned per_address;     /* --per-address, 0: no limit */
    const char *run_dir;      /* --run-dir, NULL: the default */
    const char *privsep_user; /* --privsep-user, NULL: the default */
    const char *privsep_dir;  /* --privsep-dir */
    const char *tls_cert;     /* --tls-cert */
    const char *tls_key;      /* --tls-key */
    const char *tls_relay;    /* --tls-relay; NULL: pop3-tls-relay beside
                                 the greeter's own executable */
    int implicit_tls;         /* --implicit-tls */
    int allow_cleartext;      /* --allow-cleartext */
    struct pop3caps_policy policy; /* --login-delay, --expire (CAPA) */
    const char *remote_ip;    /* TCPREMOTEIP or "unknown", for the log */
};

/* What the root part keeps across parser children. */
struct greeter_state {
    int greeted;              /* the greeting has been sent */
    int tls_active;           /* the client talks to us through TLS */
    unsigned failures;        /* failed logins so far */
    unsigned commands;        /* commands answered so far */
    long long deadline;       /* monotonic ms (now_ms) the pre-login
                                 phase ends: the parser reads no longer */
    char timestamp[GREETER_TIMESTAMP_MAX]; /* APOP challenge, or "" */
};

/* Login is possible now: not refused because TLS is configured and not
 * yet running (RFC 8314's secure default) unless --allow-cleartext. */
static inline int greeter_login_allowed(const struct greeter_conf *c,
                                        const struct greeter_state *st)
{
    return !c->tls_cert || st->tls_active || c->allow_cleartext;
}

/* What the parser asks of the root part. */
enum greeter_kind {
    GREETER_REQ_USER = 'U',   /* USER/PASS */
    GREETER_REQ_PLAIN = 'P',  /* AUTH PLAIN */
    GREETER_REQ_LOGIN = 'L',  /* AUTH LOGIN */
    GREETER_REQ_APOP = 'A',   /* APOP: password holds the digest */
    GREETER_REQ_STLS = 'S'    /* the client sent STLS and got +OK */
};

struct greeter_req {
    char kind;
    unsigned char commands;   /* commands this parser answered */
    /* For the credential kinds the checkpassword record (cpw.h) with
     * an empty timestamp: for APOP the root part puts in its own. */
    char payload[CPW_MAX];
};

/* greeter_auth.c: speak POP3 with the client on fds 0/1 until a request
 * is ready; write it to reqfd and _exit.  Exits without a request when the
 * client quits, times out or errs. */
void greeter_parse(const struct greeter_conf *conf,
                   const struct greeter_state *st, int reqfd)
    __attribute__((noreturn));

/* greeter_root.c: prepare privilege separation (look up the user, check
 * the directory) and run the session.  Returns the exit code. */
int greeter_run(const struct greeter_conf *conf);

/* The CAPA list before login (shared by the greeter's parts). */
struct io_out;
void greeter_capa(struct io_out *out, const struct greeter_conf *conf,
                  const struct greeter_state *st);

#endif
