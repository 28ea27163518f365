/* SPDX-License-Identifier: ISC */
/*
 * popkit-lmtpd -- an LMTP server (RFC 2033) on stdin/stdout, one
 * connection per process, delivering into the Maildirs of popkit's
 * users file and alias files.  See popkit-lmtpd(8) and lmtp.h.
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "exitcode.h"
#include "io.h"
#include "lmtp.h"
#include "log.h"
#include "netenv.h"
#include "params.h"
#include "proxyproto.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: popkit-lmtpd [-f USERS] [-a ALIASDIR] [--ldap=CONFIG] [--quota-tempfail]\n"
    "         [--mta-delivered-to] [--size=OCTETS] [--max-recipients=N]\n"
    "         [--timeout=SECONDS] [--hostname=NAME] [--sendmail=PATH]\n"
    "         [--privsep-user=NAME|UID:GID] [--privsep-dir=DIR] [--syslog]\n"
    "         [--proxy-from=CIDR[,CIDR...]]\n"
    "  LMTP (RFC 2033) on stdin/stdout, one connection a process: under\n"
    "  tcpserver, inetd, a systemd socket with Accept=yes, or as Postfix's\n"
    "  lmtp:inet:/lmtp:unix: destination behind one of them.\n"
    "  -f USERS          the users file (default " CPW_USERS_FILE ")\n"
    "  -a ALIASDIR       the alias files (default " ALIASES_DIR ")\n"
    "  --ldap=CONFIG     users from checkpassword-ldap's directory that\n"
    "                    CONFIG describes (with -f, the users file's too)\n"
    "  --quota-tempfail  over quota is 452 4.2.2 (try later), not 552 5.2.2\n"
    "  --mta-delivered-to  the MTA prepended Return-Path and Delivered-To\n"
    "                    itself (OpenSMTPD): no loop, not added again\n"
    "  --size=OCTETS     largest message (SIZE; default "
    USAGE_NUM(LMTP_SIZE_MAX) ")\n"
    "  --max-recipients=N  recipients a transaction (default "
    USAGE_NUM(LMTP_RCPT_MAX) ")\n"
    "  --timeout=SECONDS every read from the client (default "
    USAGE_NUM(LMTP_TIMEOUT) ")\n"
    "  --hostname=NAME   for the greeting and unique names (default: the\n"
    "                    system's)\n"
    "  --sendmail=PATH   for forward addresses (default " DELIVER_SENDMAIL ")\n"
    "  --privsep-user, --privsep-dir  the parser's account and chroot when\n"
    "                    started as root (default " PRIVSEP_USER ", "
    PRIVSEP_DIR ")\n"
    "  --proxy-from=CIDR,...  balancers whose PROXY v1/v2 header comes first\n";

enum {
    OPT_QUOTA_TEMPFAIL = 256, OPT_MTA_DT, OPT_SIZE, OPT_MAX_RCPT, OPT_TIMEOUT,
    OPT_HOSTNAME, OPT_SENDMAIL, OPT_PRIVSEP_USER, OPT_PRIVSEP_DIR,
    OPT_SYSLOG, OPT_PROXY_FROM, OPT_LDAP, OPT_HELP
};

static const struct option long_options[] = {
    { "quota-tempfail", no_argument, NULL, OPT_QUOTA_TEMPFAIL },
    { "mta-delivered-to", no_argument, NULL, OPT_MTA_DT },
    { "size", required_argument, NULL, OPT_SIZE },
    { "max-recipients", required_argument, NULL, OPT_MAX_RCPT },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "hostname", required_argument, NULL, OPT_HOSTNAME },
    { "sendmail", required_argument, NULL, OPT_SENDMAIL },
    { "privsep-user", required_argument, NULL, OPT_PRIVSEP_USER },
    { "privsep-dir", required_argument, NULL, OPT_PRIVSEP_DIR },
    { "syslog", no_argument, NULL, OPT_SYSLOG },
    { "proxy-from", required_argument, NULL, OPT_PROXY_FROM },
    { "ldap", required_argument, NULL, OPT_LDAP },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

/* A decimal option value in [min, max]; usage error otherwise. */
static uint32_t opt_number(const char *name, const char *s, uint32_t min,
                           uint32_t max)
{
    uint32_t v;
    if (parse_u32(s, &v) < 0 || v < min || v > max)
        usage_misuse("popkit-lmtpd", usage,
                     "--%s wants a number from %u to %u", name,
                     (unsigned)min, (unsigned)max);
    return v;
}

