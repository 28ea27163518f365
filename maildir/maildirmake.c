/* SPDX-License-Identifier: ISC */
/*
 * maildirmake -- create a Maildir (DIR with tmp/, new/ and cur/, mode 0700),
 * or with -p make sure an existing one is complete.
 *
 * Exit codes in qmail's convention (exitcode.h): 0 done, 100 a permanent
 * failure (the directory exists, a parent is missing, no permission), 111
 * a failure that may pass on its own (disk full, quota, I/O error), 2
 * misuse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "mdmake.h"
#include "usage.h"

static const char usage[] =
    "usage: maildirmake [-p] [-q] DIR\n"
    "  create the Maildir DIR (DIR/tmp, DIR/new, DIR/cur, mode 0700)\n"
    "  -p  succeed if DIR is already a Maildir; create what is missing\n"
    "  -q  do not warn about a parent directory others can write to\n";

/* Errors that may go away without anyone changing the setup. */
static int exit_code_for(int err)
{
    switch (err) {
    case EAGAIN: case EINTR: case EIO: case ENOSPC: case EDQUOT:
    case ENOMEM: case ENFILE: case EMFILE: case ESTALE: case ETIMEDOUT:
    case EBUSY:
        return EXIT_TEMP;
    default:
        return EXIT_PERM;
    }
}

static void fail(int err, const char *what, const char *path)
{
    log_die(exit_code_for(err), "%s %s: %s", what, path, strerror(err));
}

/* qmail refuses to deliver into a home others can write to: whoever can
 * rename the Maildir can read or replace the mail in it. */
static void warn_if_unsafe_parent(const char *parent)
{
    struct stat st;
    if (stat(parent, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
        log_warn("%s is writable by %s; mail kept under it is not safe "
                 "(chmod go-w %s, or -q to silence this)", parent,
                 (st.st_mode & S_IWOTH) ? "others" : "its group", parent);
}

int main(int argc, char **argv)
{
    int repair = 0, quiet = 0, opt;
    log_init("maildirmake");
    usage_std(argc, argv, "maildirmake", usage);
    opterr = 0;
    while ((opt = getopt(argc, argv, "pq")) != -1) {
        switch (opt) {
        case 'p': repair = 1; break;
        case 'q': quiet = 1; break;
        default: usage_getopt("maildirmake", opt, argv, usage);
        }
    }
    if (optind != argc - 1 || argv[optind][0] == '\0')
        usage_misuse("maildirmake", usage, optind < argc - 1
                     ? "one DIR only" : "no DIR given");

    const char *dir = argv[optind];
    char *parent = mdmake_parent(dir);
    if (!parent)
        fail(ENOMEM, "cannot handle", dir);
    if (!quiet)
        warn_if_unsafe_parent(parent);
    free(parent);

    struct mdmake_fail f;
    if (mdmake(dir, repair, (uid_t)-1, (gid_t)-1, &f) < 0) {
        if (f.exists && errno == EEXIST)
            log_die(EXIT_PERM, "%s exists already (use -p to complete an existing Maildir)", f.path);
        if (f.exists)
            log_die(EXIT_PERM, "%s exists and is not a directory", f.path);
        fail(errno, f.what, f.path);
    }
    return 0;
}
