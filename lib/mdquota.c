/* SPDX-License-Identifier: ISC */
/*
 * mdquota.c -- Maildir++ quota: maildirsize read, appended, recalculated
 * (mdquota.h has the contract).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdquota.h"
#include "util.h"

/* ---- Numbers and lines ---- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Digits at s[*pos..end) into *v: 1 to 19 of them, at most
 * MDQUOTA_VALUE_MAX.  0 (*pos past them) or -1. */
static int take_number(const char *s, size_t *pos, size_t end, uint64_t *v)
{
    size_t i = *pos;
    uint64_t n = 0;
    while (i < end && s[i] >= '0' && s[i] <= '9' && i - *pos < 19)
        n = n * 10 + (uint64_t)(s[i++] - '0');
    if (i == *pos || (i < end && s[i] >= '0' && s[i] <= '9')
        || n > (uint64_t)MDQUOTA_VALUE_MAX)
        return -1;
    *pos = i;
    *v = n;
    return 0;
}

/* An optionally signed number, as usage lines have them. */
static int take_signed(const char *s, size_t *pos, size_t end, int64_t *v)
{
    int neg = 0;
    uint64_t n;
    if (*pos < end && (s[*pos] == '-' || s[*pos] == '+'))
        neg = s[(*pos)++] == '-';
    if (take_number(s, pos, end, &n) < 0)
        return -1;
    *v = neg ? -(int64_t)n : (int64_t)n;
    return 0;
}

/* A usage line "BYTES COUNT" (blanks around and between, as Courier pads
 * its lines to 14 octets).  0 or -1. */
static int parse_usage(const char *s, size_t len, int64_t *bytes,
                       int64_t *count)
{
    size_t i = 0;
    while (i < len && is_blank(s[i]))
        i++;
    if (take_signed(s, &i, len, bytes) < 0 || i == len || !is_blank(s[i]))
        return -1;
    while (i < len && is_blank(s[i]))
        i++;
    if (take_signed(s, &i, len, count) < 0)
        return -1;
    while (i < len && is_blank(s[i]))
        i++;
    return i == len ? 0 : -1;
}

int mdquota_parse_def(const char *s, size_t len, struct mdquota_def *d)
{
    int seen_s = 0, seen_c = 0;
    size_t i = 0;
    d->max_bytes = d->max_count = 0;
    if (len > MDQUOTA_LINE_MAX)
        return -1;
    while (i < len) {
        uint64_t v;
        if (take_number(s, &i, len, &v) < 0 || i == len)
            return -1;
        char kind = s[i++];
        if (kind == 'S' && !seen_s++)
            d->max_bytes = v;
        else if (kind == 'C' && !seen_c++)
            d->max_count = v;
        else
            return -1;   /* another letter, or one twice */
        if (i < len && (s[i++] != ',' || i == len))
            return -1;
    }
    return 0;
}

int mdquota_parse_arg(const char *s, struct mdquota_def *d)
{
    size_t len = strlen(s), i = 0;
    uint64_t bytes, count = 0;
    if (mdquota_parse_def(s, len, d) == 0 && len > 0)
        return 0;
    if (take_number(s, &i, len, &bytes) < 0)
        return -1;
    if (i < len && (s[i++] != ',' || take_number(s, &i, len, &count) < 0))
        return -1;
    if (i != len)
        return -1;
    d->max_bytes = bytes;
    d->max_count = count;
    return 0;
}

size_t mdquota_format_def(const struct mdquota_def *d, char *out)
{
    int n;
    if (d->max_bytes && d->max_count)
        n = snprintf(out, MDQUOTA_LINE_MAX, "%" PRIu64 "S,%" PRIu64 "C",
                     d->max_bytes, d->max_count);
    else if (d->max_count)
        n = snprintf(out, MDQUOTA_LINE_MAX, "%" PRIu64 "C", d->max_count);
    else
        n = snprintf(out, MDQUOTA_LINE_MAX, "%" PRIu64 "S", d->max_bytes);
    return n > 0 ? (size_t)n : 0;
}

/* ---- Recalculation ---- */

/* What a scan adds up.  stamp mixes the stamps of every directory read,
 * taken before it was read: a second, stat-only walk that mixes to the
 * same value saw no directory change meanwhile. */
struct tally {
    uint64_t bytes, count, stamp;
};

static void mix(uint64_t *h, uint64_t v)
{
    *h = (*h ^ v) * 0x100000001b3ULL;   /* FNV-1a's prime, a word at a time */
}

