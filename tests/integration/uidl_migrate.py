#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""pop3-maildir --uidl-from: a client (python3 poplib over TCP) sees the
UIDLs Dovecot (default pop3_uidl_format %08Xu%08Xv, dovecot-uidlist) or
Courier's pop3d (courierpop3dsizelist) served, for the messages those
files list, across sessions and the move from new/ to cur/; popkit's own
UIDLs for mail that arrived after the switch, without the option, and
when the file is bad (one log line).  The files are never written.
pop3-maildir runs as stage 3 does: as the mail user (nobody under root),
cwd $HOME, the client on fds 0/1.  Prints TAP."""
import os
import re
import poplib
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
from stage3lib import as_owner, chown_tree, done, is_, ok, work  # noqa: E402

WORK, PROG = work("popkit-migrate.")
HOME = os.path.join(WORK, "home")
MD = os.path.join(HOME, "Maildir")


def fresh():
    shutil.rmtree(HOME, ignore_errors=True)
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(MD, d), 0o700)
    chown_tree(HOME)


def deliver(rel, body=None):
    body = body or ("Subject: %s\n\nbody of %s\n" % (rel, rel))
    path = os.path.join(MD, rel)
    with open(path, "w") as f:
        f.write(body)
    chown_tree(path)


def put(name, text):
    path = os.path.join(MD, name)
    with open(path, "w") as f:
        f.write(text)
    chown_tree(path)
    return path


class Stage3:
    """pop3-maildir on one end of a real TCP connection, poplib on the other
    (pop3-maildir's '+OK maildrop has ...' is what poplib reads as greeting)."""

    def __init__(self, args=()):
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        port = lsock.getsockname()[1]
        self.err = tempfile.TemporaryFile()
        cli = [None]

        def connect():
            cli[0] = poplib.POP3("127.0.0.1", port, timeout=20)
        import threading
        t = threading.Thread(target=connect)
        t.start()
        srv, _ = lsock.accept()
        lsock.close()
        self.proc = subprocess.Popen(
            [PROG] + list(args) + ["Maildir"], stdin=srv, stdout=srv, stderr=self.err,
            cwd=HOME, preexec_fn=as_owner,
            env={"PATH": "/usr/bin:/bin", "HOME": HOME, "USER": "alice",
                 "TCPREMOTEIP": "192.0.2.9"})
        srv.close()
        t.join(20)
        self.pop = cli[0]

    def uidls(self):
        resp, lines, _ = self.pop.uidl()
        return [ln.decode().split(" ", 1)[1] for ln in lines]

    def quit(self):
        self.pop.quit()
        rc = self.proc.wait(timeout=20)
        self.err.seek(0)
        self.log = self.err.read().decode("utf-8", "replace")
        self.err.close()
        return rc


def session_uidls(args=()):
    s = Stage3(args)
    u = s.uidls()
    s.quit()
    return u, s.log


def snapshot(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (f.read(), st.st_mtime_ns, st.st_ino)


# ---- Dovecot ----
UIDV = 1275660208
DOVECOT_MSGS = [   # (file as it lies now, name in dovecot-uidlist, UID)
    ("cur/1700000001.M1P100.mx,S=120,W=123:2,S", "1700000001.M1P100.mx,S=120,W=123", 1),
    ("cur/1700000002.M2P100.mx,S=80:2,RS", "1700000002.M2P100.mx,S=80", 2),
    ("new/1700000003.M3P100.mx,S=60", "1700000003.M3P100.mx,S=60", 5),
    ("cur/1700000004.M4P100.mx:2,", "1700000004.M4P100.mx", 9),
]
AFTER = "new/1700000100.M9P200.mx"     # delivered after the switch


def dovecot_fixture():
    fresh()
    for rel, _, _ in DOVECOT_MSGS:
        deliver(rel)
    # As Dovecot 2.3 writes it: header V N G; records with W (vsize) and G
    # fields when it has them, then " :" and the name without the flags.
    lines = ["3 V%d N12 G3085f01b7f11094c501100008c4a11c1" % UIDV]
    for _, name, uid in DOVECOT_MSGS:
        lines.append("%d W123 :%s" % (uid, name) if uid == 2 else "%d :%s" % (uid, name))
    lines.append("11 :1699999999.M0P1.mx,S=10")      # deleted since: ignored
    return put("dovecot-uidlist", "\n".join(lines) + "\n")


path = dovecot_fixture()
before = snapshot(path)
want = ["%08x%08x" % (uid, UIDV) for _, _, uid in DOVECOT_MSGS]
got, log = session_uidls(["--uidl-from=dovecot"])
is_(got, want, "--uidl-from=dovecot: every listed message has Dovecot's %08Xu%08Xv UIDL")
ok(re.search(r"uidl-from: dovecot-uidlist gave 4 of 4 messages .*user=alice", log),
   "... and the login says how many were mapped", log)
got2, _ = session_uidls(["--uidl-from=dovecot"])
is_(got2, want, "second session (the message from new/ now in cur/): the same UIDLs")
ok(os.listdir(os.path.join(MD, "new")) == [], "(the first session did move new/ to cur/)")
deliver(AFTER)
got3, _ = session_uidls(["--uidl-from=dovecot"])
plain, _ = session_uidls()
is_(got3[:4], want, "mail that arrived after the switch leaves the old UIDLs alone")
is_(got3[4], plain[4], "... and gets popkit's own UIDL")
ok(not set(plain[:4]) & set(want),
   "without --uidl-from the same Maildir gets popkit's own UIDLs (opt-in)", plain)
is_(snapshot(path), before, "dovecot-uidlist never written (content, mtime, inode)")


# Dovecot IMAP still on the Maildir: it goes on adding records to the
# live dovecot-uidlist, so the copy frozen at the switch is what to read.
frozen = put("popkit-uidl-dovecot", open(path).read())
with open(path, "w") as f:        # as Dovecot rewrites it: N moves on
    f.write(before[0].decode().replace(" N12 ", " N13 ") + "12 :%s\n" % AFTER[4:])
got5, _ = session_uidls(["--uidl-from=dovecot:popkit-uidl-dovecot"])
is_(got5, got3, "--uidl-from=dovecot:FILE: a frozen copy; what Dovecot IMAP adds to the "
    "live file later changes nothing")
live, _ = session_uidls(["--uidl-from=dovecot"])
is_(live[4], "%08x%08x" % (12, UIDV),
    "(reading the live file instead would change that message's UIDL: why FILE exists)")
with open(path, "w") as f:
    f.write(before[0].decode())
os.unlink(frozen)

# single-message UIDL, RETR and DELE on a mapped message
s = Stage3(["--uidl-from=dovecot"])
is_(s.pop.uidl(2), b"+OK 2 " + want[1].encode(), "UIDL 2 answers the mapped UIDL")
resp, lines, _ = s.pop.retr(2)
ok(resp.startswith(b"+OK") and any(b"body of" in ln for ln in lines), "RETR of a mapped message")
s.pop.dele(1)
is_(s.uidls(), want[1:] + [got3[4]], "UIDL after DELE 1 lists the rest, still mapped")
s.quit()
got4, _ = session_uidls(["--uidl-from=dovecot"])
is_(got4, want[1:] + [got3[4]], "after QUIT the deleted one is gone, the others unchanged")

# version 1 (Dovecot up to 1.0, and Courier IMAP's courierimapuiddb form)
path = dovecot_fixture()
put("dovecot-uidlist", "1 %d 12\n" % UIDV + "".join(
    "%d %s\n" % (uid, name) for _, name, uid in DOVECOT_MSGS))
got, _ = session_uidls(["--uidl-from=dovecot"])
is_(got, want, "a version 1 dovecot-uidlist gives the same UIDLs")

# a P record (a UIDL Dovecot itself kept from an earlier migration)
dovecot_fixture()
put("dovecot-uidlist", "3 V%d N12\n1 P+OLD-UIDL-1 :%s\n2 P :%s\n" % (
    UIDV, DOVECOT_MSGS[0][1], DOVECOT_MSGS[1][1]))
got, _ = session_uidls(["--uidl-from=dovecot"])
is_(got[:2], ["+OLD-UIDL-1", DOVECOT_MSGS[1][1]],
    "P<uidl> is served as Dovecot did; an empty P gives the name before ':'")

# a bad file: ignored as a whole, one log line, the session goes on
plain_now, _ = session_uidls()
for what, text in (
        ("truncated", "3 V%d N12\n1 :%s\n2 :17000" % (UIDV, DOVECOT_MSGS[0][1])),
        ("duplicate UIDs", "3 V%d N12\n1 :%s\n1 :%s\n" % (UIDV, DOVECOT_MSGS[0][1],
                                                        DOVECOT_MSGS[1][1])),
        ("CRLF", "3 V%d N12\r\n1 :%s\r\n" % (UIDV, DOVECOT_MSGS[0][1]))):
    put("dovecot-uidlist", text)
    got, log = session_uidls(["--uidl-from=dovecot"])
    is_(got, plain_now, "a %s dovecot-uidlist: popkit's own UIDLs" % what)
    warn = [ln for ln in log.splitlines() if "dovecot-uidlist" in ln]
    ok(len(warn) == 1 and "ignoring" in warn[0] and "user=alice" in warn[0],
       "... with exactly one log line naming the file and the user", log)

# ---- Courier ----
COURIER_UIDV = 1600000000
COURIER_MSGS = [   # Courier's pop3d moved each to cur/ and lists that name
    ("cur/1600000001.M1P1.mx:2,S", 1),
    ("cur/1600000002.M2P1.mx,S=44:2,", 2),
    ("cur/1600000003.M3P1.mx:2,", 4),
]
fresh()
for rel, _ in COURIER_MSGS:
    deliver(rel)
# As Courier's pop3d writes it: "/3 <nextuid> <uidv>", then per message
# "<name> <size> <n>:<uidv>:<utf8>" (its pop3dserver.c, LISTVERSION 3).
text = "/3 5 %d\n" % COURIER_UIDV + "".join(
    "%s %d %d:%d:0\n" % (rel[4:], 40, n, COURIER_UIDV) for rel, n in COURIER_MSGS)
path = put("courierpop3dsizelist", text)
before = snapshot(path)
deliver(AFTER)
want = ["UID%d-%d" % (n, COURIER_UIDV) for _, n in COURIER_MSGS]
got, log = session_uidls(["--uidl-from=courier"])
plain, _ = session_uidls()
is_(got[:3], want, "--uidl-from=courier: Courier's UID<n>-<uidv> UIDLs")
is_(got[3], plain[3], "... and popkit's own for mail that arrived after")
ok(not set(plain[:3]) & set(want), "without the option: popkit's own UIDLs", plain)
got, _ = session_uidls(["--uidl-from=courier"])
is_(got[:3], want, "the same in the next session")
is_(snapshot(path), before, "courierpop3dsizelist never written")
got, log = session_uidls(["--uidl-from=dovecot"])
is_(got, plain, "--uidl-from=dovecot ignores a courierpop3dsizelist (no dovecot-uidlist)")
put("courierpop3dsizelist", "/3 5 %d\n%s 40 1:%d\n" % (COURIER_UIDV, COURIER_MSGS[0][0][4:],
                                                    COURIER_UIDV))
got, log = session_uidls(["--uidl-from=courier"])
is_(got, plain, "a courierpop3dsizelist record without its :utf8 field: own UIDLs")
ok(sum("courierpop3dsizelist" in ln for ln in log.splitlines()) == 1,
   "... one log line", log)

# ---- the option itself ----
p = subprocess.run([PROG, "--uidl-from=qmail", "Maildir"], cwd=HOME, capture_output=True,
                   preexec_fn=as_owner, stdin=subprocess.DEVNULL)
ok(p.returncode == 2 and b"usage" in p.stderr, "--uidl-from=qmail: usage, exit 2", p.stderr)
p = subprocess.run([PROG, "--uidl-from=dovecot:../x", "Maildir"], cwd=HOME,
                   capture_output=True, preexec_fn=as_owner, stdin=subprocess.DEVNULL)
ok(p.returncode == 2, "--uidl-from=dovecot:../x (not a file of the Maildir): exit 2")
p = subprocess.run([PROG, "--help"], capture_output=True)
ok(b"--uidl-from" in p.stdout, "--help names --uidl-from")

done()
