/* SPDX-License-Identifier: ISC */
/*
 * greeter_root.c -- the privilege line of pop3-greeter.
 *
 * Everything that runs with the privilege the greeter was started with
 * (root, under tcpserver or inetd) is in this file, and none of it parses
 * what the client sends: that is greeter_auth.c's job, in a child that
 * first drops everything here (privsep_drop).  What comes back from the
 * child is one fixed-layout request on a SOCK_SEQPACKET socket, checked
 * byte by byte before use.  The root part runs stage 2 with the client on
 * fds 0 and 1, counts failures, sleeps the fail delay and writes the
 * -ERR itself, so a parser that misbehaves cannot buy more attempts or
 * skip the delay.
 *
 * Started by an ordinary user (the demo), the same code runs; only the
 * chroot and the change of user are skipped, and the log says so.
 *
 * TLS: the relay is a program of its own, pop3-tls-relay, run from here
 * when TLS starts; it loads the key itself, so neither the greeter nor
 * its parsers ever hold it, and the greeter links no OpenSSL (a session
 * that never starts TLS does not pay for loading it).  At start-up the
 * greeter only checks that the files and the relay are there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addrslot.h"
#include "cpw.h"
#include "exitcode.h"
#include "greeter.h"
#include "io.h"
#include "log.h"
#include "params.h"
#include "privsep.h"
#include "sandbox.h"
#include "tls.h"
#include "util.h"

/* The relay's command line while TLS is available but not started, and
 * the relay once it runs (waited for at exit so tcpserver's count stays
 * true). */
static char *root_tls_argv[5];
static pid_t root_relay;

/* "--NAME=value" in a fresh string; dies when out of memory. */
static char *root_opt(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 4;
    char *s = malloc(n);
    if (!s)
        log_die(EXIT_TEMP, "out of memory");
    snprintf(s, n, "--%s=%s", name, value);
    return s;
}

/* pop3-tls-relay beside our own executable, unless --tls-relay names it. */
static char *root_tls_relay_path(const struct greeter_conf *c)
{
    static char path[PATH_MAX];
    if (c->tls_relay)
        return (char *)c->tls_relay;
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n < 0)
        log_die(EXIT_TEMP, "cannot find pop3-tls-relay: /proc/self/exe: %s "
                "(use --tls-relay)", strerror(errno));
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    const char *name = "pop3-tls-relay";
    if (!slash || (size_t)(slash + 1 - path) + strlen(name) >= sizeof path)
        log_die(EXIT_TEMP, "cannot find pop3-tls-relay beside %s", path);
    strcpy(slash + 1, name);
    return path;
}

/* A file the relay will load must be readable now (while we are as
 * privileged as the relay will be), so a typo fails at start-up. */
static void root_tls_readable(const char *what, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        log_die(EXIT_TEMP, "%s %s: %s", what, path, strerror(errno));
    close(fd);
}

static void root_tls_prepare(const struct greeter_conf *c,
                             const struct privsep *ps)
{
    int i = 0;
    root_tls_readable("certificate", c->tls_cert);
    if (c->tls_key)
        root_tls_readable("key", c->tls_key);
    root_tls_argv[i++] = root_tls_relay_path(c);
    if (access(root_tls_argv[0], X_OK) < 0)
        log_die(EXIT_TEMP, "TLS relay %s: %s", root_tls_argv[0], strerror(errno));
    root_tls_argv[i++] = root_opt("tls-cert", c->tls_cert);
    if (c->tls_key)
        root_tls_argv[i++] = root_opt("tls-key", c->tls_key);
    if (ps->enabled)
        root_tls_argv[i++] = root_opt("root", ps->dir);
    root_tls_argv[i] = NULL;
}

/* Start the relay on the client socket and put its plaintext end on fds
 * 0 and 1.  (After STLS the parser has already dropped what the client
 * sent behind it, before its +OK.)  0, or -1: the client is gone or the
 * handshake failed (the relay logged why). */
static int root_tls_start(void)
{
    struct tls_session s;
    if (tls_relay_exec(root_tls_argv, 0, &s) < 0)
        return -1;
    root_relay = s.pid;
    if (tls_session_stdio(&s) < 0 || tls_session_setenv(&s) < 0)
        log_die(EXIT_TEMP, "cannot set up the TLS session: %s", strerror(errno));
    return 0;
}

/* ---- The per-address limit (lib/addrslot.h) ----
 *
 * Taken first, before the greeting or anything else a connection costs,
 * and held by the root part for the whole session (it waits for stage
 * 2 and 3), so it counts sessions, logged in or not. */
