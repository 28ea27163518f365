#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""maildir2mbox and pop3-maildir on one Maildir: maildir2mbox killed at
each of its fault points (POPKIT_FAULT_KILL, lib/fault.h; its test twin), then a POP3
session, then maildir2mbox again.  While the journal is there the session
is refused with -ERR [IN-USE] and a log line that says what to run, and
touches nothing; otherwise it serves what is in the Maildir.  Either way
the next maildir2mbox exits 0 and every message is exactly once: in the
mbox, in the Maildir, or fetched and deleted by the POP3 client, never
two of these.  Both programs run as the mail user.  Prints TAP."""
import mailbox
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
from stage3lib import TOP_BUILD, as_owner, chown_tree, done, ok, work  # noqa: E402

M2M = os.path.join(TOP_BUILD, "maildir", "maildir2mbox")
# The test twin with lib/fault's hooks, for the killed runs (lib/fault.h).
M2M_FAULT = os.path.join(TOP_BUILD, "tests", "integration", "maildir2mbox-fault")
WORK, POP = work("popkit-m2mpop.")
JOURNAL = ".maildir2mbox.journal"


SEQ = [0]


def deliver(d, subject, body, t, sub="new", info=""):
    SEQ[0] += 1
    name = "%d.M%dP%d.test%s" % (t, SEQ[0], os.getpid(), info)
    with open(os.path.join(d, "Maildir", sub, name), "w") as f:
        f.write("Return-Path: <%s@example.org>\nSubject: %s\n\n%s" % (subject, subject, body))


def setup(name):
    """The Maildir and mbox of maildir2mbox_once.py's fault test: an old
    mbox, A and B in new/ (B takes three writes), C in cur/."""
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(d, "Maildir", sub))
    with open(os.path.join(d, "mbox"), "w") as f:
        f.write("From old@example.org Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n")
    SEQ[0] = 0
    deliver(d, "A", "alpha\nFrom inside\n", 1700001000)
    deliver(d, "B", "beta\n" * 30000, 1700002000)
    deliver(d, "C", "gamma\n", 1700003000, sub="cur", info=":2,S")
    chown_tree(d)
    return d


def m2m(d, kill=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": d, "MAILDIR": os.path.join(d, "Maildir"),
           "MAIL": os.path.join(d, "mbox")}
    if kill:
        env["POPKIT_FAULT_KILL"] = str(kill)
    p = subprocess.run([M2M_FAULT if kill else M2M, "-w", "5"], env=env, capture_output=True, text=True,
                       preexec_fn=as_owner, timeout=120)
    return p.returncode, p.stderr


def pop_session(d, dele):
    """One POP3 session as stage 3 runs: the greeting line, then UIDL and,
    with dele, RETR + DELE of every message and QUIT.  Returns (greeting,
    subjects fetched and deleted, log)."""
    sock, child = socket.socketpair()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([POP, "Maildir"], stdin=child, stdout=child, stderr=err, cwd=d,
                            preexec_fn=as_owner,
                            env={"PATH": "/usr/bin:/bin", "HOME": d, "USER": "alice",
                                 "TCPREMOTEIP": "192.0.2.5"})
    child.close()
    f = sock.makefile("rwb", buffering=0)
    greet = f.readline().rstrip(b"\r\n")
    fetched = []
    if greet.startswith(b"+OK"):
        count = int(greet.split()[3])
        for i in range(1, count + 1):
            f.write(b"RETR %d\r\n" % i)
            lines = []
            first = f.readline()
            while True:
                ln = f.readline().rstrip(b"\r\n")
                if ln == b".":
                    break
                lines.append(ln)
            subj = [ln[9:].decode() for ln in lines if ln.startswith(b"Subject: ")]
            if first.startswith(b"+OK") and dele:
                f.write(b"DELE %d\r\n" % i)
                if f.readline().startswith(b"+OK"):
                    fetched += subj
        f.write(b"QUIT\r\n")
        f.readline()
    f.close()
    sock.close()
    proc.wait(timeout=30)
    err.seek(0)
    return greet, fetched, err.read().decode("utf-8", "replace")


def mbox_subjects(d):
    box = mailbox.mbox(os.path.join(d, "mbox"), create=False)
    s = [box[k]["Subject"] for k in box.keys()]
    box.close()
    return s


def maildir_state(d):
    return sorted(os.listdir(os.path.join(d, "Maildir", "new"))) + \
        sorted(os.listdir(os.path.join(d, "Maildir", "cur")))


def maildir_subjects(d):
    out = []
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(d, "Maildir", sub)):
            with open(os.path.join(d, "Maildir", sub, name)) as f:
                for ln in f:
                    if ln.startswith("Subject: "):
                        out.append(ln[9:].strip())
                        break
    return out


ref = setup("ref")
rc, err = m2m(ref)
with open(os.path.join(ref, "mbox"), "rb") as f:
    reference = f.read()
ok(rc == 0 and mbox_subjects(ref) == ["old", "A", "B", "C"], "reference run", err)

for dele in (False, True):
    bad, refused, served, steps = [], 0, 0, 0
    for n in range(1, 200):
        d = setup("kill")
        rc, err = m2m(d, kill=n)
        if rc == 0:
            steps = n - 1
            break
        if rc != -signal.SIGKILL:
            bad.append("step %d: maildir2mbox exit %s %s" % (n, rc, err))
            continue
        journal = os.path.exists(os.path.join(d, "Maildir", JOURNAL))
        in_mbox = mbox_subjects(d)
        before = maildir_state(d)
        greet, fetched, log = pop_session(d, dele)
        if journal:
            refused += 1
            if not greet.startswith(b"-ERR [IN-USE]"):
                bad.append("step %d: journal there, yet the session said %r" % (n, greet))
            if "maildir2mbox" not in log or "MAIL=" + os.path.join(d, "mbox") not in log:
                bad.append("step %d: the refusal's log line does not say what to run: %r"
                           % (n, log))
            if maildir_state(d) != before:
                bad.append("step %d: the refused session changed the Maildir" % n)
        else:
            served += 1
            if not greet.startswith(b"+OK"):
                bad.append("step %d: no journal, yet %r" % (n, greet))
            if set(fetched) & set(in_mbox):
                bad.append("step %d: served %r, already in the mbox" % (n, fetched))
        rc, err = m2m(d)
        if rc != 0:
            bad.append("step %d: the next maildir2mbox exits %s: %s" % (n, rc, err))
            continue
        everything = sorted(mbox_subjects(d) + maildir_subjects(d) + fetched)
        if everything != ["A", "B", "C", "old"]:
            bad.append("step %d: mbox %r + Maildir %r + fetched %r" %
                       (n, mbox_subjects(d), maildir_subjects(d), fetched))
        with open(os.path.join(d, "mbox"), "rb") as f:
            if not dele and (f.read() != reference or maildir_state(d)):
                bad.append("step %d: without DELE the mbox differs from one clean run" % n)
    how = "RETR+DELE of all" if dele else "UIDL only"
    ok(steps > 10 and refused > 0 and served > 0,
       "%s: %d fault points (%d with the journal left, %d without)" %
       (how, steps, refused, served))
    ok(not bad, "%s: killed at each point, a POP3 session, maildir2mbox again: exit 0, "
       "every message exactly once, none served twice" % how, "\n".join(bad))

# Another reader that takes no popkit lock (an IMAP server on the same
# Maildir) moves new/ to cur/ while the journal is there: the next
# maildir2mbox finds the batch's messages under their new names.
bad, hit = [], 0
for n in range(1, 200):
    d = setup("imap")
    rc, err = m2m(d, kill=n)
    if rc == 0:
        break
    if not os.path.exists(os.path.join(d, "Maildir", JOURNAL)):
        continue
    hit += 1
    new = os.path.join(d, "Maildir", "new")
    for name in os.listdir(new):
        os.rename(os.path.join(new, name), os.path.join(d, "Maildir", "cur", name + ":2,S"))
    rc, err = m2m(d)
    everything = sorted(mbox_subjects(d) + maildir_subjects(d))
    if rc != 0 or everything != ["A", "B", "C", "old"]:
        bad.append("step %d: exit %s, mbox %r, Maildir %r %s" %
                   (n, rc, mbox_subjects(d), maildir_subjects(d), err))
ok(hit > 5 and not bad, "journal left, then a reader moved new/ to cur/ (%d points): "
   "maildir2mbox finishes, every message exactly once" % hit, "\n".join(bad))

# The refusal as a client sees it, and once maildir2mbox ran, service again.
d = setup("answer")
for n in range(1, 200):
    d = setup("answer")
    m2m(d, kill=n)
    if os.path.exists(os.path.join(d, "Maildir", JOURNAL)):
        break
greet, _, log = pop_session(d, False)
ok(greet.startswith(b"-ERR [IN-USE]"), "journal left: -ERR [IN-USE]", greet)
ok(sum("refused" in ln for ln in log.splitlines()) == 1 and "run maildir2mbox" in log,
   "... one log line saying to run maildir2mbox", log)
m2m(d)
greet, _, _ = pop_session(d, False)
ok(greet.startswith(b"+OK"), "after maildir2mbox finished it: served again", greet)

done()
