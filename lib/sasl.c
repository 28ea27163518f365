/* SPDX-License-Identifier: ISC */
#include "sasl.h"

#include <string.h>
#include <strings.h>

#include "base64.h"
#include "util.h"

int sasl_response(const char *line, size_t len, char *out, size_t outsz,
                  size_t *outlen)
{
    *outlen = 0;
    if (len == 1 && line[0] == '*')
        return SASL_CANCEL;
    if (len == 1 && line[0] == '=')
        return SASL_OK;   /* RFC 5034 §4: an empty initial response */
    /* The caller's buffer holds the decoding of any line it can read,
     * so a failure here is malformed input. */
    ssize_t n = base64_decode(line, len, out, outsz);
    if (n < 0)
        return SASL_BAD_BASE64;
    *outlen = (size_t)n;
    return SASL_OK;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t need;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2; min = 0x80; cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3; min = 0x800; cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4; min = 0x10000; cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;   /* overlong, beyond Unicode, or a surrogate */
    return need;
}

int sasl_login_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0 || len > CPW_MAX - 2)
        return 0;
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
        size_t k = utf8_seq_len(p + i, len - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* A password may hold any byte but NUL (it ends the field on fd 3) and
 * CR/LF (no line-oriented client can have meant them). */
static int password_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
            return 0;
    return 1;
}

int sasl_login_field(const char *msg, size_t len, char *out, size_t outsz,
                     int is_login)
{
    if (len >= outsz || len > CPW_MAX - 3)
        return SASL_TOO_LONG;
    if (is_login ? !sasl_login_valid(msg, len) : !password_valid(msg, len))
        return SASL_BAD_FORMAT;
    memcpy(out, msg, len);
    out[len] = '\0';
    return SASL_OK;
}

int sasl_plain(const char *msg, size_t len, struct sasl_creds *c)
{
    const char *nul1 = memchr(msg, '\0', len);
    if (!nul1)
        return SASL_BAD_FORMAT;
    const char *authcid = nul1 + 1;
    size_t rest = len - (size_t)(authcid - msg);
    const char *nul2 = memchr(authcid, '\0', rest);
    if (!nul2)
        return SASL_BAD_FORMAT;
    const char *passwd = nul2 + 1;
    size_t zlen = (size_t)(nul1 - msg);
    size_t clen = (size_t)(nul2 - authcid);
    size_t plen = len - (size_t)(passwd - msg);
    /* login\0password\0\0 (empty timestamp) must fit CPW_MAX. */
    if (clen + plen + 3 > CPW_MAX)
        return SASL_TOO_LONG;
    if (!sasl_login_valid(authcid, clen) || !password_valid(passwd, plen))
        return SASL_BAD_FORMAT;
    if (zlen > 0 && (zlen != clen || memcmp(msg, authcid, clen) != 0))
        return SASL_AUTHZID;
    memcpy(c->login, authcid, clen);
    c->login[clen] = '\0';
    memcpy(c->password, passwd, plen);
    c->password[plen] = '\0';
    return SASL_OK;
}

const char *sasl_strerror(int err)
{
    switch (err) {
    case SASL_OK: return "ok";
    case SASL_CANCEL: return "authentication cancelled";
    case SASL_BAD_BASE64: return "invalid base64";
    case SASL_BAD_FORMAT: return "malformed credentials";
    case SASL_AUTHZID: return "authorization identity must match the login";
    case SASL_TOO_LONG: return "credentials too long";
    }
    return "authentication failed";
}

void sasl_wipe(struct sasl_creds *c)
{
    wipe(c, sizeof *c);
}

/* PLAIN (RFC 4616): one response, authzid\0authcid\0passwd. */
static int take_plain(struct sasl_creds *c, unsigned step, const char *msg,
                      size_t len)
{
    (void)step;
    return sasl_plain(msg, len, c);
}

/* LOGIN: the user name, then the password, each its own response. */
static int take_login(struct sasl_creds *c, unsigned step, const char *msg,
                      size_t len)
{
    if (step == 0)
        return sasl_login_field(msg, len, c->login, sizeof c->login, 1);
    /* the two together must fit the payload, as PLAIN's do: its three
     * NULs counted */
    if (strlen(c->login) + len + 3 > CPW_MAX)
        return SASL_TOO_LONG;
    return sasl_login_field(msg, len, c->password, sizeof c->password, 0);
}

/* PLAIN's one challenge is empty (RFC 4616 §2: the client speaks first);
 * LOGIN's are "Username:" and "Password:" in base64, as every client
 * expects. */
static const char *const plain_challenges[] = { "" };
static const char *const login_challenges[] = { "VXNlcm5hbWU6",
                                                "UGFzc3dvcmQ6" };

const struct sasl_mechanism sasl_mechanisms[] = {
    { "PLAIN", SASL_MECH_PLAIN, 1, plain_challenges, take_plain },
    { "LOGIN", SASL_MECH_LOGIN, 2, login_challenges, take_login },
    { NULL, SASL_MECH_NONE, 0, NULL, NULL }
};

const struct sasl_mechanism *sasl_mechanism_find(const char *name)
{
    for (const struct sasl_mechanism *m = sasl_mechanisms; m->name; m++)
        if (strcasecmp(name, m->name) == 0)
            return m;
    return NULL;
}

enum sasl_mech sasl_mech_find(const char *name)
{
    const struct sasl_mechanism *m = sasl_mechanism_find(name);
    return m ? m->id : SASL_MECH_NONE;
}
