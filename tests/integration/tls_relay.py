# SPDX-License-Identifier: ISC
"""tls_relay.py -- pop3-tls-relay on its own, run the way pop3-greeter
runs it: the client's TCP socket on fd 0, a plaintext socket on fd 1, the
verdict pipe on fd 3.  Usage and misuse, a missing certificate (ERR
verdict, exit 111), and a real handshake with python's ssl: the verdict
names protocol and cipher, bytes cross both ways, and (as root) the relay
is chrooted and unprivileged before the client's first byte."""
import os
import pwd
import socket
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

R = t.built("pop3-tls-relay")
CA, TLS = t.test_ca()
EMPTY = t.privsep_dir()

# --- usage ---
r = subprocess.run([R, "--help"], capture_output=True)
t.ok(r.returncode == 0 and r.stdout.startswith(b"usage: pop3-tls-relay"),
     "--help: usage on stdout, exit 0", r)
r = subprocess.run([R], capture_output=True)
t.ok(r.returncode == 2 and b"usage:" in r.stderr,
     "no --tls-cert: usage on stderr, exit 2", r)
r = subprocess.run([R, *TLS, "--bogus"], capture_output=True)
t.eq(r.returncode, 2, "unknown option: exit 2")
r = subprocess.run([R, *TLS, "extra"], capture_output=True)
t.eq(r.returncode, 2, "an operand: exit 2")
r = subprocess.run([R, *TLS], capture_output=True, stdin=subprocess.DEVNULL)
t.ok(r.returncode == 2 and b"fd 3" in r.stderr,
     "no verdict pipe on fd 3: exit 2, saying so", r)
r = subprocess.run(["bash", "-c", 'exec "$0" "$@" 3>/dev/null', R, *TLS],
                   capture_output=True, stdin=subprocess.DEVNULL)
t.ok(r.returncode == 2 and b"fd 3" in r.stderr,
     "fd 3 not a pipe or socket: exit 2", r)


def run_relay(args, net, plain):
    """Start the relay with net on 0, plain on 1, a pipe on 3; return
    (process, read end of the pipe)."""
    rd, wr = os.pipe()
    # bash, not sh: dash refuses descriptors above 9 in redirections.
    p = subprocess.Popen(["bash", "-c", f'exec "$0" "$@" 3>&{wr} {wr}>&-',
                          R, *args], stdin=net, stdout=plain,
                         stderr=subprocess.PIPE, pass_fds=(wr,))
    os.close(wr)
    return p, rd


def verdict(rd):
    data = b""
    while True:
        chunk = os.read(rd, 512)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    return data.decode(errors="replace")


# --- a missing certificate ---
a, b = socket.socketpair()
p, rd = run_relay([f"--tls-cert={t.WORK}/missing.pem"], a.fileno(),
                  b.fileno())
v = verdict(rd)
err = p.stderr.read().decode(errors="replace")
p.wait(10)
t.ok(v.startswith("ERR ") and "missing.pem" in v,
     "missing certificate: an ERR verdict naming the file", v)
t.ok(p.returncode == 111 and "missing.pem" in err,
     "and exit 111, logged", (p.returncode, err))
a.close()
b.close()

# --- a real handshake ---
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
client = socket.create_connection(lsock.getsockname(), 10)
server, _ = lsock.accept()
lsock.close()
plain, plain_relay = socket.socketpair()
args = [*TLS] + ([f"--root={EMPTY}"] if os.getuid() == 0 else [])
p, rd = run_relay(args, server.fileno(), plain_relay.fileno())
server.close()
plain_relay.close()

ctx = ssl.create_default_context(cafile=CA)
tls = ctx.wrap_socket(client, server_hostname="localhost")
v = verdict(rd)
t.ok(v.startswith("OK TLSv1.") and v.endswith("\n") and len(v.split()) == 3,
     "the verdict: OK, protocol and cipher", v)
t.ok(tls.version() in v and tls.cipher()[0] in v,
     "naming what the client negotiated", (v, tls.version(), tls.cipher()))
if os.getuid() == 0:
    uid = [ln.split()[1:] for ln in open(f"/proc/{p.pid}/status")
           if ln.startswith("Uid:")][0]
    t.ok(all(u == uid[0] for u in uid) and uid[0] != "0",
         f"the relay runs unprivileged ({pwd.getpwuid(int(uid[0])).pw_name})",
         uid)
    t.eq(os.readlink(f"/proc/{p.pid}/root"), EMPTY,
         "and is chrooted to --root")
else:
    t.ok(True, "relay uid # SKIP not root")
    t.ok(True, "relay chroot # SKIP not root")
tls.sendall(b"USER hello\r\n")
plain.settimeout(10)
t.eq(plain.recv(100), b"USER hello\r\n", "client -> plaintext side")
plain.sendall(b"+OK world\r\n")
tls.settimeout(10)
t.eq(tls.recv(100), b"+OK world\r\n", "plaintext side -> client")
plain.close()
try:
    rest = tls.recv(100)
except (ssl.SSLError, OSError):
    rest = b""
t.eq(rest, b"", "the stages close: the client reads the end of the session")
tls.close()
p.wait(10)
t.eq(p.returncode, 0, "the relay exits 0")
p.stderr.close()

# --- how pop3-greeter finds it ---
G = t.prog("pop3-greeter")
r = subprocess.run([G, f"--tls-relay={t.WORK}/no-relay", "h", "true"],
                   capture_output=True)
t.eq(r.returncode, 2, "greeter: --tls-relay without --tls-cert: exit 2")
r = subprocess.run([G, *TLS, f"--tls-relay={t.WORK}/no-relay",
                    f"--privsep-dir={EMPTY}", "h", "true"],
                   input=b"QUIT\r\n", capture_output=True)
t.ok(r.returncode == 111 and b"no-relay" in r.stderr,
     "greeter: a missing relay program: exit 111 at start, naming it", r)
FAKE = os.path.join(t.WORK, "fake-relay")
with open(FAKE, "w") as fh:
    fh.write("#!/bin/sh\necho \"fake relay: $*\" >&2\n"
             "echo 'ERR fake' >&3\nexit 111\n")
os.chmod(FAKE, 0o755)
r = subprocess.run([G, *TLS, f"--tls-relay={FAKE}", f"--privsep-dir={EMPTY}",
                    "--implicit-tls", "h", "true"],
                   stdin=subprocess.DEVNULL, capture_output=True)
t.ok(f"fake relay: {TLS[0]} {TLS[1]}"
     .encode() in r.stderr,
     "greeter: --tls-relay names the program it runs, with cert and key", r)
t.ok(b"+OK" not in r.stdout, "a relay that fails: no greeting", r)
t.done()
