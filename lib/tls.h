/* SPDX-License-Identifier: ISC */
/*
 * tls.h -- the TLS relay: STLS (RFC 2595) and implicit TLS (RFC 8314).
 *
 * A relay is a separate process that owns the network socket and the TLS
 * session; the stages talk plaintext to it over a socketpair, so neither
 * the greeter nor stages 2 and 3 ever link a TLS session into their
 * address space or see a key.
 *
 * Use, in this order:
 *
 *  1. While still privileged (the key file is usually readable by root
 *     only), load the configuration once:
 *         struct tls_config cfg = { .cert_file = ..., .key_file = ... };
 *         char err[TLS_ERR_MAX];
 *         struct tls_server *srv = tls_server_new(&cfg, err, sizeof err);
 *         if (!srv) log_die(EXIT_TEMP, "%s", err);
 *     This reads the certificate chain and the key, checks they match,
 *     and, when running as root, looks up cfg.user and checks cfg.root.
 *
 *  2. When TLS is to start -- before the greeting for implicit TLS, or
 *     after STLS: first io_discard() drops whatever the client sent
 *     behind STLS, then "+OK" is flushed (in that order: a fast client's
 *     handshake may follow the +OK at once, and must not be discarded)
 *     -- start the relay on the network socket:
 *         struct tls_session s;
 *         if (tls_relay_start(srv, 0, &s) < 0) exit(...);   // logged
 *         tls_server_free(srv);          // the key leaves this process
 *         tls_session_stdio(&s);         // plaintext now on fds 0 and 1
 *         tls_session_setenv(&s);        // SSL_PROTOCOL, SSL_CIPHER
 *     tls_relay_start() forks.  The child (the relay) closes every
 *     descriptor but the network socket, its end of the socketpair and
 *     stderr; if it runs as root it chroots to cfg.root and drops to
 *     cfg.user (groups, gid, uid, verified) before it reads a byte from
 *     the client; then it does the handshake, bounded by
 *     cfg.handshake_timeout.  The parent waits for the handshake's
 *     outcome, which the relay sends on a separate pipe (so nothing the
 *     client sends can be mistaken for it), and returns.
 *
 *  3. The relay then copies bytes both ways until one side closes:
 *     - the stages close their end (stage 3 exited): the relay first
 *       reads and encrypts everything still queued on the socketpair (the
 *       tail of a large RETR is never lost), then sends close_notify,
 *       half-closes TCP and waits a little for the client to close, so a
 *       late packet from it cannot turn into a reset that destroys data
 *       the client has not read yet;
 *     - the client sends close_notify or closes TCP: the relay delivers
 *       what it has decrypted, then the stages read end of file; it keeps
 *       encrypting what the stages still write, as long as the client
 *       takes it;
 *     - a TLS error or reset: the relay logs it and closes both sides.
 *     After the handshake it gives up when nothing moves either way for
 *     TLS_RELAY_IDLE_TIMEOUT (longer than the stages' own timers, which
 *     speak first).
 *
 * Protocol policy: TLS 1.2 and 1.3 only (cfg.min_protocol may raise the
 * floor to TLS 1.3); in TLS 1.2 only AEAD suites with forward secrecy
 * (TLS_CIPHERS_DEFAULT, Mozilla's "intermediate") unless cfg.ciphers
 * names others, in TLS 1.3 OpenSSL's suites unless cfg.ciphersuites
 * narrows them; the server's cipher preference, no
 * compression, no renegotiation, no session tickets (every connection is
 * a fresh process, resumption could never hit), OpenSSL security level 2
 * (keys of 112-bit strength or more: RSA 2048+, P-256+).  The system
 * openssl.cnf is not read: loading it would cost ~10 ms a connection, and
 * the policy is this one, whatever the distribution's file says.
 *
 * A failed handshake is logged by the relay, to stderr, as
 *     tls: handshake failed from $TCPREMOTEIP: REASON
 * (REASON from OpenSSL, or "timed out", or "client closed the connection").
 *
 * Not running as root: the relay keeps the caller's uid and root, which
 * then are already unprivileged (a greeter that drops privileges before
 * it handles STLS); cfg.user and cfg.root are not consulted.
 *
 * The relay as a program of its own (pop3-tls-relay(8)): a caller that
 * must not load OpenSSL (pop3-greeter: most sessions never start TLS)
 * uses tls_relay_exec() instead of steps 1 and 2; the program loads the
 * configuration itself (tls_server_new, as root) and becomes the relay
 * (tls_relay_main) with the same confinement and the same verdict.
 * tls_relay_exec, tls_verdict_read, tls_session_stdio and
 * tls_session_setenv are in libpopkit.a (lib/tls_spawn.c, no OpenSSL).
 *
 * Link: lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS).  This header
 * needs no OpenSSL headers.
 */
#ifndef POPKIT_TLS_H
#define POPKIT_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "params.h"

