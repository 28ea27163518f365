#!/bin/sh
# SPDX-License-Identifier: ISC
# System accounts through the whole chain with real clients:
# tcpserver -> pop3-greeter -> checkpassword-shadow / checkpassword-pam
# -> pop3-maildir, the account faked with nss_wrapper (and PAM with
# pam_wrapper + pam_matrix), fetched with curl, python3 poplib and
# fetchmail.  As root stage 2 really switches to the fake uid; as anyone
# else the fake account has the caller's own uid.
. "$top_srcdir/tests/lib.sh"

for p in pop3-greeter pop3-maildir checkpassword-shadow checkpassword-pam; do
    [ -x "$T_BIN/$p" ] || skip_all "$p not built"
done
MATRIX=
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/lib/*-linux-gnu; do
    [ -f "$d/pam_wrapper/pam_matrix.so" ] && MATRIX=$d/pam_wrapper/pam_matrix.so && break
done
[ -n "$MATRIX" ] || skip_all "pam_matrix.so (libpam-wrapper) not installed"

if [ "$(id -u)" -eq 0 ]; then AUID=4242; AGID=4242; else AUID=$(id -u); AGID=$(id -g); fi
NSS=$T_DIR/nss
H=$T_DIR/h
mkdir -p "$NSS" "$H/alice" "$T_DIR/pam.d" "$T_DIR/empty"
chmod 755 "$H" "$T_DIR/empty"
echo "alice:x:$AUID:$AGID:Alice:$H/alice:/bin/sh" >"$NSS/passwd"
echo "alice:x:$AGID:" >"$NSS/group"
echo "alice:$(openssl passwd -6 'alice pass'):19000:0:99999:7:::" >"$NSS/shadow"
echo "alice:alice pass:pop3chain" >"$T_DIR/passdb"
chmod 644 "$T_DIR/passdb"
cat >"$T_DIR/pam.d/pop3chain" <<CONF
auth     required $MATRIX passdb=$T_DIR/passdb
account  required $MATRIX passdb=$T_DIR/passdb
session  required $MATRIX passdb=$T_DIR/passdb
CONF

M=$H/alice/Maildir
make_maildir "$M"
printf 'From: a@example.org\nSubject: one\n\nfirst line\n.dot line\n' >"$T_DIR/m1"
printf 'From: b@example.org\r\nSubject: two\r\n\r\ncrlf body\r\n' >"$T_DIR/m2"
deliver "$M" "$T_DIR/m1" 1700000001.M1P1.test
deliver "$M" "$T_DIR/m2" 1700000002.M2P2.test
[ "$(id -u)" -eq 0 ] && chown -R "$AUID:$AGID" "$H/alice"

# Stage 2 under the wrappers; stage 3 without them.
# For ASan and valgrind: no deep binding (pam_wrapper 1.1.4 reads its switch
# from UID_WRAPPER_DISABLE_DEEPBIND), and ASan after the wrappers is fine.
SAN="NSS_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS=verify_asan_link_order=0"
NSSV="NSS_WRAPPER_PASSWD=$NSS/passwd NSS_WRAPPER_GROUP=$NSS/group NSS_WRAPPER_SHADOW=$NSS/shadow"
cat >"$T_BIN/stage2-shadow" <<SH
#!/bin/sh
exec env $SAN $NSSV LD_PRELOAD=libnss_wrapper.so checkpassword-shadow -m 1 "\$@"
SH
cat >"$T_BIN/stage2-pam" <<SH
#!/bin/sh
exec env $SAN $NSSV LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 \
  PAM_WRAPPER_SERVICE_DIR=$T_DIR/pam.d checkpassword-pam -s pop3chain -m 1 "\$@"
SH
# It notes its NoNewPrivs (the same process becomes pop3-maildir, and
# the flag survives exec and cannot be cleared) in nnp.
cat >"$T_BIN/stage3" <<SH
#!/bin/sh
awk '\$1 == "NoNewPrivs:" { print \$2 }' /proc/\$\$/status >>"$T_DIR/nnp"
exec env -u LD_PRELOAD -u PAM_WRAPPER pop3-maildir Maildir
SH
chmod 755 "$T_BIN/stage2-shadow" "$T_BIN/stage2-pam" "$T_BIN/stage3"

crlf() { sed 's/\r$//; s/$/\r/' "$1"; }

for kind in shadow pam; do
    : >"$T_DIR/nnp"; chmod 666 "$T_DIR/nnp"
    PORT=$(free_port)
    serve "$PORT" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
        test.example.org "stage2-$kind" stage3
    URL=pop3://127.0.0.1:$PORT

    OUT=$(curl -s --max-time 20 -u 'alice:alice pass' "$URL/1")
    is "$OUT" "$(crlf "$T_DIR/m1")" "$kind: curl (SASL PLAIN) RETR 1, byte for byte"
    OUT=$(curl -s --max-time 20 --login-options AUTH=LOGIN -u 'alice:alice pass' "$URL/2")
    is "$OUT" "$(crlf "$T_DIR/m2")" "$kind: curl AUTH=LOGIN RETR 2, byte for byte"
    curl -s --max-time 20 -u 'alice:wrong' "$URL/1" >/dev/null
    is "$?" 67 "$kind: curl with a wrong password: login denied (67)"

    OUT=$(python3 - "$PORT" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user("alice")
p.pass_("alice pass")
n, size = p.stat()
body = b"\n".join(p.retr(1)[1])
p.quit()
try:
    q = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
    q.user("alice")
    q.pass_("not it")
    bad = "accepted"
except poplib.error_proto as e:
    bad = e.args[0].decode()[:11]
print(n, b".dot line" in body, bad)
PY
)
    is "$OUT" "2 True -ERR [AUTH]" "$kind: poplib user/pass_, STAT, RETR (dot-unstuffed); a bad password gets -ERR [AUTH]"

    # A live stage 3, logged in: its /proc/PID/status (found by its
    # program, under valgrind too, and its working directory, alice's
    # home).
    OUT=$(python3 - "$PORT" "$H/alice" <<'PY'
import os, poplib, sys, time
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user("alice")
p.pass_("alice pass")
p.stat()
found = []
for _ in range(50):
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = [os.path.basename(a) for a in f.read().split(b"\0")]
            if b"pop3-maildir" in args and os.readlink(f"/proc/{pid}/cwd") == sys.argv[2]:
                with open(f"/proc/{pid}/status") as f:
                    found.append(dict(l.split(":", 1) for l in f.read().splitlines()))
        except OSError:
            pass
    if found:
        break
    time.sleep(0.1)
p.quit()
for st in found:
    print(" ".join(k + ":" + st[k].strip() for k in
                   ("NoNewPrivs", "CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd")))
PY
)
    Z=0000000000000000
    if [ "$(id -u)" -eq 0 ]; then
        is "$OUT" "NoNewPrivs:1 CapInh:$Z CapPrm:$Z CapEff:$Z CapAmb:$Z CapBnd:$Z" \
           "$kind: the live stage 3 (pop3-maildir): no_new_privs, no capability, an empty bounding set"
    else
        is "$(printf '%s\n' "$OUT" | sed 's/ CapBnd:.*//')" "NoNewPrivs:1 CapInh:$Z CapPrm:$Z CapEff:$Z CapAmb:$Z" \
           "$kind: the live stage 3 (pop3-maildir): no_new_privs, no capability (not root: no bounding set to empty)"
    fi

    FM=$T_DIR/fm-$kind
    mkdir -p "$FM"; chmod 700 "$FM"
    cat >"$FM/rc" <<RC
