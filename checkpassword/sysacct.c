/* SPDX-License-Identifier: ISC */
/*
 * sysacct.c -- options, policy and exec for the system-account
 * checkpassword programs (sysacct.h).
 */
#include "config.h"

#include "sysacct.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpw.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "usage.h"
#include "util.h"

static void print_usage(FILE *f, const char *prog, int pam)
{
    fprintf(f, "usage: %s %s[-m MINUID] [--syslog] PROG...\n"
           "  Check the credentials on fd 3 against the system's %s,\n"
           "  then run PROG as that user (uid >= MINUID, default %d; never 0).\n"
           "  Exit 1: bad login, 2: misuse, 111: temporary failure.\n",
           prog, pam ? "[-s SERVICE] [-n] " : "",
           pam ? "PAM service (default " CPW_PAM_SERVICE_DEFAULT ")"
               : "accounts (passwd and shadow)",
           CPW_MIN_UID_DEFAULT);
}

static void usage_shadow(FILE *f)
{
    print_usage(f, "checkpassword-shadow", 0);
}

static void usage_pam(FILE *f)
{
    print_usage(f, "checkpassword-pam", 1);
}

/* Wrong usage: why, then the usage, exit 2 (CPW_MISUSE, lib/usage). */
static void misuse(const char *prog, const char *why, usage_fn print)
{
    usage_misuse(prog, print, "%s", why);
}

int sysacct_args(int argc, char **argv, int pam, struct sysacct_opts *o)
{
    const char *name = pam ? "checkpassword-pam" : "checkpassword-shadow";
    int i;
    uint32_t v;

    o->min_uid = CPW_MIN_UID_DEFAULT;
    o->service = CPW_PAM_SERVICE_DEFAULT;
    o->no_session = 0;
    usage_fn print = pam ? usage_pam : usage_shadow;
    usage_std(argc, argv, name, print);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(opt, "--syslog") == 0) {
            log_syslog();
        } else if (strcmp(opt, "-m") == 0) {
            if (i + 1 >= argc || parse_u32(argv[i + 1], &v) < 0)
                misuse(name, "option '-m' needs a number (a uid)", print);
            o->min_uid = (uid_t)v;
            i++;
        } else if (pam && strcmp(opt, "-s") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0] || strchr(argv[i + 1], '/'))
                misuse(name, "option '-s' needs a service name (no '/')", print);
            o->service = argv[++i];
        } else if (pam && strcmp(opt, "-n") == 0) {
            o->no_session = 1;
        } else {
            usage_unknown(name, opt, print);
        }
    }
    if (i >= argc)
        misuse(name, "no PROG to run", print);
    return i;
}

int sysacct_allowed(const struct passwd *pw, uid_t min_uid)
{
    char name[64];
    if (pw->pw_uid != 0 && pw->pw_uid >= min_uid)
        return 1;
    log_warn("login as %s refused: uid %lu%s",
             log_safe(name, sizeof name, pw->pw_name, strlen(pw->pw_name)),
             (unsigned long)pw->pw_uid,
             pw->pw_uid == 0 ? "" : " is below the minimum (-m)");
    return 0;
}

int sysacct_exec(const struct passwd *pw, char **prog)
{
    const char *why;
    if (privdrop_enter(pw->pw_name, pw->pw_dir, pw->pw_shell, &why)) {
        log_error("%s: %s %s: %s", pw->pw_name, why, pw->pw_dir,
                  strerror(errno));
        return CPW_TEMP;
    }
    execvp(prog[0], prog);
    log_error("cannot run %s: %s", prog[0], strerror(errno));
    return CPW_TEMP;
}
