/* SPDX-License-Identifier: ISC */
/*
 * pop3-greeter -- stage 1 of popkit's POP3 service: greeting, CAPA, STLS,
 * USER/PASS, APOP and SASL AUTH before login; then the checkpassword
 * program named on the command line.  See pop3-greeter(8) and greeter.h.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "greeter.h"
#include "io.h"
#include "log.h"
#include "netenv.h"
#include "params.h"
#include "proxyproto.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: pop3-greeter [--apop] [--fail-delay=SECONDS] [--max-failures=N]\n"
    "         [--login-deadline=SECONDS] [--per-address=N [--run-dir=DIR]]\n"
    "         [--privsep-user=NAME|UID:GID] [--privsep-dir=DIR]\n"
    "         [--tls-cert=FILE [--tls-key=FILE] [--implicit-tls]\n"
    "          [--allow-cleartext] [--tls-relay=PROGRAM]] [--syslog]\n"
    "         [--login-delay=SECONDS[,USER]] [--expire=DAYS|NEVER[,USER]]\n"
    "         [--proxy-from=CIDR[,CIDR...]]\n"
    "         HOSTNAME PROG...\n";

/* A decimal option value in [0, max]; usage error otherwise. */
static unsigned opt_number(const char *name, const char *s, unsigned max)
{
    uint32_t v;
    if (parse_u32(s, &v) < 0 || v > max)
        usage_misuse("pop3-greeter", usage,
                     "--%s wants a number from 0 to %u", name, max);
    return v;
}

enum {
    OPT_APOP = 256, OPT_FAIL_DELAY, OPT_MAX_FAILURES, OPT_PRIVSEP_USER,
    OPT_PRIVSEP_DIR, OPT_TLS_CERT, OPT_TLS_KEY, OPT_IMPLICIT_TLS,
    OPT_ALLOW_CLEARTEXT, OPT_TLS_RELAY, OPT_LOGIN_DELAY, OPT_EXPIRE, OPT_SYSLOG,
    OPT_LOGIN_DEADLINE, OPT_PER_ADDRESS, OPT_RUN_DIR, OPT_PROXY_FROM, OPT_HELP
};

/* --login-delay and --expire: what CAPA announces (not enforced); the
 * ,USER form says the value after login may differ per user. */
static void opt_policy(int o, const char *arg, struct pop3caps_policy *p)
{
    if (o == OPT_LOGIN_DELAY && pop3caps_set_login_delay(p, arg, 1) < 0)
        usage_misuse("pop3-greeter", usage, "--login-delay wants "
                     "SECONDS from 0 to %u, or SECONDS,USER",
                     POP3_LOGIN_DELAY_MAX);
    if (o == OPT_EXPIRE && pop3caps_set_expire(p, arg, 1) < 0)
        usage_misuse("pop3-greeter", usage, "--expire wants DAYS from "
                     "0 to %u or NEVER, or either with ,USER",
                     POP3_EXPIRE_DAYS_MAX);
}

