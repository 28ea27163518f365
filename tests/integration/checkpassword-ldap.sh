#!/bin/sh
# SPDX-License-Identifier: ISC
# checkpassword-ldap against a real directory: Debian's slapd, started
# here on loopback ports with a generated slapd.conf (mdb in the test's
# directory) and a few inetOrgPerson + posixAccount entries, stopped at
# the end.  A login through the whole POP3 chain, a bad password, an
# unknown user (the same binds, and the same time, as a bad password), a
# directory that is down or silent (111, -ERR [SYS/TEMP]), LDAP
# injection in the login, {CRYPT} compare (one crypt each answer),
# StartTLS and ldaps:// with a test CA (and a wrong one refused), the
# bind password in no argv or environment.
. "$top_srcdir/tests/lib.sh"

for p in checkpassword-ldap pop3-greeter pop3-maildir; do
    [ -x "$T_BIN/$p" ] || skip_all "$p not built"
done
H=$T_DIR/h
mkdir -p "$H" "$T_DIR/empty"
chmod 755 "$H" "$T_DIR/empty"
. "$top_srcdir/tests/integration/slapd.sh"
sh "$top_srcdir/tests/integration/mkcert.sh" "$T_DIR/other-ca"

OWNER_UID=$T_OWNER_UID
OWNER_GID=$T_OWNER_GID
ALICE_PW='alice pass'
BOB_PW='bob-crypt-pw'
DAVE_PW='dave pw'
ERIN_PW='erin pw'
FRANK_PW='frank pw'
{
    person "ou=people,$SUFFIX" alice "$(slappasswd -s "$ALICE_PW")" "employeeType: pop"
    # uidNumber 0, which only an owner by name (owner_attr) gets round.
    person "ou=people,$SUFFIX" frank "$(slappasswd -s "$FRANK_PW")" "carLicense: $T_OWNER"
    # Not let in by the "gate" filter, which wants employeeType pop.
    person "ou=people,$SUFFIX" erin "$(slappasswd -s "$ERIN_PW")"
    person "ou=people,$SUFFIX" bob "{CRYPT}$(openssl passwd -6 "$BOB_PW")"
    person "ou=people,$SUFFIX" 'o(n)e*' "$(slappasswd -s 'paren pw')"
    # Alone under ou=solo: a filter that an injected '*' widened would
    # find exactly this one entry, and dave's password would log in.
    person "ou=solo,$SUFFIX" dave "$(slappasswd -s "$DAVE_PW")"
} >"$S/data.ldif"
ldap_add "$S/data.ldif"
modify frank uidNumber 0
for u in alice bob 'o(n)e*' dave erin frank; do
    make_maildir "$H/$u/Maildir"
done
printf 'From: a@example.org\nSubject: ldap one\n\nhello from the directory\n' >"$T_DIR/m1"
deliver "$H/alice/Maildir" "$T_DIR/m1" 1700000001.M1P1.test
own "$H"

conf plain uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" maildir_attr description
conf gate uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" filter "(&(uid=%u)(employeeType=pop))"
conf many uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" filter "(|(uid=%u)(objectClass=posixAccount))"
conf solo uri "ldap://127.0.0.1:$PORT" base "ou=solo,$SUFFIX"
conf compare uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" auth compare \
    dummy_hash "{CRYPT}$(openssl passwd -6 never-a-password)"
