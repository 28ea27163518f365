/* SPDX-License-Identifier: ISC */
/*
 * privsep.c -- the privsep account and directory, and the drop into them
 * (privsep.h).  Moved from pop3d/greeter_root.c so popkit-lmtpd's parser
 * drops the same way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acctfile.h"
#include "exitcode.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "privsep.h"

/* The parser's account: ids, and what the log calls it. */
struct privsep_acct {
    uid_t uid;
    gid_t gid;
    const char *who;
};

/* Whether --privsep-user is meant as UID:GID: it starts with a digit or
 * holds a colon, which no name in a passwd file can. */
static int privsep_is_numeric(const char *spec)
{
    return (spec[0] >= '0' && spec[0] <= '9') || strchr(spec, ':') != NULL;
}

static int privsep_parse_ids(const char *spec, struct privsep_acct *a)
{
    const char *colon = strchr(spec, ':');
    uint32_t u, g;
    /* Each as a passwd file writes it: decimal, not (uid_t)-1. */
    if (!colon || acctfile_parse_id(spec, (size_t)(colon - spec), &u) < 0 ||
        acctfile_parse_id(colon + 1, strlen(colon + 1), &g) < 0)
        return -1;
    a->uid = (uid_t)u;
    a->gid = (gid_t)g;
    return 0;
}

/* name's ids from ACCTFILE_PASSWD (lib/acctfile): the file itself,
 * never getpwnam, since the greeter is static and a static glibc's
 * getpwnam dlopens NSS modules (libnss_systemd...) it cannot safely
 * load; the account is a local system account anyway.  1 found, 0 not;
 * dies if the file cannot be read. */
static int privsep_by_name(const char *name, struct privsep_acct *a)
{
    struct acctfile e;
    int r = acctfile_find(ACCTFILE_PASSWD, NULL, name, &e);
    if (r < 0)
        log_die(EXIT_TEMP, "cannot read %s: %s", ACCTFILE_PASSWD,
                strerror(errno));
    if (r == 0)
        return 0;
    a->uid = e.uid;
    a->gid = e.gid;
    a->who = name;
    acctfile_free(&e);
    return 1;
}

/* --privsep-user as UID:GID, or a name (default popkit, then nobody,
 * with a warning: nobody may be shared with other daemons, so the
 * administrator must learn that popkit's own account is missing); dies
 * with 111 when there is none. */
static void privsep_account(const char *name, struct privsep_acct *a)
{
    if (name && !*name)
        log_die(EXIT_TEMP, "--privsep-user= is empty: give a user name or "
                "UID:GID");
    if (name && privsep_is_numeric(name)) {
        if (privsep_parse_ids(name, a) < 0)
            log_die(EXIT_TEMP, "--privsep-user=%s: not a user name nor UID:GID "
                    "(two decimal numbers)", name);
        a->who = name;
        return;
    }
    if (name ? privsep_by_name(name, a)
             : privsep_by_name(PRIVSEP_USER, a))
        return;
    if (!name && privsep_by_name(PRIVSEP_FALLBACK, a)) {
        log_warn("privsep user " PRIVSEP_USER " not found in %s; "
                 "using " PRIVSEP_FALLBACK ", which other daemons may "
                 "share: create it (adduser --system --group --no-create-home "
                 PRIVSEP_USER ") or give --privsep-user",
                 ACCTFILE_PASSWD);
        return;
    }
    log_die(EXIT_TEMP, "privsep user %s not found in %s (it must be a local "
            "account; or give --privsep-user=UID:GID)",
            name ? name : PRIVSEP_USER " or "
                          PRIVSEP_FALLBACK,
            ACCTFILE_PASSWD);
}

/* The chroot directory must be root's and writable by nobody else, or
 * the unprivileged child could prepare it for its next life. */
static void privsep_check_dir(const char *dir, int is_default)
{
    struct stat sb;
    int r = lstat(dir, &sb);
    /* Create the default only when missing: a mkdir that finds it takes
     * the parent's lock in every session, for nothing. */
    if (r < 0 && errno == ENOENT && is_default) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            log_die(EXIT_TEMP, "cannot create %s: %s", dir, strerror(errno));
        r = lstat(dir, &sb);
    }
    if (r < 0)
        log_die(EXIT_TEMP, "privsep directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & 022))
        log_die(EXIT_TEMP, "privsep directory %s must be a directory owned by "
                "root and writable by nobody else", dir);
}

void privsep_prepare(struct privsep *ps, const char *user, const char *dir)
{
    memset(ps, 0, sizeof *ps);
    if (geteuid() != 0) {
        log_info("running as uid %u, not root: the pre-login parser runs "
                 "without privilege separation", (unsigned)geteuid());
        return;
    }
    struct privsep_acct a;
    privsep_account(user, &a);
    if (a.uid == 0 || a.gid == 0)
        log_die(EXIT_TEMP, "privsep user %s must not be uid or gid 0", a.who);
    ps->enabled = 1;
    ps->uid = a.uid;
    ps->gid = a.gid;
    ps->user = a.who;
    ps->dir = dir ? dir : PRIVSEP_DIR;
    privsep_check_dir(ps->dir, dir == NULL);
}

static void privsep_limit(int resource, rlim_t max)
{
    struct rlimit lim = { max, max };
    if (setrlimit(resource, &lim) == 0)
        return;
    /* Lowering a hard limit never needs privilege; only valgrind refuses
     * it (for RLIMIT_NOFILE).  Keep the soft limit then, and say so. */
    struct rlimit old;
    if (errno == EPERM && getrlimit(resource, &old) == 0) {
        lim.rlim_max = old.rlim_max;
        if (setrlimit(resource, &lim) == 0) {
            log_warn("could only lower the soft limit of resource %d",
                     resource);
            return;
        }
    }
    log_die(EXIT_TEMP, "setrlimit: %s", strerror(errno));
}

/* In the parser child, before it reads a byte: lose root, the file
 * system, and the means to open files (beyond max_files), fork or dump
 * core.  (Not RLIMIT_FSIZE: stdout or stderr may be files under inetd or
 * a test.) */
void privsep_drop(const struct privsep *ps, rlim_t max_files)
{
    if (ps->enabled) {
        if (chroot(ps->dir) < 0 || chdir("/") < 0)
            log_die(EXIT_TEMP, "chroot %s: %s", ps->dir, strerror(errno));
        const char *why;
        if (privdrop_become_list(ps->uid, ps->gid, &ps->gid, 1, &why) < 0)
            log_die(EXIT_TEMP, "cannot become %s: %s: %s", ps->user, why,
                    strerror(errno));
    }
    /* A new descriptor must be below RLIMIT_NOFILE, and fd 0 (the client)
     * stays open, so 1 forbids every open, socket, pipe and dup; poll(2)
     * needs its nfds (1) within the limit, hence never 0. */
    privsep_limit(RLIMIT_NOFILE, max_files ? max_files : 1);
    privsep_limit(RLIMIT_NPROC, 0);
    privsep_limit(RLIMIT_CORE, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
