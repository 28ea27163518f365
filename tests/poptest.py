# SPDX-License-Identifier: ISC
"""poptest -- shared Python for popkit's integration tests (TAP output).

The Python twin of tests/lib.sh: a private work directory, the built
programs copied where an unprivileged mail owner can run them, a virtual
user, and the real chain under tcpserver on a free loopback port.
Everything started is killed at exit.
"""
import atexit
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP_BUILD = os.environ.get("top_builddir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), ".."))
TOP_SRC = os.environ.get("top_srcdir") or TOP_BUILD

_n = 0
_failed = 0
_procs = []


def ok(cond, desc, diag=None):
    """Record one test point."""
    global _n, _failed
    _n += 1
    if cond:
        print(f"ok {_n} - {desc}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_n} - {desc}", flush=True)
        if diag is not None:
            for line in str(diag)[:2000].splitlines():
                print(f"#   {line}")
    return bool(cond)


def eq(got, want, desc):
    return ok(got == want, desc,
              None if got == want else f"got:  {got!r:.600}\nwant: {want!r:.600}")


def done():
    if os.environ.get("POPKIT_VALGRIND"):
        _cleanup_procs()
        time.sleep(0.5)
        bad = [os.path.join(VG, f) for f in os.listdir(VG)
               if os.path.getsize(os.path.join(VG, f)) > 0]
        ok(not bad, "valgrind reported nothing",
           "".join(open(b).read() for b in bad[:3]))
    print(f"1..{_n}", flush=True)
    sys.exit(1 if _failed else 0)


def skip_all(why):
    print(f"1..0 # SKIP {why}")
    sys.exit(0)


def _cleanup_procs():
    for p in _procs:
        try:
            p.kill()
            p.wait(timeout=5)
        except Exception:
            pass


def _cleanup():
    _cleanup_procs()
    if not os.environ.get("T_KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)


WORK = tempfile.mkdtemp(prefix="popkit-test.", dir="/tmp")
os.chmod(WORK, 0o755)
atexit.register(_cleanup)

# The mail owner: ourselves, or as root an unprivileged account (stage 3
# refuses uid 0, and stage 2 must really switch users).
OWNER = "nobody" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
OWNER_PW = pwd.getpwnam(OWNER)

BIN = os.path.join(WORK, "bin")
os.mkdir(BIN)
for d in ("pop3d", "checkpassword", "maildir", "wrappers", "bench", "deliver"):
    src = os.path.join(TOP_BUILD, d)
    if os.path.isdir(src):
        for f in os.listdir(src):
            p = os.path.join(src, f)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                shutil.copy2(p, BIN)
os.environ["PATH"] = BIN + ":" + os.environ["PATH"]

# Under scripts/test-valgrind every program runs under valgrind; done()
# checks that it reported nothing.
VG = os.path.join(WORK, "vg")
if os.environ.get("POPKIT_VALGRIND"):
    real = os.path.join(BIN, ".real")
    os.mkdir(real)
    os.mkdir(VG)
    os.chmod(VG, 0o1777)
    for f in os.listdir(BIN):
        p = os.path.join(BIN, f)
        if not os.path.isfile(p):
            continue
        os.rename(p, os.path.join(real, f))
        with open(p, "w") as w:
            w.write(f"#!/bin/sh\nexec valgrind -q --vgdb=no --child-silent-after-fork=yes --log-file={VG}/%p.{f}.log "
                    f"--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite "
                    f"{real}/{f} \"$@\"\n")
        os.chmod(p, 0o755)


def prog(name):
    return os.path.join(BIN, name)


def read_to_close(s):
    """Everything the peer sends on socket s until it closes; s is closed."""
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def sanitized():
    """Whether the programs under test were built with ASan/UBSan
    (scripts/test-sanitize): then every start costs several times as much,
    and tests that time floods of connections scale them down."""
    try:
        with open(prog("pop3-greeter"), "rb") as f:
            return b"libasan.so" in f.read()
    except OSError:
        return False


def built(name):
    """The program's path; bail out of the test when it is not built."""
    path = prog(name)
    if not os.access(path, os.X_OK):
        print(f"Bail out! {name} not built")
        sys.exit(1)
    return path


def privsep_dir():
    """An empty root-owned directory for the greeter's --privsep-dir."""
    path = os.path.join(WORK, "empty")
    os.mkdir(path, 0o755)
    return path


def own(path):
    """Give a tree to the mail owner (no-op unless root)."""
    if os.getuid() != 0:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, OWNER_PW.pw_uid, OWNER_PW.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), OWNER_PW.pw_uid, OWNER_PW.pw_gid)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, secs=5.0):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def test_ca():
    """Make a CA and a server certificate for 127.0.0.1/localhost
    (tests/integration/mkcert.sh) in WORK/cert; return the CA's path and
    the greeter's --tls-cert/--tls-key options."""
    cert = os.path.join(WORK, "cert")
    subprocess.run(["sh", os.path.join(TOP_SRC, "tests/integration/mkcert.sh"),
                    cert], check=True)
    return (os.path.join(cert, "ca.pem"),
            [f"--tls-cert={cert}/server.pem", f"--tls-key={cert}/server.key"])