conf starttls uri "ldap://127.0.0.1:$PORT" starttls yes ca_file "$T_DIR/tls/ca.pem" base "ou=people,$SUFFIX"
conf ldaps uri "ldaps://127.0.0.1:$SPORT" ca_file "$T_DIR/tls/ca.pem" base "ou=people,$SUFFIX"
conf starttls-wrongca uri "ldap://127.0.0.1:$PORT" starttls yes ca_file "$T_DIR/other-ca/ca.pem" base "ou=people,$SUFFIX"
conf ldaps-wrongca uri "ldaps://127.0.0.1:$SPORT" ca_file "$T_DIR/other-ca/ca.pem" base "ou=people,$SUFFIX"
DOWN=$(free_port)
conf down uri "ldap://127.0.0.1:$DOWN" base "ou=people,$SUFFIX"
conf badsvc uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX"
sed -i "s|^bind_pw_file .*|bind_pw_file $T_DIR/wrong.pw|" "$T_DIR/badsvc.conf"
echo not-it >"$T_DIR/wrong.pw"
conf owner uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" owner "$T_OWNER"
conf ownerattr uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" auth compare owner_attr carLicense
printf 'uri ldap://127.0.0.1:%s\nbase %s\nscope everywhere\n' "$PORT" "$SUFFIX" >"$T_DIR/broken.conf"

# A stage 3 stand-in: who, where, and the environment it got.
cat >"$T_BIN/showenv" <<'SH'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) user=$USER home=$HOME maildir=${MAILDIR:-} cwd=$(pwd) args=$*"
SH
chmod 755 "$T_BIN/showenv"

