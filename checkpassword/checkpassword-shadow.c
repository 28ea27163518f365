/* SPDX-License-Identifier: ISC */
/*
 * checkpassword-shadow [-m MINUID] PROG... -- stage 2 for system
 * accounts: the account from getpwnam, the hash from getspnam (or the
 * passwd entry when it holds one), checked with crypt(3).
 *
 * An unknown user gets the same crypt(3) work as a known one (a dummy
 * check against a hash like the system's own), so the time taken does
 * not tell which logins exist.  Locked,
 * empty and expired accounts, uid 0 and uids below MINUID are refused
 * with 1 like a bad password.  APOP is not supported: the timestamp is
 * ignored, and a digest sent as the password simply does not match.
 */
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpw.h"
#include "log.h"
#include "params.h"
#include "privdrop.h"
#include "pwcheck.h"
#include "sysacct.h"
#include "usage.h"
#include "util.h"

static const char usage[] =
    "usage: checkpassword-shadow [-m MINUID] [--syslog] PROG...\n"
    "  Check the credentials on fd 3 against the system's accounts (passwd\n"
    "  and shadow), then run PROG as that user (uid >= MINUID, default\n"
    "  " USAGE_NUM(CPW_MIN_UID_DEFAULT) "; never 0).\n"
    "  Exit 1: bad login, 2: misuse, 111: temporary failure.\n";

/* The stored hash of pw into out: the shadow entry's, or the passwd
 * entry's when that is not the "x" pointer to shadow.  *expired is set
 * for an account past its shadow expiry date.  0, or CPW_TEMP when the
 * shadow file exists but cannot be read (not root). */
static int stored_hash(const struct passwd *pw, char *out, size_t outsz,
                       int *expired)
{
    struct spwd *sp;
    const char *h = pw->pw_passwd;

    *expired = 0;
    out[0] = '\0';
    errno = 0;
    sp = getspnam(pw->pw_name);
    if (sp) {
        long today = (long)(time(NULL) / 86400);
        h = sp->sp_pwdp;
        *expired = sp->sp_expire > 0 && today >= sp->sp_expire;
    } else if (strcmp(h, "x") == 0) {
        if (errno == EACCES || errno == EPERM) {
            log_error("cannot read the shadow entry of %s: %s (run as root)",
                      pw->pw_name, strerror(errno));
            return CPW_TEMP;
        }
        h = "";     /* no shadow entry: locked */
    }
    if (strlen(h) >= outsz)
        h = "";
    strcpy(out, h);
    if (sp)
        wipe(sp->sp_pwdp, strlen(sp->sp_pwdp));
    return 0;
}

/* A hash like the system's own, for an unknown login's dummy check: the
 * first usable one in shadow (a '!' lock stripped), so the work matches
 * the method and cost the system's passwords really use.  "" when there
 * is none (then pwcheck's built-in yescrypt is used). */
static void like_hash(char *out, size_t outsz)
{
    struct spwd *sp;
    out[0] = '\0';
    setspent();
    while ((sp = getspent()) != NULL) {
        const char *h = sp->sp_pwdp;
        if (h[0] == '!')
            h++;
        if (pwcheck_usable(h) && h[0] == '$' && strlen(h) < outsz) {
            strcpy(out, h);
            break;
        }
    }
    endspent();
}

int main(int argc, char **argv)
{
    struct sysacct_opts o;
    struct cpw_creds c;
    struct passwd *pw;
    char hash[PWCHECK_HASH_MAX], tmpl[PWCHECK_HASH_MAX];
    const char *why;
    int first, rc, expired = 0, good;

    log_init("checkpassword-shadow");
    log_connection();   /* the greeter's keys: rip, lip, session (log.h) */
    first = sysacct_args(argc, argv, 0, usage, &o);
    rc = cpw_read(&c);
    if (rc)
        return rc;
    log_set_user(c.login, strlen(c.login));
    pw = c.login[0] ? getpwnam(c.login) : NULL;
    hash[0] = '\0';
    if (pw && (rc = stored_hash(pw, hash, sizeof hash, &expired)) != 0) {
        cpw_wipe(&c);
        return rc;
    }
    /* No hash of its own to work on: unknown, '*', empty. */
    tmpl[0] = '\0';
    if (!pw || !pwcheck_usable(hash[0] == '!' ? hash + 1 : hash))
        like_hash(tmpl, sizeof tmpl);
    good = pwcheck_verify(c.password, pw ? hash : NULL, tmpl) && pw;
    cpw_wipe(&c);
    wipe(hash, sizeof hash);
    wipe(tmpl, sizeof tmpl);
    if (!good)
        return CPW_BAD;
    if (expired) {
        log_warn("login as %s refused: account expired", pw->pw_name);
        return CPW_BAD;
    }
    if (!sysacct_allowed(pw, o.min_uid))
        return CPW_BAD;
    if (privdrop_become(pw->pw_name, pw->pw_uid, pw->pw_gid, &why)) {
        log_error("cannot become %s: %s: %s", pw->pw_name, why,
                  strerror(errno));
        return CPW_TEMP;
    }
    return sysacct_exec(pw, argv + first);
}
