#!/bin/sh
# SPDX-License-Identifier: ISC
# checkpassword-shadow against fake accounts (nss_wrapper passwd, group,
# shadow): exit codes, locked/empty/expired accounts, uid limits, the
# identity, environment and directory handed to stage 3.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/cpw_accounts.sh"

shadow() { payload "$1" "$2"; shift 2; cpw_run "" checkpassword-shadow "$@"; }

shadow alice 'good pass' showenv x y
is "$RC" 0 "good password: exit 0"
expect_alice_stage3
shadow alice 'bad pass' showenv
is "$RC:$OUT" "1:" "bad password: exit 1, nothing run"
shadow zed 'good pass' showenv
is "$RC:$OUT" "1:" "unknown user: exit 1"
shadow carol 'good pass' showenv
is "$RC" 1 "locked with '!': exit 1 even with the right password"
shadow dave '*' showenv
is "$RC" 1 "locked with '*': exit 1"
shadow erin '' showenv
is "$RC" 1 "empty password field: never matches"
shadow frank 'good pass' showenv
is "$RC" 1 "expired account: exit 1"
like "$(cat "$T_DIR/err")" "account expired" "logged as expired"
shadow gus 'good pass' showenv
is "$RC" 0 "hash in the passwd entry (no shadow line): accepted"
shadow root 'good pass' showenv
is "$RC:$OUT" "1:" "uid 0: refused with exit 1"
like "$(cat "$T_DIR/err")" "root refused: uid 0" "logged"
shadow sys 'good pass' showenv
is "$RC" 1 "uid 500 below the default minimum 1000: exit 1"
shadow sys 'good pass' -m 500 showenv
is "$RC" 0 "-m 500 lets it in"
shadow alice 'good pass' -m 5000 showenv
is "$RC" 1 "-m 5000 keeps alice out"
shadow "" "" showenv
is "$RC" 1 "empty login: exit 1"

# The same work for every answer: one SHA-512 crypt through libxcrypt's
# crypt_rn, the method and cost the system's hashes use (counted with an
# LD_PRELOAD shim, not timed), whether the user is known or not.
CC=$top_builddir/tests/integration/crypt_count.so
if [ -f "$CC" ]; then
    cp "$CC" "$T_DIR/crypt_count.so"
    for who in "good:alice:good pass" "bad:alice:bad pass" "unknown:zed:good pass" \
               "locked-!:carol:good pass" "locked-*:dave:x" "empty:erin:" \
               "expired:frank:good pass" "uid-0:root:good pass"; do
        what=${who%%:*}; rest=${who#*:}; login=${rest%%:*}; pass=${rest#*:}
        : >"$T_DIR/crypt.log"
        payload "$login" "$pass"
        cpw_run "$T_DIR/crypt_count.so:" CRYPT_COUNT_LOG="$T_DIR/crypt.log" \
            checkpassword-shadow true
        is "$(cat "$T_DIR/crypt.log")" '$6' \
            "$what: exactly one crypt, SHA-512 as the system's hashes"
    done
fi

# Misuse
printf 'alice\0good pass' >"$T_DIR/payload"
cpw_run "" checkpassword-shadow showenv
is "$RC:$OUT" "2:" "missing NUL: exit 2"
printf 'alice\0good pass\0%0600d\0' 0 >"$T_DIR/payload"
cpw_run "" checkpassword-shadow showenv
is "$RC:$OUT" "2:" "payload over 512 bytes: exit 2"
payload alice 'good pass'
cpw_run "" checkpassword-shadow
is "$RC" 2 "no program: exit 2"
cpw_run "" checkpassword-shadow -m abc showenv
is "$RC" 2 "bad -m: exit 2"
cpw_run "" checkpassword-shadow -s pop3 showenv
is "$RC" 2 "-s is for checkpassword-pam only: exit 2"
like "$(checkpassword-shadow --help)" "^usage: checkpassword-shadow \[-m MINUID\] \[--syslog\] PROG" "--help"

# Temporary failures
shadow alice 'good pass' /nonexistent/prog
is "$RC" 111 "PROG cannot be run: exit 111"
sed -i "s|^alice:x:4242:4242:alice:$H/alice:|alice:x:4242:4242:alice:$H/gone:|" "$NSS/passwd"
shadow alice 'good pass' showenv
is "$RC" 111 "home missing: exit 111"

# The identity switch, asserted inside the process with uid_wrapper:
# the NSS form (test_privdrop_nss), then the list form (test_privdrop).
if [ "$(id -u)" -eq 0 ]; then AS=nobody; else AS=; fi
fake_root() {
    cp "$top_builddir/tests/unit/$1" "$T_DIR/$1"
    chmod 755 "$T_DIR/$1"
    OUT=$(cd "$T_DIR" && ${AS:+setpriv --reuid=$T_OWNER_UID --regid=$T_OWNER_GID --clear-groups} \
          env $WRAP_SAN LD_PRELOAD=libuid_wrapper.so UID_WRAPPER=1 UID_WRAPPER_ROOT=1 "./$1" 2>&1)
}
fake_root test_privdrop_nss
like "$OUT" "^ok [0-9]+ - root becomes nobody" \
     "uid_wrapper (fake root): setgroups, setgid, setuid verified in-process"
like "$OUT" "^1\.\." "and the unit test completes"
is "$(printf '%s\n' "$OUT" | grep -c '^not ok')" 0 "with no failures"
fake_root test_privdrop
like "$OUT" "^ok [0-9]+ - a group list: exactly those groups" \
     "uid_wrapper (fake root): the list form verified in-process"
like "$OUT" "^1\.\." "and its unit test completes"
is "$(printf '%s\n' "$OUT" | grep -c '^not ok')" 0 "with no failures"
done_testing
