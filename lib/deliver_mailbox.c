/* SPDX-License-Identifier: ISC */
/*
 * deliver_mailbox.c -- deliver.h's delivery into one Maildir: unique
 * names, the Return-Path and Delivered-To lines, tmp/ then new/.
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "deliver_spool.h"
#include "deliver_status.h"
#include "fault.h"
#include "mdquota.h"
#include "params.h"

/* ---- Unique names ---- */

int deliver_unique_name(char *out, size_t size, long long sec, long usec,
                        long pid, unsigned long seq, const char *host)
{
    return maildir_unique_name(out, size, sec, usec, pid, seq, host);
}

/* ---- One Maildir ---- */

/* "Return-Path: <S>\nDelivered-To: R\n" into buf, less the lines the
 * MTA's run m gives already; its length, or (size_t)-1 when it does not
 * fit.  *lines: how many lines it is (each adds a CR to the wire size). */
static size_t make_prefix(char *buf, size_t size, const char *sender,
                          const char *recipient, const struct mta_lines *m,
                          unsigned *lines)
{
    int rp = !m->return_path, dt = !m->delivered_to;
    int n = snprintf(buf, size, "%s%s%s%s%s%s",
                     rp ? "Return-Path: <" : "", rp ? sender : "",
                     rp ? ">\n" : "", dt ? "Delivered-To: " : "",
                     dt ? recipient : "", dt ? "\n" : "");
    *lines = (unsigned)(rp + dt);
    return n < 0 || (size_t)n >= size ? (size_t)-1 : (size_t)n;
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
    /* openat: musl's open(2) adds an fcntl(2) for O_CLOEXEC. */
    d->top = openat(AT_FDCWD, maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
    if (deliver_spool_copy(fd, prefix, plen, s) < 0 || fsync(fd) < 0) {
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
    /* Test builds only (fault.h): stopped here, in the delivery child
     * as the owner, for a look at it in /proc. */
    fault_stop("deliver");
    report_init(r);
    struct mta_lines m;
    if (deliver_envelope_check(s, sender, recipient,
                               o && o->mta_delivered_to, &m, r) != DELIVER_OK)
        return r->status;
    char prefix[2 * USERDB_LINE_MAX];
    unsigned lines;
    size_t plen = make_prefix(prefix, sizeof prefix, sender, recipient, &m,
                              &lines);
    if (plen == (size_t)-1)
        return fail(r, DELIVER_BADINPUT, "sender or recipient too long");
    struct md_dirs d;
    if (dirs_open(&d, maildir) < 0) {
        int e = errno;
        dirs_close(&d);
        return fail_errno(r, e, "open", maildir);
    }
    uint64_t octets = plen + s->octets;
    /* Every prefix line ends in LF, so it adds one CR a line. */
    uint64_t wire = plen + lines + s->wire;
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
    int n = e->maildir && *e->maildir
                ? snprintf(buf, size, "%s", e->maildir)
                : snprintf(buf, size, "%s/Maildir", e->home);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
