/* SPDX-License-Identifier: ISC */
/*
 * cpw_args.c -- a stage 2's "[-X FILE] [--syslog] PROG..." (cpw_args.h).
 */
#include "cpw_args.h"

#include <string.h>

#include "log.h"
#include "usage.h"

int cpw_args_file(int argc, char **argv, const char *prog, const char *usage,
                  const char *opt, const char **file)
{
    int i = 1;

    usage_std(argc, argv, prog, usage);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], opt) == 0 && i + 1 < argc)
            *file = argv[++i];
        else if (strcmp(argv[i], "--syslog") == 0)
            log_syslog();
        else if (strcmp(argv[i], opt) != 0)
            usage_unknown(prog, argv[i], usage);
        else
            usage_misuse(prog, usage, "option '%s' needs a value", opt);
    }
    if (!**file)
        usage_misuse(prog, usage, "option '%s' needs a file name", opt);
    if (i >= argc)
        usage_misuse(prog, usage, "no PROG to run");
    return i;
}
