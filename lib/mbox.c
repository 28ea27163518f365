/* SPDX-License-Identifier: ISC */
#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lockfile.h>

#include "fault.h"
#include "log.h"
#include "util.h"

/* ---- Writer ---- */

static int sink_pwrite(struct mbox_out *o, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = fault_pwrite(o->fd, p, len, o->off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        o->off += w;
    }
    return 0;
}

void mbox_out_init(struct mbox_out *o, int fd, off_t off, mbox_sink sink,
                   void *arg)
{
    memset(o, 0, offsetof(struct mbox_out, buf));
    o->fd = fd;
    o->off = off;
    o->sink = sink ? sink : sink_pwrite;
    o->arg = arg;
    o->at_bol = 1;
    o->last_nl = 1;
}

off_t mbox_pos(const struct mbox_out *o)
{
    return o->off + (off_t)o->len;
}

int mbox_flush(struct mbox_out *o)
{
    if (o->err) {
        errno = o->err;
        return -1;
    }
    if (o->len == 0)
        return 0;
    off_t before = o->off;
    if (o->sink(o, o->buf, o->len) < 0) {
        o->err = errno ? errno : EIO;
        return -1;
    }
    /* A caller's sink need not track the offset; ours already did. */
    if (o->off == before)
        o->off += (off_t)o->len;
    o->len = 0;
    return 0;
}

static int out_put(struct mbox_out *o, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        if (o->len == sizeof o->buf && mbox_flush(o) < 0)
            return -1;
        size_t n = sizeof o->buf - o->len;
        if (n > len)
            n = len;
        memcpy(o->buf + o->len, p, n);
        o->len += n;
        p += n;
        len -= n;
    }
    return o->err ? -1 : 0;
}

static int out_byte(struct mbox_out *o, char c)
{
    return out_put(o, &c, 1);
}

static int out_gts(struct mbox_out *o, size_t n)
{
    while (n-- > 0)
        if (out_byte(o, '>') < 0)
            return -1;
    return 0;
}

static const char from_word[] = "From ";

int mbox_begin(struct mbox_out *o, const char *sender, time_t when)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    char line[MBOX_SENDER_MAX + 64];
    if (!gmtime_r(&when, &tm)) {
        when = 0;
        gmtime_r(&when, &tm);
    }
    int n = snprintf(line, sizeof line, "From %s %.3s %.3s %2d %02d:%02d:%02d %d\n",
                     sender, days + 3 * tm.tm_wday, months + 3 * tm.tm_mon,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     tm.tm_year + 1900);
    if (n < 0 || (size_t)n >= sizeof line) {
        errno = ENAMETOOLONG;
        return -1;
    }
    o->at_bol = 1;
    o->gts = 0;
    o->from_len = 0;
    o->last_nl = 1;
    return out_put(o, line, (size_t)n);
}

/* Emit what a line start held back when it turned out not to be a From_. */
static int release_pending(struct mbox_out *o)
{
    if (out_gts(o, o->gts) < 0 || out_put(o, from_word, o->from_len) < 0)
        return -1;
    o->at_bol = 0;
    o->gts = 0;
    o->from_len = 0;
    return 0;
}

int mbox_body(struct mbox_out *o, const void *data, size_t len)
{
    const char *p = data;
    size_t i, start = 0;
    for (i = 0; i < len; i++) {
        char c = p[i];
        if (!o->at_bol) {
            if (c == '\n') {
                /* copy the run up to and including the newline at once */
                if (out_put(o, p + start, i + 1 - start) < 0)
                    return -1;
                start = i + 1;
                o->at_bol = 1;
            }
            continue;
        }
        /* at a line start: hold back ">*From " until it is decided */
        start = i + 1;
        if (c == '>' && o->from_len == 0) {
            o->gts++;
        } else if (c == from_word[o->from_len]) {
            if (++o->from_len == sizeof from_word - 1) {
                if (out_gts(o, o->gts + 1) < 0 || out_put(o, from_word, o->from_len) < 0)
                    return -1;
                o->at_bol = 0;
                o->gts = 0;
                o->from_len = 0;
            }
        } else {
            if (release_pending(o) < 0)
                return -1;
            start = i;       /* c itself is ordinary text */
            i--;             /* look at c again, outside a line start */
        }
    }
    if (start < len && !o->at_bol && out_put(o, p + start, len - start) < 0)
        return -1;
    if (len > 0)
        o->last_nl = p[len - 1] == '\n';
    return 0;
}

