#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""maildir2mbox: read back with Python's mailbox module (count, order,
senders, bodies), mboxrd quoting round trip, appending in place, exactly
once under SIGKILL at every step and under ENOSPC at every write, lock
waits, defaults.  TAP output."""
import fcntl
import mailbox
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("top_builddir", os.path.join(os.path.dirname(__file__), "../.."))
PROG = os.path.join(BUILD, "maildir", "maildir2mbox")
# The test twin with lib/fault's hooks: every run that sets a fault
# variable uses it; the installed program reads none (checked below).
PROG_FAULT = os.path.join(BUILD, "tests", "integration", "maildir2mbox-fault")
FAULT_VARS = ("POPKIT_FAULT_KILL", "POPKIT_FAULT_ENOSPC")
n_tests = 0
failed = 0


def ok(cond, desc, diag=""):
    global n_tests, failed
    n_tests += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n_tests, desc))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def is_(got, want, desc):
    return ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))


WORK = tempfile.mkdtemp(prefix="popkit-m2m.")
SEQ = [0]


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(d, "Maildir", sub))
    return d


def deliver(d, sender, subject, body, t, sub="new", info=""):
    SEQ[0] += 1
    name = "%d.M%dP%d.test%s" % (t, SEQ[0], os.getpid(), info)
    rp = "<%s>" % sender
    text = "Return-Path: %s\nDelivered-To: user@example.org\nFrom: %s\nSubject: %s\n\n%s" % (
        rp, sender or "daemon@example.org", subject, body)
    path = os.path.join(d, "Maildir", sub, name)
    with open(path, "w") as f:
        f.write(text)
    return name


def run(d, env_extra=None, args=(), wait=True, prog=None):
    env = dict(os.environ)
    env.update({"MAILDIR": os.path.join(d, "Maildir"), "MAIL": os.path.join(d, "mbox")})
    for v in FAULT_VARS:
        env.pop(v, None)
    if env_extra:
        env.update(env_extra)
    if prog is None:
        prog = PROG_FAULT if any(v in env for v in FAULT_VARS) else PROG
    p = subprocess.Popen([prog] + list(args), env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True)
    if not wait:
        return p
    out, err = p.communicate(timeout=120)
    return p.returncode, err


def left(d):
    return sorted(os.listdir(os.path.join(d, "Maildir", "new")) +
                  os.listdir(os.path.join(d, "Maildir", "cur")))


def mbox_bytes(d):
    try:
        with open(os.path.join(d, "mbox"), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def unquote(body):
    return re.sub(r"(?m)^>(>*From )", r"\1", body)


def messages(d):
    box = mailbox.mbox(os.path.join(d, "mbox"), create=False)
    msgs = [box[k] for k in box.keys()]
    box.close()
    return msgs


# ---- read back: count, order, senders, bodies ----
d = fresh("basic")
deliver(d, "third@example.org", "three", "body three\n", 1700000300)
deliver(d, "first@example.org", "one", "body one\n", 1700000100)
deliver(d, "", "bounce", "body bounce\n", 1700000200, sub="cur", info=":2,S")
deliver(d, "fourth@example.org", "four", "no final newline", 1700000400, sub="cur", info=":2,")
rc, err = run(d)
is_(rc, 0, "exit 0")
msgs = messages(d)
is_(len(msgs), 4, "four messages in the mbox")
is_([m["Subject"] for m in msgs], ["one", "bounce", "three", "four"],
    "oldest first, new/ and cur/ merged")
is_([m.get_from().split()[0] for m in msgs],
    ["first@example.org", "MAILER-DAEMON", "third@example.org", "fourth@example.org"],
    "From_ senders from Return-Path, <> as MAILER-DAEMON")
ok(msgs[0].get_from().endswith("Nov 14 22:15:00 2023"), "From_ date is the delivery time",
   msgs[0].get_from())
is_([m.get_payload() for m in msgs],
    ["body one\n", "body bounce\n", "body three\n", "no final newline\n"], "bodies intact")
is_([m["Return-Path"] for m in msgs][0], "<first@example.org>", "Return-Path kept")
is_(msgs[0]["Delivered-To"], "user@example.org", "Delivered-To kept")
is_(left(d), [], "the Maildir is empty afterwards")
ok(not os.path.exists(os.path.join(d, "Maildir", ".maildir2mbox.journal")), "no journal left")
ok(not os.path.exists(os.path.join(d, "mbox.lock")), "no dotlock left")
is_(sorted(os.listdir(os.path.join(d, "Maildir"))), ["cur", "new", "popkit-pop3.lock", "tmp"],
    "nothing left in the Maildir but the session lock (no size or listing cache)")

# ---- quoting round trip, appending in place ----
tricky = ("From the start\n>From quoted\n>>From twice\nFromage\n From indented\n"
          "From \n>From\nend\n")
before = mbox_bytes(d)
ino = os.stat(os.path.join(d, "mbox")).st_ino
deliver(d, "q@example.org", "quoting", tricky, 1700000500)
rc, err = run(d)
is_(rc, 0, "second run exit 0")
after = mbox_bytes(d)
ok(after.startswith(before), "existing mbox content untouched (appended)")
is_(os.stat(os.path.join(d, "mbox")).st_ino, ino, "same inode")
msgs = messages(d)
is_(len(msgs), 5, "five messages now")
ok(b"\n>From the start\n>>From quoted\n>>>From twice\nFromage\n From indented\n" in after,
   "From lines quoted mboxrd-style in the file")
is_(unquote(msgs[4].get_payload()), tricky, "mboxrd unquoting gives the body back exactly")

# ---- empty Maildir: the mbox is not created ----
d = fresh("empty")
rc, err = run(d)
is_(rc, 0, "empty Maildir: exit 0")
ok(mbox_bytes(d) is None, "empty Maildir: no mbox created")

# ---- order: seconds, then the M microseconds as numbers, then the name;
# a name without a time by its mtime ----
d = fresh("ties")
for sub, name, subject in (("cur", "1700000000.M20P1.b:2,S", "tie b"),
                           ("new", "1700000000.M5P1.a", "first"),
                           ("new", "1700000000.M20P1.a", "tie a"),
                           ("cur", "nameless:2,", "nameless")):
    path = os.path.join(d, "Maildir", sub, name)
    with open(path, "w") as f:
        f.write("Subject: %s\n\n%s\n" % (subject, subject))
os.utime(os.path.join(d, "Maildir", "cur", "nameless:2,"), (1699999999, 1699999999))
rc, err = run(d)
is_([m["Subject"] for m in messages(d)], ["nameless", "first", "tie a", "tie b"],
    "same second: M5 before M20, then by name; a name without a time by its mtime")
ok(messages(d)[0].get_from().endswith("Nov 14 22:13:19 2023"),
   "... and its From_ date is that mtime", messages(d)[0].get_from())

# ---- a name the line-based journal cannot hold stays, with a warning ----
d = fresh("newline")
nl = "1700000000.M1P1.odd\nname"
with open(os.path.join(d, "Maildir", "new", nl), "w") as f:
    f.write("Subject: odd\n\nx\n")
rc, err = run(d)
ok(rc == 0 and "newline" in err and mbox_bytes(d) is None and left(d) == [nl],
   "only a name with a newline: left with a warning, no mbox made", err)
deliver(d, "n@example.org", "fine", "ok\n", 1700000001)
rc, err = run(d)
ok(rc == 0 and [m["Subject"] for m in messages(d)] == ["fine"] and left(d) == [nl],
   "the others beside it are moved", err)

# ---- an mbox without a final newline gets a separator ----
d = fresh("sep")
with open(os.path.join(d, "mbox"), "w") as f:
    f.write("From x Thu Jan  1 00:00:00 1970\nSubject: old\n\nold body")
deliver(d, "s@example.org", "new", "new body\n", 1700000000)
rc, err = run(d)
msgs = messages(d)
is_([m["Subject"] for m in msgs], ["old", "new"], "appended after an mbox lacking its newline")


# ---- exactly once under SIGKILL at every step ----
def setup_fault(name):
    d = fresh(name)
    with open(os.path.join(d, "mbox"), "w") as f:
        f.write("From old@example.org Thu Jan  1 00:00:00 1970\nSubject: old\n\nold\n\n")
    SEQ[0] = 0
    deliver(d, "a@example.org", "A", "alpha\nFrom inside\n", 1700001000)
    deliver(d, "b@example.org", "B", "beta\n" * 30000, 1700002000)   # three writes
    deliver(d, "c@example.org", "C", "gamma\n", 1700003000, sub="cur", info=":2,S")
    return d


ref = setup_fault("ref")
mails_before = left(ref)
rc, err = run(ref)
reference = mbox_bytes(ref)
ok(rc == 0 and len(messages(ref)) == 4, "reference run", err)

bad = []
steps = 0
for n in range(1, 200):
    d = setup_fault("kill")
    rc, err = run(d, {"POPKIT_FAULT_KILL": str(n)})
    if rc == 0:
        steps = n - 1
        break
    if rc != -signal.SIGKILL:
        bad.append("step %d: exit %s %s" % (n, rc, err))
        continue
    # a second crash during recovery, then a clean run
    rc2, err2 = run(d, {"POPKIT_FAULT_KILL": str(1 + n % 3)})
    rc3, err3 = run(d)
    if rc3 != 0 or mbox_bytes(d) != reference or left(d) != []:
        bad.append("killed at step %d then %d: exit %s, %s%s mails left %s" %
                   (n, 1 + n % 3, rc3, err2, err3, left(d)))
ok(steps > 10, "the hook counts the steps (%d)" % steps)
ok(not bad, "killed after each of the %d steps (and again in recovery), rerun: "
   "every message exactly once, mbox byte-identical" % steps, "\n".join(bad))

# the state right after a kill: each message in the mbox or the Maildir
bad = []
for n in range(1, steps + 1):
    d = setup_fault("kill")
    run(d, {"POPKIT_FAULT_KILL": str(n)})
    rc, err = run(d, args=("-w", "5"))
    subjects = [m["Subject"] for m in messages(d)]
    if subjects != ["old", "A", "B", "C"]:
        bad.append("step %d: %r" % (n, subjects))
ok(not bad, "after every crash and rerun the reader sees old, A, B, C once each",
   "\n".join(bad))

# ---- ENOSPC at every write: nothing lost, mbox cut back ----
bad = []
orig = None
for n in range(1, 200):
    d = setup_fault("full")
    orig = mbox_bytes(d)
    rc, err = run(d, {"POPKIT_FAULT_ENOSPC": str(n)})
    if rc == 0:
        break
    if rc != 111 or mbox_bytes(d) != orig or left(d) != mails_before:
        bad.append("ENOSPC at write %d: exit %s, mbox %s, left %s %s" %
                   (n, rc, "same" if mbox_bytes(d) == orig else "changed", left(d), err))
    rc, err = run(d)
    if rc != 0 or mbox_bytes(d) != reference:
        bad.append("after ENOSPC at write %d the rerun differs: %s" % (n, err))
ok(n > 3, "ENOSPC injected at %d different writes" % (n - 1))
ok(not bad, "disk full at any write: exit 111, mbox as before, Maildir whole; "
   "the rerun completes", "\n".join(bad))
ok("No space left" in run(setup_fault("full"), {"POPKIT_FAULT_ENOSPC": "3"})[1],
   "disk full is reported")

# ---- the installed program has no hooks: the variables change nothing ----
d = setup_fault("nohooks")
rc, err = run(d, {"POPKIT_FAULT_KILL": "1", "POPKIT_FAULT_ENOSPC": "1"}, prog=PROG)
ok(rc == 0 and mbox_bytes(d) == reference and left(d) == [],
   "maildir2mbox itself ignores POPKIT_FAULT_KILL=1 and POPKIT_FAULT_ENOSPC=1: "
   "not killed, no write failed, every message moved once", err)
with open(PROG, "rb") as f:
    image = f.read()
ok(b"POPKIT_FAULT" not in image and b"POPKIT_FAULT" in open(PROG_FAULT, "rb").read(),
   "the installed binary does not even hold the variables' names (the twin does)")

# ---- a prepared batch whose messages are all in the mbox, with more mail
# appended by someone after the crash: rolled forward, not cut ----
d = setup_fault("forward")
for n in range(1, steps + 1):
    d = setup_fault("forward")
    run(d, {"POPKIT_FAULT_KILL": str(n)})
    j = os.path.join(d, "Maildir", ".maildir2mbox.journal")
    if os.path.exists(j) and not open(j).read().endswith("commit\n") and \
            mbox_bytes(d) == reference:
        break
with open(os.path.join(d, "mbox"), "a") as f:
    f.write("From later@example.org Thu Jan  1 00:00:00 1970\nSubject: later\n\nlater\n\n")
rc, err = run(d)
is_([m["Subject"] for m in messages(d)], ["old", "A", "B", "C", "later"],
    "crash after the append, someone appended more: rolled forward, nothing cut")
is_(left(d), [], "... and the Maildir emptied")

# ---- committed, then a reader renamed a message (new/ -> cur/ with
# flags) before the rerun: the renamed copy is removed, not appended again ----
for n in range(1, steps + 1):
    d = setup_fault("renamed")
    run(d, {"POPKIT_FAULT_KILL": str(n)})
    j = os.path.join(d, "Maildir", ".maildir2mbox.journal")
    if os.path.exists(j) and open(j).read().endswith("commit\n") and len(left(d)) == 3:
        break
newdir = os.path.join(d, "Maildir", "new")
name = sorted(os.listdir(newdir))[0]
os.rename(os.path.join(newdir, name), os.path.join(d, "Maildir", "cur", name + ":2,S"))
rc, err = run(d)
ok(rc == 0 and mbox_bytes(d) == reference and left(d) == [],
   "a message renamed by a reader after the commit is not appended twice", err)

# ---- an interrupted run, then MAIL names another file: refused ----
d = setup_fault("othermail")
run(d, {"POPKIT_FAULT_KILL": "5"})         # inside the append: prepared
rc, err = run(d, {"MAIL": os.path.join(d, "other")})
ok(rc == 111 and "MAIL=" in err, "journal for another mbox: exit 111, asks for that MAIL", err)
rc, err = run(d)
ok(rc == 0 and mbox_bytes(d) == reference, "run with the old MAIL: completes exactly once", err)

# ---- locks ----
d = fresh("lock")
deliver(d, "l@example.org", "locked", "x\n", 1700000000)
mb = os.path.join(d, "mbox")
open(mb, "w").close()
fd = os.open(mb, os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
rc, err = run(d, args=("-w", "1"))
is_(rc, 111, "fcntl lock held: gives up after -w with 111")
ok("try again" in err, "... and says why", err)
is_(len(left(d)), 1, "... mail left in the Maildir")
p = run(d, wait=False)
held = False
for _ in range(10):
    time.sleep(0.05)
    held = p.poll() is None
still_there = len(left(d)) == 1
os.close(fd)                       # the reader lets go
out, err = p.communicate(timeout=60)
ok(held and still_there, "a reader holding the fcntl lock delays it")
ok(p.returncode == 0 and left(d) == [] and len(messages(d)) == 1,
   "... then it completes", err)

# a POP3 session (pop3-maildir) holds the Maildir's session lock
lf = os.open(os.path.join(d, "Maildir", "popkit-pop3.lock"), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lf, fcntl.LOCK_EX)
deliver(d, "l@example.org", "during pop3", "p\n", 1700000000)
rc, err = run(d, args=("-w", "1"))
ok(rc == 111 and "POP3 session" in err and len(left(d)) == 1,
   "a POP3 session holding the Maildir: 111, nothing moved", err)
os.close(lf)
rc, err = run(d)
ok(rc == 0 and left(d) == [], "after the session it completes", err)

deliver(d, "l@example.org", "dotlocked", "y\n", 1700000001)
sleeper = subprocess.Popen(["sleep", "60"])
with open(mb + ".lock", "w") as f:
    f.write("%d %s\n" % (sleeper.pid, os.uname().nodename))
p = run(d, wait=False)
held = False
for _ in range(10):
    time.sleep(0.05)
    held = p.poll() is None
still_there = len(left(d)) == 1
os.unlink(mb + ".lock")
out, err = p.communicate(timeout=60)
sleeper.kill()
sleeper.wait()
ok(held and still_there, "a live process's dotlock delays it")
ok(p.returncode == 0 and [m["Subject"] for m in messages(d)] == ["locked", "during pop3", "dotlocked"],
   "... then it completes", err)

deliver(d, "l@example.org", "stale", "z\n", 1700000002)
with open(mb + ".lock", "w") as f:
    f.write("%d %s\n" % (sleeper.pid, os.uname().nodename))    # now dead
rc, err = run(d, args=("-w", "1"))
ok(rc == 0 and "stale" in err, "a dead process's dotlock is broken", err)

# ---- defaults and usage ----
d = fresh("home")
os.rename(os.path.join(d, "Maildir"), os.path.join(d, "Maildir"))
deliver(d, "h@example.org", "home", "h\n", 1700000000)
env = dict(os.environ, HOME=d)
env.pop("MAILDIR", None)
env.pop("MAIL", None)
r = subprocess.run([PROG], env=env, stderr=subprocess.PIPE, universal_newlines=True)
ok(r.returncode == 0 and os.path.exists(os.path.join(d, "Mailbox")) and left(d) == [],
   "MAILDIR, MAIL unset: $HOME/Maildir/ into $HOME/Mailbox", r.stderr)
env["MAILTMP"] = os.path.join(d, "Mailbox.tmp")
deliver(d, "h@example.org", "home2", "h\n", 1700000001)
r = subprocess.run([PROG], env=env, stderr=subprocess.PIPE, universal_newlines=True)
ok(r.returncode == 0 and not os.path.exists(env["MAILTMP"]), "MAILTMP accepted, no copy made")
r = subprocess.run([PROG, "--help"], stdout=subprocess.PIPE, universal_newlines=True)
ok(r.returncode == 0 and r.stdout.startswith("usage: maildir2mbox"), "--help: usage, exit 0")
r = subprocess.run([PROG, "extra"], stderr=subprocess.PIPE, universal_newlines=True)
ok(r.returncode == 2 and "usage" in r.stderr, "wrong usage: exit 2")
r = subprocess.run([PROG], env=dict(env, MAILDIR=os.path.join(d, "nonexistent")),
                   stderr=subprocess.PIPE, universal_newlines=True)
ok(r.returncode == 100 and "nonexistent" in r.stderr, "missing Maildir: exit 100, named")

shutil.rmtree(WORK, ignore_errors=True)
print("1..%d" % n_tests)
sys.exit(1 if failed else 0)
