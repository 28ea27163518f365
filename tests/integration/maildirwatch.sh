#!/bin/sh
# SPDX-License-Identifier: ISC
# maildirwatch under tmux: existing mail shown, a delivery shows within a
# second (inotify, and within two with -P polling), an RFC 2047 UTF-8
# subject shown right, control characters never reach the terminal, more
# mail than fits scrolls with the newest at the bottom, a resize is
# survived, q quits.
. "$top_srcdir/tests/lib.sh"

command -v tmux >/dev/null || skip_all "no tmux"
LANG=C.UTF-8; LC_ALL=C.UTF-8; export LANG LC_ALL
SOCK=$T_DIR/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
screen() { tm capture-pane -p -t w 2>/dev/null; }
# wait_for REGEX TENTHS: poll the screen until REGEX shows, at most TENTHS/10 s.
wait_for() {
    i=0
    while [ "$i" -lt "$2" ]; do
        screen | grep -Eq -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "# screen while waiting for '$1':"; screen | sed 's/^/#   |/'
    return 1
}
trap 'tm kill-server 2>/dev/null; t_cleanup' EXIT

M=$T_DIR/Maildir
make_maildir "$M"
mail_file() { # FILE FROM SUBJECT
    printf 'Return-Path: <x@example.org>\nFrom: %s\nSubject: %s\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n\nbody\n' "$2" "$3" > "$1"
}
mail_file "$T_DIR/a" 'Alice Example <alice@example.org>' 'first existing message'
mail_file "$T_DIR/b" '=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>' \
    '=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4g4pyT?='
mail_file "$T_DIR/c" 'mallory@example.org' "$(printf 'evil \033]2;owned\007 \033[2J\033[31mred\rX')"
deliver "$M" "$T_DIR/a"; deliver "$M" "$T_DIR/b"; deliver "$M" "$T_DIR/c"

out=$(maildirwatch --help); is "$?" 0 "--help exits 0"
like "$out" '^usage: maildirwatch' "--help prints a usage line"
maildirwatch -x 2>/dev/null; is "$?" 2 "bad option: exit 2"
maildirwatch "$T_DIR/none" 2>/dev/null; is "$?" 100 "no such Maildir: exit 100"

tm new-session -d -s w -x 100 -y 12 \
    "env MAILDIR='$M' maildirwatch; echo \$? > '$T_DIR/exit'; sleep 30"
wait_for 'first existing message' 30
t_ok $? "shows the existing mail"
like "$(screen)" 'Alice Example +first existing message' "sender by display name, subject"
like "$(screen)" 'Jürgen Müller +Grüße aus Köln ✓' "RFC 2047 UTF-8 subject and sender decoded"
like "$(screen)" 'evil \?\]2;owned\? \?\[2J\?\[31mred X' "escape sequences shown as text, not obeyed"
like "$(screen | head -1)" '3 new messages' "status line counts them"
is "$(screen | grep -c 'red X')" 1 "the screen was not cleared by the hostile subject"

mail_file "$T_DIR/d" 'Dave <dave@example.org>' 'arrived while watching'
deliver "$M" "$T_DIR/d"
# The one bound the issue names: a delivery shows within a second.  The
# other waits allow 5 s, so a loaded machine cannot fail them.
wait_for 'arrived while watching' 10
t_ok $? "a delivery shows within a second (inotify)"
like "$(screen | grep -v '^$' | tail -1)" 'arrived while watching' "the newest is at the bottom"

# Taken away (a reader moved it to cur/): it goes.
mv "$M/new/$(ls "$M/new" | sort | head -1)" "$M/cur/"
wait_for '3 new messages' 50
t_ok $? "a message moved to cur/ disappears"

# More than fits: the newest stay visible at the bottom.
for i in $(seq 10 30); do
    mail_file "$T_DIR/m$i" "sender$i@example.org" "bulk message $i"
    deliver "$M" "$T_DIR/m$i"
done
wait_for 'bulk message 30' 50
t_ok $? "a burst of 21 deliveries shows"
s=$(screen)
like "$(printf '%s\n' "$s" | grep -v '^$' | tail -1)" 'bulk message 30' "newest at the bottom"
t_ok "$(printf '%s' "$s" | grep -q 'bulk message 10'; [ $? -ne 0 ]; echo $?)" "the oldest scrolled off"
tm send-keys -t w PPage
wait_for 'bulk message 10' 50
t_ok $? "PgUp scrolls back to older mail"
tm send-keys -t w End

# Resize: redrawn to the new size, still running, still updating.
tm resize-window -t w -x 50 -y 8 2>/dev/null || tm resize-pane -t w -x 50 -y 8
wait_for 'bulk message 30' 50
t_ok $? "after a resize the newest is still shown"
long=$(screen | awk 'length($0) > 50' | wc -l)
is "$long" 0 "every line fits the new width"
mail_file "$T_DIR/e" 'Eve <eve@example.org>' 'after resize'
deliver "$M" "$T_DIR/e"
wait_for 'after resize' 50
t_ok $? "still updating after the resize"

# A resize that lands while a delivery is being drawn must not be lost
# (a signal noted between draw and poll once slept until the next key).
# A stress check: the old race showed here only now and then, so it
# guards the behaviour rather than proving the fix.
missed=0
for i in $(seq 1 60); do
    mail_file "$T_DIR/r$i" "race$i@example.org" "race $i"
    deliver "$M" "$T_DIR/r$i"
    if [ $((i % 2)) -eq 0 ]; then w=50; h=8; else w=70; h=10; fi
    tm resize-window -t w -x "$w" -y "$h" 2>/dev/null || tm resize-pane -t w -x "$w" -y "$h"
    wait_for "race $i\$" 50 >/dev/null || missed=$((missed + 1))
done
is "$missed" 0 "60 resizes racing 60 deliveries: every one redrawn at the new size"

tm send-keys -t w q
for _ in $(seq 1 50); do [ -s "$T_DIR/exit" ] && break; sleep 0.1; done
is "$(cat "$T_DIR/exit" 2>/dev/null)" 0 "q quits, exit 0"

# The polling fallback.
tm kill-session -t w 2>/dev/null
tm new-session -d -s w -x 100 -y 12 "env MAILDIR='$M' maildirwatch -P; sleep 30"
wait_for '\(polling\)' 30
t_ok $? "-P: polling mode says so"
mail_file "$T_DIR/f" 'Fred <fred@example.org>' 'seen by polling'
deliver "$M" "$T_DIR/f"
wait_for 'seen by polling' 25
t_ok $? "-P: a delivery shows within two seconds"
if [ -n "${POPKIT_VALGRIND:-}" ]; then
    # The process is valgrind's, and its reads are in /proc/PID/io too.
    t_ok 0 "no header read twice # SKIP under valgrind"
else
# Headers are read once: rescans (every second here) read no message again.
pid=$(pgrep -P "$(tm list-panes -t w -F '#{pane_pid}')" maildirwatch)
r1=$(awk '/^rchar/ {print $2}' "/proc/$pid/io" 2>/dev/null)
sleep 2.2
r2=$(awk '/^rchar/ {print $2}' "/proc/$pid/io" 2>/dev/null)
t_ok "$([ -n "$r1" ] && [ $((r2 - r1)) -lt 1000 ]; echo $?)" \
    "two rescans of $(ls "$M/new" | wc -l) messages read $((${r2:-0} - ${r1:-0})) bytes: no header read twice"
fi
tm send-keys -t w q

done_testing
