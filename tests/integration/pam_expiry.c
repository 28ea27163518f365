/* SPDX-License-Identifier: ISC */
/*
 * pam_expiry.c -- a PAM account module for the checkpassword-pam tests
 * only: user "expired" gets PAM_ACCT_EXPIRED, user "mustchange" gets
 * PAM_NEW_AUTHTOK_REQD, user "locked" PAM_PERM_DENIED (as pam_unix
 * answers for a '!' password), everyone else passes.  pam_matrix (from
 * pam_wrapper) has no notion of expiry, and pam_unix reads shadow
 * through getspnam_r, which nss_wrapper does not fake.
 */
#include <string.h>

#include <security/pam_modules.h>

int pam_sm_acct_mgmt(pam_handle_t *h, int flags, int argc, const char **argv);

int pam_sm_acct_mgmt(pam_handle_t *h, int flags, int argc, const char **argv)
{
    const char *user = NULL;
    (void)flags;
    (void)argc;
    (void)argv;
    if (pam_get_user(h, &user, NULL) != PAM_SUCCESS || !user)
        return PAM_USER_UNKNOWN;
    if (strcmp(user, "expired") == 0)
        return PAM_ACCT_EXPIRED;
    if (strcmp(user, "mustchange") == 0)
        return PAM_NEW_AUTHTOK_REQD;
    if (strcmp(user, "locked") == 0)
        return PAM_PERM_DENIED;
    return PAM_SUCCESS;
}
