# SPDX-License-Identifier: ISC
"""TLS policy and failure behaviour through the whole chain under
tcpserver: STARTTLS injection, old protocols and cleartext login refused,
handshakes that stall or are garbage, a client vanishing mid-RETR, a
50 MB message, what the stages learn, and the relay's confinement read
from /proc."""
import hashlib
import os
import pwd
import re
import socket
import ssl
import struct
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

# TLS 1.0 and 1.1 are deprecated in Python too; we use them on purpose.
warnings.filterwarnings("ignore", category=DeprecationWarning)

CA, TLS_ARGS = t.test_ca()
help_text = subprocess.run([t.prog("pop3-greeter"), "--help"],
                           capture_output=True, text=True).stdout


def params_value(name):
    with open(os.path.join(t.TOP_SRC, "lib/params.h")) as f:
        m = re.search(rf"#define {name} (\d+)", f.read())
    return int(m.group(1))


# A short handshake timeout when the greeter lets us choose one.
HS_TIMEOUT = params_value("TLS_HANDSHAKE_TIMEOUT")
for opt in ("--tls-timeout", "--tls-handshake-timeout"):
    if opt in help_text:
        TLS_ARGS.append(f"{opt}=2")
        HS_TIMEOUT = 2
        break

# Stage 3 behind a probe that records the environment stage 2 passed on.
ENVDIR = os.path.join(t.WORK, "env")
os.mkdir(ENVDIR)
os.chmod(ENVDIR, 0o1777)
probe = os.path.join(t.BIN, "env-probe")
with open(probe, "w") as f:
    f.write('#!/bin/sh\nenv > "%s/$$"\nexec "$@"\n' % ENVDIR)
os.chmod(probe, 0o755)

box = t.Mailbox("joe@example.org", "secret")
users = box.users
stage2 = [t.prog("checkpassword-virtual"), "-f", users, probe]
stls_port = t.serve(users, TLS_ARGS, stage2=stage2)
tls_port = t.serve(users, TLS_ARGS + ["--implicit-tls"], stage2=stage2)
tls_server = t._procs[-1].pid       # its tcpserver
clear_port = t.serve(users, TLS_ARGS + ["--allow-cleartext"])


def context(**kw):
    ctx = ssl.create_default_context(cafile=CA)
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def readline(f):
    return f.readline().rstrip(b"\r\n")


def read_to_eof(sock, limit=1 << 20):
    out = b""
    try:
        while len(out) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    except (OSError, ssl.SSLError):
        pass
    return out


