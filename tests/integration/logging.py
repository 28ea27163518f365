# SPDX-License-Identifier: ISC
"""Where the chain's lines go (lib/log.h), under tcpserver: --syslog on
each chain program, journald's <N> priority prefixes when JOURNAL_STREAM
names stderr (and none otherwise), and the events the greeter logs
before a login: a cleartext login refused before STLS, a client that
leaves."""
import os
import poplib
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

for p in ("pop3-greeter", "checkpassword-virtual", "pop3-maildir",
          "checkpassword-shadow", "checkpassword-pam"):
    if not os.access(t.prog(p), os.X_OK):
        t.skip_all(f"{p} not built yet")

box = t.Mailbox("joe@example.org", "secret")
box.deliver(t.SAMPLES["plain"])
# checkpassword-virtual warns about this line at every login, so stage 2
# has a line in every session.
with open(box.users, "a") as f:
    f.write("this is not a users line\n")
syslog = t.SyslogListener()
BASE = ["--fail-delay=0"]
if os.getuid() == 0:
    BASE.append(f"--privsep-dir={t.privsep_dir()}")
_chains = 0


def chain(greeter=(), stage2=(), stage3=(), env=None, users=None):
    """The chain under tcpserver with its stderr in a file of its own;
    returns (port, path of that file)."""
    global _chains
    _chains += 1
    err = os.path.join(t.WORK, f"stderr.{_chains}")
    port = t.free_port()
    cmd = (["tcpserver", "-R", "-H", "-l0", "127.0.0.1", str(port),
            t.prog("pop3-greeter"), *BASE, *greeter, "test.example.org",
            t.prog("checkpassword-virtual"), *stage2, "-f", users or box.users,
            t.prog("pop3-maildir"), *stage3, "Maildir"])
    e = dict(os.environ, POPKIT_LOG_SOCKET=syslog.path)
    e.pop("JOURNAL_STREAM", None)
    e.update(env or {})
    with open(err, "wb") as f:
        if env and env.get("JOURNAL_STREAM") == "this file":
            st = os.fstat(f.fileno())
            e["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=f, env=e)
    t._procs.append(p)
    if not t.wait_port(port):
        print("Bail out! tcpserver did not start")
        sys.exit(1)
    return port, err


def session(port, password="secret"):
    """A poplib session; True if it logged in and quit."""
    try:
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        p.user(box.address)
        p.pass_(password)
        p.stat()
        p.quit()
        return True
    except poplib.error_proto:
        return False


def text(path, until=None, secs=5.0):
    """The file's text, waiting up to secs for `until` in it (the
    greeter's last line comes after stage 3 has ended)."""
    end = time.time() + secs
    while True:
        with open(path, encoding="utf-8", errors="replace") as f:
            s = f.read()
        if until is None or until in s or time.time() > end:
            return s
        time.sleep(0.05)


def logged(prog, what, since):
    """Datagrams after index `since` from prog whose text has `what`."""
    out = []
    for g in syslog.got[since:]:
        m = re.match(t.SYSLOG_RE, g, re.S)
        if m and m.group(3) == prog and what in m.group(5):
            out.append(m.group(5))
    return out


# --- pop3-greeter --syslog: the whole chain follows, stderr stays empty ---
mark = len(syslog.got)
port, err = chain(greeter=["--syslog"])
t.ok(session(port), "greeter --syslog: a session completes")
syslog.read(until="session done", secs=5, since=mark)
t.eq(text(err), "", "greeter --syslog: nothing on stderr, from any stage")
for prog, what in (("pop3-greeter", "info: session done"),
                   ("checkpassword-virtual", "warning: "),
                   ("pop3-maildir", "info: login: ")):
    t.ok(logged(prog, what, mark), f"greeter --syslog: {prog}'s line in "
         "syslog (the later stages inherit the decision)", syslog.got[mark:])

# --- checkpassword-virtual --syslog alone ---
mark = len(syslog.got)
port, err = chain(stage2=["--syslog"])
t.ok(session(port), "checkpassword-virtual --syslog: a session completes")
syslog.read(until="logout:", secs=5, since=mark)
e = text(err, until="session done")
t.ok(logged("checkpassword-virtual", "malformed lines ignored", mark) and
     "checkpassword-virtual" not in e,
     "checkpassword-virtual --syslog: its line in syslog, not on stderr", e)
t.ok("pop3-greeter: info: session done" in e and
     not logged("pop3-greeter", "session done", mark),
     "the greeter before it still logs to stderr", e)

# --- pop3-maildir --syslog alone ---
mark = len(syslog.got)
port, err = chain(stage3=["--syslog"])
t.ok(session(port), "pop3-maildir --syslog: a session completes")
syslog.read(until="logout:", secs=5, since=mark)
e = text(err)
t.ok(logged("pop3-maildir", "login: messages=1", mark) and
     "pop3-maildir" not in e,
     "pop3-maildir --syslog: its lines in syslog, not on stderr", e)
t.ok("checkpassword-virtual: warning: " in e,
     "stage 2 before it still logs to stderr", e)
t.ok(not re.search(r"^<\d>", e, re.M), "no JOURNAL_STREAM: no <N> prefixes", e)

# --- --syslog on the system-account stage 2 programs, and misuse ---
for prog in ("checkpassword-shadow", "checkpassword-pam", "pop3-maildir"):
    mark = len(syslog.got)
    r = subprocess.run([t.prog(prog), "--syslog"], capture_output=True,
                       env=dict(os.environ, POPKIT_LOG_SOCKET=syslog.path),
                       stdin=subprocess.DEVNULL, timeout=20)
    syslog.read(until="PROG", secs=5, since=mark)
    # Said as every program says a misuse (lib/usage.h), but to syslog.
    t.ok(r.returncode == 2 and r.stderr == b"" and
         (logged(prog, f"error: usage: {prog} ", mark) or
          logged(prog, f"error: {prog}: no PROG to run", mark)),
         f"{prog} --syslog without PROG: exit 2, the usage in syslog, "
         "stderr untouched", (r.returncode, r.stderr, syslog.got[mark:]))

# --- journald: JOURNAL_STREAM names stderr ---
port, err = chain(env={"JOURNAL_STREAM": "this file"})
t.eq(session(port, "wrong"), False, "journald: a failed login")
t.ok(session(port), "journald: a session")
port2, err2 = chain(env={"JOURNAL_STREAM": "this file"},
                    users=os.path.join(t.WORK, "no-such-users-file"))
t.eq(session(port2), False, "journald: stage 2 cannot read its file")
e = text(err, until="session done")
e2 = text(err2, until="exited 111")
lines = [ln for ln in (e + e2).splitlines() if ln]
PRI = {"info": "6", "warning": "4", "error": "3", "fatal": "3"}
t.ok(lines and all(re.match(r"^<(\d)>[\w-]+: (\w+): ", ln) and
                   PRI.get(re.match(r"^<(\d)>[\w-]+: (\w+): ", ln).group(2))
                   == ln[1] for ln in lines),
     "journald: every line has the <N> of its level", e + e2)
for want in (r"^<6>pop3-greeter: info: login failed: reason=bad-credentials ",
             r"^<4>checkpassword-virtual: warning: .*malformed lines ignored",
             r"^<6>pop3-maildir: info: login: messages=1 ",
             r"^<3>checkpassword-virtual: error: cannot read .*no-such-users",
             r"^<4>pop3-greeter: warning: .*checkpassword-virtual exited 111"):
    t.ok(re.search(want, e + e2, re.M), f"journald: {want[1:30]}...", e + e2)

port, err = chain(env={"JOURNAL_STREAM": "1:2"})
t.ok(session(port), "a stale JOURNAL_STREAM (another file): a session")
e = text(err, until="session done")
t.ok(e and not re.search(r"^<\d>", e, re.M), "a stale JOURNAL_STREAM: "
     "plain lines", e)

# --- what the greeter logs before any login ---
ca, tls = t.test_ca()
port, err = chain(greeter=tls)
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(20)
f = s.makefile("rb")
f.readline()
s.sendall(b"USER joe@example.org\r\n")
t.eq(f.readline(), b"-ERR [AUTH] login only after STLS\r\n",
     "TLS configured: USER in the clear refused")
s.sendall(b"QUIT\r\n")
f.readline()
s.close()
e = text(err, until="closed before login")
m = re.search(r"^pop3-greeter: info: login refused: "
              r"reason=cleartext-before-STLS command=USER rip=127\.0\.0\.1 "
              r"lip=127\.0\.0\.1 session=([A-Za-z0-9_-]{12})$", e, re.M)
t.ok(m, "the refusal is logged with the client's address", e)
if m:
    e = text(err, until=f"failures=0/3 rip=127.0.0.1 lip=127.0.0.1 "
                        f"session={m.group(1)}")
t.ok(m and re.search(r"^pop3-greeter: info: closed before login: "
                     r"failures=0/3 rip=127\.0\.0\.1 lip=127\.0\.0\.1 "
                     rf"session={m.group(1)}$", e, re.M),
     "the client leaving before login is logged, same session", e)
t.done()
