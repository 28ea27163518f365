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
#include <errno.h>
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

/* Where the scratch files go: /dev/shm when there is one (tmpfs: no
 * disk, journal or flush; ext4 flushes a file closed after O_TRUNC, and
 * the Maildir harnesses ran 5-10 times slower on it), else $TMPDIR,
 * else /tmp. */
static inline const char *fuzz_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    if (access("/dev/shm", W_OK | X_OK) == 0)
        return "/dev/shm";
    return t && *t ? t : "/tmp";
}

/* A scratch Maildir, made once for the whole run (each input rewrites
 * only the file under test in it): root (FUZZ_ROOT_MAX bytes) gets a
 * fresh directory TMPDIR/fuzz_NAME.XXXXXX, then cur/ new/ tmp/ and the
 * n messages msgs (paths under root), each body. */
#define FUZZ_ROOT_MAX 256
static inline void fuzz_maildir_make(char *root, const char *name,
                                     const char *const *msgs, size_t n,
                                     const char *body)
{
    char p[4096];
    snprintf(root, FUZZ_ROOT_MAX, "%s/fuzz_%s.XXXXXX", fuzz_tmpdir(), name);
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

/* Replace the file name under root with data[0..size). */
static inline void fuzz_write_file(const char *root, const char *name,
                                   const void *data, size_t size)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size);
    close(fd);
}

/* Make the file fd (a memfd, reused from one input to the next) hold
 * data[0..size) and read from its start: a reader's input from memory,
 * with no pipe to make and fill, and never a short read or a wait. */
static inline void fuzz_memfd_fill(int fd, const void *data, size_t size)
{
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
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
