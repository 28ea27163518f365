/* SPDX-License-Identifier: ISC */
/*
 * pop3cmd.c -- the command dispatcher (contract in pop3cmd.h).
 */
#include <string.h>
#include <strings.h>

#include "pop3cmd.h"

/* Steps 1 and 2: NUL first, so it gets its own answer, then the other
 * control characters.  Nothing a client meant as a command holds them,
 * and a log line or a checkpassword record must never see them. */
static enum pop3cmd_result check_octets(const char *line, size_t len)
{
    if (memchr(line, '\0', len))
        return POP3CMD_NUL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            return POP3CMD_CONTROL;
    }
    return POP3CMD_RAN;
}

static const struct pop3cmd *find_verb(const struct pop3cmd_table *t,
                                       const char *verb)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcasecmp(verb, t->cmds[i].verb) == 0)
            return &t->cmds[i];
    return NULL;
}

/* Split rest into words at runs of spaces; keep the first
 * POP3CMD_ARGS_MAX in argv[1..], count all of them in *argc. */
static enum pop3cmd_result split_words(char *rest, size_t arg_max,
                                       int *argc, char **argv)
{
    while (rest && *rest) {
        if (*rest == ' ') {
            rest++;
            continue;
        }
        size_t n = strcspn(rest, " ");
        if (arg_max && n > arg_max)
            return POP3CMD_ARG_TOO_LONG;
        if (*argc <= POP3CMD_ARGS_MAX)
            argv[*argc] = rest;
        ++*argc;
        rest += n;
        if (*rest)
            *rest++ = '\0';
    }
    return POP3CMD_RAN;
}

enum pop3cmd_result pop3cmd_run(const struct pop3cmd_table *t, void *ctx,
                                char *line, size_t len, int *ret)
{
    enum pop3cmd_result r = check_octets(line, len);
    if (r != POP3CMD_RAN)
        return r;
    while (*line == ' ')
        line++;
    if (!*line)
        return POP3CMD_EMPTY;
    char *rest = strchr(line, ' ');
    if (rest)
        *rest++ = '\0';
    const struct pop3cmd *c = find_verb(t, line);
    if (!c)
        return POP3CMD_UNKNOWN;
    char *argv[POP3CMD_ARGS_MAX + 2] = { line };
    int argc = 1;
    if (c->flags & POP3CMD_REST) {
        if (rest)
            argv[argc++] = rest;
    } else {
        r = split_words(rest, t->arg_max, &argc, argv);
        if (r != POP3CMD_RAN)
            return r;
    }
    if (argc - 1 < c->min_args || argc - 1 > c->max_args ||
        argc - 1 > POP3CMD_ARGS_MAX)
        return POP3CMD_ARITY;
    argv[argc] = NULL;
    *ret = c->run(ctx, argc, argv);
    return POP3CMD_RAN;
}

const char *pop3cmd_reply(enum pop3cmd_result r)
{
    switch (r) {
    case POP3CMD_NUL:
        return "-ERR NUL in command\r\n";
    case POP3CMD_CONTROL:
        return "-ERR control character in command\r\n";
    case POP3CMD_EMPTY:
        return "-ERR empty command\r\n";
    case POP3CMD_UNKNOWN:
        return "-ERR unknown command\r\n";
    case POP3CMD_ARG_TOO_LONG:
        return "-ERR argument too long\r\n";
    case POP3CMD_ARITY:
        return "-ERR wrong number of arguments\r\n";
    case POP3CMD_LINE_TOO_LONG:
        return "-ERR line too long\r\n";
    case POP3CMD_RAN:
        break;
    }
    return NULL;
}
