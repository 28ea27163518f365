#!/bin/sh
# SPDX-License-Identifier: ISC
# checkpassword-virtual: the checkpassword contract for virtual users --
# exit codes, per-domain name spaces, the switch to the owner, the
# environment and working directory handed to stage 3, APOP.
. "$top_srcdir/tests/lib.sh"

U=$T_DIR/users
mkdir -p "$T_DIR/home"
chmod 755 "$T_DIR/home"

# A stage 3 stand-in: report who and where it runs, and (from its own
# /proc/PID/status: the process stage 2 exec'ed) what it may still do.
cat >"$T_BIN/showenv" <<'SH'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) user=$USER home=$HOME shell=$SHELL cwd=$(pwd) args=$*"
awk '$1 == "NoNewPrivs:" { print "nnp=" $2 }' "/proc/$$/status"
awk '$1 ~ /^Cap(Inh|Prm|Eff|Amb|Bnd):$/ { c = c " " $1 $2 } END { print "caps=" c }' "/proc/$$/status"
SH
chmod 755 "$T_BIN/showenv"

add() { printf '%s\n' "$2" | vuser -f "$U" add "$1" "$T_OWNER" "$3" >/dev/null; }
add webmaster@abc.com abc-secret "$T_DIR/home/abc/webmaster"
add webmaster@another.org other-secret "$T_DIR/home/another/webmaster"
add bob@abc.com 'bob pass:with colon' "$T_DIR/home/abc/bob"
chmod 644 "$U"

# cpv LOGIN PASSWORD [TIMESTAMP [FILE]]: run it with the payload on fd 3;
# sets OUT and RC.
cpv() {
    OUT=$(printf '%s\0%s\0%s\0' "$1" "$2" "${3:-}" |
          checkpassword-virtual -f "${4:-$U}" showenv a1 a2 3<&0 2>"$T_DIR/err")
    RC=$?
}

cpv webmaster@abc.com abc-secret
is "$RC" 0 "good password: exit 0 (exec'ed)"
is "$(printf '%s\n' "$OUT" | grep -v '^caps=')" "uid=$T_OWNER_UID gid=$T_OWNER_GID groups=$(id -G "$T_OWNER") user=webmaster@abc.com home=$T_DIR/home/abc/webmaster shell=$(getent passwd "$T_OWNER" | cut -d: -f7) cwd=$T_DIR/home/abc/webmaster args=a1 a2
nnp=1" \
   "stage 3 runs as the owner with USER, HOME, SHELL, cwd and its argv, with no_new_privs set"
# Root's capabilities are all gone, the bounding set too (emptied while
# root, before the uid change); not root there is none to drop, and the
# bounding set is every user's.
Z=0000000000000000
CAPS=$(printf '%s\n' "$OUT" | sed -n 's/^caps= //p')
if [ "$(id -u)" -eq 0 ]; then
    is "$CAPS" "CapInh:$Z CapPrm:$Z CapEff:$Z CapBnd:$Z CapAmb:$Z" \
       "as root: stage 3 holds no capability, its bounding set empty"
else
    is "$(printf '%s\n' "$CAPS" | sed 's/ CapBnd:[0-9a-f]*//')" \
       "CapInh:$Z CapPrm:$Z CapEff:$Z CapAmb:$Z" "not root: stage 3 holds no capability"
fi
# Supplementary groups come from /etc/group's member lists: compare with
# what id(1) (NSS) says for a local account that is a listed member.
if [ "$(id -u)" -eq 0 ]; then
    MEMBER=$(awk -F: '$4 != "" { n = split($4, m, ","); for (i = 1; i <= n; i++) print m[i] }' /etc/group |
             while read -r who; do
                 awk -F: -v w="$who" '$1 == w && $3 != 0 { print $1; exit }' /etc/passwd
             done | head -1)
    if [ -n "$MEMBER" ]; then
        printf 'member@abc.com:%s:%s:%s\n' "$(openssl passwd -6 pw)" "$MEMBER" "$T_DIR/home" >"$T_DIR/users-member"
        cpv member@abc.com pw "" "$T_DIR/users-member"
        like "$OUT" "^uid=$(id -u "$MEMBER") gid=$(id -g "$MEMBER") groups=$(id -G "$MEMBER") " \
            "an owner listed in /etc/group ($MEMBER): the same groups as id -G"
    else
        # The machine's accounts are not ours to change; test_acctfile
        # covers member lists with files of its own.
        skip "an owner listed in /etc/group: the same groups as id -G" \
            "no local account here is a listed group member"
    fi
