/* SPDX-License-Identifier: ISC */
/*
 * sasl.h -- the server side of SASL PLAIN (RFC 4616) and LOGIN for POP3
 * AUTH (RFC 5034), without I/O: the caller reads the client's lines and
 * writes the challenges; these functions decode and check what came.
 *
 * A client response is base64, "=" for an empty one (RFC 5034 §4), or
 * "*" to cancel.  Decoded credentials must fit the checkpassword payload
 * (login\0password\0timestamp\0, CPW_MAX bytes), hold no NUL and no other
 * control character in the login, and a PLAIN authorization identity
 * must be empty or equal to the authentication identity: popkit logs in
 * as the user it checked, never as someone else.
 *
 * Everything decoded lives in struct sasl_creds; sasl_wipe() clears it.
 */
#ifndef POPKIT_SASL_H
#define POPKIT_SASL_H

#include <stddef.h>

#include "params.h"

enum {
    SASL_OK = 0,
    SASL_CANCEL = -1,     /* the client sent "*" */
    SASL_BAD_BASE64 = -2, /* not valid base64 */
    SASL_BAD_FORMAT = -3, /* decoded, but not a valid message */
    SASL_AUTHZID = -4,    /* PLAIN authzid differs from authcid */
    SASL_TOO_LONG = -5    /* does not fit the checkpassword payload */
};

enum sasl_mech { SASL_MECH_NONE = 0, SASL_MECH_PLAIN, SASL_MECH_LOGIN };

struct sasl_creds {
    char login[CPW_MAX + 1];
    char password[CPW_MAX + 1];
};

/* The mechanisms popkit offers, in the one table that CAPA's SASL line
 * (lib/pop3caps), AUTH's list and AUTH's dispatch (pop3-greeter) all
 * read, so none can offer what another does not know.  A mechanism is
 * a fixed number of client responses: before each one the server sends
 * challenges[step] (base64, "" for none) unless the client gave it as
 * the initial response (step 0 only); take() checks each decoded
 * response into c and returns SASL_OK or a SASL_ error. */
struct sasl_mechanism {
    const char *name;                  /* as AUTH and CAPA spell it */
    enum sasl_mech id;
    unsigned steps;                    /* client responses it takes */
    const char *const *challenges;     /* steps of them */
    int (*take)(struct sasl_creds *c, unsigned step, const char *msg,
                size_t len);
};

/* The table, ended by an entry whose name is NULL. */
extern const struct sasl_mechanism sasl_mechanisms[];

/* The mechanism of that name (case-insensitive), or NULL. */
const struct sasl_mechanism *sasl_mechanism_find(const char *name);

/* Mechanism name (case-insensitive) to enum; SASL_MECH_NONE if unknown. */
enum sasl_mech sasl_mech_find(const char *name);

/* Decode one client response line[0..len-1] into out (size outsz).  On
 * SASL_OK *outlen is the decoded length.  "*" gives SASL_CANCEL, "=" an
 * empty response. */
int sasl_response(const char *line, size_t len, char *out, size_t outsz,
                  size_t *outlen);

/* Split a decoded PLAIN message authzid\0authcid\0passwd into c. */
int sasl_plain(const char *msg, size_t len, struct sasl_creds *c);

/* Check a decoded LOGIN field (the user name or the password) and copy it,
 * NUL-terminated, to out (size outsz).  is_login: apply the login-name
 * rules (no control characters, not empty). */
int sasl_login_field(const char *msg, size_t len, char *out, size_t outsz,
                     int is_login);

/* Whether a login name is acceptable: 1..CPW_MAX-2 bytes, no byte below
 * 0x20 and no 0x7f, valid UTF-8.  Shared with USER and APOP. */
int sasl_login_valid(const char *s, size_t len);

/* A short description of a SASL_ error for -ERR lines. */
const char *sasl_strerror(int err);

void sasl_wipe(struct sasl_creds *c);

#endif