int mbox_end(struct mbox_out *o)
{
    if ((o->gts || o->from_len) && release_pending(o) < 0)
        return -1;
    if (!o->last_nl && out_byte(o, '\n') < 0)
        return -1;
    if (out_byte(o, '\n') < 0)
        return -1;
    o->at_bol = 1;
    o->last_nl = 1;
    return 0;
}

int mbox_separator(int fd, off_t size)
{
    char tail[2];
    if (size <= 0)
        return 0;
    if (size == 1) {
        if (pread(fd, tail, 1, 0) != 1)
            return 2;
        return tail[0] == '\n' ? 1 : 2;
    }
    if (pread(fd, tail, 2, size - 2) != 2)
        return 2;
    if (tail[1] != '\n')
        return 2;
    return tail[0] == '\n' ? 0 : 1;
}

/* ---- Sender ---- */

static int header_name_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static void sender_copy(const char *s, size_t n, char *out, size_t outsz)
{
    size_t i, o = 0;
    for (i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c <= 0x20 || c == 0x7f) ? '_' : (char)c;
    }
    out[o] = '\0';
}

/* The address in a Return-Path value (unfolded): between <>, else the
 * first word. */
static void sender_from_value(const char *v, size_t n, char *out, size_t outsz)
{
    const char *lt = memchr(v, '<', n);
    if (lt) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - v));
        size_t alen = gt ? (size_t)(gt - lt - 1) : n - (size_t)(lt - v) - 1;
        if (alen == 0)
            snprintf(out, outsz, "MAILER-DAEMON");
        else
            sender_copy(lt + 1, alen, out, outsz);
        return;
    }
    while (n > 0 && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')) {
        v++;
        n--;
    }
    size_t w = 0;
    while (w < n && v[w] != ' ' && v[w] != '\t' && v[w] != '\r' && v[w] != '\n')
        w++;
    if (w == 0)
        snprintf(out, outsz, "MAILER-DAEMON");
    else
        sender_copy(v, w, out, outsz);
}

void mbox_sender(const char *hdr, size_t len, char *out, size_t outsz)
{
    size_t i = 0;
    snprintf(out, outsz, "MAILER-DAEMON");
    while (i < len) {
        const char *line = hdr + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t llen = nl ? (size_t)(nl - line) : len - i;
        if (llen == 0 || (llen == 1 && line[0] == '\r'))
            return;                           /* end of header */
        if (header_name_is(line, llen, "Return-Path")) {
            /* unfold: the value runs on over continuation lines */
            size_t end = i + llen;
            while (end + 1 < len && (hdr[end + 1] == ' ' || hdr[end + 1] == '\t')) {
                const char *n2 = memchr(hdr + end + 1, '\n', len - end - 1);
                end = n2 ? (size_t)(n2 - hdr) : len;
            }
            const char *v = line + strlen("Return-Path:");
            sender_from_value(v, (size_t)(hdr + end - v), out, outsz);
            return;
        }
        i += llen + 1;
    }
}

/* ---- Locking ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static char *str_cat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

/* A lock left by a dead process: too old, or naming a pid of this host
 * that no longer runs. */
