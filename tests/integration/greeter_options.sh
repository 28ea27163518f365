#!/bin/sh
# SPDX-License-Identifier: ISC
# greeter_options.sh -- pop3-greeter's issue-4 options with fake stages:
# privilege separation (the pre-login parser's uid, root directory and
# limits read from /proc while a client is connected), --apop,
# --max-failures, --fail-delay, and the unprivileged (demo) mode.
. "$top_srcdir/tests/lib.sh"

. "$top_srcdir/tests/integration/greeter_fakes.sh"

# children PID: the pids whose parent is PID.
children() {
    for s in /proc/[0-9]*/status; do
        awk -v p="$P" '$1 == "Pid:" { pid = $2 } $1 == "PPid:" && $2 == p { print pid }' \
            "$s" 2>/dev/null
    done
}
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }
# parser: the child of $P that is a fork of it, the pre-login parser
# (the root part's other child, once login is possible, is stage 2,
# started ahead of the credentials, with a name of its own).
parser() {
    for k in $(children); do
        [ "$(cat "/proc/$k/comm" 2>/dev/null)" = "$(cat "/proc/$P/comm")" ] &&
            echo "$k"
    done
}

# --- privilege separation ---
PORT=$(free_port)
serve "$PORT" "$G" --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test "$T_DIR/stage2" "$T_DIR/stage3"
TCPSERVER=${T_PIDS##* }

printf 'USER bob\r\nPASS secret\r\nQUIT\r\n' |
    $CHAT "$PORT" --hold "$T_DIR/go" >"$T_DIR/held.out" &
CLIENT=$!
for _ in $(seq 1 100); do [ -s "$T_DIR/held.out" ] && break; sleep 0.05; done
like "$(cat "$T_DIR/held.out")" '^\+OK' "a client is connected and greeted"
# The root part greets before it forks the parser, so wait (bounded) for
# the parser to exist and to have finished its drop (its last step is
# no_new_privs) before reading its state.
P=$TCPSERVER; ROOT_PART=$(children)
for _ in $(seq 1 100); do
    P=$ROOT_PART; PARSER=$(parser)
    [ -n "$PARSER" ] && [ "$(field NoNewPrivs "$PARSER")" = 1 ] && break
    sleep 0.05
done
if [ "$(id -u)" -eq 0 ]; then
    want_user=popkit
    id popkit >/dev/null 2>&1 || want_user=nobody
    is "$(field Uid "$ROOT_PART" | head -1)" 0 "the root part keeps uid 0"
    is "$(field Uid "$PARSER")" "$(id -u "$want_user")" \
        "the pre-login parser runs as $want_user (real uid)"
    is "$(awk '$1 == "Uid:" { print $3 }' "/proc/$PARSER/status")" \
        "$(id -u "$want_user")" "the parser's effective uid too"
    is "$(awk '$1 == "Gid:" { print $2 $3 }' "/proc/$PARSER/status")" \
        "$(id -g "$want_user")$(id -g "$want_user")" "and its gid"
    is "$(awk '$1 == "Groups:" { print $2 }' "/proc/$PARSER/status")" \
        "$(id -g "$want_user")" "and no other group"
    is "$(readlink "/proc/$PARSER/root")" "$T_DIR/empty" \
        "the parser is chrooted to --privsep-dir"
    is "$(readlink "/proc/$ROOT_PART/root")" "/" "the root part is not"
    if [ "$want_user" = nobody ]; then
        like "$(cat "$T_DIR/server.log")" \
            'warning: privsep user popkit not found in /etc/passwd; using nobody' \
            "no popkit account: the fallback to nobody is logged as a warning"
    else
        t_ok "$(grep -q 'privsep user popkit not found' "$T_DIR/server.log"; [ $? -ne 0 ]; echo $?)" \
            "with a popkit account no fallback warning is logged"
    fi
    if [ -n "${POPKIT_VALGRIND:-}" ]; then
        # valgrind keeps descriptors of its own: only the soft limit drops.
        t_ok 0 "the parser cannot open a file # SKIP under valgrind"
    else
        like "$(grep '^Max open files' "/proc/$PARSER/limits")" \
            'files +1 +1 ' "the parser cannot open a file (RLIMIT_NOFILE 1)"
    fi
    like "$(grep '^Max processes' "/proc/$PARSER/limits")" \
        'processes +0 +0 ' "nor fork (RLIMIT_NPROC 0)"
    is "$(field NoNewPrivs "$PARSER")" 1 "no_new_privs is set"
else
    for i in 1 2 3 4 5 6 7 8 9 10; do
        t_ok 0 "# SKIP privilege separation needs root"
    done
fi
# Stage 2 is started ahead, while the client has not even sent USER: its
# exec and start-up overlap the login round trips.  It waits for the
# credentials on a pipe at fd 3.
P=$ROOT_PART; AHEAD=
for _ in $(seq 1 100); do
    for k in $(children); do
        [ "$(cat "/proc/$k/comm" 2>/dev/null)" = stage2 ] && AHEAD=$k
    done
    [ -n "$AHEAD" ] && break
    sleep 0.05
done
t_ok "$([ -n "$AHEAD" ]; echo $?)" "stage 2 is started before the client sends USER"
like "$(readlink "/proc/$AHEAD/fd/3" 2>/dev/null)" '^pipe:' \
    "and waits for the credentials on a pipe at fd 3"
touch "$T_DIR/go"
wait "$CLIENT"
out=$(tr -d '\r' <"$T_DIR/held.out")
is "$(echo "$out" | sed -n 2,4p | tr '\n' '|')" "+OK send PASS|+OK welcome bob|+OK bye|" \
    "the session completes through the separated parser"

# A client that leaves without logging in: the stage 2 started for it is
# killed unread (the fake would log even empty credentials), no failed
# login is logged, and no stage 2 of this test is left running.
lines_before=$(wc -l <"$FAKE_LOG")
fails_before=$(grep -c 'login failed' "$T_DIR/server.log")
out=$(printf 'CAPA\r\nQUIT\r\n' | $CHAT "$PORT" | tr -d '\r')
is "$(echo "$out" | grep -c '^\.$')|$(echo "$out" | tail -1 | cut -c1-3)" "1|+OK" \
    "a client that only asks CAPA (one listing) and quits (+OK)"
# ours_left: the pids of this test's stage 2 processes still running.
ours_left() {
    for c in /proc/[0-9]*/comm; do
        [ "$(cat "$c" 2>/dev/null)" = stage2 ] || continue
        d=${c%/comm}
        tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$T_DIR/stage2" &&
            printf ' %s' "${d#/proc/}"
    done
}
left=$(ours_left)
for _ in $(seq 1 50); do [ -z "$left" ] && break; sleep 0.1; left=$(ours_left); done
is "$left" "" "no stage 2 of ours is left running"
is "$(wc -l <"$FAKE_LOG")" "$lines_before" \
    "the stage 2 started ahead got no credentials, not even empty ones"
is "$(grep -c 'login failed' "$T_DIR/server.log")" "$fails_before" \
    "and no failed login is logged for it"

# Memory stays bounded: 16 MB without a line end, then the line end.
# (Not under valgrind: its own memory is in the figure, and 16 MB through
# an instrumented parser outlasts the client's timeout.)
if [ -n "${POPKIT_VALGRIND:-}" ]; then
    for d in "16 MB without a line end" "and the session goes on" "peak memory bounded"; do
        t_ok 0 "$d # SKIP under valgrind"
    done
else
out=$(python3 - "$PORT" "$TCPSERVER" <<'EOF'
import os, socket, sys
port, tcpserver = int(sys.argv[1]), sys.argv[2]

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/status").read()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in st:
                out.append(d)
    return out

def hwm(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(30)
f = s.makefile("rb")
f.readline()
# The root part greets before it forks the parser: wait for the parser.
import time
for _ in range(100):
    kids = children(tcpserver)
    # A fork of the root part, not stage 2 started ahead: the parser.
    comm = lambda p: open(f"/proc/{p}/comm").read()
    parsers = [p for p in children(kids[0]) if comm(p) == comm(kids[0])] \
        if kids else []
    if parsers:
        break
    time.sleep(0.05)
parser = parsers[0]
before = hwm(parser)
chunk = b"A" * 65536
for _ in range(256):
    s.sendall(chunk)
s.sendall(b"\r\n")
print(f.readline().decode().strip())
after = hwm(parser)
s.sendall(b"NOOP\r\nQUIT\r\n")
print(f.readline().decode().strip())
print("grew", after - before)
EOF
)
like "$(echo "$out" | sed -n 1p)" '^-ERR' "16 MB without a line end: -ERR"
is "$(echo "$out" | sed -n 2p)" "+OK" "and the session goes on"
like "$(echo "$out" | sed -n 3p)" '^grew ([0-9]|[0-9][0-9]|[0-9][0-9][0-9])$' \
    "the parser's peak memory grew by less than 1 MB"
fi

# An unusable privsep directory is refused before anything is said.
if [ "$(id -u)" -eq 0 ]; then
    mkdir -m 777 "$T_DIR/open"
    out=$(echo QUIT | "$G" --privsep-dir="$T_DIR/open" h true 2>&1); rc=$?
    is "$rc" 111 "a world-writable privsep dir: exit 111"
    like "$out" 'privsep directory' "with a message naming it"
    out=$(echo QUIT | "$G" --privsep-user=no-such-user-xyz h true 2>&1); rc=$?
    is "$rc" 111 "an unknown privsep user: exit 111"
    like "$out" 'privsep user no-such-user-xyz not found in /etc/passwd' \
        "with a message naming it and where it was looked for"
else
    for i in 1 2 3 4; do t_ok 0 "# SKIP needs root"; done
fi

# --- --privsep-user=UID:GID: ids that no file names, used as given ---
NUM_UID=54321 NUM_GID=54322
if [ "$(id -u)" -eq 0 ]; then
    PORT6=$(free_port)
    serve "$PORT6" "$G" --fail-delay=0 --privsep-user=$NUM_UID:$NUM_GID \
        --privsep-dir="$T_DIR/empty" mail.example.test "$T_DIR/stage2" \
        "$T_DIR/stage3"
    P=${T_PIDS##* }
    printf 'USER bob\r\nPASS secret\r\nQUIT\r\n' |
        $CHAT "$PORT6" --hold "$T_DIR/go6" >"$T_DIR/held6.out" &
    CLIENT=$!
    for _ in $(seq 1 100); do [ -s "$T_DIR/held6.out" ] && break; sleep 0.05; done
    ROOT_PART=$(children); PARSER=
    for _ in $(seq 1 100); do
        P=$ROOT_PART; PARSER=$(parser)
        [ -n "$PARSER" ] && [ "$(field NoNewPrivs "$PARSER")" = 1 ] && break
        sleep 0.05
    done
    ids() { awk -v f="$1:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$PARSER/status"; }
    is "$(ids Uid)" "$NUM_UID $NUM_UID $NUM_UID $NUM_UID" \
        "--privsep-user=UID:GID: the parser's real, effective, saved and fs uid"
    is "$(ids Gid)" "$NUM_GID $NUM_GID $NUM_GID $NUM_GID" "and gid"
    is "$(awk '$1 == "Groups:" { print $2 }' "/proc/$PARSER/status")" \
        "$NUM_GID" "and that gid as its only group"
    is "$(readlink "/proc/$PARSER/root")" "$T_DIR/empty" "chrooted as before"
    touch "$T_DIR/go6"
    wait "$CLIENT"
    is "$(tr -d '\r' <"$T_DIR/held6.out" | sed -n 2,4p | tr '\n' '|')" \
        "+OK send PASS|+OK welcome bob|+OK bye|" "and the session completes"

    # Malformed or root's ids: refused before a word is said to the client.
    for spec in 0 0:0 $NUM_UID:0 0:$NUM_GID 4294967295:$NUM_GID \
                $NUM_UID:4294967296 99999999999999999999:1 12x:34 1:2:3 \
                "1: 2" :1 1: 1 ""; do
        out=$(echo QUIT | "$G" --privsep-user="$spec" \
              --privsep-dir="$T_DIR/empty" h true 2>"$T_DIR/num.err"); rc=$?
        is "$rc:$out" "111:" "--privsep-user='$spec': exit 111, nothing sent"
        like "$(cat "$T_DIR/num.err")" "fatal: (--privsep-user=|privsep user )$spec" \
            "--privsep-user='$spec': a message naming it"
    done
else
    for i in $(seq 1 33); do t_ok 0 "# SKIP needs root"; done
fi

# --- not root: the same code, no drop, and the log says so ---
if [ "$(id -u)" -eq 0 ]; then
    PORT2=$(free_port)
    tcpserver -R -H -l0 -u "$T_OWNER_UID" -g "$T_OWNER_GID" 127.0.0.1 "$PORT2" \
        "$G" --fail-delay=0 demo.test "$T_DIR/stage2" "$T_DIR/stage3" \
        2>>"$T_DIR/user.log" &
    T_PIDS="$T_PIDS $!"
    wait_port "$PORT2" || bail "server did not start"
    out=$(printf 'USER bob\r\nPASS secret\r\nSTAT\r\nQUIT\r\n' | $CHAT "$PORT2" | tr -d '\r')
    is "$(echo "$out" | sed -n 3,4p | tr '\n' '|')" "+OK welcome bob|+OK 1 7|" \
        "as an ordinary user the chain works"
    like "$(cat "$T_DIR/user.log")" 'without privilege separation' \
        "and the log says the parser is not separated"
else
    PORT2=$(free_port)
    serve "$PORT2" "$G" --fail-delay=0 demo.test "$T_DIR/stage2" "$T_DIR/stage3"
    out=$(printf 'USER bob\r\nPASS secret\r\nSTAT\r\nQUIT\r\n' | $CHAT "$PORT2" | tr -d '\r')
    is "$(echo "$out" | sed -n 3,4p | tr '\n' '|')" "+OK welcome bob|+OK 1 7|" \
        "as an ordinary user the chain works"
    like "$(cat "$T_DIR/server.log")" 'without privilege separation' \
        "and the log says the parser is not separated"
fi

# --- APOP ---
PORT3=$(free_port)
serve "$PORT3" "$G" --apop --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test "$T_DIR/stage2" "$T_DIR/stage3"
# apop_session LOGIN PASSWORD|-DIGEST: APOP with the greeting's timestamp.
apop_session() {
    python3 - "$PORT3" "$1" "$2" <<'EOF'
import hashlib, re, socket, sys
port, login, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), 10)
f = s.makefile("rb")
greeting = f.readline().decode()
ts = re.search(r"<[^>]*>", greeting).group(0)
digest = secret[1:] if secret.startswith("-") else \
    hashlib.md5((ts + secret).encode()).hexdigest()
s.sendall(f"APOP {login} {digest}\r\nSTAT\r\nQUIT\r\n".encode())
s.shutdown(socket.SHUT_WR)
print(greeting.strip())
for line in f:
    print(line.decode().strip())
EOF
}
: >"$FAKE_LOG"
out=$(apop_session bob secret)
like "$(echo "$out" | head -1)" '^\+OK .*<[0-9]+\.[0-9]+@mail\.example\.test>$' \
    "--apop: the greeting carries <pid.time@HOSTNAME>"
is "$(echo "$out" | sed -n 2,3p | tr '\n' '|')" "+OK welcome bob|+OK 1 7|" \
    "APOP with the right digest logs in"
ts=$(echo "$out" | head -1 | grep -o '<.*>')
like "$(cat "$FAKE_LOG")" "^bob\\|[0-9a-f]{32}\\|$ts\$" \
    "stage 2 got the login, the digest and the greeting's timestamp"
out=$(apop_session bob wrong)
like "$(echo "$out" | sed -n 2p)" '^-ERR \[AUTH\]' "a wrong digest: -ERR [AUTH]"
: >"$FAKE_LOG"
out=$(apop_session bob -0123abcd)
like "$(echo "$out" | sed -n 2p)" '^-ERR' "a digest of the wrong length: -ERR"
out=$(apop_session bob -0123456789abcdef0123456789abcdeX)
like "$(echo "$out" | sed -n 2p)" '^-ERR' "a digest that is not hex: -ERR"
is "$(cat "$FAKE_LOG")" "" "stage 2 never ran for them"
out=$(printf 'USER bob\r\nPASS secret\r\nQUIT\r\n' | $CHAT "$PORT3" | tr -d '\r')
is "$(echo "$out" | sed -n 3p)" "+OK welcome bob" "USER/PASS still works with --apop"
is "$(cat "$FAKE_LOG")" "bob|secret|" "and stage 2 gets an empty timestamp for it"
out=$(python3 - "$PORT3" <<'EOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
print(p.apop("bob", "secret").decode())
print(p.stat())
p.quit()
EOF
)
like "$out" '^\+OK welcome bob' "python3 poplib apop()"
out=$(printf 'APOP bob 0123456789abcdef0123456789abcdef\r\nQUIT\r\n' |
      $CHAT "$PORT" | tr -d '\r')
like "$(echo "$out" | sed -n 2p)" '^-ERR' "without --apop, APOP is refused"

# --- --max-failures, --fail-delay ---
PORT4=$(free_port)
serve "$PORT4" "$G" --max-failures=1 --fail-delay=1 \
    --privsep-dir="$T_DIR/empty" mail.example.test "$T_DIR/stage2" "$T_DIR/stage3"
start=$(date +%s)
out=$(printf 'USER bob\r\nPASS bad\r\nNOOP\r\n' | $CHAT "$PORT4" | tr -d '\r')
end=$(date +%s)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[AUTH\].*clos' \
    "--max-failures=1: the first failure closes"
is "$(echo "$out" | sed -n 4p)" "" "NOOP after it is never answered"
t_ok "$([ $((end - start)) -ge 1 ]; echo $?)" "--fail-delay=1: the answer waited"
like "$(cat "$T_DIR/server.log")" 'failures=1/1' "the log counts against the limit"

# --- per-address rules: the contrib tcprules example, with the test's
# second loopback address refused as a known-bad network would be ---
{ echo "127.0.0.2:deny"; cat "$top_srcdir/contrib/tcpserver/tcprules.pop3"; } \
    >"$T_DIR/rules.txt"
tcprules "$T_DIR/rules.cdb" "$T_DIR/rules.tmp" <"$T_DIR/rules.txt"
t_ok $? "tcprules compiles the contrib rules"
PORT5=$(free_port)
tcpserver -R -H -l0 -c 10 -x "$T_DIR/rules.cdb" 127.0.0.1 "$PORT5" \
    "$G" --fail-delay=0 --privsep-dir="$T_DIR/empty" mail.example.test \
    "$T_DIR/stage2" "$T_DIR/stage3" 2>>"$T_DIR/server.log" &
T_PIDS="$T_PIDS $!"
wait_port "$PORT5" || bail "server did not start"
greeting_from() {
    python3 - "$PORT5" "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.bind((sys.argv[2], 0))
s.settimeout(10)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print(s.recv(512).decode().strip() or "closed")
except OSError as e:
    print("refused", e)
EOF
}
like "$(greeting_from 127.0.0.1)" '^\+OK' "an allowed address is greeted"
is "$(greeting_from 127.0.0.2)" "closed" "a denied address is cut off before the greeter runs"

done_testing
