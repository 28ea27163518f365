/* SPDX-License-Identifier: ISC */
/*
 * usage.h -- what every program says about itself, said the same way by
 * all of them, so scripts and administrators meet one convention:
 *
 *   PROG --version   "PROG (popkit) VERSION\n" on stdout, exit 0
 *   PROG --help      the program's usage on stdout, exit 0
 *   PROG -x          "PROG: unknown option '-x'\n" and the usage on
 *                    stderr, exit 2 (EXIT_MISUSE, exitcode.h)
 *   PROG -t          (no value) "PROG: option '-t' needs a value\n" and
 *                    the usage on stderr, exit 2
 *   any other misuse "PROG: why\n" and the usage on stderr, exit 2
 *
 * Each program keeps its usage in one `static const char usage[]`, every
 * line ending in a newline: the synopsis first, "usage: PROG ..." and
 * its continuations and other forms indented deeper than two spaces,
 * then lines indented two spaces that explain.  The synopsis names the
 * options the man page's SYNOPSIS names (tests/integration/programs.sh
 * checks both).
 *
 * On misuse stderr means where lib/log sends lines (log_usage): plain
 * stderr as it is, or each line to syslog when fd 2 is the client's.
 *
 * VERSION is configure's PACKAGE_VERSION.  Only the first argument is
 * looked at for --version and --help: in a chain the arguments after a
 * program's own belong to the next program.
 */
#ifndef POPKIT_USAGE_H
#define POPKIT_USAGE_H

/* A number from params.h spelled in a usage[] text: "(default "
 * USAGE_NUM(MBOX_LOCK_WAIT) ")". */
#define USAGE_NUM(n) USAGE_NUM_(n)
#define USAGE_NUM_(n) #n

/* When argv[1] is --version or --help: answer as above and exit 0.
 * Otherwise return. */
void usage_std(int argc, char **argv, const char *prog, const char *usage);
/* "PROG (popkit) VERSION" on stdout; exit 0. */
void usage_version(const char *prog) __attribute__((noreturn));
/* The usage on stdout; exit 0 (a --help found among later options). */
void usage_help(const char *usage) __attribute__((noreturn));
/* The unknown option opt (as the user typed it); exit 2. */
void usage_unknown(const char *prog, const char *opt, const char *usage)
    __attribute__((noreturn));
/* Any other misuse: "PROG: " and the printf-style reason on one line,
 * then the usage; exit 2. */
void usage_misuse(const char *prog, const char *usage, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* After getopt(3) or getopt_long(3), called with opterr = 0, returned
 * '?' (an unknown option) or ':' (a missing value; the option string
 * starts with ':' after any '+'): say which, as above; exit 2. */
void usage_getopt(const char *prog, int ret, char **argv, const char *usage)
    __attribute__((noreturn));

#endif
