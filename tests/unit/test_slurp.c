/* SPDX-License-Identifier: ISC */
/* test_slurp.c -- lib/slurp: a whole file in memory, any size up to the
 * bound, NULs kept; small files in malloc'ed memory, big ones mapped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "slurp.h"
#include "tap.h"

static char path[] = "/tmp/test_slurp.XXXXXX";

static void write_bytes(const char *data, size_t n)
{
    FILE *f = fopen(path, "w");
    fwrite(data, 1, n, f);
    fclose(f);
}

/* A file that grows after fstat (a pipe stands in: fstat says 0). */
static void grows(void)
{
    struct slurp s;
    char name[64];
    int p[2];
    if (pipe(p)) {
        ok(0, "pipe");
        return;
    }
    for (int i = 0; i < 3; i++)
        if (write(p[1], "0123456789", 10) != 10)
            break;
    close(p[1]);
    snprintf(name, sizeof name, "/dev/fd/%d", p[0]);
    ok(slurp(&s, name, 100) == 0 && s.len == 30
       && memcmp(s.data, "0123456789", 10) == 0 && s.data[30] == '\0',
       "more than fstat said: read on to the end");
    slurp_release(&s, 1);
    close(p[0]);
}

/* slurp_next_line: each line without its newline, empty ones too, and
 * a last line without a newline. */
static void lines(void)
{
    struct slurp s;
    char got[64] = "";
    size_t pos = 0, n, used = 0;
    const char *line;
    write_bytes("one\n\n  two\nlast", 15);
    if (slurp(&s, path, 100) != 0) {
        ok(0, "lines: slurp failed");
        return;
    }
    while ((line = slurp_next_line(&s, &pos, &n)) != NULL &&
           used + n + 2 < sizeof got) {
        memcpy(got + used, line, n);
        used += n;
        got[used++] = '|';
        got[used] = '\0';
    }
    is_str(got, "one||  two|last|",
           "lines: in order, empty kept, blanks kept, last unended");
    ok(slurp_next_line(&s, &pos, &n) == NULL, "and NULL after the last");
    slurp_release(&s, 0);
    unlink(path);
}

int main(void)
{
    struct slurp s;
    size_t bign = SLURP_POPULATE_MIN * 2 + 1234;
    char *big;
    int fd = mkstemp(path);

    if (fd < 0)
        return 1;
    close(fd);
    ok(slurp(&s, path, 100) == 0 && s.len == 0 && s.data[0] == '\0',
       "an empty file: empty, NUL-ended");
    slurp_release(&s, 0);
    ok(s.data == NULL && s.len == 0, "released: emptied");

    write_bytes("a\0b\nc", 5);
    ok(slurp(&s, path, 100) == 0 && s.len == 5
       && memcmp(s.data, "a\0b\nc", 6) == 0 && !s.mapped,
       "a NUL inside is kept, a NUL is added after; small: malloc'ed");
    slurp_release(&s, 1);

    big = malloc(bign);
    for (size_t i = 0; i < bign; i++)
        big[i] = (char)('a' + i % 26);
    write_bytes(big, bign);
    ok(slurp(&s, path, bign) == 0 && s.len == bign
       && memcmp(s.data, big, bign) == 0 && s.data[bign] == '\0',
       "a big file, exactly the bound: read whole");
    ok(s.mapped, "big: in populated mapped memory");
    slurp_release(&s, 1);
    errno = 0;
    ok(slurp(&s, path, bign - 1) == -1 && errno == EFBIG && s.data == NULL,
       "one byte over the bound: EFBIG");
    free(big);

    errno = 0;
    unlink(path);
    ok(slurp(&s, path, 100) == -1 && errno == ENOENT, "a missing file: ENOENT");
    errno = 0;
    ok(slurp(&s, "/tmp", 1 << 20) == -1 && errno == EISDIR,
       "a directory: its read error (EISDIR)");
    grows();
    lines();
    return tap_done();
}
