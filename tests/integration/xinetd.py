# SPDX-License-Identifier: ISC
"""The chain under Debian's xinetd, which gives the server the client
socket as fds 0, 1 and 2: log lines must never reach the client (they go
to syslog, here a stand-in listener), a poplib session completes, and the
lines of every stage carry the same keys and one session id.
(popkit's log lines once went to the client mid-protocol: fd 2 was
the socket.)"""
import os
import poplib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

for p in ("pop3-greeter", "checkpassword-virtual", "pop3-maildir"):
    if not os.access(t.prog(p), os.X_OK):
        t.skip_all(f"{p} not built yet")
XINETD = shutil.which("xinetd") or shutil.which("xinetd", path="/usr/sbin")
if not XINETD:
    t.skip_all("xinetd is not installed (Debian package xinetd, scripts/deps)")

box = t.Mailbox("joe@example.org", "secret")
for key in ("plain", "dots"):
    box.deliver(t.SAMPLES[key])
WANT = [t.wire(t.SAMPLES[k]) for k in ("plain", "dots")]
# A line checkpassword-virtual warns about at every login: so stage 2
# writes a line in every session too.
with open(box.users, "a") as f:
    f.write("this is not a users line\n")

syslog = t.SyslogListener()
port = t.free_port()
me = "root" if os.getuid() == 0 else t.OWNER
args = ["--fail-delay=0"]
if os.getuid() == 0:
    args.append(f"--privsep-dir={t.privsep_dir()}")
    # Named, so the greeter does not warn of the popkit account's absence
    # in every session (pop3-greeter(8)): the checks below count lines.
    args.append("--privsep-user=nobody")
args += ["test.example.org", t.prog("checkpassword-virtual"), "-f", box.users,
         t.prog("pop3-maildir"), "Maildir"]
# The same chain with STLS offered (and cleartext login refused).
CA, TLS = t.test_ca()
port_tls = t.free_port()
conf = os.path.join(t.WORK, "xinetd.conf")


def service(name, port_, greeter_args):
    # As contrib/inetd/xinetd.pop3, on a free loopback port; env= is how
    # an administrator would pass variables, here the test-only socket.
    return f"""service {name}
{{
    type = UNLISTED
    socket_type = stream
    protocol = tcp
    wait = no
    user = {me}
    bind = 127.0.0.1
    port = {port_}
    server = {t.prog("pop3-greeter")}
    server_args = {" ".join(greeter_args)}
    env = POPKIT_LOG_SOCKET={syslog.path}
}}
"""


with open(conf, "w") as f:
    f.write(f"defaults\n{{\n    log_type = FILE {t.WORK}/xinetd.log\n}}\n")
    f.write(service("popkit-test", port, args))
    f.write(service("popkit-test-tls", port_tls, TLS + args))
out = open(os.path.join(t.WORK, "xinetd.out"), "wb")
xi = subprocess.Popen([XINETD, "-dontfork", "-f", conf, "-pidfile",
                       os.path.join(t.WORK, "xinetd.pid")],
                      stdout=out, stderr=out)
t._procs.append(xi)
if not t.wait_port(port) or not t.wait_port(port_tls):
    with open(os.path.join(t.WORK, "xinetd.out")) as f:
        why = " ".join(f.read().split())[:200]
    t.skip_all(f"xinetd did not start as uid {os.getuid()}: {why}")

# --- poplib: a whole session ---
try:
    p = poplib.POP3("127.0.0.1", port, timeout=20)
    p.user(box.address)
    t.ok(p.pass_(box.password).startswith(b"+OK"), "poplib: PASS answered +OK "
         "(no log line in front of it)")
    t.eq(p.stat(), (2, sum(len(w) for w in WANT)), "poplib: STAT")
    _, lines, _ = p.retr(1)
    t.eq(b"\r\n".join(lines) + b"\r\n", WANT[0], "poplib: RETR byte for byte")
    t.ok(p.quit().startswith(b"+OK"), "poplib: QUIT")
except (poplib.error_proto, OSError) as e:
    t.ok(False, "poplib session under xinetd", repr(e))

# --- the client sees POP3 and nothing else ---
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(20)
s.sendall(b"USER joe@example.org\r\nPASS wrong\r\nUSER joe@example.org\r\n"
          b"PASS secret\r\nSTAT\r\nQUIT\r\n")
raw = t.read_to_close(s)
lines = raw.split(b"\r\n")
t.eq(lines[-1], b"", "every line the client got ends in CRLF")
lines = lines[:-1]
t.eq(len(lines), 7, "greeting and one answer a command, nothing more")
t.ok(all(re.match(rb"^(\+OK|-ERR)( |$)", ln) for ln in lines),
     "each line is +OK or -ERR", raw)
t.ok(b"pop3-" not in raw and b"info:" not in raw and b"checkpassword" not in raw,
     "no log text on the wire", raw)

# --- syslog got the lines ---
got = syslog.read(until="session done", secs=5)
time.sleep(0.3)
got = syslog.read()
mark = len(got)   # the TLS service's lines are looked at below
parsed = [re.match(t.SYSLOG_RE, g, re.S) for g in got]
t.ok(got and all(parsed), "every datagram is RFC 3164: <PRI>time prog[pid]: "
     "text", "\n".join(got))
parsed = [m for m in parsed if m]
SEV = {"info": 6, "warning": 4, "error": 3, "fatal": 3}
t.ok(parsed and all(int(m.group(1)) == 2 * 8 + SEV.get(m.group(5).split(":")[0], -1)
                    for m in parsed),
     "facility mail, severity from the level", "\n".join(got))


