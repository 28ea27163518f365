/* SPDX-License-Identifier: ISC */
/*
 * log.h -- one line a message, and the one place that decides where the
 * lines go.
 *
 * Each line is "PROGRAM: LEVEL: text[ keys]".  Control characters and
 * bytes that a client sent are made printable (log_safe) so a hostile
 * login name can neither forge lines nor reach a terminal.  Passwords are
 * never logged.
 *
 * Where (log_init decides, log_syslog forces the last one):
 *   stderr   when fd 2 is not the client connection: multilog, svlogd, a
 *            terminal, a file;
 *   journald when JOURNAL_STREAM ("DEV:INO") names fd 2: stderr still,
 *            each line prefixed with sd-daemon's "<N>" priority (<3>
 *            error and fatal, <4> warning, <6> info), so journalctl -p
 *            finds errors;
 *   syslog   (facility LOG_MAIL, RFC 3164 datagrams to /dev/log) when
 *            fd 2 is the socket on fd 0 (inetd, xinetd, systemd without
 *            StandardError=), when fd 2 is not open, when POPKIT_LOG=syslog
 *            is inherited, or when the program was given --syslog.
 *            Then fd 2 is pointed at /dev/null, so nothing in the process
 *            (libc, PAM, OpenSSL, a usage message) writes to the client,
 *            and POPKIT_LOG=syslog is exported so the later stages, whose
 *            fd 2 is that /dev/null and whose fd 0 may be the TLS relay,
 *            decide the same way.  The socket is opened at once, so a
 *            process that later chroots or may open no more files (the
 *            greeter's parser, the TLS relay) keeps logging.
 *
 * Connection keys: a program that serves one connection calls
 * log_connection(); every line it writes then ends with the keys known so
 * far, in this order, each " key=value" with no spaces in the value:
 *   user=    log_set_user (the login name, made safe)
 *   method=  log_set_method (USER, APOP, PLAIN, LOGIN: the greeter only)
 *   rip=     $TCPREMOTEIP     lip=  $TCPLOCALIP
 *   session= $POPKIT_SESSION, made once by the greeter (log_session_new)
 *            and inherited by the later stages, so one connection's lines
 *            are found together.
 */
#ifndef POPKIT_LOG_H
#define POPKIT_LOG_H

#include <stddef.h>

/* The environment the stages share. */
#define LOG_ENV_DEST "POPKIT_LOG"         /* "syslog": inherited decision */
#define LOG_ENV_SESSION "POPKIT_SESSION"  /* the session id, not a secret */
/* For the test suite only: the syslog socket instead of /dev/log. */
#define LOG_ENV_SOCKET "POPKIT_LOG_SOCKET"

enum log_dest { LOG_DEST_STDERR, LOG_DEST_JOURNAL, LOG_DEST_SYSLOG };

/* Set the program name used as prefix (basename of argv[0] is fine) and
 * decide where lines go (above).  Call first in main. */
void log_init(const char *progname);
/* Send every line to syslog from now on (--syslog). */
void log_syslog(void);
/* Where lines go now. */
enum log_dest log_dest(void);
/* The syslog socket, or -1: a program that closes every descriptor it
 * does not know (the TLS relay) must keep this one. */
int log_fd(void);
/* The decision itself, from its inputs: want_syslog (--syslog), the
 * value of POPKIT_LOG and of JOURNAL_STREAM (NULL when unset), and the
 * descriptors of the client (fd0) and of stderr (fd2). */
enum log_dest log_decide(int want_syslog, const char *dest_env,
                         const char *journal_stream, int fd0, int fd2);

/* printf-style; one line each. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error (as "fatal"), then exit(code). */
void log_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* A usage message: as it is to plain stderr, else each of its lines
 * logged as an error (under syslog fd 2 is not to be written). */
void log_usage(const char *text);

/* Append the connection keys to every line from now on (above). */
void log_connection(void);
/* The login name of the keys (n bytes of it, made safe); NULL clears. */
void log_set_user(const char *user, size_t n);
/* The authentication method of the keys; NULL clears. */
void log_set_method(const char *method);
/* Make a new session id into out (size at least LOG_SESSION_SIZE):
 * base64url of the time, the pid and random bytes.  Returns out. */
char *log_session_make(char *out, size_t outsz);
/* log_session_make, exported as POPKIT_SESSION for the later stages.
 * 0, or -1 when the environment cannot take it. */
int log_session_new(void);

/* Copy at most n bytes of s into out (size outsz), replacing bytes outside
 * 0x21-0x7e by '?' and truncating; always NUL-terminates.  Returns out. */
char *log_safe(char *out, size_t outsz, const char *s, size_t n);

#endif
