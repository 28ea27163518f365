#!/bin/sh
# SPDX-License-Identifier: ISC
# contrib/fail2ban/popkit.conf against the log the real chain writes:
# tcpserver -> pop3-greeter -> checkpassword-virtual -> pop3-maildir,
# python3 poplib logging in with bad passwords (USER/PASS and AUTH PLAIN),
# a good login, a login name that tries to forge an address, and a stage 2
# that fails for its own reasons.  fail2ban-regex (Debian's fail2ban) must
# count each bad password once, take the address the greeter logged, and
# leave the rest alone, in each frame a log collector puts around the
# lines: TAI64N (multilog, svlogd -t) and syslog's (inetd, journal).
. "$top_srcdir/tests/lib.sh"

command -v fail2ban-regex >/dev/null || skip_all "fail2ban-regex not installed (fail2ban)"
F2B_COMMON=/etc/fail2ban/filter.d/common.conf
[ -f "$F2B_COMMON" ] || skip_all "$F2B_COMMON missing (fail2ban)"

U=$T_DIR/users
mkdir -p "$T_DIR/empty" "$T_DIR/home"
chmod 755 "$T_DIR/empty" "$T_DIR/home"
echo 'right pass' | vuser -f "$U" add ann@example.org "$T_OWNER" "$T_DIR/home/ann" >/dev/null
make_maildir "$T_DIR/home/ann/Maildir"
own "$T_DIR/home/ann"
chmod 644 "$U"

PORT=$(free_port)
serve "$PORT" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test checkpassword-virtual -f "$U" pop3-maildir Maildir
# The same greeter, its stage 2 a users file it cannot read: exit 111.
PORT2=$(free_port)
serve "$PORT2" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test checkpassword-virtual -f "$T_DIR/missing" pop3-maildir Maildir

python3 - "$PORT" "$PORT2" >"$T_DIR/client.out" 2>&1 <<'PY'
import base64, poplib, sys
port, port2 = int(sys.argv[1]), int(sys.argv[2])

def bad(user, pw, p=port):
    c = poplib.POP3("127.0.0.1", p, timeout=20)
    c.user(user)
    try:
        c.pass_(pw)
        print("unexpected +OK for", user)
    except poplib.error_proto as e:
        print("refused", user, e)
    c.quit()

bad("ann@example.org", "wrong 1")
bad("nobody@example.org", "wrong 2")
bad("x ip=203.0.113.9 rip=203.0.113.9", "wrong 3")
c = poplib.POP3("127.0.0.1", port, timeout=20)
try:
    c._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0ann@example.org\0wrong 4").decode())
    print("unexpected +OK for AUTH PLAIN")
except poplib.error_proto as e:
    print("refused AUTH PLAIN", e)
c.quit()
c = poplib.POP3("127.0.0.1", port, timeout=20)
c.user("ann@example.org")
print(c.pass_("right pass"))
c.quit()
bad("ann@example.org", "right pass", port2)
PY
is "$(grep -c '^refused' "$T_DIR/client.out")" 5 "the client was refused five times" ||
    sed 's/^/#   /' "$T_DIR/client.out"
like "$(cat "$T_DIR/client.out")" "^b'\\+OK" "the good password logged in"

# Stage 3's logout line comes when it exits: wait for it (bounded).
for _ in $(seq 1 100); do
    grep -q 'logout' "$T_DIR/server.log" && break
    sleep 0.05
done
grep 'pop3-greeter' "$T_DIR/server.log" >"$T_DIR/greeter.log"
sed 's/^/# log: /' "$T_DIR/server.log"

# Two frames around the very lines: a multilog/svlogd -t TAI64N stamp,
# and a syslog one (what rsyslog writes, and fail2ban's journal backend
# builds: HOST IDENT[PID]: MESSAGE, the "pop3-greeter: " prefix left in,
# since stderr lines reach the journal as they are).
python3 - "$T_DIR/server.log" "$T_DIR/tai64n.log" "$T_DIR/syslog.log" <<'PY'
import sys, time
src, tai, sysl = sys.argv[1:]
now = int(time.time())
with open(src) as f, open(tai, "w") as t, open(sysl, "w") as s:
    for i, line in enumerate(f):
        line = line.rstrip("\n")
        t.write("@%016x%08x %s\n" % (2**62 + 10 + now, i, line))
        stamp = time.strftime("%b %e %H:%M:%S", time.localtime(now))
        s.write("%s mail pop3-greeter[%d]: %s\n" % (stamp, 1000 + i, line))
PY

mkdir -p "$T_DIR/f2b/filter.d"
cp "$F2B_COMMON" "$top_srcdir/contrib/fail2ban/popkit.conf" "$T_DIR/f2b/filter.d/"
for frame in tai64n syslog; do
    fail2ban-regex "$T_DIR/$frame.log" "$T_DIR/f2b/filter.d/popkit.conf" \
        >"$T_DIR/$frame.out" 2>&1
    is "$?" 0 "$frame: fail2ban-regex reads the filter"
    like "$(cat "$T_DIR/$frame.out")" '^Lines: [0-9]+ lines, 1 ignored, 4 matched' \
        "$frame: the four bad passwords match, the temporary failure is ignored" ||
        grep -E '^Lines|Date template|^\|  \[' "$T_DIR/$frame.out" | sed 's/^/#   /'
    fail2ban-regex -o ip "$T_DIR/$frame.log" "$T_DIR/f2b/filter.d/popkit.conf" \
        >"$T_DIR/$frame.ip" 2>&1
    is "$(sort -u "$T_DIR/$frame.ip" | tr '\n' ' ')" "127.0.0.1 " \
        "$frame: the address is the client's, not one a login name wrote"
    like "$(cat "$T_DIR/$frame.out")" 'TAI64N|MON Day' \
        "$frame: the time comes from the frame's stamp"
done
done_testing