set invisible
poll 127.0.0.1 service $PORT protocol pop3 auth password
  user "alice" password "alice pass" is root here
  keep no rewrite sslproto ""
  mda "/bin/sh -c 'cat > $FM/msg.\$\$'"
RC
    chmod 600 "$FM/rc"
    # --pidfile: as root fetchmail locks /var/run/fetchmail.pid whatever
    # HOME says, so another suite's fetchmail at the same time made it
    # exit 8 (lock busy).
    HOME=$FM FETCHMAILHOME=$FM fetchmail -f "$FM/rc" --nodetach --nosyslog \
        --pidfile "$FM/pid" >"$FM/out" 2>&1
    is "$?" 0 "$kind: fetchmail auth password"
    is "$(cat "$FM"/msg.* | grep -c '^Subject: ')" 2 "$kind: fetchmail delivered both messages"

    # mutt over POP in a pseudo-terminal: <fetch-mail> into an mbox.
    MD=$T_DIR/mutt-$kind
    mkdir -p "$MD"; chmod 700 "$MD"; : >"$MD/spool"
    cat >"$MD/muttrc" <<RC
set pop_host="pop://alice@127.0.0.1:$PORT"
set pop_pass="alice pass"
set pop_authenticators="user"
set pop_delete=no
set pop_last=no
set quit=yes
set move=no
set mbox_type=mbox
set ssl_starttls=no
set ssl_force_tls=no
set spoolfile="$MD/spool"
set folder="$MD"
RC
    if command -v mutt >/dev/null && command -v script >/dev/null; then
        HOME=$MD TERM=vt100 MAIL=$MD/spool timeout 60 script -qec \
            "mutt -n -F $MD/muttrc -e 'push <fetch-mail><quit>'" /dev/null >"$MD/out" 2>&1
        is "$(grep -c '^From ' "$MD/spool")" 2 "$kind: mutt <fetch-mail> got both messages"
        like "$(cat "$MD/spool")" "^\.dot line\$" "$kind: mutt: the dot line unstuffed"
    fi
    is "$(sort -u "$T_DIR/nnp" | tr '\n' ' ')" "1 " \
        "$kind: every stage 3 ran with NoNewPrivs: 1 (set by stage 2 before its exec)"
done
check "the password never reaches the log" sh -c "! grep -q 'alice pass' '$T_DIR/server.log'"
check "the Maildir still holds both messages (keep)" test "$(ls "$M/cur" | wc -l)" -eq 2
done_testing
