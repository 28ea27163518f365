#!/bin/sh
# SPDX-License-Identifier: ISC
# vuser alias add/del/list: the per-domain alias files (popkit-aliases(5))
# it makes and edits, refusing bad input without touching them,
# comments and bad lines kept, concurrent edits that lose nothing, and a
# kill -9 during the rewrite that leaves the old file or the new one.
. "$top_srcdir/tests/lib.sh"

U=$T_DIR/users
A=$T_DIR/etc/aliases
va() { vuser -f "$U" -a "$A" alias "$@"; }
printf 'ann@abc.com:$6$x:%s:%s/ann\n' "$T_OWNER" "$T_DIR" >"$U"

va add sales@abc.com ann 2>"$T_DIR/err"
is "$?" 0 "add: exit 0"
like "$(cat "$T_DIR/err")" "made the directory $A" "says it made the alias directory"
is "$(cat "$A/abc.com")" "sales: ann" "the entry in the article's format, in ALIASDIR/DOMAIN"
is "$(stat -c %a "$A"):$(stat -c %a "$A/abc.com")" "755:644" "the directory 755, the file 644"

va add ALL@ABC.Com ann cjones@test.net 2>/dev/null
is "$?" 0 "add to a domain in capitals"
check "the file is the domain in lower case" test -f "$A/abc.com"
va add all@abc.com kquincy CJONES@test.net 2>/dev/null
is "$(sed -n 2p "$A/abc.com")" "ALL: ann cjones@test.net kquincy" \
    "add to an existing alias appends only what is new (names without case)"
va add -@abc.com postmaster@somewhere.com 2>/dev/null
is "$?" 0 "add of the '-' default"
va add info@another.org ann@abc.com 2>/dev/null
is "$(va list)" "$(printf 'sales@abc.com\tann\nALL@abc.com\tann cjones@test.net kquincy\n-@abc.com\tpostmaster@somewhere.com\ninfo@another.org\tann@abc.com')" \
    "list: every domain in order, address tab targets"
is "$(va list another.org)" "$(printf 'info@another.org\tann@abc.com')" "list DOMAIN: that domain only"
is "$(va list nosuch.org; echo "rc=$?")" "rc=0" "list of a domain without aliases: nothing, exit 0"

# A long fan-out is wrapped into continuation lines, and read back whole.
set --
i=0; while [ $i -lt 30 ]; do set -- "$@" "member$i@lists.example"; i=$((i + 1)); done
va add big@abc.com "$@" 2>/dev/null
is "$(grep -c '^	' "$A/abc.com")" "$(awk '/^big:/,0' "$A/abc.com" | grep -c '^	')" \
    "(continuation lines follow big:)"
check "a 30-address fan-out takes several lines" test "$(awk '/^big:/,0' "$A/abc.com" | wc -l)" -gt 3
check "no line of it reaches 78 columns" sh -c "! awk 'length > 77' '$A/abc.com' | grep -q ."
is "$(va list abc.com | grep '^big@' | cut -f2 | wc -w)" 30 "list gives all 30 back"

cp "$A/abc.com" "$T_DIR/before"
bad() {     # bad DESCRIPTION ARGS...: refused with exit 1, file unchanged
    d=$1; shift
    va "$@" >/dev/null 2>"$T_DIR/err"
    is "$?" 1 "$d: exit 1"
    check "$d: file unchanged" cmp -s "$A/abc.com" "$T_DIR/before"
}
bad "an alias named like a user" add ann@abc.com bob@x.org
like "$(cat "$T_DIR/err")" "ann@abc.com is a user in $U" "says the name is a user"
bad "a pipe target" add x@abc.com '|/usr/bin/vacation'
bad "a file target" add x@abc.com /var/mail/x
bad "a bad target domain" add x@abc.com 'a@b_c.org'
bad "a name with a comma" add 'a,b@abc.com' ann
bad "no domain" add sales ann
bad "del of an unknown alias" del nobody@abc.com
va del nobody@nosuch.org 2>/dev/null
is "$?" 1 "del in a domain without a file: exit 1"
check "and no file made" test ! -e "$A/nosuch.org"

