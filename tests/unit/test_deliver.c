/* SPDX-License-Identifier: ISC */
/*
 * test_deliver.c -- lib/deliver: the status table, the spool (LF and
 * CRLF input, the header's end, the wire size, the limit, adopt), unique
 * names, the Delivered-To loop check, quota both ways, and a delivery
 * byte for byte with its ,S= and ,W= -- which lib/maildir then sizes
 * from the name alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "maildir_fixture.h"
#include "mdquota.h"
#include "msgfmt.h"

/* ---- the table ---- */

static void test_table(void)
{
    int complete = 1, consistent = 1;
    for (int st = 0; st < DELIVER_NSTATUS; st++) {
        const struct deliver_code *c = deliver_code((enum deliver_status)st);
        if (!c->text || !c->enhanced || !c->text[0]) {
            complete = 0;
            printf("# status %d has no row\n", st);
            continue;
        }
        char cls = c->enhanced[0];
        int smtp_cls = c->smtp / 100;
        /* RFC 3463: the class is the reply's first digit; sysexits 75 and
         * qmail 111 exactly for the temporary ones, 0/0 for success. */
        int temp = cls == '4';
        if (smtp_cls != cls - '0' || strlen(c->enhanced) < 5 ||
            c->enhanced[1] != '.' ||
            temp != (c->qmail == 111) ||
            (cls == '2') != (c->qmail == 0) ||
            (cls == '2') != (c->sysexit == 0) ||
            (cls == '5' && (c->sysexit == 75 || c->qmail != 100)) ||
            (temp && c->sysexit != 75 && c->sysexit != 73)) {
            consistent = 0;
            printf("# status %d: %d %s sysexit %d qmail %d\n", st, c->smtp,
                   c->enhanced, c->sysexit, c->qmail);
        }
    }
    ok(complete, "every status has a row with a code and a text");
    ok(consistent, "class, reply code, sysexit and qmail code agree");
    is_int(deliver_exit_code(DELIVER_UNKNOWN, 0), 67, "unknown: 67");
    is_int(deliver_exit_code(DELIVER_UNKNOWN, 1), 100, "unknown, qmail: 100");
    is_int(deliver_exit_code(DELIVER_OVERQUOTA, 0), 67, "over quota: 67");
    is_int(deliver_exit_code(DELIVER_OVERQUOTA_TEMP, 0), 75,
           "over quota, tempfail: 75");
    is_int(deliver_exit_code(DELIVER_OVERQUOTA_TEMP, 1), 111,
           "over quota, tempfail, qmail: 111");
    is_int(deliver_exit_code(DELIVER_LOOP, 1), 100, "loop, qmail: 100");
    is_int(deliver_exit_code(DELIVER_NOSPACE, 0), 75, "disk full: 75");
    is_int(deliver_exit_code(DELIVER_CANTCREATE, 0), 73, "no Maildir: 73");
    is_int(deliver_exit_code(DELIVER_NOPERM, 0), 77, "no permission: 77");
    is_int(deliver_exit_code(DELIVER_BADINPUT, 0), 65, "bad input: 65");
    is_str(deliver_code(DELIVER_OVERQUOTA)->enhanced, "5.2.2", "5.2.2");
    is_str(deliver_code(DELIVER_OVERQUOTA_TEMP)->enhanced, "4.2.2", "4.2.2");
    is_str(deliver_code(DELIVER_LOOP)->enhanced, "5.4.6", "loop 5.4.6");
    is_str(deliver_code(DELIVER_NOSPACE)->enhanced, "4.3.1", "ENOSPC 4.3.1");
    is_str(deliver_code(DELIVER_TOOBIG)->enhanced, "5.3.4", "too big 5.3.4");
    is_int(deliver_code((enum deliver_status)999)->smtp, 451,
           "out of range: the temporary row");
    char buf[128];
    deliver_reply(DELIVER_UNKNOWN, NULL, buf, sizeof buf);
    is_str(buf, "550 5.1.1 no such user here", "reply line");
    deliver_reply(DELIVER_OVERQUOTA, "a\r\nb", buf, sizeof buf);
    is_str(buf, "552 5.2.2 mailbox full: a  b", "reply: CR LF never pass");
    size_t n = deliver_reply(DELIVER_TEMP, "0123456789012345678901234567890"
                             "123456789012345678901234567890123456789",
                             buf, 64);
    ok(n == 63 && strlen(buf) == 63, "reply cut to fit");
    is_int(deliver_from_aliases(ALIASES_UNKNOWN), DELIVER_UNKNOWN, "aliases");
    is_int(deliver_from_aliases(ALIASES_LOOP), DELIVER_ALIAS_LOOP, "loop");
    is_int(deliver_from_aliases(ALIASES_TOODEEP), DELIVER_ALIAS_TOODEEP, "deep");
    is_int(deliver_from_aliases(ALIASES_TOOMANY), DELIVER_ALIAS_TOOMANY, "many");
    is_int(deliver_from_aliases(ALIASES_BADADDR), DELIVER_BADADDR, "badaddr");
    is_int(deliver_from_aliases(ALIASES_TEMP), DELIVER_TEMP, "temp");
    is_int(deliver_from_errno(ENOSPC), DELIVER_NOSPACE, "ENOSPC");
    is_int(deliver_from_errno(EDQUOT), DELIVER_NOSPACE, "EDQUOT");
    is_int(deliver_from_errno(ENOENT), DELIVER_CANTCREATE, "ENOENT");
    is_int(deliver_from_errno(EACCES), DELIVER_NOPERM, "EACCES");
    is_int(deliver_from_errno(EIO), DELIVER_TEMP, "EIO");
}

