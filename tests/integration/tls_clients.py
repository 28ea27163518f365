# SPDX-License-Identifier: ISC
"""Real clients over TLS through the whole chain:
tcpserver -> pop3-greeter --tls-cert/--tls-key [--implicit-tls] ->
checkpassword-virtual -> pop3-maildir.

STLS on one port (RFC 2595), implicit TLS on another (RFC 8314).  Every
client verifies the server against a CA made for this run (mkcert.sh), no
insecure flags; every client fetches and deletes its own user's mail, and
each message is compared byte for byte with the Maildir file."""
import os
import poplib
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

CA, TLS_ARGS = t.test_ca()

users = os.path.join(t.WORK, "users")
stls_port = t.serve(users, TLS_ARGS)
tls_port = t.serve(users, TLS_ARGS + ["--implicit-tls"])
ORDER = list(t.SAMPLES)
WANT = [t.wire(t.SAMPLES[k]) for k in ORDER]
WANT_LF = sorted(w.replace(b"\r\n", b"\n") for w in WANT)


def mailbox(who):
    """A user of its own for each client, holding every sample."""
    box = t.Mailbox(f"{who}@example.org", f"pw of {who}", users=users)
    for key in ORDER:
        box.deliver(t.SAMPLES[key])
    return box


def context():
    return ssl.create_default_context(cafile=CA)


def unstuff(lines):
    return b"".join((ln[1:] if ln.startswith(b"..") else ln) + b"\r\n"
                    for ln in lines)


# --- curl: STLS with --ssl-reqd, and pop3s:// ---
def curl(*args):
    return subprocess.run(["curl", "-s", "-S", "--max-time", "30",
                           "--cacert", CA, *args], capture_output=True)


for name, scheme, port, extra in (
        ("STLS", "pop3", stls_port, ["--ssl-reqd"]),
        ("implicit TLS", "pop3s", tls_port, [])):
    box = mailbox("curl-" + scheme)
    auth = f"{box.address}:{box.password}"
    url = f"{scheme}://127.0.0.1:{port}"
    r = curl(*extra, f"{url}/", "-u", auth)
    t.eq((r.returncode, len(r.stdout.split(b"\r\n")) - 1), (0, len(ORDER)),
         f"curl {name}: lists every message")
    got = [curl(*extra, f"{url}/{i}", "-u", auth).stdout
           for i in range(1, len(ORDER) + 1)]
    t.eq(got, WANT, f"curl {name}: RETR of every message byte for byte")
    # One session a DELE; from the last, so the numbers stay put.
    for i in range(len(ORDER), 0, -1):
        curl(*extra, f"{url}/{i}", "-u", auth, "-X", "DELE", "-I")
    t.eq(box.files(), [], f"curl {name}: DELE emptied the maildrop")

r = subprocess.run(["curl", "-s", "--max-time", "30", "--ssl-reqd",
                    f"pop3s://127.0.0.1:{tls_port}/", "-u", "x:y"],
                   capture_output=True)
t.eq(r.returncode, 60, "curl without the test CA refuses the certificate "
     "(verification really happens)")


# --- openssl s_client: -starttls pop3, and -connect to implicit TLS ---
def s_client(box, port, starttls):
    cmds = [f"USER {box.address}", f"PASS {box.password}"]
    cmds += [f"RETR {i}" for i in range(1, len(ORDER) + 1)]
    cmds += [f"DELE {i}" for i in range(1, len(ORDER) + 1)] + ["QUIT"]
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
            "-CAfile", CA, "-verify_return_error", "-verify_ip", "127.0.0.1",
            "-quiet"]
    if starttls:
        args += ["-starttls", "pop3"]
    r = subprocess.run(args, input="".join(c + "\r\n" for c in cmds).encode(),
                       capture_output=True, timeout=60)
    lines = r.stdout.split(b"\r\n")
    if not starttls:
        lines = lines[1:]           # the greeting came under TLS
    # USER, PASS, then one multi-line answer per RETR.
    bodies, i = [], 2
    for _ in ORDER:
        if i >= len(lines) or not lines[i].startswith(b"+OK"):
            break
        end = lines.index(b".", i + 1)
        bodies.append(unstuff(lines[i + 1:end]))
        i = end + 1
    return r, lines, bodies


for name, port, starttls in (("-starttls pop3", stls_port, True),
                             ("-connect (implicit TLS)", tls_port, False)):
    box = mailbox("s_client" + ("-stls" if starttls else "-tls"))
    r, lines, bodies = s_client(box, port, starttls)
    t.ok(lines[:2] and all(ln.startswith(b"+OK") for ln in lines[:2]),
         f"openssl s_client {name}: login over TLS", r.stdout[:300])
    t.eq(bodies, WANT, f"openssl s_client {name}: RETR byte for byte")
    t.eq(box.files(), [], f"openssl s_client {name}: DELE + QUIT emptied it")


