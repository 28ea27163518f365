#!/bin/sh
# SPDX-License-Identifier: ISC
# vuser: adding, listing, changing and removing virtual users; the
# Maildir it makes; refusing bad input without touching the file;
# concurrent edits; the no-echo prompt on a terminal.
. "$top_srcdir/tests/lib.sh"

U=$T_DIR/users
H=$T_DIR/home
login() {   # login ADDRESS PASSWORD -> exit status of checkpassword-virtual
    printf '%s\0%s\0\0' "$1" "$2" | checkpassword-virtual -f "$U" true 3<&0 2>/dev/null
}

echo 'first pass' | vuser -f "$U" add ann@abc.com "$T_OWNER" "$H/abc/ann"
is "$?" 0 "add: exit 0"
like "$(cat "$U")" '^ann@abc.com:\$(y|6)\$[^:]+:'"$T_OWNER:$H/abc/ann\$" "a crypt hash, never the password, in the file"
is "$(stat -c %a "$U")" 600 "a new users file is mode 600"
for d in "" /tmp /new /cur; do
    is "$(stat -c '%a %u' "$H/abc/ann/Maildir$d")" "700 $T_OWNER_UID" "Maildir$d made, 700, owned by the owner"
done
login ann@abc.com 'first pass'
is "$?" 0 "the new user can log in"

# The first add into a directory that does not exist yet: both made, and said.
U2=$T_DIR/etc/popkit/users
mkdir "$T_DIR/etc"
echo 'pw' | vuser -f "$U2" add bea@abc.com "$T_OWNER" "$H/abc/bea" 2>"$T_DIR/err"
is "$?" 0 "add to a users file whose directory is missing: exit 0"
like "$(cat "$T_DIR/err")" "made the directory $T_DIR/etc/popkit" "says it made the directory"
like "$(cat "$T_DIR/err")" "$U2 does not exist: creating it" "says it creates the file"
is "$(stat -c %a "$T_DIR/etc/popkit"):$(stat -c %a "$U2")" "755:600" "the directory 755, the file 600"
echo 'pw' | vuser -f "$U2" add cid@abc.com "$T_OWNER" "$H/abc/cid" 2>"$T_DIR/err"
is "$?:$(cat "$T_DIR/err")" "0:" "the second add says nothing"
rm -rf "$T_DIR/etc/popkit"
vuser -f "$U2" list 2>"$T_DIR/err"
like "$(cat "$T_DIR/err")" "cannot read $U2: .*\\(vuser add creates it\\)" \
    "list of a missing file says that add creates it"

echo 'p2' | vuser -f "$U" add Ann@ABC.com "$T_OWNER" "$H/abc/ann2" 2>"$T_DIR/err"
is "$?" 1 "adding an address again, in another case: exit 1"
like "$(cat "$T_DIR/err")" "already exists" "says it exists"
echo 'p3' | vuser -f "$U" add ann@another.org "$T_OWNER" "$H/another/ann"
is "$?" 0 "the same local part in another domain is another user"

cp "$U" "$T_DIR/before"
bad() {     # bad DESCRIPTION ARGS...: refused with exit 1, file unchanged
    d=$1; shift
    echo pw | vuser -f "$U" "$@" >/dev/null 2>&1
    is "$?" 1 "$d: exit 1"
    check "$d: file unchanged" cmp -s "$U" "$T_DIR/before"
}
bad "address without a domain" add webmaster "$T_OWNER" "$H/x"
bad "address with a colon" add 'a:b@abc.com' "$T_OWNER" "$H/x"
bad "address with a newline" add "$(printf 'a\nb@abc.com')" "$T_OWNER" "$H/x"
bad "address with a space" add 'a b@abc.com' "$T_OWNER" "$H/x"
bad "relative home" add c@abc.com "$T_OWNER" relative/home
bad "home with a colon" add c@abc.com "$T_OWNER" "$H/a:b"
bad "home with a newline" add c@abc.com "$T_OWNER" "$(printf '%s/a\nb' "$H")"
bad "owner root" add c@abc.com root "$H/c"
bad "owner without an account" add c@abc.com no-such-user-xyz "$H/c"