static struct addrslot root_slot = { .dirfd = -1, .fd = -1 };
static void root_reply(const char *s);
static void root_linger(void);

/* The run directory: --run-dir, else the first of systemd's
 * $RUNTIME_DIRECTORY (RuntimeDirectory=), else ADDRSLOT_RUN_DIR; made
 * 0700 when missing.  It must be ours and writable by nobody else: who
 * could make slot files in it could hold an address's slots.  Its fd;
 * dies with 111 when it will not do. */
static int root_run_dir(const struct greeter_conf *c)
{
    static char env_dir[PATH_MAX];
    const char *dir = c->run_dir;
    const char *rt = getenv("RUNTIME_DIRECTORY");
    if (!dir && rt && *rt && strcspn(rt, ":") < sizeof env_dir) {
        memcpy(env_dir, rt, strcspn(rt, ":"));
        env_dir[strcspn(rt, ":")] = '\0';
        dir = env_dir;
    }
    if (!dir)
        dir = ADDRSLOT_RUN_DIR;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        log_die(EXIT_TEMP, "cannot create run directory %s: %s", dir,
                strerror(errno));
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        log_die(EXIT_TEMP, "run directory %s: %s", dir, strerror(errno));
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        log_die(EXIT_TEMP, "run directory %s must be owned by uid %u and "
                "writable by nobody else", dir, (unsigned)geteuid());
    return fd;
}

/* Take a slot for the client's address, or refuse the connection: an
 * RFC 3206 [SYS/TEMP] answer, as one that should be tried again later,
 * and exit. */
static void root_limit(const struct greeter_conf *c)
{
    char key[ADDRSLOT_NAME_MAX];
    if (c->per_address == 0)
        return;
    if (addrslot_key(c->remote_ip, key, sizeof key) < 0) {
        log_warn("--per-address: no client address to count (%s)",
                 c->remote_ip);
        return;
    }
    int dirfd = root_run_dir(c);
    int r = addrslot_take(&root_slot, dirfd, key, c->per_address);
    if (r < 0)
        log_die(EXIT_TEMP, "slot file %s: %s", root_slot.name,
                strerror(errno));
    if (r > 0)
        return;
    close(dirfd);
    log_info("refused: too many connections from this address (limit %u)",
             c->per_address);
    root_reply("-ERR [SYS/TEMP] too many connections from your address\r\n");
    root_linger();
    exit(0);
}

/* A parser child holds nothing of the root part's but the client. */
static void root_slot_forget(void)
{
    if (root_slot.fd >= 0) {
        close(root_slot.fd);
        close(root_slot.dirfd);
    }
}

/* Leave with code, after the relay (if any) has delivered the last
 * bytes to the client. */
static int root_exit(int code)
{
    addrslot_release(&root_slot);
    if (root_relay > 0) {
        close(0);
        close(1);
        tls_relay_wait(root_relay);   /* logs a relay killed by SIGSYS */
    }
    return code;
}

/* Stage 2, started while the parser talks to the client (cpw_start):
 * its exec and C start-up then overlap the USER and PASS round trips
 * instead of following PASS.  Started only once the parser has forked,
 * so the parser never holds the pipe to it; stopped when the client
 * leaves or asks for STLS (it would have the socket and environment of
 * before TLS). */
static struct cpw_child root_stage2 = { .pid = 0, .fd = -1 };

/* Start stage 2 ahead if login is possible now.  If it cannot start
 * (cpw_start leaves nothing started), root_login() runs it the ordinary
 * way and reports why. */
static void stage2_start_ahead(const struct greeter_conf *c,
                               const struct greeter_state *st)
{
    if (root_stage2.pid == 0 && greeter_login_allowed(c, st))
        (void)cpw_start(&root_stage2, c->prog);
}

/* How long the root part waits for a parser: until the login deadline,
 * when the parser ends itself, and a grace period. */
static int parser_wait_ms(const struct greeter_state *st)
{
    long long left = st->deadline - now_ms();
    if (left < 0)
        left = 0;
    return (int)left + GREETER_PARSER_GRACE_SECONDS * 1000;
}

/* Our SIGKILL ends every parser that is done; any other signal killed
 * it before that, and SIGSYS means its seccomp filter did (lib/sandbox):
 * a call outside the allow-list, a bug or an attack to look into.  (A
 * signal sent to a process already exiting does not change its status,
 * so our SIGKILL cannot hide an earlier death.) */
