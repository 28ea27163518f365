/* SPDX-License-Identifier: ISC */
/*
 * ldaprcpt.c -- recipients from the directory, through checkpassword-ldap
 * --recipients (ldaprcpt.h).
 */
#include "ldaprcpt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "ldapcfg.h"
#include "params.h"
#include "util.h"

struct ldaprcpt {
    char *helper, *config;
    int timeout_ms;   /* for one answer */
    pid_t pid;        /* the helper, 0 when none runs */
    int fd;           /* its socket, -1 when none */
};

struct ldaprcpt *ldaprcpt_new(const char *helper, const char *config,
                              char *err, size_t errsz)
{
    struct ldapcfg c;
    struct ldaprcpt *r;

    if (ldapcfg_load(config, &c, err, errsz))
        return NULL;
    if (access(helper, X_OK) < 0) {
        str_cut(err, errsz, "the lookup helper %s: %s", helper,
                strerror(errno));
        ldapcfg_free(&c);
        return NULL;
    }
    r = calloc(1, sizeof *r);
    if (r) {
        /* The helper's own deadline (connect, StartTLS, bind, search)
         * with a margin: it answers TEMP or dies before this. */
        r->timeout_ms = (int)(c.timeout + 3 * c.op_timeout + 2) * 1000;
        r->fd = -1;
        r->helper = strdup(helper);
        r->config = strdup(config);
    }
    ldapcfg_free(&c);
    if (!r || !r->helper || !r->config) {
        ldaprcpt_free(r);
        str_cut(err, errsz, "out of memory");
        return NULL;
    }
    return r;
}

/* Kill (when asked) and reap the helper; no helper runs after. */
static void helper_stop(struct ldaprcpt *r, int kill_it)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->pid > 0) {
        if (kill_it)
            kill(r->pid, SIGKILL);
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    r->pid = 0;
}

void ldaprcpt_free(struct ldaprcpt *r)
{
    if (!r)
        return;
    helper_stop(r, 0);   /* EOF on its stdin ends it */
    free(r->helper);
    free(r->config);
    free(r);
}

/* Start the helper on one end of a socket pair.  0, or -1 with why. */
static int helper_start(struct ldaprcpt *r, char *why, size_t whysz)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        str_cut(why, whysz, "socketpair: %s", strerror(errno));
        return -1;
    }
    r->pid = fork();
    if (r->pid < 0) {
        str_cut(why, whysz, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        r->pid = 0;
        return -1;
    }
    if (r->pid == 0) {
        char *argv[] = { r->helper, (char *)"--recipients", (char *)"-c",
                         r->config, NULL };
        /* dup2 clears close-on-exec on 0 and 1; the rest stays shut. */
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
            _exit(EXIT_TEMP);
        execv(argv[0], argv);
        _exit(EXIT_TEMP);
    }
    close(sv[1]);
    r->fd = sv[0];
    return 0;
}

/* One answer line into buf (its LF replaced by NUL) within the
 * timeout.  0, or -1 with why. */
static int read_answer(struct ldaprcpt *r, char *buf, size_t size,
                       char *why, size_t whysz)
{
    long long deadline = now_ms() + r->timeout_ms;
    size_t have = 0;

    for (;;) {
        struct pollfd p = { .fd = r->fd, .events = POLLIN };
        long long left = deadline - now_ms();
        ssize_t n;
        char *nl;

        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            str_cut(why, whysz, "the directory lookup timed out");
            return -1;
        }
        n = read(r->fd, buf + have, size - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            str_cut(why, whysz, "the directory lookup helper %s",
                    n < 0 ? strerror(errno) : "exited (see its log)");
            return -1;
        }
        have += (size_t)n;
        buf[have] = '\0';
        if ((nl = memchr(buf, '\n', have)) != NULL) {
            *nl = '\0';
            if (nl + 1 != buf + have)
                break;   /* more than one answer: not our helper */
            return 0;
        }
        if (have == size - 1)
            break;
    }
    str_cut(why, whysz, "the directory lookup helper sent a malformed answer");
    return -1;
}