/* ---- the spool ---- */

static char *spool_text(const struct deliver_spool *s)
{
    char *b = calloc(1, (size_t)s->octets + 1);
    if (pread(s->fd, b, (size_t)s->octets, 0) != (ssize_t)s->octets)
        b[0] = '\0';
    return b;
}

/* Feed text through a pipe to deliver_spool_from_fd in chunks of k. */
static void spool_from(struct deliver_spool *s, const char *text, size_t k,
                       uint64_t limit, int *rc)
{
    deliver_spool_open(s, limit);
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        size_t n = strlen(text);
        for (size_t i = 0; i < n; i += k) {
            if (write(p[1], text + i, n - i < k ? n - i : k) < 0)
                _exit(1);
            usleep(1000);
        }
        _exit(0);
    }
    close(p[1]);
    *rc = deliver_spool_from_fd(s, p[0]);
    if (*rc == 0)
        *rc = deliver_spool_finish(s);
    close(p[0]);
    waitpid(pid, NULL, 0);
}

static void test_spool(void)
{
    struct deliver_spool s;
    int rc;
    const char *lf = "Subject: x\nFrom: a\n\nbody\n.line\n";
    const char *crlf = "Subject: x\r\nFrom: a\r\n\r\nbody\r\n.line\r\n";
    for (size_t k = 1; k <= 64; k *= 4) {
        spool_from(&s, crlf, k, 0, &rc);
        char *t = spool_text(&s);
        ok(rc == 0 && strcmp(t, lf) == 0, "CRLF in chunks of %zu: LF stored",
           k);
        is_int((long long)s.header_end, 20, "header end after the empty line");
        is_int((long long)s.wire, (long long)msgfmt_wire_size(lf, strlen(lf)),
               "wire size as msgfmt counts it");
        free(t);
        deliver_spool_close(&s);
    }
    spool_from(&s, lf, 7, 0, &rc);
    char *t = spool_text(&s);
    ok(rc == 0 && strcmp(t, lf) == 0, "LF input stored as is");
    is_int((long long)s.octets, (long long)strlen(lf), "octets");
    free(t);
    deliver_spool_close(&s);

    spool_from(&s, "a\rb\r\nc\r", 1, 0, &rc);
    t = spool_text(&s);
    is_str(t, "a\rb\nc\r", "a bare CR kept, also at the very end");
    is_int((long long)s.header_end, (long long)s.octets, "no body: end = size");
    is_int((long long)s.wire, 8, "wire: a CR b CR LF c CR LF");
    free(t);
    deliver_spool_close(&s);

    spool_from(&s, "\nbody", 3, 0, &rc);
    is_int((long long)s.header_end, 1, "empty header: ends after one LF");
    is_int((long long)s.wire, 8, "wire: CRLF body CRLF (last line ended)");
    deliver_spool_close(&s);

    spool_from(&s, "", 3, 0, &rc);
    ok(rc == 0 && s.octets == 0 && s.wire == 0, "an empty message: 0 and 0");
    deliver_spool_close(&s);

    spool_from(&s, "0123456789\n", 4, 10, &rc);
    ok(rc < 0 && errno == EFBIG && s.too_big, "over the limit: EFBIG");
    deliver_spool_close(&s);
    spool_from(&s, "012345678\n", 4, 10, &rc);
    ok(rc == 0 && s.octets == 10, "exactly the limit: taken");
    deliver_spool_close(&s);

    /* deliver_spool_write: LF text as it is; adopt recounts. */
    deliver_spool_open(&s, 0);
    deliver_spool_write(&s, "A: 1\n", 5);
    deliver_spool_write(&s, "\nx\n", 3);
    deliver_spool_finish(&s);
    int fd2 = dup(s.fd);
    struct deliver_spool a;
    ok(deliver_spool_adopt(&a, fd2, 0) == 0, "adopt");
    ok(a.octets == s.octets && a.wire == s.wire &&
       a.header_end == s.header_end && a.header_end == 6,
       "adopt: the same octets, wire and header end");
    deliver_spool_close(&a);
    ok(deliver_spool_adopt(&a, dup(s.fd), 4) < 0 && errno == EFBIG,
       "adopt over its limit: EFBIG");
    deliver_spool_close(&s);
}

