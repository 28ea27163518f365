/* SPDX-License-Identifier: ISC */
/*
 * deliver_pool.c -- deliver.h's pool: one delivery child per owner
 * account, kept for as long as its caller (a popkit-lmtpd connection)
 * keeps delivering.
 *
 * Why: a child forked, switched to the owner and reaped for every
 * mailbox cost more CPU than the Maildir protocol's own system calls
 * (bench/RESULTS.md: fork and exit led popkit-lmtpd's profile).  The
 * isolation a child per mailbox gave is kept where it matters: every
 * owner has a process of its own that holds that owner's privilege and
 * nothing else (it closes every descriptor but its socket), and a child
 * that dies fails only the mailbox it was writing.  Mail of two
 * mailboxes of one owner shares a process, as it shares the account.
 *
 * Once it is the owner, the child executes this program again (the
 * file it was started from, by the descriptor opened at
 * deliver_pool_new, so an upgrade in between does not pair two
 * versions), with argv[1] DELIVER_POOL_CHILD_ARG: a fresh image that
 * holds none of the caller's memory -- not the users file, whose
 * password hashes an owner's process has no business with, nor the
 * caller's heap, which a forked child would count in its RSS again.
 * Where the file cannot be opened or executed (no /proc), the forked
 * image serves as it is.
 *
 * The request, one datagram, the spool riding along (lib/fdpass):
 *   struct pool_req_head, then SENDER NUL RECIPIENT NUL MAILDIR NUL
 *   HOSTNAME NUL ("" for gethostname(2));
 * the answer, one datagram: a struct deliver_report.
 * The child trusts the numbers it is sent: they come from the process
 * that forked it, which rescanned the spool itself.
 */
#include "deliver_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver_status.h"
#include "fdpass.h"
#include "params.h"
#include "util.h"

struct pool_req_head {
    uint64_t octets, wire, header_end;
    uint8_t quota_tempfail, mta_delivered_to;
};

/* The head and four strings: the sender, recipient and host name are
 * header-line text (USERDB_LINE_MAX at most), the Maildir a home and
 * "/Maildir". */
#define POOL_REQ_SIZE \
    (sizeof(struct pool_req_head) + 3 * (USERDB_LINE_MAX + 1) + \
     USERDB_HOME_MAX + sizeof "/Maildir")

struct pool_child {
    char owner[USERDB_OWNER_MAX + 1];
    pid_t pid;                /* 0: a free slot */
    int sock;
    unsigned long used;       /* the pool's clock at its last use */
};

struct deliver_pool {
    struct pool_child c[DELIVER_POOL_MAX];
    unsigned long clock;
    int exe;                  /* this program's file, or -1 */
};

/* The descriptors a child has: the socket, and the program to execute
 * (close-on-exec) when there is one. */
#define POOL_CHILD_SOCK 3
#define POOL_CHILD_EXE 4

/* This program's file, opened by the name the kernel gives it (valgrind
 * and the like give their client's), close-on-exec; -1 when unknown. */
static int open_self(void)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return -1;
    path[n] = '\0';
    return open(path, O_RDONLY | O_CLOEXEC);
}

struct deliver_pool *deliver_pool_new(void)
{
    struct deliver_pool *p = calloc(1, sizeof(struct deliver_pool));
    if (p)
        p->exe = open_self();
    return p;
}

/* Close the child's socket (it exits on the end of file) and reap it;
 * kill it first when it answered what it never sends. */
static void child_drop(struct pool_child *c, int kill_it)
{
    if (kill_it)
        kill(c->pid, SIGKILL);
    close(c->sock);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    memset(c, 0, sizeof *c);
}

void deliver_pool_free(struct deliver_pool *p)
{
    if (!p)
        return;
    /* All sockets first: the children end together, then are reaped. */
    for (int i = 0; i < DELIVER_POOL_MAX; i++)
        if (p->c[i].pid > 0)
            shutdown(p->c[i].sock, SHUT_RDWR);
    for (int i = 0; i < DELIVER_POOL_MAX; i++)
        if (p->c[i].pid > 0)
            child_drop(&p->c[i], 0);
    if (p->exe >= 0)
        close(p->exe);
    free(p);
}

