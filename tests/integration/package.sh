#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package as a user gets it: scripts/package builds it with
# dpkg-buildpackage (DEB_BUILD_OPTIONS=nocheck: this suite is running
# already), lintian judges it, dpkg -x unpacks it into a scratch root, and
# the file list is checked (every program, man page, unit, the sysusers.d
# and tmpfiles.d entries, nothing another mail package owns).  Then the
# unpacked chain serves POP3 under tcpserver: a virtual user made by the
# package's vuser, fetched with python3 poplib in the clear and over
# implicit TLS (the package's pop3-tls-relay).  As root the server runs
# with only the capabilities popkit-pop3@.service leaves it.
# Takes about 40 s (most of it the package build and lintian).
. "$top_srcdir/tests/lib.sh"

# dpkg-buildpackage runs this suite (unless nocheck): not again from inside.
[ -z "${POPKIT_PACKAGE_BUILD:-}" ] ||
    skip_all "inside the package's own build (debian/rules sets POPKIT_PACKAGE_BUILD)"
for p in dpkg-buildpackage dpkg-deb lintian dh; do
    command -v "$p" >/dev/null || bail "$p missing (scripts/deps installs it)"
done

OUT=$T_DIR/out
start=$(date +%s)
deb=$(DEB_BUILD_OPTIONS=nocheck "$top_srcdir/scripts/package" "$OUT" 2>"$T_DIR/package.err" | tail -1)
rc=$?
is "$rc" 0 "scripts/package builds the .deb ($(( $(date +%s) - start )) s)" ||
    sed 's/^/#   /' "$T_DIR/package.err" | tail -30
[ -f "$deb" ] || bail "no .deb from scripts/package"
like "$(basename "$deb")" '^popkit_[0-9][^_]*_[a-z0-9]+\.deb$' "the package is popkit_VERSION_ARCH.deb"

# --- lintian: no error, no warning (an override must say why) ---
lintian --pedantic -I "$deb" >"$T_DIR/lintian.out" 2>&1
sed 's/^/# lintian: /' "$T_DIR/lintian.out"
bad=$(grep -E '^[EW]: ' "$T_DIR/lintian.out")
is "$bad" "" "lintian: no error and no warning"
is "$(grep -c ' statically-linked-binary ' "$T_DIR/lintian.out")" 0 \
    "lintian: no statically-linked-binary (the static programs are static-pie)"
# The static-pie programs' override is justified in the package itself.
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/lintian/overrides/popkit >"$T_DIR/overrides" 2>/dev/null || :
like "$(cat "$T_DIR/overrides")" '^# .*static-pie' "each lintian override says why"

