/* SPDX-License-Identifier: ISC */
/*
 * vuser -- add, remove, list virtual POP3 users and set their passwords
 * and APOP secrets in the users file (popkit-users(5)).
 *
 * Secrets come from standard input (one line) or, on a terminal, are
 * asked for twice without echo.  They are read before the file is locked,
 * so a slow typist does not hold up other edits.
 */
#include "config.h"

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

static const char usage[] =
    "usage: vuser [-f FILE] add ADDRESS OWNER HOME\n"
    "       vuser [-f FILE] passwd ADDRESS\n"
    "       vuser [-f FILE] apop ADDRESS\n"
    "       vuser [-f FILE] del ADDRESS\n"
    "       vuser [-f FILE] list\n"
    "       vuser [-f FILE] quota ADDRESS [SIZE[,COUNT]|none]\n"
    "  Manage the virtual POP3 users in FILE (default " DEFAULT_USERS ").\n"
    "  Passwords and APOP secrets are read from standard input, or\n"
    "  asked for twice without echo on a terminal.\n";

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
    if (i + 1 < argc && strcmp(argv[i], "-f") == 0) {
        users_file = argv[i + 1];
        i += 2;
    }
    if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-f") != 0)
        usage_unknown("vuser", argv[i], usage);
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