static int dotlock_is_stale(const char *lockname, const char *host)
{
    struct stat st;
    char buf[300];
    if (stat(lockname, &st) < 0)
        return 0;                           /* gone: just retry */
    if (time(NULL) - st.st_mtime > MBOX_DOTLOCK_STALE)
        return 1;
    int fd = open(lockname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    if (pid <= 0 || *end != ' ')
        return 0;
    end++;
    end[strcspn(end, "\n")] = '\0';
    if (strcmp(end, host) != 0)
        return 0;                           /* another host: age decides */
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* One NFS-safe attempt: link a unique file to the lock name; the unique
 * file's link count says whether we won, whatever link(2) returned. */
static int dotlock_try(const char *lockname, const char *uniq, const char *host)
{
    char content[300];
    struct stat st;
    int fd = open(uniq, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int n = snprintf(content, sizeof content, "%ld %s\n", (long)getpid(), host);
    int bad = write_all(fd, content, (size_t)n) < 0;
    if (close(fd) < 0 || bad) {
        int e = errno;
        unlink(uniq);
        errno = e;
        return -1;
    }
    int lr = link(uniq, lockname);
    int le = errno;
    int won = stat(uniq, &st) == 0 && st.st_nlink == 2;
    unlink(uniq);
    if (won)
        return 0;
    errno = lr == 0 ? EEXIST : le;
    return -1;
}

/* One attempt where the directory is not ours to write (Debian's
 * /var/mail, 2775 root:mail; Debian Policy 11.6): liblockfile runs the
 * setgid-mail dotlockfile helper, which makes the lock for a user who
 * owns the mailbox, and itself breaks a stale one (a dead PID, or older
 * than 5 minutes).  -1 with errno EEXIST while it is held, EACCES when
 * the helper refused. */
static int dotlock_helper(const char *lockname)
{
    int r = lockfile_create(lockname, 0, L_PID);
    if (r == L_SUCCESS)
        return 0;
    errno = r == L_MAXTRYS ? EEXIST : EACCES;
    return -1;
}

int mbox_dotlock(const char *path, int wait, char **lockname)
{
    /* ".lock.HOST.PID": the host cut to a DNS name, a pid's digits. */
    char host[DNS_NAME_MAX + 1], suffix[DNS_NAME_MAX + 64];
    time_t deadline = time(NULL) + wait;
    long delay = 50;
    if (gethostname(host, sizeof host) < 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    host[strcspn(host, "/ \n")] = '\0';
    char *lk = str_cat(path, ".lock");
    snprintf(suffix, sizeof suffix, ".lock.%s.%ld", host, (long)getpid());
    char *uniq = str_cat(path, suffix);
    if (!lk || !uniq) {
        free(lk);
        free(uniq);
        errno = ENOMEM;
        return -1;
    }
    int helper = 0;
    for (;;) {
        if ((helper ? dotlock_helper(lk) : dotlock_try(lk, uniq, host)) == 0) {
            free(uniq);
            *lockname = lk;
            return 0;
        }
        if (!helper && (errno == EACCES || errno == EPERM)) {
            helper = 1;
            continue;
        }
        if (errno != EEXIST)
            break;
        if (!helper && dotlock_is_stale(lk, host)) {
            log_warn("removing stale lock %s", lk);
            unlink(lk);
            continue;
        }
        if (time(NULL) >= deadline) {
            errno = ETIMEDOUT;
            break;
        }
        sleep_ms(delay);
        if (delay < 1000)
            delay *= 2;
    }
    int e = errno;
    free(lk);
    free(uniq);
    errno = e;
    return -1;
}

void mbox_dotunlock(char *lockname)
{
    if (lockname) {
        /* In a spool we may not write, the helper removes it. */
        if (unlink(lockname) < 0 && (errno == EACCES || errno == EPERM))
            lockfile_remove(lockname);
        free(lockname);
    }
}

static int fcntl_lock_wait(int fd, time_t deadline)
{
    struct flock fl;
    long delay = 50;
    for (;;) {
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return 0;
        if (errno != EACCES && errno != EAGAIN && errno != EINTR)
            return -1;
        if (time(NULL) >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        sleep_ms(delay);
        if (delay < 1000)
            delay *= 2;
    }
}

int mbox_lock(struct mbox_lock *lk, const char *path, int create, int wait)
{
    time_t deadline = time(NULL) + wait;
    lk->fd = -1;
    lk->dotlock = NULL;
    if (mbox_dotlock(path, wait, &lk->dotlock) < 0) {
        if (errno != EACCES && errno != EROFS && errno != EPERM)
            return -1;
        log_warn("cannot make a lock file beside %s (%s); using fcntl locking only",
                 path, strerror(errno));
    }
    int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
    lk->fd = open(path, flags, 0600);
    if (lk->fd < 0 || fcntl_lock_wait(lk->fd, deadline) < 0) {
        int e = errno;
        mbox_unlock(lk);
        errno = e;
        return -1;
    }
    return 0;
}

void mbox_unlock(struct mbox_lock *lk)
{
    if (lk->fd >= 0)
        close(lk->fd);        /* drops the fcntl lock */
    lk->fd = -1;
    mbox_dotunlock(lk->dotlock);
    lk->dotlock = NULL;
}
