#!/bin/sh
# SPDX-License-Identifier: ISC
# Delivery to recipients of an LDAP directory (popkit-deliver --ldap,
# popkit-lmtpd --ldap) against Debian's slapd (tests/integration/slapd.sh),
# and the message then fetched by POP3 through checkpassword-ldap with
# the same configuration file: one account source for login and
# delivery.  Also: an unknown recipient (67 / 100 / 550 5.1.1), the
# directory down (75 / 111 / 451, nothing bounced), LDAP injection in the
# local part (escaped: '*' and ')(' find nobody), an alias file still
# applying, the users file consulted only with -f, and the LDAP lookup a
# child of popkit-lmtpd's root part, not of its parser.
. "$top_srcdir/tests/lib.sh"

for p in checkpassword-ldap popkit-deliver popkit-lmtpd pop3-greeter pop3-maildir; do
    [ -x "$T_BIN/$p" ] || skip_all "$p not built"
done
H=$T_DIR/h
mkdir -p "$H" "$T_DIR/empty" "$T_DIR/aliases"
chmod 755 "$H" "$T_DIR/empty"
. "$top_srcdir/tests/integration/slapd.sh"

ALICE_PW='alice pass'
{
    person "ou=people,$SUFFIX" alice "$(slappasswd -s "$ALICE_PW")" "mail: alice@example.org"
    person "ou=people,$SUFFIX" 'o(n)e*' "$(slappasswd -s 'paren pw')" "mail: o(n)e*@example.org"
    # Her Maildir is not HOME/Maildir: maildir_attr (description) says where.
    person "ou=people,$SUFFIX" eve "$(slappasswd -s 'eve pw')" "mail: eve@example.org" |
        sed "s|^description: .*|description: $H/eve/elsewhere/|"
    # Alone under ou=solo: a filter that an injected '*' widened would
    # find exactly this entry, and its Maildir would get the mail.
    person "ou=solo,$SUFFIX" dave "$(slappasswd -s 'dave pw')" "mail: dave@example.org"
} >"$S/data.ldif"
ldap_add "$S/data.ldif"
for u in alice 'o(n)e*' dave eve; do
    make_maildir "$H/$u/Maildir"
done
make_maildir "$H/eve/elsewhere"
own "$H"
# A users file that knows someone the directory does not.
mkdir -p "$T_DIR/fileonly/Maildir"
make_maildir "$T_DIR/fileonly/Maildir"
own "$T_DIR/fileonly"
echo "filer@example.org:x:$T_OWNER:$T_DIR/fileonly" >"$T_DIR/users"
# An alias, as without a directory.
echo "team: alice@example.org" >"$T_DIR/aliases/example.org"

# Logins and recipients are addresses (mail=%u); the Maildir is the
# entry's description (maildir_attr), exported to pop3-maildir as
# $MAILDIR at login.
conf mail uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" \
    filter "(&(objectClass=inetOrgPerson)(mail=%u))" maildir_attr description
# Logins are bare uids: a recipient's local part is %u.
conf local uri "ldap://127.0.0.1:$PORT" base "ou=people,$SUFFIX" recipient local
conf solo uri "ldap://127.0.0.1:$PORT" base "ou=solo,$SUFFIX" recipient local
conf ldaps uri "ldaps://127.0.0.1:$SPORT" ca_file "$T_DIR/tls/ca.pem" \
    base "ou=people,$SUFFIX" filter "(mail=%u)"
DOWN=$(free_port)
conf down uri "ldap://127.0.0.1:$DOWN" base "ou=people,$SUFFIX"

count() { find "$1/new" -type f | wc -l; }
printf 'From: s@sender.test\nSubject: to the directory\n\nhello via ldap\n' >"$T_DIR/msg"
# pd CONF ARGS...: popkit-deliver with the message; RC and ERR.
pd() {
    c=$1; shift
    popkit-deliver --ldap="$T_DIR/$c.conf" -a "$T_DIR/aliases" -r s@sender.test "$@" \
        <"$T_DIR/msg" 2>"$T_DIR/err"
    RC=$?
    ERR=$(cat "$T_DIR/err")
}

# ---- popkit-deliver ----
pd mail alice@example.org
is "$RC" 0 "popkit-deliver --ldap: a recipient of the directory (mail=%u): exit 0"
is "$(count "$H/alice/Maildir")" 1 "and the message is in the entry's Maildir"
f=$(find "$H/alice/Maildir/new" -type f | head -1)
like "$(cat "$f")" "Delivered-To: alice@example.org" "with its Delivered-To"
if [ "$(id -u)" -eq 0 ]; then
    is "$(stat -c %u "$f")" "$T_OWNER_UID" "written as the entry's owner (uidNumber $T_OWNER_UID)"
else
    skip "written as the entry's owner" "not root: everything runs as one user"
fi
pd mail eve@example.org
is "$RC:$(count "$H/eve/elsewhere"):$(count "$H/eve/Maildir")" "0:1:0" \
    "maildir_attr: delivered to the entry's own Maildir path, not HOME/Maildir"