/* ---- names and loops ---- */

static void test_names(void)
{
    char b[NAME_MAX + 1];
    ok(deliver_unique_name(b, sizeof b, 1700000000, 42, 77, 3, "mx.a/b:c") == 0,
       "unique name");
    is_str(b, "1700000000.M000042P77Q3.mx.a\\057b\\072c",
           "time, usec, pid, counter; / and : escaped as \\057 and \\072");
    char big[300];
    memset(big, 'h', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ok(deliver_unique_name(b, sizeof b, 1, 1, 1, 1, big) < 0,
       "a name past NAME_MAX is refused");
    ok(deliver_unique_name(b, 12, 1700000000, 1, 1, 1, "h") < 0,
       "a buffer too small is refused");
}

/* A record's Maildir: HOME/Maildir, or a directory's own path. */
static void test_maildir_path(void)
{
    struct userdb_entry e = { .address = (char *)"a@b.org",
                              .home = (char *)"/home/a" };
    char b[64];
    ok(deliver_maildir_path(&e, b, sizeof b) == 0 && strcmp(b, "/home/a/Maildir") == 0,
       "a users-file record: HOME/Maildir (%s)", b);
    e.maildir = (char *)"";
    ok(deliver_maildir_path(&e, b, sizeof b) == 0 && strcmp(b, "/home/a/Maildir") == 0,
       "an empty maildir: HOME/Maildir too");
    e.maildir = (char *)"/srv/mail/a/";
    ok(deliver_maildir_path(&e, b, sizeof b) == 0 && strcmp(b, "/srv/mail/a/") == 0,
       "a directory's own maildir: that path (%s)", b);
    ok(deliver_maildir_path(&e, b, 8) < 0, "a buffer too small: -1");
}

static void spool_str(struct deliver_spool *s, const char *text)
{
    deliver_spool_open(s, 0);
    deliver_spool_write(s, text, strlen(text));
    deliver_spool_finish(s);
}

static void test_loop(void)
{
    struct deliver_spool s;
    spool_str(&s, "Received: x\nDelivered-To: Joe@ABC.com\nSubject: y\n\n"
                  "Delivered-To: body@abc.com\n");
    is_int(deliver_has_delivered_to(&s, "joe@abc.com"), 1,
           "Delivered-To in the header, case aside: a loop");
    is_int(deliver_has_delivered_to(&s, "ann@abc.com"), 0,
           "another address: none");
    is_int(deliver_has_delivered_to(&s, "body@abc.com"), 0,
           "a line in the body is not the header");
    deliver_spool_close(&s);
    spool_str(&s, "DELIVERED-TO:\n\t<joe@abc.com> \nX: 1\n\n");
    is_int(deliver_has_delivered_to(&s, "joe@abc.com"), 1,
           "folded, in angle brackets, any case of the name");
    deliver_spool_close(&s);
    spool_str(&s, "X-Delivered-To: joe@abc.com\nDelivered-To: joe@abc.com.x\n");
    is_int(deliver_has_delivered_to(&s, "joe@abc.com"), 0,
           "another field name or a longer address: none");
    deliver_spool_close(&s);
}

/* ---- delivery ---- */

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return NULL;
    char *b = calloc(1, (size_t)st.st_size + 1);
    *len = (size_t)read(fd, b, (size_t)st.st_size);
    close(fd);
    return b;
}

