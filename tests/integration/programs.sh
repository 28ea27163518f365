#!/bin/sh
# SPDX-License-Identifier: ISC
# Every installed program answers --version, --help and an unknown option
# the same way (lib/usage.h), and has a man page.  The list is make's own
# (bin_PROGRAMS and sbin_PROGRAMS), so a new program is tested too.
. "$top_srcdir/tests/lib.sh"

VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$VERSION" ] || bail "no PACKAGE_VERSION in $top_builddir/config.h"
PROGS=$(printf 'popkit-list:\n\t@echo $(bin_PROGRAMS) $(sbin_PROGRAMS)\n' |
    env -u MAKEFLAGS -u MFLAGS make -s -C "$top_builddir" -f Makefile -f - popkit-list)
[ -n "$PROGS" ] || bail "make did not list the programs"

# RUN PROG ARGS...: exit status in $rc, stdout in out, stderr in err.
run() {
    "$@" >"$T_DIR/out" 2>"$T_DIR/err" </dev/null 3</dev/null
    rc=$?
    out=$(cat "$T_DIR/out") err=$(cat "$T_DIR/err")
}

n=0
for p in $PROGS; do
    p=$(basename "$p")
    n=$((n + 1))
    run "$T_BIN/$p" --version
    is "$rc:$out:$err" "0:$p (popkit) $VERSION:" "$p --version: '$p (popkit) $VERSION', exit 0"
    run "$T_BIN/$p" --help
    is "$rc" 0 "$p --help exits 0"
    like "$out" "^usage: $p " "$p --help prints its usage on stdout"
    is "$err" "" "$p --help writes nothing on stderr"
    page=$(ls "$top_srcdir/man/$p".[158] 2>/dev/null | head -1)
    t_ok "$([ -n "$page" ]; echo $?)" "$p has a man page in man/"
    case $p in
    qail|qine|qlm|elq|pinq)
        # Their arguments are the mail reader's (mail -f, pine -i):
        # wrappers.sh checks that an option reaches the reader intact.
        continue ;;
    esac
    for opt in -Z --no-such-option --no-such-option=1; do
        run "$T_BIN/$p" "$opt"
        want=${opt%%=*}
        is "$rc" 2 "$p $opt exits 2"
        is "$(printf '%s\n' "$err" | head -1)" "$p: unknown option '$want'" \
            "$p $opt: says which option is unknown"
        like "$(printf '%s\n' "$err" | sed -n 2p)" "^usage: $p " "$p $opt: then the usage"
        is "$out" "" "$p $opt: nothing on stdout"
    done
done
# pop3-greeter, pop3-maildir, the three checkpassword programs, vuser,
# maildirmake, maildir2mbox, maildirwatch, the five wrappers, the relay.
t_ok "$([ "$n" -ge 15 ]; echo $?)" "all $n programs were tried"

done_testing
