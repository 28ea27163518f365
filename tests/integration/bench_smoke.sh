#!/bin/sh
# SPDX-License-Identifier: ISC
# bench_smoke.sh -- the benchmark tools start and refuse misuse; the
# Maildir generator writes what it is asked.  No timing is asserted here:
# speed is measured by bench/run only.
. "$top_srcdir/tests/lib.sh"

# From $T_BIN, so that scripts/test-valgrind runs it under valgrind too.
POPLOAD=$T_BIN/popload
[ -x "$POPLOAD" ] || skip_all "bench/popload not built"

out=$("$POPLOAD" --help); rc=$?
is "$rc" 0 "popload --help exits 0"
like "$out" '^usage: popload -p PORT' "popload --help prints a usage line"

"$POPLOAD" >/dev/null 2>"$T_DIR/err"; rc=$?
is "$rc" 2 "popload without -p is misuse (exit 2)"
like "$(cat "$T_DIR/err")" '^popload: -p PORT is required' "and says what is missing"
"$POPLOAD" -p 110 -m nosuch >/dev/null 2>&1; is "$?" 2 "an unknown mode is misuse"
"$POPLOAD" -p 110 -c 0 >/dev/null 2>&1; is "$?" 2 "zero clients is misuse"
"$POPLOAD" -p 70000 >/dev/null 2>&1; is "$?" 2 "a port past 65535 is misuse"
"$POPLOAD" -p 110 -t 0 >/dev/null 2>&1; is "$?" 2 "a zero time bound is misuse"
"$POPLOAD" -p 110 extra >/dev/null 2>&1; is "$?" 2 "a stray argument is misuse"

# copy mode runs entirely inside popload, on loopback.
head -c 100000 /dev/zero >"$T_DIR/blob"
out=$("$POPLOAD" -m copy -f "$T_DIR/blob" -t 10); rc=$?
is "$rc" 0 "copy mode moves a file over loopback"
like "$out" '^mode copy bytes=100000 ' "and counts every byte"

# A closed port is a counted error, not a hang (bounded by -t and -n).
port=$(free_port)
out=$("$POPLOAD" -p "$port" -n 3 -t 5 2>/dev/null); rc=$?
is "$rc" 1 "a refused connection makes popload exit 1"
like "$out" 'sessions=0 errors=3 ' "and reports each failed session"

# popfloor, the zero-work yardstick: usage, misuse, and a session that
# popload can check message by message (sizes as LIST says).
FLOOR=$T_BIN/popfloor
out=$("$FLOOR" --help); rc=$?
is "$rc" 0 "popfloor --help exits 0"
like "$out" '^usage: popfloor -p PORT' "popfloor --help prints a usage line"
"$FLOOR" >/dev/null 2>&1; is "$?" 2 "popfloor without -p is misuse"
"$FLOOR" -p 110 -n 0 >/dev/null 2>&1; is "$?" 2 "zero messages is misuse"
"$FLOOR" -p 110 -s 1x >/dev/null 2>&1; is "$?" 2 "a bad size is misuse"
port=$(free_port)
"$FLOOR" -p "$port" -n 20 -s 1001 2>"$T_DIR/floor.err" &
T_PIDS="$T_PIDS $!"
wait_port "$port" || bail "popfloor did not start"
out=$("$POPLOAD" -p "$port" -m retr -t 10); rc=$?
is "$rc" 0 "popload RETRs every message popfloor lists"
like "$out" 'retr count=20 bytes=20020 .*size_mismatch=0' \
    "20 messages of exactly the 1001 octets LIST gives"
out=$("$POPLOAD" -p "$port" -m pipe -W 8 -P 2 -t 10); rc=$?
like "$out" 'retr count=40 .*size_mismatch=0' "and pipelined, twice over"

