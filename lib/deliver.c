/* SPDX-License-Identifier: ISC */
/*
 * deliver.c -- deliver.h: the status table, the spool, one Maildir
 * delivery, a forward, and a recipient's whole delivery.
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mdquota.h"
#include "msgfmt.h"
#include "params.h"
#include "privdrop.h"
#include "util.h"

/* ---- The status table ---- */

/* sysexits.h's numbers, spelled here so the table needs no header that
 * some libcs lack. */
enum {
    SX_OK = 0, SX_DATAERR = 65, SX_NOUSER = 67, SX_CANTCREAT = 73,
    SX_TEMPFAIL = 75, SX_NOPERM = 77
};

/* Why these codes: Postfix (sys_exits.c) defers only 71 and 75 and
 * bounces the rest; Exim's pipe transport defers temp_errors (75:73 by
 * default); OpenSMTPD defers 75.  So every temporary status is 75 but
 * CANTCREATE, whose 73 Exim defers and Postfix bounces with 5.2.0 -- a
 * missing Maildir is what sysexits names it, and the LMTP and qmail
 * answers defer it. */
static const struct deliver_code codes[DELIVER_NSTATUS] = {
    [DELIVER_OK] = {SX_OK, 0, 250, "2.0.0", "delivered"},
    [DELIVER_UNKNOWN] = {SX_NOUSER, 100, 550, "5.1.1",
                         "no such user here"},
    [DELIVER_LOOP] = {SX_DATAERR, 100, 554, "5.4.6",
                      "mail loop: already delivered to this address"},
    [DELIVER_ALIAS_LOOP] = {SX_DATAERR, 100, 554, "5.4.6",
                            "alias loop"},
    [DELIVER_ALIAS_TOODEEP] = {SX_DATAERR, 100, 554, "5.4.6",
                               "aliases nested too deep"},
    [DELIVER_ALIAS_TOOMANY] = {SX_DATAERR, 100, 550, "5.5.3",
                               "alias expands to too many recipients"},
    [DELIVER_BADADDR] = {SX_DATAERR, 100, 501, "5.1.3",
                         "bad recipient address syntax"},
    [DELIVER_OVERQUOTA] = {SX_NOUSER, 100, 552, "5.2.2",
                           "mailbox full"},
    [DELIVER_OVERQUOTA_TEMP] = {SX_TEMPFAIL, 111, 452, "4.2.2",
                                "mailbox full"},
    [DELIVER_TEMP] = {SX_TEMPFAIL, 111, 451, "4.3.0",
                      "temporary failure, try again later"},
    [DELIVER_NOSPACE] = {SX_TEMPFAIL, 111, 452, "4.3.1",
                         "mail system full"},
    [DELIVER_CANTCREATE] = {SX_CANTCREAT, 111, 451, "4.2.0",
                            "mailbox not available"},
    [DELIVER_NOPERM] = {SX_NOPERM, 100, 550, "5.7.1",
                        "mailbox not accessible"},
    [DELIVER_BADINPUT] = {SX_DATAERR, 100, 554, "5.6.0",
                          "message or envelope not acceptable"},
    [DELIVER_TOOBIG] = {SX_DATAERR, 100, 552, "5.3.4",
                        "message too big"},
};

const struct deliver_code *deliver_code(enum deliver_status st)
{
    if ((unsigned)st >= DELIVER_NSTATUS)
        st = DELIVER_TEMP;
    return &codes[st];
}

int deliver_exit_code(enum deliver_status st, int qmail)
{
    const struct deliver_code *c = deliver_code(st);
    return qmail ? c->qmail : c->sysexit;
}

size_t deliver_reply(enum deliver_status st, const char *detail, char *buf,
                     size_t size)
{
    const struct deliver_code *c = deliver_code(st);
    int n = detail && *detail
                ? snprintf(buf, size, "%d %s %s: %s", c->smtp, c->enhanced,
                           c->text, detail)
                : snprintf(buf, size, "%d %s %s", c->smtp, c->enhanced,
                           c->text);
    if (n < 0)
        n = 0;
    if ((size_t)n >= size)
        n = (int)size - 1;
    /* A detail is text from files and addresses: one reply line only. */
    for (int i = 0; i < n; i++)
        if (buf[i] == '\r' || buf[i] == '\n')
            buf[i] = ' ';
    return (size_t)n;
}

