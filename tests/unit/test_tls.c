/* SPDX-License-Identifier: ISC */
/*
 * test_tls.c -- the TLS relay over socketpairs, with a certificate made
 * here.
 *
 * The test process is the client.  For each session it forks a "server"
 * that calls tls_relay_start() on its end of a socketpair (the network),
 * reports the verdict on a result pipe, and then plays stage 3 on the
 * plaintext descriptor: echo, or write a large body and exit.  The
 * caller's side without OpenSSL (lib/tls_spawn.c) is test_tls_spawn.c's.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "tls.h"
#include "util.h"

static char dir[] = "/tmp/test_tls.XXXXXX";
static char cert_path[PATH_MAX], key_path[PATH_MAX], other_key[PATH_MAX];
static char root_dir[PATH_MAX];
static X509 *cert;

/* Large enough to need many records and to fill every buffer on the
 * way, so a lost tail would show. */
#define BIG (8u << 20)

static void write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

/* A self-signed P-256 certificate for localhost, its key, and a second
 * key that matches nothing. */
static void make_cert(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
    X509_NAME *name;
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    FILE *f;

    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, k);
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
                              "DNS:localhost");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(cert, k, EVP_sha256());

    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    snprintf(other_key, sizeof other_key, "%s/other.pem", dir);
    f = fopen(cert_path, "w");
    PEM_write_X509(f, cert);
    fclose(f);
    write_key(key_path, k);
    write_key(other_key, k2);
    EVP_PKEY_free(k);
    EVP_PKEY_free(k2);
}

/* ---- the server side (a forked child) ---- */

enum stage { STAGE_ECHO, STAGE_BIG };

static void big_fill(unsigned char *buf, size_t n, size_t off)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)((off + i) * 2654435761u >> 13);
}

static void play_stage(enum stage st, int fd, int res)
{
    static unsigned char buf[65536];
    if (st == STAGE_BIG) {
        for (size_t off = 0; off < BIG; off += sizeof buf) {
            big_fill(buf, sizeof buf, off);
            if (write_all(fd, buf, sizeof buf) < 0)
                _exit(1);
        }
        _exit(0);      /* the tail is still queued: the relay must drain */
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            dprintf(res, "%s\n", n == 0 ? "EOF" : "ERROR");
            _exit(0);
        }
        if (write_all(fd, buf, (size_t)n) < 0)
            _exit(1);
    }
}

/* Fork the server on net; returns its pid, *res reads its report. */
static pid_t start_server(struct tls_server *srv, int net, int peer,
                          enum stage st, FILE **res)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        struct tls_session s;
        close(p[0]);
        close(peer);
        if (tls_relay_start(srv, net, &s) < 0) {
            dprintf(p[1], "ERR %s\n", s.error);
            _exit(0);
        }
        close(net);
        dprintf(p[1], "OK %s %s %ld\n", s.protocol, s.cipher, (long)s.pid);
        play_stage(st, s.fd, p[1]);
    }
    close(p[1]);
    close(net);
    *res = fdopen(p[0], "r");
    return pid;
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static char *report_line(FILE *res, char *buf, size_t n)
{
    if (!fgets(buf, (int)n, res))
        snprintf(buf, n, "(none)");
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* ---- the client side ---- */

static SSL_CTX *client_ctx(int version)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), cert);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    if (version) {
        /* Old protocols need the security level lowered on our side, or
         * OpenSSL would refuse before the server could. */
        SSL_CTX_set_security_level(c, 0);
        SSL_CTX_set_cipher_list(c, "DEFAULT:@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(c, version);
        SSL_CTX_set_max_proto_version(c, version);
    }
    return c;
}