def connect_plain(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    return s, f, readline(f)


def connect_tls(port, ctx=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    ts = (ctx or context()).wrap_socket(s, server_hostname="127.0.0.1")
    return ts, ts.makefile("rb")


def login(ts, f, user=box.address, password=box.password):
    ts.sendall(f"USER {user}\r\nPASS {password}\r\n".encode())
    return readline(f), readline(f)


# --- cleartext login refused while TLS is configured ---
s, f, greeting = connect_plain(stls_port)
s.sendall(b"USER joe@example.org\r\n")
t.ok(readline(f).startswith(b"-ERR [AUTH]"),
     "USER in the clear: -ERR [AUTH] (cleartext login refused)")
s.sendall(b"AUTH PLAIN AGpvZUBleGFtcGxlLm9yZwBzZWNyZXQ=\r\n")
t.ok(readline(f).startswith(b"-ERR [AUTH]"),
     "AUTH PLAIN in the clear: -ERR [AUTH]")
s.sendall(b"PASS secret\r\n")
t.ok(readline(f).startswith(b"-ERR"), "PASS in the clear: -ERR")
s.close()

s, f, greeting = connect_plain(clear_port)
s.sendall(b"CAPA\r\n")
caps = []
if readline(f).startswith(b"+OK"):
    while (ln := readline(f)) != b".":
        caps.append(ln)
t.ok(b"STLS" in caps and b"USER" in caps,
     "--allow-cleartext: CAPA offers STLS and USER", caps)
s.sendall(f"USER {box.address}\r\nPASS {box.password}\r\nQUIT\r\n".encode())
t.ok(readline(f).startswith(b"+OK") and readline(f).startswith(b"+OK"),
     "--allow-cleartext: login in the clear works")
s.close()

# --- STARTTLS injection: commands behind STLS are never executed ---
s, f, greeting = connect_plain(stls_port)
s.sendall(b"STLS\r\nCAPA\r\n")
stls_answer = readline(f)
t.ok(stls_answer.startswith(b"+OK"), "STLS answered +OK", stls_answer)
ok_handshake = False
after = b""
try:
    ts = context().wrap_socket(s, server_hostname="127.0.0.1")
    ok_handshake = True
    ts.sendall(b"QUIT\r\n")
    after = read_to_eof(ts)
except (OSError, ssl.SSLError) as e:
    after = repr(e).encode()
t.ok(ok_handshake, "the handshake after an injected CAPA succeeds "
     "(the injected bytes were discarded, not fed to TLS)", after)
lines = after.split(b"\r\n")
t.ok(after.startswith(b"+OK") and lines[1:] == [b""],
     "the injected CAPA is never answered: QUIT's +OK is the only reply",
     after)

# --- old protocols refused ---
for ver, name in ((ssl.TLSVersion.TLSv1, "TLS 1.0"),
                  (ssl.TLSVersion.TLSv1_1, "TLS 1.1")):
    ctx = context()
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ver
    ctx.maximum_version = ver
    try:
        ts, f = connect_tls(tls_port, ctx)
        t.ok(False, f"{name} refused", ts.version())
    except (ssl.SSLError, OSError) as e:
        t.ok(True, f"{name} refused ({e.__class__.__name__})")
r = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-connect",
                    f"127.0.0.1:{stls_port}", "-tls1_1", "-cipher",
                    "DEFAULT:@SECLEVEL=0", "-CAfile", CA],
                   input=b"", capture_output=True, timeout=30)
t.ok(r.returncode != 0 and b"Cipher is (NONE)" in r.stdout
     and b"alert protocol version" in r.stderr,
     "openssl s_client -starttls pop3 -tls1_1 refused (protocol_version "
     "alert)", r.stdout[-300:] + r.stderr[-300:])
ts, f = connect_tls(tls_port, context(maximum_version=ssl.TLSVersion.TLSv1_2))
t.eq(ts.version(), "TLSv1.2", "TLS 1.2 accepted")
ts.close()


# --- TLS 1.2 offers AEAD suites with forward secrecy only ---
def tls12_accepts(suite):
    """Whether a TLS 1.2 handshake offering only suite succeeds."""
    r = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{tls_port}", "-tls1_2", "-cipher",
                        suite + ":@SECLEVEL=0", "-CAfile", CA],
                       input=b"", capture_output=True, timeout=30)
    return b"Cipher is " + suite.encode() in r.stdout