enum deliver_status deliver_from_aliases(enum aliases_kind k)
{
    switch (k) {
    case ALIASES_OK: return DELIVER_OK;
    case ALIASES_UNKNOWN: return DELIVER_UNKNOWN;
    case ALIASES_LOOP: return DELIVER_ALIAS_LOOP;
    case ALIASES_TOODEEP: return DELIVER_ALIAS_TOODEEP;
    case ALIASES_TOOMANY: return DELIVER_ALIAS_TOOMANY;
    case ALIASES_BADADDR: return DELIVER_BADADDR;
    case ALIASES_TEMP: break;
    }
    return DELIVER_TEMP;
}

enum deliver_status deliver_from_errno(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return DELIVER_NOSPACE;
    case ENOENT:
    case ENOTDIR:
        return DELIVER_CANTCREATE;
    case EACCES:
    case EPERM:
    case EROFS:
        return DELIVER_NOPERM;
    default:
        return DELIVER_TEMP;
    }
}

/* ---- The spool ---- */

/* An anonymous seekable file: memfd, else an unlinked temporary file. */
static int spool_fd(void)
{
    int fd = memfd_create("popkit-spool", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, sizeof path, "%s/popkit-spool.XXXXXX", dir) >=
        (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static void spool_reset(struct deliver_spool *s, int fd, uint64_t limit)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->limit = limit;
    s->bol = 1;
}

int deliver_spool_open(struct deliver_spool *s, uint64_t limit)
{
    int fd = spool_fd();
    if (fd < 0)
        return -1;
    spool_reset(s, fd, limit);
    return 0;
}

/* Track the header's end and the wire size over LF text about to be
 * stored at s->octets. */
static void spool_scan(struct deliver_spool *s, struct msgsize *ms,
                       const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->in_body; i++) {
        if (p[i] == '\n') {
            if (s->bol) {
                s->in_body = 1;
                s->header_end = s->octets + i + 1;
            }
            s->bol = 1;
        } else {
            s->bol = 0;
        }
    }
    msgsize_add(ms, p, n);
}

/* The wire count's state lives in the spool between calls. */
static void spool_msgsize(const struct deliver_spool *s, struct msgsize *ms)
{
    msgsize_init(ms);
    ms->size = s->wire;
    ms->bol = s->octets == 0 || s->wire_bol;
    ms->cr = s->wire_cr;
}

static void spool_msgsize_keep(struct deliver_spool *s,
                               const struct msgsize *ms)
{
    s->wire = ms->size;
    s->wire_bol = ms->bol && s->octets > 0;
    s->wire_cr = ms->cr;
}

static int spool_store(struct deliver_spool *s, const char *p, size_t n)
{
    if (s->too_big || (s->limit && s->octets + n > s->limit)) {
        s->too_big = 1;
        errno = EFBIG;
        return -1;
    }
    if (n == 0)
        return 0;
    struct msgsize ms;
    spool_msgsize(s, &ms);
    spool_scan(s, &ms, p, n);
    if (write_all(s->fd, p, n) < 0)
        return -1;
    s->octets += n;
    spool_msgsize_keep(s, &ms);
    return 0;
}

int deliver_spool_write(struct deliver_spool *s, const void *p, size_t n)
{
    return spool_store(s, p, n);
}

/* CRLF -> LF of in[0..n) into out (room n + 1), a CR at the end held
 * back in s->cr for the next chunk.  Returns the bytes in out. */
static size_t spool_unix(struct deliver_spool *s, const char *in, size_t n,
                         char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->cr) {
            s->cr = 0;
            if (in[i] == '\n') {
                out[o++] = '\n';
                continue;
            }
            out[o++] = '\r';
        }
        if (in[i] == '\r')
            s->cr = 1;
        else
            out[o++] = in[i];
    }
    return o;
}

