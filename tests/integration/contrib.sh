#!/bin/sh
# SPDX-License-Identifier: ISC
# The service files made from contrib/*.in: configure's paths in place of
# every @name@, the two socket units with their per-connection services,
# their sandboxing as systemd-analyze rates it, and `make install` putting
# each where it belongs.
. "$top_srcdir/tests/lib.sh"

B=$top_builddir
D=$T_DIR/dest
make -s -C "$B" install DESTDIR="$D" >"$T_DIR/install.out" 2>&1
is "$?" 0 "make install DESTDIR=... succeeds" || sed 's/^/#   /' "$T_DIR/install.out" | tail -20
prefix=$(sed -n 's/^prefix = //p' "$B/Makefile")
sbindir=$(sed -n 's/^sbindir = //p' "$B/Makefile" | sed "s|\${exec_prefix}|$prefix|")
unitdir=$(sed -n 's/^systemdsystemunitdir = //p' "$B/Makefile" | sed "s|\${prefix}|$prefix|")
for f in popkit-pop3.socket popkit-pop3s.socket popkit-pop3@.service popkit-pop3s@.service \
         popkit-lmtp.socket popkit-lmtp@.service; do
    check "unit $f installed in $unitdir" test -f "$D$unitdir/$f"
done
check "sysusers.d entry installed" test -f "$D$prefix/lib/sysusers.d/popkit.conf"
check "tmpfiles.d entry installed" test -f "$D$prefix/lib/tmpfiles.d/popkit.conf"
C=$D$prefix/share/popkit/contrib
for f in inetd/inetd.conf inetd/xinetd.pop3 tcpserver/tcprules.pop3 \
         fail2ban/popkit.conf fail2ban/popkit.jail pam.d/popkit; do
    check "contrib/$f installed" test -f "$C/$f"
done
for f in tcpserver/run tcpserver/virtual-run tcpserver/log/run tcpserver/lmtp-run; do
    check "contrib/$f installed executable" test -x "$C/$f"
done
left=$(grep -rl '@[a-z_]*@' "$D$unitdir" "$C" 2>/dev/null)
is "$left" "" "no @name@ is left in what was installed"
like "$(cat "$D$unitdir/popkit-pop3@.service")" "^ExecStart=$sbindir/pop3-greeter " \
    "the unit runs the greeter from sbindir"
like "$(cat "$C/inetd/inetd.conf")" "^pop3 stream tcp nowait root $sbindir/pop3-greeter " \
    "the inetd line runs the greeter from sbindir"
like "$(cat "$C/inetd/inetd.conf")" "^127.0.0.1:lmtp stream tcp nowait root $sbindir/popkit-lmtpd popkit-lmtpd" \
    "the inetd LMTP line runs popkit-lmtpd from sbindir, on loopback"
like "$(cat "$D$unitdir/popkit-lmtp@.service")" "^ExecStart=$sbindir/popkit-lmtpd" \
    "the LMTP unit runs popkit-lmtpd from sbindir"
like "$(grep -h '^ListenStream=' "$D$unitdir/popkit-lmtp.socket")" '^ListenStream=127.0.0.1:24$' \
    "the LMTP socket listens on loopback only"
for f in "$C/tcpserver/run" "$C/tcpserver/virtual-run" "$C/tcpserver/log/run"; do
    check "$(basename "$(dirname "$f")")/$(basename "$f") is valid sh" sh -n "$f"
done
like "$(grep -h '^Accept=' "$D$unitdir"/popkit-pop3*.socket | sort -u)" '^Accept=yes$' \
    "both sockets accept: one service instance per connection"
like "$(grep -h '^ListenStream=' "$D$unitdir"/popkit-pop3*.socket | sort | tr '\n' ' ')" \
    '^ListenStream=110 ListenStream=995 $' "ports 110 and 995"
like "$(cat "$D$unitdir/popkit-pop3s@.service")" '--implicit-tls' "port 995 starts TLS first"

# systemd-analyze security reads unit files offline (no systemd as PID 1
# needed); an instance of each template is rated.
if command -v systemd-analyze >/dev/null &&
   systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    for u in popkit-pop3 popkit-pop3s popkit-lmtp; do
        cp "$D$unitdir/$u@.service" "$T_DIR/$u@.service"
        out=$(cd "$T_DIR" && systemd-analyze security --offline=yes --no-pager "$T_DIR/$u@.service" 2>&1)
        score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        like "$score" '^[0-9]' "$u@.service: systemd-analyze rates it ($score)" ||
            printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
        t_ok "$(awk -v s="${score:-99}" 'BEGIN { exit !(s < 5) }'; echo $?)" \
            "$u@.service: exposure under 5"
        out=$(cd "$T_DIR" && systemd-analyze verify --man=no "$T_DIR/$u@.service" 2>&1 |
              grep -v -e 'Failed to .*bus' -e 'No such file' -e 'is not executable')
        is "$out" "" "$u@.service: systemd-analyze verify finds nothing wrong"
    done
else
    skip "systemd-analyze security of the units" "systemd-analyze without --offline"
fi
done_testing
