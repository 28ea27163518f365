/* SPDX-License-Identifier: ISC */
/*
 * popkit-deliver -- a local delivery agent: one message on stdin into the
 * Maildirs (and forward addresses) of one recipient of popkit's virtual
 * domains (popkit-deliver(8)).  The work is lib/deliver's; this file is
 * where the envelope comes from (arguments, or the environment each MTA
 * sets) and which exit-code convention answers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aliases.h"
#include "deliver.h"
#include "ldaprcpt.h"
#include "params.h"
#include "usage.h"

static const char usage[] =
    "usage: popkit-deliver [-f USERS] [-a ALIASDIR] [--ldap=CONFIG]\n"
    "         [-r SENDER] [-d RECIPIENT] [-s SIZE] [--quota-tempfail]\n"
    "         [--mta-delivered-to] [--qmail] [--sendmail=PATH] [RECIPIENT]\n"
    "  Deliver the message on stdin to RECIPIENT (or -d; else $RECIPIENT,\n"
    "  or with --qmail $DEFAULT@$HOST, else $EXT@$HOST) of the users file\n"
    "  USERS (default " CPW_USERS_FILE ") and the alias files in ALIASDIR\n"
    "  (default " ALIASES_DIR "/).  --ldap: the users are the entries of\n"
    "  checkpassword-ldap's directory that CONFIG describes (and those of\n"
    "  USERS too when -f is given).  The envelope sender is SENDER, else\n"
    "  $SENDER.  Exit codes are sysexits (0, 67 unknown, 75 try later, ...)\n"
    "  for Postfix pipe, Exim and OpenSMTPD; with --qmail, qmail-local's\n"
    "  (0, 100 bounce, 111 defer).  --quota-tempfail defers over-quota mail\n"
    "  instead of bouncing it.  --mta-delivered-to: the MTA prepended\n"
    "  Return-Path and Delivered-To itself (OpenSMTPD): its leading ones\n"
    "  are no loop and are not added again.  -s: largest message in octets (default "
    USAGE_NUM(DELIVER_SIZE_MAX) ").  --sendmail: the MTA's sendmail\n"
    "  for forwards (default " DELIVER_SENDMAIL ").\n";

enum { OPT_QUOTA_TEMPFAIL = 256, OPT_MTA_DT, OPT_QMAIL, OPT_SENDMAIL, OPT_LDAP,
       OPT_HELP };

static const struct option long_options[] = {
    { "quota-tempfail", no_argument, NULL, OPT_QUOTA_TEMPFAIL },
    { "mta-delivered-to", no_argument, NULL, OPT_MTA_DT },
    { "qmail", no_argument, NULL, OPT_QMAIL },
    { "sendmail", required_argument, NULL, OPT_SENDMAIL },
    { "ldap", required_argument, NULL, OPT_LDAP },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 }
};

struct config {
    const char *users, *aliasdir, *sender, *recipient;
    const char *ldap;       /* --ldap: the directory's configuration */
    int users_given;        /* -f: the users file as well as the directory */
    unsigned long long size_max;
    int qmail;
    struct deliver_opts opts;
};

static void parse_options(int argc, char **argv, struct config *c)
{
    int o;
    usage_std(argc, argv, "popkit-deliver", usage);
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":f:a:r:d:s:", long_options,
                            NULL)) != -1) {
        char *end;
        switch (o) {
        case 'f': c->users = optarg; c->users_given = 1; break;
        case 'a': c->aliasdir = optarg; break;
        case 'r': c->sender = optarg; break;
        case 'd': c->recipient = optarg; break;
        case 's':
            errno = 0;
            c->size_max = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || c->size_max == 0)
                usage_misuse("popkit-deliver", usage,
                             "-s wants a positive number, got '%s'", optarg);
            break;
        case OPT_QUOTA_TEMPFAIL: c->opts.quota_tempfail = 1; break;
        case OPT_MTA_DT: c->opts.mta_delivered_to = 1; break;
        case OPT_QMAIL: c->qmail = 1; break;
        case OPT_SENDMAIL: c->opts.sendmail = optarg; break;
        case OPT_LDAP:
            if (!*optarg)
                usage_misuse("popkit-deliver", usage,
                             "--ldap wants a configuration file");
            c->ldap = optarg;
            break;
        case OPT_HELP: usage_help(usage);
        default: usage_getopt("popkit-deliver", o, argv, usage);
        }
    }
    if (optind < argc && c->recipient)
        usage_misuse("popkit-deliver", usage,
                     "RECIPIENT given twice (-d and '%s')", argv[optind]);
    if (optind < argc)
        c->recipient = argv[optind++];
    if (optind < argc)
        usage_misuse("popkit-deliver", usage, "one RECIPIENT only, got '%s'",
                     argv[optind]);
}

