/* SPDX-License-Identifier: ISC */
/*
 * maildir2mbox -- move the mail in $MAILDIR (new/ and cur/, oldest first)
 * to the end of the mbox $MAIL, exactly once.
 *
 * The mbox is appended to in place (its owner, mode and inode stay; the
 * work grows with the new mail only).  Each batch of messages is a small
 * transaction recorded in a journal in the Maildir:
 *
 *   1. journal: the mbox's device, inode and size, the names to move;
 *      fsync, rename into place, fsync the Maildir   (prepared)
 *   2. append the messages to the mbox, fsync it
 *   3. append "commit" to the journal, fsync it        (committed)
 *   4. unlink the messages, fsync new/ and cur/
 *   5. remove the journal, fsync the Maildir
 *
 * A run that finds a journal finishes what the last one began: committed,
 * it does step 4 and 5 again; prepared, it cuts the mbox back to its old
 * size (after checking that what lies beyond is our own partial append).
 * A write that fails (disk full) is rolled back at once.  So every message
 * is either in the mbox or in the Maildir, never both, never neither, and
 * the mbox never keeps half a message.  maildir2mbox(1) lists the edges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fault.h"
#include "log.h"
#include "mailenv.h"
#include "maildir.h"
#include "mbox.h"
#include "mdquota.h"
#include "params.h"
#include "usage.h"
#include "util.h"

/* In the Maildir's top directory (params.h says why there); pop3-maildir
 * refuses to serve while it exists. */
#define JOURNAL_NAME MAILDIR2MBOX_JOURNAL
#define JOURNAL_TMP ".maildir2mbox.journal.tmp"
#define JOURNAL_MAGIC "popkit-maildir2mbox-journal 1"

struct msg {
    char *rel;           /* "new/NAME" or "cur/NAME" */
    time_t when;         /* delivery time */
    int skipped;         /* could not be read: stays in the Maildir */
};

struct msglist {
    struct msg *m;
    size_t n, cap;
};

struct ctx {
    const char *maildir;
    const char *mbox;
    struct maildir md;   /* its listing (lib/maildir: read-only scan) */
    int dirfd;           /* the Maildir: md.dirfd */
    struct mbox_lock lk;
    int wait;
};

static const char usage[] =
    "usage: maildir2mbox [-w SECONDS]\n"
    "  move the mail in $MAILDIR (default $HOME/Maildir/) to the end of\n"
    "  the mbox $MAIL (default $HOME/Mailbox), exactly once\n"
    "  -w SECONDS  wait at most this long for locks (default "
    USAGE_NUM(MBOX_LOCK_WAIT) ")\n";

static int temp_or_perm(int err)
{
    return (err == EACCES || err == ENOENT || err == ENOTDIR || err == ELOOP ||
            err == EROFS || err == EPERM || err == EISDIR) ? EXIT_PERM : EXIT_TEMP;
}

/* ---- Listing: the shared scan, read-only ---- */

/* The delivery time of a message the journal names, as maildir_scan()
 * takes it (the name, else the file's mtime), so that a recovery
 * rebuilds the very From_ lines the interrupted run wrote. */
static time_t msg_time(int dirfd, const char *rel, const char *name)
{
    uint32_t sec, usec;
    struct stat st;
    if (maildir_name_time(name, &sec, &usec) == 0)
        return (time_t)sec;
    if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_mtime < 0)
        return 0;
    return st.st_mtime > (time_t)UINT32_MAX ? (time_t)UINT32_MAX : st.st_mtime;
}

static int list_add(struct msglist *l, const char *sub, const char *name, time_t when)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct msg *m = realloc(l->m, cap * sizeof *m);
        if (!m)
            return -1;
        l->m = m;
        l->cap = cap;
    }
    struct msg *m = &l->m[l->n];
    size_t len = strlen(sub) + 1 + strlen(name) + 1;
    if (!(m->rel = malloc(len)))
        return -1;
    snprintf(m->rel, len, "%s/%s", sub, name);
    m->skipped = 0;
    m->when = when;
    l->n++;
    return 0;
}