static void test_mailbox(void)
{
    struct deliver_spool s;
    const char *msg = "Subject: hi\n\nline one\n.dot\n";
    spool_str(&s, msg);
    struct deliver_opts o = { .hostname = "mx:1/a" };
    struct deliver_report r;
    enum deliver_status st = deliver_mailbox(&s, "ann@x.org", "joe@abc.com",
                                             root, &o, &r);
    ok(st == DELIVER_OK, "delivered (%s)", r.why);
    is_int(count_dir("new"), 1, "one file in new/");
    is_int(count_dir("tmp"), 0, "tmp/ left empty");
    const char *want = "Return-Path: <ann@x.org>\nDelivered-To: joe@abc.com\n"
                       "Subject: hi\n\nline one\n.dot\n";
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/new/%s", root, r.name);
    size_t len = 0;
    char *got = read_file(path, &len);
    ok(got && len == strlen(want) && memcmp(got, want, len) == 0,
       "the file: Return-Path, Delivered-To, then the message, byte exact");
    char tail[96];
    snprintf(tail, sizeof tail, ",S=%zu,W=%llu", strlen(want),
             (unsigned long long)msgfmt_wire_size(want, strlen(want)));
    ok(strstr(r.name, tail) && strlen(strstr(r.name, tail)) == strlen(tail),
       "the name ends in ,S=<octets>,W=<wire> (%s)", r.name);
    ok(strstr(r.name, ".mx\\0721\\057a,S="), "the host escaped in the name");
    free(got);

    /* lib/maildir sizes it from the name: no read of the file. */
    struct maildir md;
    ok(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES)
                                           == 0, "scan with sizes");
    is_int(md.count, 1, "one message");
    is_int((long long)md.msg[0].wire_size,
           (long long)msgfmt_wire_size(want, strlen(want)),
           "its LIST size is the wire size");
    is_int(md.size_reads, 0, "and no message file was read to learn it");
    maildir_close(&md);

    st = deliver_mailbox(&s, "", "joe@abc.com", root, &o, &r);
    ok(st == DELIVER_OK, "null sender delivered");
    snprintf(path, sizeof path, "%s/new/%s", root, r.name);
    got = read_file(path, &len);
    ok(got && strncmp(got, "Return-Path: <>\n", 16) == 0, "Return-Path: <>");
    free(got);
    is_int(count_dir("new"), 2, "two files: unique names");

    st = deliver_mailbox(&s, "a\nb", "joe@abc.com", root, &o, &r);
    is_int(st, DELIVER_BADINPUT, "a newline in the sender: refused");
    deliver_spool_close(&s);

    spool_str(&s, "Delivered-To: joe@abc.com\n\nx\n");
    st = deliver_mailbox(&s, "a@b", "joe@abc.com", root, &o, &r);
    is_int(st, DELIVER_LOOP, "its own Delivered-To: LOOP");
    is_int(count_dir("new"), 2, "nothing written for it");
    deliver_spool_close(&s);

    char nomd[PATH_MAX];
    snprintf(nomd, sizeof nomd, "%s/cur/none", root);
    spool_str(&s, "x\n");
    st = deliver_mailbox(&s, "a@b", "joe@abc.com", nomd, &o, &r);
    ok(st == DELIVER_CANTCREATE, "no Maildir: CANTCREATE (%s)", r.why);
    deliver_spool_close(&s);
}

static void test_quota(void)
{
    clear();
    int dfd = open(root, O_RDONLY | O_DIRECTORY);
    struct mdquota_def d = { .max_bytes = 150, .max_count = 0 };
    ok(mdquota_set(dfd, &d, NULL) == 0, "quota 150 octets");
    struct deliver_spool s;
    spool_str(&s, "Subject: q\n\n0123456789012345678901234567890123456789\n");
    struct deliver_opts o = { .hostname = "h" };
    struct deliver_report r;
    int delivered = 0;
    enum deliver_status st;
    while ((st = deliver_mailbox(&s, "a@b", "joe@abc.com", root, &o, &r)) ==
           DELIVER_OK)
        delivered++;
    ok(st == DELIVER_OVERQUOTA, "over quota: OVERQUOTA (%s)", r.why);
    is_int(delivered, 1, "one message of 98 octets fitted, not a second");
    is_int(count_dir("new"), 1, "the refused one is not in new/");
    struct mdquota q;
    ok(mdquota_load(dfd, &q) == 1 && q.count == 1 && q.bytes > 0,
       "maildirsize counts the delivered one");
    o.quota_tempfail = 1;
    st = deliver_mailbox(&s, "a@b", "joe@abc.com", root, &o, &r);
    is_int(st, DELIVER_OVERQUOTA_TEMP, "with quota_tempfail: 4.2.2");
    d.max_bytes = 0;
    mdquota_set(dfd, &d, NULL);
    o.quota_tempfail = 0;
    st = deliver_mailbox(&s, "a@b", "joe@abc.com", root, &o, &r);
    is_int(st, DELIVER_OK, "quota 0: none");
    deliver_spool_close(&s);
    close(dfd);
}

