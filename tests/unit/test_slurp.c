/* test_slurp.c -- lib/slurp: a whole file in memory, any size up to the
 * bound, NULs kept. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurp.h"
#include "tap.h"

static char path[] = "/tmp/test_slurp.XXXXXX";

int main(void)
{
    size_t len = 99;
    char *buf, *big;
    int fd = mkstemp(path);
    FILE *f;

    if (fd < 0)
        return 1;
    close(fd);
    buf = slurp(path, 100, &len);
    ok(buf && len == 0 && buf[0] == '\0', "an empty file: empty, NUL-ended");
    free(buf);

    f = fopen(path, "w");
    fwrite("a\0b\nc", 1, 5, f);
    fclose(f);
    buf = slurp(path, 100, &len);
    ok(buf && len == 5 && memcmp(buf, "a\0b\nc", 6) == 0,
       "a NUL inside is kept, a NUL is added after");
    free(buf);

    big = malloc(300000);
    for (size_t i = 0; i < 300000; i++)
        big[i] = (char)('a' + i % 26);
    f = fopen(path, "w");
    fwrite(big, 1, 300000, f);
    fclose(f);
    buf = slurp(path, 300000, &len);
    ok(buf && len == 300000 && memcmp(buf, big, len) == 0 && buf[len] == '\0',
       "300 kB, exactly the bound: read whole");
    free(buf);
    errno = 0;
    buf = slurp(path, 299999, &len);
    ok(!buf && errno == EFBIG, "one byte over the bound: EFBIG");
    free(big);

    errno = 0;
    unlink(path);
    ok(!slurp(path, 100, &len) && errno == ENOENT, "a missing file: ENOENT");
    errno = 0;
    ok(!slurp("/tmp", 1 << 20, &len) && errno == EISDIR,
       "a directory: its read error (EISDIR)");

    /* A file that grows after fstat (a pipe stands in: fstat says 0). */
    {
        int p[2];
        char name[64];
        if (pipe(p) == 0) {
            for (int i = 0; i < 3; i++)
                if (write(p[1], "0123456789", 10) != 10)
                    break;
            close(p[1]);
            snprintf(name, sizeof name, "/dev/fd/%d", p[0]);
            buf = slurp(name, 100, &len);
            ok(buf && len == 30 && memcmp(buf, "0123456789", 10) == 0,
               "more than fstat said: read on to the end");
            free(buf);
            close(p[0]);
        }
    }
    return tap_done();
}