def fetchmail(tag, poll, user, password, options, timeout=60):
    """Run fetchmail once: `poll` is the rc's poll line after "poll"
    (host, service, protocol...), `options` its keep/ssl options; each
    message goes to WORK/fetchmail-TAG/msg.PID.  The same tag reuses the
    directory (and its UIDL file).  Returns (the CompletedProcess, the
    sorted bytes of every message delivered so far)."""
    d = os.path.join(WORK, "fetchmail-" + tag)
    if not os.path.isdir(d):
        os.mkdir(d, 0o700)
    rc = os.path.join(d, "rc")
    with open(rc, "w") as f:
        # set invisible: no Received line of fetchmail's own.
        f.write(f"set invisible\npoll {poll}\n"
                f'  user "{user}" password "{password}" is root here\n'
                f"  {options}\n"
                f"  mda \"/bin/sh -c 'cat > {d}/msg.$$'\"\n")
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=d, FETCHMAILHOME=d)
    # --pidfile: as root fetchmail locks /var/run/fetchmail.pid whatever
    # HOME says, so two suites at once would collide.
    r = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog",
                        "--idfile", os.path.join(d, "ids"),
                        "--pidfile", os.path.join(d, "pid")],
                       env=env, capture_output=True, timeout=timeout)
    got = []
    for n in sorted(os.listdir(d)):
        if n.startswith("msg."):
            with open(os.path.join(d, n), "rb") as f:
                got.append(f.read())
    return r, sorted(got)


def crypt_hash(password):
    return subprocess.run(["openssl", "passwd", "-6", password], check=True,
                          capture_output=True, text=True).stdout.strip()


_seq = 0


class Mailbox:
    """A virtual user's home with a Maildir, owned by the mail owner."""

    def __init__(self, address="joe@example.org", password="secret",
                 users=None):
        self.address, self.password = address, password
        safe = address.replace("@", "_at_")
        self.home = os.path.join(WORK, "home", safe)
        self.maildir = os.path.join(self.home, "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        os.chmod(os.path.join(WORK, "home"), 0o755)
        self.users = users or os.path.join(WORK, "users")
        with open(self.users, "a") as f:
            f.write(f"{address}:{crypt_hash(password)}:{OWNER}:{self.home}\n")
        own(self.home)

    def deliver(self, data, name=None):
        """Deliver bytes into new/ the way an MDA does; return the name."""
        global _seq
        _seq += 1
        name = name or f"{1700000000 + _seq}.M{_seq}P{os.getpid()}.test"
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        own(self.maildir)
        return name

    def files(self):
        """Names of the messages now in new/ and cur/."""
        out = []
        for sub in ("new", "cur"):
            out += os.listdir(os.path.join(self.maildir, sub))
        return sorted(out)


def serve(users, greeter_args=(), maildir="Maildir", stage2=None,
          stage3_args=(), chain=None, tcp_args=(), greeter="pop3-greeter"):
    """Start the whole chain under tcpserver (with TCP_ARGS, say -c N);
    return the port.  chain, when given, is all that follows the
    greeter's host name (else stage 2, then pop3-maildir STAGE3_ARGS
    MAILDIR).  greeter: the program in BIN for stage 1 (a test twin)."""
    port = free_port()
    stage2 = stage2 or [prog("checkpassword-virtual"), "-f", users]
    chain = chain or (stage2 + [prog("pop3-maildir"), *stage3_args, maildir])
    cmd = (["tcpserver", "-R", "-H", "-l0", *tcp_args, "127.0.0.1", str(port),
            prog(greeter), *greeter_args, "test.example.org"]
           + list(chain))
    log = open(os.path.join(WORK, "server.log"), "ab")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    _procs.append(p)
    if not wait_port(port):
        print("Bail out! server did not start")
        sys.exit(1)
    return port


def server_log():
    try:
        with open(os.path.join(WORK, "server.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wire(data):
    """What RETR sends for a file's bytes (before dot-stuffing): bare LF
    made CRLF, CRLF kept, a final CRLF added if the file lacks one."""
    out = bytearray()
    i = 0
    while i < len(data):
        j = data.find(b"\n", i)
        if j < 0:
            out += data[i:] + b"\r\n"
            break
        line = data[i:j]
        out += line + (b"\n" if line.endswith(b"\r") else b"\r\n")
        i = j + 1
    return bytes(out)


# Messages that have tripped POP3 servers: every test client gets these.
SAMPLES = {
    "plain": b"From: a@example.org\nSubject: plain\n\nHello.\n",
    "crlf": b"From: b@example.org\r\nSubject: crlf\r\n\r\nCRLF body\r\nline 2\r\n",
    "dots": b"From: c@example.org\nSubject: dots\n\n.\n..two\n.three\nend\n",
    "nofinal": b"From: d@example.org\nSubject: no final newline\n\nlast line",
    "nul8bit": b"From: e@example.org\nSubject: 8bit\n\nNUL:\x00: caf\xc3\xa9 \xff\n",
}


# One RFC 3164 datagram as lib/log sends it: <PRI>Mmm dd hh:mm:ss prog[pid]: text
SYSLOG_RE = r"^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) ([\w.-]+)\[(\d+)\]: (.*)$"


class SyslogListener:
    """A stand-in for syslogd: a unix datagram socket in WORK that the
    programs log to when POPKIT_LOG_SOCKET names it (lib/log.h; test
    only).  Writable by all, since stages 2 and 3 log as the mail user."""

    def __init__(self, name="syslog.sock"):
        self.path = os.path.join(WORK, name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.got = []
        # Drained all the time, as a syslogd does: a full queue makes the
        # programs wait (lib/log).
        import threading
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while True:
            d = self.sock.recv(65536)
            self.got.append(d.decode("utf-8", "replace"))

    def read(self, until=None, secs=5.0, since=0):
        """The datagrams so far, waiting up to secs for one from index
        `since` on whose text contains `until` (the last line a session
        writes)."""
        end = time.time() + secs
        while until is not None and time.time() < end and \
                not any(until in g for g in self.got[since:]):
            time.sleep(0.05)
        return list(self.got)