/* Deliver text with o into a clear Maildir; the stored file, or NULL. */
static char *deliver_text(const char *text, const struct deliver_opts *o,
                          enum deliver_status *st, struct deliver_report *r,
                          size_t *len)
{
    struct deliver_spool s;
    spool_str(&s, text);
    *st = deliver_mailbox(&s, "ann@x.org", "joe@abc.com", root, o, r);
    deliver_spool_close(&s);
    if (*st != DELIVER_OK)
        return NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/new/%s", root, r->name);
    return read_file(path, len);
}

/* Is the stored file exactly want, and its name's sizes right? */
static int stored_as(const char *got, size_t len, const char *want,
                     const char *name)
{
    char tail[96];
    snprintf(tail, sizeof tail, ",S=%zu,W=%llu", strlen(want),
             (unsigned long long)msgfmt_wire_size(want, strlen(want)));
    const char *at = strstr(name, tail);
    return got && len == strlen(want) && memcmp(got, want, len) == 0 &&
           at && strlen(at) == strlen(tail);
}

/* OpenSMTPD's mda and lmtp prepend Return-Path and Delivered-To. */
static void test_mta_lines(void)
{
    clear();
    int dfd = open(root, O_RDONLY | O_DIRECTORY);
    struct mdquota_def d = { .max_bytes = 100000, .max_count = 0 };
    ok(mdquota_set(dfd, &d, NULL) == 0, "a quota, so maildirsize counts");
    const char *mta = "Return-Path: <ann@x.org>\nDelivered-To: joe@abc.com\n"
                      "Received: from x\nSubject: hi\n\nbody\n";
    struct deliver_opts o = { .hostname = "h" };
    struct deliver_report r;
    enum deliver_status st;
    size_t len = 0;
    deliver_text(mta, &o, &st, &r, &len);
    is_int(st, DELIVER_LOOP, "without the option: the MTA's Delivered-To "
                             "is a loop, as before");
    is_int(count_dir("new"), 0, "nothing written for it");

    o.mta_delivered_to = 1;
    char *got = deliver_text(mta, &o, &st, &r, &len);
    ok(st == DELIVER_OK, "with it: the leading MTA lines are no loop (%s)",
       r.why);
    ok(stored_as(got, len, mta, r.name),
       "stored as it came: no second Return-Path or Delivered-To, ,S= ,W= "
       "exact (%s)", r.name);
    free(got);
    struct mdquota q;
    ok(mdquota_load(dfd, &q) == 1 && q.count == 1 &&
           q.bytes == strlen(mta),
       "maildirsize counts its exact octets");

    got = deliver_text("Delivered-To: <Joe@abc.com>\nSubject: hi\n\nb\n", &o,
                       &st, &r, &len);
    ok(st == DELIVER_OK && stored_as(got, len,
                                     "Return-Path: <ann@x.org>\n"
                                     "Delivered-To: <Joe@abc.com>\n"
                                     "Subject: hi\n\nb\n", r.name),
       "a Delivered-To alone on top: only Return-Path added (%s)", r.why);
    free(got);

    got = deliver_text("Return-Path: <x@y>\nDelivered-To: ann@abc.com\n\nb\n",
                       &o, &st, &r, &len);
    ok(st == DELIVER_OK && stored_as(got, len,
                                     "Delivered-To: joe@abc.com\n"
                                     "Return-Path: <x@y>\n"
                                     "Delivered-To: ann@abc.com\n\nb\n",
                                     r.name),
       "the run's Delivered-To is another's: ours added, no Return-Path");
    free(got);

    unsigned before = (unsigned)count_dir("new");
    deliver_text("Return-Path: <ann@x.org>\nDelivered-To: joe@abc.com\n"
                 "Received: from x\nDelivered-To: joe@abc.com\n\nb\n",
                 &o, &st, &r, &len);
    is_int(st, DELIVER_LOOP, "with it: an older Delivered-To below is a loop");
    deliver_text("Delivered-To: joe@abc.com\nDelivered-To: joe@abc.com\n\nb\n",
                 &o, &st, &r, &len);
    is_int(st, DELIVER_LOOP, "a second Delivered-To in the run is a loop");
    deliver_text("Received: from x\nReturn-Path: <ann@x.org>\n"
                 "Delivered-To: joe@abc.com\n\nb\n", &o, &st, &r, &len);
    is_int(st, DELIVER_LOOP, "not on top: not the MTA's, a loop");
    is_int(count_dir("new"), (int)before, "nothing written for the loops");
    close(dfd);
}

int main(void)
{
    test_maildir_path();
    if (fixture_setup() < 0)
        return 1;
    test_table();
    test_spool();
    test_names();
    test_loop();
    test_mailbox();
    test_quota();
    test_mta_lines();
    return fixture_done();
}
