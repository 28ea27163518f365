/* SPDX-License-Identifier: ISC */
/*
 * tls_server.h -- the bottom of lib/tls (tls.c, the context loaded
 * while privileged): the loaded server the relay (tls_relay.c) runs
 * with, and OpenSSL's error as a reason, which both report.  Not a
 * contract: programs use tls.h.
 */
#ifndef POPKIT_TLS_SERVER_H
#define POPKIT_TLS_SERVER_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct tls_server {
    SSL_CTX *ctx;
    int handshake_timeout;   /* seconds */
    int confine;             /* loaded as root: chroot and drop in the relay */
    uid_t uid;
    gid_t gid;
    char root[PATH_MAX];
};

/* The first queued OpenSSL error as a short reason, or fallback; clears
 * the queue so a later error is not blamed on this one. */
static inline void ssl_reason(char *out, size_t outsz, const char *fallback)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(out, outsz, "%s", r);
    else if (e)
        ERR_error_string_n(e, out, outsz);
    else
        snprintf(out, outsz, "%s", fallback);
    ERR_clear_error();
}

#endif