# --- python3 poplib: stls() and POP3_SSL, verifying ---
def poplib_fetch_delete(p, box, name):
    p.user(box.address)
    p.pass_(box.password)
    got = []
    for i in range(1, len(ORDER) + 1):
        resp, lines, octets = p.retr(i)
        got.append(b"\r\n".join(lines) + b"\r\n")
        p.dele(i)
    p.quit()
    t.eq(got, WANT, f"poplib {name}: RETR byte for byte")
    t.eq(box.files(), [], f"poplib {name}: DELE + QUIT emptied the maildrop")


box = mailbox("poplib-stls")
p = poplib.POP3("127.0.0.1", stls_port, timeout=30)
before = p.capa()
t.ok("STLS" in before, "CAPA in the clear offers STLS")
t.ok("USER" not in before and "SASL" not in before,
     "CAPA in the clear offers no login (TLS configured, cleartext not "
     "allowed)", before)
p.stls(context())
t.ok(isinstance(p.sock, ssl.SSLSocket)
     and p.sock.version() in ("TLSv1.2", "TLSv1.3"),
     f"poplib stls(): {p.sock.version()} {p.sock.cipher()[0]}")
after = p.capa()
t.ok("STLS" not in after and "USER" in after and "SASL" in after,
     "CAPA under TLS: no STLS, login offered", after)
poplib_fetch_delete(p, box, "stls()")

box = mailbox("poplib-ssl")
p = poplib.POP3_SSL("127.0.0.1", tls_port, timeout=30, context=context())
t.ok(p.getwelcome().startswith(b"+OK"), "POP3_SSL: greeting under TLS")
t.ok("STLS" not in p.capa(), "implicit TLS: CAPA never offers STLS")
poplib_fetch_delete(p, box, "POP3_SSL")


# --- fetchmail: sslproto tls1.2+, sslcertck, STLS and implicit ---
def fetchmail(box, port, implicit):
    # fetchmail matches the certificate's DNS names (not its IP address)
    # against the poll name: poll localhost.
    return t.fetchmail(box.address.split("@")[0],
                       f"localhost service {port} protocol pop3",
                       box.address, box.password,
                       f'{"ssl " if implicit else ""}sslproto tls1.2+ sslcertck '
                       f'sslcertfile "{CA}"\n  nokeep fetchall norewrite',
                       timeout=120)


for name, port, implicit in (("STLS", stls_port, False),
                             ("implicit TLS", tls_port, True)):
    box = mailbox("fetchmail-" + ("tls" if implicit else "stls"))
    r, got = fetchmail(box, port, implicit)
    t.eq(r.returncode, 0, f"fetchmail {name} (sslproto tls1.2+, sslcertck)")
    if r.returncode:
        print("# " + r.stderr.decode(errors="replace")[:1500]
              .replace("\n", "\n# "))
    t.eq(got, WANT_LF, f"fetchmail {name}: every message byte for byte "
         "(LF form)")
    t.eq(box.files(), [], f"fetchmail {name}: deleted on the server")


# --- getmail6: SimplePOP3SSLRetriever with ca_certs ---
box = mailbox("getmail")
gd = os.path.join(t.WORK, "getmail")
dest = os.path.join(gd, "Maildir")
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(dest, sub))
with open(os.path.join(gd, "getmailrc"), "w") as f:
    f.write(f"[retriever]\ntype = SimplePOP3SSLRetriever\n"
            f"server = 127.0.0.1\nport = {tls_port}\n"
            f"username = {box.address}\npassword = {box.password}\n"
            f"ca_certs = {CA}\n"
            f"[destination]\ntype = Maildir\npath = {dest}/\n"
            + (f"user = {t.OWNER}\n" if os.getuid() == 0 else "")
            + f"[options]\ndelete = true\nreceived = false\n"
            f"delivered_to = false\nmessage_log_verbose = false\n"
            f"verbose = 0\n")
t.own(dest)                  # getmail6 delivers as the owner, never root
r = subprocess.run(["getmail", "--getmaildir", gd, "--rcfile", "getmailrc"],
                   capture_output=True, timeout=120)
t.eq(r.returncode, 0, "getmail6 SimplePOP3SSLRetriever (ca_certs) runs",)
if r.returncode:
    print("# " + (r.stdout + r.stderr).decode(errors="replace")[:1500]
          .replace("\n", "\n# "))
got = []
for n in sorted(os.listdir(os.path.join(dest, "new"))):
    with open(os.path.join(dest, "new", n), "rb") as f:
        # getmail6 always writes a Return-Path first (POP3 carries no
        # envelope sender): its own line, not the server's.
        got.append(f.read().removeprefix(b"Return-Path: <unknown>\n"))
t.eq(sorted(got), WANT_LF, "getmail6: every message byte for byte (LF form)")
t.eq(box.files(), [], "getmail6: deleted on the server")

# --- what the log says ---
# (Port probes that connect and leave are logged at info level.)
failures = [ln for ln in t.server_log().splitlines()
            if "warning: tls: handshake failed" in ln]
t.eq(len(failures), 1, "one handshake failed: the curl without the CA")
t.ok(failures and "127.0.0.1" in failures[0] and "unknown ca" in failures[0],
     "it is logged with the remote IP and the reason", failures)
t.done()