static void list_free(struct msglist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->m[i].rel);
    free(l->m);
    memset(l, 0, sizeof *l);
}

/* List new/ and cur/ oldest first.  No scan flag: maildir_scan() then
 * moves nothing to cur/, adds no ,W= and writes no cache file in the
 * user's Maildir, though we hold its lock (maildir.h). */
static void scan_maildir(struct ctx *c)
{
    if (maildir_scan(&c->md, 0) < 0)
        log_die(temp_or_perm(errno), "cannot read %s: %s", c->maildir, strerror(errno));
    if (c->md.count >= MAILDIR_MAX_MESSAGES)
        log_warn("%s holds more than %d messages: this run moves %d of them, not "
                 "necessarily the oldest; run it again for the rest", c->maildir,
                 MAILDIR_MAX_MESSAGES, MAILDIR_MAX_MESSAGES);
}

static const char *msg_sub(const struct ctx *c, size_t i)
{
    return (c->md.msg[i].flags & MAILDIR_F_NEW) ? "new" : "cur";
}

/* Whether the journal, one name a line, can hold message i's name. */
static int movable(struct ctx *c, size_t i, int warn)
{
    const char *name = maildir_msg_name(&c->md, i);
    if (!strchr(name, '\n'))
        return 1;
    if (warn) {
        char safe[LOG_NAME_MAX];
        log_warn("leaving %s/%s: a newline in a file name", msg_sub(c, i),
                 log_safe(safe, sizeof safe, name, strlen(name)));
    }
    return 0;
}

static size_t count_movable(struct ctx *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->md.count; i++)
        n += (size_t)movable(c, i, 1);
    return n;
}

/* The next batch, from listing entry *pos on, into b (empty at the end). */
static void next_batch(struct ctx *c, size_t *pos, struct msglist *b)
{
    memset(b, 0, sizeof *b);
    for (; *pos < c->md.count && b->n < MBOX_BATCH_MAX; (*pos)++) {
        if (!movable(c, *pos, 0))
            continue;
        if (list_add(b, msg_sub(c, *pos), maildir_msg_name(&c->md, *pos),
                     (time_t)c->md.msg[*pos].time) < 0)
            log_die(EXIT_TEMP, "out of memory");
    }
}

/* ---- Durable steps ---- */

static void sync_fd_or_die(int fd, const char *what)
{
    if (fsync(fd) < 0)
        log_die(EXIT_TEMP, "cannot sync %s: %s", what, strerror(errno));
    fault_step();
}

/* ---- Writing the messages ---- */

/* The message's file under the name the listing or the journal gave,
 * else under the one a reader that takes no lock of ours (an IMAP
 * server) renamed it to since: moved to cur/ or flags changed, the same
 * UNIQUE.  So a run finishing an interrupted batch re-reads the very
 * bytes that batch appended, and is not stopped by the rename.  The fd,
 * or -1 with errno (ENOENT: gone). */
