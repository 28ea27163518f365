#!/bin/sh
# SPDX-License-Identifier: ISC
# checkpassword-pam against a fake PAM service (pam_wrapper + pam_matrix,
# and a test module for expiry) and fake accounts (nss_wrapper).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/cpw_accounts.sh"

MATRIX=
for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/lib/*-linux-gnu; do
    [ -f "$d/pam_wrapper/pam_matrix.so" ] && MATRIX=$d/pam_wrapper/pam_matrix.so && break
done
[ -n "$MATRIX" ] || skip_all "pam_matrix.so (libpam-wrapper) not installed"
EXPIRY=$top_builddir/tests/integration/pam_expiry.so
[ -f "$EXPIRY" ] || bail "tests/integration/pam_expiry.so not built"
cp "$EXPIRY" "$T_DIR/pam_expiry.so"

PAMD=$T_DIR/pam.d
DB=$T_DIR/passdb
mkdir -p "$PAMD"
cat >"$PAMD/pop3test" <<CONF
auth     required $MATRIX passdb=$DB verbose
account  required $MATRIX passdb=$DB
account  required $T_DIR/pam_expiry.so
session  required $MATRIX passdb=$DB
CONF
sed "s|^auth .*|auth required $MATRIX passdb=$DB echo|" "$PAMD/pop3test" >"$PAMD/pop3echo"
printf 'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\npassword required pam_deny.so\n' >"$PAMD/other"
cat >"$DB" <<'DB'
alice:good pass:pop3test
root:good pass:pop3test
sys:good pass:pop3test
expired:good pass:pop3test
mustchange:good pass:pop3test
locked:good pass:pop3test
bob:good pass:otherservice
ghost:good pass:pop3test
DB
chmod 644 "$DB"
sed 's/:pop3test$/:pop3echo/' "$DB" >"$T_DIR/passdb.echo"

PAMW="libpam_wrapper.so:"
pam() {
    payload "$1" "$2"; shift 2
    cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3test "$@"
}

pam alice 'good pass' showenv x y
is "$RC" 0 "good password: exit 0"
expect_alice_stage3
pam alice 'good pass' sh -c 'echo "HOMEDIR=$HOMEDIR"; exit 7'
is "$RC:$OUT" "7:HOMEDIR=/home/alice" \
   "session opened (pam_matrix's session variable reaches stage 3), PROG's exit status passed on"
pam alice 'good pass' -n sh -c 'echo "HOMEDIR=${HOMEDIR:-unset}"; exit 5'
is "$RC:$OUT" "5:HOMEDIR=unset" "-n: no session, PROG execs in place"
pam alice 'bad pass' showenv
is "$RC:$OUT" "1:" "bad password: exit 1, nothing run"
like "$(cat "$T_DIR/err")" "PAM: " "the module's messages are logged"
pam zed 'good pass' showenv
is "$RC:$OUT" "1:" "unknown user: exit 1"
pam bob 'good pass' showenv
is "$RC:$OUT" "1:" "account not allowed for this service (acct_mgmt): exit 1"
pam expired 'good pass' showenv
is "$RC:$OUT" "1:" "expired account: exit 1"
like "$(cat "$T_DIR/err")" "expired refused by the account stack: .*expired" "logged as expired"
pam mustchange 'good pass' showenv
is "$RC:$OUT" "1:" "password must be changed: exit 1"
like "$(cat "$T_DIR/err")" "mustchange refused by the account stack" "logged"
pam locked 'good pass' showenv
is "$RC:$OUT" "1:" "locked account (acct_mgmt PERM_DENIED): exit 1"
pam root 'good pass' showenv
is "$RC:$OUT" "1:" "uid 0: exit 1"
like "$(cat "$T_DIR/err")" "root refused: uid 0" "logged"
pam sys 'good pass' showenv
is "$RC" 1 "uid below the minimum: exit 1"
pam sys 'good pass' -m 100 showenv
is "$RC" 0 "-m 100 lets it in"
pam ghost 'good pass' showenv
is "$RC" 111 "PAM accepts a user without a passwd entry: exit 111"
pam alice '' showenv
is "$RC" 1 "empty password: exit 1"
pam alice 'good pass' /nonexistent/prog
is "$RC" 111 "PROG cannot be run (session): exit 111"
pam alice 'good pass' -n /nonexistent/prog
is "$RC" 111 "PROG cannot be run (-n): exit 111"

payload alice 'good pass'
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3echo showenv
is "$RC" 1 "service pop3echo with the pop3test passdb: exit 1"
sed -i "s|passdb=$DB|passdb=$T_DIR/passdb.echo|g" "$PAMD/pop3echo"
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3echo showenv
is "$RC" 0 "a prompt with echo on is answered with the password too"
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s nosuchservice showenv
is "$RC" 1 "unknown service falls to 'other' (pam_deny): exit 1"
like "$(cat "$T_DIR/err")" \
    "warning: PAM service nosuchservice: no $PAMD/nosuchservice, so PAM uses its service \"other\"" \
    "an unknown service is not silent: a warning names the missing file"
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3test showenv
t_ok "$(grep -q 'PAM service' "$T_DIR/err"; [ $? -ne 0 ]; echo $?)" \
    "a service that has its file: no such warning"
# Without pam_wrapper the file looked for is the real /etc/pam.d one.
if [ -d /etc/pam.d ]; then
    payload no-such-user-xyz 'a pass'
    cpw_run "" checkpassword-pam -s popkit-no-such-service showenv
    like "$(cat "$T_DIR/err")" \
        'warning: PAM service popkit-no-such-service: no /etc/pam.d/popkit-no-such-service' \
        "with the system's PAM the warning names /etc/pam.d/SERVICE"
    is "$RC:$OUT" "1:" "and the login still fails"
else
    skip "the warning names /etc/pam.d/SERVICE" "no /etc/pam.d here"
    skip "and the login still fails" "no /etc/pam.d here"
fi

# Misuse
printf 'alice\0good pass' >"$T_DIR/payload"
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3test showenv
is "$RC:$OUT" "2:" "missing NUL: exit 2"
printf 'alice\0good pass\0%0600d\0' 0 >"$T_DIR/payload"
cpw_run "$PAMW" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$PAMD" checkpassword-pam -s pop3test showenv
is "$RC:$OUT" "2:" "payload over 512 bytes: exit 2"
payload alice 'good pass'
cpw_run "" checkpassword-pam -s pop3test
is "$RC" 2 "no program: exit 2"
cpw_run "" checkpassword-pam -s ../evil showenv
is "$RC" 2 "a service name with a slash: exit 2"
like "$(checkpassword-pam --help)" "^usage: checkpassword-pam \[-s SERVICE\] \[-n\] \[-m MINUID\] \[--syslog\] PROG" "--help"
done_testing