# Every TLS 1.2 suite OpenSSL knows that this ECDSA (P-256) certificate
# could serve; exactly Mozilla intermediate's ECDSA ones may be accepted.
known = subprocess.run(["openssl", "ciphers", "-tls1_2",
                        "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                       capture_output=True, text=True).stdout.strip()
candidates = [c for c in known.split(":")
              if "ECDSA" in c and not c.startswith("TLS_")]
accepted = sorted(c for c in candidates if tls12_accepts(c))
t.eq(accepted, sorted(["ECDHE-ECDSA-AES128-GCM-SHA256",
                       "ECDHE-ECDSA-AES256-GCM-SHA384",
                       "ECDHE-ECDSA-CHACHA20-POLY1305"]),
     f"TLS 1.2: of {len(candidates)} ECDSA suites only the AEAD ones with "
     "forward secrecy are accepted")
cbc = [c for c in candidates if not re.search(r"GCM|CHACHA|CCM", c)]
t.ok(len(cbc) >= 4 and not set(cbc) & set(accepted),
     f"each of the {len(cbc)} CBC suites among them was refused", cbc)
log = t.server_log()
t.ok(re.search(r"handshake failed from 127\.0\.0\.1: .*(unsupported protocol"
               r"|no protocols available)", log),
     "refused handshakes are logged with the remote IP and the reason",
     log[-1000:])

# --- garbage instead of a handshake ---
for port, name in ((tls_port, "implicit TLS"), (stls_port, "after STLS")):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if port == stls_port:
        f = s.makefile("rb")
        readline(f)
        s.sendall(b"STLS\r\n")
        readline(f)
    s.sendall(b"USER joe@example.org\r\nPASS secret\r\n")
    got = read_to_eof(s)
    t.ok(b"+OK" not in got and b"-ERR" not in got,
         f"garbage handshake ({name}): closed, no POP3 answer", got[:200])
    s.close()
t.ok("wrong version number" in t.server_log() or "http request"
     in t.server_log(), "garbage handshake logged with its reason")

# --- a client that stalls mid-handshake is cut off ---
s = socket.create_connection(("127.0.0.1", tls_port),
                             timeout=HS_TIMEOUT + 20)
s.sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))  # half a ClientHello
start = time.monotonic()
got = read_to_eof(s)
took = time.monotonic() - start
t.ok(got == b"" or got.startswith(b"\x15"),
     f"stalled handshake cut off by the server (after {took:.1f} s, "
     f"timeout {HS_TIMEOUT} s)", got[:50])
s.close()
t.ok("timed out" in t.server_log(), "the timeout is logged")

# --- what the stages learn, and the login log line ---
ts, f = connect_tls(tls_port)
readline(f)
t.eq(login(ts, f)[1][:3], b"+OK", "login under implicit TLS")
ts.sendall(b"QUIT\r\n")
read_to_eof(ts)
ts.close()
envs = []
for n in sorted(os.listdir(ENVDIR)):
    with open(os.path.join(ENVDIR, n)) as fh:
        envs.append(dict(ln.split("=", 1) for ln in fh.read().splitlines()
                         if "=" in ln))
e = envs[-1] if envs else {}
t.eq(e.get("SSL_PROTOCOL"), "TLSv1.3", "stage 3 sees SSL_PROTOCOL")
t.ok(e.get("SSL_CIPHER", "").startswith("TLS_"), "stage 3 sees SSL_CIPHER",
     e.get("SSL_CIPHER"))
logins = [ln for ln in t.server_log().splitlines() if "login" in ln]
t.ok(any("tls=TLSv1.3/TLS_" in ln for ln in logins),
     "the login log line names the TLS protocol and cipher", logins)


# --- the relay, seen from /proc ---
def socket_inode(local_port, remote_port):
    """The inode of the server side of a loopback TCP connection."""
    with open("/proc/net/tcp") as fh:
        for ln in fh.readlines()[1:]:
            fields = ln.split()
            lp = int(fields[1].split(":")[1], 16)
            rp = int(fields[2].split(":")[1], 16)
            if lp == local_port and rp == remote_port:
                return fields[9]
    return None


