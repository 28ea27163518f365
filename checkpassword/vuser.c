/* SPDX-License-Identifier: ISC */
/*
 * vuser -- add, remove, list virtual POP3 users and set their passwords
 * and APOP secrets in the users file (popkit-users(5)).
 *
 * Secrets come from standard input (one line) or, on a terminal, are
 * asked for twice without echo.  They are read before the file is locked,
 * so a slow typist does not hold up other edits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "acctfile.h"
#include "aliases.h"
#include "linefile.h"
#include "log.h"
#include "mdmake.h"
#include "mdquota.h"
#include "params.h"
#include "privdrop.h"
#include "pwcheck.h"
#include "usage.h"
#include "userdb.h"
#include "util.h"

#define DEFAULT_USERS CPW_USERS_FILE
/* Room for a secret, its newline and one byte more to notice overlong. */
#define SECRET_BUF (PWCHECK_PASSWORD_MAX + 3)

static const char *users_file = DEFAULT_USERS;
static const char *alias_dir = ALIASES_DIR;

static const char usage[] =
    "usage: vuser [-f FILE] add ADDRESS OWNER HOME\n"
    "       vuser [-f FILE] passwd ADDRESS\n"
    "       vuser [-f FILE] apop ADDRESS\n"
    "       vuser [-f FILE] del ADDRESS\n"
    "       vuser [-f FILE] list\n"
    "       vuser [-f FILE] quota ADDRESS [SIZE[,COUNT]|none]\n"
    "       vuser [-f FILE] [-a DIR] alias add NAME@DOMAIN ADDRESS...\n"
    "       vuser [-f FILE] [-a DIR] alias del NAME@DOMAIN\n"
    "       vuser [-a DIR] alias list [DOMAIN]\n"
    "  Manage the virtual POP3 users in FILE (default " DEFAULT_USERS ").\n"
    "  Passwords and APOP secrets are read from standard input, or\n"
    "  asked for twice without echo on a terminal.\n"
    "  Aliases are in DIR/DOMAIN (default " ALIASES_DIR ").\n";

/* ---- reading secrets ---- */

/* Read one line from fd into buf (size n) byte by byte, so no copy stays
 * in a stdio buffer.  Returns its length without the line end, or -1 when
 * it is too long, holds a NUL, or cannot be read. */
static ssize_t read_secret_line(int fd, char *buf, size_t n)
{
    size_t len = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0 || ch == '\n')
            break;
        if (ch == '\0' || len + 1 >= n)
            return -1;
        buf[len++] = ch;
    }
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    return (ssize_t)len;
}

/* Prompt on the terminal with echo off.  Echo goes off (and what was
 * typed before the prompt is discarded) before the prompt is shown, so
 * an answer typed as soon as it appears is never lost. */
static ssize_t ask_secret(const char *prompt, char *buf, size_t n)
{
    struct termios old, quiet;
    ssize_t len;
    if (tcgetattr(0, &old))
        return -1;
    quiet = old;
    quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
    tcsetattr(0, TCSAFLUSH, &quiet);
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    len = read_secret_line(0, buf, n);
    tcsetattr(0, TCSANOW, &old);
    fprintf(stderr, "\n");
    return len;
}

/* The secret (what names it: "password", "APOP secret") into buf.
 * Returns its length, or -1 after saying why. */
static ssize_t get_secret(const char *what, const char *address, char *buf,
                          size_t n)
{
    char again[SECRET_BUF], prompt[USERDB_ADDRESS_MAX + 64];
    ssize_t len, len2;

    if (!isatty(0)) {
        len = read_secret_line(0, buf, n);
        if (len < 0)
            log_error("%s on standard input: unreadable, too long (max %d)"
                      " or holding a NUL", what, PWCHECK_PASSWORD_MAX);
        return len;
    }
    snprintf(prompt, sizeof prompt, "New %s for %s: ", what, address);
    len = ask_secret(prompt, buf, n);
    snprintf(prompt, sizeof prompt, "Retype new %s: ", what);
    len2 = len < 0 ? -1 : ask_secret(prompt, again, sizeof again);
    if (len < 0 || len2 < 0 || len != len2 || memeq_ct(buf, again, (size_t)len)) {
        log_error("the two entries differ or are too long; nothing changed");
        len = -1;
    }
    wipe(again, sizeof again);
    return len;
}

