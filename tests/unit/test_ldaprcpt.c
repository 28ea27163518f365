/* SPDX-License-Identifier: ISC */
/* test_ldaprcpt.c -- lib/ldaprcpt: the answers of checkpassword-ldap
 * --recipients, and the helper's life (started at the first lookup,
 * one process for many, a helper that dies or talks nonsense is a
 * temporary failure and is started anew) against a fake helper, a shell
 * script.  The real helper against a real slapd is
 * tests/integration/deliver-ldap.sh. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldaprcpt.h"
#include "params.h"
#include "tap.h"

static char dir[] = "/tmp/test_ldaprcpt.XXXXXX";
static char conf[300], helper[300], starts[300];

static void parse(void)
{
    struct userdb_entry e;
    char why[200];

    is_int(ldaprcpt_parse("OK\tvmail\t/home/a\t", "a@x.org", &e, why, sizeof why),
           1, "OK with an empty MAILDIR");
    is_str(e.address, "a@x.org", "the address asked about");
    is_str(e.owner, "vmail", "the owner");
    is_str(e.home, "/home/a", "the home");
    is_str(e.maildir, "", "no Maildir of its own: HOME/Maildir");
    ok(e.hash && !*e.hash && e.apop && !*e.apop, "no hash, no APOP secret");
    userdb_entry_free(&e);
    is_int(ldaprcpt_parse("OK\tvmail\t/home/a b\t/srv/mail/a/", "a@x.org", &e,
                          why, sizeof why), 1, "OK with a MAILDIR");
    is_str(e.maildir, "/srv/mail/a/", "its MAILDIR");
    is_str(e.home, "/home/a b", "a space in a path stays");
    userdb_entry_free(&e);
    is_int(ldaprcpt_parse("NO", "a@x.org", &e, why, sizeof why), 0, "NO");
    why[0] = '\0';
    is_int(ldaprcpt_parse("TEMP\tthe directory is unavailable", "a@x.org", &e,
                          why, sizeof why), -1, "TEMP");
    is_str(why, "the directory is unavailable", "with its reason");
    static const char *const bad[] = {
        "", "OK", "OK\tvmail\t/home/a", "OK\tvmail\trelative\t",
        "OK\t\t/home/a\t", "OK\tvm:ail\t/home/a\t", "OK\tvmail\t/home/a\tno/",
        "OK\tvmail\t/home/a\t/m\textra", "YES\tvmail\t/home/a\t", "NOPE",
        "TEMP",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        ok(ldaprcpt_parse(bad[i], "a@x.org", &e, why, sizeof why) == -1
           && strstr(why, "malformed"), "malformed answer '%s' refused", bad[i]);
    }
}

/* The fake helper: answers by the address; counts its starts. */
static void write_helper(void)
{
    FILE *f = fopen(helper, "w");
    fprintf(f, "#!/bin/sh\n"
               "[ \"$1 $2 $3\" = \"--recipients -c %s\" ] || exit 3\n"
               "echo started >>'%s'\n"
               "while read -r a; do\n"
               "  case $a in\n"
               "  alice@*) printf 'OK\\tvmail\\t/home/alice\\t\\n' ;;\n"
               "  down@*) printf 'TEMP\\tthe directory is unavailable\\n' ;;\n"
               "  die@*) exit 0 ;;\n"
               "  junk@*) echo junk ;;\n"
               "  *) echo NO ;;\n"
               "  esac\n"
               "done\n", conf, starts);
    fclose(f);
    chmod(helper, 0755);
}

static int count_starts(void)
{
    FILE *f = fopen(starts, "r");
    int n = 0, ch;
    if (!f)
        return 0;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static void lifecycle(void)
{
    struct userdb_entry e;
    char why[300], err[300];
    struct ldaprcpt *r;
    FILE *f = fopen(conf, "w");

    fputs("uri ldap://127.0.0.1:9\nbase dc=x\ntimeout 1\nop_timeout 1\n", f);
    fclose(f);
    write_helper();
    r = ldaprcpt_new(helper, conf, err, sizeof err);
    ok(r != NULL, "a context: %s", r ? "" : err);
    if (!r)
        return;
    is_int(count_starts(), 0, "no helper before the first lookup");
    is_int(ldaprcpt_lookup(r, "alice@x.org", &e, why, sizeof why), 1,
           "a known recipient: 1");
    is_str(e.home, "/home/alice", "with the helper's home");
    userdb_entry_free(&e);
    is_int(ldaprcpt_lookup(r, "bob@x.org", &e, why, sizeof why), 0,
           "an unknown recipient: 0");
    is_int(ldaprcpt_lookup(r, "down@x.org", &e, why, sizeof why), -1,
           "the directory down: -1");
    is_str(why, "the directory is unavailable", "said as the helper says it");
    is_int(count_starts(), 1, "one helper for all of them");
    is_int(ldaprcpt_lookup(r, "die@x.org", &e, why, sizeof why), -1,
           "a helper that exits: -1");
    ok(strstr(why, "exited") != NULL, "why: %s", why);
    is_int(ldaprcpt_lookup(r, "alice@x.org", &e, why, sizeof why), 1,
           "the next lookup starts it anew");
    userdb_entry_free(&e);
    is_int(count_starts(), 2, "a second start");
    is_int(ldaprcpt_lookup(r, "junk@x.org", &e, why, sizeof why), -1,
           "a malformed answer: -1");
    is_int(ldaprcpt_lookup(r, "alice@x.org", &e, why, sizeof why), 1,
           "and a helper that talks nonsense is replaced");
    userdb_entry_free(&e);
    is_int(count_starts(), 3, "a third start");
    is_int(ldaprcpt_lookup(r, "a\nb@x.org", &e, why, sizeof why), -1,
           "a LF in the address never reaches the helper");
    ldaprcpt_free(r);

    ok(ldaprcpt_new(helper, "/nonexistent/ldap.conf", err, sizeof err) == NULL
       && strstr(err, "cannot read"), "a missing configuration: '%s'", err);
    f = fopen(conf, "w");
    fputs("uri ldap://h\nbase dc=x\nrecipient domain\n", f);
    fclose(f);
    ok(ldaprcpt_new(helper, conf, err, sizeof err) == NULL
       && strstr(err, "line 3"), "a bad configuration, with its line: '%s'", err);
    f = fopen(conf, "w");
    fputs("uri ldap://h\nbase dc=x\n", f);
    fclose(f);
    ok(ldaprcpt_new("/nonexistent/checkpassword-ldap", conf, err, sizeof err)
       == NULL && strstr(err, "lookup helper"), "no helper: '%s'", err);
}

static void beside(void)
{
    char path[PATH_MAX], self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ok(n > 0 && ldaprcpt_helper_beside(path, sizeof path) == 0,
       "the helper's path");
    if (n <= 0)
        return;
    self[n] = '\0';
    strcpy(strrchr(self, '/') + 1, "checkpassword-ldap");
    is_str(path, self, "checkpassword-ldap in this program's directory");
    ok(ldaprcpt_helper_beside(path, 4) == -1, "a buffer too small: -1");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(conf, sizeof conf, "%s/ldap.conf", dir);
    snprintf(helper, sizeof helper, "%s/helper", dir);
    snprintf(starts, sizeof starts, "%s/starts", dir);
    parse();
    lifecycle();
    beside();
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return tap_done();
}
