# SPDX-License-Identifier: ISC
# tests/lib.sh -- shared shell for the integration tests (TAP output).
#
# Source it from a test: . "$top_srcdir/tests/lib.sh"
# It gives each test a private work directory, copies the built programs
# where an unprivileged owner can run them, picks free loopback ports, and
# starts the real chain under tcpserver.  Everything it starts is killed
# when the test exits.

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
T_N=0
T_FAILED=0
T_PIDS=""

# ok COND-EXIT-STATUS DESCRIPTION: record one test point.
t_ok() {
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T_N - $2"
    else
        echo "not ok $T_N - $2"
        T_FAILED=$((T_FAILED + 1))
    fi
}
# check DESCRIPTION COMMAND...: run the command, pass if it exits 0.
check() {
    d=$1; shift
    if "$@" >"$T_DIR/check.out" 2>&1; then t_ok 0 "$d"; else
        t_ok 1 "$d"; sed 's/^/#   /' "$T_DIR/check.out" | head -20; fi
}
# is GOT WANT DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then t_ok 0 "$3"; else
        t_ok 1 "$3"; echo "#   got:  $(printf %s "$1" | head -c 400)"
        echo "#   want: $(printf %s "$2" | head -c 400)"; fi
}
# like GOT REGEX DESCRIPTION (grep -E)
like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then t_ok 0 "$3"; else
        t_ok 1 "$3"; echo "#   got: $(printf %s "$1" | head -c 400)"
        echo "#   want match: $2"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
# skip DESCRIPTION REASON: one test point, reported as skipped (not passed).
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() {
    if [ -n "${POPKIT_VALGRIND:-}" ]; then
        sleep 0.5   # let servers killed at exit finish their reports
        bad=$(find "$T_DIR/vg" -type f -size +0 2>/dev/null | head -3)
        t_ok "$([ -z "$bad" ]; echo $?)" "valgrind reported nothing"
        [ -z "$bad" ] || sed 's/^/#   /' $bad | head -40
    fi
    echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]
}

t_cleanup() {
    for p in $T_PIDS; do kill "$p" 2>/dev/null; done
    [ -n "${T_KEEP:-}" ] || rm -rf "$T_DIR"
}

T_DIR=$(mktemp -d /tmp/popkit-test.XXXXXX)
chmod 755 "$T_DIR"
trap t_cleanup EXIT

# The mail owner: ourselves, or as root an unprivileged account, since
# stage 3 refuses uid 0 and stage 2 must really switch users.
if [ "$(id -u)" -eq 0 ]; then
    T_OWNER=nobody
else
    T_OWNER=$(id -un)
fi
T_OWNER_UID=$(id -u "$T_OWNER")
T_OWNER_GID=$(id -g "$T_OWNER")

# Programs copied to a directory every user can reach (the build tree may
# sit under a private home).
T_BIN=$T_DIR/bin
mkdir -p "$T_BIN"
for d in pop3d checkpassword maildir wrappers bench deliver; do
    for f in "$top_builddir/$d"/*; do
        [ -f "$f" ] && [ -x "$f" ] && cp "$f" "$T_BIN/"
    done
done
chmod -R a+rX "$T_BIN"
# Under scripts/test-valgrind every program runs under valgrind, its
# reports collected in $T_DIR/vg and checked by done_testing.
if [ -n "${POPKIT_VALGRIND:-}" ]; then
    mkdir -p "$T_BIN/.real" "$T_DIR/vg"
    chmod 1777 "$T_DIR/vg"
    for f in "$T_BIN"/*; do
        [ -f "$f" ] || continue
        n=$(basename "$f")
        mv "$f" "$T_BIN/.real/$n"
        printf '#!/bin/sh\nexec valgrind -q --vgdb=no --child-silent-after-fork=yes --log-file=%s/vg/%%p.%s.log --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite %s "$@"\n' \
            "$T_DIR" "$n" "$T_BIN/.real/$n" > "$f"
        chmod 755 "$f"
    done
fi
PATH=$T_BIN:$PATH
export PATH

# free_port: print a loopback TCP port nobody listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: wait up to 5 s for a listener.
wait_port() {
    for _ in $(seq 1 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# make_maildir DIR: an empty Maildir owned by the mail owner.
make_maildir() {
    mkdir -p "$1/tmp" "$1/new" "$1/cur"
    chmod 700 "$1" "$1/tmp" "$1/new" "$1/cur"
}

# own PATH...: give files to the mail owner (a no-op when not root).
own() {
    if [ "$(id -u)" -eq 0 ]; then chown -R "$T_OWNER_UID:$T_OWNER_GID" "$@"; fi
}

# deliver MAILDIR FILE [NAME]: put a message into new/ as a delivery agent
# would (through tmp/, then rename).
T_SEQ=0
deliver() {
    T_SEQ=$((T_SEQ + 1))
    n=${3:-$(( 1700000000 + T_SEQ )).M${T_SEQ}P$$.test}
    cp "$2" "$1/tmp/$n" && mv "$1/tmp/$n" "$1/new/$n"
}

# serve PORT PROG...: run PROG... under tcpserver on 127.0.0.1:PORT in the
# background; its stderr (the log) goes to $T_DIR/server.log.
serve() {
    port=$1; shift
    tcpserver -R -H -l0 127.0.0.1 "$port" "$@" 2>>"$T_DIR/server.log" &
    T_PIDS="$T_PIDS $!"
    wait_port "$port" || bail "server did not start on port $port"
}
