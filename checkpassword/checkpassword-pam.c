/* SPDX-License-Identifier: ISC */
/*
 * checkpassword-pam [-s SERVICE] [-n] [-m MINUID] PROG... -- stage 2
 * through PAM.
 *
 * pam_authenticate with a conversation that answers the password prompt,
 * pam_acct_mgmt (an expired or
 * locked account, or one whose password must be changed, is refused),
 * then the groups, pam_setcred, and -- unless -n -- pam_open_session.
 * A session must be closed when the mail session ends, so then a root
 * parent stays behind: it waits for PROG, closes the session and exits
 * with PROG's status.  With -n there is no session and PROG replaces
 * this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "cpw.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "sysacct.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: checkpassword-pam [-s SERVICE] [-n] [-m MINUID] [--syslog] PROG...\n"
    "  Check the credentials on fd 3 against the system's PAM service\n"
    "  (default " CPW_PAM_SERVICE_DEFAULT "), then run PROG as that user (uid >= MINUID,\n"
    "  default " USAGE_NUM(CPW_MIN_UID_DEFAULT) "; never 0).  -n: no PAM session.\n"
    "  Exit 1: bad login, 2: misuse, 111: temporary failure.\n";

struct conv_data {
    const char *password;
};

static void free_replies(struct pam_response *r, int n)
{
    for (int i = 0; i < n; i++)
        if (r[i].resp) {
            wipe(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    free(r);
}

/* Answer every prompt with the password: the login name is given to
 * pam_start, so a prompt, shown or not, can only ask for the secret
 * (pam_matrix's "echo" option asks with echo on).  Messages go to the
 * log. */
static int conversation(int n, const struct pam_message **msg,
                        struct pam_response **resp, void *appdata)
{
    const struct conv_data *d = appdata;
    struct pam_response *r;
    char safe[LOG_TEXT_MAX];

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)n, sizeof *r);
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        const char *answer = NULL;
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            answer = d->password;
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            log_info("PAM: %s", log_safe(safe, sizeof safe, msg[i]->msg,
                                         strlen(msg[i]->msg)));
            continue;
        default:
            free_replies(r, n);
            return PAM_CONV_ERR;
        }
        if (!answer || !(r[i].resp = strdup(answer))) {
            free_replies(r, n);
            return PAM_CONV_ERR;
        }
    }
    /* A module that only shows messages may pass no reply pointer
     * (pam_matrix's "verbose" does). */
    if (resp)
        *resp = r;
    else
        free_replies(r, n);
    return PAM_SUCCESS;
}

/* PAM results that mean "try again later", not "wrong". */
static int is_temporary(int rc)
{
    return rc == PAM_AUTHINFO_UNAVAIL || rc == PAM_BUF_ERR
           || rc == PAM_SYSTEM_ERR || rc == PAM_ABORT || rc == PAM_CONV_ERR
           || rc == PAM_SERVICE_ERR || rc == PAM_OPEN_ERR
           || rc == PAM_SYMBOL_ERR;
}

/* Authenticate and check the account; 0, CPW_BAD or CPW_TEMP. */
static int pam_check(pam_handle_t *h, const char *service)
{
    char safe[LOG_FIELD_MAX];
    const void *user = NULL;
    int rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    if (rc == PAM_SUCCESS) {
        rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        /* The password was right, so the refusal is news for the admin
         * (expired, locked, must change the password). */
        if (rc != PAM_SUCCESS && !is_temporary(rc)) {
            pam_get_item(h, PAM_USER, &user);
            log_warn("login as %s refused by the account stack: %s",
                     user ? log_safe(safe, sizeof safe, user, strlen(user))
                          : "?", pam_strerror(h, rc));
        }
    }
    if (rc == PAM_SUCCESS)
        return 0;
    if (is_temporary(rc)) {
        log_error("PAM service %s: %s", service, pam_strerror(h, rc));
        return CPW_TEMP;
    }
    return CPW_BAD;
}

/* The account PAM authenticated (a module may have mapped the name). */
static struct passwd *pam_account(pam_handle_t *h)
{
    const void *user = NULL;
    struct passwd *pw;
    char safe[LOG_FIELD_MAX];
    if (pam_get_item(h, PAM_USER, &user) != PAM_SUCCESS || !user)
        return NULL;
    pw = getpwnam(user);
    if (!pw)
        log_error("PAM accepted %s, which has no passwd entry",
                  log_safe(safe, sizeof safe, user, strlen(user)));
    return pw;
}

/* Copy PAM's environment (pam_env, session modules) into ours. */
static void import_pam_env(pam_handle_t *h)
{
    char **env = pam_getenvlist(h);
    if (!env)
        return;
    /* setenv copies: a putenv'd string replaced later (USER, HOME by
     * privdrop) would be lost memory. */
    for (char **e = env; *e; e++) {
        char *eq = strchr(*e, '=');
        if (eq) {
            *eq = '\0';
            setenv(*e, eq + 1, 1);
        }
        free(*e);
    }
    free(env);
}

