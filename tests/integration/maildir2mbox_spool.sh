#!/bin/sh
# SPDX-License-Identifier: ISC
# maildir2mbox into a Debian mail spool: MAIL=/var/mail/$USER in a
# directory 2775 root:mail, where the user may not create files.  The
# dotlock must still be taken (by liblockfile's setgid-mail dotlockfile
# helper, Debian Policy 11.6), a reader's lock must still be respected,
# and nothing may be left behind.  A scratch spool with the same owner
# and mode stands in for /var/mail; the user is a uid no account has,
# set with setpriv (a real setuid: the helper's setgid works as for a
# login).
. "$top_srcdir/tests/lib.sh"

[ "$(id -u)" -eq 0 ] ||
    skip_all "needs root: makes a root:mail 2775 spool and runs maildir2mbox as another uid"
getent group mail >/dev/null || skip_all "no group mail on this system"
H=/usr/bin/dotlockfile
[ -x "$H" ] && [ -g "$H" ] || skip_all "$H (liblockfile-bin) is not installed setgid"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

U=54321
while getent passwd "$U" >/dev/null; do U=$((U + 1)); done
SPOOL=$T_DIR/spool
mkdir "$SPOOL"
chown root:mail "$SPOOL"
chmod 2775 "$SPOOL"
MB=$SPOOL/user
M=$T_DIR/Maildir
make_maildir "$M"
chown -R "$U:$U" "$M"
chmod 755 "$T_DIR"

new_mail() { # SUBJECT
    printf 'From: a@example.org\nSubject: %s\n\nbody\n' "$1" > "$T_DIR/msg"
    deliver "$M" "$T_DIR/msg"
    chown -R "$U:$U" "$M"
}
# as the user, as a login would have it
as_user() {
    setpriv --reuid="$U" --regid="$U" --clear-groups \
        env MAILDIR="$M" MAIL="$MB" "$T_BIN/maildir2mbox" "$@"
}
mail_left() { find "$M/new" "$M/cur" -type f | wc -l | tr -d ' '; }

# The mailbox as adduser/the MTA leaves it: the user's, group mail, 660.
install -o "$U" -g mail -m 660 /dev/null "$MB"
new_mail "first"
as_user 2>"$T_DIR/err"; is "$?" 0 "maildir2mbox exits 0 in a 2775 root:mail spool"
is "$(cat "$T_DIR/err")" "" "no warning: the dotlock was made (no fcntl-only fallback)"
is "$(grep -c '^Subject: first' "$MB")" 1 "the message is in the spool mailbox"
is "$(mail_left)" 0 "and no longer in the Maildir"
is "$(stat -c '%u:%G %a' "$MB")" "$U:mail 660" "the mailbox keeps its owner, group and mode"
is "$(ls -A "$SPOOL")" "user" "no lock file or temporary file left in the spool"

# While it waits for a reader's fcntl lock it already holds the dotlock.
new_mail "second"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(30)' "$MB" "$T_DIR/locked" &
READER=$!
T_PIDS="$T_PIDS $READER"
for _ in $(seq 1 100); do [ -e "$T_DIR/locked" ] && break; sleep 0.05; done
setpriv --reuid="$U" --regid="$U" --clear-groups \
    env MAILDIR="$M" MAIL="$MB" "$T_BIN/maildir2mbox" -w 20 2>"$T_DIR/err" &
M2M=$!
for _ in $(seq 1 100); do [ -e "$MB.lock" ] && break; sleep 0.05; done
is "$(cat "$MB.lock" 2>/dev/null | tr -d ' \n')" "$M2M" \
    "while waiting for the reader it holds $MB.lock, with its PID"
is "$(stat -c %u "$MB.lock" 2>/dev/null)" "$U" "the lock file is the user's (made by the helper)"
kill "$READER"
wait "$M2M"; is "$?" 0 "it finishes once the reader lets go"
is "$(grep -c '^Subject: second' "$MB")" 1 "the second message is in the mailbox"
is "$(ls -A "$SPOOL")" "user" "the helper removed the lock"

# A reader's dotlock (a live PID) is respected: nothing moves.
new_mail "third"
sleep 60 &
HOLDER=$!
T_PIDS="$T_PIDS $HOLDER"
echo "$HOLDER" > "$MB.lock"
as_user -w 1 2>"$T_DIR/err"; is "$?" 111 "a held spool lock: exit 111 (try again)"
like "$(cat "$T_DIR/err")" "a mail reader holds it" "and says a reader holds the mailbox"
is "$(mail_left)" 1 "the message stays in the Maildir"
is "$(grep -c '^Subject: third' "$MB")" 0 "and is not in the mailbox"
is "$(cat "$MB.lock")" "$HOLDER" "the reader's lock is untouched"

# Once that reader is gone its lock is stale, and broken.
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
as_user -w 5 2>"$T_DIR/err"; is "$?" 0 "a dead reader's lock is broken"
is "$(grep -c '^Subject: third' "$MB")" 1 "and the message moved"
is "$(ls -A "$SPOOL")" "user" "no lock left"

# No mailbox yet: the user cannot create one in the spool; say who can.
rm -f "$MB"
new_mail "fourth"
as_user -w 1 2>"$T_DIR/err"; is "$?" 100 "no mailbox in the spool: exit 100"
like "$(cat "$T_DIR/err")" "cannot create $MB: .*install -m 660 -g mail" \
    "the message says how the mailbox is made"
is "$(mail_left)" 1 "the mail stays in the Maildir"
is "$(ls -A "$SPOOL")" "" "nothing left in the spool"

done_testing
