/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/pop3cmd: every check of a command line, in its
 * order, the two argument rules, and the one reply a refusal gets. */
#include <string.h>

#include "pop3cmd.h"
#include "tap.h"

/* What the last handler saw. */
struct seen {
    int calls;
    int argc;
    char args[POP3CMD_ARGS_MAX + 2][POP3_CMD_MAX + 1];
    int last_is_null;   /* argv[argc] == NULL */
};

/* Every entry's handler: records what it got.  A wrong entry found
 * shows in argc (each verb below has its own arity). */
static int record(void *ctx, int argc, char **argv)
{
    struct seen *got = ctx;
    got->calls++;
    got->argc = argc;
    for (int i = 0; i < argc && i < POP3CMD_ARGS_MAX + 2; i++)
        snprintf(got->args[i], sizeof got->args[i], "%s", argv[i]);
    got->last_is_null = argv[argc] == NULL;
    return 7;
}

static const struct pop3cmd cmds[] = {
    { "NOOP", record, 0, 0, 0 },
    { "TOP", record, 2, 2, 0 },
    { "LIST", record, 0, 1, 0 },
    { "MAIL", record, 1, 1, POP3CMD_REST },
    { "PASS", record, 0, 1, POP3CMD_REST },
};
static const struct pop3cmd_table table = POP3CMD_TABLE(cmds, POP3_ARG_MAX);

static struct seen w;
static int ret;

/* Run text (len octets, so a NUL may be inside) on a copy. */
static enum pop3cmd_result run_n(const char *text, size_t len)
{
    static char line[POP3_CMD_MAX + 1];
    memset(&w, 0, sizeof w);
    ret = -1;
    memcpy(line, text, len);
    line[len] = '\0';
    return pop3cmd_run(&table, &w, line, len, &ret);
}

static enum pop3cmd_result run(const char *text)
{
    return run_n(text, strlen(text));
}

/* Refused: this result, and the handler never ran. */
static void refused(const char *text, size_t len, enum pop3cmd_result want,
                    const char *what)
{
    enum pop3cmd_result r = run_n(text, len);
    ok(r == want && w.calls == 0 && ret == -1, "%s: refused (%d, want %d)",
       what, (int)r, (int)want);
}

/* The lines each check refuses, in the order of pop3cmd.h.  The length
 * is sizeof - 1, so a NUL may be inside. */
#define LINE(text) text, sizeof text - 1
static const struct {
    const char *text;
    size_t len;
    enum pop3cmd_result want;
    const char *what;
} refusals[] = {
    { LINE("NO\0OP"), POP3CMD_NUL, "NUL inside the verb" },
    { LINE("LIST 1\0"), POP3CMD_NUL, "NUL at the end" },
    /* NUL is below 0x20 too: it gets its own answer all the same. */
    { LINE("NOOP\t\0"), POP3CMD_NUL, "NUL wins over another control" },
    { LINE("NOOP\t"), POP3CMD_CONTROL, "TAB" },
    { LINE("LIST\t1"), POP3CMD_CONTROL, "TAB as a separator" },
    { LINE("NOOP\x7f"), POP3CMD_CONTROL, "DEL" },
    { LINE("NO\rOP"), POP3CMD_CONTROL, "a lone CR" },
    { LINE("\x1bNOOP"), POP3CMD_CONTROL, "ESC first" },
    { LINE("PASS a\x01"), POP3CMD_CONTROL, "a control character in a "
      "rest-of-line argument" },
    { LINE(""), POP3CMD_EMPTY, "an empty line" },
    { LINE("   "), POP3CMD_EMPTY, "only spaces" },
    { LINE("XYZZY"), POP3CMD_UNKNOWN, "an unknown verb" },
    { LINE("NOOPX"), POP3CMD_UNKNOWN, "a known verb with more after it" },
    { LINE("NOO"), POP3CMD_UNKNOWN, "a known verb's prefix" },
    { LINE("N\xc3\xb6OP"), POP3CMD_UNKNOWN, "an 8-bit verb" },
    { LINE("TOP 1"), POP3CMD_ARITY, "too few arguments" },
    { LINE("TOP"), POP3CMD_ARITY, "no arguments where two are needed" },
    { LINE("TOP 1 2 3"), POP3CMD_ARITY, "too many arguments" },
    { LINE("NOOP x"), POP3CMD_ARITY, "an argument where none is taken" },
    { LINE("LIST 1 2 3 4 5 6 7 8 9"), POP3CMD_ARITY,
      "more words than POP3CMD_ARGS_MAX" },
    { LINE("MAIL"), POP3CMD_ARITY, "rest of line, min_args 1, none given" },
};

static void test_refusals(void)
{
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        refused(refusals[i].text, refusals[i].len, refusals[i].want,
                refusals[i].what);
    is_int(run("PASS p\xc3\xa4ss \xe2\x9c\x93"), POP3CMD_RAN,
           "UTF-8 (octets 0x80-0xff) passes");
    is_int(run("PASS \x80\xff"), POP3CMD_RAN, "any 8-bit octet passes");
}

static void test_verbs(void)
{
    const char *forms[] = { "NOOP", "noop", "NoOp", "nOOp" };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        enum pop3cmd_result r = run(forms[i]);
        ok(r == POP3CMD_RAN && w.calls == 1 && w.argc == 1,
           "%s: found case-insensitively", forms[i]);
        is_str(w.args[0], forms[i], "argv[0] is the verb as sent");
    }
    ok(run("  NOOP") == POP3CMD_RAN && w.calls == 1 &&
       strcmp(w.args[0], "NOOP") == 0, "leading spaces are skipped");
    is_int(ret, 7, "the handler's return comes back in *ret");
}