/* qmail-local's recipient for a virtual domain: with virtualdomains
 * "abc.com:alias-abc", mail to joe@abc.com is the local address
 * alias-abc-joe@abc.com, run by ~alias/.qmail-abc-default with
 * EXT=abc-joe, DEFAULT=joe, HOST=abc.com; with "abc.com:abc" and
 * ~abc/.qmail-default, EXT=DEFAULT=joe.  $DEFAULT is the name in the
 * domain either way; $EXT serves a .qmail-NAME without -default. */
static char *qmail_recipient(void)
{
    const char *host = getenv("HOST");
    const char *name = getenv("DEFAULT");
    if (!name || !*name)
        name = getenv("EXT");
    if (!host || !*host || !name || !*name)
        return NULL;
    size_t n = strlen(name) + strlen(host) + 2;
    /* Static: the address lives as long as the process, and a leak
     * checker (scripts/test-sanitize) sees it held, not lost, whichever
     * return of main ends it. */
    static char *r;
    r = malloc(n);
    if (r)
        snprintf(r, n, "%s@%s", name, host);
    return r;
}

/* The envelope from the environment where the arguments gave none:
 * SENDER and RECIPIENT as Exim's pipe transport, OpenSMTPD's mda,
 * Postfix's local(8) and qmail-local set them. */
static void envelope_from_env(struct config *c)
{
    if (!c->sender)
        c->sender = getenv("SENDER");
    /* Postfix's pipe(8) spells the null sender MAILER-DAEMON unless the
     * transport says null_sender=; either way it is <>. */
    if (c->sender && strcasecmp(c->sender, "MAILER-DAEMON") == 0)
        c->sender = "";
    if (!c->recipient)
        c->recipient = c->qmail ? qmail_recipient() : getenv("RECIPIENT");
}

/* The directory of --ldap: checkpassword-ldap --recipients beside this
 * program (ldaprcpt.h).  NULL with the reason in err. */
static struct ldaprcpt *directory_open(const char *config, char *err,
                                       size_t errsz)
{
    char helper[4096];
    if (ldaprcpt_helper_beside(helper, sizeof helper) < 0) {
        snprintf(err, errsz, "cannot find checkpassword-ldap beside this "
                 "program (/proc/self/exe)");
        return NULL;
    }
    return ldaprcpt_new(helper, config, err, errsz);
}

static int finish(const struct config *c, enum deliver_status st,
                  const char *why)
{
    if (st != DELIVER_OK) {
        /* The MTA puts this line into its log and the bounce; Postfix's
         * pipe(8) takes an enhanced status code that starts it over the
         * exit status's own (so 67 with "5.2.2" says mailbox full). */
        const struct deliver_code *k = deliver_code(st);
        fprintf(stderr, "%s %s%s%s\n", k->enhanced, k->text,
                why && *why ? ": " : "", why ? why : "");
    }
    return deliver_exit_code(st, c->qmail);
}

int main(int argc, char **argv)
{
    struct config c = { .users = CPW_USERS_FILE, .aliasdir = ALIASES_DIR,
                        .size_max = DELIVER_SIZE_MAX };
    parse_options(argc, argv, &c);
    envelope_from_env(&c);
    /* A missing envelope is the MTA's setup, not the message: defer. */
    if (!c.recipient || !*c.recipient)
        return finish(&c, DELIVER_TEMP, "no recipient: give RECIPIENT or -d"
                                        " (or set $RECIPIENT)");
    if (!c.sender)
        return finish(&c, DELIVER_TEMP, "no envelope sender: give -r SENDER"
                                        " (or set $SENDER)");
    struct deliver_spool s;
    if (deliver_spool_open(&s, c.size_max) < 0)
        return finish(&c, DELIVER_TEMP, strerror(errno));
    if (deliver_spool_from_fd(&s, 0) < 0 || deliver_spool_finish(&s) < 0)
        return finish(&c, errno == EFBIG ? DELIVER_TOOBIG : DELIVER_TEMP,
                      errno == EFBIG ? NULL : strerror(errno));
    struct ldaprcpt *dir = NULL;
    char err[512];
    if (c.ldap && !(dir = directory_open(c.ldap, err, sizeof err))) {
        deliver_spool_close(&s);
        return finish(&c, DELIVER_TEMP, err);
    }
    /* With --ldap the users file is read only when -f names it. */
    struct aliases *a = aliases_open(c.ldap && !c.users_given ? NULL : c.users,
                                     c.aliasdir);
    if (!a) {
        ldaprcpt_free(dir);
        deliver_spool_close(&s);
        return finish(&c, DELIVER_TEMP, strerror(errno));
    }
    if (dir)
        aliases_set_directory(a, ldaprcpt_lookup, dir);
    struct deliver_report r;
    enum deliver_status st =
        deliver_recipient(a, &s, c.sender, c.recipient, &c.opts, &r);
    aliases_close(a);
    ldaprcpt_free(dir);
    deliver_spool_close(&s);
    return finish(&c, st, r.why);
}
