# SPDX-License-Identifier: ISC
"""greeter_tls.py -- pop3-greeter's side of TLS with fake stages 2 and 3:
what CAPA offers before and after STLS, cleartext login refused unless
--allow-cleartext, STARTTLS injection, STLS twice, implicit TLS, and real
clients (python3 poplib, openssl s_client, curl) verifying a CA made for
this run.  The relay itself is tested by the TLS tests."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import poplib

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

SRC = os.path.join(t.TOP_SRC, "tests", "integration")
G = t.built("pop3-greeter")

CA, TLS = t.test_ca()
EMPTY = t.privsep_dir()
STAGES = []
for src, name in (("greeter_fake2.sh", "stage2"), ("greeter_fake3.sh", "stage3")):
    dst = os.path.join(t.WORK, name)
    shutil.copy(os.path.join(SRC, src), dst)
    os.chmod(dst, 0o755)
    STAGES.append(dst)
os.environ["FAKE_LOG"] = os.path.join(t.WORK, "stage2.log")
LOG = os.path.join(t.WORK, "server.log")


def serve(*opts):
    port = t.free_port()
    cmd = ["tcpserver", "-R", "-H", "-l0", "127.0.0.1", str(port), G,
           "--fail-delay=0", f"--privsep-dir={EMPTY}", *opts, "localhost",
           *STAGES]
    t._procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(LOG, "ab")))
    if not t.wait_port(port):
        print("Bail out! server did not start")
        sys.exit(1)
    return port


def raw(port, data, greeting=True):
    """Send data in one write after the greeting; return the lines the
    server answers before it closes (or goes quiet for 3 s)."""
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.settimeout(3)
    f = s.makefile("rb")
    if greeting:
        f.readline()
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out.decode("latin-1").replace("\r", "").splitlines()


def context():
    ctx = ssl.create_default_context(cafile=CA)
    return ctx


stls = serve(*TLS)
implicit = serve(*TLS, "--implicit-tls")
cleartext = serve(*TLS, "--allow-cleartext")

# --- before STLS ---
caps = raw(stls, b"CAPA\r\nQUIT\r\n")
t.ok("STLS" in caps, "CAPA before STLS offers STLS", caps)
t.ok("USER" not in caps and not any(c.startswith("SASL") for c in caps),
     "and neither USER nor SASL while login in the clear is refused", caps)
t.ok("PIPELINING" in caps and "IMPLEMENTATION popkit" in caps,
     "the other capabilities stay", caps)
open(os.environ["FAKE_LOG"], "w").close()
for cmd in (b"USER bob", b"PASS secret", b"AUTH PLAIN AGJvYgBzZWNyZXQ=",
            b"AUTH LOGIN", b"APOP bob 0123456789abcdef0123456789abcdef"):
    got = raw(stls, cmd + b"\r\nQUIT\r\n")
    want = "-ERR" if cmd.startswith(b"APOP") else "-ERR [AUTH]"
    t.ok(got and got[0].startswith(want), f"{cmd.split()[0].decode()} in the "
         f"clear: {want}", got)
got = raw(stls, b"AUTH\r\nQUIT\r\n")
t.eq(got[:2], ["+OK methods supported:", "."], "bare AUTH lists no mechanism")
t.eq(open(os.environ["FAKE_LOG"]).read(), "", "stage 2 never saw a password")

# --- STARTTLS injection: nothing sent behind STLS is executed ---
got = raw(stls, b"STLS\r\nCAPA\r\nUSER bob\r\nPASS secret\r\n")
t.ok(got and got[0].startswith("+OK"), "STLS answered +OK", got)
t.ok(not any("Capability" in line or "welcome" in line or "send PASS" in line
             for line in got), "commands behind STLS in the same write are "
     "never answered", got)

# --- poplib stls() ---
p = poplib.POP3("127.0.0.1", stls, timeout=10)
p.stls(context())
t.ok(p.sock.version() in ("TLSv1.2", "TLSv1.3"), "STLS negotiates TLS 1.2+",
     p.sock.version())
caps = p.capa()
t.ok("STLS" not in caps, "CAPA after STLS no longer lists STLS", caps)
t.ok("USER" in caps and "SASL" in caps, "and now offers USER and SASL", caps)
try:
    p._shortcmd("STLS")
    t.ok(False, "STLS twice refused")
except poplib.error_proto as e:
    t.ok(str(e).startswith("b'-ERR"), "STLS twice refused", e)
p.user("bob")
welcome = p.pass_("secret").decode()
t.ok(welcome.startswith("+OK welcome bob over TLSv1."),
     "login over STLS reaches stage 3, which sees SSL_PROTOCOL", welcome)
t.eq(p.stat(), (1, 7), "STAT from stage 3 over TLS")
p.quit()

# Pipelining through the relay: the whole login in one TLS write.
p = poplib.POP3("127.0.0.1", stls, timeout=10)
p.stls(context())
p.sock.sendall(b"USER bob\r\nPASS secret\r\nSTAT\r\nQUIT\r\n")
lines = [p._getline()[0].decode() for _ in range(4)]
t.eq([l.split(" over")[0] for l in lines],
     ["+OK send PASS", "+OK welcome bob", "+OK 1 7", "+OK bye"],
     "USER PASS STAT QUIT pipelined over TLS: every answer")
p.close()

# --- implicit TLS (port 995 style) ---
p = poplib.POP3_SSL("127.0.0.1", implicit, context=context(), timeout=10)
t.ok(p.getwelcome().startswith(b"+OK localhost"), "implicit TLS: greeting "
     "inside TLS", p.getwelcome())
caps = p.capa()
t.ok("STLS" not in caps and "USER" in caps, "implicit TLS: no STLS, USER "
     "offered", caps)
p.user("bob")
t.ok(p.pass_("secret").startswith(b"+OK welcome bob over TLSv1."),
     "implicit TLS: login works")
p.quit()
got = raw(implicit, b"CAPA\r\n", greeting=False)
t.ok(not any("Capability" in line for line in got),
     "implicit TLS: a cleartext client gets no POP3 answer", got)

# --- --allow-cleartext ---
caps = raw(cleartext, b"CAPA\r\nQUIT\r\n")
t.ok("STLS" in caps and "USER" in caps and "SASL PLAIN LOGIN" in caps,
     "--allow-cleartext: CAPA offers STLS and the login methods", caps)
got = raw(cleartext, b"USER bob\r\nPASS secret\r\nQUIT\r\n")
t.eq(got[:2], ["+OK send PASS", "+OK welcome bob"],
     "--allow-cleartext: login in the clear works")

# --- real clients verifying the CA ---
r = subprocess.run(
    ["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", CA,
     "-verify_hostname", "localhost", "-starttls", "pop3", "-connect",
     f"127.0.0.1:{stls}"],
    input=b"CAPA\r\nUSER bob\r\nPASS secret\r\nSTAT\r\nQUIT\r\n",
    capture_output=True, timeout=30)
out = r.stdout.decode("latin-1").replace("\r", "")
t.ok("+OK welcome bob over TLS" in out and "+OK 1 7" in out,
     "openssl s_client -starttls pop3", out + r.stderr.decode("latin-1"))
t.ok("\nSTLS\n" not in out, "s_client's CAPA after STLS has no STLS", out)
r = subprocess.run(
    ["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", CA,
     "-connect", f"127.0.0.1:{implicit}"],
    input=b"USER bob\r\nPASS secret\r\nQUIT\r\n", capture_output=True,
    timeout=30)
t.ok("+OK welcome bob over TLS" in r.stdout.decode("latin-1"),
     "openssl s_client -connect (implicit TLS)", r.stdout)
for url, extra, what in (
        (f"pop3://localhost:{stls}/", ["--ssl-reqd"], "curl --ssl-reqd pop3:// (STLS, SASL PLAIN)"),
        (f"pop3s://localhost:{implicit}/", [], "curl pop3s:// (implicit TLS)"),
        (f"pop3://localhost:{stls}/1", ["--ssl-reqd", "--login-options",
                                        "AUTH=LOGIN"], "curl STLS with AUTH=LOGIN, RETR")):
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", CA,
                        "--resolve", f"localhost:{url.split(':')[2].split('/')[0]}:127.0.0.1",
                        "-u", "bob:secret", *extra, url],
                       capture_output=True, timeout=30)
    want = b"hello\r\n" if url.endswith("/1") else b"1 7\r\n"
    t.eq((r.returncode, r.stdout), (0, want), what)

# --- a garbage handshake and a silent client leave the server serving ---
got = raw(stls, b"STLS\r\n")
s = socket.create_connection(("127.0.0.1", stls), 10)
s.settimeout(10)
s.recv(512)
s.sendall(b"STLS\r\n")
s.recv(512)
s.sendall(b"this is not a TLS ClientHello\r\n" * 10)
try:
    rest = s.recv(4096)
    rest += s.recv(4096)
except (socket.timeout, ConnectionResetError):
    rest = b"?"
s.close()
t.ok(b"+OK" not in rest and b"-ERR" not in rest,
     "garbage instead of a handshake: no POP3 answer, the connection ends", rest)
t.ok("handshake failed from 127.0.0.1" in t.server_log(),
     "the failed handshake is logged with the remote IP", t.server_log())
got = raw(stls, b"CAPA\r\nQUIT\r\n")
t.ok("STLS" in got, "the server still serves the next client", got)

# --- option errors ---
r = subprocess.run([G, "--implicit-tls", "h", "true"], capture_output=True)
t.eq(r.returncode, 2, "--implicit-tls without --tls-cert: exit 2")
r = subprocess.run([G, f"--tls-cert={t.WORK}/missing.pem", "h", "true"],
                   input=b"QUIT\r\n", capture_output=True)
t.ok(r.returncode == 111 and b"missing.pem" in r.stderr,
     "a missing certificate: exit 111 naming the file", r)

t.done()