int deliver_spool_from_fd(struct deliver_spool *s, int fd)
{
    enum { CHUNK = 65536 };
    char *in = malloc(2 * CHUNK + 1);
    if (!in)
        return -1;
    char *out = in + CHUNK;
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, in, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? -1 : 0;
            break;
        }
        size_t o = spool_unix(s, in, (size_t)r, out);
        if (spool_store(s, out, o) < 0) {
            rc = -1;
            break;
        }
    }
    int e = errno;
    free(in);
    errno = e;
    return rc;
}

/* The spool's wire size: the stored count plus the final line end. */
static uint64_t spool_wire(const struct deliver_spool *s)
{
    struct msgsize ms;
    spool_msgsize(s, &ms);
    return msgsize_end(&ms);
}

int deliver_spool_finish(struct deliver_spool *s)
{
    if (s->cr) {
        s->cr = 0;
        if (spool_store(s, "\r", 1) < 0)
            return -1;
    }
    if (!s->in_body)
        s->header_end = s->octets;
    s->wire = spool_wire(s);
    return 0;
}

int deliver_spool_adopt(struct deliver_spool *s, int fd, uint64_t limit)
{
    spool_reset(s, fd, 0);
    char *buf = malloc(65536);
    if (!buf) {
        deliver_spool_close(s);
        errno = ENOMEM;
        return -1;
    }
    struct msgsize ms;
    msgsize_init(&ms);
    uint64_t off = 0;
    ssize_t r;
    while ((r = pread(fd, buf, 65536, (off_t)off)) > 0) {
        s->octets = off;
        spool_scan(s, &ms, buf, (size_t)r);
        off += (uint64_t)r;
    }
    int e = errno;
    free(buf);
    if (r < 0 || (limit && off > limit)) {
        deliver_spool_close(s);
        errno = r < 0 ? e : EFBIG;
        return -1;
    }
    s->octets = off;
    s->wire = msgsize_end(&ms);
    s->limit = limit;
    if (!s->in_body)
        s->header_end = s->octets;
    return 0;
}

void deliver_spool_close(struct deliver_spool *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* ---- The loop check ---- */

/* Is the header field in f[0..n) (unfolded or not) "Delivered-To:" with
 * the value recipient? */
static int field_is_dt(const char *f, size_t n, const char *recipient)
{
    static const char name[] = "delivered-to:";
    if (n < sizeof name - 1 || strncasecmp(f, name, sizeof name - 1) != 0)
        return 0;
    f += sizeof name - 1;
    n -= sizeof name - 1;
    while (n && (*f == ' ' || *f == '\t' || *f == '\n' || *f == '\r'))
        f++, n--;
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t' || f[n - 1] == '\n' ||
                 f[n - 1] == '\r'))
        n--;
    if (n >= 2 && f[0] == '<' && f[n - 1] == '>')
        f++, n -= 2;
    return n == strlen(recipient) && strncasecmp(f, recipient, n) == 0;
}

int deliver_has_delivered_to(const struct deliver_spool *s,
                             const char *recipient)
{
    size_t n = s->header_end < DELIVER_HEADER_SCAN_MAX
                   ? (size_t)s->header_end
                   : DELIVER_HEADER_SCAN_MAX;
    char *h = malloc(n + 1);
    if (!h)
        return -1;
    ssize_t r = n ? pread(s->fd, h, n, 0) : 0;
    if (r < 0) {
        free(h);
        return -1;
    }
    n = (size_t)r;
    int found = 0;
    size_t start = 0;
    /* A field runs from its line to the next line not starting with a
     * blank (a folded continuation belongs to it). */
    for (size_t i = 0; i <= n && !found; i++) {
        int end = i == n ||
                  (h[i] == '\n' && (i + 1 >= n ||
                                    (h[i + 1] != ' ' && h[i + 1] != '\t')));
        if (!end)
            continue;
        found = field_is_dt(h + start, i - start, recipient);
        start = i + 1;
    }
    free(h);
    return found;
}

/* ---- Unique names ---- */

