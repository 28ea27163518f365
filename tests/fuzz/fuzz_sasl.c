/* SPDX-License-Identifier: ISC */
/*
 * fuzz_sasl.c -- SASL (lib/sasl) and strict base64 (lib/base64).  The
 * input is one client response line as AUTH gets it.  Checked: base64
 * decodes a string only when encoding the result gives back exactly that
 * string (base64.h: one decoding for each encoded string, so also one
 * encoding), and encoding then decoding any bytes round-trips; a
 * response, decoded, goes through PLAIN, LOGIN's fields and each
 * mechanism's steps, and what they accept obeys sasl.h's rules for a
 * login (sasl_login_valid) and fits the checkpassword payload.
 */
#include <string.h>

#include "base64.h"
#include "fuzz.h"
#include "sasl.h"

#define LINE_MAX_FUZZ 2048

static void check_base64(const uint8_t *data, size_t size)
{
    static unsigned char dec[LINE_MAX_FUZZ];
    static char enc[BASE64_ENCODED_SIZE(LINE_MAX_FUZZ)];
    ssize_t n = base64_decode((const char *)data, size, dec, sizeof dec);
    if (n >= 0) {
        CHECK((size_t)n <= BASE64_DECODED_MAX(size));
        ssize_t e = base64_encode(dec, (size_t)n, enc, sizeof enc);
        CHECK(e == (ssize_t)size && memcmp(enc, data, size) == 0);
    }
    ssize_t e = base64_encode(data, size, enc, sizeof enc);
    CHECK(e >= 0 && (size_t)e + 1 == BASE64_ENCODED_SIZE(size));
    CHECK(enc[e] == '\0');
    n = base64_decode(enc, (size_t)e, dec, sizeof dec);
    CHECK(n == (ssize_t)size && memcmp(dec, data, size) == 0);
    /* too small an output is refused, never overrun */
    if (size > 0)
        CHECK(base64_encode(data, size, enc, (size_t)e) == -1);
}

static void check_creds(const struct sasl_creds *c)
{
    size_t l = strnlen(c->login, sizeof c->login);
    size_t p = strnlen(c->password, sizeof c->password);
    CHECK(l < sizeof c->login && p < sizeof c->password);
    CHECK(sasl_login_valid(c->login, l));
    CHECK(l + p + 3 <= CPW_MAX);
}

static void check_mechanisms(const char *msg, size_t len)
{
    for (const struct sasl_mechanism *m = sasl_mechanisms; m->name; m++) {
        CHECK(sasl_mechanism_find(m->name) == m);
        CHECK(sasl_mech_find(m->name) == m->id);
        struct sasl_creds c;
        memset(&c, 0, sizeof c);
        int ok = 1;
        for (unsigned step = 0; step < m->steps && ok; step++) {
            int r = m->take(&c, step, msg, len);
            CHECK(r == SASL_OK || (r < 0 && sasl_strerror(r) != NULL));
            ok = r == SASL_OK;
        }
        if (ok && m->steps > 0)
            check_creds(&c);
        sasl_wipe(&c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[LINE_MAX_FUZZ];
    if (size > LINE_MAX_FUZZ)
        return 0;
    check_base64(data, size);
    size_t outlen = 0;
    int r = sasl_response((const char *)data, size, out, sizeof out, &outlen);
    CHECK(r == SASL_OK || r == SASL_CANCEL || (r < 0 && sasl_strerror(r) != NULL));
    if (r != SASL_OK)
        return 0;
    CHECK(outlen <= sizeof out);
    struct sasl_creds c;
    memset(&c, 0, sizeof c);
    if (sasl_plain(out, outlen, &c) == SASL_OK)
        check_creds(&c);
    sasl_wipe(&c);
    char field[CPW_MAX + 1];
    if (sasl_login_field(out, outlen, field, sizeof field, 1) == SASL_OK)
        CHECK(sasl_login_valid(field, strlen(field)));
    if (sasl_login_field(out, outlen, field, sizeof field, 0) == SASL_OK)
        CHECK(strlen(field) < sizeof field);
    check_mechanisms(out, outlen);
    return 0;
}
