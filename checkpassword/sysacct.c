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
#include "util.h"

static void usage_exit(const char *prog, int pam)
{
    printf("usage: %s %s[-m MINUID] [--syslog] PROG...\n"
           "  Check the credentials on fd 3 against the system's %s,\n"
           "  then run PROG as that user (uid >= MINUID, default %d; never 0).\n"
           "  Exit 1: bad login, 2: misuse, 111: temporary failure.\n",
           prog, pam ? "[-s SERVICE] [-n] " : "",
           pam ? "PAM service (default " CPW_PAM_SERVICE_DEFAULT ")"
               : "accounts (passwd and shadow)",
           CPW_MIN_UID_DEFAULT);
    exit(0);
}

int sysacct_args(int argc, char **argv, int pam, struct sysacct_opts *o)
{
    const char *name = pam ? "checkpassword-pam" : "checkpassword-shadow";
    int i;
    uint32_t v;

    o->min_uid = CPW_MIN_UID_DEFAULT;
    o->service = CPW_PAM_SERVICE_DEFAULT;
    o->no_session = 0;
    if (argc > 1 && strcmp(argv[1], "--help") == 0)
        usage_exit(name, pam);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--") == 0)
            return i + 1 < argc ? i + 1 : -1;
        if (strcmp(opt, "--syslog") == 0) {
            log_syslog();
        } else if (strcmp(opt, "-m") == 0 && i + 1 < argc
            && parse_u32(argv[i + 1], &v) == 0) {
            o->min_uid = (uid_t)v;
            i++;
        } else if (pam && strcmp(opt, "-s") == 0 && i + 1 < argc
                   && argv[i + 1][0] && !strchr(argv[i + 1], '/')) {
            o->service = argv[++i];
        } else if (pam && strcmp(opt, "-n") == 0) {
            o->no_session = 1;
        } else {
            return -1;
        }
    }
    return i < argc ? i : -1;
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