struct tls_config {
    const char *cert_file;    /* PEM: the server certificate, then the
                                 intermediates (required) */
    const char *key_file;     /* PEM private key; NULL: in cert_file */
    const char *ciphers;      /* TLS 1.2 cipher list (OpenSSL syntax);
                                 NULL: TLS_CIPHERS_DEFAULT */
    const char *ciphersuites; /* TLS 1.3 suites; NULL: OpenSSL's default */
    const char *min_protocol; /* "TLSv1.2" (NULL) or "TLSv1.3" */
    const char *user;         /* account the relay runs as when started by
                                 root; NULL: TLS_RELAY_USER.  uid 0 is
                                 refused. */
    const char *root;         /* directory the relay chroots to when
                                 started by root; NULL: TLS_RELAY_ROOT,
                                 created (0755, root) if missing.  Must be
                                 owned by root and writable by nobody
                                 else. */
    int handshake_timeout;    /* seconds; 0: TLS_HANDSHAKE_TIMEOUT */
};

struct tls_server;            /* opaque: the loaded context and policy */

/* Load and check the configuration.  Returns NULL and a one-line reason
 * in err (naming the file) when something is wrong. */
struct tls_server *tls_server_new(const struct tls_config *cfg,
                                  char *err, size_t errsz);
/* Free the context and the key in it.  NULL is fine. */
void tls_server_free(struct tls_server *srv);

struct tls_session {
    int fd;                   /* plaintext end of the socketpair */
    pid_t pid;                /* the relay process */
    char protocol[TLS_PROTOCOL_NAME_MAX];  /* e.g. "TLSv1.3" */
    char cipher[TLS_CIPHER_NAME_MAX];      /* OpenSSL's name, e.g.
                                              "TLS_AES_256_GCM_SHA384" */
    char error[TLS_ERR_MAX];  /* why tls_relay_start() failed */
};

/* Fork the relay on the connected socket netfd and wait for the
 * handshake.  0: s is filled in and the TLS session is up.  -1: no TLS
 * session (the handshake failed or timed out -- the relay has logged it
 * and exited -- or fork/pipe failed); s->error says why; the caller
 * should end the connection without writing to netfd.  Flush every
 * buffered output first.  netfd stays open in the caller: it must not be
 * used again; tls_session_stdio() replaces fds 0 and 1. */
int tls_relay_start(struct tls_server *srv, int netfd, struct tls_session *s);

/* Run the relay program argv (argv[0] a path) on the connected socket
 * netfd and wait for the handshake, as tls_relay_start() does: the
 * program gets netfd as fd 0, the plaintext end of a socketpair as fd 1,
 * the verdict pipe as fd 3 and the caller's stderr, and must write one
 * verdict line there (TLS_RELAY_VERDICT_FD).  0: s is filled in;
 * -1: s->error says why (the relay logged it too). */
#define TLS_RELAY_VERDICT_FD 3
int tls_relay_exec(char *const argv[], int netfd, struct tls_session *s);

/* In the relay (forked or exec'ed): confine, hand-shake on net, write
 * the verdict "OK PROTOCOL CIPHER\n" or "ERR REASON\n" to status, then
 * relay between net and plain until done; exits.  Keeps only fds 2, net,
 * plain and status.  srv is freed before the exit. */
void tls_relay_main(struct tls_server *srv, int net, int plain, int status)
    __attribute__((noreturn));

/* What tls_relay_start() and tls_relay_exec() share: fork a relay whose
 * child runs child(arg, netfd, plain, status) (it must not return), give
 * the parent the plaintext end, and wait up to verdict_timeout seconds
 * for the verdict.  0: s is filled in; -1: s->error says why. */
typedef void (*tls_relay_child)(void *arg, int net, int plain, int status);
int tls_relay_launch(tls_relay_child child, void *arg, int netfd,
                     int verdict_timeout, struct tls_session *s);

/* Wait for a relay that tls_relay_launch() or tls_relay_exec() started;
 * when a signal other than SIGKILL killed it (SIGSYS: its seccomp filter,
 * lib/sandbox.h), log that, since the relay could not.  A launch that
 * fails says the same in s->error.  The wait status, or -1. */
int tls_relay_wait(pid_t pid);

/* The caller's side: read and parse the relay's verdict from fd within
 * timeout seconds.  0: s->protocol and s->cipher filled in.
 * TLS_VERDICT_ERR: the relay refused (s->error has its reason);
 * TLS_VERDICT_NONE: no well-formed verdict in time (s->error says so). */
#define TLS_VERDICT_ERR (-1)
#define TLS_VERDICT_NONE (-2)
int tls_verdict_read(int fd, int timeout, struct tls_session *s);

/* Put the plaintext socket on fds 0 and 1 (replacing the network socket
 * that tcpserver or inetd left there) and close the original; s->fd
 * becomes 0.  0, or -1 with errno. */
int tls_session_stdio(struct tls_session *s);

/* Tell the stages what was negotiated, with ucspi-ssl's names so
 * programs behind sslserver and behind popkit read the same:
 *     SSL_PROTOCOL=TLSv1.3   SSL_CIPHER=TLS_AES_256_GCM_SHA384
 * 0, or -1 with errno. */
int tls_session_setenv(const struct tls_session *s);

#endif
