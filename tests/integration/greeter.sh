#!/bin/sh
# SPDX-License-Identifier: ISC
# greeter.sh -- pop3-greeter under tcpserver with a fake stage 2 and 3:
# greeting, CAPA, USER/PASS, AUTH PLAIN/LOGIN, retries, response codes,
# pipelining, hostile input.  Each exchange goes through a real socket
# (tests/integration/greeter_chat.py writes the commands in one send).
. "$top_srcdir/tests/lib.sh"

. "$top_srcdir/tests/integration/greeter_fakes.sh"

# --- usage ---
out=$("$G" --help); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" '^usage: pop3-greeter' "--help prints the usage line"
"$G" >/dev/null 2>"$T_DIR/err"; rc=$?
is "$rc" 2 "no arguments: exit 2"
like "$(cat "$T_DIR/err")" '^usage:' "usage on stderr"
"$G" --bogus h true >/dev/null 2>&1; is "$?" 2 "unknown option: exit 2"
"$G" --fail-delay=x h true >/dev/null 2>&1; is "$?" 2 "bad --fail-delay: exit 2"
"$G" 'bad host' true >/dev/null 2>&1; is "$?" 2 "HOSTNAME with a space: exit 2"

PORT=$(free_port)
serve "$PORT" "$G" --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test "$T_DIR/stage2" "$T_DIR/stage3"

# chat LINES...: one session, the lines sent CRLF-terminated in one write.
chat() {
    printf '%s\r\n' "$@" | $CHAT "$PORT" | tr -d '\r'
}

# --- greeting, CAPA, the commands that need no login ---
out=$(chat QUIT)
like "$(echo "$out" | head -1)" '^\+OK mail\.example\.test ' "greeting names HOSTNAME"
t_ok "$(echo "$out" | head -1 | grep -c '<')" "no APOP timestamp without --apop"
like "$(echo "$out" | sed -n 2p)" '^\+OK' "QUIT answered +OK"

out=$(chat CAPA QUIT)
for cap in USER 'SASL PLAIN LOGIN' TOP UIDL RESP-CODES AUTH-RESP-CODE \
           PIPELINING 'IMPLEMENTATION popkit'; do
    like "$out" "^$cap\$" "CAPA lists $cap"
done
like "$out" '^\.$' "CAPA list ends with a dot"
t_ok "$(echo "$out" | grep -c '^STLS')" "no STLS without TLS"

out=$(chat AUTH QUIT)
like "$(echo "$out" | sed -n 2,5p | tr '\n' ' ')" '^\+OK.* PLAIN LOGIN \. $' \
    "bare AUTH lists PLAIN and LOGIN"

out=$(chat NOOP LAST 'AUTH CRAM-MD5' STAT FOO 'noop' 'capa' quit)
is "$(echo "$out" | sed -n 2p)" "+OK" "NOOP +OK"
like "$(echo "$out" | sed -n 3p)" '^-ERR' "LAST before login: -ERR"
like "$(echo "$out" | sed -n 4p)" '^-ERR' "unsupported AUTH mechanism: -ERR"
like "$(echo "$out" | sed -n 5p)" '^-ERR' "STAT before login: -ERR"
like "$(echo "$out" | sed -n 6p)" '^-ERR' "unknown command: -ERR"
is "$(echo "$out" | sed -n 7p)" "+OK" "session goes on; verbs are case-insensitive"
like "$(echo "$out" | tail -1)" '^\+OK' "lowercase quit"

# --- USER/PASS, stage 2's payload, pipelining into stage 3 ---
: >"$FAKE_LOG"
out=$(chat 'USER bob' 'PASS secret' STAT LIST QUIT)
is "$(echo "$out" | sed -n 2,8p | tr '\n' '|')" \
   "+OK send PASS|+OK welcome bob|+OK 1 7|+OK 1 messages|1 7|.|+OK bye|" \
   "USER PASS STAT LIST QUIT in one write: every answer, stage 3 got the rest"