/* Ask the running helper about address; the answer line in buf. */
static int ask(struct ldaprcpt *r, const char *address, char *buf,
               size_t size, char *why, size_t whysz)
{
    char req[USERDB_ADDRESS_MAX + 2];
    int n = snprintf(req, sizeof req, "%s\n", address);
    ssize_t w;

    if (n < 0 || (size_t)n >= sizeof req) {
        str_cut(why, whysz, "address too long");
        return -1;
    }
    while ((w = send(r->fd, req, (size_t)n, MSG_NOSIGNAL)) < 0
           && errno == EINTR)
        ;
    if (w != n) {
        str_cut(why, whysz, "the directory lookup helper is gone: %s",
                w < 0 ? strerror(errno) : "short write");
        return -1;
    }
    return read_answer(r, buf, size, why, whysz);
}

int ldaprcpt_lookup(void *ctx, const char *address, struct userdb_entry *e,
                    char *why, size_t whysz)
{
    struct ldaprcpt *r = ctx;
    char line[LDAPRCPT_ANSWER_MAX];
    int rc;

    for (const char *p = address; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            /* The request is one line: no LF may reach it. */
            str_cut(why, whysz, "a control character in the address");
            return -1;
        }
    if (r->pid == 0 && helper_start(r, why, whysz) < 0)
        return -1;
    if (ask(r, address, line, sizeof line, why, whysz) < 0) {
        helper_stop(r, 1);
        return -1;
    }
    rc = ldaprcpt_parse(line, address, e, why, whysz);
    if (rc < 0 && strncmp(line, "TEMP\t", 5) != 0)
        helper_stop(r, 1);   /* it said what it never says */
    return rc;
}

/* ---- the answer ---- */

/* Split s at tabs into at most max fields (in place); their count. */
static size_t split_tabs(char *s, char **f, size_t max)
{
    size_t k = 0;
    f[k++] = s;
    while (k < max && (s = strchr(s, '\t')) != NULL) {
        *s++ = '\0';
        f[k++] = s;
    }
    return k;
}

/* *e for address, owner, home, maildir: one allocation, as the users
 * file's entries own theirs (userdb_entry_free releases it). */
static int fill(struct userdb_entry *e, const char *address,
                char *const *f)
{
    const char *part[] = { address, "", f[1], f[2], "", f[3] };
    char **slot[] = { &e->address, &e->hash, &e->owner, &e->home, &e->apop,
                      &e->maildir };
    size_t size = 0, at = 0;

    for (size_t i = 0; i < 6; i++)
        size += strlen(part[i]) + 1;
    memset(e, 0, sizeof *e);
    if ((e->line = malloc(size)) == NULL)
        return -1;
    e->size = size;
    for (size_t i = 0; i < 6; i++) {
        size_t n = strlen(part[i]) + 1;
        memcpy(e->line + at, part[i], n);
        *slot[i] = e->line + at;
        at += n;
    }
    return 0;
}

int ldaprcpt_parse(const char *line, const char *address,
                   struct userdb_entry *e, char *why, size_t whysz)
{
    char copy[LDAPRCPT_ANSWER_MAX], *f[5];
    size_t k;

    if (strcmp(line, "NO") == 0)
        return 0;
    if (strncmp(line, "TEMP\t", 5) == 0) {
        str_cut(why, whysz, "%s", line + 5);
        return -1;
    }
    size_t len = strlen(line);
    if (len >= sizeof copy)
        goto malformed;
    memcpy(copy, line, len + 1);
    k = split_tabs(copy, f, 5);
    if (k != 4 || strcmp(f[0], "OK") != 0 || !userdb_valid_owner(f[1])
        || !userdb_valid_home(f[2])
        || (*f[3] && !userdb_valid_home(f[3])))
        goto malformed;
    if (fill(e, address, f) < 0) {
        str_cut(why, whysz, "out of memory");
        return -1;
    }
    return 1;
malformed:
    str_cut(why, whysz, "the directory lookup helper sent a malformed answer");
    return -1;
}

int ldaprcpt_helper_beside(char *buf, size_t size)
{
    static const char name[] = "checkpassword-ldap";
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    char *slash;

    if (n < 0)
        return -1;
    path[n] = '\0';
    slash = strrchr(path, '/');
    if (!slash)
        return -1;
    slash[1] = '\0';
    n = snprintf(buf, size, "%s%s", path, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
