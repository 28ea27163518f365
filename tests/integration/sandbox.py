#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""sandbox -- seccomp in a live session (lib/sandbox): the pre-login
parser of pop3-greeter and the TLS relay each run with a filter
(/proc/PID/status: Seccomp 2, NoNewPrivs 1) and still serve a whole
login and RETR.  Through the test twin pop3-greeter-probe, whose parser
answers XSECCOMP with a system call outside its allow-list, the filter
kills the parser by SIGSYS: the client sees the connection closed with
no answer, the greeter logs it, and the next session logs in as before.
The whole chain under tcpserver, on loopback.  Prints TAP.
"""
import os
import platform
import shutil
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

if os.environ.get("POPKIT_VALGRIND"):
    t.skip_all("under valgrind the filter is not installed: it would "
               "confine valgrind itself (lib/sandbox.h)")
if platform.machine() not in ("x86_64", "i386", "i686"):
    t.skip_all(f"no seccomp filter for {platform.machine()} "
               "(x86_64 and i386 only, lib/sandbox.h)")

CA, TLS_ARGS = t.test_ca()
box = t.Mailbox("joe@example.org", "secret")
BODY = b"Subject: confined\n\nhello through the filter\n"
box.deliver(BODY)
greeter_args = ["--fail-delay=0"] + TLS_ARGS
if os.getuid() == 0:
    greeter_args.append(f"--privsep-dir={t.privsep_dir()}")


def status(pid):
    """The fields of /proc/PID/status, as a dict."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def descendants(root):
    """(pid, Name) of the live processes below root, from /proc/*/status
    (readable even for the parser, which is not dumpable)."""
    procs = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = status(d)
            if st:
                procs[int(d)] = (int(st.get("PPid", 0)), st.get("Name", ""))
    found, todo = [], [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, name) in procs.items():
            if ppid == parent:
                found.append((pid, name, procs.get(ppid, (0, ""))[1]))
                todo.append(pid)
    return found


def find(server, pick):
    """The first process below our tcpserver that pick(name, parent's
    name) accepts; waits a little: the parser forks after the greeting,
    the relay after STLS."""
    for _ in range(100):
        for pid, name, pname in descendants(server):
            if pick(name, pname):
                return pid
        time.sleep(0.05)
    return None


def parser_of(server):
    """The parser: a pop3-greeter (or its twin, "pop3-greeter-pr" in
    /proc's 15 characters) whose parent is one too (the root part)."""
    return find(server, lambda n, p: n.startswith("pop3-greeter") and n == p)


def relay(server):
    return find(server, lambda n, p: n == "pop3-tls-relay")


def confined(pid, what):
    st = status(pid)
    t.eq((st.get("Seccomp"), st.get("NoNewPrivs")), ("2", "1"),
         f"{what} (pid {pid}): Seccomp 2 and NoNewPrivs 1 in /proc")


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline()

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.line()

    def starttls(self):
        ctx = ssl.create_default_context(cafile=CA)
        self.s = ctx.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")

    def retr(self, n):
        first = self.cmd(f"RETR {n}")
        body = b""
        while True:
            ln = self.line()
            if ln in (b".\r\n", b""):
                return first, body
            body += ln[1:] if ln.startswith(b"..") else ln


def login_and_retr(c, what):
    t.ok(c.cmd("USER joe@example.org").startswith(b"+OK"), f"{what}: USER")
    t.ok(c.cmd("PASS secret").startswith(b"+OK"), f"{what}: PASS")
    first, body = c.retr(1)
    t.ok(first.startswith(b"+OK") and body == t.wire(BODY),
         f"{what}: RETR gives the message byte for byte", (first, body))
    t.ok(c.cmd("QUIT").startswith(b"+OK"), f"{what}: QUIT")


def capa(c, what):
    """CAPA, answered: the parser that answers is past its set-up."""
    t.ok(c.cmd("CAPA").startswith(b"+OK"), f"CAPA answered {what}")
    while c.line() not in (b".\r\n", b""):
        pass


# --- the real greeter: the parser and the relay are confined ---
port = t.serve(box.users, greeter_args)
server = t._procs[-1].pid   # tcpserver
c = Client(port)
t.ok(c.line().startswith(b"+OK"), "greeting")



capa(c, "by the confined parser")
pid = parser_of(server)
t.ok(pid is not None, "the parser is found under the greeter")
if pid:
    confined(pid, "the pre-login parser")
t.ok(c.cmd("STLS").startswith(b"+OK"), "STLS")
c.starttls()
capa(c, "through TLS")
rpid = relay(server)
t.ok(rpid is not None, "the TLS relay is found")
if rpid:
    confined(rpid, "the TLS relay, after its handshake")
pid = parser_of(server)
if pid:
    confined(pid, "the parser after STLS")
login_and_retr(c, "through the confined relay")
c.s.close()

# --- the twin: a forbidden call kills its parser ---
probe = os.path.join(t.TOP_BUILD, "tests/integration/pop3-greeter-probe")
if not os.access(probe, os.X_OK):
    print("Bail out! tests/integration/pop3-greeter-probe not built")
    sys.exit(1)
shutil.copy2(probe, t.BIN)   # beside pop3-tls-relay, which it runs
before = len(t.server_log())
port = t.serve(box.users, greeter_args, greeter="pop3-greeter-probe")
c = Client(port)
t.ok(c.line().startswith(b"+OK"), "twin: greeting")
t.ok(c.cmd("NOOP").startswith(b"+OK"), "twin: NOOP before the probe")
got = c.cmd("XSECCOMP")
t.eq(got, b"", "twin: XSECCOMP closes the connection without an answer")
c.s.close()
log = ""
for _ in range(100):
    log = t.server_log()[before:]
    if "SIGSYS" in log:
        break
    time.sleep(0.05)
t.ok("the parser was killed by SIGSYS: a system call outside its seccomp "
     "allow-list" in log, "the greeter logs the kill", log[-800:])
c = Client(port)
t.ok(c.line().startswith(b"+OK"), "the next connection is greeted")
t.ok(c.cmd("STLS").startswith(b"+OK"), "the next session: STLS")
c.starttls()
login_and_retr(c, "the next session")
c.s.close()
t.done()