static void mix_stat(uint64_t *h, const struct stat *st)
{
    mix(h, (uint64_t)st->st_ino);
    mix(h, (uint64_t)st->st_mtim.tv_sec);
    mix(h, (uint64_t)st->st_mtim.tv_nsec);
    mix(h, (uint64_t)st->st_ctim.tv_sec);
    mix(h, (uint64_t)st->st_ctim.tv_nsec);
}

static void add_capped(uint64_t *sum, uint64_t v)
{
    *sum = v > (uint64_t)MDQUOTA_VALUE_MAX - *sum ? (uint64_t)MDQUOTA_VALUE_MAX
                                                  : *sum + v;
}

/* A message's octets: ",S=" in its name, else its file's size.  0, or
 * -1 when it is not a regular file (or vanished). */
static int file_octets(int dfd, const char *name, uint64_t *size)
{
    struct stat st;
    if (maildir_name_field(name, 'S', size) == 0)
        return 0;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0
        || !S_ISREG(st.st_mode))
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int entry_size(int dfd, const struct dirent *de, uint64_t *size)
{
    if (de->d_type != DT_UNKNOWN && de->d_type != DT_REG)
        return -1;
    return file_octets(dfd, de->d_name, size);
}

/* Add the messages in parent/sub (cur or new) to t; with read_it 0 only
 * its stamp.  0; 1 when it is not a directory there; -1 on error. */
static int scan_dir(int parent, const char *sub, struct tally *t, int read_it)
{
    struct stat st;
    int dfd = openat(parent, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                     O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 1 : -1;
    if (fstat(dfd, &st) < 0) {
        close(dfd);
        return -1;
    }
    mix_stat(&t->stamp, &st);
    if (!read_it) {
        close(dfd);
        return 0;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    const struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        uint64_t size;
        if (de->d_name[0] == '.' || entry_size(dfd, de, &size) < 0)
            continue;
        add_capped(&t->bytes, size);
        add_capped(&t->count, 1);
        errno = 0;
    }
    int e = errno;
    closedir(d);
    errno = e;
    return e ? -1 : 0;
}

/* The Maildir++ folders the quota counts: .NAME, but not . and .., and
 * not .Trash or a folder inside it (.Trash.NAME), which the
 * specification leaves out so that deleting into Trash never fails. */
static int counted_folder(const char *name)
{
    if (name[0] != '.' || name[1] == '\0' || strcmp(name, "..") == 0)
        return 0;
    return strcmp(name, ".Trash") != 0 && strncmp(name, ".Trash.", 7) != 0;
}

/* cur/ and new/ of one Maildir (the top or a folder). */
static int scan_maildir(int fd, struct tally *t, int read_it, int required)
{
    static const char *const subs[] = { "new", "cur" };
    for (size_t i = 0; i < 2; i++) {
        int r = scan_dir(fd, subs[i], t, read_it);
        if (r < 0 || (r > 0 && required))
            return -1;
    }
    return 0;
}

/* The whole Maildir with its folders into t. */
static int scan_all(int dirfd, struct tally *t, int read_it)
{
    memset(t, 0, sizeof *t);
    if (scan_maildir(dirfd, t, read_it, 1) < 0)
        return -1;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const struct dirent *de;
    int rc = 0;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!counted_folder(de->d_name)
            || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
            continue;
        int ffd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
                         O_NOFOLLOW | O_CLOEXEC);
        if (ffd < 0)
            continue;   /* a file named like a folder, or gone */
        mix(&t->stamp, (uint64_t)de->d_ino);
        if (scan_maildir(ffd, t, read_it, 0) < 0)
            rc = -1;
        close(ffd);
        errno = 0;
    }
    if (errno)
        rc = -1;
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

/* Scan until a stat-only walk finds the directories as the scan found
 * them, at most MDQUOTA_RECALC_TRIES times. */
static int scan_settled(int dirfd, struct tally *t)
{
    for (int i = 0; i < MDQUOTA_RECALC_TRIES; i++) {
        struct tally again;
        if (scan_all(dirfd, t, 1) < 0)
            return -1;
        if (scan_all(dirfd, &again, 0) < 0)
            return -1;
        if (again.stamp == t->stamp)
            break;
    }
    return 0;
}

/* Write text as maildirsize: tmp/ file, fsync, rename, fsync of the
 * directory. */
