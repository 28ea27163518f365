/* SPDX-License-Identifier: ISC */
/*
 * usage.h -- what every program says about itself, said the same way by
 * all of them, so scripts and administrators meet one convention:
 *
 *   PROG --version   "PROG (popkit) VERSION\n" on stdout, exit 0
 *   PROG --help      the program's usage on stdout, exit 0
 *   PROG -x          "PROG: unknown option '-x'\n" and the usage on
 *                    stderr, exit 2
 *   PROG -t          (no value) "PROG: option '-t' needs a value\n" and
 *                    the usage on stderr, exit 2
 *
 * VERSION is configure's PACKAGE_VERSION.  Only the first argument is
 * looked at for --version and --help: in a chain the arguments after a
 * program's own belong to the next program.
 */
#ifndef POPKIT_USAGE_H
#define POPKIT_USAGE_H

#include <stdio.h>

/* Prints the program's usage text to f. */
typedef void (*usage_fn)(FILE *f);

/* When argv[1] is --version or --help: answer as above and exit 0.
 * Otherwise return. */
void usage_std(int argc, char **argv, const char *prog, usage_fn print);
/* "PROG (popkit) VERSION" on stdout; exit 0. */
void usage_version(const char *prog) __attribute__((noreturn));
/* The unknown option opt (as the user typed it); exit 2. */
void usage_unknown(const char *prog, const char *opt, usage_fn print)
    __attribute__((noreturn));
/* Any other misuse: "PROG: " and the printf-style reason on one line
 * (to syslog when fd 2 is the client's, log.h), the usage on stderr;
 * exit 2. */
void usage_misuse(const char *prog, usage_fn print, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* After getopt(3) or getopt_long(3), called with opterr = 0, returned
 * '?' (an unknown option) or ':' (a missing value; the option string
 * starts with ':' after any '+'): say which, as above; exit 2. */
void usage_getopt(const char *prog, int ret, char **argv, usage_fn print)
    __attribute__((noreturn));

#endif
