#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "popkit";

void log_init(const char *progname)
{
    const char *slash = strrchr(progname, '/');
    log_prog = slash ? slash + 1 : progname;
}

/* One write(2) a line, so lines of concurrent processes never interleave. */
static void log_emit(const char *level, const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s: ", log_prog, level);
    if (n < 0)
        return;
    if ((size_t)n < sizeof line - 1) {
        int m = vsnprintf(line + n, sizeof line - 1 - (size_t)n, fmt, ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit("info", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit("warning", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit("error", fmt, ap);
    va_end(ap);
}

void log_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit("fatal", fmt, ap);
    va_end(ap);
    exit(code);
}

char *log_safe(char *out, size_t outsz, const char *s, size_t n)
{
    size_t i, o = 0;
    if (outsz == 0)
        return out;
    for (i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x21 && c <= 0x7e) ? (char)c : '?';
    }
    out[o] = '\0';
    return out;
}
