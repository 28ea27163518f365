/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h -- what every harness in tests/fuzz shares: libFuzzer's entry
 * point, and CHECK(), which aborts (a crash libFuzzer reports, and a
 * failure of the corpus replay) when a property of the code under test
 * does not hold.  A harness only checks what the module's header
 * promises, and only calls it as the header allows.  And, for the
 * harnesses that read a Maildir, one scratch Maildir made and removed.
 */
#ifndef POPKIT_FUZZ_H
#define POPKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
        abort(); \
    } \
} while (0)

/* A scratch Maildir: root is a mkdtemp(3) template (filled in), then
 * cur/ new/ tmp/ and the n messages msgs (paths under root), each body. */
static inline void fuzz_maildir_make(char *root, const char *const *msgs,
                                     size_t n, const char *body)
{
    char p[4096];
    CHECK(mkdtemp(root) != NULL);
    static const char *const dirs[] = { "cur", "new", "tmp" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        CHECK(mkdir(p, 0700) == 0);
    }
    size_t len = strlen(body);
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", root, msgs[i]);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
        CHECK(fd >= 0 && write(fd, body, len) == (ssize_t)len);
        close(fd);
    }
}

/* Remove what fuzz_maildir_make made, the files named in extra (ended by
 * NULL: what the code under test wrote at the top), and root. */
static inline void fuzz_maildir_remove(const char *root,
                                       const char *const *msgs, size_t n,
                                       const char *const *extra)
{
    char p[4096];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", root, msgs[i]);
        unlink(p);
    }
    for (; *extra; extra++) {
        snprintf(p, sizeof p, "%s/%s", root, *extra);
        unlink(p);
    }
    static const char *const dirs[] = { "cur", "new", "tmp" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
        rmdir(p);
    }
    rmdir(root);
}

#endif
