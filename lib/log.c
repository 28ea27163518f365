/* SPDX-License-Identifier: ISC */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

/* syslog(3)'s numbers, spelled here so no libc header is needed for them:
 * RFC 3164 §4.1.1, PRI = facility * 8 + severity. */
enum { SEV_ERR = 3, SEV_WARNING = 4, SEV_INFO = 6, FAC_MAIL = 2 };

static const char *log_prog = "popkit";
static enum log_dest log_to = LOG_DEST_STDERR;
static int log_sock = -1;   /* connected to the syslog socket, or -1 */
static int log_conn;        /* log_connection() was called */
static char log_user[LOG_KEY_MAX], log_method[LOG_KEY_MAX];

/* ---- the decision ---- */

/* fd is open and fstat gives its identity. */
static int fd_stat(int fd, struct stat *sb)
{
    return fstat(fd, sb) == 0;
}

/* JOURNAL_STREAM is "DEV:INO" in decimal (systemd.exec(5)). */
static int journal_names(const char *js, const struct stat *sb)
{
    char *end;
    errno = 0;
    unsigned long long dev = strtoull(js, &end, 10);
    if (errno || end == js || *end != ':')
        return 0;
    const char *p = end + 1;
    unsigned long long ino = strtoull(p, &end, 10);
    if (errno || end == p || *end != '\0')
        return 0;
    return dev == (unsigned long long)sb->st_dev &&
           ino == (unsigned long long)sb->st_ino;
}

enum log_dest log_decide(int want_syslog, const char *dest_env,
                         const char *journal_stream, int fd0, int fd2)
{
    struct stat s0, s2;
    if (want_syslog || (dest_env && strcmp(dest_env, "syslog") == 0))
        return LOG_DEST_SYSLOG;
    if (!fd_stat(fd2, &s2))
        return LOG_DEST_SYSLOG;   /* nowhere else to write */
    /* The same socket on both: the client would read our lines. */
    if (S_ISSOCK(s2.st_mode) && fd_stat(fd0, &s0) && S_ISSOCK(s0.st_mode) &&
        s0.st_dev == s2.st_dev && s0.st_ino == s2.st_ino)
        return LOG_DEST_SYSLOG;
    if (journal_stream && journal_names(journal_stream, &s2))
        return LOG_DEST_JOURNAL;
    return LOG_DEST_STDERR;
}

/* ---- the syslog client ---- */

/* Connect a datagram socket to the syslog socket; -1 if there is none
 * (then lines are lost, as with syslog(3): fd 2 is never the fallback). */
static void syslog_connect(void)
{
    const char *path = getenv(LOG_ENV_SOCKET);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!path || !*path)
        path = LOG_SYSLOG_PATH;
    if (strlen(path) >= sizeof sa.sun_path)
        return;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return;
    }
    log_sock = fd;
}

/* send(2) without blocking longer than LOG_SYSLOG_WAIT_MS: a syslog
 * daemon that stopped reading must not stall every POP3 session. */
static ssize_t syslog_send_once(const char *line, size_t n)
{
    struct pollfd p = { .fd = log_sock, .events = POLLOUT };
    for (;;) {
        ssize_t w = send(log_sock, line, n, MSG_DONTWAIT);
        if (w >= 0 || (errno != EAGAIN && errno != EINTR))
            return w;
        if (errno == EAGAIN && poll(&p, 1, LOG_SYSLOG_WAIT_MS) <= 0)
            return -1;   /* still full: the line is dropped */
    }
}

/* Send one datagram; reconnect once if the daemon was restarted. */
static void syslog_send(const char *line, size_t n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (log_sock < 0)
            syslog_connect();
        if (log_sock < 0)
            return;
        if (syslog_send_once(line, n) >= 0 ||
            (errno != ECONNREFUSED && errno != ENOTCONN && errno != EBADF))
            return;
        close(log_sock);
        log_sock = -1;
    }
}

/* Nothing may write to the client through fd 2 any more; the later
 * stages learn the decision from the environment. */
static void syslog_take_over(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0 && fd != 2) {
        dup2(fd, 2);   /* dup2 clears FD_CLOEXEC on fd 2 */
        close(fd);
    } else if (fd == 2) {
        fcntl(2, F_SETFD, 0);
    }
    setenv(LOG_ENV_DEST, "syslog", 1);
    tzset();   /* localtime_r before a chroot hides /etc/localtime */
    if (log_sock < 0)
        syslog_connect();
}

void log_syslog(void)
{
    log_to = LOG_DEST_SYSLOG;
    syslog_take_over();
}

void log_init(const char *progname)
{
    const char *slash = strrchr(progname, '/');
    log_prog = slash ? slash + 1 : progname;
    /* A --syslog parsed before log_init stands. */
    log_to = log_decide(log_to == LOG_DEST_SYSLOG, getenv(LOG_ENV_DEST),
                        getenv("JOURNAL_STREAM"), 0, 2);
    if (log_to == LOG_DEST_SYSLOG)
        syslog_take_over();
}

enum log_dest log_dest(void)
{
    return log_to;
}

int log_fd(void)
{
    return log_sock;
}

/* ---- the connection keys ---- */

void log_connection(void)
{
    log_conn = 1;
}

void log_set_user(const char *user, size_t n)
{
    if (user)
        log_safe(log_user, sizeof log_user, user, n);
    else
        log_user[0] = '\0';
}