fi
cpv WebMaster@ABC.COM abc-secret
is "$RC" 0 "address compared without regard to case"
like "$OUT" "user=webmaster@abc.com " "USER is the address as written in the file"
cpv webmaster@another.org other-secret
is "$RC" 0 "same local part in another domain: its own password"
like "$OUT" "home=$T_DIR/home/another/webmaster " "and its own home"
cpv webmaster@another.org abc-secret
is "$RC" 1 "another domain's password: exit 1"
cpv webmaster@abc.com other-secret
is "$RC" 1 "bad password: exit 1"
is "$OUT" "" "nothing run"
cpv nobody@abc.com abc-secret
is "$RC" 1 "unknown user: exit 1"
cpv webmaster abc-secret
is "$RC" 1 "no domain: exit 1"
cpv "" ""
is "$RC" 1 "empty login and password: exit 1"
cpv bob@abc.com 'bob pass:with colon'
is "$RC" 0 "password with a space and a colon"

# APOP: only for users with a secret; the digest is MD5(timestamp secret).
md5() { printf '%s%s' "$1" "$2" | openssl md5 -r | cut -d' ' -f1; }
TS='<4711.1700000000@mail.example.org>'
printf 'apop secret\n' | vuser -f "$U" apop webmaster@abc.com 2>/dev/null
is "$?" 0 "vuser apop sets a secret"
like "$(vuser -f "$U" list)" "webmaster@abc.com	.*password,apop" "list shows it"
cpv webmaster@abc.com "$(md5 "$TS" 'apop secret')" "$TS"
is "$RC" 0 "APOP with the right digest: exit 0"
like "$OUT" "user=webmaster@abc.com " "and the session runs"
cpv webmaster@abc.com "$(md5 "$TS" 'apop secret' | tr a-f A-F)" "$TS"
is "$RC" 0 "digest in upper case accepted"
cpv webmaster@abc.com "$(md5 '<other@ts>' 'apop secret')" "$TS"
is "$RC" 1 "digest for another timestamp: exit 1"
cpv webmaster@abc.com "$(md5 "$TS" abc-secret)" "$TS"
is "$RC" 1 "digest made with the login password: exit 1"
cpv webmaster@another.org "$(md5 "$TS" other-secret)" "$TS"
is "$RC" 1 "user without an APOP secret: exit 1"
cpv nosuch@abc.com "$(md5 "$TS" x)" "$TS"
is "$RC" 1 "unknown user with APOP: exit 1"
cpv webmaster@abc.com abc-secret "$TS"
is "$RC" 0 "password with a timestamp (qmail-popup sends one always): checked as a password"
printf '\n' | vuser -f "$U" apop webmaster@abc.com 2>/dev/null
cpv webmaster@abc.com "$(md5 "$TS" 'apop secret')" "$TS"
is "$RC" 1 "secret removed: APOP refused"