int deliver_unique_name(char *out, size_t size, long long sec, long usec,
                        long pid, unsigned long seq, const char *host)
{
    return maildir_unique_name(out, size, sec, usec, pid, seq, host);
}

/* ---- One Maildir ---- */

static enum deliver_status fail(struct deliver_report *r,
                                enum deliver_status st, const char *fmt,
                                ...) __attribute__((format(printf, 3, 4)));
static enum deliver_status fail(struct deliver_report *r,
                                enum deliver_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    r->status = st;
    return st;
}

static enum deliver_status fail_errno(struct deliver_report *r, int err,
                                      const char *what, const char *where)
{
    return fail(r, deliver_from_errno(err), "%s %s: %s", what, where,
                strerror(err));
}

static void report_init(struct deliver_report *r)
{
    memset(r, 0, sizeof *r);
    r->status = DELIVER_OK;
}

/* Text that goes into a header line must not break it. */
static int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* "Return-Path: <S>\nDelivered-To: R\n" into buf; its length, or 0 when
 * it does not fit. */
static size_t make_prefix(char *buf, size_t size, const char *sender,
                          const char *recipient)
{
    int n = snprintf(buf, size, "Return-Path: <%s>\nDelivered-To: %s\n",
                     sender, recipient);
    return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* Write prefix then the spool into fd.  0 or -1 with errno. */
static int copy_out(int fd, const char *prefix, size_t plen,
                    const struct deliver_spool *s)
{
    if (write_all(fd, prefix, plen) < 0)
        return -1;
    char *buf = malloc(65536);
    if (!buf)
        return -1;
    uint64_t off = 0;
    int rc = 0;
    while (off < s->octets) {
        size_t want = s->octets - off < 65536 ? (size_t)(s->octets - off)
                                              : 65536;
        ssize_t r = pread(s->fd, buf, want, (off_t)off);
        if (r <= 0) {
            if (r == 0)
                errno = EIO;    /* the spool shrank: never write less */
            rc = -1;
            break;
        }
        if (write_all(fd, buf, (size_t)r) < 0) {
            rc = -1;
            break;
        }
        off += (uint64_t)r;
    }
    int e = errno;
    free(buf);
    errno = e;
    return rc;
}

/* Errors of link(2) that say "this file system does not link", where
 * rename(2) is the fallback the Maildir spec allows (coda, some FUSE and
 * SMB mounts). */
static int link_refused(int err)
{
    return err == EPERM || err == ENOSYS || err == EXDEV ||
           err == EOPNOTSUPP || err == EMLINK;
}

struct md_dirs {
    int top, tmp, new;
};

static void dirs_close(struct md_dirs *d)
{
    if (d->top >= 0)
        close(d->top);
    if (d->tmp >= 0)
        close(d->tmp);
    if (d->new >= 0)
        close(d->new);
}

static int dirs_open(struct md_dirs *d, const char *maildir)
{
    d->tmp = d->new = -1;
    d->top = open(maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->top < 0)
        return -1;
    d->tmp = openat(d->top, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->tmp < 0)
        return -1;
    d->new = openat(d->top, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return d->new < 0 ? -1 : 0;
}

static unsigned long unique_seq;

static int make_unique(char *out, size_t size, const struct deliver_opts *o)
{
    char host[DNS_NAME_MAX + 1];
    const char *h = o ? o->hostname : NULL;
    if (!h) {
        if (gethostname(host, sizeof host) < 0)
            strcpy(host, "localhost");
        host[sizeof host - 1] = '\0';
        h = host;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return deliver_unique_name(out, size, (long long)tv.tv_sec,
                               (long)tv.tv_usec, (long)getpid(),
                               ++unique_seq, h);
}

/* Steps 3 of deliver.h: tmp/, fsync, link into new/, fsync new/. */
static enum deliver_status write_message(struct md_dirs *d,
                                         const struct deliver_spool *s,
                                         const char *prefix, size_t plen,
                                         uint64_t octets, uint64_t wire,
                                         const struct deliver_opts *o,
                                         struct deliver_report *r)
{
    /* Room for ",S=" and ",W=" with 20 digits each within NAME_MAX. */
    char uniq[NAME_MAX - 47], name[sizeof uniq + 48];
    if (make_unique(uniq, sizeof uniq, o) < 0)
        return fail(r, DELIVER_TEMP, "the host name makes too long a name");
    snprintf(name, sizeof name, "%s,S=%llu,W=%llu", uniq,
             (unsigned long long)octets, (unsigned long long)wire);
    int fd = openat(d->tmp, uniq,
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                    0600);
    if (fd < 0)
        return fail_errno(r, errno, "create", "tmp/");
    if (copy_out(fd, prefix, plen, s) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlinkat(d->tmp, uniq, 0);
        return fail_errno(r, e, "write", "tmp/");
    }
    if (close(fd) < 0) {
        int e = errno;
        unlinkat(d->tmp, uniq, 0);
        return fail_errno(r, e, "close", "tmp/");
    }
    if (linkat(d->tmp, uniq, d->new, name, 0) == 0) {
        unlinkat(d->tmp, uniq, 0);
    } else if (!link_refused(errno) ||
               renameat(d->tmp, uniq, d->new, name) < 0) {
        int e = errno;
        unlinkat(d->tmp, uniq, 0);
        return fail_errno(r, e, "link into", "new/");
    }
    /* The name in new/ is on disk before the MTA hears "delivered". */
    if (fsync(d->new) < 0 && errno != EINVAL) {
        int e = errno;
        unlinkat(d->new, name, 0);
        return fail_errno(r, e, "fsync", "new/");
    }
    memcpy(r->name, name, strlen(name) + 1);
    return DELIVER_OK;
}

enum deliver_status deliver_mailbox(const struct deliver_spool *s,
                                    const char *sender,
                                    const char *recipient,
                                    const char *maildir,
                                    const struct deliver_opts *o,
                                    struct deliver_report *r)
{
    report_init(r);
    if (!header_safe(sender) || !header_safe(recipient))
        return fail(r, DELIVER_BADINPUT, "a control character in the "
                                         "sender or recipient");
    char prefix[2 * USERDB_LINE_MAX];
    size_t plen = make_prefix(prefix, sizeof prefix, sender, recipient);
    if (plen == 0)
        return fail(r, DELIVER_BADINPUT, "sender or recipient too long");
    int loop = deliver_has_delivered_to(s, recipient);
    if (loop < 0)
        return fail_errno(r, errno, "read", "the spool");
    if (loop)
        return fail(r, DELIVER_LOOP, "Delivered-To: %s already there",
                    recipient);
    struct md_dirs d;
    if (dirs_open(&d, maildir) < 0) {
        int e = errno;
        dirs_close(&d);
        return fail_errno(r, e, "open", maildir);
    }
    uint64_t octets = plen + s->octets;
    /* Every prefix line ends in LF, so it adds one CR a line. */
    uint64_t wire = plen + 2 + s->wire;
    struct mdquota q;
    int fits = mdquota_load(d.top, &q);
    if (fits > 0)
        fits = mdquota_check(d.top, &q, octets, time(NULL));
    else if (fits == 0)
        fits = 1;   /* no quota */
    enum deliver_status st;
    if (fits < 0) {
        st = fail_errno(r, errno, "read the quota of", maildir);
    } else if (fits == 0) {
        st = fail(r, o && o->quota_tempfail ? DELIVER_OVERQUOTA_TEMP
                                            : DELIVER_OVERQUOTA,
                  "%s: %llu octets over quota", maildir,
                  (unsigned long long)octets);
    } else {
        st = write_message(&d, s, prefix, plen, octets, wire, o, r);
        if (st == DELIVER_OK && mdquota_record_delivery(d.top, octets) < 0)
            snprintf(r->why, sizeof r->why,
                     "delivered, but maildirsize not updated: %s",
                     strerror(errno));
    }
    dirs_close(&d);
    r->status = st;
    if (st == DELIVER_OK)
        r->mailboxes = 1;
    return st;
}

int deliver_maildir_path(const struct userdb_entry *e, char *buf,
                         size_t size)
{
    int n = snprintf(buf, size, "%s/Maildir", e->home);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- Children ---- */

/* Wait for pid; its exit status, or -1 when it did not exit (killed). */
static int wait_child(pid_t pid)
{
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* Become account name (root only; not root, only one's own account). */
static enum deliver_status become(const char *name,
                                  struct deliver_report *r)
{
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return fail(r, DELIVER_TEMP, "no account %s", name);
    if (pw->pw_uid == 0)
        return fail(r, DELIVER_NOPERM, "%s is root: mail is never written "
                                       "as root", name);
    if (geteuid() != 0) {
        if (pw->pw_uid != geteuid())
            return fail(r, DELIVER_NOPERM, "not root, and %s is another "
                                           "account", name);
        return DELIVER_OK;
    }
    const char *why = "";
    if (privdrop_become(pw->pw_name, pw->pw_uid, pw->pw_gid, &why) < 0)
        return fail(r, DELIVER_TEMP, "become %s: %s: %s", name, why,
                    strerror(errno));
    return DELIVER_OK;
}

/* ---- Forwarding ---- */

static void exec_sendmail(int in, const char *sender, char *const *addrs,
                          size_t naddrs, const struct deliver_opts *o)
{
    const char *sm = o && o->sendmail ? o->sendmail : DELIVER_SENDMAIL;
    const char **argv = calloc(naddrs + 7, sizeof *argv);
    if (!argv || dup2(in, 0) < 0)
        _exit(SX_TEMPFAIL);
    size_t k = 0;
    argv[k++] = sm;
    argv[k++] = "-i";
    argv[k++] = "-f";
    argv[k++] = *sender ? sender : "<>";
    argv[k++] = "--";
    for (size_t i = 0; i < naddrs; i++)
        argv[k++] = addrs[i];
    argv[k] = NULL;
    /* The alarm survives execve: a sendmail that hangs is killed. */
    alarm(DELIVER_FORWARD_TIMEOUT);
    execv(sm, (char *const *)argv);
    _exit(SX_TEMPFAIL);
}

enum deliver_status deliver_forward(const struct deliver_spool *s,
                                    const char *sender,
                                    const char *recipient,
                                    char *const *addrs, size_t naddrs,
                                    const struct deliver_opts *o,
                                    struct deliver_report *r)
{
    report_init(r);
    if (naddrs == 0)
        return DELIVER_OK;
    if (!header_safe(sender) || !header_safe(recipient))
        return fail(r, DELIVER_BADINPUT, "a control character in the "
                                         "sender or recipient");
    char dt[USERDB_LINE_MAX + 32];
    int dl = snprintf(dt, sizeof dt, "Delivered-To: %s\n", recipient);
    if (dl < 0 || (size_t)dl >= sizeof dt)
        return fail(r, DELIVER_BADINPUT, "recipient too long");
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return fail_errno(r, errno, "pipe", "for sendmail");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return fail_errno(r, errno, "fork", "for sendmail");
    }
    if (pid == 0) {
        close(p[1]);
        struct deliver_report cr;
        report_init(&cr);
        if (geteuid() == 0 &&
            become(o && o->forward_user ? o->forward_user
                                        : DELIVER_FORWARD_USER,
                   &cr) != DELIVER_OK)
            _exit(SX_TEMPFAIL);
        exec_sendmail(p[0], sender, addrs, naddrs, o);
    }
    close(p[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int wr = copy_out(p[1], dt, (size_t)dl, s);
    int we = errno;
    close(p[1]);
    signal(SIGPIPE, old);
    int status = wait_child(pid);
    if (status != 0)
        return fail(r, DELIVER_TEMP, "sendmail for %zu address(es) %s %d",
                    naddrs, status < 0 ? "killed, or timed out" : "exited",
                    status);
    if (wr < 0)
        return fail(r, DELIVER_TEMP, "writing to sendmail: %s",
                    strerror(we));
    r->forwards = (unsigned)naddrs;
    return DELIVER_OK;
}

/* ---- A recipient ---- */

/* In a child: become e's owner, deliver, write the report to fd. */
static void mailbox_child(int fd, const struct userdb_entry *e,
                          const struct deliver_spool *s, const char *sender,
                          const char *recipient, const struct deliver_opts *o)
{
    struct deliver_report r;
    report_init(&r);
    if (become(e->owner, &r) == DELIVER_OK) {
        char path[USERDB_HOME_MAX + sizeof "/Maildir"];
        if (deliver_maildir_path(e, path, sizeof path) < 0)
            fail(&r, DELIVER_TEMP, "%s: home too long", e->address);
        else
            deliver_mailbox(s, sender, recipient, path, o, &r);
    }
    _exit(write_all(fd, &r, sizeof r) < 0 ? 1 : 0);
}

static enum deliver_status one_mailbox(const struct userdb_entry *e,
                                       const struct deliver_spool *s,
                                       const char *sender,
                                       const char *recipient,
                                       const struct deliver_opts *o,
                                       struct deliver_report *r)
{
    report_init(r);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return fail_errno(r, errno, "pipe", "for a delivery");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return fail_errno(r, errno, "fork", "for a delivery");
    }
    if (pid == 0) {
        close(p[0]);
        mailbox_child(p[1], e, s, sender, recipient, o);
    }
    close(p[1]);
    /* The report is smaller than PIPE_BUF: written in one piece. */
    ssize_t n = read_full(p[0], r, sizeof *r);
    close(p[0]);
    int status = wait_child(pid);
    if (n != (ssize_t)sizeof *r || status != 0) {
        report_init(r);
        return fail(r, DELIVER_TEMP, "the delivery to %s died", e->address);
    }
    r->why[sizeof r->why - 1] = '\0';
    r->name[sizeof r->name - 1] = '\0';
    return r->status;
}

/* Keep the first failure in total; sum the counts. */
static void merge(struct deliver_report *total,
                  const struct deliver_report *one)
{
    total->mailboxes += one->mailboxes;
    total->forwards += one->forwards;
    if (one->name[0])
        memcpy(total->name, one->name, sizeof total->name);
    if (total->status == DELIVER_OK && one->status != DELIVER_OK) {
        total->status = one->status;
        memcpy(total->why, one->why, sizeof total->why);
    } else if (total->status == DELIVER_OK && one->why[0] && !total->why[0]) {
        memcpy(total->why, one->why, sizeof total->why);
    }
}

enum deliver_status deliver_recipient(struct aliases *a,
                                      const struct deliver_spool *s,
                                      const char *sender,
                                      const char *recipient,
                                      const struct deliver_opts *o,
                                      struct deliver_report *r)
{
    report_init(r);
    if (!header_safe(sender) || !header_safe(recipient))
        return fail(r, DELIVER_BADINPUT, "a control character in the "
                                         "sender or recipient");
    /* One check for the whole recipient, forwards included: the line a
     * forward carries comes back with it. */
    int loop = deliver_has_delivered_to(s, recipient);
    if (loop < 0)
        return fail_errno(r, errno, "read", "the spool");
    if (loop)
        return fail(r, DELIVER_LOOP, "Delivered-To: %s already there",
                    recipient);
    struct aliases_result ar;
    enum aliases_kind k = aliases_resolve(a, recipient, &ar);
    if (k != ALIASES_OK) {
        fail(r, deliver_from_aliases(k), "%s", ar.why[0] ? ar.why
                                                         : recipient);
        aliases_result_free(&ar);
        return r->status;
    }
    if (ar.foreign) {
        /* Not one of popkit's domains: forwarding it would relay. */
        fail(r, DELIVER_UNKNOWN, "%s: not a domain of this server",
             recipient);
        aliases_result_free(&ar);
        return r->status;
    }
    struct deliver_report one;
    for (size_t i = 0; i < ar.nusers; i++) {
        one_mailbox(ar.users[i], s, sender, recipient, o, &one);
        merge(r, &one);
    }
    if (ar.nforwards) {
        deliver_forward(s, sender, recipient, ar.forwards, ar.nforwards, o,
                        &one);
        merge(r, &one);
    }
    aliases_result_free(&ar);
    return r->status;
}
