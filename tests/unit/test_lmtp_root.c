/* SPDX-License-Identifier: ISC */
/*
 * test_lmtp_root.c -- popkit-lmtpd's root part (deliver/lmtp_root.c)
 * against a hostile parser: this file's lmtp_parse() replaces the real
 * one, and sends what scenario says, so each malformed request is
 * checked to end the connection with 111 (the parser killed, nothing
 * answered), and the well-formed ones to be answered.  The answers the fake parser gets are written to its fd 1,
 * which the test reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "fdpass.h"
#include "lmtp.h"
#include "tap.h"

static int scenario;

static void send_req(int fd, const void *p, size_t n, int pass)
{
    if (fdpass_send(fd, p, n, pass) < 0)
        _exit(98);
}

/* The answer's status as a letter on fd 1 ('a' + status), or '-' when
 * none came. */
static void relay_answer(int fd)
{
    struct lmtp_answer a;
    char c = recv(fd, &a, sizeof a, 0) == (ssize_t)sizeof a
                 ? (char)('a' + a.status) : '-';
    if (write(1, &c, 1) != 1)
        _exit(98);
}

#define REQ(s) send_req(reqfd, s, sizeof s - 1, -1)

void lmtp_parse(const struct lmtp_conf *conf, int reqfd)
{
    (void)conf;
    switch (scenario) {
    case 0:   /* well formed: a known and an unknown recipient, then done */
        REQ("Rjoe@example.org\0");
        relay_answer(reqfd);
        REQ("Rbob@example.org\0");
        relay_answer(reqfd);
        REQ("Rx@foreign.test\0");
        relay_answer(reqfd);
        _exit(0);
    case 1: REQ("Rjoe@example.org"); break;            /* no NUL */
    case 2: REQ("Rjoe@example.org\0bob@example.org\0"); break; /* two */
    case 3: REQ("Rjoe\n@example.org\0"); break;        /* a control char */
    case 4: REQ("Xjoe@example.org\0"); break;          /* unknown kind */
    case 5: REQ("D\0joe@example.org\0"); break;        /* DATA, no spool */
    case 6: REQ("D\0"); break;                         /* no recipient */
    case 7: {                                          /* a spool with R */
        int fd = memfd_create("x", 0);
        if (fd < 0)
            _exit(97);
        send_req(reqfd, "Rjoe@example.org", 17, fd);
        break;
    }
    case 8: {                                          /* too long */
        static char big[1 + LMTP_PATH_MAX + 2];
        big[0] = 'R';
        memset(big + 1, 'a', LMTP_PATH_MAX + 1);
        send_req(reqfd, big, sizeof big, -1);
        break;
    }
    case 9: {                                          /* past rcpt_max */
        static const char four[] = "D\0a@example.org\0a@example.org\0"
                                   "a@example.org\0a@example.org";
        int fd = memfd_create("x", 0);
        send_req(reqfd, four, sizeof four, fd);
        break;
    }
    }
    relay_answer(reqfd);   /* what follows: nothing, the root is gone */
    _exit(0);
}

static char work[] = "/tmp/test_lmtp_root.XXXXXX";
static char users[64], aliasdir[64], empty[64];

/* Run lmtp_run with the fake parser in scenario s: its exit status and
 * what the parser relayed (after the greeting). */
static int run(int s, char *out, size_t size)
{
    int p[2];
    if (pipe(p) < 0)
        exit(99);
    pid_t pid = fork();
    if (pid == 0) {
        struct lmtp_conf c = {
            .hostname = "lmtp.test", .users = users, .aliasdir = aliasdir,
            .size_max = 1000, .rcpt_max = 3, .timeout = 5,
            .privsep_dir = empty,
        };
        scenario = s;
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        close(null);
        _exit(lmtp_run(&c));
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n < size - 1 && (r = read(p[0], out + n, size - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    char *eol = strstr(out, "\r\n");
    if (eol)
        memmove(out, eol + 2, strlen(eol + 2) + 1);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    char out[256];
    if (!mkdtemp(work))
        return 99;
    chmod(work, 0755);
    snprintf(users, sizeof users, "%s/users", work);
    snprintf(aliasdir, sizeof aliasdir, "%s/aliases", work);
    snprintf(empty, sizeof empty, "%s/empty", work);
    mkdir(aliasdir, 0755);
    mkdir(empty, 0755);
    FILE *f = fopen(users, "w");
    fprintf(f, "joe@example.org:x:nobody:%s/joe\n", work);
    fclose(f);

    int st = run(0, out, sizeof out);
    char want[4] = { (char)('a' + DELIVER_OK), (char)('a' + DELIVER_UNKNOWN),
                     (char)('a' + DELIVER_UNKNOWN), '\0' };
    ok(strcmp(out, want) == 0,
       "well-formed RCPT requests: OK for a user, UNKNOWN for an unknown "
       "one and for an address outside popkit's domains (got '%s')", out);
    is_int(st, 0, "the parser done: exit 0");
    static const char *const bad[] = {
        NULL, "no NUL", "two addresses in an RCPT", "a control character",
        "an unknown kind", "DATA without a spool", "DATA without recipients",
        "a spool with RCPT", "an address over LMTP_PATH_MAX",
        "more recipients than rcpt_max",
    };
    for (int s = 1; s <= 9; s++) {
        st = run(s, out, sizeof out);
        /* The parser is killed before it can relay even '-'. */
        ok(st == 111 && strcmp(out, "") == 0,
           "%s: no answer, exit 111 (got %d, '%s')", bad[s], st, out);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", work);
    if (system(cmd) != 0)
        return 99;
    return tap_done();
}