def session_of(text):
    m = re.search(r" session=([A-Za-z0-9_-]{12})$", text)
    return m.group(1) if m else None


by_session = {}
# Not root: the greeter says so once a connection, before any login.
# Under valgrind, which keeps descriptors of its own, the parser can only
# lower RLIMIT_NOFILE's soft limit, and says so (greeter_options.sh).
for m in parsed:
    if " running as uid " in m.group(5):
        continue
    if os.environ.get("POPKIT_VALGRIND") and \
            "could only lower the soft limit" in m.group(5):
        continue
    by_session.setdefault(session_of(m.group(5)), []).append(m)
t.ok(None not in by_session, "every line names its session",
     "\n".join(m.group(0) for m in by_session.get(None, [])))
sessions = [k for k in by_session if k]
# wait_port's probes (one a service) connected and left without a word:
# logged as such.
probe = [k for k in sessions
         if [m.group(5).split(" session=")[0] for m in by_session[k]] ==
         ["info: closed before login: failures=0/3 rip=127.0.0.1 lip=127.0.0.1"]]
t.eq(len(probe), 2, "a client that left before login: one greeter line")
sessions = [k for k in sessions if k not in probe]
t.eq(len(sessions), 2, "two sessions, two more session ids")
for sid in sessions:
    progs = sorted({m.group(3) for m in by_session[sid]})
    t.eq(progs, ["checkpassword-virtual", "pop3-greeter", "pop3-maildir"],
         f"session {sid}: lines from all three stages")
    t.ok(all(re.search(r" user=joe@example\.org (method=\w+ )?rip=127\.0\.0\.1 "
                       r"lip=127\.0\.0\.1 session=", m.group(5))
             for m in by_session[sid]),
         f"session {sid}: every line has user=, rip=, lip=",
         "\n".join(m.group(0) for m in by_session[sid]))
fails = [m.group(5) for m in parsed if "login failed" in m.group(5)]
t.eq(len(fails), 1, "one failed login logged")
t.ok(fails and re.fullmatch(
    r"info: login failed: reason=bad-credentials failures=1/3 "
    r"user=joe@example\.org method=USER rip=127\.0\.0\.1 lip=127\.0\.0\.1 "
    r"session=[A-Za-z0-9_-]{12}", fails[0]), "the failed login line", fails)
t.ok(any(re.match(r"info: login: messages=2 ", m.group(5)) for m in parsed)
     and any(re.match(r"info: logout: reason=quit ", m.group(5)) for m in parsed),
     "pop3-maildir's login and logout lines", "\n".join(got))
t.ok(any(m.group(3) == "checkpassword-virtual" and m.group(1) == "20"
         and "malformed lines ignored" in m.group(5) for m in parsed),
     "stage 2's warning at mail.warning", "\n".join(got))

# --- after STLS: fd 0 of stages 2 and 3 is the relay, fd 2 still the
# socket's /dev/null stand-in; they must still log to syslog ---
s = socket.create_connection(("127.0.0.1", port_tls), 10)
s.settimeout(20)
f = s.makefile("rb")
f.readline()
s.sendall(b"USER joe@example.org\r\n")
t.eq(f.readline(), b"-ERR [AUTH] login only after STLS\r\n",
     "TLS service: USER in the clear refused, and nothing else on the wire")
s.sendall(b"QUIT\r\n")
t.ok(f.readline().startswith(b"+OK"), "TLS service: QUIT")
s.close()
# A handshake that fails: the relay (chrooted, as root) logs it.
s = socket.create_connection(("127.0.0.1", port_tls), 10)
s.settimeout(20)
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\n")
t.ok(f.readline().startswith(b"+OK"), "STLS: +OK")
s.sendall(b"this is no TLS ClientHello\r\n" * 4)
try:
    rest = s.recv(4096)
except OSError:
    rest = b""
s.close()
t.ok(b"pop3-tls-relay" not in rest and b"handshake" not in rest,
     "a failed handshake: no log text to the client", rest)
try:
    p = poplib.POP3("127.0.0.1", port_tls, timeout=20)
    p.stls(ssl.create_default_context(cafile=CA))
    p.user(box.address)
    p.pass_(box.password)
    t.eq(p.stat()[0], 2, "after STLS under xinetd: a session")
    p.quit()
except (poplib.error_proto, OSError, ssl.SSLError) as e:
    t.ok(False, "after STLS under xinetd: a session", repr(e))
got = syslog.read(until="session done: logged in after failures=0/3",
                  secs=5, since=mark)
time.sleep(0.3)
late = syslog.read()[mark:]
refused = [g for g in late if "login refused: reason=cleartext-before-STLS "
           "command=USER rip=127.0.0.1 lip=127.0.0.1 session=" in g]
t.ok(refused and re.match(t.SYSLOG_RE, refused[0]).group(3) == "pop3-greeter",
     "the refusal logged to syslog by the (chrooted, as root) parser", late)
t.ok([g for g in late if re.match(t.SYSLOG_RE, g).group(3) == "pop3-tls-relay"
     and "handshake failed" in g and " rip=127.0.0.1 " in g],
     "the relay's failed handshake in syslog", late)
login = [g for g in late if "pop3-maildir" in g and "info: login: " in g]
sid = session_of(login[0]) if login else None
t.ok(login and " tls=TLSv1." in login[0] and sid,
     "pop3-maildir behind the relay logs its login (tls=) to syslog", late)
t.eq(sorted({re.match(t.SYSLOG_RE, g).group(3) for g in late
             if sid and g.endswith(f"session={sid}")}),
     ["checkpassword-virtual", "pop3-greeter", "pop3-maildir"],
     "after STLS: all stages in syslog under one session id")
t.done()
