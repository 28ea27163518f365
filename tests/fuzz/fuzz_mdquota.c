/* SPDX-License-Identifier: ISC */
/*
 * fuzz_mdquota.c -- maildirsize (lib/mdquota): the definition line, as
 * a property (a definition parsed and written back with
 * mdquota_format_def() parses to the same limits, and the written line
 * is at most MDQUOTA_LINE_MAX), the administrator's argument form, and
 * the whole file through mdquota_load() in a scratch Maildir (the first
 * input line the definition, the rest the journal): the usage it reports
 * is that of the empty Maildir whenever the file was recalculated,
 * and no sum overflows (UBSan) however the file lies.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "mdquota.h"

static char dir[FUZZ_ROOT_MAX];

/* At exit: the scratch Maildir goes (it holds maildirsize, perhaps a
 * rewrite left in tmp/ by a process killed mid-way: none here). */
static void scratch_remove(void)
{
    static const char *const top[] = { MDQUOTA_NAME, NULL };
    fuzz_maildir_remove(dir, NULL, 0, top);
}

/* An empty Maildir, made once; each input rewrites its maildirsize. */
static int scratch_dir(void)
{
    static int fd = -1;
    if (fd >= 0)
        return fd;
    fuzz_maildir_make(dir, "mdquota", NULL, 0, "");
    atexit(scratch_remove);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    return fd;
}

static void check_def_round_trip(const struct mdquota_def *d)
{
    char out[MDQUOTA_LINE_MAX + 1];
    size_t n = mdquota_format_def(d, out);
    CHECK(n <= MDQUOTA_LINE_MAX);
    struct mdquota_def back;
    CHECK(mdquota_parse_def(out, n, &back) == 0);
    CHECK(back.max_bytes == d->max_bytes && back.max_count == d->max_count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arg[256];
    if (size > 2 * MDQUOTA_FILE_MAX)
        return 0;
    const char *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - (const char *)data) : size;
    struct mdquota_def d;
    if (mdquota_parse_def((const char *)data, first, &d) == 0)
        check_def_round_trip(&d);
    if (first < sizeof arg && !memchr(data, 0, first)) {
        memcpy(arg, data, first);
        arg[first] = '\0';
        if (mdquota_parse_arg(arg, &d) == 0)
            check_def_round_trip(&d);
    }
    int dfd = scratch_dir();
    int fd = openat(dfd, MDQUOTA_NAME, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, data, size) == (ssize_t)size);
    close(fd);
    struct mdquota q;
    memset(&q, 0, sizeof q);
    if (mdquota_load(dfd, &q) == 0 && q.defined) {
        /* the scratch Maildir is empty: a recalculation finds nothing */
        if (q.recalculated)
            CHECK(q.bytes == 0 && q.count == 0);
    }
    return 0;
}
