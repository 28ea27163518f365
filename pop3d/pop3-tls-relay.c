/* SPDX-License-Identifier: ISC */
/*
 * pop3-tls-relay -- the TLS relay of pop3-greeter as a program of its
 * own (see pop3-tls-relay(8) and lib/tls.h).
 *
 * pop3-greeter runs it when a session starts TLS (STLS, or implicit TLS
 * before the greeting), so that the greeter itself links no OpenSSL:
 * most sessions never start TLS, and loading libssl and libcrypto cost
 * every connection about 0.8 ms and 2 MB.  Descriptors on entry: 0 the
 * client's network socket, 1 the plaintext end the stages will talk to,
 * 2 the log, 3 the verdict pipe.  It loads the certificate and key while
 * privileged, then confines itself (chroot, unprivileged user) before it
 * reads a byte from the client, and writes "OK PROTOCOL CIPHER" or
 * "ERR REASON" to fd 3.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "tls.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: pop3-tls-relay --tls-cert=FILE [--tls-key=FILE] [--root=DIR]\n"
    "  Run by pop3-greeter: TLS on the client socket (fd 0), plaintext on\n"
    "  fd 1, the handshake's verdict on fd 3.  Started as root it chroots\n"
    "  to DIR (default " TLS_RELAY_ROOT ") and becomes " TLS_RELAY_USER
    " first.\n";

enum { OPT_TLS_CERT = 256, OPT_TLS_KEY, OPT_ROOT, OPT_HELP };

static const struct option long_options[] = {
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
    { "tls-key", required_argument, NULL, OPT_TLS_KEY },
    { "root", required_argument, NULL, OPT_ROOT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

static void parse_options(int argc, char **argv, struct tls_config *cfg)
{
    int o;
    usage_std(argc, argv, "pop3-tls-relay", usage);
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (o) {
        case OPT_TLS_CERT: cfg->cert_file = optarg; break;
        case OPT_TLS_KEY: cfg->key_file = optarg; break;
        case OPT_ROOT: cfg->root = optarg; break;
        case OPT_HELP: usage_help(usage);
        default: usage_getopt("pop3-tls-relay", o, argv, usage);
        }
    }
    if (optind != argc)
        usage_misuse("pop3-tls-relay", usage, "no operands wanted, got '%s'",
                     argv[optind]);
    if (!cfg->cert_file)
        usage_misuse("pop3-tls-relay", usage, "--tls-cert is required");
}

int main(int argc, char **argv)
{
    struct tls_config cfg = { 0 };
    char err[TLS_ERR_MAX];

    log_init("pop3-tls-relay");
    log_connection();   /* the keys the greeter set up (log.h) */
    parse_options(argc, argv, &cfg);
    struct stat sb;
    if (fstat(TLS_RELAY_VERDICT_FD, &sb) < 0
        || !(S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
        usage_misuse("pop3-tls-relay", usage, "fd %d must be the verdict "
                     "pipe; this program is run by pop3-greeter",
                     TLS_RELAY_VERDICT_FD);
    }
    struct tls_server *srv = tls_server_new(&cfg, err, sizeof err);
    if (!srv) {
        log_error("%s", err);
        dprintf(TLS_RELAY_VERDICT_FD, "ERR %s\n", err);
        return EXIT_TEMP;
    }
    tls_relay_main(srv, 0, 1, TLS_RELAY_VERDICT_FD);
}