# The generator: counts, exact sizes, ,S= fields, CRLF.
GEN=$top_srcdir/bench/mkmaildir.py
python3 "$GEN" -n 5 -s 1000 --sizes "$T_DIR/md" ; is "$?" 0 "mkmaildir.py runs"
is "$(ls "$T_DIR/md/new" | wc -l)" 5 "it writes the number of messages asked"
bad=0
for f in "$T_DIR/md/new"/*; do
    s=$(wc -c <"$f"); case $f in *",S=$s") ;; *) bad=$((bad+1)) ;; esac
    [ "$s" -eq 1000 ] || bad=$((bad+1))
done
is "$bad" 0 "each message has the size asked, and ,S= gives it"
python3 "$GEN" -n 2 -s 600 --crlf --cur "$T_DIR/md2"
f=$(ls "$T_DIR/md2/cur" | head -1)
like "$f" ':2,$' "--cur names carry the :2, info"
lf=$(tr -d '\r' <"$T_DIR/md2/cur/$f" | wc -c)
is "$lf" $((600 - $(grep -c '' "$T_DIR/md2/cur/$f"))) "--crlf ends every line in CRLF"
python3 "$GEN" -n -1 "$T_DIR/md3" 2>/dev/null; is "$?" 2 "a negative count is misuse"

# mdfloor, the delivery yardstick: usage, misuse, and a run whose
# messages are all in new/, whole, with nothing left in tmp/.
MDFLOOR=$T_BIN/mdfloor
out=$("$MDFLOOR" --help); rc=$?
is "$rc" 0 "mdfloor --help exits 0"
like "$out" '^usage: mdfloor ' "mdfloor --help prints a usage line"
"$MDFLOOR" >/dev/null 2>&1; is "$?" 2 "mdfloor without a Maildir is misuse"
"$MDFLOOR" -n 0 "$T_DIR/f" >/dev/null 2>&1; is "$?" 2 "zero messages is misuse"
"$MDFLOOR" -c 0 "$T_DIR/f" >/dev/null 2>&1; is "$?" 2 "zero writers is misuse"
out=$("$MDFLOOR" -n 11 -s 700 -c 2 "$T_DIR/f1" "$T_DIR/f2"); rc=$?
is "$rc" 0 "mdfloor delivers with two writers into two Maildirs"
like "$out" '^mdfloor messages=11 size=700 writers=2 maildirs=2 .*msgs_per_s=[0-9]' \
    "and prints its rate"
is "$(find "$T_DIR/f1/new" "$T_DIR/f2/new" -type f -name '*,S=700' | wc -l)" 11 \
    "every message is in a new/, named with its size"
is "$(cat "$T_DIR"/f1/new/* "$T_DIR"/f2/new/* | wc -c)" 7700 "and whole"
is "$(find "$T_DIR/f1/tmp" "$T_DIR/f2/tmp" -type f | wc -l)" 0 "tmp/ is left empty"
"$MDFLOOR" -n 1 "$T_DIR/nosuch/dir" >/dev/null 2>&1
is "$?" 111 "a Maildir that cannot be made is a temporary failure"

# bench/run's delivery section in a tiny run: both LMTP servers and the
# floor measured, every row filled, the targets shown; no timing judged.
# It needs root (the servers switch users) and Debian's Dovecot LMTP and
# Postfix's smtp-source already there (a test installs nothing).
SMTP_SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
if [ "$(id -u)" -ne 0 ]; then
    skip "bench/run --only deliver" "not root"
elif [ ! -x /usr/lib/dovecot/lmtp ] || [ ! -x "$SMTP_SOURCE" ]; then
    skip "bench/run --only deliver" "dovecot-lmtpd or postfix not installed"
else
    out=$(timeout 300 python3 "$top_srcdir/bench/run" --builddir "$top_builddir" \
        --workdir "$T_DIR/bench" --only deliver --reps 1 \
        --deliver-count 100 2>"$T_DIR/run.err"); rc=$?
    is "$rc" 0 "bench/run --only deliver runs"
    [ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_DIR/run.err" | tail -20
    if [ -x "$top_builddir/deliver/popkit-lmtpd" ]; then
        want='popkit, dovecot-lmtp, floor, protocol'
        cols='[0-9.]+ \([^)]*\) +[0-9.]+ \([^)]*\) +[0-9.]+ \([^)]*\) +[0-9.]+ \('
    else
        want='dovecot-lmtp, floor, protocol'; cols='[0-9.]+ \([^)]*\) +[0-9.]+ \([^)]*\) +[0-9.]+ \('
    fi
    like "$(printf '%s\n' "$out" | grep '^servers:' | sed 's/ on [^,]*//g')" \
        "^servers: $want\$" "it measures $want"
    for row in 'one Maildir, LMTP c=1' 'one Maildir, LMTP c=8' \
               "100 users' Maildirs, LMTP c=1" "100 users' Maildirs, LMTP c=8"; do
        like "$(printf '%s\n' "$out" | grep -F "into $row [msgs/s")" "\] +$cols" \
            "a figure from each for 100 messages into $row"
    done
    if [ -x "$top_builddir/deliver/popkit-lmtpd" ]; then
        like "$(printf '%s\n' "$out" | grep -F 'ceiling, deliver')" \
            "LMTP c=1: .* [0-9]+ msgs/s = [0-9.]+ of the floor; popkit = [0-9.]+ of it\$" \
            "the c=1 ceiling from the floor and the protocol alone"
    fi
    like "$out" "peak RSS, one LMTP connection's processes \(sum\).*\] +[0-9.]+ \(" \
        "and the RSS of one LMTP connection"
    is "$(printf '%s\n' "$out" | grep -c '^error:')" 0 "every message arrived"
    printf '%s\n' "$out" | grep '^error:' | sed 's/^/#   /'
    if [ -x "$top_builddir/deliver/popkit-lmtpd" ]; then
        is "$(printf '%s\n' "$out" | grep -cE '^  (met |MISS) ')" 6 \
            "the six targets are each shown met or missed"
    fi
fi
done_testing
