/* SPDX-License-Identifier: ISC */
/*
 * sysacct.c -- options, policy and exec for the system-account
 * checkpassword programs (sysacct.h).
 */
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

int sysacct_args(int argc, char **argv, int pam, const char *usage,
                 struct sysacct_opts *o)
{
    const char *name = pam ? "checkpassword-pam" : "checkpassword-shadow";
    int i;
    uint32_t v;

    o->min_uid = CPW_MIN_UID_DEFAULT;
    o->service = CPW_PAM_SERVICE_DEFAULT;
    o->no_session = 0;
    usage_std(argc, argv, name, usage);
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
                usage_misuse(name, usage, "option '-m' needs a number (a uid)");
            o->min_uid = (uid_t)v;
            i++;
        } else if (pam && strcmp(opt, "-s") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0] || strchr(argv[i + 1], '/'))
                usage_misuse(name, usage,
                             "option '-s' needs a service name (no '/')");
            o->service = argv[++i];
        } else if (pam && strcmp(opt, "-n") == 0) {
            o->no_session = 1;
        } else {
            usage_unknown(name, opt, usage);
        }
    }
    if (i >= argc)
        usage_misuse(name, usage, "no PROG to run");
    return i;
}

int sysacct_allowed(const struct passwd *pw, uid_t min_uid)
{
    char name[LOG_FIELD_MAX];
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