# An owner NSS knows but /etc/passwd does not (as from LDAP; nss_wrapper
# plays the directory): refused, because checkpassword-virtual reads only
# the local files (static, no NSS) and every login would fail with 111.
if [ -z "${POPKIT_VALGRIND:-}" ] && ls /usr/lib/*/libnss_wrapper.so >/dev/null 2>&1; then
    mkdir -p "$T_DIR/nss"
    { cat /etc/passwd; echo "ldapmail:x:4999:4999:not local:/nonexistent:/bin/false"; } >"$T_DIR/nss/passwd"
    { cat /etc/group; echo "ldapmail:x:4999:"; } >"$T_DIR/nss/group"
    nssw() {
        env NSS_WRAPPER_DISABLE_DEEPBIND=1 \
            ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
            LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T_DIR/nss/passwd" \
            NSS_WRAPPER_GROUP="$T_DIR/nss/group" "$@"
    }
    is "$(nssw getent passwd ldapmail | cut -d: -f3)" 4999 \
        "(nss_wrapper serves ldapmail through NSS)"
    echo pw | nssw vuser -f "$U" add l@abc.com ldapmail "$H/l" 2>"$T_DIR/err"
    is "$?" 1 "owner known to NSS but not in /etc/passwd: exit 1"
    like "$(cat "$T_DIR/err")" "owner ldapmail is not a local account: it is not in /etc/passwd" \
        "says it must be a local account"
    check "file unchanged" cmp -s "$U" "$T_DIR/before"
    check "no Maildir made" test ! -e "$H/l"
    # Written by hand anyway: the login fails with 111 and says why.
    printf 'l@abc.com:%s:ldapmail:%s\n' "$(openssl passwd -6 pw)" "$H" >"$T_DIR/users-ldap"
    printf 'l@abc.com\0pw\0\0' |
        nssw checkpassword-virtual -f "$T_DIR/users-ldap" true 3<&0 2>"$T_DIR/err"
    is "$?" 111 "such an owner at login: exit 111"
    like "$(cat "$T_DIR/err")" "owner ldapmail of l@abc.com: no such local account in /etc/passwd" \
        "logged"
fi
bad "passwd for an unknown user" passwd nobody@abc.com
bad "del of an unknown user" del nobody@abc.com
printf '\n' | vuser -f "$U" add c@abc.com "$T_OWNER" "$H/c" 2>"$T_DIR/err"
is "$?" 1 "empty password refused"
check "file unchanged" cmp -s "$U" "$T_DIR/before"
head -c 600 /dev/zero | tr '\0' x | vuser -f "$U" add c@abc.com "$T_OWNER" "$H/c" 2>/dev/null
is "$?" 1 "password longer than a client could send: refused"

vuser >/dev/null 2>"$T_DIR/err"
is "$?" 2 "no command: exit 2"
like "$(cat "$T_DIR/err")" "^usage: vuser" "usage on stderr"
vuser -f "$U" add onlyone >/dev/null 2>&1
is "$?" 2 "wrong argument count: exit 2"
like "$(vuser --help)" "vuser \[-f FILE\] add ADDRESS OWNER HOME" "--help prints the usage"

echo 'second pass' | vuser -f "$U" passwd ANN@abc.com
is "$?" 0 "passwd: exit 0"
login ann@abc.com 'second pass'
is "$?" 0 "the new password works"
login ann@abc.com 'first pass'
is "$?" 1 "the old one does not"

# Comments and lines vuser cannot parse survive its edits.
printf '# a comment the admin wrote\nnot a user line\n' >>"$U"
is "$(vuser -f "$U" list 2>"$T_DIR/err")" "$(printf 'ann@abc.com\t%s\t%s\tpassword\nann@another.org\t%s\t%s\tpassword' \
    "$T_OWNER" "$H/abc/ann" "$T_OWNER" "$H/another/ann")" "list: address, owner, home, state; no hashes"
like "$(cat "$T_DIR/err")" ":4: malformed line" "list points at the malformed line"
vuser -f "$U" del ann@another.org 2>/dev/null
is "$?" 0 "del: exit 0"
login ann@another.org p3
is "$?" 1 "a deleted user cannot log in"
check "its Maildir is kept" test -d "$H/another/ann/Maildir/cur"
like "$(tail -2 "$U")" "^# a comment the admin wrote" "comments kept across edits"
like "$(tail -1 "$U")" "^not a user line\$" "malformed lines kept across edits"

# Twenty concurrent adds: none lost.
i=0; pids=""
while [ $i -lt 20 ]; do
    (echo "pw$i" | vuser -f "$U" add "u$i@par.example" "$T_OWNER" "$H/par/u$i" 2>>"$T_DIR/par.err") &
    pids="$pids $!"; i=$((i + 1))
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "20 parallel adds all succeed"
is "$(vuser -f "$U" list 2>/dev/null | grep -c '@par.example')" 20 "all 20 present afterwards"
login u17@par.example pw17
is "$?" 0 "and each can log in"
check "no temporary files left" sh -c "! ls '$T_DIR' | grep -q 'users.tmp'"

# On a terminal: asked twice, nothing echoed.
if python3 -c 'import pty' 2>/dev/null; then
    OUT=$(python3 - "$U" <<'PY'
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("vuser", ["vuser", "-f", sys.argv[1], "passwd", "ann@abc.com"])
def give_up(*_):
    os.kill(pid, signal.SIGKILL)
    print("timeout")
    sys.exit(0)
signal.signal(signal.SIGALRM, give_up)
signal.alarm(20)
out = b""
def read_until(want):
    global out
    for _ in range(100):
        if want in out:
            return
        try:
            out += os.read(fd, 1024)
        except OSError:
            return
read_until(b"New password")
os.write(fd, b"tty secret\n")
read_until(b"Retype")
os.write(fd, b"tty secret\n")
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    out += b
_, st = os.waitpid(pid, 0)
print(os.WEXITSTATUS(st), "echoed" if b"tty secret" in out else "silent",
      "prompted-twice" if b"Retype" in out else "once")
PY
)
    is "$OUT" "0 silent prompted-twice" "terminal: prompted twice, no echo"
    login ann@abc.com 'tty secret'
    is "$?" 0 "the password typed at the terminal works"
fi
done_testing
