/* SPDX-License-Identifier: ISC */
/* test_base64 -- RFC 4648 vectors, padding, and every kind of bad input. */
#include <string.h>

#include "base64.h"
#include "tap.h"

static void roundtrip(const char *plain, const char *enc)
{
    char out[64];
    char dec[64];
    size_t n = strlen(plain);
    is_int(base64_encode(plain, n, out, sizeof out), strlen(enc),
           "encode length");
    is_str(out, enc, "encode matches RFC 4648");
    ssize_t d = base64_decode(enc, strlen(enc), dec, sizeof dec);
    is_int(d, n, "decode length");
    ok(d >= 0 && memcmp(dec, plain, n) == 0, "decode gives the input back");
}

static int bad(const char *s)
{
    char dec[64];
    return base64_decode(s, strlen(s), dec, sizeof dec) == -1;
}

int main(void)
{
    /* RFC 4648 §10 test vectors. */
    roundtrip("", "");
    roundtrip("f", "Zg==");
    roundtrip("fo", "Zm8=");
    roundtrip("foo", "Zm9v");
    roundtrip("foob", "Zm9vYg==");
    roundtrip("fooba", "Zm9vYmE=");
    roundtrip("foobar", "Zm9vYmFy");

    /* SASL PLAIN payloads hold NULs. */
    char dec[32];
    ssize_t n = base64_decode("AHVzZXIAcGFzcw==", 16, dec, sizeof dec);
    ok(n == 10 && memcmp(dec, "\0user\0pass", 10) == 0, "NULs decode");
    char enc[32];
    base64_encode("\0user\0pass", 10, enc, sizeof enc);
    is_str(enc, "AHVzZXIAcGFzcw==", "NULs encode");

    ok(bad("Zg="), "length not a multiple of 4");
    ok(bad("Zg"), "missing padding");
    ok(bad("Z==="), "three padding characters");
    ok(bad("===="), "only padding");
    ok(bad("Zg==Zm8="), "padding in the middle");
    ok(bad("Z=g="), "data after padding");
    ok(bad("Zh=="), "non-zero bits under padding (one byte)");
    ok(bad("Zm9="), "non-zero bits under padding (two bytes)");
    ok(bad("Zm 9"), "space inside");
    ok(bad("Zm9v\r\n"), "line end inside");
    ok(bad("Zm9-"), "URL-safe alphabet is not base64");
    ok(bad("Zm9\x80"), "8-bit byte");
    ok(base64_decode("Zm\0v", 4, dec, sizeof dec) == -1, "NUL inside");

    /* Output bounds. */
    ok(base64_decode("Zm9vYmFy", 8, dec, 5) == -1, "decode refuses a short buffer");
    is_int(base64_decode("Zm9vYmFy", 8, dec, 6), 6, "decode fits exactly");
    ok(base64_encode("foo", 3, enc, 4) == -1, "encode refuses a short buffer");
    is_int(base64_encode("foo", 3, enc, 5), 4, "encode fits exactly");
    is_int(BASE64_ENCODED_SIZE(10), 17, "encoded size includes the NUL");

    /* All 256 byte values survive. */
    unsigned char all[256], back[256];
    char big[BASE64_ENCODED_SIZE(256)];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    ssize_t e = base64_encode(all, 256, big, sizeof big);
    ok(e == 344 && base64_decode(big, (size_t)e, back, sizeof back) == 256 &&
       memcmp(all, back, 256) == 0, "every byte value round-trips");
    return tap_done();
}
