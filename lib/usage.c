/* SPDX-License-Identifier: ISC */
#include "usage.h"

#include "config.h"
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

void usage_std(int argc, char **argv, const char *prog, usage_fn print)
{
    if (argc < 2)
        return;
    if (strcmp(argv[1], "--version") == 0)
        usage_version(prog);
    if (strcmp(argv[1], "--help") == 0) {
        print(stdout);
        exit(fflush(stdout) == 0 ? 0 : 1);
    }
}

void usage_misuse(const char *prog, usage_fn print, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    fflush(stdout);
    int n = snprintf(line, sizeof line, "%s: ", prog);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    strcat(line, "\n");
    /* Through lib/log: on stderr as it is, or to syslog when fd 2 is the
     * client's socket (log.h), where the usage text below goes nowhere. */
    log_usage(line);
    print(stderr);
    exit(EXIT_MISUSE);
}

static void __attribute__((noreturn))
usage_fail(const char *prog, int missing, const char *opt, int optlen, usage_fn print)
{
    if (missing)
        usage_misuse(prog, print, "option '%.*s' needs a value", optlen, opt);
    usage_misuse(prog, print, "unknown option '%.*s'", optlen, opt);
}

void usage_unknown(const char *prog, const char *opt, usage_fn print)
{
    usage_fail(prog, 0, opt, (int)strcspn(opt, "="), print);
}

void usage_getopt(const char *prog, int ret, char **argv, usage_fn print)
{
    int missing = ret == ':';
    /* A short option is named by optopt; a long one (optopt 0 or a
     * getopt_long value past 255) only by the argument just passed.
     * Plain getopt(3) reads "--name" as the short option '-', and stays
     * on that argument. */
    if (optopt > 0 && optopt < 256 && optopt != '-') {
        char shortopt[3] = { '-', (char)optopt, '\0' };
        usage_fail(prog, missing, shortopt, 2, print);
    }
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (optopt == '-' && argv[optind] && strncmp(argv[optind], "--", 2) == 0)
        arg = argv[optind];
    usage_fail(prog, missing, arg, (int)strcspn(arg, "="), print);
}