static int replace_file(int dirfd, const char *text, size_t len)
{
    char uniq[200], tmp[sizeof uniq + 32];
    if (maildir_unique(uniq, sizeof uniq) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(tmp, sizeof tmp, "tmp/%s.%s", uniq, MDQUOTA_NAME);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                    O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (write_all(fd, text, len) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        close(fd);   /* EBADF after a failed close: harmless */
        unlinkat(dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    if (renameat(dirfd, tmp, dirfd, MDQUOTA_NAME) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    return fsync(dirfd);
}

int mdquota_recalc(int dirfd, const struct mdquota_def *d, struct mdquota *q)
{
    struct tally t;
    char text[2 * MDQUOTA_LINE_MAX];
    if (scan_settled(dirfd, &t) < 0)
        return -1;
    size_t n = mdquota_format_def(d, text);
    n += (size_t)snprintf(text + n, sizeof text - n, "\n%" PRIu64 " %" PRIu64
                          "\n", t.bytes, t.count);
    if (replace_file(dirfd, text, n) < 0)
        return -1;
    if (q) {
        q->defined = 1;
        q->def = *d;
        q->bytes = t.bytes;
        q->count = t.count;
        q->mtime = time(NULL);
        q->recalculated = 1;
    }
    return 0;
}

int mdquota_set(int dirfd, const struct mdquota_def *d, struct mdquota *q)
{
    return mdquota_recalc(dirfd, d, q);
}

int mdquota_unset(int dirfd)
{
    if (unlinkat(dirfd, MDQUOTA_NAME, 0) < 0 && errno != ENOENT)
        return -1;
    return fsync(dirfd);
}

/* ---- Reading ---- */

/* The file, at most MDQUOTA_FILE_MAX + 1 octets of it (one more tells
 * that it is too long).  Its length (0 when missing), or -1. */
static ssize_t read_file(int dirfd, char *buf, time_t *mtime)
{
    struct stat st;
    int fd = openat(dirfd, MDQUOTA_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    int bad = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (bad) {
        close(fd);
        errno = bad;
        return -1;
    }
    *mtime = st.st_mtime;
    ssize_t n = read_full(fd, buf, MDQUOTA_FILE_MAX + 1);
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

/* Sum the usage lines of buf[0..len) (after the definition line) into
 * q.  0, or -1 when any is corrupt or there are none. */
static int sum_lines(const char *buf, size_t len, struct mdquota *q)
{
    int64_t bytes = 0, count = 0;
    size_t lines = 0;
    if (memchr(buf, '\0', len) || (len > 0 && buf[len - 1] != '\n'))
        return -1;   /* a NUL, or a torn last line */
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = (size_t)(nl - (buf + pos));
        int64_t b, c;
        if (n > MDQUOTA_LINE_MAX || parse_usage(buf + pos, n, &b, &c) < 0)
            return -1;
        bytes += b;
        count += c;
        if (bytes > MDQUOTA_VALUE_MAX || bytes < -MDQUOTA_VALUE_MAX
            || count > MDQUOTA_VALUE_MAX || count < -MDQUOTA_VALUE_MAX)
            return -1;
        lines++;
        pos += n + 1;
    }
    if (lines == 0 || bytes < 0 || count < 0)
        return -1;
    q->bytes = (uint64_t)bytes;
    q->count = (uint64_t)count;
    return 0;
}

int mdquota_load(int dirfd, struct mdquota *q)
{
    char buf[MDQUOTA_FILE_MAX + 1];
    memset(q, 0, sizeof *q);
    ssize_t n = read_file(dirfd, buf, &q->mtime);
    if (n < 0)
        return -1;
    const char *nl = memchr(buf, '\n', (size_t)n);
    if (!nl || mdquota_parse_def(buf, (size_t)(nl - buf), &q->def) < 0)
        return 0;   /* no file, or no definition: no quota */
    q->defined = 1;
    size_t head = (size_t)(nl - buf) + 1;
    if (n > MDQUOTA_FILE_MAX
        || sum_lines(buf + head, (size_t)n - head, q) < 0) {
        struct mdquota_def d = q->def;
        return mdquota_recalc(dirfd, &d, q) < 0 ? -1 : 1;
    }
    return 1;
}

int mdquota_fits(const struct mdquota *q, uint64_t size)
{
    if (!q->defined)
        return 1;
    uint64_t mb = q->def.max_bytes, mc = q->def.max_count;
    if (mb && (q->bytes > mb || size > mb - q->bytes))
        return 0;
    if (mc && q->count >= mc)
        return 0;
    return 1;
}

int mdquota_check(int dirfd, struct mdquota *q, uint64_t size, time_t now)
{
    if (mdquota_fits(q, size))
        return 1;
    if (q->recalculated || q->mtime >= now - MDQUOTA_STALE_SECONDS)
        return 0;
    struct mdquota_def d = q->def;
    if (mdquota_recalc(dirfd, &d, q) < 0)
        return -1;
    return mdquota_fits(q, size);
}

/* ---- Writing ---- */

int mdquota_add(int dirfd, int64_t bytes, int64_t count)
{
    char line[MDQUOTA_LINE_MAX];
    struct stat st;
    int n = snprintf(line, sizeof line, "%" PRId64 " %" PRId64 "\n", bytes,
                     count);
    /* O_NONBLOCK: a FIFO put there must not hang the caller. */
    int fd = openat(dirfd, MDQUOTA_NAME, O_WRONLY | O_APPEND | O_NOFOLLOW |
                    O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    /* One write of the whole line: with O_APPEND, lines of concurrent
     * writers never interleave.  Not retried when short: a second write
     * could land after another writer's line. */
    ssize_t w;
    do
        w = write(fd, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    int e = w < 0 ? errno : EIO;
    int closed = close(fd);
    if (w != n) {
        errno = e;
        return -1;
    }
    return closed < 0 ? -1 : 0;
}

int mdquota_record_delivery(int dirfd, uint64_t size)
{
    if (size > (uint64_t)MDQUOTA_VALUE_MAX)
        size = (uint64_t)MDQUOTA_VALUE_MAX;
    return mdquota_add(dirfd, (int64_t)size, 1);
}

int mdquota_record_removal(int dirfd, uint64_t bytes, uint64_t count)
{
    if (count == 0)
        return 0;
    if (bytes > (uint64_t)MDQUOTA_VALUE_MAX)
        bytes = (uint64_t)MDQUOTA_VALUE_MAX;
    if (count > (uint64_t)MDQUOTA_VALUE_MAX)
        count = (uint64_t)MDQUOTA_VALUE_MAX;
    return mdquota_add(dirfd, -(int64_t)bytes, -(int64_t)count);
}

/* ---- Removing messages ---- */

/* Message i's octets for the quota: ",S=" in its name, else the size of
 * its file, found again if it was renamed.  0, or -1 (errno ENOENT: it
 * is gone). */
static int msg_octets(struct maildir *md, size_t i, uint64_t *size)
{
    struct stat st;
    if (maildir_name_field(maildir_msg_name(md, i), 'S', size) == 0)
        return 0;
    int fd = maildir_msg_open_nostat(md, i);
    if (fd < 0)
        return -1;
    int r = fstat(fd, &st);
    close(fd);
    if (r < 0)
        return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Is there a maildirsize (of any kind: mdquota_add() judges it)? */
static int has_file(int dirfd)
{
    struct stat st;
    return fstatat(dirfd, MDQUOTA_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int mdquota_msg_unlink(struct maildir *md, size_t i, struct mdquota_removed *r)
{
    if (r->state == 0)
        r->state = has_file(md->dirfd) ? 1 : 2;
    if (r->state != 1)
        return maildir_msg_unlink(md, i);
    uint64_t size;
    if (msg_octets(md, i, &size) < 0)
        return maildir_msg_unlink(md, i);   /* gone, or unreadable: uncounted */
    /* Under the name just seen: removed now, so it is ours to count. */
    if (unlinkat(maildir_msg_dirfd(md, i), maildir_msg_name(md, i), 0) == 0) {
        r->bytes += size;
        r->count++;
        return 0;
    }
    if (errno != ENOENT)
        return -1;
    /* Renamed meanwhile (a flag change): it is removed under its new
     * name if it is still there, and counted only then. */
    int fd = maildir_msg_open_nostat(md, i);
    if (fd < 0)
        return maildir_msg_unlink(md, i);
    close(fd);
    if (maildir_msg_unlink(md, i) < 0)
        return -1;
    r->bytes += size;
    r->count++;
    return 0;
}

int mdquota_unlink_at(int topfd, int dfd, const char *name,
                      struct mdquota_removed *r)
{
    uint64_t size = 0;
    if (r->state == 0)
        r->state = has_file(topfd) ? 1 : 2;
    int sized = r->state == 1 && file_octets(dfd, name, &size) == 0;
    if (unlinkat(dfd, name, 0) < 0)
        return -1;
    if (sized) {
        r->bytes += size;
        r->count++;
    }
    return 0;
}

int mdquota_removed_commit(int dirfd, const struct mdquota_removed *r)
{
    if (r->state != 1 || r->count == 0)
        return 0;
    return mdquota_record_removal(dirfd, r->bytes, r->count) < 0 ? -1 : 0;
}