va add >/dev/null 2>&1
is "$?" 2 "alias add without arguments: usage, exit 2"
va add x@abc.com >/dev/null 2>&1
is "$?" 2 "alias add without a target: usage, exit 2"
va frob >/dev/null 2>&1
is "$?" 2 "an unknown alias command: exit 2"
like "$(vuser --help)" "alias add NAME@DOMAIN ADDRESS" "--help shows the alias commands"

# A loop is saved (the file is the admin's) but said at once.
va add loop@abc.com loop 2>"$T_DIR/err"
is "$?" 0 "an alias to itself is written"
like "$(cat "$T_DIR/err")" "loop@abc.com does not resolve now: .*abc.com:[0-9]+: alias loop leads back to itself" \
    "and a warning says it is a loop"

# Comments, blank lines and bad lines survive edits byte for byte; list
# reports bad ones with file:line.
printf '# the admin wrote this\n\nbroken line without colon\n' >>"$A/abc.com"
va list abc.com >/dev/null 2>"$T_DIR/err"
like "$(cat "$T_DIR/err")" "abc.com:[0-9]+: no colon.*ignored at delivery" "list names the bad line"
va del big@abc.com
is "$?" 0 "del: exit 0"
check "del removes the continuation lines too" sh -c "! grep -q member '$A/abc.com'"
is "$(tail -3 "$A/abc.com")" "$(printf '# the admin wrote this\n\nbroken line without colon')" \
    "comments, blank and bad lines kept"
va del ALL@abc.com
is "$(va list abc.com 2>/dev/null | cut -f1 | tr '\n' ' ')" "sales@abc.com -@abc.com loop@abc.com " \
    "del without regard to case"

# Concurrent edits: twenty adds to one entry and twenty new entries, none lost.
i=0; pids=""
while [ $i -lt 20 ]; do
    (va add team@par.example "m$i@abc.com" 2>>"$T_DIR/par.err") &
    pids="$pids $!"
    (va add "n$i@par.example" "m$i@abc.com" 2>>"$T_DIR/par.err") &
    pids="$pids $!"
    i=$((i + 1))
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "40 parallel adds all succeed"
is "$(va list par.example | grep '^team@' | cut -f2 | wc -w)" 20 \
    "the read-modify-writes of one entry: all 20 targets there"
is "$(va list par.example | grep -c '^n[0-9]*@')" 20 "all 20 new entries there"
check "no temporary files left" sh -c "! ls '$A' | grep -q '\\.tmp'"

# kill -9 during the rewrite: the file is the old one or the new one,
# never half of one, and the lock dies with the process.
python3 - "$A" >/dev/null <<'PY' || true
import sys
with open(sys.argv[1] + "/big.example", "w") as f:
    for i in range(100000):
        f.write("name%06d: target%06d@elsewhere.example\n" % (i, i))
PY
OUT=$(python3 - "$A" "$U" <<'PY'
import os, signal, subprocess, sys, time
adir, users = sys.argv[1], sys.argv[2]
path = adir + "/big.example"
hits = torn = 0
for i in range(12):
    old = open(path, "rb").read()
    new = old + b"k%d: x@y.example\n" % i
    p = subprocess.Popen(["vuser", "-f", users, "-a", adir, "alias", "add",
                          "k%d@big.example" % i, "x@y.example"],
                         stderr=subprocess.DEVNULL)
    # Wait for the temporary file, then kill: inside the rewrite.
    deadline = time.time() + 30
    while p.poll() is None and time.time() < deadline:
        if any(n.startswith("big.example.tmp") for n in os.listdir(adir)):
            time.sleep(0.0005 * (i % 4))
            p.send_signal(signal.SIGKILL)
            hits += 1
            break
    p.wait()
    now = open(path, "rb").read()
    if now != old and now != new:
        torn += 1
    for n in os.listdir(adir):
        if n.startswith("big.example.tmp"):
            os.unlink(os.path.join(adir, n))
print("killed-in-rewrite=%s torn=%d" % ("yes" if hits else "no", torn))
PY
)
is "$OUT" "killed-in-rewrite=yes torn=0" "kill -9 inside the rewrite: old or new file, never torn"
va add after-kills@big.example x@y.example 2>/dev/null
is "$?" 0 "the next edit takes the lock (it died with the killed process)"
is "$(va list big.example | grep -c '^after-kills@')" 1 "and its entry is there"
done_testing
