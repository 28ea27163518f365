/* SPDX-License-Identifier: ISC */
#include "usage.h"

#include "exitcode.h"
#include "log.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage_version(const char *prog)
{
    printf("%s (%s) %s\n", prog, PACKAGE_NAME, PACKAGE_VERSION);
    exit(fflush(stdout) == 0 ? 0 : 1);
}

void usage_help(const char *usage)
{
    fputs(usage, stdout);
    exit(fflush(stdout) == 0 ? 0 : 1);
}

void usage_std(int argc, char **argv, const char *prog, const char *usage)
{
    if (argc < 2)
        return;
    if (strcmp(argv[1], "--version") == 0)
        usage_version(prog);
    if (strcmp(argv[1], "--help") == 0)
        usage_help(usage);
}

void usage_misuse(const char *prog, const char *usage, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    fflush(stdout);
    int n = snprintf(line, sizeof line, "%s: ", prog);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    /* Both through lib/log: on stderr as it is, or to syslog when fd 2 is
     * the client's socket (log.h) and must not be written. */
    log_usage(line);
    log_usage(usage);
    exit(EXIT_MISUSE);
}

static void __attribute__((noreturn))
usage_bad_option(const char *prog, int missing, const char *opt, int optlen,
                 const char *usage)
{
    if (missing)
        usage_misuse(prog, usage, "option '%.*s' needs a value", optlen, opt);
    usage_misuse(prog, usage, "unknown option '%.*s'", optlen, opt);
}

void usage_unknown(const char *prog, const char *opt, const char *usage)
{
    usage_bad_option(prog, 0, opt, (int)strcspn(opt, "="), usage);
}

void usage_getopt(const char *prog, int ret, char **argv, const char *usage)
{
    int missing = ret == ':';
    /* A short option is named by optopt; a long one (optopt 0 or a
     * getopt_long value past 255) only by the argument just passed.
     * Plain getopt(3) reads "--name" as the short option '-', and stays
     * on that argument. */
    if (optopt > 0 && optopt < 256 && optopt != '-') {
        char shortopt[3] = { '-', (char)optopt, '\0' };
        usage_bad_option(prog, missing, shortopt, 2, usage);
    }
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (optopt == '-' && argv[optind] && strncmp(argv[optind], "--", 2) == 0)
        arg = argv[optind];
    usage_bad_option(prog, missing, arg, (int)strcspn(arg, "="), usage);
}