static void parser_log_death(int status)
{
    if (!WIFSIGNALED(status) || WTERMSIG(status) == SIGKILL)
        return;
    if (WTERMSIG(status) == SIGSYS)
        log_error("the parser was killed by SIGSYS: a system call outside "
                  "its seccomp allow-list; closing");
    else
        log_error("the parser was killed by signal %d; closing",
                  WTERMSIG(status));
}

/* Fork a parser, start stage 2 ahead, wait for the parser's request.
 * Returns the request length, 0 when the parser ended without one (the
 * client left). */
static ssize_t parser_run(const struct greeter_conf *c,
                          const struct greeter_state *st,
                          const struct privsep *ps, struct greeter_req *req)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        log_die(EXIT_TEMP, "socketpair: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        log_die(EXIT_TEMP, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(sv[0]);
        root_slot_forget();
        privsep_drop(ps, 1);
        if (sandbox_enter(SANDBOX_POP3_PARSER) < 0)
            log_die(EXIT_TEMP, "cannot install the parser's seccomp filter: "
                    "%s", strerror(errno));
        greeter_parse(c, st, sv[1]);
    }
    close(sv[1]);
    stage2_start_ahead(c, st);
    ssize_t n = 0;
    struct pollfd p = { .fd = sv[0], .events = POLLIN };
    int pr;
    while ((pr = poll(&p, 1, parser_wait_ms(st))) < 0 && errno == EINTR)
        ;
    if (pr > 0) {
        while ((n = recv(sv[0], req, sizeof *req, MSG_TRUNC)) < 0 &&
               errno == EINTR)
            ;
    }
    /* The parser has flushed its answers and has nothing more to say;
     * from now on only we (or stage 2) may touch the client. */
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    parser_log_death(status);
    close(sv[0]);
    if (n > (ssize_t)sizeof *req)
        return 0;   /* truncated: not something our parser sends */
    return n < 0 ? 0 : n;
}

/* Split a credential request: a whole checkpassword record with a login
 * and no timestamp (the parser has none to give).  0 or -1. */
static int req_split(const struct greeter_req *req, ssize_t n,
                     const char **login, const char **password)
{
    const char *ts;
    if ((size_t)n <= offsetof(struct greeter_req, payload))
        return -1;
    size_t len = (size_t)n - offsetof(struct greeter_req, payload);
    if (cpw_unpack(req->payload, len, login, password, &ts) != (ssize_t)len)
        return -1;
    return **login && !*ts ? 0 : -1;
}

/* The method= of the log (one word: USER is USER/PASS, PLAIN and LOGIN
 * are the SASL mechanisms). */
static const char *req_method(char kind)
{
    switch (kind) {
    case GREETER_REQ_USER: return "USER";
    case GREETER_REQ_PLAIN: return "PLAIN";
    case GREETER_REQ_LOGIN: return "LOGIN";
    case GREETER_REQ_APOP: return "APOP";
    }
    return "?";
}

static void root_reply(const char *s)
{
    write_all(1, s, strlen(s));
}

/* What root_login() decided. */
enum { ROOT_DONE, ROOT_AGAIN, ROOT_CLOSE, ROOT_ERROR };

/* End the session without a reset eating our last answer (io.h). */
static void root_linger(void)
{
    io_linger(0, 1, GREETER_LINGER_SECONDS, GREETER_LINGER_BYTES);
}

/* Run stage 2 with the credentials; answer a failure.  ROOT_DONE: stage 3
 * served the client; ROOT_AGAIN: the client may try again; ROOT_CLOSE: too
 * many failures; ROOT_ERROR: a malformed request. */
static int root_login(const struct greeter_conf *c, struct greeter_state *st,
                      struct greeter_req *req, ssize_t n)
{
    const char *login, *password;
    int known = req->kind == GREETER_REQ_USER ||
                req->kind == GREETER_REQ_PLAIN ||
                req->kind == GREETER_REQ_LOGIN ||
                (req->kind == GREETER_REQ_APOP && c->apop);
    if (!known || req_split(req, n, &login, &password) < 0) {
        log_error("malformed request from the parser; closing");
        return ROOT_ERROR;
    }
    const char *ts = req->kind == GREETER_REQ_APOP ? st->timestamp : "";
    int status = root_stage2.pid > 0
                     ? cpw_finish(&root_stage2, login, password, ts)
                     : cpw_run(c->prog, login, password, ts);
    int err = errno;
    /* Every line from here on names the attempt (log.h's keys). */
    log_set_user(login, strlen(login));
    log_set_method(req_method(req->kind));
    wipe(req, sizeof *req);
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return ROOT_DONE;   /* stage 3 answered the client and is done */

