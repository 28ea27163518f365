/* SPDX-License-Identifier: ISC */
/*
 * qail, qine, qlm, elq, pinq -- fold the Maildir into the mbox with
 * maildir2mbox, then start an mbox mail reader with the user's arguments.
 *
 * One program; what it starts depends on the name it was run by:
 *   qail            mail, then Mail
 *   qine, pinq      pine, then alpine
 *   qlm, elq        elm
 * An administrator may also install it under a reader's own name (mail,
 * Mail, pine, alpine, elm): it then starts the next program of that name
 * on PATH that is not itself, or NAME.real.
 *
 * MAILDIR and MAIL default to $HOME/Maildir/ and $HOME/Mailbox, and are
 * exported so the reader opens the mbox maildir2mbox filled.  The reader
 * is looked for first: without one no mail is folded into an mbox that
 * nothing would open.  If maildir2mbox fails, the reader is not started:
 * mail left in the Maildir would look lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "mailenv.h"
#include "usage.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

struct flavour {
    const char *names[3];     /* names this flavour is run by */
    const char *readers[3];   /* readers to try, in order */
};

static const struct flavour flavours[] = {
    { { "qail", "mail", "Mail" }, { "mail", "Mail", NULL } },
    { { "qine", "pinq", "pine" }, { "pine", "alpine", NULL } },
    { { "alpine", NULL, NULL }, { "alpine", "pine", NULL } },
    { { "qlm", "elq", "elm" }, { "elm", NULL, NULL } },
};

static const struct flavour *flavour_of(const char *name)
{
    for (size_t i = 0; i < sizeof flavours / sizeof flavours[0]; i++)
        for (size_t j = 0; j < 3; j++)
            if (flavours[i].names[j] && strcmp(flavours[i].names[j], name) == 0)
                return &flavours[i];
    return NULL;
}

/* The one usage text of the five names; %s is the name run by. */
static const char usage_fmt[] =
    "usage: %s [READER-ARGUMENTS...]\n"
    "  move the mail in $MAILDIR (default $HOME/Maildir/) to $MAIL (default\n"
    "  $HOME/Mailbox) with maildir2mbox, then start the mail reader with\n"
    "  the arguments given (qail: mail; qine, pinq: pine or alpine;\n"
    "  qlm, elq: elm)\n";

/* Set var to the path mailenv gives (lib/mailenv.h) for maildir2mbox,
 * which reads the same: so the reader and the mover agree. */
static void default_env(const char *var, const char *(*get)(char **))
{
    char *own;
    const char *v = get(&own);
    if (!v && errno == ENOMEM)
        log_die(EXIT_TEMP, "out of memory");
    if (!v)
        log_die(EXIT_TEMP, "neither %s nor HOME is set", var);
    if (own && setenv(var, own, 1) < 0)
        log_die(EXIT_TEMP, "cannot set %s: %s", var, strerror(errno));
    free(own);
}

/* Run maildir2mbox and wait; its own messages explain any failure. */
static int fold_mail(void)
{
    pid_t pid = fork();
    if (pid < 0)
        log_die(EXIT_TEMP, "cannot fork: %s", strerror(errno));
    if (pid == 0) {
        execlp("maildir2mbox", "maildir2mbox", (char *)NULL);
        if (errno == ENOENT)
            execl(BINDIR "/maildir2mbox", "maildir2mbox", (char *)NULL);
        log_error("cannot run maildir2mbox: %s", strerror(errno));
        _exit(EXIT_TEMP);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            log_die(EXIT_TEMP, "cannot wait for maildir2mbox: %s", strerror(errno));
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return EXIT_TEMP;
}

/* The first file called name on PATH that can be run and is not this
 * program itself (an administrator may have put us in its place). */
static char *find_reader(const char *name, const struct stat *self)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char buf[PATH_MAX];
    const char *p = path;
    for (;;) {
        size_t len = strcspn(p, ":");
        int n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)len, len ? p : ".",
                         "/", name);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof buf && stat(buf, &st) == 0 &&
            S_ISREG(st.st_mode) && access(buf, X_OK) == 0 &&
            !(st.st_dev == self->st_dev && st.st_ino == self->st_ino))
            return strdup(buf);
        if (p[len] == '\0')
            return NULL;
        p += len + 1;
    }
}

/* The reader to start: the flavour's readers in order, each by its name
 * or as NAME.real (only NAME.real when a wrapper already ran in this
 * process).  Its path (to free), its name in name[size]; NULL if none. */
static char *pick_reader(const struct flavour *fl, int again, char *name,
                         size_t size)
{
    struct stat self;
    if (stat("/proc/self/exe", &self) < 0)
        memset(&self, 0, sizeof self);
    for (size_t i = 0; i < 3 && fl->readers[i]; i++) {
        for (int t = again ? 1 : 0; t < 2; t++) {
            snprintf(name, size, "%s%s", fl->readers[i], t ? ".real" : "");
            char *prog = find_reader(name, &self);
            if (prog)
                return prog;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash ? slash + 1 : argv[0];
    log_init(name);
    const struct flavour *fl = flavour_of(name);
    if (!fl)
        fl = &flavours[0];
    int own_name = strcmp(name, "qail") == 0 || strcmp(name, "qine") == 0 ||
                   strcmp(name, "qlm") == 0 || strcmp(name, "elq") == 0 ||
                   strcmp(name, "pinq") == 0;
    /* under a reader's name, --help and --version are the reader's */
    if (own_name) {
        char usage[sizeof usage_fmt + 16];
        snprintf(usage, sizeof usage, usage_fmt, name);
        usage_std(argc, argv, name, usage);
    }

    /* Started by a wrapper in this very process (two copies installed
     * under one reader name): the mail is folded, and only NAME.real can
     * be the reader; otherwise the copies would exec each other forever. */
    char mypid[24];
    snprintf(mypid, sizeof mypid, "%ld", (long)getpid());
    const char *marker = getenv("POPKIT_WRAPPER_PID");
    int again = marker && strcmp(marker, mypid) == 0;
    unsetenv("POPKIT_WRAPPER_PID");

    char reader[64];
    char *prog = pick_reader(fl, again, reader, sizeof reader);
    if (!prog)
        log_die(EXIT_PERM, "no mail reader found on PATH (tried %s%s%s); no mail was "
                "moved", fl->readers[0], fl->readers[1] ? ", " : "",
                fl->readers[1] ? fl->readers[1] : "");
    default_env("MAILDIR", mailenv_maildir);
    default_env("MAIL", mailenv_mbox);
    int st = again ? 0 : fold_mail();
    if (st != 0) {
        log_error("maildir2mbox failed (exit %d); not starting %s, so no mail "
                  "seems lost: fix the cause and try again", st, reader);
        free(prog);
        return st;
    }
    argv[0] = reader;
    setenv("POPKIT_WRAPPER_PID", mypid, 1);
    execv(prog, argv);
    log_die(EXIT_TEMP, "cannot run %s: %s (the mail is in %s)", prog, strerror(errno),
            getenv("MAIL"));
}
