/* SPDX-License-Identifier: ISC */
/*
 * pop3cmd.h -- one command dispatcher for the line protocols popkit
 * speaks: the POP3 AUTHORIZATION state (pop3d/greeter_auth.c), the
 * TRANSACTION state (pop3d/trans_cmds.c), and any later one (LMTP) with
 * its own table.  One set of rules for every state, so a bad line gets
 * the same answer before login and after it.
 *
 * The caller reads a line (io_getline, which bounds its length, takes
 * off the line end and puts a NUL after it) and hands it over with its
 * length.  pop3cmd_run()
 * then, in this order:
 *   1. refuses a NUL anywhere in the line          POP3CMD_NUL
 *   2. refuses any other control character
 *      (0x00-0x1f, TAB and a lone CR among them, and DEL 0x7f);
 *      octets 0x80-0xff pass (UTF-8 names and passwords)
 *                                                  POP3CMD_CONTROL
 *   3. takes the verb, the first word (leading spaces skipped), and
 *      refuses a line with none                    POP3CMD_EMPTY
 *   4. finds it in the table, ASCII case-insensitively
 *                                                  POP3CMD_UNKNOWN
 *   5. splits the arguments by the entry's rule (below), refusing a split
 *      argument longer than the table's arg_max   POP3CMD_ARG_TOO_LONG
 *   6. refuses fewer than min_args or more than max_args arguments
 *                                                  POP3CMD_ARITY
 *   7. runs the handler                            POP3CMD_RAN
 *
 * Arguments, by the entry's flags:
 *   split (0)       words separated by runs of spaces, each at most the
 *                   table's arg_max octets (RFC 2449 §4: 40 for POP3);
 *                   argc counts them, never more than POP3CMD_ARGS_MAX
 *                   are kept (more is POP3CMD_ARITY).
 *   POP3CMD_REST    the argument is everything after the one space that
 *                   follows the verb, as sent: spaces inside, possibly
 *                   empty, bounded only by the line (a password, AUTH's
 *                   initial response, LMTP's "FROM:<a b@c> SIZE=10").
 *                   argc is 2 when the verb is followed by a space, else
 *                   1; min_args/max_args are then 0 or 1.
 *
 * The handler gets the caller's context pointer, argc and argv: argv[0]
 * the verb as sent, argv[1..argc-1] the arguments, argv[argc] NULL.  They
 * point into the caller's line, which pop3cmd_run() cuts up in place
 * (NULs after the verb and each split word); they live as long as it.
 *
 * One result vocabulary: the caller answers a refusal with the text its
 * protocol gives each result -- pop3cmd_reply() for POP3; LMTP maps the
 * same results to its 5xx replies.  POP3CMD_LINE_TOO_LONG is not
 * pop3cmd_run()'s (the reader finds it, IO_TOOLONG) but has its one POP3
 * text here too.
 */
#ifndef POPKIT_POP3CMD_H
#define POPKIT_POP3CMD_H

#include <stddef.h>

#include "params.h"

enum pop3cmd_result {
    POP3CMD_RAN = 0,          /* the handler ran; its return in *ret */
    POP3CMD_NUL,
    POP3CMD_CONTROL,
    POP3CMD_EMPTY,
    POP3CMD_UNKNOWN,
    POP3CMD_ARG_TOO_LONG,
    POP3CMD_ARITY,
    POP3CMD_LINE_TOO_LONG     /* the reader's IO_TOOLONG, for the reply */
};

/* The argument is the rest of the line, unsplit (see above). */
#define POP3CMD_REST 0x01u

typedef int pop3cmd_fn(void *ctx, int argc, char **argv);

struct pop3cmd {
    const char *verb;
    pop3cmd_fn *run;
    unsigned char min_args, max_args;  /* after the verb */
    unsigned char flags;               /* POP3CMD_REST or 0 */
};

struct pop3cmd_table {
    const struct pop3cmd *cmds;
    size_t count;
    size_t arg_max;   /* longest split argument; 0: only the line bounds it */
};

#define POP3CMD_TABLE(cmds, arg_max) \
    { (cmds), sizeof (cmds) / sizeof (cmds)[0], (arg_max) }

/* Check line (len octets, no line end) and run its command from t with
 * ctx.  Returns POP3CMD_RAN with the handler's return in *ret, or the
 * reason the line was refused (nothing ran, *ret untouched). */
enum pop3cmd_result pop3cmd_run(const struct pop3cmd_table *t, void *ctx,
                                char *line, size_t len, int *ret);

/* POP3's answer to a refusal: "-ERR ...\r\n".  NULL for POP3CMD_RAN. */
const char *pop3cmd_reply(enum pop3cmd_result r);

#endif