/* Open the session and stay behind as root to close it when PROG ends. */
static int run_with_session(pam_handle_t *h, const struct passwd *pw,
                            char **prog)
{
    const char *why;
    pid_t pid;
    int rc = pam_open_session(h, PAM_SILENT), status, null;

    if (rc != PAM_SUCCESS) {
        log_error("pam_open_session: %s", pam_strerror(h, rc));
        return is_temporary(rc) ? CPW_TEMP : CPW_BAD;
    }
    pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        pam_close_session(h, PAM_SILENT);
        return CPW_TEMP;
    }
    if (pid == 0) {
        import_pam_env(h);
        if (privdrop_set_ids(pw->pw_uid, pw->pw_gid, &why)) {
            log_error("cannot become %s: %s: %s", pw->pw_name, why,
                      strerror(errno));
            _exit(CPW_TEMP);
        }
        _exit(sysacct_exec(pw, prog));
    }
    /* The client belongs to the child now: let go of it, so the
     * connection closes when the child ends. */
    null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 1)
            close(null);
    }
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pam_close_session(h, PAM_SILENT);
    pam_setcred(h, PAM_DELETE_CRED | PAM_SILENT);
    return WIFEXITED(status) ? WEXITSTATUS(status) : CPW_TEMP;
}

static int run_without_session(pam_handle_t *h, const struct passwd *pw,
                               char **prog)
{
    const char *why;
    import_pam_env(h);
    if (privdrop_set_ids(pw->pw_uid, pw->pw_gid, &why)) {
        log_error("cannot become %s: %s: %s", pw->pw_name, why,
                  strerror(errno));
        return CPW_TEMP;
    }
    /* Modules' data and descriptors are released before PROG runs; the
     * handle is gone, so a failed exec ends here rather than in main. */
    pam_end(h, PAM_SUCCESS | PAM_DATA_SILENT);
    exit(sysacct_exec(pw, prog));
}

/* After a successful check: policy, groups, credentials, then PROG. */
static int login(pam_handle_t *h, const struct sysacct_opts *o, char **prog)
{
    struct passwd *pw = pam_account(h);
    const char *why;
    int rc;

    if (!pw)
        return CPW_TEMP;
    if (!sysacct_allowed(pw, o->min_uid))
        return CPW_BAD;
    /* Groups first, so pam_setcred (pam_group) can add to them. */
    if (privdrop_set_groups(pw->pw_name, pw->pw_gid, &why)) {
        log_error("cannot set the groups of %s: %s: %s", pw->pw_name, why,
                  strerror(errno));
        return CPW_TEMP;
    }
    rc = pam_setcred(h, PAM_ESTABLISH_CRED | PAM_SILENT);
    if (rc != PAM_SUCCESS) {
        log_error("pam_setcred: %s", pam_strerror(h, rc));
        return is_temporary(rc) ? CPW_TEMP : CPW_BAD;
    }
    if (o->no_session)
        return run_without_session(h, pw, prog);
    return run_with_session(h, pw, prog);
}

/* Whether dir/service exists (or cannot be told not to). */
static int has_service(const char *dir, const char *service)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, service);
    return n < 0 || (size_t)n >= sizeof path || access(path, F_OK) == 0 ||
           errno != ENOENT;
}

/* A -s SERVICE with no file (a typo) makes PAM use the service "other"
 * without a word: say so at every login.  Without the directory PAM
 * reads /etc/pam.conf: nothing to check.  Under pam_wrapper (the tests)
 * the services are where PAM_WRAPPER_SERVICE_DIR says. */
static void warn_missing_service(const char *service)
{
    const char *dir = CPW_PAM_DIR;
    const char *w = getenv("PAM_WRAPPER_SERVICE_DIR");
    struct stat st;
    int wrapped = getenv("PAM_WRAPPER") && w && *w;
    if (wrapped)
        dir = w;
    if (stat(dir, &st) < 0 || has_service(dir, service) ||
        (!wrapped && has_service(CPW_PAM_VENDOR_DIR, service)))
        return;
    log_warn("PAM service %s: no %s/%s, so PAM uses its service "
             "\"other\" (a typo in -s?)", service, dir, service);
}

int main(int argc, char **argv)
{
    struct sysacct_opts o;
    struct cpw_creds c;
    struct conv_data d;
    struct pam_conv conv = {conversation, &d};
    pam_handle_t *h = NULL;
    const char *rhost = getenv("TCPREMOTEIP");
    int first, rc;

    log_init("checkpassword-pam");
    log_connection();   /* the greeter's keys: rip, lip, session (log.h) */
    first = sysacct_args(argc, argv, 1, usage, &o);
    rc = cpw_read(&c);
    if (rc)
        return rc;
    log_set_user(c.login, strlen(c.login));
    if (!c.login[0]) {
        cpw_wipe(&c);
        return CPW_BAD;
    }
    d.password = c.password;
    warn_missing_service(o.service);
    rc = pam_start(o.service, c.login, &conv, &h);
    if (rc != PAM_SUCCESS) {
        log_error("pam_start %s: %s", o.service, pam_strerror(h, rc));
        cpw_wipe(&c);
        return CPW_TEMP;
    }
    if (rhost && *rhost)
        pam_set_item(h, PAM_RHOST, rhost);
    rc = pam_check(h, o.service);
    /* The password is not needed past the check. */
    cpw_wipe(&c);
    d.password = NULL;
    if (rc == 0)
        rc = login(h, &o, argv + first);
    pam_end(h, rc == 0 ? PAM_SUCCESS : PAM_AUTH_ERR);
    return rc;
}
