#!/bin/sh
# SPDX-License-Identifier: ISC
# maildir2mbox as a user sees it: real readers (mutt, mailutils) read the
# result; a 1 GB mbox costs no more I/O than an empty one; the owner, mode
# and inode of an existing mbox stay; a really full disk loses nothing.
# (Read-back details, kills at every step and injected ENOSPC are in
# maildir2mbox_once.py.)
. "$top_srcdir/tests/lib.sh"

M=$T_DIR/Maildir
make_maildir "$M"
msg() { # FILE SENDER SUBJECT BODY
    printf 'Return-Path: <%s>\nFrom: %s\nSubject: %s\n\n%s\n' "$2" "$2" "$3" "$4" > "$1"
}
msg "$T_DIR/m1" alice@example.org "first letter" "From the beginning"
msg "$T_DIR/m2" bob@example.org "second letter" "plain body"
deliver "$M" "$T_DIR/m1"
deliver "$M" "$T_DIR/m2"
export MAILDIR="$M" MAIL="$T_DIR/Mailbox"

maildir2mbox; is "$?" 0 "maildir2mbox exits 0"
is "$(ls -A "$M/new"; ls -A "$M/cur")" "" "Maildir emptied"
is "$(grep -c '^From ' "$MAIL")" 2 "two From_ lines (body From lines are quoted)"
if command -v frm >/dev/null && command -v messages >/dev/null; then
    is "$(messages -q "$MAIL" 2>/dev/null || messages "$MAIL" | sed 's/.*: //')" 2 \
        "mailutils counts 2 messages"
    like "$(frm "$MAIL" | tr '\n' ' ')" 'first letter.*second letter' "frm lists the subjects in order"
else
    echo "ok $((T_N += 1)) # SKIP mailutils not installed"
    echo "ok $((T_N += 1)) # SKIP mailutils not installed"
fi

# mutt reads it (full-screen, in tmux) and lists both, in order.
if command -v tmux >/dev/null && command -v mutt >/dev/null; then
    S=m2m-$$
    printf 'set folder=%s\nset sort=mailbox-order\nset index_format="%%4C %%-20.20L %%s"\n' \
        "$T_DIR" > "$T_DIR/muttrc"
    tmux new-session -d -s "$S" -x 100 -y 20 \
        "env TERM=xterm mutt -n -F $T_DIR/muttrc -R -f $MAIL"
    screen=""
    for _ in $(seq 1 50); do
        screen=$(tmux capture-pane -p -t "$S" 2>/dev/null)
        printf '%s' "$screen" | grep -q 'second letter' && break
        sleep 0.1
    done
    tmux kill-session -t "$S" 2>/dev/null
    like "$(printf '%s' "$screen" | grep 'letter' | tr '\n' ' ')" \
        '^ +1 alice@example.org +first letter +2 bob@example.org +second letter' \
        "mutt shows both messages, oldest first, with their senders"
else
    echo "ok $((T_N += 1)) # SKIP no tmux or mutt"
fi

# ---- appending to 1 GB costs what appending to nothing costs ----
# The child's I/O is added to its shell's /proc/PID/io when it is reaped.
io_of_run() { # prints "rchar wchar" of one maildir2mbox run
    sh -c 'maildir2mbox || exit 1; grep -E "^(rchar|wchar)" /proc/$$/io' |
        awk '{printf "%s ", $2}'
}
msg "$T_DIR/m3" carol@example.org "big one" "$(seq 1 2000)"
rm -f "$MAIL"; : > "$MAIL"
deliver "$M" "$T_DIR/m3"
set -- $(io_of_run); small_r=$1 small_w=$2
BIG=$T_DIR/Big
printf 'From x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n' > "$BIG"
truncate -s 1G "$BIG"                                 # sparse: costs no disk
ino=$(stat -c %i "$BIG"); size=$(stat -c %s "$BIG")
deliver "$M" "$T_DIR/m3"
set -- $(MAIL=$BIG io_of_run); big_r=$1 big_w=$2
t_ok "$([ "$big_w" -le $((small_w + 4096)) ]; echo $?)" \
    "bytes written appending to 1 GB ($big_w) = to an empty mbox ($small_w)"
t_ok "$([ "$big_r" -le $((small_r + 65536)) ]; echo $?)" \
    "bytes read appending to 1 GB ($big_r) ~ to an empty mbox ($small_r)"
is "$(stat -c %i "$BIG")" "$ino" "the 1 GB mbox keeps its inode"
grown=$(( $(stat -c %s "$BIG") - size ))
is "$grown" "$(( $(stat -c %s "$MAIL") + 2 ))" "it grew by the message (+ the blank line it lacked)"
rm -f "$BIG"

# ---- owner, group, mode and inode of an existing mbox stay ----
if [ "$(id -u)" -eq 0 ]; then
    U=$T_DIR/user; mkdir "$U"; make_maildir "$U/Maildir"
    deliver "$U/Maildir" "$T_DIR/m1"
    printf 'From x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n' > "$U/Mailbox"
    own "$U"
    chgrp mail "$U/Mailbox" 2>/dev/null
    chmod 640 "$U/Mailbox"
    before=$(stat -c '%U %G %a %i' "$U/Mailbox")
    setpriv --reuid "$T_OWNER_UID" --regid "$T_OWNER_GID" --clear-groups \
        env HOME="$U" MAILDIR="$U/Maildir" MAIL="$U/Mailbox" "$T_BIN/maildir2mbox"
    is "$?" 0 "runs as the mail user"
    is "$(stat -c '%U %G %a %i' "$U/Mailbox")" "$before" "owner, group, mode, inode kept"
    like "$(grep '^Subject' "$U/Mailbox" | tr '\n' ' ')" 'old.*first letter' "the message is in it"
else
    echo "ok $((T_N += 1)) # SKIP needs root to chown"
    echo "ok $((T_N += 1)) # SKIP needs root to chown"
    echo "ok $((T_N += 1)) # SKIP needs root to chown"
fi

# ---- a really full disk: the mbox on a small tmpfs ----
FS=$T_DIR/small
mkdir "$FS"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=256k tmpfs "$FS" 2>/dev/null; then
    printf 'From x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n' > "$FS/Mailbox"
    head -c 100000 /dev/zero | tr '\0' 'x' | fold -w 70 > "$FS/filler"
    msg "$T_DIR/huge" dave@example.org "too big" "$(head -c 300000 /dev/zero | tr '\0' 'y' | fold -w 70)"
    deliver "$M" "$T_DIR/m1"; deliver "$M" "$T_DIR/huge"; deliver "$M" "$T_DIR/m2"
    n_before=$(ls "$M/new" | wc -l)
    sum_before=$(md5sum < "$FS/Mailbox")
    err=$(MAIL=$FS/Mailbox maildir2mbox 2>&1); st=$?
    is "$st" 111 "disk full: exit 111"
    like "$err" 'No space left' "disk full: says so"
    is "$(md5sum < "$FS/Mailbox")" "$sum_before" "disk full: mbox cut back to what it was"
    is "$(ls "$M/new" | wc -l)" "$n_before" "disk full: every message still in the Maildir"
    rm "$FS/filler"; cp "$FS/Mailbox" "$T_DIR/Mailbox2"; umount "$FS"
    MAIL=$T_DIR/Mailbox2 maildir2mbox; is "$?" 0 "with room again it completes"
    is "$(grep -c '^From ' "$T_DIR/Mailbox2")" 4 "old + 3 messages, once each"
else
    for i in 1 2 3 4 5 6; do echo "ok $((T_N += 1)) # SKIP cannot mount a small tmpfs"; done
fi

done_testing
