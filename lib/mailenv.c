/* SPDX-License-Identifier: ISC */
#include "mailenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $var, else $HOME/leaf. */
static const char *env_or_home(const char *var, const char *leaf, char **owned)
{
    *owned = NULL;
    const char *v = getenv(var);
    if (v && *v)
        return v;
    const char *home = getenv("HOME");
    if (!home || !*home) {
        errno = ENOENT;
        return NULL;
    }
    size_t len = strlen(home) + strlen(leaf) + 2;
    *owned = malloc(len);
    if (!*owned) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(*owned, len, "%s/%s", home, leaf);
    return *owned;
}

const char *mailenv_maildir(char **owned)
{
    return env_or_home("MAILDIR", MAILENV_MAILDIR_LEAF, owned);
}

const char *mailenv_mbox(char **owned)
{
    return env_or_home("MAIL", MAILENV_MBOX_LEAF, owned);
}