def holders(inode):
    """Pids with the socket open."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    pids.append(int(pid))
                    break
        except OSError:
            pass
    return pids


def descendants(pid):
    """Pids below pid: /proc/PID/stat is readable by anyone, also for the
    non-dumpable relay, so a normal user sees the whole session."""
    parent = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{p}/stat") as fh:
                parent[int(p)] = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        kids = [c for c, pp in parent.items() if pp == todo[0]]
        out += kids
        todo = todo[1:] + kids
    return out


def proc_uid(pid):
    with open(f"/proc/{pid}/status") as fh:
        for ln in fh:
            if ln.startswith("Uid:"):
                return [int(x) for x in ln.split()[1:]]


def check_relay(port, ts, when):
    inode = socket_inode(port, ts.getsockname()[1])
    pids = holders(inode) if inode else []
    if os.getuid() != 0:
        # The relay (and the greeter's root part) make themselves
        # non-dumpable, and the /proc/PID/fd of a non-dumpable process is
        # readable by root only: a normal user sees no holder at all.
        # What it can still check is that no process it may read (the
        # stages running as this user) holds the network socket.
        t.eq(pids, [], f"{when}: no stage this user can read holds the "
             "network socket")
        why = "not root: the relay is non-dumpable, its /proc/PID/fd is root's"
        for what in ("one process holds the network socket", "relay uid",
                     "relay root"):
            t.ok(True, f"{when}: {what} # SKIP {why}")
        return
    t.eq(len(pids), 1, f"{when}: one process holds the network socket "
         "(the relay; the stages only have plaintext)")
    if len(pids) != 1:
        return
    uids = proc_uid(pids[0])
    t.ok(uids and all(u == uids[0] and u != 0 for u in uids),
         f"{when}: relay runs unprivileged (uid {uids}, "
         f"{pwd.getpwuid(uids[0]).pw_name})")
    root = os.readlink(f"/proc/{pids[0]}/root")
    t.ok(root != "/" and os.path.isdir(root) and os.listdir(root) == [],
         f"{when}: relay is chrooted to an empty directory ({root})")


ts, f = connect_tls(tls_port)
readline(f)
check_relay(tls_port, ts, "implicit TLS, before login")
login(ts, f)
check_relay(tls_port, ts, "implicit TLS, after login")
ts.close()
s, f, greeting = connect_plain(stls_port)
s.sendall(b"STLS\r\n")
readline(f)
ts = context().wrap_socket(s, server_hostname="127.0.0.1")
# The handshake ends before the greeter has moved onto the relay's
# plaintext side; an answer under TLS shows that it has.
ts.sendall(b"NOOP\r\n")
t.ok(ts.recv(512).startswith(b"+OK"), "after STLS: NOOP answered under TLS")
check_relay(stls_port, ts, "after STLS")
ts.close()

# --- a 50 MB message over TLS, and a client leaving mid-RETR ---
line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-=+*\r\n"
big = (b"From: big@example.org\r\nSubject: 50 MB\r\n\r\n"
       + line * (50 * 1000 * 1000 // len(line)) + b"the very last line\r\n")
big_name = box.deliver(big)
r = subprocess.run(["curl", "-s", "--max-time", "300", "--cacert", CA,
                    f"pop3s://127.0.0.1:{tls_port}/1", "-u",
                    f"{box.address}:{box.password}"], capture_output=True)
t.eq((r.returncode, len(r.stdout)), (0, len(big)),
     "50 MB RETR over implicit TLS: every byte")
t.eq(hashlib.sha256(r.stdout).hexdigest(), hashlib.sha256(big).hexdigest(),
     "50 MB RETR over TLS: byte for byte, the tail included")

ts, f = connect_tls(tls_port)
readline(f)
login(ts, f)
ts.sendall(b"RETR 1\r\n")
part = ts.recv(65536)
t.ok(part.startswith(b"+OK"), "RETR started")
inode = socket_inode(tls_port, ts.getsockname()[1])
# Linger 0: close sends a reset, mid-body, and no close_notify.
ts.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
f.close()
ts.close()
gone = False
# No process holds the socket (root sees every holder) and no process of
# the session is left under tcpserver (what a normal user can see).
for _ in range(200):
    left = holders(inode) + descendants(tls_server)
    if not left:
        gone = True
        break
    time.sleep(0.05)
t.ok(gone, "the relay and the session end when the client vanishes "
     "mid-RETR", [(p, open(f"/proc/{p}/cmdline").read()) for p in left]
     if not gone else None)
# The name before the colon is the message's identity (it cut at the
# first "," when pop3-maildir added ",W=" on the move; names are kept
# now, so UIDLs and Dovecot's UIDs stay, and curl's RETR above gave this
# one ":2,S").
t.eq([n.split(":")[0] for n in box.files()], [big_name],
     "the message is still there (no QUIT, no deletion)")
ts, f = connect_tls(tls_port)
readline(f)
login(ts, f)
ts.sendall(b"LIST 1\r\nQUIT\r\n")
t.eq(readline(f).split()[:3], [b"+OK", b"1", str(len(big)).encode()],
     "the next session sees the message whole")
ts.close()
t.done()
