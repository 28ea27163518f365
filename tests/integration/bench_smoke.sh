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
done_testing
