#!/bin/sh
# SPDX-License-Identifier: ISC
# Every installed program answers --version, --help and an unknown option
# the same way (lib/usage.h): --help's first line is "usage: PROG ...", a
# misuse prints that very text after its reason, and the man page's
# SYNOPSIS names the options the usage names.  The list is make's own
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

# The synopsis of a usage text (usage.h): up to the first line that is
# indented two spaces, the explanations.
usage_synopsis() { printf '%s\n' "$1" | awk '/^  [^ ]/ { exit } { print }'; }
# The SYNOPSIS section of a man page, as text.
man_synopsis() {
    mandoc -Tascii "$1" | col -b | sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d'
}
# The option names a synopsis names, one a line, sorted; --help and
# --version are every program's (usage.h) and not counted.
options_of() {
    printf '%s\n' "$1" | grep -oE -- '(^|[][ |])--?[A-Za-z][A-Za-z-]*' |
        sed 's/^[][ |]*//' | grep -vxE -- '--help|--version' | sort -u
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
    like "$(printf '%s\n' "$out" | head -1)" "^usage: $p " \
        "$p --help: the usage's first line is 'usage: $p ...'"
    is "$err" "" "$p --help writes nothing on stderr"
    help=$out
    page=$(ls "$top_srcdir/man/$p".[158] 2>/dev/null | head -1)
    t_ok "$([ -n "$page" ]; echo $?)" "$p has a man page in man/"
    if [ -z "$page" ]; then
        skip "$p: the man page's SYNOPSIS names the usage's options" "no page"
    elif ! command -v mandoc >/dev/null; then
        skip "$p: the man page's SYNOPSIS names the usage's options" "no mandoc"
    else
        is "$(options_of "$(man_synopsis "$page")" | tr '\n' ' ')" \
            "$(options_of "$(usage_synopsis "$help")" | tr '\n' ' ')" \
            "$p: the man page's SYNOPSIS names the usage's options"
    fi
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
        is "$(printf '%s\n' "$err" | sed 1d)" "$help" \
            "$p $opt: the very usage --help prints"
        is "$out" "" "$p $opt: nothing on stdout"
    done
done
# pop3-greeter, pop3-maildir, the three checkpassword programs, vuser,
# maildirmake, maildir2mbox, maildirwatch, the five wrappers, the relay.
t_ok "$([ "$n" -ge 15 ]; echo $?)" "all $n programs were tried"

done_testing