/* ---- The child ---- */

/* Nothing of the parent's but the socket (moved to fd 3), stderr and
 * the program's file (fd 4, close-on-exec; -1 stays -1): not the
 * client's connection, not the other owners' sockets. */
static int child_close_others(int sock, int *exe)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
        return -1;
    if (sock != POOL_CHILD_SOCK && dup2(sock, POOL_CHILD_SOCK) < 0)
        return -1;
    if (*exe >= 0) {
        if (*exe != POOL_CHILD_EXE &&
            (dup2(*exe, POOL_CHILD_EXE) < 0 ||
             fcntl(POOL_CHILD_EXE, F_SETFD, FD_CLOEXEC) < 0))
            return -1;
        *exe = POOL_CHILD_EXE;
    }
    fd_close_from(*exe >= 0 ? POOL_CHILD_EXE + 1 : POOL_CHILD_SOCK + 1);
    return 0;
}

/* Execute the program's file at exe as DELIVER_POOL_CHILD_ARG, under
 * the name the caller runs as.  Returns only when that failed. */
static void child_exec(int exe)
{
    extern char **environ;
    char name[17] = "";
    prctl(PR_GET_NAME, name, 0, 0, 0);
    char *argv[] = { name, (char *)DELIVER_POOL_CHILD_ARG, NULL };
    syscall(SYS_execveat, exe, "", argv, environ, AT_EMPTY_PATH);
}

/* One request: deliver it into r. */
static void child_deliver(char *buf, size_t n, int fd,
                          struct deliver_report *r)
{
    struct pool_req_head h;
    char *v[4];
    size_t at = sizeof h;
    report_init(r);
    if (n < sizeof h || fd < 0) {
        fail(r, DELIVER_TEMP, "a malformed delivery request");
        return;
    }
    memcpy(&h, buf, sizeof h);
    for (int i = 0; i < 4; i++) {
        char *end = at < n ? memchr(buf + at, '\0', n - at) : NULL;
        if (!end) {
            fail(r, DELIVER_TEMP, "a malformed delivery request");
            return;
        }
        v[i] = buf + at;
        at = (size_t)(end - buf) + 1;
    }
    struct deliver_spool s = { .fd = fd, .octets = h.octets, .wire = h.wire,
                               .header_end = h.header_end };
    struct deliver_opts o = { .quota_tempfail = h.quota_tempfail,
                              .mta_delivered_to = h.mta_delivered_to,
                              .hostname = *v[3] ? v[3] : NULL };
    deliver_mailbox(&s, v[0], v[1], v[2], &o, r);
}

/* Answer requests on sock until it closes: each delivered, or failed
 * with who when the child could not become the owner. */
static void __attribute__((noreturn))
child_serve(int sock, const struct deliver_report *who)
{
    static char buf[POOL_REQ_SIZE];
    for (;;) {
        int fd;
        struct deliver_report r;
        ssize_t n = fdpass_recv(sock, buf, sizeof buf, &fd);
        if (n <= 0)
            _exit(0);
        if (who->status != DELIVER_OK)
            r = *who;
        else
            child_deliver(buf, (size_t)n, fd, &r);
        if (fd >= 0)
            close(fd);
        if (send(sock, &r, sizeof r, MSG_NOSIGNAL) != (ssize_t)sizeof r)
            _exit(1);
    }
}

static void child_main(int sock, const char *owner, int exe)
{
    struct deliver_report who;
    report_init(&who);
    if (child_close_others(sock, &exe) < 0)
        _exit(1);
    if (deliver_become(owner, &who) == DELIVER_OK && exe >= 0)
        child_exec(exe);
    if (exe >= 0)
        close(exe);
    child_serve(POOL_CHILD_SOCK, &who);
}

void deliver_pool_child_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], DELIVER_POOL_CHILD_ARG) != 0)
        return;
    /* Named as its caller is in ps(1), whatever the kernel made of an
     * execution by descriptor. */
    const char *base = strrchr(argv[0], '/');
    prctl(PR_SET_NAME, base ? base + 1 : argv[0], 0, 0, 0);
    struct deliver_report who;
    report_init(&who);
    child_serve(POOL_CHILD_SOCK, &who);
}