static void test_split(void)
{
    ok(run("TOP 1 10") == POP3CMD_RAN && w.argc == 3 &&
       strcmp(w.args[1], "1") == 0 && strcmp(w.args[2], "10") == 0 &&
       w.last_is_null, "TOP 1 10: argc 3, argv[3] NULL");
    ok(run("top  1   10 ") == POP3CMD_RAN && w.argc == 3 &&
       strcmp(w.args[1], "1") == 0 && strcmp(w.args[2], "10") == 0,
       "runs of spaces and a trailing space separate words");
    ok(run("LIST") == POP3CMD_RAN && w.argc == 1 && w.last_is_null,
       "LIST alone: argc 1, argv[1] NULL");
    ok(run("NOOP ") == POP3CMD_RAN && w.argc == 1,
       "a trailing space is no argument");

    char arg[POP3_ARG_MAX + 2];
    memset(arg, 'a', sizeof arg - 1);
    arg[POP3_ARG_MAX] = '\0';
    char line[POP3_CMD_MAX + 1];
    snprintf(line, sizeof line, "LIST %s", arg);
    ok(run(line) == POP3CMD_RAN && strlen(w.args[1]) == POP3_ARG_MAX,
       "an argument of POP3_ARG_MAX octets passes");
    arg[POP3_ARG_MAX] = 'a';
    arg[POP3_ARG_MAX + 1] = '\0';
    snprintf(line, sizeof line, "LIST %s", arg);
    refused(line, strlen(line), POP3CMD_ARG_TOO_LONG,
            "an argument of POP3_ARG_MAX + 1 octets");
    snprintf(line, sizeof line, "NOOP %s", arg);
    refused(line, strlen(line), POP3CMD_ARG_TOO_LONG,
            "an over-long argument before the arity check");
}

static void test_rest(void)
{
    const char *from = "FROM:<a b@example.org> SIZE=100 BODY=8BITMIME";
    char line[POP3_CMD_MAX + 1];
    snprintf(line, sizeof line, "mail %s", from);
    ok(run(line) == POP3CMD_RAN && w.argc == 2 && w.last_is_null &&
       strcmp(w.args[0], "mail") == 0, "rest of line: argc 2");
    is_str(w.args[1], from, "the argument unsplit, spaces and all");
    ok(run("PASS  two  spaces ") == POP3CMD_RAN &&
       strcmp(w.args[1], " two  spaces ") == 0,
       "after the one space that follows the verb, as sent");
    ok(run("PASS ") == POP3CMD_RAN && w.argc == 2 && w.args[1][0] == '\0',
       "PASS and a space: an empty argument");
    ok(run("PASS") == POP3CMD_RAN && w.argc == 1 && w.last_is_null,
       "PASS alone: no argument");

    /* The length bound is the line's alone. */
    char pw[200];
    memset(pw, 'p', sizeof pw - 1);
    pw[sizeof pw - 1] = '\0';
    snprintf(line, sizeof line, "PASS %s", pw);
    ok(run(line) == POP3CMD_RAN && strlen(w.args[1]) == sizeof pw - 1,
       "no POP3_ARG_MAX on a rest-of-line argument");
}

static void test_no_arg_max(void)
{
    static const struct pop3cmd one[] = { { "LIST", record, 0, 1, 0 } };
    static const struct pop3cmd_table unbounded = POP3CMD_TABLE(one, 0);
    char line[POP3_CMD_MAX + 1];
    memset(line, 'x', sizeof line);
    memcpy(line, "LIST ", 5);
    line[200] = '\0';
    memset(&w, 0, sizeof w);
    ok(pop3cmd_run(&unbounded, &w, line, 200, &ret) == POP3CMD_RAN &&
       w.argc == 2, "arg_max 0: only the line bounds a split argument");
}

static void test_replies(void)
{
    enum pop3cmd_result all[] = { POP3CMD_NUL, POP3CMD_CONTROL, POP3CMD_EMPTY,
                                  POP3CMD_UNKNOWN, POP3CMD_ARG_TOO_LONG,
                                  POP3CMD_ARITY, POP3CMD_LINE_TOO_LONG };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *r = pop3cmd_reply(all[i]);
        size_t n = r ? strlen(r) : 0;
        ok(r && strncmp(r, "-ERR ", 5) == 0 && n > 7 && n < POP3_RESP_MAX &&
           strcmp(r + n - 2, "\r\n") == 0 && !memchr(r, '\n', n - 1),
           "result %d: one -ERR line", (int)all[i]);
        for (size_t j = 0; j < i; j++)
            ok(strcmp(r, pop3cmd_reply(all[j])) != 0,
               "result %d's text is not result %d's", (int)all[i],
               (int)all[j]);
    }
    ok(pop3cmd_reply(POP3CMD_RAN) == NULL, "no reply for a command that ran");
    /* The texts tests/integration asserts and clients may know. */
    is_str(pop3cmd_reply(POP3CMD_LINE_TOO_LONG), "-ERR line too long\r\n",
           "line too long");
    is_str(pop3cmd_reply(POP3CMD_NUL), "-ERR NUL in command\r\n", "NUL");
    is_str(pop3cmd_reply(POP3CMD_UNKNOWN), "-ERR unknown command\r\n",
           "unknown command");
}

int main(void)
{
    test_refusals();
    test_verbs();
    test_split();
    test_rest();
    test_no_arg_max();
    test_replies();
    return tap_done();
}
