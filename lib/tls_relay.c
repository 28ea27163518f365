/* SPDX-License-Identifier: ISC */
/*
 * tls_relay.c -- the TLS relay process (contract in tls.h).
 *
 * tls_relay_start() forks the relay, which confines itself, does the
 * handshake, reports the outcome on a pipe of its own and then moves
 * bytes between the TLS session on the network socket and the
 * plaintext socketpair until either side is done.  It stands on the
 * context tls.c loaded (tls_server.h).
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "exitcode.h"
#include "io.h"
#include "log.h"
#include "privdrop.h"
#include "sandbox.h"
#include "tls_server.h"
#include "util.h"

/* ---- the relay child: setup ---- */

/* Milliseconds left before deadline, for poll; 0 once it has passed. */
static int ms_left(long long deadline)
{
    long long left = deadline - now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The relay inherits the greeter's signal dispositions and mask; it
 * wants the defaults, except SIGPIPE: a vanished peer is an error
 * return to handle, not a reason to die mid-shutdown. */
static void reset_signals(void)
{
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int fd_cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Close every descriptor but keep[0..n-1] (the greeter may hold pipes to
 * stage 2 or files the relay has no business with). */
static void close_others(int *keep, int n)
{
    int lo = 0;
    qsort(keep, (size_t)n, sizeof *keep, fd_cmp);
    for (int i = 0; i <= n; i++) {
        int hi = i < n ? keep[i] - 1 : INT_MAX;
        if (hi >= lo && close_range((unsigned)lo, (unsigned)hi, 0) < 0) {
            /* No close_range (old kernel): close what can be open. */
            long max = sysconf(_SC_OPEN_MAX);
            if (max < 0 || max > 65536)
                max = 65536;
            for (long fd = lo; fd <= hi && fd < max; fd++)
                close((int)fd);
        }
        if (i < n)
            lo = keep[i] + 1;
    }
}

/* chroot and drop to the relay user; verified, since a half-dropped
 * relay holding a network socket is worse than none. */
static int confine(const struct tls_server *srv, char *why, size_t n)
{
    if (chroot(srv->root) < 0 || chdir("/") < 0) {
        str_cut(why, n, "chroot %s: %s", srv->root, strerror(errno));
        return -1;
    }
    const char *step;
    if (privdrop_become_list(srv->uid, srv->gid, &srv->gid, 1, &step) < 0) {
        str_cut(why, n, "dropping to uid %u: %s: %s", (unsigned)srv->uid,
                step, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the relay child: handshake ---- */

static const char *remote_ip(char *buf, size_t n)
{
    const char *ip = getenv("TCPREMOTEIP");
    if (!ip)
        return "unknown";
    return log_safe(buf, n, ip, strlen(ip));
}

/* Why an SSL call failed, for the log. */
static void ssl_failure(SSL *ssl, int rc, char *why, size_t n)
{
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        if (rc == 0 || errno == 0)
            snprintf(why, n, "client closed the connection");
        else
            snprintf(why, n, "%s", strerror(errno));
        return;
    }
    if (e == SSL_ERROR_ZERO_RETURN
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
        || (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error())
                                  == SSL_R_UNEXPECTED_EOF_WHILE_READING)
#endif
        ) {
        ERR_clear_error();
        snprintf(why, n, "client closed the connection");
        return;
    }
    ssl_reason(why, n, "protocol error");
}

/* Poll events an SSL call that returned rc is waiting for, or 0 when it
 * failed for good. */
static short ssl_wants(SSL *ssl, int rc)
{
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return POLLIN;
    case SSL_ERROR_WANT_WRITE: return POLLOUT;
    default: return 0;
    }
}

static int handshake(SSL *ssl, int net, int timeout, char *why, size_t n)
{
    long long deadline = now_ms() + (long long)timeout * 1000;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_accept(ssl);
        if (rc == 1)
            return 0;
        short ev = ssl_wants(ssl, rc);
        if (!ev) {
            ssl_failure(ssl, rc, why, n);
            return -1;
        }
        struct pollfd p = { .fd = net, .events = ev };
        int left = ms_left(deadline);
        int r = left ? poll(&p, 1, left) : 0;
        if (r == 0) {
            snprintf(why, n, "timed out after %d s", timeout);
            return -1;
        }
        if (r < 0 && errno != EINTR) {
            snprintf(why, n, "poll: %s", strerror(errno));
            return -1;
        }
    }
}

/* ---- the relay child: moving bytes ---- */

struct relay {
    SSL *ssl;
    int net, plain;
    short read_wants;     /* what the last SSL_read waits for, or 0 */
    short write_wants;    /* what the last SSL_write waits for, or 0 */
    short plain_wants;    /* POLLIN/POLLOUT on plain that would help */
    int net_eof;          /* the client sent close_notify */
    int net_dead;         /* the TLS session is unusable: stop */
    int plain_eof;        /* the stages closed their end */
    int plain_shut;       /* we half-closed plain: the stages saw EOF */
    size_t up_off, up_len;      /* client -> stages */
    size_t down_off, down_len;  /* stages -> client */
    char up[TLS_RELAY_INBUF];
    char down[TLS_RELAY_OUTBUF];
};

static void relay_error(struct relay *r, const char *doing, int rc)
{
    char why[TLS_ERR_MAX], ip[LOG_FIELD_MAX];
    int io = SSL_get_error(r->ssl, rc) == SSL_ERROR_SYSCALL;
    ssl_failure(r->ssl, rc, why, sizeof why);
    /* A client that just goes away (closes, resets) is normal: info, for
     * the session's story; a TLS protocol error is worth a warning. */
    if (strcmp(why, "client closed the connection") != 0) {
        if (io)
            log_info("tls: %s %s: %s", doing, remote_ip(ip, sizeof ip), why);
        else
            log_warn("tls: %s %s: %s", doing, remote_ip(ip, sizeof ip), why);
    }
    r->net_dead = 1;
}

/* Each pump moves what it can without blocking; 1 when something moved. */
static int pump_net_to_up(struct relay *r)
{
    r->read_wants = 0;
    if (r->net_eof || r->net_dead || r->up_off < r->up_len)
        return 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_read(r->ssl, r->up, sizeof r->up);
    if (rc > 0) {
        r->up_off = 0;
        r->up_len = (size_t)rc;
        return 1;
    }
    if ((r->read_wants = ssl_wants(r->ssl, rc)))
        return 0;
    if (SSL_get_error(r->ssl, rc) == SSL_ERROR_ZERO_RETURN)
        r->net_eof = 1;
    else
        relay_error(r, "reading from", rc);
    return 1;
}

static int pump_up_to_plain(struct relay *r)
{
    if (r->up_off >= r->up_len) {
        if (r->net_eof && !r->plain_shut) {
            shutdown(r->plain, SHUT_WR);   /* the stages read EOF */
            r->plain_shut = 1;
            return 1;
        }
        return 0;
    }
    ssize_t w = send(r->plain, r->up + r->up_off, r->up_len - r->up_off,
                     MSG_NOSIGNAL);
    if (w > 0) {
        r->up_off += (size_t)w;
        return 1;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
        r->plain_wants |= POLLOUT;
        return 0;
    }
    /* The stages stopped reading: what the client says goes nowhere. */
    r->up_off = r->up_len = 0;
    r->net_eof = 1;
    return 1;
}

static int pump_plain_to_down(struct relay *r)
{
    if (r->plain_eof || r->down_off < r->down_len)
        return 0;
    ssize_t n = read(r->plain, r->down, sizeof r->down);
    if (n > 0) {
        r->down_off = 0;
        r->down_len = (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        r->plain_wants |= POLLIN;
        return 0;
    }
    r->plain_eof = 1;
    return 1;
}

static int pump_down_to_net(struct relay *r)
{
    r->write_wants = 0;
    if (r->net_dead || r->down_off >= r->down_len)
        return 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_write(r->ssl, r->down + r->down_off,
                       (int)(r->down_len - r->down_off));
    if (rc > 0) {
        r->down_off += (size_t)rc;
        return 1;
    }
    if ((r->write_wants = ssl_wants(r->ssl, rc)))
        return 0;
    relay_error(r, "writing to", rc);
    return 1;
}

/* Copy both ways until the stages are done and everything they wrote is
 * encrypted, or the TLS session dies.  0 for an orderly end. */
static int relay_loop(struct relay *r)
{
    for (;;) {
        int moved;
        do {
            r->plain_wants = 0;
            moved = pump_net_to_up(r) | pump_up_to_plain(r)
                    | pump_plain_to_down(r) | pump_down_to_net(r);
        } while (moved && !r->net_dead);
        if (r->net_dead)
            return -1;
        if (r->plain_eof && r->down_off >= r->down_len)
            return 0;
        struct pollfd p[2] = {
            { .fd = r->net, .events = r->read_wants | r->write_wants },
            { .fd = r->plain, .events = r->plain_wants },
        };
        /* An fd nobody waits on must not wake us (POLLHUP is always
         * reported) or we would spin. */
        if (!p[0].events)
            p[0].fd = -1;
        if (!p[1].events)
            p[1].fd = -1;
        int rc = poll(p, 2, TLS_RELAY_IDLE_TIMEOUT * 1000);
        if (rc == 0) {
            char ip[LOG_FIELD_MAX];
            log_info("tls: %s idle for %d seconds, closing",
                     remote_ip(ip, sizeof ip), TLS_RELAY_IDLE_TIMEOUT);
            return -1;
        }
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

/* Send close_notify, half-close TCP, then read (and drop) until the
 * client closes too, bounded, so a late packet from it cannot make the
 * kernel reset a connection whose last reply the client is still
 * reading. */
static void relay_close(struct relay *r)
{
    long long deadline = now_ms() + TLS_LINGER_TIMEOUT * 1000LL;
    int rc;
    char junk[4096];

    while ((rc = SSL_shutdown(r->ssl)) < 0) {
        short ev = ssl_wants(r->ssl, rc);
        struct pollfd p = { .fd = r->net, .events = ev };
        if (!ev || poll(&p, 1, ms_left(deadline)) <= 0)
            return;
    }
    shutdown(r->net, SHUT_WR);
    if (rc == 1)
        return;               /* the client's close_notify came already */
    for (;;) {
        ERR_clear_error();
        rc = SSL_read(r->ssl, junk, sizeof junk);
        if (rc > 0)
            continue;
        short ev = ssl_wants(r->ssl, rc);
        struct pollfd p = { .fd = r->net, .events = ev };
        if (!ev || poll(&p, 1, ms_left(deadline)) <= 0)
            return;
    }
}

static void report(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
    char line[TLS_ERR_MAX + 32];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0)
        write_all(fd, line, (size_t)n);
    close(fd);
}

/* The relay's life after fork; returns its exit status.  The caller
 * frees the session and the context, so that a leak checker following
 * the child sees nothing lost. */
static int relay_run(struct tls_server *srv, SSL *ssl, int net, int plain,
                     int status)
{
    char why[TLS_ERR_MAX], ip[LOG_FIELD_MAX];
    static struct relay r;

    /* SSL_new above and anything else OpenSSL needs from the file
     * system happen before the chroot. */
    if (!ssl || !SSL_set_fd(ssl, net)) {
        report(status, "ERR cannot create a TLS session\n");
        return EXIT_TEMP;
    }
    if (srv->confine && confine(srv, why, sizeof why) < 0) {
        log_error("tls: %s", why);
        report(status, "ERR %s\n", why);
        return EXIT_TEMP;
    }
    set_nonblock(net);
    set_nonblock(plain);
    /* The set-up is done: from here on the relay parses what the client
     * sends (the handshake first), so only the calls it needs to move
     * bytes are left (lib/sandbox; it sets no_new_privs too). */
    if (sandbox_enter(SANDBOX_TLS_RELAY) < 0) {
        str_cut(why, sizeof why, "cannot install the seccomp filter: %s",
                strerror(errno));
        log_error("tls: %s", why);
        report(status, "ERR %s\n", why);
        return EXIT_TEMP;
    }
    if (handshake(ssl, net, srv->handshake_timeout, why, sizeof why) < 0) {
        /* A client that connects and leaves (a port probe, a health
         * check) is no attack: info.  Everything else: a warning. */
        if (strcmp(why, "client closed the connection") == 0)
            log_info("tls: handshake failed from %s: %s",
                     remote_ip(ip, sizeof ip), why);
        else
            log_warn("tls: handshake failed from %s: %s",
                     remote_ip(ip, sizeof ip), why);
        report(status, "ERR %s\n", why);
        return 1;
    }
    report(status, "OK %s %s\n", SSL_get_version(ssl),
           SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
    r.ssl = ssl;
    r.net = net;
    r.plain = plain;
    if (relay_loop(&r) == 0)
        relay_close(&r);
    return 0;
}

void tls_relay_main(struct tls_server *srv, int net, int plain, int status)
{
    /* And the syslog socket when that is where lines go (log.h): it was
     * connected before the chroot, which would hide /dev/log. */
    int keep[] = { 2, net, plain, status, log_fd() };

    reset_signals();
    close_others(keep, keep[4] >= 0 ? 5 : 4);
    io_nodelay(net);   /* each record is a complete batch of answers */
    /* No core dumps or ptrace by the stages' user: this process holds
     * the key. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    SSL *ssl = SSL_new(srv->ctx);
    int code = relay_run(srv, ssl, net, plain, status);
    SSL_free(ssl);
    tls_server_free(srv);
    _exit(code);
}

/* ---- the parent ---- */

static void fork_child(void *srv, int net, int plain, int status)
{
    tls_relay_main(srv, net, plain, status);
}

int tls_relay_start(struct tls_server *srv, int netfd, struct tls_session *s)
{
    return tls_relay_launch(fork_child, srv, netfd,
                            srv->handshake_timeout + 10, s);
}