/* ---- The caller's side ---- */

static struct pool_child *child_start(struct pool_child *c,
                                      const char *owner, int exe,
                                      struct deliver_report *r)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        fail_errno(r, errno, "socketpair", "for a delivery");
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        fail_errno(r, e, "fork", "for a delivery");
        return NULL;
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(sv[1], owner, exe);
    }
    close(sv[1]);
    memcpy(c->owner, owner, strlen(owner) + 1);
    c->pid = pid;
    c->sock = sv[0];
    return c;
}

/* The child for owner: the live one, else a new one in a free slot or
 * in place of the one used longest ago. */
static struct pool_child *pool_child(struct deliver_pool *p,
                                     const char *owner,
                                     struct deliver_report *r)
{
    struct pool_child *pick = NULL;
    if (strlen(owner) > USERDB_OWNER_MAX) {
        fail(r, DELIVER_TEMP, "owner name too long: %.40s", owner);
        return NULL;
    }
    for (int i = 0; i < DELIVER_POOL_MAX; i++) {
        struct pool_child *c = &p->c[i];
        if (c->pid > 0 && strcmp(c->owner, owner) == 0) {
            c->used = ++p->clock;
            return c;
        }
        if (!pick || (pick->pid > 0 && (c->pid == 0 || c->used < pick->used)))
            pick = c;
    }
    if (pick->pid > 0)
        child_drop(pick, 0);
    pick->used = ++p->clock;
    return child_start(pick, owner, p->exe, r);
}

/* The request for one mailbox into buf.  Its length, or 0 when it does
 * not fit. */
static size_t request_make(char *buf, const struct deliver_spool *s,
                           const char *sender, const char *recipient,
                           const char *maildir, const struct deliver_opts *o)
{
    struct pool_req_head h = {
        .octets = s->octets, .wire = s->wire, .header_end = s->header_end,
        .quota_tempfail = (uint8_t)(o && o->quota_tempfail),
        .mta_delivered_to = (uint8_t)(o && o->mta_delivered_to)
    };
    const char *v[4] = { sender, recipient, maildir,
                         o && o->hostname ? o->hostname : "" };
    size_t at = sizeof h;
    memcpy(buf, &h, sizeof h);
    for (int i = 0; i < 4; i++) {
        size_t len = strlen(v[i]) + 1;
        if (len > POOL_REQ_SIZE - at)
            return 0;
        memcpy(buf + at, v[i], len);
        at += len;
    }
    return at;
}

/* Send the request to the child and read its report.  1 done, 0 the
 * child was gone before it took the request (safe to send again), -1
 * it died or answered nonsense after it took it. */
static int child_ask(struct pool_child *c, const char *req, size_t len,
                     int spool, struct deliver_report *r)
{
    if (fdpass_send(c->sock, req, len, spool) < 0)
        return 0;
    ssize_t n;
    while ((n = recv(c->sock, r, sizeof *r, 0)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof *r)
        return -1;
    r->why[sizeof r->why - 1] = '\0';
    r->name[sizeof r->name - 1] = '\0';
    return 1;
}

enum deliver_status deliver_pool_mailbox(struct deliver_pool *p,
                                         const struct userdb_entry *e,
                                         const char *maildir,
                                         const struct deliver_spool *s,
                                         const char *sender,
                                         const char *recipient,
                                         const struct deliver_opts *o,
                                         struct deliver_report *r)
{
    static char req[POOL_REQ_SIZE];
    report_init(r);
    size_t len = request_make(req, s, sender, recipient, maildir, o);
    if (len == 0)
        return fail(r, DELIVER_BADINPUT, "sender or recipient too long");
    /* A child that ended since its last mailbox (killed, say) is
     * replaced once; one that dies with the request is this mailbox's
     * failure only. */
    for (int attempt = 0; attempt < 2; attempt++) {
        struct pool_child *c = pool_child(p, e->owner, r);
        if (!c)
            return r->status;
        int got = child_ask(c, req, len, s->fd, r);
        if (got > 0)
            return r->status;
        child_drop(c, got < 0);
        if (got < 0)
            break;
    }
    report_init(r);
    return fail(r, DELIVER_TEMP, "the delivery to %s died", e->address);
}