is "$(cat "$FAKE_LOG")" "bob|secret|" "stage 2 read bob\\0secret\\0\\0 on fd 3"

out=$(chat 'PASS secret' QUIT)
like "$(echo "$out" | sed -n 2p)" '^-ERR' "PASS without USER: -ERR"

# --- failures: [AUTH], retry, the limit ---
: >"$FAKE_LOG"
out=$(chat 'USER bob' 'PASS wrong' 'USER bob' 'PASS secret' QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[AUTH\]' "wrong password: -ERR [AUTH]"
is "$(echo "$out" | sed -n 5p)" "+OK welcome bob" "the client may try again"

# The wrong passwords hold a '!', which no log field (session ids are
# [A-Za-z0-9_-]) can: finding one in the log is a leak, never chance.
out=$(chat 'USER bob' 'PASS x!w1' 'USER bob' 'PASS x!w2' 'USER bob' 'PASS x!w3' \
           NOOP 'USER bob' 'PASS secret')
is "$(echo "$out" | grep -c '^-ERR \[AUTH\]')" 3 "three failures, three -ERR [AUTH]"
like "$(echo "$out" | tail -1)" '^-ERR \[AUTH\].*clos' \
    "after the third failure the connection closes"
t_ok "$(echo "$out" | grep -c '^+OK$')" "nothing answered after the limit"
like "$(cat "$T_DIR/server.log")" \
    'info: login failed: reason=bad-credentials failures=1/3 user=bob method=USER rip=127\.0\.0\.1 lip=127\.0\.0\.1 session=[A-Za-z0-9_-]{12}$' \
    "log line per failure with login, method, remote IP and session"
t_ok "$(grep -c 'x!w\|secret' "$T_DIR/server.log")" \
    "no password in the log"

out=$(chat 'USER temp' 'PASS secret' NOOP QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[SYS/TEMP\]' "stage 2 exit 111: -ERR [SYS/TEMP]"
is "$(echo "$out" | sed -n 4p)" "+OK" "the session goes on after [SYS/TEMP]"
out=$(chat 'USER crash' 'PASS secret' QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[SYS/TEMP\]' "stage 2 crash: -ERR [SYS/TEMP]"
out=$(chat 'USER misuse' 'PASS secret' QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[SYS/TEMP\]' "stage 2 exit 2: -ERR [SYS/TEMP]"

# --- SASL (RFC 5034) ---
b64() { printf "$1" | base64 -w0; }
: >"$FAKE_LOG"
out=$(chat "AUTH PLAIN $(b64 '\0bob\0secret')" STAT QUIT)
is "$(echo "$out" | sed -n 2,3p | tr '\n' '|')" "+OK welcome bob|+OK 1 7|" \
    "AUTH PLAIN with initial response"
out=$(chat 'AUTH PLAIN' "$(b64 'bob\0bob\0secret')" QUIT)
is "$(echo "$out" | sed -n 2,3p | tr '\n' '|')" "+ |+OK welcome bob|" \
    "AUTH PLAIN after an empty challenge; authzid = authcid accepted"
out=$(chat 'auth plain' '*' NOOP QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR' "* cancels the exchange"
is "$(echo "$out" | sed -n 4p)" "+OK" "the session goes on after the cancel"
: >"$FAKE_LOG"
out=$(chat "AUTH PLAIN $(b64 'admin\0bob\0secret')" QUIT)
like "$(echo "$out" | sed -n 2p)" '^-ERR \[AUTH\]' "authzid other than authcid refused"
is "$(cat "$FAKE_LOG")" "" "stage 2 never ran for it"
out=$(chat 'AUTH PLAIN AHVzZXIAcGFzcw=' 'AUTH PLAIN' 'not base64!' NOOP QUIT)
like "$(echo "$out" | sed -n 2p)" '^-ERR' "bad base64 in the initial response"
like "$(echo "$out" | sed -n 4p)" '^-ERR' "bad base64 in a continuation"
is "$(echo "$out" | sed -n 5p)" "+OK" "the session goes on"
out=$(chat 'AUTH PLAIN =' QUIT)
like "$(echo "$out" | sed -n 2p)" '^-ERR' "empty PLAIN response refused"

out=$(chat 'AUTH LOGIN' "$(b64 bob)" "$(b64 secret)" STAT QUIT)
is "$(echo "$out" | sed -n 2,5p | tr '\n' '|')" \
   "+ VXNlcm5hbWU6|+ UGFzc3dvcmQ6|+OK welcome bob|+OK 1 7|" \
   "AUTH LOGIN: Username:, Password:, stage 3"
out=$(chat "AUTH LOGIN $(b64 bob)" "$(b64 secret)" QUIT)
is "$(echo "$out" | sed -n 2,3p | tr '\n' '|')" "+ UGFzc3dvcmQ6|+OK welcome bob|" \
    "AUTH LOGIN with the user name as initial response"
out=$(chat 'AUTH LOGIN' "$(b64 bob)" '*' QUIT)
like "$(echo "$out" | sed -n 4p)" '^-ERR' "AUTH LOGIN cancelled at the password"

# --- hostile input: each gets -ERR, the session goes on ---
hostile() {
    printf "$1"'\r\nNOOP\r\nQUIT\r\n' | $CHAT "$PORT" | tr -d '\r' | sed -n 2,3p | tr '\n' '|'
}
like "$(hostile 'USER b\0b')" '^-ERR[^|]*\|\+OK\|$' "NUL in USER"
like "$(hostile 'USER b\tb')" '^-ERR[^|]*\|\+OK\|$' "TAB in USER"
like "$(hostile 'USER b\rb')" '^-ERR[^|]*\|\+OK\|$' "CR alone in USER"
like "$(hostile 'USER b\377\376')" '^-ERR[^|]*\|\+OK\|$' "invalid UTF-8 in USER"
like "$(hostile 'NO\0OP')" '^-ERR[^|]*\|\+OK\|$' "NUL in a command"
long=$(head -c 300 /dev/zero | tr '\0' x)
like "$(hostile "NOOP $long")" '^-ERR[^|]*\|\+OK\|$' "300-octet line: -ERR"
long=$(head -c 8192 /dev/zero | tr '\0' A)
like "$(hostile "AUTH PLAIN $long")" '^-ERR[^|]*\|\+OK\|$' "8 KB AUTH line: -ERR"
like "$(hostile "AUTH PLAIN\r\n$long")" '^\+ \|-ERR' "8 KB SASL response: -ERR"
: >"$FAKE_LOG"
out=$(chat 'USER b%c' "$(printf 'PASS p\377')" QUIT)
like "$(echo "$out" | sed -n 3p)" '^-ERR \[AUTH\]' "% in USER, 8-bit PASS: stage 2 says no"
out=$(printf 'USER bob\r\nPASS se\0cret\r\nQUIT\r\n' | $CHAT "$PORT" | tr -d '\r')
like "$(echo "$out" | sed -n 3p)" '^-ERR' "NUL in PASS: -ERR"
out=$( (for i in $(seq 1 10); do printf 'AUTH PLAIN\r\n*\r\n'; done; printf 'QUIT\r\n') |
       $CHAT "$PORT" | tr -d '\r')
is "$(echo "$out" | grep -c '^-ERR')" 10 "repeated AUTH: each cancelled cleanly"
like "$(echo "$out" | tail -1)" '^\+OK' "and QUIT still works"
out=$(for i in $(seq 1 60); do printf 'NOOP\r\n'; done | $CHAT "$PORT" | tr -d '\r')
like "$(echo "$out" | tail -1)" '^-ERR.*too many' "command limit before login closes"
is "$(echo "$out" | grep -c '^+OK$')" 50 "after POP3_PRELOGIN_MAX_COMMANDS commands"

# Random garbage (fixed seed): every line gets exactly one -ERR, the
# parser survives, and QUIT still ends the session cleanly.
out=$(python3 - "$PORT" <<'EOF'
import random, socket, sys
rng = random.Random(1939)
bad = 0
for session in range(8):
    lines = []
    for _ in range(40):
        n = rng.choice((1, 5, 40, 250, 300, 1000))
        line = bytes(rng.randrange(256) for _ in range(n)).replace(b"\n", b"")
        if line[:4].upper() in (b"QUIT", b"NOOP", b"CAPA", b"AUTH", b"STLS"):
            line = b"X" + line
        lines.append(line)
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
    s.settimeout(20)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"".join(l + b"\r\n" for l in lines) + b"QUIT\r\n")
    answers = [f.readline() for _ in range(41)]
    if not all(a.startswith(b"-ERR") for a in answers[:40]):
        bad += 1
        print("#", [a for a in answers if not a.startswith(b"-ERR")][:3])
    if not answers[40].startswith(b"+OK"):
        bad += 1
    s.close()
print("bad", bad)
EOF
)
is "$(echo "$out" | tail -1)" "bad 0" "320 random lines: one -ERR each, then QUIT +OK"

# Credentials, then gone: the server survives and serves the next client.
printf 'USER bob\r\nPASS secret\r\n' | $CHAT "$PORT" >/dev/null
out=$(chat NOOP QUIT)
is "$(echo "$out" | sed -n 2p)" "+OK" "a client that leaves after PASS harms nothing"

# --- real clients against the greeter (fake stages behind it) ---
out=$(curl -sS -v --max-time 20 "pop3://bob:secret@127.0.0.1:$PORT/" 2>"$T_DIR/curl.err" | tr -d '\r')
is "$out" "1 7" "curl pop3:// lists the mailbox"
like "$(cat "$T_DIR/curl.err")" '> AUTH PLAIN' "curl used SASL PLAIN by default"
out=$(curl -sS -v --max-time 20 --login-options AUTH=LOGIN \
      "pop3://bob:secret@127.0.0.1:$PORT/1" 2>"$T_DIR/curl.err" | tr -d '\r')
is "$out" "hello" "curl --login-options AUTH=LOGIN retrieves message 1"
like "$(cat "$T_DIR/curl.err")" '> AUTH LOGIN' "curl used SASL LOGIN"
curl -sS --max-time 20 "pop3://bob:wrong@127.0.0.1:$PORT/" >/dev/null 2>&1
t_ok "$([ $? -ne 0 ]; echo $?)" "curl with a wrong password fails"
out=$(python3 - "$PORT" <<'EOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
caps = p.capa()
print("capa", "USER" in caps, "SASL" in caps, "PIPELINING" in caps)
p.user("bob")
try:
    p.pass_("wrong")
except poplib.error_proto as e:
    print("wrong", e)
p.user("bob")
print(p.pass_("secret").decode())
print("stat", p.stat())
print("retr", p.retr(1)[1])
p.quit()
EOF
)
like "$out" '^capa True True True$' "poplib capa()"
like "$out" "^wrong b'-ERR \\[AUTH\\]" "poplib pass_() with a wrong password: -ERR [AUTH]"
like "$out" '^\+OK welcome bob$' "poplib user()/pass_() then retries in the same session"
like "$out" '^stat \(1, 7\)$' "poplib stat() reaches stage 3"
like "$out" "^retr \\[b'hello'\\]$" "poplib retr()"

# --- split packets: a command in pieces still works ---
out=$(python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
f.readline()
for part in (b"NO", b"OP\r", b"\nQU", b"IT\r\n"):
    s.sendall(part); time.sleep(0.05)
print(f.readline().decode().strip(), f.readline().decode().strip())
EOF
)
like "$out" '^\+OK \+OK' "commands split across packets"

done_testing
