/* SPDX-License-Identifier: ISC */
/*
 * maildir_fixture.h -- the scratch Maildir the tests/unit/test_maildir*
 * programs share: made fresh under /tmp by fixture_setup(), removed by
 * fixture_done(), and the helpers that put files into it and look.
 * Header-only, as tap.h.
 */
#ifndef POPKIT_MAILDIR_FIXTURE_H
#define POPKIT_MAILDIR_FIXTURE_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "tap.h"

static char root[] = "/tmp/test_maildir.XXXXXX";

__attribute__((unused))
static void put(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/%s", root, dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

__attribute__((unused))
static int exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s/%s", root, dir, name);
    return access(p, F_OK) == 0;
}

__attribute__((unused))
static int count_dir(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, dir);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

__attribute__((unused))
static void clear(void)
{
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf %s/new/* %s/cur/* %s/tmp/*", root, root,
             root);
    if (system(cmd) != 0)
        exit(1);
}

/* Wait until changes made so far count as settled for the listing
 * cache: two ticks of the coarse clock the file system stamps with,
 * plus the rounding margin (maildir_settled).  Milliseconds, where
 * the old rule wanted 50 ms of quiet. */
__attribute__((unused))
static void settle(void)
{
    struct timespec res = { 0, 10000000L };
    clock_getres(CLOCK_REALTIME_COARSE, &res);
    long ns = 2 * res.tv_nsec + MAILDIR_LISTING_SETTLE_US * 1000L + 1000000L;
    struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
    nanosleep(&ts, NULL);
}

/* The size cache alone: no listing cache in the way. */
__attribute__((unused))
static void no_listing(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    unlink(p);
}

/* A fresh Maildir at root (new/, cur/, tmp/).  0 or -1. */
__attribute__((unused))
static int fixture_setup(void)
{
    if (!mkdtemp(root))
        return -1;
    char p[PATH_MAX];
    const char *sub[] = { "new", "cur", "tmp" };
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", root, sub[i]);
        mkdir(p, 0700);
    }
    return 0;
}

/* Remove the Maildir; then the TAP plan and the exit status. */
__attribute__((unused))
static int fixture_done(void)
{
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}

#endif