static int open_message(struct ctx *c, const struct msg *m)
{
    char found[NAME_MAX + 1];
    int fd = openat(c->dirfd, m->rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    if (maildir_find_unique(c->md.curfd, m->rel + 4, found) < 0)
        return -1;
    return openat(c->md.curfd, found, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

/* Append one message: From_ line, quoted body, blank line.  0 written,
 * 1 unreadable (skipped, nothing written), -1 output error. */
static int append_message(struct ctx *c, struct mbox_out *o, struct msg *m)
{
    static char buf[MBOX_READ_CHUNK];
    char sender[MBOX_SENDER_MAX + 1];
    int fd = open_message(c, m);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("leaving %s/%s: %s", c->maildir, m->rel, strerror(errno));
        return 1;
    }
    ssize_t n = read_full(fd, buf, sizeof buf < MBOX_HEADER_SCAN ? sizeof buf : MBOX_HEADER_SCAN);
    if (n < 0) {
        log_warn("leaving %s/%s: %s", c->maildir, m->rel, strerror(errno));
        close(fd);
        return 1;
    }
    mbox_sender(buf, (size_t)n, sender, sizeof sender);
    if (mbox_begin(o, sender, m->when) < 0)
        goto out_error;
    while (n > 0) {
        if (mbox_body(o, buf, (size_t)n) < 0)
            goto out_error;
        n = read_full(fd, buf, sizeof buf);
    }
    if (n < 0) {
        /* a read error mid-message: the caller rolls the batch back */
        log_error("cannot read %s/%s: %s", c->maildir, m->rel, strerror(errno));
        close(fd);
        errno = EIO;
        return -1;
    }
    close(fd);
    return mbox_end(o);
out_error:
    close(fd);
    return -1;
}

/* Append the batch from offset `from` (sep newlines first).  0, or -1
 * with errno. */
static int append_batch(struct ctx *c, struct mbox_out *o, struct msg *m,
                        size_t n, int sep)
{
    while (sep-- > 0)
        if (mbox_body(o, "\n", 1) < 0)
            return -1;
    for (size_t i = 0; i < n; i++) {
        int r = append_message(c, o, &m[i]);
        if (r < 0)
            return -1;
        m[i].skipped = r == 1;
    }
    return mbox_flush(o);
}

/* ---- The journal ---- */

struct journal {
    unsigned long long dev, ino;
    long long size0;
    int sep;
    char *path;          /* the mbox it was written for, absolute */
    int committed;
    struct msglist l;
};

static void journal_write(struct ctx *c, const struct stat *st, int sep,
                          struct msg *m, size_t n)
{
    unlinkat(c->dirfd, JOURNAL_TMP, 0);
    int fd = openat(c->dirfd, JOURNAL_TMP, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        log_die(temp_or_perm(errno), "cannot create %s/%s: %s", c->maildir,
                JOURNAL_TMP, strerror(errno));
    char *abs = realpath(c->mbox, NULL);
    if (!abs || strchr(abs, '\n'))
        log_die(EXIT_PERM, "cannot name %s in the journal: %s", c->mbox,
                abs ? "a newline in its path" : strerror(errno));
    size_t cap = 256 + strlen(abs), len = 0;
    for (size_t i = 0; i < n; i++)
        cap += strlen(m[i].rel) + 6;
    char *buf = malloc(cap);
    if (!buf)
        log_die(EXIT_TEMP, "out of memory");
    len += (size_t)snprintf(buf, cap, "%s\nmbox %llu %llu %lld %d\npath %s\n", JOURNAL_MAGIC,
                            (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                            (long long)st->st_size, sep, abs);
    free(abs);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "msg %s\n", m[i].rel);
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t w = fault_write(fd, p, left);
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            if (e == EINTR)
                continue;
            close(fd);
            unlinkat(c->dirfd, JOURNAL_TMP, 0);
            log_die(EXIT_TEMP, "cannot write the journal in %s: %s (nothing moved)",
                    c->maildir, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    free(buf);
    if (fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlinkat(c->dirfd, JOURNAL_TMP, 0);
        log_die(EXIT_TEMP, "cannot sync the journal: %s (nothing moved)", strerror(e));
    }
    fault_step();
    close(fd);
    if (renameat(c->dirfd, JOURNAL_TMP, c->dirfd, JOURNAL_NAME) < 0)
        log_die(EXIT_TEMP, "cannot rename the journal: %s", strerror(errno));
    fault_step();
    sync_fd_or_die(c->dirfd, c->maildir);
}

/* Mark the batch committed: the skipped names, then "commit".  0, or -1
 * with errno (no commit on disk: the batch is still to be rolled back). */
static int journal_commit(struct ctx *c, struct msg *m, size_t n)
{
    int fd = openat(c->dirfd, JOURNAL_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t cap = 16, len = 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].skipped)
            cap += strlen(m[i].rel) + 7;
    char *buf = malloc(cap);
    if (!buf)
        log_die(EXIT_TEMP, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (m[i].skipped)
            len += (size_t)snprintf(buf + len, cap - len, "skip %s\n", m[i].rel);
    len += (size_t)snprintf(buf + len, cap - len, "commit\n");
    /* one write: a torn commit record reads as no commit (rolled back) */
    ssize_t w = fault_write(fd, buf, len);
    free(buf);
    if (w != (ssize_t)len || fsync(fd) < 0) {
        int e = w >= 0 && w != (ssize_t)len ? ENOSPC : errno;
        close(fd);
        errno = e;
        return -1;
    }
    fault_step();
    return close(fd);
}

static void journal_remove(struct ctx *c)
{
    if (unlinkat(c->dirfd, JOURNAL_NAME, 0) < 0 && errno != ENOENT)
        log_die(EXIT_TEMP, "cannot remove the journal: %s", strerror(errno));
    fault_step();
    sync_fd_or_die(c->dirfd, c->maildir);
}

/* A message renamed since it was copied (a reader on the Maildir moved
 * it to cur/ or changed its flags) keeps its base, the name up to the
 * first ':'.  Remove it under its new name.  0, or -1 (errno). */
static int unlink_renamed(struct ctx *c, const char *rel,
                          struct mdquota_removed *quota)
{
    char found[NAME_MAX + 1];
    if (maildir_find_unique(c->md.curfd, rel + 4, found) < 0)
        return errno == ENOENT ? 0 : -1;
    return mdquota_unlink_at(c->dirfd, c->md.curfd, found, quota) < 0
           && errno != ENOENT ? -1 : 0;
}

/* Steps 4 and 5: the messages are safe in the mbox; remove them, and
 * say so in maildirsize when the Maildir has one (what a crash keeps
 * from it, the next recalculation finds). */
static void finish_commit(struct ctx *c, struct msg *m, size_t n)
{
    struct mdquota_removed quota = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (m[i].skipped)
            continue;
        int r = mdquota_unlink_at(c->dirfd, c->dirfd, m[i].rel, &quota);
        if (r < 0 && errno == ENOENT)
            r = unlink_renamed(c, m[i].rel, &quota);
        if (r < 0)
            log_die(EXIT_TEMP, "cannot remove %s/%s: %s (the next run finishes)",
                    c->maildir, m[i].rel, strerror(errno));
        fault_step();
    }
    if (mdquota_removed_commit(c->dirfd, &quota) < 0)
        log_warn("cannot update %s: %s", MDQUOTA_NAME, strerror(errno));
    sync_fd_or_die(c->md.newfd, "new/");
    sync_fd_or_die(c->md.curfd, "cur/");
    journal_remove(c);
}

/* Cut the mbox back to size0 and forget the batch. */
static int rollback(struct ctx *c, off_t size0)
{
    if (ftruncate(c->lk.fd, size0) < 0)
        return -1;
    fault_step();
    if (fsync(c->lk.fd) < 0)
        return -1;
    fault_step();
    journal_remove(c);
    return 0;
}

/* ---- Recovery ---- */

static char *slurp_journal(struct ctx *c, size_t *len)
{
    int fd = openat(c->dirfd, JOURNAL_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return NULL;
        log_die(EXIT_TEMP, "cannot open %s/%s: %s", c->maildir, JOURNAL_NAME, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        log_die(EXIT_TEMP, "cannot stat the journal: %s", strerror(errno));
    /* never more than a full batch of maximal names and its skips */
    if (st.st_size > (off_t)(MBOX_BATCH_MAX * 2 * (NAME_MAX + 16) + 512))
        log_die(EXIT_TEMP, "%s/%s is too large to be a journal; look at it", c->maildir,
                JOURNAL_NAME);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        log_die(EXIT_TEMP, "out of memory");
    ssize_t n = read_full(fd, buf, (size_t)st.st_size);
    close(fd);
    if (n < 0)
        log_die(EXIT_TEMP, "cannot read the journal: %s", strerror(errno));
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void journal_parse(struct ctx *c, char *buf, size_t len, struct journal *j)
{
    memset(j, 0, sizeof *j);
    char *line = buf, *end = buf + len;
    int lineno = 0, bad = 0;
    while (line < end && !bad) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break;                          /* a torn last line counts not */
        *nl = '\0';
        lineno++;
        if (lineno == 1)
            bad = strcmp(line, JOURNAL_MAGIC) != 0;
        else if (lineno == 2)
            bad = sscanf(line, "mbox %llu %llu %lld %d", &j->dev, &j->ino,
                         &j->size0, &j->sep) != 4 || j->size0 < 0;
        else if (lineno == 3)
            bad = strncmp(line, "path /", 6) != 0 || !(j->path = strdup(line + 5));
        else if (strncmp(line, "msg ", 4) == 0) {
            char *rel = line + 4;
            bad = (strncmp(rel, "new/", 4) && strncmp(rel, "cur/", 4)) ||
                  strchr(rel + 4, '/') || !rel[4];
            if (!bad && list_add(&j->l, rel[0] == 'n' ? "new" : "cur", rel + 4,
                                 msg_time(c->dirfd, rel, rel + 4)) < 0)
                log_die(EXIT_TEMP, "out of memory");
        } else if (strncmp(line, "skip ", 5) == 0) {
            for (size_t i = 0; i < j->l.n; i++)
                if (strcmp(j->l.m[i].rel, line + 5) == 0)
                    j->l.m[i].skipped = 1;
        } else if (strcmp(line, "commit") == 0 && nl + 1 == end) {
            j->committed = 1;
        } else {
            bad = 1;
        }
        line = nl + 1;
    }
    if (bad || lineno < 3)
        log_die(EXIT_TEMP, "%s/%s is damaged (line %d); nothing touched: look at it",
                c->maildir, JOURNAL_NAME, lineno);
}

struct cmp_state {
    int fd;
    off_t pos, end;
    int mismatch;
    off_t total;
};

/* A sink comparing what we would write with what the mbox holds. */
static int sink_compare(struct mbox_out *o, const void *data, size_t len)
{
    static char buf[MBOX_OUTBUF_SIZE];
    struct cmp_state *s = o->arg;
    const char *p = data;
    s->total += (off_t)len;
    while (len > 0 && s->pos < s->end && !s->mismatch) {
        size_t n = len;
        if ((off_t)n > s->end - s->pos)
            n = (size_t)(s->end - s->pos);
        if (n > sizeof buf)
            n = sizeof buf;
        if (pread(s->fd, buf, n, s->pos) != (ssize_t)n || memcmp(buf, p, n) != 0)
            s->mismatch = 1;
        s->pos += (off_t)n;
        p += n;
        len -= n;
    }
    if (s->mismatch) {
        errno = EILSEQ;
        return -1;
    }
    return 0;
}

static struct mbox_out out;   /* large: kept off the stack */

/* A prepared batch found after a crash: roll back when what follows the
 * old end is a prefix of our append; roll forward when all of it is
 * there and someone wrote after it; refuse to guess otherwise. */
static void recover_prepared(struct ctx *c, struct journal *j)
{
    struct stat st;
    if (fstat(c->lk.fd, &st) < 0)
        log_die(EXIT_TEMP, "cannot stat %s: %s", c->mbox, strerror(errno));
    if ((unsigned long long)st.st_dev != j->dev || (unsigned long long)st.st_ino != j->ino ||
        st.st_size < j->size0) {
        struct stat other;
        if (stat(j->path, &other) == 0 && (unsigned long long)other.st_dev == j->dev &&
            (unsigned long long)other.st_ino == j->ino)
            log_die(EXIT_TEMP, "an interrupted run was writing to %s, not %s: run "
                    "maildir2mbox with MAIL=%s first", j->path, c->mbox, j->path);
        log_warn("%s was replaced or shortened since an interrupted run; the "
                 "messages of that run stay in the Maildir", c->mbox);
        journal_remove(c);
        return;
    }
    if (st.st_size == j->size0) {
        journal_remove(c);
        return;
    }
    struct cmp_state s = { c->lk.fd, j->size0, st.st_size, 0, 0 };
    mbox_out_init(&out, c->lk.fd, j->size0, sink_compare, &s);
    int r = append_batch(c, &out, j->l.m, j->l.n, j->sep);
    if (r < 0 && !s.mismatch)
        log_die(EXIT_TEMP, "cannot check %s: %s", c->mbox, strerror(errno));
    if (!s.mismatch && s.total >= st.st_size - j->size0) {
        if (rollback(c, (off_t)j->size0) < 0)
            log_die(EXIT_TEMP, "cannot cut %s back to %lld bytes: %s", c->mbox,
                    j->size0, strerror(errno));
        log_info("rolled back an interrupted run: %s cut back to %lld bytes", c->mbox,
                 j->size0);
        return;
    }
    if (!s.mismatch) {
        log_info("finishing an interrupted run: its messages are all in %s", c->mbox);
        if (journal_commit(c, j->l.m, j->l.n) < 0)
            log_die(EXIT_TEMP, "cannot write the journal: %s", strerror(errno));
        finish_commit(c, j->l.m, j->l.n);
        return;
    }
    log_die(EXIT_TEMP, "%s changed after an interrupted run in a way that cannot be "
            "undone safely; nothing touched. Look at the mbox after byte %lld, then "
            "remove %s/%s", c->mbox, j->size0, c->maildir, JOURNAL_NAME);
}

static void recover(struct ctx *c)
{
    size_t len;
    char *buf = slurp_journal(c, &len);
    if (!buf)
        return;
    struct journal j;
    journal_parse(c, buf, len, &j);
    free(buf);
    if (j.committed) {
        log_info("finishing an interrupted run: removing %zu moved messages", j.l.n);
        finish_commit(c, j.l.m, j.l.n);
    } else {
        recover_prepared(c, &j);
    }
    list_free(&j.l);
    free(j.path);
}

/* ---- One batch ---- */

static void move_batch(struct ctx *c, struct msg *m, size_t n)
{
    struct stat st;
    if (fstat(c->lk.fd, &st) < 0)
        log_die(EXIT_TEMP, "cannot stat %s: %s", c->mbox, strerror(errno));
    if (!S_ISREG(st.st_mode))
        log_die(EXIT_PERM, "%s is not a regular file", c->mbox);
    int sep = mbox_separator(c->lk.fd, st.st_size);
    journal_write(c, &st, sep, m, n);
    mbox_out_init(&out, c->lk.fd, st.st_size, NULL, NULL);
    int r = append_batch(c, &out, m, n, sep);
    if (r == 0 && fsync(c->lk.fd) == 0) {
        fault_step();
        r = journal_commit(c, m, n);
    } else {
        r = -1;
    }
    if (r < 0) {
        int e = errno;
        if (rollback(c, st.st_size) < 0)
            log_die(EXIT_TEMP, "cannot write %s: %s; the next run cuts it back to "
                    "%lld bytes", c->mbox, strerror(e), (long long)st.st_size);
        log_die(EXIT_TEMP, "cannot write %s: %s; nothing moved, the mbox is as it was",
                c->mbox, strerror(e));
    }
    finish_commit(c, m, n);
}

/* ---- Setup ---- */

/* The path mailenv found, or death: it says why there is none. */
static const char *mail_path(const char *path, const char *var)
{
    if (!path && errno == ENOMEM)
        log_die(EXIT_TEMP, "out of memory");
    if (!path)
        log_die(EXIT_PERM, "neither %s nor HOME is set", var);
    return path;
}

/* Hold the Maildir's session lock so no POP3 session (pop3-maildir)
 * hands out messages we are moving.  Where it cannot be made (a read-
 * only Maildir: nothing to move anyway) we go on without it. */
static void lock_maildir(struct ctx *c)
{
    if (maildir_lock_wait(&c->md, c->wait * 1000) == MAILDIR_BUSY)
        log_die(EXIT_TEMP, "%s is in use by a POP3 session; try again later", c->maildir);
}

/* Lock $MAIL, creating it if missing.  A user may not create a file in
 * a mail spool (Debian's /var/mail is 2775 root:mail): say who can. */
static void lock_mbox(struct ctx *c)
{
    if (mbox_lock(&c->lk, c->mbox, 1, c->wait) == 0)
        return;
    if (errno == ETIMEDOUT)
        log_die(EXIT_TEMP, "cannot lock %s: a mail reader holds it; try again later",
                c->mbox);
    if (errno == EACCES && access(c->mbox, F_OK) < 0)
        log_die(EXIT_PERM, "cannot create %s: its directory is not writable by you "
                "(a mail spool: the first delivery creates it, or root with "
                "install -m 660 -g mail -o USER /dev/null %s)", c->mbox, c->mbox);
    log_die(temp_or_perm(errno), "cannot lock %s: %s", c->mbox, strerror(errno));
}

int main(int argc, char **argv)
{
    struct ctx c;
    char *own_maildir = NULL, *own_mbox = NULL;
    int opt;
    uint32_t w;

    log_init("maildir2mbox");
    memset(&c, 0, sizeof c);
    c.wait = MBOX_LOCK_WAIT;
    c.lk.fd = -1;
    usage_std(argc, argv, "maildir2mbox", usage);
    opterr = 0;
    while ((opt = getopt(argc, argv, ":w:")) != -1) {
        if (opt == 'w' && parse_u32(optarg, &w) == 0 && w <= 86400) {
            c.wait = (int)w;
            continue;
        }
        if (opt != 'w')
            usage_getopt("maildir2mbox", opt, argv, usage);
        usage_misuse("maildir2mbox", usage, "-w wants SECONDS from 0 to "
                     "86400, not '%s'", optarg);
    }
    if (optind != argc)
        usage_misuse("maildir2mbox", usage, "no operands wanted, got '%s'",
                     argv[optind]);
    /* MAILTMP: qmail's maildir2mbox rewrote a copy there; we append in
     * place and need none, so it is accepted and ignored. */
    c.maildir = mail_path(mailenv_maildir(&own_maildir), "MAILDIR");
    c.mbox = mail_path(mailenv_mbox(&own_mbox), "MAIL");

    if (maildir_open(&c.md, c.maildir) < 0)
        log_die(temp_or_perm(errno), "cannot open the Maildir %s: %s", c.maildir,
                strerror(errno));
    c.dirfd = c.md.dirfd;
    lock_maildir(&c);

    scan_maildir(&c);
    if (count_movable(&c) == 0 && faccessat(c.dirfd, JOURNAL_NAME, F_OK, 0) < 0) {
        maildir_close(&c.md);
        return 0;                           /* nothing to do: mbox untouched */
    }
    lock_mbox(&c);

    recover(&c);
    scan_maildir(&c);
    struct msglist b;
    size_t pos = 0;
    for (next_batch(&c, &pos, &b); b.n > 0; next_batch(&c, &pos, &b)) {
        move_batch(&c, b.m, b.n);
        list_free(&b);
    }
    mbox_unlock(&c.lk);
    maildir_close(&c.md);
    free(own_maildir);
    free(own_mbox);
    return 0;
}
