/* SPDX-License-Identifier: ISC */
/* test_mailenv -- $MAILDIR and $MAIL, or their defaults under $HOME. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mailenv.h"
#include "tap.h"

int main(void)
{
    char *own = (char *)"unset";
    setenv("HOME", "/home/ann", 1);
    unsetenv("MAILDIR");
    unsetenv("MAIL");
    const char *p = mailenv_maildir(&own);
    ok(p && strcmp(p, "/home/ann/Maildir/") == 0 && own == p,
       "no MAILDIR: $HOME/Maildir/, owned");
    free(own);
    p = mailenv_mbox(&own);
    ok(p && strcmp(p, "/home/ann/Mailbox") == 0 && own == p,
       "no MAIL: $HOME/Mailbox, owned");
    free(own);

    setenv("MAILDIR", "", 1);
    p = mailenv_maildir(&own);
    ok(p && strcmp(p, "/home/ann/Maildir/") == 0, "an empty MAILDIR counts as unset");
    free(own);

    setenv("MAILDIR", "/var/mail/ann/", 1);
    setenv("MAIL", "/var/spool/mail/ann", 1);
    p = mailenv_maildir(&own);
    ok(p && strcmp(p, "/var/mail/ann/") == 0 && own == NULL,
       "MAILDIR as set, nothing to free");
    p = mailenv_mbox(&own);
    ok(p && strcmp(p, "/var/spool/mail/ann") == 0 && own == NULL, "MAIL as set");

    unsetenv("MAILDIR");
    unsetenv("HOME");
    errno = 0;
    ok(mailenv_maildir(&own) == NULL && errno == ENOENT && own == NULL,
       "neither MAILDIR nor HOME: NULL, ENOENT");
    setenv("HOME", "", 1);
    errno = 0;
    ok(mailenv_maildir(&own) == NULL && errno == ENOENT, "an empty HOME counts as unset");
    ok(mailenv_mbox(&own) != NULL, "MAIL still set: HOME not needed");
    return tap_done();
}