# The same work for every answer: one crypt(3) of the file's own method
# and cost, whether the user is known, unknown, locked or without a hash
# (counted with an LD_PRELOAD shim, not timed).  The installed program is
# static, which no LD_PRELOAD reaches, so this counts the calls of its
# dynamic twin, checkpassword-virtual-dynamic: the same source and
# library, linked without -static (checkpassword/local.mk).
CC=$top_builddir/tests/integration/crypt_count.so
TWIN=$top_builddir/tests/integration/checkpassword-virtual-dynamic
if [ -f "$CC" ] && [ -x "$TWIN" ]; then
    cp "$CC" "$T_DIR/crypt_count.so"
    cp "$TWIN" "$T_BIN/checkpassword-virtual-dynamic"
    COST=$(sed -n 's/^webmaster@abc.com:\(\$y\$[^$]*\|\$6\)\$.*/\1/p' "$U")
    HASH1=$(sed -n 's/^webmaster@abc.com:\([^:]*\):.*/\1/p' "$U")
    like "$COST" '^\$' "the file's method and cost read"
    # Five answers from a file holding hash $1; $2 the check of each
    # answer's counts.
    five_answers() {
        printf 'x@abc.com:%s:%s:/tmp\nl@abc.com:!%s:%s:/tmp\ne@abc.com::%s:/tmp\n' \
            "$1" "$T_OWNER" "$1" "$T_OWNER" "$T_OWNER" >"$T_DIR/users6"
        for who in "good:x@abc.com:abc-secret" "bad:x@abc.com:wrong" \
                   "unknown:nobody@abc.com:abc-secret" "locked:l@abc.com:abc-secret" \
                   "empty-hash:e@abc.com:abc-secret"; do
            what=${who%%:*}; rest=${who#*:}; login=${rest%%:*}; pass=${rest#*:}
            : >"$T_DIR/crypt.log"
            printf '%s\0%s\0\0' "$login" "$pass" |
                env LD_PRELOAD="$T_DIR/crypt_count.so" CRYPT_COUNT_LOG="$T_DIR/crypt.log" \
                    ASAN_OPTIONS=verify_asan_link_order=0 \
                    checkpassword-virtual-dynamic -f "$T_DIR/users6" true 3<&0 2>/dev/null
            RC=$?
            "$2"
        done
    }
    one_crypt() {
        want_rc=1
        [ "$what" = good ] && want_rc=0
        is "$RC|$(cat "$T_DIR/crypt.log")" "$want_rc|$COST" \
            "$what: exit $want_rc, exactly one crypt with the file's method and cost ($COST)"
    }
    five_answers "$HASH1" one_crypt
    # SHA-512 crypt ($6$) too goes through crypt_rn: one call each answer.
    HASH6=$(openssl passwd -6 -salt 0123456789abcdef abc-secret)
    COST='$6'
    five_answers "$HASH6" one_crypt
fi

# No NSS: the owner and its groups come from /etc/passwd and /etc/group
# alone, so a login never reads nsswitch.conf nor loads an NSS module
# (the program is static; see acctfile.h).
if command -v strace >/dev/null 2>&1 && [ -z "${POPKIT_VALGRIND:-}" ]; then
    printf 'webmaster@abc.com\0abc-secret\0\0' |
        strace -f -e trace=openat,open -o "$T_DIR/strace" \
            checkpassword-virtual -f "$U" true 3<&0 2>/dev/null
    is "$?" 0 "a login under strace: exit 0"
    like "$(cat "$T_DIR/strace")" '"/etc/passwd"' "the owner read from /etc/passwd"
    like "$(cat "$T_DIR/strace")" '"/etc/group"' "its groups from /etc/group"
    is "$(grep -E 'nsswitch|libnss_|nscd' "$T_DIR/strace" | head -3)" "" \
        "no nsswitch.conf, NSS module or nscd touched"
elif [ -z "${POPKIT_VALGRIND:-}" ]; then
    skip "a login never touches NSS" "strace is not installed"
fi

# Misuse: the payload.
OUT=$(printf 'webmaster@abc.com\0abc-secret' | checkpassword-virtual -f "$U" showenv 3<&0 2>/dev/null)
is "$?:$OUT" "2:" "password without NUL: exit 2"
OUT=$(printf 'webmaster@abc.com' | checkpassword-virtual -f "$U" showenv 3<&0 2>/dev/null)
is "$?:$OUT" "2:" "no NUL at all: exit 2"
OUT=$(printf 'webmaster@abc.com\0abc-secret\0%0600d\0' 0 | checkpassword-virtual -f "$U" showenv 3<&0 2>/dev/null)
is "$?:$OUT" "2:" "payload over 512 bytes: exit 2"
OUT=$(printf 'webmaster@abc.com\0abc-secret\0%0400d\0' 0 | checkpassword-virtual -f "$U" showenv 3<&0 2>/dev/null)
is "$?" 0 "payload just under 512 bytes: accepted"
checkpassword-virtual -f "$U" showenv 3<&- </dev/null >/dev/null 2>&1
is "$?" 2 "no fd 3: exit 2"
# Misuse: the command line.
checkpassword-virtual -f "$U" </dev/null >/dev/null 2>"$T_DIR/err"
is "$?" 2 "no program: exit 2"
like "$(cat "$T_DIR/err")" "^usage: checkpassword-virtual" "usage on stderr"
checkpassword-virtual -x showenv </dev/null >/dev/null 2>&1
is "$?" 2 "unknown option: exit 2"
OUT=$(checkpassword-virtual --help)
is "$?" 0 "--help: exit 0"
like "$OUT" "^usage: checkpassword-virtual \[-f FILE\] \[--syslog\] PROG" "--help prints the usage"

# Temporary failures: the file, the owner.
cpv webmaster@abc.com abc-secret "" "$T_DIR/no-such-file"
is "$RC" 111 "missing users file: exit 111"
like "$(cat "$T_DIR/err")" "cannot read .*no-such-file" "and the log says why"
HASH=$(openssl passwd -6 pw)
printf 'r@abc.com:%s:root:/root\nghost@abc.com:%s:no-such-owner-x:/tmp\n' "$HASH" "$HASH" >"$T_DIR/users2"
printf 'l@abc.com:!%s:%s:/tmp\ne@abc.com::%s:/tmp\n' "$HASH" "$T_OWNER" "$T_OWNER" >>"$T_DIR/users2"
cpv r@abc.com pw "" "$T_DIR/users2"
is "$RC" 111 "owner with uid 0: refused, exit 111"
like "$(cat "$T_DIR/err")" "uid 0: refused" "logged"
cpv ghost@abc.com pw "" "$T_DIR/users2"
is "$RC" 111 "owner without an account: exit 111"
like "$(cat "$T_DIR/err")" "owner no-such-owner-x of ghost@abc.com: no such local account in /etc/passwd" \
    "logged: owners must be local accounts"
cpv l@abc.com pw "" "$T_DIR/users2"
is "$RC" 1 "locked ('!') hash: exit 1 even with the right password"
cpv e@abc.com "" "" "$T_DIR/users2"
is "$RC" 1 "empty hash: never matches"

# A home that the owner cannot enter.
printf 'h@abc.com:%s:%s:%s/missing-home\n' "$HASH" "$T_OWNER" "$T_DIR" >"$T_DIR/users3"
cpv h@abc.com pw "" "$T_DIR/users3"
is "$RC" 111 "missing home: exit 111"

# Run as the owner itself (the demo): no switch, just exec.
if [ "$(id -u)" -eq 0 ]; then
    AS_OWNER="setpriv --reuid=$T_OWNER_UID --regid=$T_OWNER_GID --init-groups"
    OUT=$(printf 'bob@abc.com\0bob pass:with colon\0\0' | $AS_OWNER checkpassword-virtual -f "$U" showenv 3<&0 2>&1)
    is "$?" 0 "run as the owner, no root: exit 0"
    like "$OUT" "^uid=$T_OWNER_UID .* user=bob@abc.com home=$T_DIR/home/abc/bob " "and it execs with USER and HOME"
    printf 'o@abc.com:%s:daemon:/tmp\n' "$HASH" >"$T_DIR/users5"
    chmod 644 "$T_DIR/users5"
    OUT=$(printf 'o@abc.com\0pw\0\0' | $AS_OWNER checkpassword-virtual -f "$T_DIR/users5" showenv 3<&0 2>&1)
    is "$?" 111 "not root and the owner is someone else: exit 111"
    like "$OUT" "cannot become daemon" "logged"
fi
done_testing
