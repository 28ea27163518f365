/*
 * log.h -- one line a message to stderr, for multilog, svlogd or journald.
 *
 * Each line is "PROGRAM: LEVEL: text".  Control characters and bytes that
 * a client sent are made printable (log_safe) so a hostile login name can
 * neither forge lines nor reach a terminal.  Passwords are never logged.
 */
#ifndef POPKIT_LOG_H
#define POPKIT_LOG_H

#include <stddef.h>

/* Set the program name used as prefix (basename of argv[0] is fine). */
void log_init(const char *progname);
/* printf-style; a trailing newline is added. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error, then exit(code). */
void log_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Copy at most n bytes of s into out (size outsz), replacing bytes outside
 * 0x21-0x7e by '?' and truncating; always NUL-terminates.  Returns out. */
char *log_safe(char *out, size_t outsz, const char *s, size_t n);

#endif