pd local eve@example.org
is "$RC:$(count "$H/eve/elsewhere"):$(count "$H/eve/Maildir")" "0:1:1" \
    "without maildir_attr: HOME/Maildir"
pd local alice@example.org
is "$RC:$(count "$H/alice/Maildir")" "0:2" "recipient local: alice's local part is the uid: delivered"
pd ldaps alice@example.org
is "$RC:$(count "$H/alice/Maildir")" "0:3" "over ldaps:// with the test CA: delivered"
pd mail team@example.org
is "$RC:$(count "$H/alice/Maildir")" "0:4" "an alias of the alias file to a directory user: delivered"
pd mail nosuch@example.org
is "$RC" 67 "an unknown recipient: 67 (EX_NOUSER)"
like "$ERR" "^5\.1\.1 .*nosuch@example.org: no such user or alias" "5.1.1, and says so"
pd mail someone@no-alias-file.org
is "$RC" 67 "an unknown recipient of a domain without an alias file: 67, not forwarded"
like "$ERR" "^5\.1\.1 .*no such user in the directory" "and says so"
pd mail nosuch@example.org --qmail
is "$RC" 100 "an unknown recipient with --qmail: 100"
pd mail filer@example.org
is "$RC:$(count "$T_DIR/fileonly/Maildir")" "67:0" "--ldap alone: the users file is not read"
pd mail -f "$T_DIR/users" filer@example.org
is "$RC:$(count "$T_DIR/fileonly/Maildir")" "0:1" "--ldap with -f: the users file's user is delivered too"
pd down alice@example.org
is "$RC:$(count "$H/alice/Maildir")" "75:4" "the directory down: 75 (EX_TEMPFAIL), nothing delivered"
like "$ERR" "^4\.3\.0 " "a 4.x.x status, never a bounce"
pd down alice@example.org --qmail
is "$RC" 111 "the directory down with --qmail: 111"
popkit-deliver --ldap="$T_DIR/nosuch.conf" -r s@sender.test alice@example.org \
    <"$T_DIR/msg" 2>"$T_DIR/err"
is "$?" 75 "a configuration file that is not there: 75"
like "$(cat "$T_DIR/err")" "cannot read $T_DIR/nosuch.conf" "and says so"

# LDAP injection in the local part: escaped into the filter, so under
# ou=solo (dave alone) neither '*' nor ')(uid=*' finds dave.
pd solo dave@example.org
is "$RC:$(count "$H/dave/Maildir")" "0:1" "solo: dave's own address is delivered"
n=$(wc -l <"$S/log")
pd solo '*@example.org'
is "$RC:$(count "$H/dave/Maildir")" "67:1" "local part '*': unknown, nothing for dave"
like "$(sed -n "$((n + 1)),\$p" "$S/log" | grep ' SRCH ' | grep 'filter=')" 'uid=\\2[aA]' \
    "slapd got the '*' as the escaped value \\2a"
pd solo ')(uid=*@example.org'
is "$RC:$(count "$H/dave/Maildir")" "67:1" "local part ')(uid=*': unknown, no filter of its own"
pd solo '*)(|(objectClass=*@example.org'
is "$RC:$(count "$H/dave/Maildir")" "67:1" "local part '*)(|(objectClass=*': unknown"
pd mail 'o(n)e*@example.org'
is "$RC:$(count "$H/o(n)e*/Maildir")" "0:1" "a local part really holding '(', ')' and '*' reaches its own entry"
# Maildir++ quota, as for any user: dave's Maildir is full.
printf '100S\n0 0\n' >"$H/dave/Maildir/maildirsize"
own "$H/dave/Maildir/maildirsize"
pd solo dave@example.org
is "$RC:$(count "$H/dave/Maildir")" "67:1" "a directory user over his maildirsize quota: 67, not delivered"
like "$ERR" "^5\.2\.2 " "5.2.2 (mailbox full)"
pd solo --quota-tempfail dave@example.org
is "$RC" 75 "with --quota-tempfail: 75"

# ---- popkit-lmtpd ----
# lmtp CONF-ARGS -- PY: an LMTP session through python's smtplib.LMTP
# against popkit-lmtpd under tcpserver; prints what PY prints.
# Without the test driver's descriptor 3 (its log): under valgrind the
# wrapper's own log would take the next one, inside the parser's limit of
# five, and leave no room for the spool (lmtp.py's server, started from
# python, inherits none either).
LPORT=$(free_port)
serve "$LPORT" popkit-lmtpd --ldap="$T_DIR/mail.conf" -a "$T_DIR/aliases" \
    --privsep-dir="$T_DIR/empty" --hostname=lmtp.test 3>&-
DPORT=$(free_port)
serve "$DPORT" popkit-lmtpd --ldap="$T_DIR/down.conf" -a "$T_DIR/aliases" \
    --privsep-dir="$T_DIR/empty" --hostname=lmtp.test 3>&-
OUT=$(printf 'LHLO c\r\n' | popkit-lmtpd --ldap="$T_DIR/nosuch.conf" \
          --privsep-dir="$T_DIR/empty" 2>"$T_DIR/err")
is "$?:$(echo "$OUT" | head -1 | cut -c1-9)" "111:421 4.3.0" \
    "popkit-lmtpd --ldap with a configuration that cannot be read: 421 4.3.0 for a greeting, exit 111"
