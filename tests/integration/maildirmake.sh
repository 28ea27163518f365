#!/bin/sh
# SPDX-License-Identifier: ISC
# maildirmake: new, existing, -p repair, permissions, unsafe and unwritable
# parents, exit codes.
. "$top_srcdir/tests/lib.sh"

D=$T_DIR/home
mkdir -p "$D" && chmod 755 "$D"

out=$(maildirmake --help); st=$?
is "$st" 0 "--help exits 0"
like "$out" '^usage: maildirmake' "--help prints a usage line"
maildirmake 2>/dev/null; is "$?" 2 "no argument: usage, exit 2"
maildirmake -x "$D/x" 2>/dev/null; is "$?" 2 "unknown option: exit 2"

# A new Maildir, mode 0700 for all four directories even under umask 0.
(umask 0; maildirmake "$D/Maildir"); is "$?" 0 "creates a new Maildir"
modes=$(stat -c %a "$D/Maildir" "$D/Maildir/tmp" "$D/Maildir/new" "$D/Maildir/cur" | tr '\n' ' ')
is "$modes" "700 700 700 700 " "all directories mode 0700 whatever the umask"

# An existing one: refused (qmail's behaviour), permanent failure.
echo keep > "$D/Maildir/new/1.2.host"
err=$(maildirmake "$D/Maildir" 2>&1); st=$?
is "$st" 100 "existing directory: exit 100"
like "$err" 'exists' "existing directory: says it exists"
maildirmake -p "$D/Maildir"; is "$?" 0 "-p accepts an existing Maildir"
is "$(cat "$D/Maildir/new/1.2.host")" keep "-p leaves mail alone"

# Repair: a missing subdirectory is made again.
rmdir "$D/Maildir/cur" "$D/Maildir/tmp"
maildirmake "$D/Maildir" 2>/dev/null; is "$?" 100 "without -p a broken Maildir is not touched"
t_ok "$([ ! -d "$D/Maildir/cur" ]; echo $?)" "without -p nothing was repaired"
maildirmake -p "$D/Maildir"; is "$?" 0 "-p repairs"
is "$(stat -c %a "$D/Maildir/cur" "$D/Maildir/tmp" | tr '\n' ' ')" "700 700 " "repaired directories are 0700"

# A file where a subdirectory belongs is a permanent error.
mkdir "$D/Bad" && : > "$D/Bad/new"
maildirmake -p "$D/Bad" 2>/dev/null; is "$?" 100 "-p: a file named new is an error (100)"
: > "$D/file"
maildirmake -p "$D/file" 2>/dev/null; is "$?" 100 "-p on a plain file: 100"

# Missing parent: permanent.
maildirmake "$D/no/such/Maildir" 2>/dev/null; is "$?" 100 "missing parent: 100"

# A parent others can write to draws a warning; -q silences it.
mkdir "$D/open" && chmod 777 "$D/open"
err=$(maildirmake "$D/open/Maildir" 2>&1); st=$?
is "$st" 0 "a writable parent still works"
like "$err" 'writable by others' "warns about a world-writable parent"
chmod 775 "$D/open"
err=$(maildirmake -q "$D/open/M2" 2>&1)
is "$err" "" "-q silences the warning"
err=$(maildirmake "$D/open/M3" 2>&1)
like "$err" 'writable by its group' "warns about a group-writable parent"
err=$(maildirmake "$D/M4" 2>&1)
is "$err" "" "no warning for a safe parent"

# The skeleton case: a copy keeps 0700 and belongs to the new user.
mkdir "$D/skel"
maildirmake "$D/skel/Maildir"; is "$?" 0 "works in a skeleton directory"
cp -a "$D/skel" "$D/newuser"
is "$(stat -c %a "$D/newuser/Maildir/new")" 700 "a copy of the skeleton keeps mode 0700"

# An unwritable parent, as an unprivileged user (root would bypass it).
mkdir "$D/ro" && chmod 755 "$D/ro"
if [ "$(id -u)" -eq 0 ]; then
    err=$(setpriv --reuid "$T_OWNER_UID" --regid "$T_OWNER_GID" --clear-groups \
        "$T_BIN/maildirmake" "$D/ro/Maildir" 2>&1); st=$?
else
    chmod 555 "$D/ro"
    err=$(maildirmake "$D/ro/Maildir" 2>&1); st=$?
fi
is "$st" 100 "unwritable parent: exit 100"
like "$err" 'Permission denied' "unwritable parent: says why"
t_ok "$([ ! -e "$D/ro/Maildir" ]; echo $?)" "unwritable parent: nothing created"

# A full filesystem is temporary (111), where we can make one.
if [ "$(id -u)" -eq 0 ] && mkdir "$T_DIR/full" && \
   mount -t tmpfs -o size=64k,nr_inodes=4 tmpfs "$T_DIR/full" 2>/dev/null; then
    mkdir "$T_DIR/full/a" "$T_DIR/full/b" 2>/dev/null
    maildirmake "$T_DIR/full/Maildir" 2>/dev/null; st=$?
    umount "$T_DIR/full"
    is "$st" 111 "no room left (ENOSPC): exit 111"
else
    echo "ok $((T_N += 1)) # SKIP cannot mount a small tmpfs"
fi

done_testing
