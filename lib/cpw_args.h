/* SPDX-License-Identifier: ISC */
/*
 * cpw_args.h -- the command line of a stage 2 that reads one file:
 * "[-X FILE] [--syslog] [--] PROG...", as checkpassword-virtual (-f, the
 * users file) and checkpassword-ldap (-c, the configuration) take it.
 *
 * --help and --version as the first argument answer and exit 0
 * (usage.h); --syslog sends the lines to syslog (log.h); an unknown
 * option, -X without a value or with an empty one, or no PROG is said
 * with the usage and exits 2.  Options end at the first argument not
 * starting with '-', or after "--": the rest is PROG and its arguments,
 * which belong to stage 3.
 */
#ifndef POPKIT_CPW_ARGS_H
#define POPKIT_CPW_ARGS_H

/* opt is the option ("-f"); *file keeps the default it holds unless the
 * option is given.  Returns the index of PROG in argv. */
int cpw_args_file(int argc, char **argv, const char *prog, const char *usage,
                  const char *opt, const char **file);

#endif