void log_set_method(const char *method)
{
    if (method)
        log_safe(log_method, sizeof log_method, method, strlen(method));
    else
        log_method[0] = '\0';
}

/* " key=value" onto out at *len when value is set. */
static void key_add(char *out, size_t outsz, size_t *len, const char *key,
                    const char *value)
{
    char safe[LOG_KEY_MAX];
    if (!value || !*value || *len >= outsz)
        return;
    log_safe(safe, sizeof safe, value, strlen(value));
    int n = snprintf(out + *len, outsz - *len, " %s=%s", key, safe);
    if (n > 0)
        *len = (size_t)n + *len < outsz ? *len + (size_t)n : outsz - 1;
}

/* The keys of log_connection, or "". */
static void keys_format(char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    if (!log_conn)
        return;
    key_add(out, outsz, &len, "user", log_user);
    key_add(out, outsz, &len, "method", log_method);
    key_add(out, outsz, &len, "rip", getenv("TCPREMOTEIP"));
    key_add(out, outsz, &len, "lip", getenv("TCPLOCALIP"));
    key_add(out, outsz, &len, "session", getenv(LOG_ENV_SESSION));
}

char *log_session_make(char *out, size_t outsz)
{
    static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[LOG_SESSION_BYTES];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t t = (uint32_t)ts.tv_sec;
    unsigned pid = (unsigned)getpid();
    raw[0] = (unsigned char)(t >> 24);
    raw[1] = (unsigned char)(t >> 16);
    raw[2] = (unsigned char)(t >> 8);
    raw[3] = (unsigned char)t;
    raw[4] = (unsigned char)(pid >> 8);
    raw[5] = (unsigned char)pid;
    /* Random when the kernel has it at once; else the nanoseconds, which
     * still tell apart two connections of the same pid and second. */
    if (getrandom(raw + 6, 3, GRND_NONBLOCK) != 3) {
        raw[6] = (unsigned char)(ts.tv_nsec >> 16);
        raw[7] = (unsigned char)(ts.tv_nsec >> 8);
        raw[8] = (unsigned char)ts.tv_nsec;
    }
    size_t o = 0;
    for (size_t i = 0; i + 2 < sizeof raw && o + 4 < outsz; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
                     raw[i + 2];
        for (int k = 3; k >= 0; k--)
            out[o++] = b64url[(v >> (6 * k)) & 63];
    }
    if (outsz > 0)
        out[o] = '\0';
    return out;
}

int log_session_new(void)
{
    char id[LOG_SESSION_SIZE];
    return setenv(LOG_ENV_SESSION, log_session_make(id, sizeof id), 1);
}

/* ---- the lines ---- */

/* The head of a line: "<PRI>Mmm dd hh:mm:ss prog[pid]: level: " for
 * syslog (RFC 3164 §4.1, as glibc and musl send it), "<N>prog: level: "
 * for journald, "prog: level: " for stderr.  Returns its length. */
static size_t head_format(char *out, size_t outsz, int sev,
                          const char *level)
{
    int n;
    if (log_to == LOG_DEST_SYSLOG) {
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);
        if (!localtime_r(&now, &tm) ||
            strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm) == 0)
            stamp[0] = '\0';
        n = snprintf(out, outsz, "<%d>%s %s[%ld]: %s: ",
                     FAC_MAIL * 8 + sev, stamp, log_prog, (long)getpid(),
                     level);
    } else if (log_to == LOG_DEST_JOURNAL) {
        n = snprintf(out, outsz, "<%d>%s: %s: ", sev, log_prog, level);
    } else {
        n = snprintf(out, outsz, "%s: %s: ", log_prog, level);
    }
    return n < 0 ? 0 : (size_t)n < outsz ? (size_t)n : outsz - 1;
}

/* One write(2) or one datagram a line, so lines of concurrent processes
 * never interleave.  The message is cut, never the keys. */
static void log_emit(int sev, const char *level, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX], keys[LOG_LINE_MAX / 2];
    int saved = errno;
    keys_format(keys, sizeof keys);
    size_t klen = strlen(keys);
    size_t n = head_format(line, sizeof line, sev, level);
    if (n + klen + 2 < sizeof line) {   /* always, keys < half a line */
        size_t room = sizeof line - n - klen - 1;   /* keys, '\n' */
        int m = vsnprintf(line + n, room, fmt, ap);
        if (m > 0)
            n += (size_t)m < room ? (size_t)m : room - 1;
        memcpy(line + n, keys, klen);
        n += klen;
    }
    if (log_to == LOG_DEST_SYSLOG) {
        syslog_send(line, n);
    } else {
        line[n++] = '\n';
        ssize_t w = write(2, line, n);
        (void)w;
    }
    errno = saved;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(SEV_INFO, "info", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(SEV_WARNING, "warning", fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(SEV_ERR, "error", fmt, ap);
    va_end(ap);
}

void log_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(SEV_ERR, "fatal", fmt, ap);
    va_end(ap);
    exit(code);
}

void log_usage(const char *text)
{
    if (log_to == LOG_DEST_STDERR) {
        ssize_t w = write(2, text, strlen(text));
        (void)w;
        return;
    }
    while (*text) {
        size_t n = strcspn(text, "\n");
        log_error("%.*s", (int)n, text);
        text += n + (text[n] == '\n');
    }
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
