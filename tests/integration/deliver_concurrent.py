#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Concurrent deliveries and POP3 sessions on one Maildir: four
popkit-deliver writers at once while sessions RETR, DELE and QUIT in a
loop.  Every message is fetched exactly once (nothing lost, nothing
served twice), and delivery never waits for the session lock."""
import os
import poplib
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

PD = t.built("popkit-deliver")
t.built("pop3-maildir")
ALIASES = os.path.join(t.WORK, "aliases")
os.mkdir(ALIASES)
mb = t.Mailbox("joe@abc.com", "secret")
WRITERS, EACH = 4, 25
failures = []


def writer(w):
    for k in range(EACH):
        body = b"Subject: m-%d-%d\n\n" % (w, k) + (b"z" * 60 + b"\n") * k
        p = subprocess.run([PD, "-f", mb.users, "-a", ALIASES, "-r", "a@b",
                            "joe@abc.com"], input=body, capture_output=True,
                           timeout=60)
        if p.returncode != 0:
            failures.append((w, k, p.returncode, p.stderr))


port = t.serve(mb.users)
threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
for th in threads:
    th.start()
fetched = []
sessions = 0


def session():
    p = poplib.POP3("127.0.0.1", port, timeout=20)
    p.user(mb.address)
    p.pass_("secret")
    n = p.stat()[0]
    for i in range(1, n + 1):
        text = b"\n".join(p.retr(i)[1])
        m = re.search(rb"^Subject: (m-\d+-\d+)$", text, re.M)
        fetched.append(m.group(1).decode() if m else "?")
        p.dele(i)
    p.quit()


end = time.time() + 120
while any(th.is_alive() for th in threads) and time.time() < end:
    session()
    sessions += 1
for th in threads:
    th.join()
session()
time.sleep(0.3)
session()
t.eq(failures, [], "every delivery exited 0 while sessions ran")
want = sorted("m-%d-%d" % (w, k) for w in range(WRITERS) for k in range(EACH))
t.eq(sorted(set(fetched)), want, "every message fetched (%d sessions)" % sessions)
t.eq(len(fetched), len(want), "... and none twice")
t.eq(mb.files(), [], "the Maildir is empty at the end")
t.done()