    st->failures++;
    int bad = status >= 0 && WIFEXITED(status) &&
              WEXITSTATUS(status) == CPW_BAD;
    if (status < 0)
        log_error("cannot run %s: %s", c->prog[0], strerror(err));
    else if (WIFSIGNALED(status))
        log_error("%s killed by signal %d", c->prog[0], WTERMSIG(status));
    else if (!bad)
        log_warn("%s exited %d", c->prog[0], WEXITSTATUS(status));
    /* The line fail2ban matches (pop3-greeter(8), LOGGING). */
    log_info("login failed: reason=%s failures=%u/%u",
             bad ? "bad-credentials" : "temporary", st->failures,
             c->max_failures);
    if (bad && c->fail_delay > 0)
        sleep(c->fail_delay);
    int last = st->failures >= c->max_failures;
    if (bad)
        root_reply(last ? "-ERR [AUTH] authentication failed, too many "
                          "failures: closing connection\r\n"
                        : "-ERR [AUTH] authentication failed\r\n");
    else
        root_reply(last ? "-ERR [SYS/TEMP] temporary failure, closing "
                          "connection\r\n"
                        : "-ERR [SYS/TEMP] temporary failure, try again "
                          "later\r\n");
    return last ? ROOT_CLOSE : ROOT_AGAIN;
}

/* RFC 1939 §7: <pid.time@host>, unique per connection since no two
 * live processes share a pid within a second. */
static void root_timestamp(const struct greeter_conf *c,
                           struct greeter_state *st)
{
    snprintf(st->timestamp, sizeof st->timestamp, "<%ld.%lld@%s>",
             (long)getpid(), (long long)time(NULL), c->hostname);
}

/* The greeting carries nothing from the client, so the root part sends
 * it as soon as the set-up is checked: the client need not wait for the
 * parser's fork, chroot and drop (about a quarter of connect->greeting). */
static void root_greet(const struct greeter_conf *c, struct greeter_state *st)
{
    char line[GREETER_TIMESTAMP_MAX + 300];
    snprintf(line, sizeof line, "+OK %s POP3 server ready%s%s\r\n",
             c->hostname, st->timestamp[0] ? " " : "", st->timestamp);
    root_reply(line);
    st->greeted = 1;
}

int greeter_run(const struct greeter_conf *c)
{
    static struct greeter_state st;
    static struct greeter_req req;
    struct privsep ps;
    /* The pre-login phase's one deadline counts from the connection, and
     * holds across parser children, STLS and failed logins. */
    st.deadline = now_ms() + c->login_deadline * 1000LL;
    root_limit(c);
    privsep_prepare(&ps, c->privsep_user, c->privsep_dir);
    if (c->tls_cert)
        root_tls_prepare(c, &ps);
    if (c->apop)
        root_timestamp(c, &st);
    if (c->implicit_tls) {
        if (root_tls_start() < 0)
            return 0;
        st.tls_active = 1;
    }
    root_greet(c, &st);
    for (;;) {
        ssize_t n = parser_run(c, &st, &ps, &req);
        if (n <= 0 || req.kind == GREETER_REQ_STLS)
            cpw_cancel(&root_stage2);
        if (n <= 0) {
            log_info("closed before login: failures=%u/%u", st.failures,
                     c->max_failures);
            root_linger();
            return root_exit(0);   /* QUIT, timeout or the client left */
        }
        st.commands += req.commands;
        if (req.kind == GREETER_REQ_STLS) {
            if (!c->tls_cert || st.tls_active) {
                log_error("malformed STLS request from the parser");
                return root_exit(EXIT_TEMP);
            }
            if (root_tls_start() < 0)
                return 0;
            st.tls_active = 1;
            continue;
        }
        int r = root_login(c, &st, &req, n);
        wipe(&req, sizeof req);
        cpw_cancel(&root_stage2);   /* left over only by a malformed request */
        if (r == ROOT_DONE)
            log_info("session done: logged in after failures=%u/%u",
                     st.failures, c->max_failures);
        if (r != ROOT_AGAIN) {
            /* Also after stage 3: it may have left the client's last
             * commands unread (-ERR [IN-USE] before a pipelined STAT). */
            root_linger();
            return root_exit(r == ROOT_ERROR ? EXIT_TEMP : 0);
        }
    }
}