/* A new crypt hash of a password read as above into hash[PWCHECK_HASH_MAX]. */
static int new_hash(const char *address, char *hash)
{
    char pw[SECRET_BUF];
    ssize_t len = get_secret("password", address, pw, sizeof pw);
    int rc = -1;
    if (len == 0)
        log_error("empty password refused");
    else if (len > 0 && pwcheck_hash(pw, hash, PWCHECK_HASH_MAX))
        log_error("cannot hash the password: %s", strerror(errno));
    else if (len > 0)
        rc = 0;
    wipe(pw, sizeof pw);
    return rc;
}

/* ---- the Maildir ---- */

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path, mode_t mode, int *made)
{
    struct stat st;
    *made = 0;
    if (mkdir(path, mode) == 0) {
        *made = 1;
        return 0;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (errno == EEXIST)
        errno = ENOTDIR;
    return -1;
}

/* Give a directory we just made to the owner, without following links. */
static int give(const char *path, const struct acctfile *owner)
{
    int fd, rc;
    if (geteuid() != 0)
        return 0;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fchown(fd, owner->uid, owner->gid);
    close(fd);
    return rc;
}

/* The parents of home, as root's 0755 directories. */
static int make_parents(const char *home)
{
    char path[USERDB_HOME_MAX + 1];
    int made;
    snprintf(path, sizeof path, "%s", home);
    for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (make_dir(path, 0755, &made))
            return -1;
        *p = '/';
    }
    return 0;
}

/* HOME (0700 if new) and the Maildir HOME/Maildir (lib/mdmake.h), the
 * new ones given to the owner when run as root. */