like "$(cat "$T_DIR/err")" "--ldap: cannot read $T_DIR/nosuch.conf" "and the log says why"
lmtp() {   # PORT RCPT...: "RCPT-reply;..." then "| DATA-replies"
    python3 - "$@" <<'PY'
import smtplib, sys
port, rcpts = int(sys.argv[1]), sys.argv[2:]
c = smtplib.LMTP("127.0.0.1", port, timeout=60)
c.ehlo("client.test")
c.mail("s@sender.test")
out, ok = [], []
for r in rcpts:
    code, msg = c.rcpt(r)
    out.append("%d %s" % (code, msg.decode().split()[0]))
    if code == 250:
        ok.append(r)
data = []
if ok:
    c.putcmd("data")
    code, msg = c.getreply()
    if code != 354:
        data.append("DATA %d %s" % (code, msg.decode()))
    else:
        c.send(b"From: s@sender.test\r\nSubject: lmtp to ldap\r\n\r\nhello via lmtp\r\n.\r\n")
        for _ in ok:
            code, msg = c.getreply()
            data.append("%d %s" % (code, msg.decode().split()[0]))
c.quit()
print(";".join(out) + " | " + ";".join(data))
PY
}
before=$(count "$H/alice/Maildir")
is "$(lmtp "$LPORT" alice@example.org nosuch@example.org team@example.org)" \
    "250 2.1.5;550 5.1.1;250 2.1.5 | 250 2.0.0;250 2.0.0" \
    "popkit-lmtpd --ldap: RCPT of a directory user 250, an unknown one 550 5.1.1, an alias 250; DATA 250 for each"
is "$(count "$H/alice/Maildir")" "$((before + 2))" "both copies in alice's Maildir"
like "$(lmtp "$DPORT" alice@example.org)" "^451 4\.3\.0 \| $" \
    "the directory down: RCPT 451 4.3.0 (the MTA retries), nothing bounced"
like "$(lmtp "$LPORT" '*@example.org' ')(mail=*@example.org')" "^550 5\.1\.1;550 5\.1\.1 " \
    "injection in the local part over LMTP: 550 5.1.1 for both"
grep -q "rcpt=alice@example.org" "$T_DIR/server.log" \
    && grep -q "rcpt=nosuch@example.org refused: .*no such user" "$T_DIR/server.log"
t_ok $? "the log names the recipients and why one was refused"

# The lookup is the root part's child, started after the parser was
# forked: caught while a session holds it.
python3 - "$LPORT" "$T_DIR/mail.conf" >"$T_DIR/tree" <<'PY'
import os, smtplib, sys
c = smtplib.LMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
c.ehlo("client.test")
c.mail("s@sender.test")
c.rcpt("alice@example.org")
def cmd(p):
    try:
        return open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode()
    except OSError:
        return ""
def ppid(p):
    try:
        return open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[1]
    except OSError:     # gone meanwhile
        return None
# Ours: its command line names this test's configuration.
helpers = [p for p in os.listdir("/proc") if p.isdigit()
           and "--recipients -c " + sys.argv[2] in cmd(p)]
for h in helpers:
    root = ppid(h)
    kids = [p for p in os.listdir("/proc") if p.isdigit() and p != h
            and ppid(p) == root and "popkit-lmtpd" in cmd(p)]
    # By the whole command line: under valgrind argv[0] is valgrind's.
    print("helper-parent=%s grandparent=%s parser-siblings=%d"
          % ("popkit-lmtpd" if "popkit-lmtpd" in cmd(root) else cmd(root),
             cmd(ppid(root)).split()[0].rsplit("/", 1)[-1], len(kids)))
c.quit()
PY
like "$(cat "$T_DIR/tree")" "helper-parent=popkit-lmtpd grandparent=tcpserver parser-siblings=1" \
    "checkpassword-ldap --recipients runs under the root part, beside the parser, not under it"

# ---- and fetched by POP3, logging in through the same directory ----
cat >"$T_BIN/stage2" <<SH
#!/bin/sh
exec checkpassword-ldap -c "$T_DIR/mail.conf" "\$@"
SH
chmod 755 "$T_BIN/stage2"
POP=$(free_port)
serve "$POP" pop3-greeter --fail-delay=0 --privsep-dir="$T_DIR/empty" \
    test.example.org stage2 sh -c 'exec pop3-maildir "$MAILDIR"'
want=$(count "$H/alice/Maildir")
got=$(python3 - "$POP" alice@example.org "$ALICE_PW" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=20)
p.user(sys.argv[2])
p.pass_(sys.argv[3])
n, _ = p.stat()
bodies = [b"\n".join(p.retr(i)[1]) for i in range(1, n + 1)]
p.quit()
print(n, sum(b"hello via ldap" in b for b in bodies),
      sum(b"hello via lmtp" in b for b in bodies))
PY
)
is "$got" "$want 4 2" \
    "POP3 login alice@example.org through checkpassword-ldap: STAT $want, every message delivered by popkit-deliver (4) and popkit-lmtpd (2)"

done_testing
