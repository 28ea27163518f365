#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""deadlines -- a client trickling one byte at a time cannot hold a
connection: the greeter's --login-deadline ends the pre-login phase
however busily it sends, and after login pop3-maildir's -t is a deadline
for each command line, not a timeout per read.  A normal client is
unaffected.  The whole chain under tcpserver, on loopback.  Prints TAP.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

DEADLINE = 3      # --login-deadline, seconds
IDLE = 2          # pop3-maildir -t, seconds
# How late a close may come: valgrind slows every program down.
SLACK = 8 if os.environ.get("POPKIT_VALGRIND") else 3

box = t.Mailbox("joe@example.org", "secret")
box.deliver(b"Subject: one\n\nhello\n")
greeter_args = [f"--login-deadline={DEADLINE}", "--fail-delay=0"]
if os.getuid() == 0:
    greeter_args.append(f"--privsep-dir={t.privsep_dir()}")
port = t.serve(box.users, greeter_args, stage3_args=["-t", str(IDLE)])


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s, s.makefile("rb")


def trickle(s, data, gap, limit):
    """Send data one byte every gap seconds, over and over, until the
    server closes (or limit seconds pass); seconds it took, and whether
    the server closed."""
    start = time.monotonic()
    s.settimeout(gap)
    i = 0
    while time.monotonic() - start < limit:
        try:
            s.sendall(data[i % len(data):i % len(data) + 1])
        except OSError:
            return time.monotonic() - start, True
        i += 1
        try:
            got = s.recv(4096)
            if got == b"":
                return time.monotonic() - start, True
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - start, True
    return time.monotonic() - start, False


# --- before login: the whole phase has one deadline ---
connected = time.monotonic()
s, f = connect()
t.ok(f.readline().startswith(b"+OK"), "greeting")
# Each NOOP arrives well within the per-command deadline (a byte every
# 0.3 s), so only the phase's deadline can end this; counted from the
# connection, as the deadline is.
_, closed = trickle(s, b"NOOP\r\n", 0.3, DEADLINE + 15)
took = time.monotonic() - connected
t.ok(closed and DEADLINE - 0.5 < took < DEADLINE + SLACK,
     f"a client trickling a byte every 0.3 s is closed at the login "
     f"deadline ({DEADLINE} s): after {took:.1f} s", (closed, took))
s.close()
log = ""
for _ in range(50):
    log = t.server_log()
    if "login deadline of" in log:
        break
    time.sleep(0.1)
t.ok(f"login deadline of {DEADLINE} seconds passed before login; closing"
     in log, "and the log says so", log[-800:])

# --- a normal client, within the deadline, is unaffected ---
s, f = connect()
f.readline()
s.sendall(b"CAPA\r\n")
while f.readline() not in (b".\r\n", b""):
    pass
time.sleep(1)
s.sendall(f"USER {box.address}\r\nPASS {box.password}\r\nSTAT\r\n".encode())
answers = [f.readline() for _ in range(3)]
t.ok(all(a.startswith(b"+OK") for a in answers),
     "a normal client logs in within the deadline", answers)
# After login the pre-login deadline no longer applies: the session
# lives past it as long as each command comes in time.
for _ in range(DEADLINE + 1):
    time.sleep(1)
    s.sendall(b"NOOP\r\n")
    answers.append(f.readline())
t.ok(all(a.startswith(b"+OK") for a in answers[3:]),
     f"and stays logged in past the login deadline, a NOOP a second "
     f"({len(answers) - 3} of them)", answers[3:])

# --- after login: each command line has its own deadline (-t) ---
s.settimeout(30)
took, closed = trickle(s, b"NOOP\r\n", 0.6, IDLE + 15)
t.ok(closed and IDLE - 0.5 < took < IDLE + SLACK,
     f"logged in, a NOOP trickled a byte every 0.6 s is closed at the "
     f"{IDLE} s deadline: after {took:.1f} s", (closed, took))
s.close()
log = ""
for _ in range(50):
    log = t.server_log()
    if "reason=idle-timeout" in log:
        break
    time.sleep(0.1)
t.ok("logout: reason=idle-timeout" in log, "logged as an idle timeout",
     log[-800:])

# --- a normal session after login is unaffected by -t ---
s, f = connect()
f.readline()
s.sendall(f"USER {box.address}\r\nPASS {box.password}\r\n".encode())
f.readline()
f.readline()
time.sleep(IDLE / 2)
s.sendall(b"STAT\r\nQUIT\r\n")
answers = [f.readline(), f.readline()]
t.ok(all(a.startswith(b"+OK") for a in answers),
     "a command sent within -t is answered, QUIT too", answers)
s.close()
t.done()