static SSL *client_connect(SSL_CTX *c, int fd)
{
    SSL *ssl = SSL_new(c);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

/* Read exactly n bytes of TLS data. */
static int ssl_read_full(SSL *ssl, void *buf, int n)
{
    int got = 0;
    while (got < n) {
        int r = SSL_read(ssl, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

static int is_root(void)
{
    return geteuid() == 0;
}

static int count_fds(long pid)
{
    char path[64];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    /* Valgrind keeps its own descriptors above the limit it shows us. */
    long limit = sysconf(_SC_OPEN_MAX);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.' && atol(e->d_name) < limit;
    closedir(d);
    return n;
}

static long proc_uid(long pid)
{
    char path[64], line[256];
    long uid = -1;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Uid: %ld", &uid) == 1)
            break;
    fclose(f);
    return uid;
}

/* ---- tests ---- */

static void test_config(void)
{
    char err[TLS_ERR_MAX];
    struct tls_server *srv;
    struct tls_config cfg = { .cert_file = "/nonexistent/cert.pem" };

    srv = tls_server_new(&cfg, err, sizeof err);
    ok(!srv && strstr(err, "/nonexistent/cert.pem")
       && strstr(err, "No such file"), "missing certificate named: %s", err);

    cfg.cert_file = cert_path;
    cfg.key_file = other_key;
    srv = tls_server_new(&cfg, err, sizeof err);
    ok(!srv && strstr(err, "does not match"), "wrong key refused: %s", err);

    cfg.key_file = cert_path;
    srv = tls_server_new(&cfg, err, sizeof err);
    ok(!srv && strstr(err, "no usable PEM private key"), "certificate without key refused: %s", err);

    cfg.key_file = key_path;
    cfg.min_protocol = "TLSv1.1";
    srv = tls_server_new(&cfg, err, sizeof err);
    ok(!srv && strstr(err, "TLSv1.1"), "minimum below TLS 1.2 refused: %s",
       err);

    cfg.min_protocol = NULL;
    cfg.ciphers = "NO-SUCH-CIPHER";
    srv = tls_server_new(&cfg, err, sizeof err);
    ok(!srv && strstr(err, "NO-SUCH-CIPHER"), "bad cipher list refused: %s",
       err);

    cfg.ciphers = NULL;
    if (is_root()) {
        cfg.user = "root";
        cfg.root = root_dir;
        srv = tls_server_new(&cfg, err, sizeof err);
        ok(!srv && strstr(err, "uid or gid 0"), "relay as root refused: %s",
           err);
        cfg.user = "nobody";
        chmod(root_dir, 0777);
        srv = tls_server_new(&cfg, err, sizeof err);
        ok(!srv && strstr(err, "writable"), "writable chroot refused: %s",
           err);
        chmod(root_dir, 0755);
    } else {
        ok(1, "relay as root refused # SKIP not root");
        ok(1, "writable chroot refused # SKIP not root");
    }
}

static struct tls_server *server(int timeout, const char *min)
{
    char err[TLS_ERR_MAX];
    struct tls_config cfg = {
        .cert_file = cert_path, .key_file = key_path,
        .user = "nobody", .root = root_dir,
        .handshake_timeout = timeout, .min_protocol = min,
    };
    struct tls_server *srv = tls_server_new(&cfg, err, sizeof err);
    if (!srv)
        printf("# tls_server_new: %s\n", err);
    return srv;
}

/* A TLS 1.3 session: the verdict, the confinement, both directions, and
 * the client's close_notify reaching the stage as end of file. */
static void test_echo(struct tls_server *srv)
{
    int sv[2];
    FILE *res;
    char line[512], proto[32] = "", cipher[64] = "", buf[64];
    long relay = 0;
    SSL_CTX *c = client_ctx(0);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = start_server(srv, sv[1], sv[0], STAGE_ECHO, &res);
    SSL *ssl = client_connect(c, sv[0]);
    ok(ssl != NULL, "TLS 1.3 handshake, certificate verified");
    report_line(res, line, sizeof line);
    ok(sscanf(line, "OK %31s %63s %ld", proto, cipher, &relay) == 3,
       "relay reports the session: %s", line);
    is_str(proto, "TLSv1.3", "protocol learnt by the parent");
    ok(ssl && strcmp(cipher, SSL_get_cipher_name(ssl)) == 0,
       "cipher learnt by the parent is the negotiated one (%s)", cipher);
    if (is_root()) {
        char rootlink[PATH_MAX] = "";
        char pathbuf[64];
        snprintf(pathbuf, sizeof pathbuf, "/proc/%ld/root", relay);
        ssize_t n = readlink(pathbuf, rootlink, sizeof rootlink - 1);
        rootlink[n > 0 ? n : 0] = '\0';
        is_int(proc_uid(relay), 65534, "relay runs as nobody (/proc status)");
        is_str(rootlink, root_dir, "relay is chrooted (/proc root)");
    } else {
        ok(1, "relay uid # SKIP not root");
        ok(1, "relay root # SKIP not root");
    }
    /* The relay makes itself non-dumpable, so only root may list its
     * /proc/PID/fd. */
    if (is_root())
        is_int(count_fds(relay), 3,
               "relay holds only the network, the socketpair and stderr");
    else
        ok(1, "relay's descriptors # SKIP not root: the relay is "
           "non-dumpable, its /proc/PID/fd is root's");

    const char *msg = "CAPA\r\n";
    ok(ssl && SSL_write(ssl, msg, (int)strlen(msg)) == (int)strlen(msg)
       && ssl_read_full(ssl, buf, (int)strlen(msg)) == 0
       && memcmp(buf, msg, strlen(msg)) == 0,
       "plaintext crosses the relay both ways");

    if (ssl)
        SSL_shutdown(ssl);   /* close_notify */
    is_str(report_line(res, line, sizeof line), "EOF",
           "client's close_notify reaches the stage as end of file");
    ok(ssl && SSL_read(ssl, buf, sizeof buf) == 0
       && SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN,
       "relay answers with close_notify when the stage is done");
    SSL_free(ssl);
    SSL_CTX_free(c);
    close(sv[0]);
    fclose(res);
    reap(pid);
}

/* The stage writes 8 MiB and exits at once: every byte must arrive, then
 * close_notify (a truncated RETR would be lost mail to the user). */
static void test_big(struct tls_server *srv, int version)
{
    int sv[2];
    FILE *res;
    char line[512];
    static unsigned char want[65536], got[65536];
    SSL_CTX *c = client_ctx(version);
    size_t total = 0;
    int same = 1;

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = start_server(srv, sv[1], sv[0], STAGE_BIG, &res);
    SSL *ssl = client_connect(c, sv[0]);
    report_line(res, line, sizeof line);
    ok(ssl && strncmp(line, version ? "OK TLSv1.2 " : "OK TLSv1.3 ", 11) == 0,
       "%s session: %s", version ? "TLS 1.2" : "TLS 1.3", line);
    for (int r; ssl && (r = SSL_read(ssl, got, sizeof got)) > 0;) {
        size_t off = 0;
        while (off < (size_t)r) {
            size_t chunk = (total % sizeof want);
            size_t n = sizeof want - chunk;
            if (n > (size_t)r - off)
                n = (size_t)r - off;
            big_fill(want, sizeof want, total - chunk);
            same &= memcmp(want + chunk, got + off, n) == 0;
            off += n;
            total += n;
        }
    }
    is_int(total, BIG, "every byte the stage wrote arrives");
    ok(same, "byte for byte");
    ok(ssl && SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN,
       "the stream ends with close_notify, not a bare close");
    SSL_free(ssl);
    SSL_CTX_free(c);
    close(sv[0]);
    fclose(res);
    reap(pid);
}

/* TLS 1.2 renegotiation (a CPU sink and an old attack surface) is
 * refused: the client's attempt never completes. */
static void test_no_renegotiation(struct tls_server *srv)
{
    int sv[2];
    FILE *res;
    char line[512], b[8];
    SSL_CTX *c = client_ctx(TLS1_2_VERSION);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = start_server(srv, sv[1], sv[0], STAGE_ECHO, &res);
    SSL *ssl = client_connect(c, sv[0]);
    report_line(res, line, sizeof line);
    int started = ssl && SSL_renegotiate(ssl) == 1;
    int hs = started ? SSL_do_handshake(ssl) : -1;
    /* The server's answer (an alert, or nothing) arrives with the echo. */
    int w = ssl ? SSL_write(ssl, "x", 1) : -1;
    int r = ssl && w == 1 ? SSL_read(ssl, b, 1) : -1;
    printf("# renegotiate: started %d, handshake %d, write %d, read %d, "
           "pending %d\n", started, hs, w, r,
           ssl ? SSL_renegotiate_pending(ssl) : -1);
    ok(started && hs != 1 && r != 1,
       "client-initiated renegotiation refused");
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(c);
    close(sv[0]);
    fclose(res);
    reap(pid);
}

/* A client the server must refuse: returns the relay's reason. */
static void refused(struct tls_server *srv, const char *what,
                    int (*client)(int fd), const char *want)
{
    int sv[2];
    FILE *res;
    char line[512];

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = start_server(srv, sv[1], sv[0], STAGE_ECHO, &res);
    int client_ok = client(sv[0]);
    report_line(res, line, sizeof line);
    ok(!client_ok && strncmp(line, "ERR ", 4) == 0 && strstr(line, want),
       "%s refused: %s", what, line);
    close(sv[0]);
    fclose(res);
    reap(pid);
}

static int client_version(int fd, int version)
{
    SSL_CTX *c = client_ctx(version);
    SSL *ssl = client_connect(c, fd);
    int good = ssl != NULL;
    SSL_free(ssl);
    SSL_CTX_free(c);
    return good;
}

static int client_tls10(int fd) { return client_version(fd, TLS1_VERSION); }
static int client_tls11(int fd) { return client_version(fd, TLS1_1_VERSION); }
static int client_tls12_only(int fd) { return client_version(fd, TLS1_2_VERSION); }

static int client_garbage(int fd)
{
    const char *s = "USER joe\r\nPASS secret\r\n";
    write_all(fd, s, strlen(s));
    return 0;
}

/* The first bytes of a ClientHello record, then silence. */
static int client_stall(int fd)
{
    const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
    write_all(fd, hello, sizeof hello);
    return 0;
}

static int client_silent(int fd)
{
    return 0;
}

static int client_hangup(int fd)
{
    shutdown(fd, SHUT_RDWR);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(dir, 0755);
    snprintf(root_dir, sizeof root_dir, "%s/empty", dir);
    mkdir(root_dir, 0755);
    make_cert();

    test_config();
    struct tls_server *srv = server(TLS_HANDSHAKE_TIMEOUT, NULL);
    ok(srv != NULL, "configuration loads");
    if (srv) {
        test_echo(srv);
        test_big(srv, 0);
        test_big(srv, TLS1_2_VERSION);
        test_no_renegotiation(srv);
        refused(srv, "TLS 1.0", client_tls10, "protocol");
        refused(srv, "TLS 1.1", client_tls11, "protocol");
        refused(srv, "plaintext POP3 instead of a handshake", client_garbage,
                "ERR");
        refused(srv, "a client hanging up", client_hangup, "closed");
    }
    tls_server_free(srv);
    /* A short timeout only where the timeout is the point: a handshake
     * under valgrind can take longer than a second. */
    srv = server(1, NULL);
    if (srv) {
        refused(srv, "a client stalling mid-handshake", client_stall,
                "timed out after 1 s");
        refused(srv, "a silent client", client_silent, "timed out after 1 s");
    }
    tls_server_free(srv);
    srv = server(TLS_HANDSHAKE_TIMEOUT, "TLSv1.3");
    if (srv)
        refused(srv, "TLS 1.2 with a TLS 1.3 floor", client_tls12_only,
                "protocol");
    tls_server_free(srv);

    X509_free(cert);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
