# SPDX-License-Identifier: ISC
"""protocol -- the protocol details clients trip on (UIDLs, flags, sizes), through
the real chain under tcpserver (pop3-greeter -> checkpassword-virtual ->
pop3-maildir), over real sockets:

- an overlong line is answered -ERR at once, before and after login,
  without waiting for its newline; the rest is dropped as it comes and
  the session goes on (a 1 MB line, a 1 MB SASL response, a line that
  never ends);
- CAPA lists what each state offers (RFC 2449 §5): USER and SASL only
  before login; UTF8 (RFC 6856), LOGIN-DELAY and EXPIRE as set;
- UTF8 answers +OK before and after login; UTF-8 passwords work through
  USER/PASS, AUTH PLAIN and AUTH LOGIN, and a UTF-8 user name reaches
  stage 2 byte for byte; messages are served as stored;
- --login-delay and --expire values are checked (exit 2);
- one dispatcher (lib/pop3cmd): a bad line (a control character, an
  over-long argument, NUL, an unknown verb, a wrong argument count) gets
  the same answer before login and after it.
"""
import base64
import os
import poplib
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

PASSWORD = "p\u00e4ssw\u00f6rd \u00f1 \u2713"      # UTF-8 on the wire
PW = PASSWORD.encode()
box = t.Mailbox("joe@example.org", PASSWORD)
UTF8_MSG = ("From: J\u00f6rg <j@example.org>\nSubject: Gr\u00fc\u00dfe "
            "\u2603\n\nK\u00e4se, \u65e5\u672c\u8a9e.\n").encode()
box.deliver(UTF8_MSG)
box.deliver(b"Subject: two\n\nsecond\n")
PRIVSEP = t.privsep_dir() if os.getuid() == 0 else None


def serve(greeter_args, chain):
    """tcpserver -> pop3-greeter GREETER_ARGS test.example.org CHAIN."""
    priv = [f"--privsep-dir={PRIVSEP}"] if PRIVSEP else []
    return t.serve(None, ["--fail-delay=0", *priv, *greeter_args],
                   chain=chain)


port = serve(["--login-delay=900,USER", "--expire=30,USER"],
             [t.prog("checkpassword-virtual"), "-f", box.users,
              t.prog("pop3-maildir"), "-t", "3", "--login-delay=1800",
              "--expire=NEVER", "Maildir"])


class Raw:
    """A raw client: answers read line by line, each wait bounded."""

    def __init__(self, p=None):
        self.s = socket.create_connection(("127.0.0.1", p or port), 10)
        self.s.settimeout(20)
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        self.s.sendall(data)

    def line(self, timeout=20):
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r")

    def cmd(self, text):
        self.send(text if isinstance(text, bytes) else text.encode())
        self.send(b"\r\n")
        return self.line()

    def multi(self):
        out = []
        while True:
            ln = self.line()
            if ln == b".":
                return out
            out.append(ln)

    def login(self):
        self.cmd(b"USER " + box.address.encode())
        return self.cmd(b"PASS " + PW)

    def close(self):
        self.s.close()


MB = 1 << 20


def overlong(c, what, junk=b"x" * MB):
    """Send 1 MB without a newline from a thread; the -ERR must come while
    it is still being sent, within a second.  Then end the line and check
    that the session goes on."""
    first = b"NOOP " if not what.startswith("SASL") else b""
    sender = threading.Thread(target=c.send, args=(first + junk,))
    t0 = time.monotonic()
    sender.start()
    try:
        ans = c.line(timeout=5)
    except (socket.timeout, EOFError) as e:
        ans = repr(e).encode()
    took = time.monotonic() - t0
    t.ok(ans.startswith(b"-ERR") and took < 1.0,
         f"{what}: 1 MB without newline: -ERR within a second", f"{ans!r} after {took:.2f} s")
    sender.join(30)
    t.ok(not sender.is_alive(), f"{what}: the rest is read and dropped as it comes")
    c.send(b"\r\n")
    t.eq(c.cmd("NOOP"), b"+OK", f"{what}: after the newline the session goes on")


# --- CAPA before login ---
p = poplib.POP3("127.0.0.1", port, timeout=20)
caps = p.capa()
for cap, args in (("USER", []), ("SASL", ["PLAIN", "LOGIN"]), ("TOP", []),
                  ("UIDL", []), ("RESP-CODES", []), ("AUTH-RESP-CODE", []),
                  ("PIPELINING", []), ("UTF8", ["USER"]),
                  ("LOGIN-DELAY", ["900", "USER"]), ("EXPIRE", ["30", "USER"]),
                  ("IMPLEMENTATION", ["popkit"])):
    t.eq(caps.get(cap), args, f"CAPA before login: {cap} {' '.join(args)}".rstrip())
