# SPDX-License-Identifier: ISC
# cpw_accounts.sh -- fake system accounts for the checkpassword-shadow and
# checkpassword-pam tests, sourced after tests/lib.sh.  nss_wrapper serves
# passwd, group and shadow files from $T_DIR/nss, so the machine's own
# accounts are never touched.  As root the programs really switch to the
# fake uids (which need no real account); as anyone else uid_wrapper
# fakes root for them (cpw_run).

NSS=$T_DIR/nss
mkdir -p "$NSS"
PW=$(openssl passwd -6 'good pass') || bail "openssl passwd failed"
H=$T_DIR/h
mkdir -p "$H"
chmod 755 "$H"
# name uid shadow-hash passwd-field
acct() {
    mkdir -p "$H/$1"
    [ "$(id -u)" -eq 0 ] && chown "$2:$2" "$H/$1"
    echo "$1:${4:-x}:$2:$2:$1:$H/$1:/bin/sh" >>"$NSS/passwd"
    echo "$1:x:$2:" >>"$NSS/group"
    [ -n "$3" ] && echo "$1:$3:19000:0:99999:7::${5:-}:" >>"$NSS/shadow"
    return 0
}
: >"$NSS/passwd"; : >"$NSS/group"; : >"$NSS/shadow"
acct root 0 "$PW"
acct alice 4242 "$PW"
acct carol 4243 "!$PW"                  # locked with !
acct dave 4244 "*"                      # locked with *
acct erin 4245 ""                       # empty: no shadow line, passwd x
acct frank 4246 "$PW" "" 1              # expired on 1970-01-02
acct sys 500 "$PW"                      # below the default minimum uid
acct gus 4247 "" "$PW"                  # hash in passwd, no shadow
acct expired 4248 "$PW"
acct mustchange 4249 "$PW"
acct locked 4250 "$PW"
echo "mail2:x:4300:alice" >>"$NSS/group"
sed -i 's/^erin:x:/erin::/' "$NSS/passwd"   # empty passwd field too

NSS_ENV="LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=$NSS/passwd NSS_WRAPPER_GROUP=$NSS/group NSS_WRAPPER_SHADOW=$NSS/shadow"
if [ "$(id -u)" -ne 0 ]; then
    UID_ENV="UID_WRAPPER=1 UID_WRAPPER_ROOT=1"
    UID_PRELOAD=libuid_wrapper.so:
else
    UID_ENV=""
    UID_PRELOAD=""
fi

# stage 3 stand-in
cat >"$T_BIN/showenv" <<'SH'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) user=$USER home=$HOME shell=$SHELL cwd=$(pwd) args=$*"
SH
chmod 755 "$T_BIN/showenv"

# payload LOGIN PASSWORD: the fd-3 bytes, to a file (so it can hold NULs)
payload() { printf '%s\0%s\0\0' "$1" "$2" >"$T_DIR/payload"; }

# Under ASan or valgrind the wrappers must not deep-bind (pam_wrapper
# 1.1.4 reads UID_WRAPPER_DISABLE_DEEPBIND for that, not its own name), and
# ASan must accept coming after them in the preload list.
WRAP_SAN="NSS_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# cpw_run PRELOAD-EXTRA ENV... PROG...: run a checkpassword program with
# the payload on fd 3 under the wrappers; sets OUT and RC, log in $T_DIR/err
cpw_run() {
    pre=$1; shift
    OUT=$(env $WRAP_SAN LD_PRELOAD="$UID_PRELOAD${pre}libnss_wrapper.so" \
          NSS_WRAPPER_PASSWD="$NSS/passwd" NSS_WRAPPER_GROUP="$NSS/group" \
          NSS_WRAPPER_SHADOW="$NSS/shadow" $UID_ENV "$@" \
          3<"$T_DIR/payload" 2>"$T_DIR/err" </dev/null)
    RC=$?
}

# expect_alice_stage3: after "PROGRAM alice 'good pass' showenv x y", the
# stage 3 that ran ($OUT) had alice's identity and environment.  As root
# the switch of uid, gid and groups is real; otherwise only the rest.
expect_alice_stage3() {
    if [ "$(id -u)" -eq 0 ]; then
        is "$OUT" "uid=4242 gid=4242 groups=4242 4300 user=alice home=$H/alice shell=/bin/sh cwd=$H/alice args=x y" \
           "stage 3 runs as alice with her groups, USER, HOME, SHELL, cwd, argv"
    else
        like "$OUT" "user=alice home=$H/alice shell=/bin/sh cwd=$H/alice args=x y" \
           "USER, HOME, SHELL, cwd and argv for stage 3"
    fi
}
