/* SPDX-License-Identifier: ISC */
/*
 * tap.h -- Test Anything Protocol output for the C unit tests.
 *
 * Each ok() is one test point the harness counts.  tap_done() prints the
 * plan and returns the exit status.  Header-only so a test links nothing.
 */
#ifndef POPKIT_TAP_H
#define POPKIT_TAP_H

/* configure builds with -D_FORTIFY_SOURCE=2, which marks write, pipe,
 * symlink... warn_unused_result; a test's setup calls are checked by the
 * assertions that follow them, so in tests only that warning is off. */
#pragma GCC diagnostic ignored "-Wunused-result"

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
    tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...);

#include <stdarg.h>

static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

/* One test point that could not be checked here, said so (not passed). */
__attribute__((unused))
static void tap_skip(const char *what, const char *why)
{
    tap_n++;
    printf("ok %d - %s # SKIP %s\n", tap_n, what, why);
    fflush(stdout);
}

__attribute__((unused))
static int tap_is_int(long long got, long long want, const char *file,
                      int line, const char *what)
{
    int pass = got == want;
    tap_ok(pass, file, line, "%s", what);
    if (!pass)
        printf("#   got %lld, want %lld\n", got, want);
    return pass;
}

__attribute__((unused))
static int tap_is_str(const char *got, const char *want, const char *file,
                      int line, const char *what)
{
    int pass = got && want && strcmp(got, want) == 0;
    tap_ok(pass, file, line, "%s", what);
    if (!pass)
        printf("#   got '%s', want '%s'\n", got ? got : "(null)",
               want ? want : "(null)");
    return pass;
}

__attribute__((unused))
static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
