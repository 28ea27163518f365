#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Maildir++ quota over the real chain (lib/mdquota.h): DELE + QUIT
appends one negative line for what was removed to the Maildir's
maildirsize; RSET, or a client that leaves without QUIT, appends
nothing; a Maildir without maildirsize never gets one.  And vuser quota
shows and sets the quota line."""
import os
import poplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

t.built("pop3-maildir")
t.built("vuser")

BODIES = [b"Subject: one\n\nfirst message\n",
          b"Subject: two\n\nsecond, a little longer\n" + b"x" * 100 + b"\n",
          b"Subject: three\n\n" + b"y" * 1000 + b"\n"]


def quota_file(mb):
    return os.path.join(mb.maildir, "maildirsize")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write_quota(mb, text):
    with open(quota_file(mb), "wb") as f:
        f.write(text)
    t.own(mb.maildir)


def fill(mb):
    """Three messages: the first named with ,S= (a size the quota must take
    from the name, which here says 5000, not the file's), the others
    without (their file sizes count).  Returns the names."""
    names = [mb.deliver(BODIES[0], name="1700000001.M1P1.test,S=5000"),
             mb.deliver(BODIES[1]), mb.deliver(BODIES[2])]
    return names


def login(port, mb):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(mb.address)
    p.pass_(mb.password)
    return p


def wait_gone(mb, count, secs=5.0):
    """Wait until the Maildir holds count messages (the session ended)."""
    end = time.time() + secs
    while time.time() < end and len(mb.files()) != count:
        time.sleep(0.05)
    return len(mb.files())


# ---- pop3-maildir's UPDATE state ----

mb = t.Mailbox("quota@example.org", "secret")
names = fill(mb)
start = b"100000S,100C\n%d 3\n" % (5000 + len(BODIES[1]) + len(BODIES[2]))
write_quota(mb, start)
port = t.serve(mb.users)

p = login(port, mb)
t.eq(p.stat()[0], 3, "three messages")
p.dele(1)
p.dele(3)
p.quit()
t.eq(wait_gone(mb, 1), 1, "DELE 1, DELE 3, QUIT: two removed")
want = start + b"-%d -2\n" % (5000 + len(BODIES[2]))
t.eq(read(quota_file(mb)), want,
     "one negative line: octets from ,S= for one, the file size for the other")

before = read(quota_file(mb))
p = login(port, mb)
p.dele(1)
p.rset()
p.quit()
time.sleep(0.3)
t.eq(len(mb.files()), 1, "DELE, RSET, QUIT: nothing removed")
t.eq(read(quota_file(mb)), before, "... and no line appended")

p = login(port, mb)
p.dele(1)
p.sock.close()   # gone without QUIT
p.file.close()
time.sleep(0.5)
# A later session proves the first one ended (the lock is free again).
p = login(port, mb)
t.eq(p.stat()[0], 1, "DELE without QUIT: nothing removed")
p.quit()
t.eq(read(quota_file(mb)), before, "... and no line appended")

p = login(port, mb)
p.quit()
t.eq(read(quota_file(mb)), before, "QUIT without DELE: no line")

bare = t.Mailbox("bare@example.org", "secret", users=mb.users)
fill(bare)
p = login(port, bare)
p.dele(2)
p.quit()
t.eq(wait_gone(bare, 2), 2, "a Maildir without maildirsize: DELE + QUIT removes")
t.ok(not os.path.exists(quota_file(bare)), "... and no maildirsize appears")

# ---- vuser quota ----


def vuser(*args):
    return subprocess.run([t.prog("vuser"), "-f", mb.users, *args],
                          capture_output=True, text=True, timeout=30)


r = vuser("quota", "bare@example.org")
t.eq((r.returncode, r.stdout), (0, "bare@example.org\tnone\n"),
     "vuser quota shows none without maildirsize")
t.ok(not os.path.exists(quota_file(bare)), "... and showing creates nothing")

r = vuser("quota", "bare@example.org", "5000,10")
t.eq((r.returncode, r.stdout),
     (0, "bare@example.org\t5000S,10C\t%d octets\t2 messages\n"
      % (5000 + len(BODIES[2]))),
     "vuser quota SIZE,COUNT sets it and shows the recalculated usage")
t.eq(read(quota_file(bare)), b"5000S,10C\n%d 2\n" % (5000 + len(BODIES[2])),
     "maildirsize: the definition and one line from the scan")
st = os.stat(quota_file(bare))
t.eq((st.st_uid, st.st_mode & 0o777), (t.OWNER_PW.pw_uid, 0o600),
     "maildirsize belongs to the mail owner, mode 600")

r = vuser("quota", "bare@example.org")
t.eq(r.stdout, "bare@example.org\t5000S,10C\t%d octets\t2 messages\n"
     % (5000 + len(BODIES[2])), "vuser quota shows it")

r = vuser("quota", "bare@example.org", "7000S")
t.eq(read(quota_file(bare)).split(b"\n")[0], b"7000S",
     "the file's own form is taken too")
r = vuser("quota", "bare@example.org", "0")
t.eq(read(quota_file(bare)).split(b"\n")[0], b"0S", "0 is no limit: 0S")

r = vuser("quota", "bare@example.org", "none")
t.eq(r.returncode, 0, "vuser quota none")
t.ok(not os.path.exists(quota_file(bare)), "... removes maildirsize")

for bad in ("lots", "1,2,3", "-5", "99999999999999999999"):
    r = vuser("quota", "bare@example.org", bad)
    t.ok(r.returncode == 1 and "bad quota" in r.stderr
         and not os.path.exists(quota_file(bare)),
         f"vuser quota refuses '{bad}'", r.stderr)
r = vuser("quota", "nobody@example.org", "5000")
t.ok(r.returncode == 1 and "no such user" in r.stderr,
     "vuser quota of an unknown user fails", r.stderr)

# After vuser set it, a session's removal lands in the file.
vuser("quota", "bare@example.org", "5000,10")
p = login(port, bare)
p.dele(1)
p.quit()
wait_gone(bare, 1)
t.eq(read(quota_file(bare)),
     b"5000S,10C\n%d 2\n-5000 -1\n" % (5000 + len(BODIES[2])),
     "DELE after vuser quota: the negative line follows the scan's")
# ---- maildir2mbox removes mail too ----

m2m = t.Mailbox("m2m@example.org", "secret", users=mb.users)
fill(m2m)
write_quota(m2m, b"100000S\n0 0\n")
env = dict(os.environ, MAILDIR=m2m.maildir, MAIL=os.path.join(t.WORK, "m2m.mbox"))
r = subprocess.run([t.prog("maildir2mbox")], env=env, capture_output=True,
                   timeout=30)
t.ok(r.returncode == 0 and m2m.files() == [], "maildir2mbox moved all three",
     r.stderr)
t.eq(read(quota_file(m2m)),
     b"100000S\n0 0\n-%d -3\n" % (5000 + len(BODIES[1]) + len(BODIES[2])),
     "... and appended one negative line for them")
bare2 = t.Mailbox("m2m-bare@example.org", "secret", users=mb.users)
fill(bare2)
env["MAILDIR"] = bare2.maildir
subprocess.run([t.prog("maildir2mbox")], env=env, capture_output=True, timeout=30)
t.ok(bare2.files() == [] and not os.path.exists(quota_file(bare2)),
     "maildir2mbox on a Maildir without maildirsize creates none")
t.done()