/* --proxy-from: the balancers whose PROXY header comes first. */
static struct proxyproto_from proxy_from;

static void parse_options(int argc, char **argv, struct lmtp_conf *c)
{
    int o, users_given = 0;
    usage_std(argc, argv, "popkit-lmtpd", usage);
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":f:a:", long_options, NULL)) != -1) {
        switch (o) {
        case 'f': c->users = optarg; users_given = 1; break;
        case OPT_LDAP:
            if (!*optarg)
                usage_misuse("popkit-lmtpd", usage,
                             "--ldap wants a configuration file");
            c->ldap = optarg;
            break;
        case 'a': c->aliasdir = optarg; break;
        case OPT_QUOTA_TEMPFAIL: c->quota_tempfail = 1; break;
        case OPT_MTA_DT: c->mta_delivered_to = 1; break;
        case OPT_SIZE:
            c->size_max = opt_number("size", optarg, 1, UINT32_MAX);
            break;
        case OPT_MAX_RCPT:
            c->rcpt_max = opt_number("max-recipients", optarg, 1,
                                     LMTP_RCPT_LIMIT_MAX);
            break;
        case OPT_TIMEOUT:
            c->timeout = (int)opt_number("timeout", optarg, 1,
                                         LMTP_TIMEOUT_MAX);
            break;
        case OPT_HOSTNAME: c->hostname = optarg; break;
        case OPT_SENDMAIL: c->sendmail = optarg; break;
        case OPT_PRIVSEP_USER: c->privsep_user = optarg; break;
        case OPT_PRIVSEP_DIR: c->privsep_dir = optarg; break;
        case OPT_SYSLOG: log_syslog(); break;
        case OPT_PROXY_FROM:
            if (proxyproto_from_parse(optarg, &proxy_from) < 0)
                usage_misuse("popkit-lmtpd", usage, "--proxy-from wants "
                             "IPv4 or IPv6 CIDRs, comma-separated, at most "
                             "%u", PROXYPROTO_FROM_MAX);
            break;
        case OPT_HELP: usage_help(usage);
        default: usage_getopt("popkit-lmtpd", o, argv, usage);
        }
    }
    if (optind < argc)
        usage_misuse("popkit-lmtpd", usage, "unexpected argument '%s'",
                     argv[optind]);
    /* With --ldap the users file is read only when -f names it. */
    if (c->ldap && !users_given)
        c->users = NULL;
    if (c->hostname && !hostname_valid(c->hostname))
        usage_misuse("popkit-lmtpd", usage, "invalid --hostname");
}

/* The system's name when --hostname gives none. */
static const char *system_hostname(void)
{
    static char name[DNS_NAME_MAX + 1];
    if (gethostname(name, sizeof name - 1) < 0 || !hostname_valid(name))
        return "localhost";
    return name;
}

int main(int argc, char **argv)
{
    static struct lmtp_conf conf = {
        .users = CPW_USERS_FILE,
        .aliasdir = ALIASES_DIR,
        .size_max = LMTP_SIZE_MAX,
        .rcpt_max = LMTP_RCPT_MAX,
        .timeout = LMTP_TIMEOUT,
    };
    /* A delivery child of this program (deliver.h) runs from here. */
    deliver_pool_child_main(argc, argv);
    log_init("popkit-lmtpd");
    parse_options(argc, argv, &conf);
    if (!conf.hostname)
        conf.hostname = system_hostname();
    netenv_from_socket(0);   /* inetd, systemd: no tcpserver to set them */
    log_connection();
    /* From a listed balancer the header comes before the greeting; a bad
     * one closes the connection (logged) with a FIN, not a reset. */
    if (proxyproto_accept(&proxy_from, 0) < 0) {
        io_linger(0, 1, LMTP_LINGER_SECONDS, LMTP_LINGER_BYTES);
        return 0;
    }
    /* A client that vanishes must not kill us mid-answer. */
    signal(SIGPIPE, SIG_IGN);
    io_nodelay(1);
    return lmtp_run(&conf);
}
