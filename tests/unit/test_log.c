#include "log.h"
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run a logging call in a child with stderr on a pipe; return the text. */
static char *capture(void (*fn)(void), int *status)
{
    static char out[4096];
    int p[2];
    if (pipe(p) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        log_init("/usr/sbin/popkit-test");
        fn();
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = '\0';
    close(p[0]);
    waitpid(pid, status, 0);
    return out;
}

static void say_info(void) { log_info("login user=%s", "joe"); }
static void say_long(void)
{
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_warn("%s", big);
}
static void say_die(void) { log_die(111, "cannot open %s", "Maildir"); }

int main(void)
{
    int st;
    char *s = capture(say_info, &st);
    is_str(s, "popkit-test: info: login user=joe\n", "prefix is basename, one line");
    s = capture(say_long, &st);
    ok(strlen(s) < 1100 && s[strlen(s) - 1] == '\n', "long message cut, still one line");
    s = capture(say_die, &st);
    is_str(s, "popkit-test: fatal: cannot open Maildir\n", "log_die says fatal");
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 111, "log_die exits with its code");

    char out[16];
    is_str(log_safe(out, sizeof out, "jo\ne\x01 x", 7), "jo?e??x", "control bytes and spaces made printable");
    is_str(log_safe(out, 5, "abcdefgh", 8), "abcd", "truncated to the buffer");
    is_str(log_safe(out, sizeof out, "a\0b", 3), "a?b", "NUL made printable");
    return tap_done();
}
