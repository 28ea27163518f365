/* SPDX-License-Identifier: ISC */
/* lib/usage: what --version, --help, an unknown option and a missing
 * value print, where, and the exit status; each case in a child. */
#include "usage.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static const char usage[] = "usage: prog [-t N]\n";

struct result {
    int status;
    char out[256], err[256];
};

static void slurp_fd(int fd, char *buf, size_t n)
{
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fd, buf + len, n - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = '\0';
    close(fd);
}

/* Run usage_std, then getopt over "+:t:" and usage_getopt, then the
 * operand's call (why, help, opt), in a child with argv {"prog", a1, a2}. */
static void run(const char *a1, const char *a2, struct result *r)
{
    int out[2], err[2], st;
    if (pipe(out) < 0 || pipe(err) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { "prog", (char *)a1, (char *)a2, NULL };
        int argc = a2 ? 3 : 2, o;
        dup2(out[1], 1);
        dup2(err[1], 2);
        usage_std(argc, argv, "prog", usage);
        opterr = 0;
        while ((o = getopt(argc, argv, "+:t:")) != -1)
            if (o == '?' || o == ':')
                usage_getopt("prog", o, argv, usage);
        /* What a program does with the operands after its options. */
        const char *rest = argv[optind] ? argv[optind] : "";
        if (strcmp(rest, "why") == 0)
            usage_misuse("prog", usage, "no %s given", "DIR");
        if (strcmp(rest, "help") == 0)
            usage_help(usage);
        if (strcmp(rest, "opt") == 0)
            usage_unknown("prog", "--long=value", usage);
        _exit(99);
    }
    close(out[1]);
    close(err[1]);
    slurp_fd(out[0], r->out, sizeof r->out);
    slurp_fd(err[0], r->err, sizeof r->err);
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    struct result r;
    char want[64];

    run("--version", NULL, &r);
    snprintf(want, sizeof want, "prog (popkit) %s\n", PACKAGE_VERSION);
    is_int(r.status, 0, "--version exits 0");
    is_str(r.out, want, "--version: 'prog (popkit) VERSION' on stdout");
    is_str(r.err, "", "--version: nothing on stderr");

    run("--help", NULL, &r);
    is_int(r.status, 0, "--help exits 0");
    is_str(r.out, "usage: prog [-t N]\n", "--help: the usage on stdout");

    run("-x", NULL, &r);
    is_int(r.status, 2, "an unknown option exits 2");
    is_str(r.err, "prog: unknown option '-x'\nusage: prog [-t N]\n",
           "an unknown option: named, then the usage, on stderr");
    is_str(r.out, "", "an unknown option: nothing on stdout");

    run("--bogus=1", NULL, &r);
    is_str(r.err, "prog: unknown option '--bogus'\nusage: prog [-t N]\n",
           "an unknown long option to getopt(3): named whole, without its value");

    run("-t", NULL, &r);
    is_int(r.status, 2, "a missing value exits 2");
    is_str(r.err, "prog: option '-t' needs a value\nusage: prog [-t N]\n",
           "a missing value: says which option needs one");

    run("-t", "5", &r);
    is_int(r.status, 99, "good options: usage returns to the program");

    run("why", NULL, &r);
    is_int(r.status, 2, "usage_misuse exits 2");
    is_str(r.err, "prog: no DIR given\nusage: prog [-t N]\n",
           "usage_misuse: 'PROG: why', then the usage, on stderr");
    is_str(r.out, "", "usage_misuse: nothing on stdout");

    run("help", NULL, &r);
    is_int(r.status, 0, "usage_help exits 0");
    is_str(r.out, "usage: prog [-t N]\n", "usage_help: the usage on stdout");
    is_str(r.err, "", "usage_help: nothing on stderr");

    run("opt", NULL, &r);
    is_int(r.status, 2, "usage_unknown exits 2");
    is_str(r.err, "prog: unknown option '--long'\nusage: prog [-t N]\n",
           "usage_unknown: the option named without its value");

    run("x", "--version", &r);
    is_int(r.status, 99, "--version past the first argument is not ours");
    return tap_done();
}