static const struct option long_options[] = {
    { "apop", no_argument, NULL, OPT_APOP },
    { "fail-delay", required_argument, NULL, OPT_FAIL_DELAY },
    { "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
    { "login-deadline", required_argument, NULL, OPT_LOGIN_DEADLINE },
    { "per-address", required_argument, NULL, OPT_PER_ADDRESS },
    { "run-dir", required_argument, NULL, OPT_RUN_DIR },
    { "privsep-user", required_argument, NULL, OPT_PRIVSEP_USER },
    { "privsep-dir", required_argument, NULL, OPT_PRIVSEP_DIR },
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
    { "tls-key", required_argument, NULL, OPT_TLS_KEY },
    { "implicit-tls", no_argument, NULL, OPT_IMPLICIT_TLS },
    { "allow-cleartext", no_argument, NULL, OPT_ALLOW_CLEARTEXT },
    { "tls-relay", required_argument, NULL, OPT_TLS_RELAY },
    { "login-delay", required_argument, NULL, OPT_LOGIN_DELAY },
    { "expire", required_argument, NULL, OPT_EXPIRE },
    { "syslog", no_argument, NULL, OPT_SYSLOG },
    { "proxy-from", required_argument, NULL, OPT_PROXY_FROM },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

/* --proxy-from: the load balancers whose PROXY header is required. */
static struct proxyproto_from proxy_from;

static void parse_options(int argc, char **argv, struct greeter_conf *c)
{
    int o;
    /* "+": options end at HOSTNAME; the rest belongs to the chain.
     * ":" and opterr 0: usage_getopt says what was wrong. */
    usage_std(argc, argv, "pop3-greeter", usage);
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+:", long_options, NULL)) != -1) {
        switch (o) {
        case OPT_APOP: c->apop = 1; break;
        case OPT_FAIL_DELAY:
            c->fail_delay = opt_number("fail-delay", optarg,
                                       GREETER_FAIL_DELAY_MAX);
            break;
        case OPT_MAX_FAILURES:
            c->max_failures = opt_number("max-failures", optarg,
                                         GREETER_MAX_FAILURES_MAX);
            if (c->max_failures == 0)
                c->max_failures = 1;
            break;
        case OPT_LOGIN_DEADLINE:
            c->login_deadline = opt_number("login-deadline", optarg,
                                           POP3_LOGIN_DEADLINE_MAX);
            if (c->login_deadline == 0)
                usage_misuse("pop3-greeter", usage, "--login-deadline "
                             "wants a number from 1 to %u",
                             POP3_LOGIN_DEADLINE_MAX);
            break;
        case OPT_PER_ADDRESS:
            c->per_address = opt_number("per-address", optarg, ADDRSLOT_MAX);
            break;
        case OPT_RUN_DIR: c->run_dir = optarg; break;
        case OPT_PRIVSEP_USER: c->privsep_user = optarg; break;
        case OPT_PRIVSEP_DIR: c->privsep_dir = optarg; break;
        case OPT_TLS_CERT: c->tls_cert = optarg; break;
        case OPT_TLS_KEY: c->tls_key = optarg; break;
        case OPT_IMPLICIT_TLS: c->implicit_tls = 1; break;
        case OPT_ALLOW_CLEARTEXT: c->allow_cleartext = 1; break;
        case OPT_TLS_RELAY: c->tls_relay = optarg; break;
        case OPT_LOGIN_DELAY:
        case OPT_EXPIRE: opt_policy(o, optarg, &c->policy); break;
        case OPT_SYSLOG: log_syslog(); break;
        case OPT_PROXY_FROM:
            if (proxyproto_from_parse(optarg, &proxy_from) < 0)
                usage_misuse("pop3-greeter", usage, "--proxy-from wants "
                             "IPv4 or IPv6 CIDRs, comma-separated, at most "
                             "%u", PROXYPROTO_FROM_MAX);
            break;
        case OPT_HELP: usage_help(usage);
        default: usage_getopt("pop3-greeter", o, argv, usage);
        }
    }
    if (c->run_dir && !c->per_address)
        usage_misuse("pop3-greeter", usage, "--run-dir needs --per-address");
    if (argc - optind < 2)
        usage_misuse("pop3-greeter", usage, argc == optind
                     ? "no HOSTNAME and PROG" : "no PROG to run");
    if ((c->tls_key || c->implicit_tls || c->allow_cleartext ||
         c->tls_relay) && !c->tls_cert)
        usage_misuse("pop3-greeter", usage, "--tls-key, --implicit-tls, "
                     "--allow-cleartext and --tls-relay need --tls-cert");
    c->hostname = argv[optind];
    c->prog = argv + optind + 1;
    if (!hostname_valid(c->hostname))
        usage_misuse("pop3-greeter", usage, "invalid HOSTNAME");
}

/* From a listed balancer the PROXY header comes first (lib/proxyproto.h):
 * read here, in the root part, before the address slot, the greeting and
 * TLS.  A bad one closes the connection (logged). */
static void proxy_header(void)
{
    if (proxyproto_accept(&proxy_from, 0) < 0) {
        /* A FIN, not a reset, even with the rest of a bad header unread. */
        io_linger(0, 1, GREETER_LINGER_SECONDS, GREETER_LINGER_BYTES);
        exit(0);
    }
}

int main(int argc, char **argv)
{
    static struct greeter_conf conf = {
        .fail_delay = POP3_AUTH_FAIL_DELAY,
        .max_failures = POP3_AUTH_MAX_FAILURES,
        .login_deadline = POP3_LOGIN_DEADLINE,
    };
    log_init("pop3-greeter");
    parse_options(argc, argv, &conf);
    netenv_from_socket(0);   /* inetd, systemd: no tcpserver to set them */
    /* One id for this connection's lines in every stage (log.h). */
    if (log_session_new() < 0)
        log_die(EXIT_TEMP, "cannot set %s: out of memory", LOG_ENV_SESSION);
    log_connection();
    proxy_header();
    const char *ip = getenv("TCPREMOTEIP");
    conf.remote_ip = ip && *ip ? ip : "unknown";
    /* A client that vanishes must not kill us mid-answer; stage 2 gets
     * default signal handling back from cpw_run. */
    signal(SIGPIPE, SIG_IGN);
    io_nodelay(1);
    return greeter_run(&conf);
}
