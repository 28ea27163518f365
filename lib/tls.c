/* SPDX-License-Identifier: ISC */
/*
 * tls.c -- the TLS context, loaded while privileged (contract in tls.h):
 * the protocol and cipher policy, the certificate and key, and the
 * account and directory the relay will confine itself to.
 *
 * lib/tls in layers, top to bottom; a file calls only the one below it:
 *
 *   tls_relay.c  the relay process (setup, handshake, moving bytes) and
 *                its start from the parent
 *   tls.c        the context: policy, keys, confinement
 *
 * (pop3-tls-relay runs the same relay, tls_relay_main, in a program of
 * its own; the caller's side of the verdict and the session is in
 * tls_spawn.c, which needs no OpenSSL.)
 */
#include "tls.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls_server.h"
#include "util.h"

/* ---- loading (privileged) ---- */

/* fopen-check a file first: "No such file" beats OpenSSL's "system lib". */
static int readable(const char *what, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, n, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static int load_policy(SSL_CTX *ctx, const struct tls_config *cfg,
                       char *err, size_t n)
{
    int min = TLS1_2_VERSION;
    if (cfg->min_protocol && strcmp(cfg->min_protocol, "TLSv1.3") == 0)
        min = TLS1_3_VERSION;
    else if (cfg->min_protocol && strcmp(cfg->min_protocol, "TLSv1.2") != 0) {
        snprintf(err, n, "minimum protocol %s: not TLSv1.2 or TLSv1.3",
                 cfg->min_protocol);
        return -1;
    }
    if (!SSL_CTX_set_min_proto_version(ctx, min)) {
        snprintf(err, n, "cannot set the minimum protocol");
        return -1;
    }
    /* NO_RENEGOTIATION: neither side may renegotiate TLS 1.2 (a CPU
     * sink for the client to exploit, and old attacks' entry point). */
    uint64_t opts = SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION
                    | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET;
    SSL_CTX_set_options(ctx, opts);
    /* Level 2 (112-bit security: RSA and DH keys of 2048 bits or more,
     * no SHA-1 signatures), what Debian's openssl.cnf sets and what we
     * no longer read from it. */
    SSL_CTX_set_security_level(ctx, 2);
    /* One process a connection: a ticket or cached session could never
     * be resumed, so issuing them is wasted work and bytes. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    SSL_CTX_set_dh_auto(ctx, 1);
#endif
    const char *ciphers = cfg->ciphers ? cfg->ciphers : TLS_CIPHERS_DEFAULT;
    if (!SSL_CTX_set_cipher_list(ctx, ciphers)) {
        ERR_clear_error();
        snprintf(err, n, "cipher list %s: no usable cipher", ciphers);
        return -1;
    }
    if (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(ctx, cfg->ciphersuites)) {
        ERR_clear_error();
        snprintf(err, n, "TLS 1.3 ciphersuites %s: not valid",
                 cfg->ciphersuites);
        return -1;
    }
    return 0;
}

static int load_keys(SSL_CTX *ctx, const struct tls_config *cfg,
                     char *err, size_t n)
{
    char why[TLS_ERR_MAX];
    const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
    if (!cfg->cert_file) {
        snprintf(err, n, "no certificate file given");
        return -1;
    }
    if (readable("certificate", cfg->cert_file, err, n) < 0
        || readable("key", key, err, n) < 0)
        return -1;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        ssl_reason(why, sizeof why, "unreadable");
        snprintf(err, n, "certificate %s: %s", cfg->cert_file, why);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        int mismatch = ERR_GET_REASON(ERR_peek_last_error())
                       == X509_R_KEY_VALUES_MISMATCH;
        ssl_reason(why, sizeof why, "unreadable");
        if (mismatch)
            snprintf(err, n, "key %s does not match certificate %s", key,
                     cfg->cert_file);
        else
            snprintf(err, n, "key %s: no usable PEM private key (%s)", key,
                     why);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(err, n, "key %s does not match certificate %s", key,
                 cfg->cert_file);
        return -1;
    }
    return 0;
}

/* Where the relay will live when started by root: an unprivileged
 * account and a directory it cannot write to. */
static int load_confinement(struct tls_server *srv,
                            const struct tls_config *cfg, char *err, size_t n)
{
    const char *user = cfg->user ? cfg->user : TLS_RELAY_USER;
    const char *root = cfg->root ? cfg->root : TLS_RELAY_ROOT;
    struct passwd *pw = getpwnam(user);
    struct stat st;

    if (!pw) {
        snprintf(err, n, "relay user %s: no such account", user);
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_gid == 0) {
        snprintf(err, n, "relay user %s: uid or gid 0 refused", user);
        return -1;
    }
    if (strlen(root) >= sizeof srv->root || root[0] != '/') {
        snprintf(err, n, "relay root %s: not an absolute path", root);
        return -1;
    }
    if (!cfg->root && mkdir(root, 0755) < 0 && errno != EEXIST) {
        snprintf(err, n, "relay root %s: %s", root, strerror(errno));
        return -1;
    }
    if (stat(root, &st) < 0) {
        snprintf(err, n, "relay root %s: %s", root, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
        snprintf(err, n, "relay root %s: must be a directory owned by root"
                 " and writable by nobody else", root);
        return -1;
    }
    srv->uid = pw->pw_uid;
    srv->gid = pw->pw_gid;
    snprintf(srv->root, sizeof srv->root, "%s", root);
    srv->confine = 1;
    return 0;
}

struct tls_server *tls_server_new(const struct tls_config *cfg,
                                  char *err, size_t errsz)
{
    struct tls_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    /* The system openssl.cnf is not read: loading it costs about 10 ms,
     * paid on every connection (each is a new process), and the policy
     * here is explicit (load_policy), not left to the distribution. */
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    srv->ctx = SSL_CTX_new(TLS_server_method());
    if (!srv->ctx) {
        ssl_reason(err, errsz, "cannot create a TLS context");
        free(srv);
        return NULL;
    }
    srv->handshake_timeout = cfg->handshake_timeout > 0
                             ? cfg->handshake_timeout : TLS_HANDSHAKE_TIMEOUT;
    if (load_policy(srv->ctx, cfg, err, errsz) < 0
        || load_keys(srv->ctx, cfg, err, errsz) < 0
        || (geteuid() == 0 && load_confinement(srv, cfg, err, errsz) < 0)) {
        tls_server_free(srv);
        return NULL;
    }
    return srv;
}

void tls_server_free(struct tls_server *srv)
{
    if (!srv)
        return;
    SSL_CTX_free(srv->ctx);   /* frees the key, cleansing it */
    wipe(srv, sizeof *srv);
    free(srv);
}
