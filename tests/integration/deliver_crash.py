#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""popkit-deliver killed with SIGKILL (itself and its delivery child) at
random points of a delivery, at least 100 times within a time bound:
new/ then holds only whole messages, never part of one, and every
delivery that exited 0 before the kill is there (the MTA, which saw no
0 for the others, delivers those again)."""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

PD = os.path.join(t.TOP_BUILD, "deliver", "popkit-deliver")
if not os.access(PD, os.X_OK):
    print("Bail out! popkit-deliver not built")
    sys.exit(1)

ALIASES = os.path.join(t.WORK, "aliases")
os.mkdir(ALIASES)
mb = t.Mailbox("joe@abc.com", "secret")
NEW = os.path.join(mb.maildir, "new")
PREFIX = b"Return-Path: <a@b.example>\nDelivered-To: joe@abc.com\n"
ROUNDS, BOUND = 150, 90.0   # at least 100 rounds, at most 90 s


def message(i):
    # Large enough that the write spans many system calls.
    return b"Subject: %d\n\n" % i + (b"%06d " % i) * 40000 + b"\nend\n"


def start(i):
    return subprocess.Popen([PD, "-f", mb.users, "-a", ALIASES,
                             "-r", "a@b.example", "joe@abc.com"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def feed(p, data):
    try:
        p.stdin.write(data)
        p.stdin.close()
    except BrokenPipeError:
        pass


# How long one delivery takes here, to spread the kills over it.
t0 = time.time()
for i in range(3):
    p = start(i)
    feed(p, message(i))
    p.wait()
span = max((time.time() - t0) / 3, 0.002)
delivered = {0, 1, 2}

random.seed(os.getpid())
rounds = 0
began = time.time()
for i in range(3, 3 + ROUNDS):
    if time.time() - began > BOUND:
        break
    p = start(i)
    delay = random.uniform(0, span * 1.2)
    data = message(i)
    # Kill while stdin is still being read, or while the file is written.
    if delay < span * 0.2:
        p.stdin.write(data[:len(data) // 2])
        time.sleep(delay)
    else:
        feed(p, data)
        time.sleep(delay)
    rc = p.poll()
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.wait()
    if rc == 0:
        delivered.add(i)
    rounds += 1

t.ok(rounds >= 100, "%d kill rounds (at least 100) in %.0f s" %
     (rounds, time.time() - began))
whole, partial, seen = 0, [], set()
for n in os.listdir(NEW):
    with open(os.path.join(NEW, n), "rb") as f:
        data = f.read()
    try:
        i = int(data[len(PREFIX):].split(b"\n", 1)[0].split(b" ")[1])
    except (IndexError, ValueError):
        partial.append(n)
        continue
    if data == PREFIX + message(i) and ",S=%d," % len(data) in n:
        whole += 1
        seen.add(i)
    else:
        partial.append(n)
t.eq(partial, [], "new/ holds no partial message (%d whole ones)" % whole)
t.eq(sorted(delivered - seen), [],
     "every delivery that exited 0 is in new/")
left = len(os.listdir(os.path.join(mb.maildir, "tmp")))
t.ok(0 < whole < rounds + 3,
     "some deliveries were killed, some finished (%d; %d killed inside the "
     "write, left in tmp/)" % (whole, left))
t.done()