# --- the file list ---
R=$T_DIR/root
dpkg-deb -x "$deb" "$R"
dpkg-deb -e "$deb" "$T_DIR/control"
# What the build installs, from the build tree's own lists, so a new
# program or page is checked without this test knowing its name.
want=$(make -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-installed <<'MK' 2>/dev/null
print-installed:
	@for p in $(bin_PROGRAMS); do echo usr/bin/$${p##*/}; done
	@for p in $(sbin_PROGRAMS); do echo usr/sbin/$${p##*/}; done
	@for m in $(man_MANS); do m=$${m##*/}; echo usr/share/man/man$${m##*.}/$$m.gz; done
MK
)
# (Only the paths: a parallel make check's MAKEFLAGS make it say where it is.)
want=$(printf '%s\n' "$want" | grep '^usr/')
like "$want" 'usr/sbin/pop3-greeter' "the build tree lists what it installs"
# maildirmake and its page carry the package's suffix (the alternative).
want=$(printf '%s\n' "$want" | sed -e 's|^usr/bin/maildirmake$|usr/bin/maildirmake.popkit|' \
    -e 's|/maildirmake\.1\.gz$|/maildirmake.popkit.1.gz|')
missing=
for f in $want lib/systemd/system/popkit-pop3.socket lib/systemd/system/popkit-pop3@.service \
         lib/systemd/system/popkit-pop3s.socket lib/systemd/system/popkit-pop3s@.service \
         usr/lib/sysusers.d/popkit.conf usr/lib/tmpfiles.d/popkit.conf etc/pam.d/popkit \
         usr/share/popkit/contrib/fail2ban/popkit.conf usr/share/popkit/contrib/tcpserver/run \
         usr/share/popkit/contrib/tcpserver/log/run usr/share/popkit/contrib/inetd/inetd.conf \
         usr/share/popkit/contrib/inetd/xinetd.pop3 usr/share/doc/popkit/copyright; do
    [ -e "$R/$f" ] || [ -L "$R/$f" ] || missing="$missing $f"
done
is "$missing" "" "every program, man page, unit and entry is in the package"
check "/etc/popkit is in the package" test -d "$R/etc/popkit"
# Paths mutt, courier-base, maildrop and courier-pop own or share through
# update-alternatives: none may come from this package.
clash=
for f in usr/bin/maildirmake usr/share/man/man1/maildirmake.1.gz \
         usr/share/man/man5/maildir.5.gz usr/share/man/man5/mbox.5.gz etc/pam.d/pop3; do
    [ -e "$R/$f" ] && clash="$clash $f"
done
is "$clash" "" "no file mutt, courier or maildrop owns"
like "$(grep -h '^u ' "$R/usr/lib/sysusers.d/popkit.conf")" '^u popkit ' "sysusers.d makes the popkit account"
post=$(cat "$T_DIR/control/postinst")
like "$post" 'adduser --system' "postinst makes the popkit account with adduser --system"
like "$(printf '%s\n' "$post" | tr -d '\\\n' | tr -s ' ')" \
    'update-alternatives --install /usr/bin/maildirmake maildirmake /usr/bin/maildirmake.popkit 5 --slave /usr/share/man/man1/maildirmake.1.gz maildirmake.1.gz /usr/share/man/man1/maildirmake.popkit.1.gz' \
    "postinst installs the maildirmake alternative with its man page"
like "$(cat "$T_DIR/control/prerm")" 'update-alternatives --remove maildirmake /usr/bin/maildirmake.popkit' \
    "prerm removes it"
like "$post" "deb-systemd-invoke .*popkit-pop3.socket" "postinst starts the port 110 socket (where systemd runs)"
like "$post" 'if \[ -d /run/systemd/system \]' "and only where systemd runs"
check "maintainer scripts are valid sh" sh -n "$T_DIR/control/postinst" "$T_DIR/control/prerm"
like "$(sed -n 's/^Depends: //p' "$T_DIR/control/control")" 'adduser' "Depends on adduser"
like "$(grep '^ExecStart=\|^    ' "$R/lib/systemd/system/popkit-pop3@.service")" \
    '/usr/sbin/pop3-greeter' "the unit runs /usr/sbin/pop3-greeter"

# --- the unpacked chain serves a session ---
S=$R/usr/sbin
U=$T_DIR/users
mkdir -p "$T_DIR/empty" "$T_DIR/home"
chmod 755 "$T_DIR/empty" "$T_DIR/home" "$T_DIR"
chmod -R a+rX "$R"
echo 'pkg pass' | "$S/vuser" -f "$U" add pat@example.org "$T_OWNER" "$T_DIR/home/pat" >"$T_DIR/vuser.out" 2>&1
is "$?" 0 "the package's vuser adds a virtual user"
chmod 644 "$U"
M=$T_DIR/home/pat/Maildir
check "vuser made the user's Maildir" test -d "$M/new"
"$R/usr/bin/maildirmake.popkit" "$T_DIR/mk" && [ -d "$T_DIR/mk/cur" ]
is "$?" 0 "the package's maildirmake.popkit makes a Maildir"
printf 'From: a@example.org\nSubject: from the package\n\nbody line\n' >"$T_DIR/m1"
deliver "$M" "$T_DIR/m1" 1700000001.M1P1.pkg
printf 'From: b@example.org\nSubject: second\n\nanother\n' >"$T_DIR/m2"
deliver "$M" "$T_DIR/m2" 1700000002.M2P2.pkg
own "$T_DIR/home/pat"
sh "$top_srcdir/tests/integration/mkcert.sh" "$T_DIR/tls"
chmod 644 "$T_DIR/tls/server.pem"

# As root: the capabilities popkit-pop3@.service keeps, no new privileges.
CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$R/lib/systemd/system/popkit-pop3@.service")
LIMIT=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    set=$(printf '%s\n' "$CAPS" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
    LIMIT="setpriv --bounding-set=-all,$set --no-new-privs"
fi
PORT=$(free_port)
serve "$PORT" $LIMIT "$S/pop3-greeter" --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    mail.example.test "$S/checkpassword-virtual" -f "$U" "$S/pop3-maildir" Maildir
PORT2=$(free_port)
serve "$PORT2" $LIMIT "$S/pop3-greeter" --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    --implicit-tls --tls-cert="$T_DIR/tls/server.pem" --tls-key="$T_DIR/tls/server.key" \
    mail.example.test "$S/checkpassword-virtual" -f "$U" "$S/pop3-maildir" Maildir
out=$(python3 - "$PORT" "$PORT2" "$T_DIR/tls/ca.pem" 2>&1 <<'PY'
import poplib, ssl, sys
c = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
print("greeting", c.getwelcome().decode())
c.user("pat@example.org")
print("pass", c.pass_("pkg pass").decode())
print("stat", c.stat())
print("subject", [l.decode() for l in c.retr(1)[1] if l.startswith(b"Subject:")][0])
c.dele(1)
print("quit", c.quit().decode())
ctx = ssl.create_default_context(cafile=sys.argv[3])
t = poplib.POP3_SSL("localhost", int(sys.argv[2]), context=ctx, timeout=20)
t.user("pat@example.org")
t.pass_("pkg pass")
print("tls", t.sock.version(), "stat", t.stat())
print("tlsquit", t.quit().decode())
PY
)
sed 's/^/# /' <<LOG
$out
LOG
like "$out" '^greeting \+OK mail\.example\.test' "the packaged greeter greets"
like "$out" '^pass \+OK' "the virtual user logs in through the packaged checkpassword-virtual"
like "$out" '^stat \(2, ' "the packaged pop3-maildir sees both messages"
like "$out" '^subject Subject: from the package$' "RETR brings the message"
like "$out" '^quit \+OK' "QUIT commits"
is "$(find "$M/cur" "$M/new" -name "*M1P1*" | wc -l)" 0 "the deleted message is gone from the Maildir"
like "$out" '^tls TLSv1\.[23] stat \(1, ' "port 995 style: implicit TLS through the packaged relay, one message left"
like "$out" '^tlsquit \+OK' "the TLS session ends cleanly"
if [ -n "$LIMIT" ]; then
    like "$(cat "$T_DIR/server.log")" 'login: messages=.* user=pat@example.org' \
        "both sessions ran with only $CAPS and no new privileges"
else
    skip "the unit's capability set suffices" "not root, or no setpriv (util-linux)"
fi
sed 's/^/# log: /' "$T_DIR/server.log"
done_testing