# cpl CONF LOGIN PASSWORD [PROG...]: run it with the record on fd 3;
# OUT, RC, ERR.  The login and password go through printf %s, so a NUL
# cannot be given here (the greeter refuses one; test_ldapfilter checks
# its escape).
cpl() {
    c=$1 l=$2 p=$3; shift 3
    [ $# -gt 0 ] || set -- showenv a1
    OUT=$(printf '%s\0%s\0\0' "$l" "$p" |
          checkpassword-ldap -c "$T_DIR/$c.conf" "$@" 3<&0 2>"$T_DIR/err")
    RC=$?
    ERR=$(cat "$T_DIR/err")
}
# binds_since N: the BIND lines of slapd's log after line N, their DNs.
log_lines() { wc -l <"$S/log"; }
binds_since() { sed -n "$(($1 + 1)),\$p" "$S/log" | sed -n 's/.* BIND dn="\([^"]*\)" method=128$/\1/p'; }

cpl plain alice "$ALICE_PW"
is "$RC" 0 "bind mode, good password: exit 0 (stage 3 exec'ed)"
is "$OUT" "uid=$OWNER_UID gid=$OWNER_GID user=alice home=$H/alice maildir=$H/alice/Maildir/ cwd=$H/alice args=a1" \
    "stage 3 runs as uidNumber/gidNumber with USER, HOME, MAILDIR, cwd and its argv"
cpl plain alice 'wrong'
is "$RC:$OUT" "1:" "bad password: exit 1, nothing run"
cpl plain alice ''
is "$RC:$OUT" "1:" "empty password (an unauthenticated bind if sent): exit 1"
cpl plain nosuch "$ALICE_PW"
is "$RC:$OUT" "1:" "unknown user: exit 1"
cpl owner alice "$ALICE_PW"
like "$RC:$OUT" "^0:uid=$OWNER_UID gid=$(id -g "$T_OWNER") user=alice " "owner ACCOUNT: stage 3 runs as that account"
checkpassword-ldap -c 2>"$T_DIR/err" 3</dev/null
is "$?:$(head -1 "$T_DIR/err")" "2:checkpassword-ldap: option '-c' needs a value" "-c without a file: exit 2"
checkpassword-ldap -c '' true 2>"$T_DIR/err" 3</dev/null
is "$?:$(head -1 "$T_DIR/err")" "2:checkpassword-ldap: option '-c' needs a file name" "-c '': exit 2"
checkpassword-ldap -c "$T_DIR/plain.conf" 2>"$T_DIR/err" 3</dev/null
is "$?:$(head -1 "$T_DIR/err")" "2:checkpassword-ldap: no PROG to run" "no PROG: exit 2"
cpl nosuch alice "$ALICE_PW"
is "$RC" 111 "a configuration file that is not there: 111"
like "$ERR" "cannot read $T_DIR/nosuch.conf" "and says so"
cpl ownerattr bob "$BOB_PW"
is "$RC:$OUT" "111:" "owner_attr, the entry has none: 111"
like "$ERR" "uid=bob,ou=people,$SUFFIX: no carLicense" "and says so"
sed -i "s/^owner_attr .*/owner_attr uid/" "$T_DIR/ownerattr.conf"
cpl ownerattr bob "$BOB_PW"
like "$RC:$ERR" "^111:.*owner bob: no such account" "owner_attr naming no local account: 111"
sed -i "s/^owner_attr .*/owner_attr carLicense/; s/^auth .*/auth bind/" "$T_DIR/ownerattr.conf"
cpl plain frank "$FRANK_PW"
like "$RC:$OUT:$ERR" "^1::.*has uid 0" "uidNumber 0: refused (1), said in the log"
cpl ownerattr frank "$FRANK_PW"
like "$RC:$OUT" "^0:uid=$OWNER_UID gid=$(id -g "$T_OWNER") user=frank " \
    "owner_attr: stage 3 runs as the account the entry names, not its uidNumber"
cp "$T_DIR/plain.conf" "$T_DIR/pwfile.conf"
sed -i "s|^bind_pw_file .*|bind_pw_file $T_DIR/empty.pw|" "$T_DIR/pwfile.conf"
: >"$T_DIR/empty.pw"
cpl pwfile alice "$ALICE_PW"
like "$RC:$ERR" "^111:.*empty.pw: no password on its first line" "an empty bind_pw_file: 111"
printf 'abc\000def\n' >"$T_DIR/empty.pw"
cpl pwfile alice "$ALICE_PW"
like "$RC:$ERR" "^111:.*empty.pw: no password on its first line" "a NUL in bind_pw_file: 111, not a shorter password"
cp "$T_DIR/bind.pw" "$T_DIR/open.pw"
chmod 644 "$T_DIR/open.pw"
sed -i "s|^bind_pw_file .*|bind_pw_file $T_DIR/open.pw|" "$T_DIR/pwfile.conf"
cpl pwfile alice "$ALICE_PW"
like "$RC:$ERR" "^0:.*open.pw can be read by others" "a bind_pw_file others can read: works, with a warning"
cpl broken alice "$ALICE_PW"
is "$RC" 111 "a configuration error: 111, not a bad password"
like "$ERR" "line 3: scope is sub, one or base" "and the log names the line"
cpl badsvc alice "$ALICE_PW"
is "$RC" 111 "the directory refuses bind_dn: 111"
like "$ERR" "bind as bind_dn: Invalid credentials" "logged as such"

# The same work for an unknown user as for a bad password: the same two
# binds (the search DN, then the entry or the dummy DN), counted in
# slapd's own log; and, as a cross-check that cannot flake, medians of
# several tries that do not differ by more than a generous margin.
n=$(log_lines); cpl plain alice wrong
is "$(binds_since "$n" | tr '\n' '|')" "$SVC|uid=alice,ou=people,$SUFFIX|" \
    "bad password: a bind as the search DN, then one as the entry"
n=$(log_lines); cpl plain nosuch wrong
is "$(binds_since "$n" | tr '\n' '|')" "$SVC|cn=checkpassword-ldap-dummy,ou=people,$SUFFIX|" \
    "unknown user: a bind as the search DN, then one as the dummy DN"
n=$(log_lines); cpl plain alice ''
is "$(binds_since "$n" | tr '\n' '|')" "$SVC|cn=checkpassword-ldap-dummy,ou=people,$SUFFIX|" \
    "empty password: the dummy bind, never an unauthenticated one"
# A real entry as dummy_dn (for a server whose hashes are slow): an
# unknown login that happens to know its password still gets 1.
conf realdummy uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" dummy_dn "uid=erin,ou=people,$SUFFIX"
n=$(log_lines); cpl realdummy nosuch "$ERIN_PW"
is "$RC:$OUT|$(binds_since "$n" | tr '\n' '|')" "1:|$SVC|uid=erin,ou=people,$SUFFIX|" \
    "dummy_dn a real entry: the bind as it succeeds, the unknown login still gets 1"
median_ms() {   # LOGIN PASSWORD: the median of 9 runs, in ms
    for _ in 1 2 3 4 5 6 7 8 9; do
        s=$(date +%s%N)
        printf '%s\0%s\0\0' "$1" "$2" | checkpassword-ldap -c "$T_DIR/plain.conf" true 3<&0 2>/dev/null
        e=$(date +%s%N)
        echo $(((e - s) / 1000000))
    done | sort -n | sed -n 5p
}
BAD=$(median_ms alice wrong)
UNK=$(median_ms nosuch wrong)
D=$((BAD > UNK ? BAD - UNK : UNK - BAD))
t_ok "$([ "$D" -le $((50 + BAD)) ]; echo $?)" \
    "unknown user and bad password take alike (medians ${UNK} ms and ${BAD} ms)"

# LDAP injection: the login is escaped into the filter.  Under ou=solo
# there is only dave: '*' or ')(uid=*' taken as filter syntax would
# find him, and his password would log in.
cpl solo dave "$DAVE_PW"
is "$RC" 0 "solo: dave logs in as himself"
cpl solo '*' "$DAVE_PW"
is "$RC:$OUT" "1:" "login '*' with dave's password: exit 1 (no wildcard)"
cpl solo ')(uid=*' "$DAVE_PW"
is "$RC:$OUT" "1:" "login ')(uid=*' with dave's password: exit 1 (no filter of its own)"
cpl solo '*)(|(objectClass=*' "$DAVE_PW"
is "$RC:$OUT" "1:" "login '*)(|(objectClass=*': exit 1"
n=$(log_lines); cpl solo '*' "$DAVE_PW"
like "$(sed -n "$((n + 1)),\$p" "$S/log" | grep ' SRCH ' | grep 'filter=')" 'uid=\\2[aA]' \
    "slapd got the '*' as the escaped value \\2a"
# A filter that lets in only some entries: ')(' in a login cannot open
# an OR of its own around the condition.
cpl gate alice "$ALICE_PW"
is "$RC" 0 "gate filter: alice (employeeType pop) logs in"
cpl gate erin "$ERIN_PW"
is "$RC" 1 "gate filter: erin (no employeeType) does not"
cpl gate 'erin)(|(uid=erin' "$ERIN_PW"
is "$RC:$OUT" "1:" "gate filter: login 'erin)(|(uid=erin' does not get round it"
cpl many alice "$ALICE_PW"
is "$RC:$OUT" "1:" "a filter matching several entries logs in none"
like "$ERR" "more than one entry" "and says so"
cpl plain 'o(n)e*' 'paren pw'
like "$RC:$OUT" "^0:.* user=o\(n\)e\* " "a login really holding '(', ')' and '*' finds its own entry"

# auth compare: the {CRYPT} userPassword through libxcrypt, one crypt
# for every answer (counted by the LD_PRELOAD shim: the program is
# dynamic), no bind as the user.
cpl compare bob "$BOB_PW"
like "$RC:$OUT" "^0:uid=$OWNER_UID " "compare mode, {CRYPT} \$6\$ hash: exit 0"
cpl compare bob wrong
is "$RC" 1 "compare mode, bad password: exit 1"
cpl compare alice "$ALICE_PW"
is "$RC" 1 "compare mode, entry without a {CRYPT} value: exit 1"
n=$(log_lines); cpl compare nosuch "$BOB_PW"
is "$RC" 1 "compare mode, unknown user: exit 1"
is "$(binds_since "$n" | tr '\n' '|')" "$SVC|" "compare mode: only the search DN binds"
CC=$top_builddir/tests/integration/crypt_count.so
if [ -f "$CC" ]; then
    cp "$CC" "$T_DIR/crypt_count.so"
    for who in "good:bob:$BOB_PW:0" "bad:bob:wrong:1" "no-crypt-value:alice:$ALICE_PW:1" \
               "unknown:nosuch:$BOB_PW:1"; do
        what=${who%%:*}; rest=${who#*:}; l=${rest%%:*}; rest=${rest#*:}
        p=${rest%:*}; want=${rest##*:}
        : >"$T_DIR/crypt.log"
        printf '%s\0%s\0\0' "$l" "$p" |
            env LD_PRELOAD="$T_DIR/crypt_count.so" CRYPT_COUNT_LOG="$T_DIR/crypt.log" \
                ASAN_OPTIONS=verify_asan_link_order=0 \
                checkpassword-ldap -c "$T_DIR/compare.conf" true 3<&0 2>/dev/null
        rc=$?
        is "$rc|$(cat "$T_DIR/crypt.log")" "$want|\$6" \
            "compare mode, $what: exit $want, exactly one crypt, of bob's method and cost (\$6, dummy_hash's)"
    done
else
    skip "compare mode: one crypt for every answer" "crypt_count.so not built"
fi

# TLS: StartTLS and ldaps://, the server checked against the CA.
n=$(log_lines); cpl starttls alice "$ALICE_PW"
like "$RC:$OUT" "^0:uid=$OWNER_UID " "StartTLS with the test CA: exit 0"
[ "$RC" = 0 ] || echo "# $ERR"
like "$(sed -n "$((n + 1)),\$p" "$S/log")" "EXT oid=1.3.6.1.4.1.1466.20037" "slapd saw the StartTLS request"
cpl starttls alice wrong
is "$RC" 1 "StartTLS, bad password: exit 1"
n=$(log_lines); cpl ldaps alice "$ALICE_PW"
like "$RC:$OUT" "^0:uid=$OWNER_UID " "ldaps:// with the test CA: exit 0"
like "$(sed -n "$((n + 1)),\$p" "$S/log")" "TLS established" "slapd: TLS established on ldaps://"
cpl starttls-wrongca alice "$ALICE_PW"
is "$RC:$OUT" "111:" "StartTLS, a server certificate from another CA: 111"
cpl ldaps-wrongca alice "$ALICE_PW"
is "$RC:$OUT" "111:" "ldaps://, a server certificate from another CA: 111"

# A directory that is down, or that takes the connection and is silent.
cpl down alice "$ALICE_PW"
is "$RC:$OUT" "111:" "directory down (nothing listens): 111, never 1"
like "$ERR" "Can't contact LDAP server" "logged as such"
SILENT=$(free_port)
python3 - "$SILENT" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)      # never a byte back
PY
T_PIDS="$T_PIDS $!"
wait_port "$SILENT" || bail "silent listener did not start"
conf silent uri "ldap://127.0.0.1:$SILENT" base "ou=people,$SUFFIX"
sed -i 's/^op_timeout .*/op_timeout 1/' "$T_DIR/silent.conf"
s=$(date +%s)
cpl silent alice "$ALICE_PW"
e=$(date +%s)
is "$RC:$OUT" "111:" "a directory that never answers: 111"
t_ok "$([ $((e - s)) -le 8 ]; echo $?)" "and within the timeouts ($((e - s)) s)"

# The search DN's password is read from its file: in no argv and no
# environment, of checkpassword-ldap (caught while it waits on the
# silent directory) or of stage 3.
sed -i 's/^op_timeout .*/op_timeout 3/' "$T_DIR/silent.conf"
printf 'alice\0%s\0\0' "$ALICE_PW" |
    checkpassword-ldap -c "$T_DIR/silent.conf" true 3<&0 2>/dev/null &
CPID=$!
# It waits op_timeout (3 s) on the silent directory: look while it does.
for _ in $(seq 1 40); do
    cmdline=$(tr '\0' ' ' <"/proc/$CPID/cmdline" 2>/dev/null)
    # Not just the name: before its exec the child is this script's
    # shell, whose command line holds checkpassword-ldap.sh.
    case $cmdline in *"checkpassword-ldap -c"*) break ;; esac
    sleep 0.05
done
sleep 0.2
environ=$(tr '\0' '\n' <"/proc/$CPID/environ" 2>/dev/null)
wait "$CPID"
like "$cmdline" "checkpassword-ldap -c $T_DIR/silent.conf true" "caught it running (/proc/PID/cmdline read)"
check "the bind password is not in its /proc/PID/cmdline" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$SVCPW'" x "$cmdline"
check "nor in its /proc/PID/environ" sh -c "! printf '%s' \"\$1\" | grep -qF -- '$SVCPW'" x "$environ"
cpl plain alice "$ALICE_PW" env
is "$RC" 0 "stage 3 env runs"
check "stage 3's environment holds neither password" \
    sh -c "! printf '%s' \"\$1\" | grep -qF -e '$SVCPW' -e '$ALICE_PW'" x "$OUT"
check "nor does it say LDAPNOINIT (left for libldap only)" \
    sh -c "! printf '%s' \"\$1\" | grep -q LDAPNOINIT" x "$OUT"

# The whole chain: pop3-greeter -> checkpassword-ldap -> pop3-maildir,
# with python's poplib.
cat >"$T_BIN/stage2" <<SH
#!/bin/sh
exec checkpassword-ldap -c "\$CONF" "\$@"
SH
chmod 755 "$T_BIN/stage2"
pop() {   # CONF: a greeter on a new port with that configuration; POP
    POP=$(free_port)
    CONF=$T_DIR/$1.conf
    export CONF
    serve "$POP" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
        test.example.org stage2 pop3-maildir Maildir
}
login() {   # USER PASS: the poplib outcome
    python3 - "$POP" "$1" "$2" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
try:
    p.user(sys.argv[2])
    p.pass_(sys.argv[3])
except poplib.error_proto as e:
    print(e.args[0].decode()[:15])
    sys.exit(0)
n, size = p.stat()
body = b"\n".join(p.retr(1)[1]) if n else b""
p.quit()
print("ok", n, b"hello from the directory" in body)
PY
}
pop plain
is "$(login alice "$ALICE_PW")" "ok 1 True" "POP3 chain: alice logs in, STAT 1, RETR her message"
like "$(login alice wrong)" "^-ERR \[AUTH\]" "POP3 chain: a bad password gets -ERR [AUTH]"
like "$(login nosuch "$ALICE_PW")" "^-ERR \[AUTH\]" "POP3 chain: an unknown user gets -ERR [AUTH]"
pop solo
like "$(login '*' "$DAVE_PW")" "^-ERR \[AUTH\]" "POP3 chain: login '*' gets -ERR [AUTH]"
like "$(login ')(uid=*' "$DAVE_PW")" "^-ERR \[AUTH\]" "POP3 chain: login ')(uid=*' gets -ERR [AUTH]"
is "$(login dave "$DAVE_PW")" "ok 0 False" "POP3 chain: dave himself logs in"
pop down
like "$(login alice "$ALICE_PW")" "^-ERR \[SYS/TEMP\]" "POP3 chain: a directory that is down gets -ERR [SYS/TEMP]"
pop starttls
is "$(login alice "$ALICE_PW")" "ok 1 True" "POP3 chain over StartTLS to the directory"
# Each entry's own Maildir (maildir_attr, exported as MAILDIR) served as
# the man page says: pop3-maildir "$MAILDIR" from a shell.
mv "$H/alice/Maildir" "$H/alice/elsewhere"
modify alice description "$H/alice/elsewhere/"
POP=$(free_port)
CONF=$T_DIR/plain.conf
export CONF
serve "$POP" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    test.example.org stage2 sh -c 'exec pop3-maildir "$MAILDIR"'
is "$(login alice "$ALICE_PW")" "ok 1 True" "POP3 chain: pop3-maildir \"\$MAILDIR\" serves the entry's maildir_attr path"
check "no password reaches the greeter's log" \
    sh -c "! grep -qF -e '$ALICE_PW' -e '$SVCPW' '$T_DIR/server.log'"

done_testing