static int make_maildir(const char *home, const struct acctfile *owner)
{
    char path[USERDB_HOME_MAX + sizeof "/Maildir"];
    int made;

    if (make_parents(home) || make_dir(home, 0700, &made)
        || (made && give(home, owner))) {
        log_error("cannot make %s: %s", home, strerror(errno));
        return -1;
    }
    int root = geteuid() == 0;
    struct mdmake_fail f;
    snprintf(path, sizeof path, "%s/Maildir", home);
    if (mdmake(path, 1, root ? owner->uid : (uid_t)-1,
               root ? owner->gid : (gid_t)-1, &f) < 0) {
        log_error("cannot make %s: %s", f.path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- commands ---- */

static int load(struct userdb *db)
{
    if (userdb_load(db, users_file) == 0)
        return 0;
    log_error("cannot read %s: %s%s", users_file,
              errno == EINVAL ? "it holds a NUL byte" : strerror(errno),
              errno == ENOENT ? " (vuser add creates it)" : "");
    userdb_close(db);
    return -1;
}

static int save(struct userdb *db)
{
    int rc = userdb_commit(db);
    if (rc)
        log_error("cannot write %s: %s (it is unchanged)", users_file,
                  strerror(errno));
    userdb_close(db);
    return rc ? 1 : 0;
}

static int check_address(const char *a)
{
    if (userdb_valid_address(a))
        return 0;
    log_error("bad address '%s': want local@domain, at most %d characters,"
              " no spaces, colons or control characters", a,
              USERDB_ADDRESS_MAX);
    return -1;
}

/* Say why owner is not a local account: NSS may know it (LDAP, systemd
 * dynamic users), but checkpassword-virtual reads only the local files,
 * so a login would fail with 111; better to refuse it here. */
static void owner_not_local(const char *owner)
{
    if (getpwnam(owner))
        log_error("owner %s is not a local account: it is not in %s (the"
                  " system finds it through NSS, e.g. LDAP), and"
                  " checkpassword-virtual reads only %s and %s, without"
                  " NSS; make a local account (adduser --system) instead",
                  owner, ACCTFILE_PASSWD, ACCTFILE_PASSWD, ACCTFILE_GROUP);
    else
        log_error("owner %s: no such user", owner);
}

/* The owner as checkpassword-virtual will find it at login: a local
 * account (acctfile.h), not root.  0 and *a filled, or -1 after saying
 * why. */
static int check_owner(const char *owner, struct acctfile *a)
{
    int rc;
    if (!userdb_valid_owner(owner)) {
        log_error("bad owner name '%s'", owner);
        return -1;
    }
    rc = acctfile_find(ACCTFILE_PASSWD, ACCTFILE_GROUP, owner, a);
    if (rc < 0) {
        log_error("cannot read %s or %s: %s", ACCTFILE_PASSWD,
                  ACCTFILE_GROUP, strerror(errno));
        return -1;
    }
    if (rc == 0)
        owner_not_local(owner);
    else if (a->uid == 0)
        log_error("owner %s has uid 0: mail is never served as root", owner);
    else if (geteuid() != 0 && geteuid() != a->uid)
        log_error("only root can add users owned by %s", owner);
    else
        return 0;
    if (rc == 1)
        acctfile_free(a);
    return -1;
}

/* The first add makes the users file, and its directory (0755, as
 * /etc/popkit: the file itself is 0600) when that is missing too; both
 * said on stderr, so a mistyped -f does not pass unnoticed. */
static int make_users_dir(void)
{
    char dir[PATH_MAX];
    int made;
    const char *slash = strrchr(users_file, '/');
    if (!slash || slash == users_file || access(users_file, F_OK) == 0)
        return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - users_file), users_file);
    if (make_dir(dir, 0755, &made) < 0) {
        log_error("cannot make %s for %s: %s", dir, users_file, strerror(errno));
        return -1;
    }
    if (made)
        log_info("made the directory %s", dir);
    return 0;
}

/* Put e in the users file and make its Maildir.  0, or 1 after saying
 * why. */
static int store_user(const struct userdb_entry *e,
                      const struct acctfile *owner)
{
    struct userdb db;
    if (make_users_dir() || load(&db))
        return 1;
    if (!db.file.exists)
        log_info("%s does not exist: creating it (mode 600)", users_file);
    if (userdb_find(&db, e->address) >= 0) {
        log_error("%s already exists in %s", e->address, users_file);
        userdb_close(&db);
        return 1;
    }
    if (make_maildir(e->home, owner) || userdb_put(&db, e)) {
        userdb_close(&db);
        return 1;
    }
    return save(&db);
}

static int add_user(char **av, const struct acctfile *owner)
{
    struct userdb_entry e = {.address = av[0], .owner = av[1],
                             .home = av[2], .apop = ""};
    char hash[PWCHECK_HASH_MAX];
    int rc;

    if (!userdb_valid_home(av[2])) {
        log_error("bad home '%s': want an absolute path without colons or"
                  " control characters", av[2]);
        return 1;
    }
    if (new_hash(av[0], hash))
        return 1;
    e.hash = hash;
    rc = store_user(&e, owner);
    wipe(hash, sizeof hash);
    return rc;
}

static int cmd_add(char **av)
{
    struct acctfile owner;
    int rc;

    if (check_address(av[0]) || check_owner(av[1], &owner))
        return 1;
    rc = add_user(av, &owner);
    acctfile_free(&owner);
    return rc;
}

/* Load the file and the entry for address; 0, or 1 after saying why. */
static int load_entry(struct userdb *db, const char *address,
                      struct userdb_entry *e)
{
    long i;
    if (load(db))
        return 1;
    i = userdb_find(db, address);
    if (i < 0 || userdb_get(db, (size_t)i, e) != 1) {
        log_error("%s: no such user in %s", address, users_file);
        userdb_close(db);
        return 1;
    }
    return 0;
}

static int cmd_passwd(char **av)
{
    char hash[PWCHECK_HASH_MAX];
    struct userdb db;
    struct userdb_entry e;
    int rc;

    if (check_address(av[0]) || new_hash(av[0], hash))
        return 1;
    if (load_entry(&db, av[0], &e))
        return 1;
    e.hash = hash;
    rc = userdb_put(&db, &e);
    wipe(hash, sizeof hash);
    userdb_entry_free(&e);
    if (rc) {
        userdb_close(&db);
        return 1;
    }
    return save(&db);
}

static void to_hex(const char *s, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[(unsigned char)s[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    out[2 * n] = '\0';
}

static int cmd_apop(char **av)
{
    char secret[SECRET_BUF], hex[2 * USERDB_APOP_SECRET_MAX + 1];
    struct userdb db;
    struct userdb_entry e;
    ssize_t len;
    int rc;

    if (check_address(av[0]))
        return 1;
    len = get_secret("APOP secret", av[0], secret, sizeof secret);
    if (len > USERDB_APOP_SECRET_MAX)
        log_error("APOP secret longer than %d bytes", USERDB_APOP_SECRET_MAX);
    if (len < 0 || len > USERDB_APOP_SECRET_MAX) {
        wipe(secret, sizeof secret);
        return 1;
    }
    to_hex(secret, (size_t)len, hex);
    wipe(secret, sizeof secret);
    if (load_entry(&db, av[0], &e)) {
        wipe(hex, sizeof hex);
        return 1;
    }
    e.apop = hex;
    rc = userdb_put(&db, &e);
    wipe(hex, sizeof hex);
    userdb_entry_free(&e);
    if (rc) {
        userdb_close(&db);
        return 1;
    }
    if (len == 0)
        log_info("%s: APOP secret removed", av[0]);
    return save(&db);
}

static int cmd_del(char **av)
{
    struct userdb db;
    if (load(&db))
        return 1;
    if (userdb_del(&db, av[0])) {
        log_error("%s: no such user in %s", av[0], users_file);
        userdb_close(&db);
        return 1;
    }
    log_info("%s removed; its Maildir is kept", av[0]);
    return save(&db);
}

static int cmd_list(char **av)
{
    struct userdb db;
    if (load(&db))
        return 1;
    for (size_t i = 0; i < db.file.n; i++) {
        struct userdb_entry e;
        int rc = userdb_get(&db, i, &e);
        if (rc < 0)
            log_warn("%s:%zu: malformed line, ignored by checkpassword-virtual",
                     users_file, i + 1);
        if (rc != 1)
            continue;
        printf("%s\t%s\t%s\t%s%s\n", e.address, e.owner, e.home,
               pwcheck_usable(e.hash) ? "password" : "locked",
               *e.apop ? ",apop" : "");
        userdb_entry_free(&e);
    }
    userdb_close(&db);
    return fflush(stdout) ? 1 : 0;
}

/* ---- quota: the user's maildirsize (lib/mdquota.h) ---- */

/* Open address's HOME/Maildir as its owner: root becomes the owner for
 * good first, so a maildirsize made here is the owner's, as the mail.
 * The fd, or -1 after saying why. */
static int open_user_maildir(const char *address)
{
    struct userdb db;
    struct userdb_entry e;
    struct acctfile owner;
    char path[USERDB_HOME_MAX + sizeof "/Maildir"];
    const char *why = "";
    if (load_entry(&db, address, &e))
        return -1;
    snprintf(path, sizeof path, "%s/Maildir", e.home);
    int found = acctfile_find(ACCTFILE_PASSWD, ACCTFILE_GROUP, e.owner, &owner);
    if (found != 1)
        log_error("%s: owner %s is not a local account", address, e.owner);
    userdb_entry_free(&e);
    userdb_close(&db);
    if (found != 1)
        return -1;
    int rc = geteuid() == 0 && privdrop_become_list(owner.uid, owner.gid,
                                                    owner.groups,
                                                    owner.ngroups, &why);
    acctfile_free(&owner);
    if (rc) {
        log_error("cannot become the owner: %s: %s", why, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        log_error("cannot open %s: %s", path, strerror(errno));
    return fd;
}

/* One line: address, the definition and the usage, or "none". */
static int print_quota(const char *address, const struct mdquota *q)
{
    if (!q->defined)
        printf("%s\tnone\n", address);
    else {
        char def[MDQUOTA_LINE_MAX];
        mdquota_format_def(&q->def, def);
        printf("%s\t%s\t%llu octets\t%llu messages\n", address, def,
               (unsigned long long)q->bytes, (unsigned long long)q->count);
    }
    return fflush(stdout) ? 1 : 0;
}

static int cmd_quota_show(char **av)
{
    struct mdquota q;
    if (check_address(av[0]))
        return 1;
    int fd = open_user_maildir(av[0]);
    if (fd < 0)
        return 1;
    int r = mdquota_load(fd, &q);
    close(fd);
    if (r < 0) {
        log_error("cannot read %s: %s", MDQUOTA_NAME, strerror(errno));
        return 1;
    }
    return print_quota(av[0], &q);
}

static int cmd_quota_set(char **av)
{
    struct mdquota_def d;
    struct mdquota q = { 0 };
    int none = strcmp(av[1], "none") == 0;
    if (check_address(av[0]))
        return 1;
    if (!none && mdquota_parse_arg(av[1], &d)) {
        log_error("bad quota '%s': want SIZE or SIZE,COUNT (octets, messages;"
                  " 0 for no limit), or none", av[1]);
        return 1;
    }
    int fd = open_user_maildir(av[0]);
    if (fd < 0)
        return 1;
    int r = none ? mdquota_unset(fd) : mdquota_set(fd, &d, &q);
    close(fd);
    if (r < 0) {
        log_error("cannot write %s: %s", MDQUOTA_NAME, strerror(errno));
        return 1;
    }
    return print_quota(av[0], &q);
}

/* ---- aliases (popkit-aliases(5)) ---- */

/* NAME@DOMAIN split into the alias name and the path of its domain's
 * file (ALIASDIR/domain, in lower case).  0, or -1 after saying why. */
static int alias_where(const char *address, char *name, char *path,
                       size_t pathsz)
{
    const char *at = strrchr(address, '@');
    if (check_address(address))
        return -1;
    snprintf(name, ALIASES_NAME_MAX + 1, "%.*s", (int)(at - address), address);
    if ((size_t)(at - address) > ALIASES_NAME_MAX || !aliases_valid_name(name)) {
        log_error("bad alias name in '%s': at most %d characters, none of"
                  " :@,\"\\()<>; or blanks", address, ALIASES_NAME_MAX);
        return -1;
    }
    if (aliases_path(alias_dir, at + 1, path, pathsz)) {
        log_error("%s/%s: path too long", alias_dir, at + 1);
        return -1;
    }
    return 0;
}

/* The file locked and parsed; 0, or 1 after saying why. */
static int alias_load(struct linefile *f, struct alias_table *t,
                      const char *path)
{
    size_t *len;
    if (linefile_load(f, path, 0644)) {
        log_error("cannot read %s: %s", path,
                  errno == EINVAL ? "it holds a NUL byte" : strerror(errno));
        linefile_close(f);
        return 1;
    }
    len = malloc((f->n + 1) * sizeof *len);
    for (size_t i = 0; len && i < f->n; i++)
        len[i] = strlen(f->lines[i]);
    if (!len || aliases_parse(f->lines, len, f->n, t)) {
        log_error("out of memory");
        free(len);
        linefile_close(f);
        return 1;
    }
    free(len);
    return 0;
}

static int alias_save(struct linefile *f, struct alias_table *t)
{
    int rc = linefile_commit(f);
    if (rc)
        log_error("cannot write %s: %s (it is unchanged)", f->path,
                  strerror(errno));
    aliases_table_free(t);
    linefile_close(f);
    return rc ? 1 : 0;
}

static int alias_fail(struct linefile *f, struct alias_table *t)
{
    aliases_table_free(t);
    linefile_close(f);
    return 1;
}

/* Is address a user?  Mail for a user goes to its Maildir whatever the
 * alias files say, so an alias of that name would never be used. */
static int alias_is_user(const char *address)
{
    struct userdb_entry e;
    int rc = userdb_lookup(users_file, address, &e, NULL, 0, NULL);
    if (rc == 1) {
        log_error("%s is a user in %s: its mail goes to its Maildir, an"
                  " alias of that name would never be used", address,
                  users_file);
        userdb_entry_free(&e);
    }
    return rc == 1;
}

/* After an edit: what resolving the alias gives now, said when it fails
 * (a loop, an unknown target), so the admin learns it before mail does. */
static void alias_check(const char *address)
{
    struct aliases *a = aliases_open(users_file, alias_dir);
    struct aliases_result r = {0};
    if (!a)
        return;
    if (aliases_resolve(a, address, &r) != ALIASES_OK)
        log_warn("%s does not resolve now: %s", address, r.why);
    aliases_result_free(&r);
    aliases_close(a);
}

/* The alias directory (0755) when missing, and its parent (the
 * /etc/popkit of the default, on a site with no users file yet), said on
 * stderr. */
static int make_alias_dir(void)
{
    const char *slash = strrchr(alias_dir, '/');
    int made, rc = make_dir(alias_dir, 0755, &made);
    if (rc < 0 && errno == ENOENT && slash && slash != alias_dir) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - alias_dir), alias_dir);
        if (make_dir(parent, 0755, &made) == 0 && made)
            log_info("made the directory %s", parent);
        rc = make_dir(alias_dir, 0755, &made);
    }
    if (rc < 0) {
        log_error("cannot make %s: %s", alias_dir, strerror(errno));
        return -1;
    }
    if (made)
        log_info("made the directory %s", alias_dir);
    return 0;
}

/* The targets of old (may be NULL) and then the new ones not yet there. */
static char **merge_targets(const struct alias_entry *old, char **add,
                            int nadd, size_t *n)
{
    size_t have = old ? old->ntargets : 0;
    char **all = malloc((have + (size_t)nadd) * sizeof *all);
    *n = 0;
    if (!all)
        return NULL;
    for (size_t i = 0; i < have; i++)
        all[(*n)++] = old->targets[i];
    for (int i = 0; i < nadd; i++) {
        size_t k = 0;
        while (k < *n && !userdb_addr_eq(all[k], add[i]))
            k++;
        if (k == *n)
            all[(*n)++] = add[i];
    }
    return all;
}

/* Replace old's lines (or append) with the entry name: targets. */
static int put_entry(struct linefile *f, const struct alias_entry *old,
                     const char *name, char **targets, size_t n)
{
    size_t nl, at = old ? old->line - 1 : f->n;
    char **lines = aliases_format(name, targets, n, &nl);
    if (!lines)
        return -1;
    if (old)
        linefile_remove(f, at, old->nlines);
    for (size_t i = 0; i < nl; i++)
        if (linefile_insert(f, at + i, lines[i])) {
            for (size_t k = i; k < nl; k++)
                free(lines[k]);
            free(lines);
            return -1;
        }
    free(lines);
    return 0;
}

static int alias_add(const char *address, char **targets, int ntargets)
{
    char name[ALIASES_NAME_MAX + 1], path[PATH_MAX];
    struct linefile f;
    struct alias_table t;
    const struct alias_entry *old, *bad;
    char **all;
    size_t n;
    int rc;

    if (alias_where(address, name, path, sizeof path))
        return 1;
    for (int i = 0; i < ntargets; i++)
        if (!aliases_valid_target(targets[i])) {
            log_error("bad target '%s': want a name of the same domain or"
                      " local@domain (no pipes, files or :include:)", targets[i]);
            return 1;
        }
    if (alias_is_user(address) || make_alias_dir() || alias_load(&f, &t, path))
        return 1;
    old = aliases_find(&t, name, &bad);
    if (!old && bad) {
        log_error("%s:%zu: the entry for %s is bad (%s); fix or del it first",
                  path, bad->line, name, bad->error);
        return alias_fail(&f, &t);
    }
    all = merge_targets(old, targets, ntargets, &n);
    if (!all || n > ALIASES_TARGETS_MAX) {
        log_error(all ? "more than %d targets" : "out of memory", ALIASES_TARGETS_MAX);
        free(all);
        return alias_fail(&f, &t);
    }
    if (put_entry(&f, old, old ? old->name : name, all, n)) {
        log_error("out of memory");
        free(all);
        return alias_fail(&f, &t);
    }
    free(all);
    rc = alias_save(&f, &t);
    if (rc == 0)
        alias_check(address);
    return rc;
}

static int alias_del(const char *address)
{
    char name[ALIASES_NAME_MAX + 1], path[PATH_MAX];
    struct linefile f;
    struct alias_table t;
    size_t removed = 0;

    if (alias_where(address, name, path, sizeof path))
        return 1;
    if (access(path, F_OK)) {
        log_error("%s: no such alias (no file %s)", address, path);
        return 1;
    }
    if (alias_load(&f, &t, path))
        return 1;
    /* Every entry of the name, bad ones too, from the last up so the
     * line numbers of the others stay right. */
    for (size_t i = t.n; i-- > 0;)
        if (userdb_addr_eq(t.e[i].name, name)) {
            linefile_remove(&f, t.e[i].line - 1, t.e[i].nlines);
            removed++;
        }
    if (!removed) {
        log_error("%s: no such alias in %s", address, path);
        return alias_fail(&f, &t);
    }
    return alias_save(&f, &t);
}

/* Print the good entries of one domain's file, warn about the bad ones. */
static int alias_list_domain(const char *domain)
{
    char path[PATH_MAX];
    struct linefile f;
    struct alias_table t;

    if (aliases_path(alias_dir, domain, path, sizeof path)) {
        log_error("bad domain '%s'", domain);
        return 1;
    }
    if (access(path, F_OK))
        return 0;   /* no aliases */
    if (alias_load(&f, &t, path))
        return 1;
    for (size_t i = 0; i < t.n; i++) {
        const struct alias_entry *e = &t.e[i];
        if (e->error) {
            log_warn("%s:%zu: %s; ignored at delivery", path, e->line, e->error);
            continue;
        }
        printf("%s@%s\t", e->name, path + strlen(alias_dir) + 1);
        for (size_t k = 0; k < e->ntargets; k++)
            printf("%s%s", k ? " " : "", e->targets[k]);
        printf("\n");
    }
    aliases_table_free(&t);
    linefile_close(&f);
    return 0;
}

/* A file of ALIASDIR that is a domain's: not a lock, not a temporary. */
static int is_domain_file(const char *name)
{
    char path[PATH_MAX];
    size_t n = strlen(name);
    return name[0] != '.' && !(n > 5 && strcmp(name + n - 5, ".lock") == 0)
           && !strstr(name, ".tmp")
           && aliases_path(alias_dir, name, path, sizeof path) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int alias_list_all(void)
{
    DIR *d = opendir(alias_dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (!d) {
        log_error("cannot read %s: %s%s", alias_dir, strerror(errno),
                  errno == ENOENT ? " (vuser alias add makes it)" : "");
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        char **p;
        if (!is_domain_file(de->d_name))
            continue;
        p = realloc(names, (n + 1) * sizeof *p);
        if (!p || !(p[n] = strdup(de->d_name))) {
            names = p ? p : names;
            rc = 1;
            break;
        }
        names = p;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        rc |= alias_list_domain(names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* vuser alias add NAME@DOMAIN ADDRESS... | del NAME@DOMAIN | list [DOMAIN] */
static int cmd_alias(int ac, char **av)
{
    if (ac >= 3 && strcmp(av[0], "add") == 0)
        return alias_add(av[1], av + 2, ac - 2);
    if (ac == 2 && strcmp(av[0], "del") == 0)
        return alias_del(av[1]);
    if ((ac == 1 || ac == 2) && strcmp(av[0], "list") == 0) {
        int rc = ac == 2 ? alias_list_domain(av[1]) : alias_list_all();
        return fflush(stdout) ? 1 : rc;
    }
    if (ac == 0)
        usage_misuse("vuser", usage, "no alias command given");
    usage_misuse("vuser", usage, "no alias command '%s' with %d argument(s)",
                 av[0], ac - 1);
}

static const struct {
    const char *name;
    int nargs;
    int (*run)(char **av);
} commands[] = {
    {"add", 3, cmd_add},   {"passwd", 1, cmd_passwd}, {"apop", 1, cmd_apop},
    {"del", 1, cmd_del},   {"list", 0, cmd_list},
    {"quota", 1, cmd_quota_show}, {"quota", 2, cmd_quota_set},
};

int main(int argc, char **argv)
{
    int i = 1;

    log_init("vuser");
    usage_std(argc, argv, "vuser", usage);
    while (i + 1 < argc && (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "-a") == 0)) {
        if (argv[i][1] == 'f')
            users_file = argv[i + 1];
        else
            alias_dir = argv[i + 1];
        i += 2;
    }
    if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-f") != 0
        && strcmp(argv[i], "-a") != 0)
        usage_unknown("vuser", argv[i], usage);
    if (i < argc && strcmp(argv[i], "alias") == 0) {
        umask(022);
        return cmd_alias(argc - i - 1, argv + i + 1);
    }
    for (size_t c = 0; i < argc && c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[i], commands[c].name) == 0
            && argc - i - 1 == commands[c].nargs) {
            umask(022);
            return commands[c].run(argv + i + 1);
        }
    if (i >= argc)
        usage_misuse("vuser", usage, "no command given");
    usage_misuse("vuser", usage, "no command '%s' with %d argument(s)",
                 argv[i], argc - i - 1);
}