t.ok("STLS" not in caps, "no STLS without TLS")
t.ok("LANG" not in caps, "no LANG (RFC 6856 does not require it)")
p.user(box.address)
t.ok(p.pass_(PASSWORD).startswith(b"+OK"), "poplib logs in with a UTF-8 password")
caps = p.capa()
for cap, args in (("TOP", []), ("UIDL", []), ("RESP-CODES", []),
                  ("AUTH-RESP-CODE", []), ("PIPELINING", []), ("UTF8", ["USER"]),
                  ("LOGIN-DELAY", ["1800"]), ("EXPIRE", ["NEVER"]),
                  ("IMPLEMENTATION", ["popkit"])):
    t.eq(caps.get(cap), args, f"CAPA after login: {cap} {' '.join(args)}".rstrip())
for cap in ("USER", "SASL", "STLS"):
    t.ok(cap not in caps, f"CAPA after login (TRANSACTION state) has no {cap}", caps)
t.eq(p.retr(1)[1], t.wire(UTF8_MSG).rstrip(b"\r\n").split(b"\r\n"),
     "a message with UTF-8 headers is served as stored")
p.quit()

# --- overlong lines before login ---
c = Raw()
overlong(c, "before login")
for _ in range(4):   # more than --max-failures' 3: they are not logins
    t.ok(c.cmd(b"PASS " + b"y" * 300).startswith(b"-ERR"), "300-octet PASS line: -ERR")
t.ok(c.login().startswith(b"+OK maildrop"),
     "overlong lines are no failed logins: login still works")
t.ok(c.cmd("STAT").startswith(b"+OK 2 "), "and stage 3 serves")
c.cmd("QUIT")
c.close()
t.ok("yyyy" not in t.server_log(),
     "nothing of the overlong lines in the log")

# Pipelined behind an overlong line, the login and what follows it still
# reach their stages: the greeter reads nothing past the PASS line.
c = Raw()
c.send(b"NOOP " + b"x" * 5000 + b"\r\nUSER " + box.address.encode() +
       b"\r\nPASS " + PW + b"\r\nSTAT\r\nQUIT\r\n")
got = [c.line() for _ in range(5)]
t.ok(got[0].startswith(b"-ERR") and got[1].startswith(b"+OK") and
     got[2].startswith(b"+OK maildrop") and got[3].startswith(b"+OK 2 ") and
     got[4] == b"+OK bye",
     "overlong line, USER, PASS, STAT, QUIT in one write: every answer", got)
c.close()

