/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h -- what every harness in tests/fuzz shares: libFuzzer's entry
 * point, and CHECK(), which aborts (a crash libFuzzer reports, and a
 * failure of the corpus replay) when a property of the code under test
 * does not hold.  A harness only checks what the module's header
 * promises, and only calls it as the header allows.
 */
#ifndef POPKIT_FUZZ_H
#define POPKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
        abort(); \
    } \
} while (0)

#endif
