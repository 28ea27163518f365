/* SPDX-License-Identifier: ISC */
/*
 * deliver.c -- deliver.h: a recipient's whole delivery (the resolution,
 * each mailbox as its owner, the forwards) and a forward to sendmail.
 *
 * lib/deliver in layers, top to bottom; a file calls only files below
 * it (through deliver.h and the internal headers deliver_LAYER.h):
 *
 *   deliver.c          a recipient, a forward, the children they run in
 *   deliver_mailbox.c  one Maildir: unique names, tmp/ then new/
 *   deliver_spool.c    the spool, the loop check, the copy out
 *   deliver_status.c   the status table, the report
 */
#include "deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver_pool.h"
#include "deliver_spool.h"
#include "deliver_status.h"
#include "params.h"
#include "privdrop.h"
#include "util.h"

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

/* A pipe (close-on-exec) and a child: the child's pid (0 in the child),
 * or -1 with the failure in r and nothing left open. */
static pid_t fork_piped(int p[2], const char *what, struct deliver_report *r)
{
    if (pipe2(p, O_CLOEXEC) < 0) {
        fail_errno(r, errno, "pipe", what);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        fail_errno(r, e, "fork", what);
    }
    return pid;
}

/* Become account name (root only; not root, only one's own account),
 * every capability given up (privdrop.h), the bounding set too unless
 * keep_bounding. */
static enum deliver_status become_as(const char *name, int keep_bounding,
                                     struct deliver_report *r)
{
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return fail(r, DELIVER_TEMP, "no account %s", name);
    if (pw->pw_uid == 0)
        return fail(r, DELIVER_NOPERM, "%s is root: mail is never written "
                                       "as root", name);
    if (geteuid() != 0 && pw->pw_uid != geteuid())
        return fail(r, DELIVER_NOPERM, "not root, and %s is another "
                                       "account", name);
    const char *why = "";
    if (privdrop_set_groups(pw->pw_name, pw->pw_gid, &why) < 0
        || (keep_bounding
                ? privdrop_set_ids_keep_bounding(pw->pw_uid, pw->pw_gid, &why)
                : privdrop_set_ids(pw->pw_uid, pw->pw_gid, &why)) < 0)
        return fail(r, DELIVER_TEMP, "become %s: %s: %s", name, why,
                    strerror(errno));
    return DELIVER_OK;
}

/* A mailbox's delivery child (here and deliver_pool.c): the owner, no
 * capability, and no_new_privs, though it execs nothing. */
enum deliver_status deliver_become(const char *name,
                                   struct deliver_report *r)
{
    const char *why;
    if (become_as(name, 0, r) != DELIVER_OK)
        return r->status;
    if (privdrop_no_new_privs(&why) < 0)
        return fail(r, DELIVER_TEMP, "%s: %s", why, strerror(errno));
    return DELIVER_OK;
}

/* ---- Forwarding ---- */

static const char *sendmail_path(const struct deliver_opts *o)
{
    return o && o->sendmail ? o->sendmail : DELIVER_SENDMAIL;
}

/* Is the sendmail a set-user-ID-root program (Exim's)?  Its root needs
 * capabilities from the bounding set to become the MTA's own user. */
static int setuid_root(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0;
}

static void exec_sendmail(int in, const char *sender, char *const *addrs,
                          size_t naddrs, const struct deliver_opts *o)
{
    const char *sm = sendmail_path(o);
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

/* The forward child: the forward user (when root) and sendmail.  No
 * no_new_privs here: the MTA's submission program is set-ID on purpose
 * (Postfix's postdrop setgid postdrop, OpenSMTPD's smtpctl, Exim's
 * sendmail setuid root) and would run without its privilege, unable to
 * queue.  Every capability is given up all the same, the bounding set
 * too unless the sendmail is set-user-ID root. */
static void forward_child(int in, const char *sender, char *const *addrs,
                          size_t naddrs, const struct deliver_opts *o)
{
    struct deliver_report cr;
    report_init(&cr);
    if (geteuid() == 0 &&
        become_as(o && o->forward_user ? o->forward_user
                                       : DELIVER_FORWARD_USER,
                  setuid_root(sendmail_path(o)), &cr) != DELIVER_OK)
        _exit(SX_TEMPFAIL);
    exec_sendmail(in, sender, addrs, naddrs, o);
}

/* deliver_forward once sender and recipient are checked and m holds the
 * header's MTA lines (deliver_recipient has both already). */
static enum deliver_status forward_checked(const struct deliver_spool *s,
                                           const char *sender,
                                           const char *recipient,
                                           char *const *addrs, size_t naddrs,
                                           const struct deliver_opts *o,
                                           const struct mta_lines *m,
                                           struct deliver_report *r)
{
    report_init(r);
    if (naddrs == 0)
        return DELIVER_OK;
    char dt[USERDB_LINE_MAX + 32];
    int dl = snprintf(dt, sizeof dt, "Delivered-To: %s\n", recipient);
    if (dl < 0 || (size_t)dl >= sizeof dt)
        return fail(r, DELIVER_BADINPUT, "recipient too long");
    /* The MTA's own Delivered-To: RECIPIENT comes back with the forward
     * as well as ours would: one is enough. */
    if (o && o->mta_delivered_to && m->delivered_to)
        dl = 0;
    int p[2];
    pid_t pid = fork_piped(p, "for sendmail", r);
    if (pid < 0)
        return r->status;
    if (pid == 0) {
        close(p[1]);
        forward_child(p[0], sender, addrs, naddrs, o);
    }
    close(p[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int wr = deliver_spool_copy(p[1], dt, (size_t)dl, s);
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
    struct mta_lines m = { 0, 0 };
    if (o && o->mta_delivered_to && deliver_loop_scan(s, recipient, 1, &m) < 0)
        m.delivered_to = 0;
    return forward_checked(s, sender, recipient, addrs, naddrs, o, &m, r);
}

/* ---- A recipient ---- */

/* In a child: become e's owner (no capability, no_new_privs), deliver,
 * write the report to fd. */
static void mailbox_child(int fd, const struct userdb_entry *e,
                          const struct deliver_spool *s, const char *sender,
                          const char *recipient, const struct deliver_opts *o)
{
    struct deliver_report r;
    char path[USERDB_HOME_MAX + sizeof "/Maildir"];
    report_init(&r);
    if (deliver_become(e->owner, &r) != DELIVER_OK) {
        /* r says why */
    } else if (deliver_maildir_path(e, path, sizeof path) < 0) {
        fail(&r, DELIVER_TEMP, "%s: home too long", e->address);
    } else {
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
    if (o && o->pool) {
        char path[USERDB_HOME_MAX + sizeof "/Maildir"];
        if (deliver_maildir_path(e, path, sizeof path) < 0)
            return fail(r, DELIVER_TEMP, "%s: home too long", e->address);
        return deliver_pool_mailbox(o->pool, e, path, s, sender, recipient,
                                    o, r);
    }
    int p[2];
    pid_t pid = fork_piped(p, "for a delivery", r);
    if (pid < 0)
        return r->status;
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
    /* One check for the whole recipient, forwards included: the line a
     * forward carries comes back with it. */
    struct mta_lines m;
    if (deliver_envelope_check(s, sender, recipient,
                               o && o->mta_delivered_to, &m, r) != DELIVER_OK)
        return r->status;
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
        forward_checked(s, sender, recipient, ar.forwards, ar.nforwards, o,
                        &m, &one);
        merge(r, &one);
    }
    aliases_result_free(&ar);
    return r->status;
}