c = Raw()
t.eq(c.cmd("AUTH PLAIN"), b"+ ", "AUTH PLAIN: empty challenge")
overlong(c, "SASL response before login", b"QUFB" * (MB // 4))
c.close()

# The one longer command: AUTH with an initial response (RFC 5034).
c = Raw()
ir = base64.b64encode(b"\0" + box.address.encode() + b"\0" + b"z" * 400).decode()
ans = c.cmd("AUTH PLAIN " + ir)
t.ok(ans.startswith(b"-ERR [AUTH]") and b"too long" not in ans,
     f"a {len(ir) + 11}-octet AUTH PLAIN line is read whole (wrong password)", ans)
ans = c.cmd("AUTH PLAIN " + "A" * 3000)
t.ok(ans.startswith(b"-ERR") and b"too long" in ans, "a 3011-octet AUTH line: too long", ans)
t.eq(c.cmd("NOOP"), b"+OK", "the session goes on")
ir = base64.b64encode(b"\0" + box.address.encode() + b"\0" + PW).decode()
t.ok(c.cmd("AUTH PLAIN " + ir).startswith(b"+OK maildrop"),
     "AUTH PLAIN with a UTF-8 password")
c.close()

# --- UTF8 (RFC 6856) ---
c = Raw()
t.ok(c.cmd("UTF8 now").startswith(b"-ERR"), "UTF8 with an argument: -ERR")
t.ok(c.cmd("UTF8").startswith(b"+OK"), "UTF8 before login: +OK")
t.ok(c.cmd("utf8").startswith(b"+OK"), "utf8 in lower case: +OK")
t.eq(c.cmd("AUTH LOGIN"), b"+ VXNlcm5hbWU6", "AUTH LOGIN after UTF8")
c.cmd(base64.b64encode(box.address.encode()))
t.ok(c.cmd(base64.b64encode(PW)).startswith(b"+OK maildrop"),
     "AUTH LOGIN with a UTF-8 password")
t.ok(c.cmd("UTF8").startswith(b"+OK"), "UTF8 after AUTH: +OK")
c.send(b"RETR 1\r\n")
t.ok(c.line().startswith(b"+OK"), "RETR after UTF8")
t.eq(b"".join(ln + b"\r\n" for ln in c.multi()), t.wire(UTF8_MSG),
     "UTF8 mode: the message as stored")

# --- overlong lines after login ---
overlong(c, "after login")
t.ok(c.cmd("STAT").startswith(b"+OK 2 "), "after login: STAT still right")
t.eq(c.cmd("QUIT"), b"+OK bye", "after login: QUIT")
c.close()

# A line that never ends is cut off like an idle client (-t 3), and the
# session enters no UPDATE state.
c = Raw()
c.login()
t.ok(c.cmd("DELE 2").startswith(b"+OK"), "DELE before the endless line")
c.send(b"NOOP " + b"x" * 1000)
t.ok(c.line(5).startswith(b"-ERR"), "endless line after login: -ERR at once")
t0 = time.monotonic()
closed = False
try:
    while time.monotonic() - t0 < 20:
        c.send(b"x" * 100)
        time.sleep(0.1)
except OSError:
    closed = True
if not closed:
    try:
        closed = c.s.recv(100) == b""
    except OSError:
        closed = True
took = time.monotonic() - t0
t.ok(closed and 2 < took < 10,
     "a client that sends without newline forever is closed after the idle "
     "timeout (-t 3)", f"closed={closed} after {took:.1f} s")
c.close()
time.sleep(0.3)
t.eq(len(box.files()), 2, "... and nothing was deleted (no UPDATE state)")
t.ok("reason=idle-timeout" in t.server_log(), "logged as an idle timeout",
     t.server_log()[-800:])

# --- one dispatcher: the same bad line, the same answer in both states ---
BAD_LINES = {
    b"NOOP\tx": "TAB",
    b"NO\x01OP": "a control character in the verb",
    b"NOOP \x7f": "DEL",
    b"NOOP \x1b[2J": "an escape sequence",
    b"NOOP " + b"x" * 41: "a 41-octet argument (RFC 2449: 40)",
    b"NO\x00OP": "NUL",
    b"XYZZY": "an unknown verb",
    b"NOOP now": "an argument NOOP does not take",
    b"": "an empty line",
}


def answers(c):
    got = {}
    for line in BAD_LINES:
        got[line] = c.cmd(line)
        t.eq(c.cmd("NOOP"), b"+OK", "the session goes on after " + BAD_LINES[line])
    return got


c = Raw()
before = answers(c)
t.ok(c.login().startswith(b"+OK maildrop"), "login after the bad lines")
after = answers(c)
c.cmd("QUIT")
c.close()
for line, what in BAD_LINES.items():
    t.ok(before[line].startswith(b"-ERR"), f"{what} before login: -ERR",
         before[line])
    t.eq(after[line], before[line], f"{what}: the same answer after login")
t.eq(before[b"NOOP\tx"], b"-ERR control character in command",
     "a control character is refused as such")
t.eq(before[b"NOOP " + b"x" * 41], b"-ERR argument too long",
     "an over-long argument is refused as such")

# --- a UTF-8 user name reaches stage 2 byte for byte ---
fake_log = os.path.join(t.WORK, "fake2.log")
open(fake_log, "w").close()
os.chmod(fake_log, 0o666)
os.environ["FAKE_LOG"] = fake_log
src = os.environ.get("top_srcdir", ".")
fport = serve([], ["bash", os.path.join(src, "tests/integration/greeter_fake2.sh"),
                   "bash", os.path.join(src, "tests/integration/greeter_fake3.sh")])
NAME = "j\u00f6rg@b\u00fccher.example".encode()
c = Raw(fport)
c.cmd(b"USER " + NAME)
t.ok(c.cmd("PASS secret").startswith(b"+OK welcome"), "USER with a UTF-8 name")
c.close()
c = Raw(fport)
c.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0" + NAME + b"\0secret"))
c.close()
c = Raw(fport)
c.cmd("AUTH LOGIN")
c.cmd(base64.b64encode(NAME))
c.cmd(base64.b64encode(b"secret"))
c.close()
time.sleep(0.5)
with open(fake_log, "rb") as f:
    got = f.read().splitlines()
t.eq(got, [NAME + b"|secret|"] * 3,
     "USER, AUTH PLAIN and AUTH LOGIN pass the UTF-8 name as sent")

# --- the option values ---
def rc(prog, *args):
    r = subprocess.run([t.prog(prog), *args], capture_output=True)
    return r.returncode, r.stderr


for bad in ("--login-delay=", "--login-delay=-1", "--login-delay=x",
            "--login-delay=604801", "--login-delay=99999999999",
            "--login-delay=NEVER", "--expire=never", "--expire=3651",
            "--expire=-5", "--expire=30,user", "--expire=1e3"):
    code, err = rc("pop3-greeter", bad, "h", "true")
    t.ok(code == 2 and b"usage:" in err, f"pop3-greeter {bad}: usage, exit 2", err)
    code, err = rc("pop3-maildir", bad, "Maildir")
    t.ok(code == 2 and b"usage:" in err, f"pop3-maildir {bad}: usage, exit 2", err)
code, err = rc("pop3-maildir", "--login-delay=900,USER", "Maildir")
t.ok(code == 2, "pop3-maildir: no ,USER after login (the value is the user's)")
code, out = subprocess.run([t.prog("pop3-greeter"), "--help"],
                           capture_output=True).returncode, None
t.eq(code, 0, "pop3-greeter --help still exits 0")

t.done()
