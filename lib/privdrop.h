/*
 * privdrop.h -- become a mail user, for stage 2 just before it execs
 * stage 3.
 *
 * privdrop_become() sets the supplementary groups (initgroups, or just
 * the primary group when no name is given), then the gid, then the uid --
 * real, effective and saved alike -- and checks each afterwards: the
 * groups read back, getuid/geteuid/getgid/getegid report the target, and
 * uid 0 cannot be regained.  It refuses a target uid of 0.  Run by
 * anyone but root it changes nothing: it succeeds only when the caller
 * already is that uid (the demo, where everything runs as one user).
 *
 * privdrop_enter() then sets USER, HOME and SHELL and changes to HOME,
 * after the drop so that the user's own permissions apply.
 *
 * privdrop_become() is privdrop_set_groups() then privdrop_set_ids();
 * checkpassword-pam calls them apart, to run pam_setcred (which may add
 * groups, as pam_group does) in between.  privdrop_set_groups() does
 * nothing when not root; privdrop_set_ids() then decides.
 *
 * All return 0, or -1 with errno set and *why naming the step that
 * failed (a static string for the log).
 */
#ifndef POPKIT_PRIVDROP_H
#define POPKIT_PRIVDROP_H

#include <sys/types.h>

int privdrop_become(const char *name, uid_t uid, gid_t gid, const char **why);
int privdrop_set_groups(const char *name, gid_t gid, const char **why);
int privdrop_set_ids(uid_t uid, gid_t gid, const char **why);
int privdrop_enter(const char *user, const char *home, const char *shell,
                   const char **why);

#endif
