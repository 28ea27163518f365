/* SPDX-License-Identifier: ISC */
/*
 * privdrop.h -- become a mail user: stage 2 just before it execs
 * stage 3, and each delivery child (deliver.c).
 *
 * privdrop_become_list() sets the supplementary groups to the list
 * given (which must hold gid), then the gid, then the uid -- real,
 * effective and saved alike -- and checks each afterwards: the groups
 * read back, getuid/geteuid/getgid/getegid report the target, and uid 0
 * cannot be regained.  It refuses a target uid of 0.  Run by anyone but
 * root it changes no id: it succeeds only when the caller already is
 * that uid (the demo, where everything runs as one user).
 *
 * Capabilities (caps.h) go with root: as root, the bounding set is
 * emptied before the uid change (so an exec can never grant one again,
 * even without no_new_privs), and after it the permitted, effective,
 * inheritable and ambient sets are emptied, keepcaps is off, and all of
 * that is read back.  Root without CAP_SETPCAP (a service manager's
 * narrow bounding set that left it out) cannot empty its bounding set:
 * the drop fails rather than go on half done.  Not root, whatever
 * capability the caller holds is emptied too; its bounding set stays,
 * as every user's process has it.  privdrop_set_ids_keep_bounding()
 * leaves the bounding set alone, for the one child that execs a
 * set-user-ID-root program on purpose (deliver.c: Exim's sendmail, whose
 * root needs the capabilities an empty bounding set would withhold).
 *
 * privdrop_become() does the same with the groups from NSS: those of
 * NAME by getgrouplist(3), or just the primary group when no name is
 * given.  It lives in privdrop_nss.c, apart, so that a statically linked
 * program (checkpassword-virtual, which finds its groups with
 * acctfile.h) links no NSS code.
 *
 * privdrop_enter() then sets USER, HOME and SHELL and changes to HOME,
 * after the drop so that the user's own permissions apply, and last sets
 * no_new_privs (prctl PR_SET_NO_NEW_PRIVS): it is called right before
 * the exec of stage 3, which, like everything it runs, then can never
 * gain privilege by exec (a set-user-ID file, file capabilities), even
 * if a hole let it exec one.
 * privdrop_no_new_privs() is that last step alone (each delivery child,
 * which execs nothing, sets it after its drop all the same).
 *
 * privdrop_become() is privdrop_set_groups() then privdrop_set_ids()
 * (privdrop_become_list() the same with privdrop_set_group_list());
 * checkpassword-pam calls them apart, to run pam_setcred (which may add
 * groups, as pam_group does) in between.  The set_groups functions do
 * nothing when not root; privdrop_set_ids() then decides.
 *
 * All return 0, or -1 with errno set and *why naming the step that
 * failed (a static string for the log).
 */
#ifndef POPKIT_PRIVDROP_H
#define POPKIT_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

int privdrop_become_list(uid_t uid, gid_t gid, const gid_t *groups,
                         size_t n, const char **why);
int privdrop_set_group_list(const gid_t *groups, size_t n, const char **why);
int privdrop_set_ids(uid_t uid, gid_t gid, const char **why);
int privdrop_set_ids_keep_bounding(uid_t uid, gid_t gid, const char **why);
int privdrop_no_new_privs(const char **why);
int privdrop_enter(const char *user, const char *home, const char *shell,
                   const char **why);

/* NSS (privdrop_nss.c): not for static programs. */
int privdrop_become(const char *name, uid_t uid, gid_t gid, const char **why);
int privdrop_set_groups(const char *name, gid_t gid, const char **why);

#endif
