#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""forged_cache -- a size cache forged by someone who can write the
Maildir cannot make pop3-maildir announce sizes the files do not have:
a claim beyond what the file can become (10^12 octets for 20 bytes) is
refused at the scan, and a smaller lie is caught by RETR, which logs the
mismatch, tells the truth for the rest of the session and drops the
caches, so the next session is right.  pop3-maildir run directly over a
socketpair, as stage 2 would.  Prints TAP.
"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
from stage3lib import as_owner, chown_tree, done, is_, ok, work  # noqa: E402

WORK, PROG = work("popkit-forged.")
HOME = os.path.join(WORK, "home")
MD = os.path.join(HOME, "Maildir")
CACHE = os.path.join(MD, "popkit-sizes")
LISTING = os.path.join(MD, "popkit-listing")
BODY = b"Subject: x\r\n\r\nhi!\r\n"          # 19 octets, CRLF already
NAMES = ["1700000001.M1P1.host:2,", "1700000002.M2P2.host:2,"]

for d in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(MD, d), 0o700)
for n in NAMES:
    with open(os.path.join(MD, "cur", n), "wb") as f:
        f.write(BODY)
chown_tree(HOME)


def session(commands):
    """Run one session: the answers (first lines, multi-line bodies
    joined) to commands, and what pop3-maildir logged."""
    sock, child = socket.socketpair()
    err = tempfile.TemporaryFile()
    env = {"PATH": "/usr/bin:/bin", "HOME": HOME, "USER": "alice"}
    p = subprocess.Popen([PROG, "Maildir"], stdin=child, stdout=child,
                         stderr=err, cwd=HOME, env=env, preexec_fn=as_owner)
    child.close()
    sock.settimeout(20)
    f = sock.makefile("rb")
    out = [f.readline().rstrip(b"\r\n")]
    for c in commands:
        sock.sendall(c.encode() + b"\r\n")
        first = f.readline().rstrip(b"\r\n")
        multi = (c in ("LIST", "UIDL") or c.startswith("RETR")) and \
            first.startswith(b"+OK")
        body = b""
        while multi:
            ln = f.readline()
            if ln in (b".\r\n", b""):
                break
            body += ln
        out.append(first + (b"|" + body if multi else b""))
    sock.close()
    p.wait(timeout=20)
    err.seek(0)
    return out, err.read().decode("utf-8", "replace")


def forge(sizes):
    """Rewrite the true size cache (TRUE, the first session's) with
    sizes claimed for NAMES; no listing, so the cache is what counts."""
    lines = TRUE.splitlines()
    with open(CACHE, "w") as f:
        f.write(lines[0] + "\n")
        for ln, size in zip(lines[1:], sizes):
            t, usec, _, name = ln.split(" ", 3)
            f.write(f"{t} {usec} {size} {name}\n")
    chown_tree(CACHE)
    if os.path.exists(LISTING):
        os.unlink(LISTING)


out, _ = session(["STAT", "QUIT"])
is_(out[1], b"+OK 2 38", "the true sizes: 2 messages, 38 octets")
ok(os.path.exists(CACHE), "the first session wrote the size cache")
with open(CACHE) as fh:
    TRUE = fh.read()
is_(len(TRUE.splitlines()), 3, "with a line for each message")

# --- a claim the file cannot bear: refused at the scan ---
forge([10 ** 12, 10 ** 12])
out, log = session(["STAT", "LIST", "QUIT"])
ok(" read=2 " in log, "the claims refused: both files read", log)
is_(out[0], b"+OK maildrop has 2 messages (38 octets)",
    "forged 10^12 for 19-byte files: the greeting's total is the files'")
is_(out[1], b"+OK 2 38", "STAT does not announce it")
is_(out[2], b"+OK 2 messages (38 octets)|1 19\r\n2 19\r\n",
    "nor does LIST")

# --- a lie the file could bear: RETR catches it ---
forge([30, 19])
out, log = session(["STAT", "RETR 1", "LIST", "STAT", "RSET", "STAT",
                    "QUIT"])
ok(" read=0 " in log, "the cache's claims taken: no file read", log)
is_(out[1], b"+OK 2 49", "a small lie (30 for 19) is announced by STAT...")
ok(out[2].startswith(b"+OK 30 octets|") and out[2].endswith(BODY),
   "...and RETR's status line, but RETR sends the file as it is", out[2])
ok("size mismatch: 1700000001.M1P1.host:2,: LIST said 30 octets, RETR "
   "sent 19; size caches dropped" in log, "the mismatch is logged", log)
is_(out[3], b"+OK 2 messages (38 octets)|1 19\r\n2 19\r\n",
    "LIST after the RETR tells the truth")
is_(out[4], b"+OK 2 38", "so does STAT")
is_(out[6], b"+OK 2 38", "and STAT after RSET")
ok(not os.path.exists(CACHE), "the forged size cache is gone")
out, log = session(["STAT", "LIST", "QUIT"])
is_(out[1], b"+OK 2 38", "the next session is right: the cache was dropped")
ok("size mismatch" not in log, "and finds nothing to correct", log)
done()
