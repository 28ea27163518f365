/* SPDX-License-Identifier: ISC */
/*
 * fuzz_pop3cmd.c -- the command dispatcher (lib/pop3cmd) under the three
 * table shapes popkit gives it: the AUTHORIZATION state (REST arguments,
 * POP3_ARG_MAX), the TRANSACTION state (split arguments, arities 0-2)
 * and LMTP's (REST, no arg_max).  The first input byte picks the table;
 * the rest is one line as io_getline() hands it over (NUL after it, at
 * most POP3_CMD_MAX octets for POP3, any length for LMTP's).  The
 * handler checks what pop3cmd.h promises it.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "pop3cmd.h"

struct run_ctx {
    const char *line;          /* the caller's buffer */
    size_t len;
    const struct pop3cmd_table *t;
    int ran;
};

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int inside(const struct run_ctx *c, const char *p)
{
    return p >= c->line && p <= c->line + c->len;
}

static const struct pop3cmd *entry_of(const struct pop3cmd_table *t, const char *verb)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcasecmp(t->cmds[i].verb, verb) == 0)
            return &t->cmds[i];
    return NULL;
}

static int check_run(void *vctx, int argc, char **argv)
{
    struct run_ctx *c = vctx;
    c->ran++;
    CHECK(argc >= 1 && argc <= POP3CMD_ARGS_MAX + 1);
    CHECK(argv[argc] == NULL);
    const struct pop3cmd *e = entry_of(c->t, argv[0]);
    CHECK(e != NULL);
    CHECK(argc - 1 >= e->min_args && argc - 1 <= e->max_args);
    for (int i = 0; i < argc; i++) {
        CHECK(inside(c, argv[i]));
        size_t n = strlen(argv[i]);
        CHECK(inside(c, argv[i] + n));
        for (size_t k = 0; k < n; k++)
            CHECK(!is_control((unsigned char)argv[i][k]));
        if (i == 0 || (e->flags & POP3CMD_REST))
            continue;
        CHECK(n > 0 && strchr(argv[i], ' ') == NULL);
        CHECK(c->t->arg_max == 0 || n <= c->t->arg_max);
    }
    if (e->flags & POP3CMD_REST)
        CHECK(argc <= 2);
    return 42;
}

static const struct pop3cmd auth_cmds[] = {
    { "USER", check_run, 0, 1, POP3CMD_REST },
    { "PASS", check_run, 0, 1, POP3CMD_REST },
    { "APOP", check_run, 0, 1, POP3CMD_REST },
    { "AUTH", check_run, 0, 1, POP3CMD_REST },
    { "CAPA", check_run, 0, 0, 0 },
    { "STLS", check_run, 0, 0, 0 },
    { "QUIT", check_run, 0, 0, 0 },
};
static const struct pop3cmd trans_cmds[] = {
    { "STAT", check_run, 0, 0, 0 },
    { "LIST", check_run, 0, 1, 0 },
    { "UIDL", check_run, 0, 1, 0 },
    { "RETR", check_run, 1, 1, 0 },
    { "TOP", check_run, 2, 2, 0 },
    { "DELE", check_run, 1, 1, 0 },
    { "QUIT", check_run, 0, 0, 0 },
    { "USER", check_run, 0, 1, POP3CMD_REST },
};
static const struct pop3cmd lmtp_cmds[] = {
    { "LHLO", check_run, 0, 1, POP3CMD_REST },
    { "MAIL", check_run, 0, 1, POP3CMD_REST },
    { "RCPT", check_run, 0, 1, POP3CMD_REST },
    { "DATA", check_run, 0, 0, 0 },
    { "NOOP", check_run, 0, 1, POP3CMD_REST },
    { "VRFY", check_run, 1, 1, POP3CMD_REST },
};
static const struct pop3cmd_table tables[] = {
    POP3CMD_TABLE(auth_cmds, POP3_ARG_MAX),
    POP3CMD_TABLE(trans_cmds, POP3_ARG_MAX),
    POP3CMD_TABLE(lmtp_cmds, 0),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[4096];
    if (size < 1)
        return 0;
    const struct pop3cmd_table *t = &tables[data[0] % 3];
    size_t len = size - 1;
    size_t max = t->arg_max ? POP3_CMD_MAX - 2 : sizeof line - 1;
    if (len > max)
        return 0;        /* io_getline() would have refused it */
    memcpy(line, data + 1, len);
    line[len] = '\0';
    struct run_ctx c = { line, len, t, 0 };
    int ret = -1;
    enum pop3cmd_result r = pop3cmd_run(t, &c, line, len, &ret);
    CHECK(r >= POP3CMD_RAN && r <= POP3CMD_ARITY);
    CHECK((r == POP3CMD_RAN) == (c.ran == 1));
    CHECK(r == POP3CMD_RAN ? ret == 42 : ret == -1);
    CHECK(r == POP3CMD_RAN ? pop3cmd_reply(r) == NULL : pop3cmd_reply(r) != NULL);
    if (r != POP3CMD_NUL)
        CHECK(memchr(data + 1, 0, len) == NULL);
    else
        CHECK(memchr(data + 1, 0, len) != NULL);
    return 0;
}
