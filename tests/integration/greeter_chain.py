# SPDX-License-Identifier: ISC
"""greeter_chain.py -- pop3-greeter in the real chain:
tcpserver -> pop3-greeter -> checkpassword-virtual -> pop3-maildir.

What the greeter owns, with the real stages behind it: pipelined commands
after PASS and AUTH reach stage 3, a wrong password costs one [AUTH] and
the session goes on, an unknown user looks the same, the limit closes the
connection, APOP with a secret set by vuser (poplib, curl, fetchmail, mutt), and stage
3's own [IN-USE] reaching the client through the greeter."""
import base64
import os
import poplib
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

for p in ("pop3-greeter", "checkpassword-virtual", "pop3-maildir", "vuser"):
    if not os.access(t.prog(p), os.X_OK):
        t.skip_all(f"{p} not built yet")

EMPTY = t.privsep_dir()
OPTS = ["--fail-delay=0", f"--privsep-dir={EMPTY}"]

box = t.Mailbox("ann@example.org", "ann's pass")
for key in ("plain", "crlf", "dots"):
    box.deliver(t.SAMPLES[key])
WANT = [t.wire(t.SAMPLES[k]) for k in ("plain", "crlf", "dots")]
port = t.serve(box.users, OPTS)


def raw(data, port_=None):
    """One write after the greeting; every line until the server closes."""
    s = socket.create_connection(("127.0.0.1", port_ or port), 10)
    s.settimeout(20)
    f = s.makefile("rb")
    greeting = f.readline()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = f.read()
    s.close()
    return greeting, out.decode("latin-1").split("\r\n")


# --- pipelining across the stages ---
_, got = raw(b"USER ann@example.org\r\nPASS ann's pass\r\nSTAT\r\nLIST\r\n"
             b"UIDL 1\r\nQUIT\r\n")
t.ok(got[0].startswith("+OK") and got[1].startswith("+OK"),
     "pipelined USER and PASS answered +OK", got)
sizes = sum(len(w) for w in WANT)
t.eq(got[2], f"+OK 3 {sizes}", "pipelined STAT answered by stage 3")
t.ok(got[3].startswith("+OK") and got[4:8] == [
    f"1 {len(WANT[0])}", f"2 {len(WANT[1])}", f"3 {len(WANT[2])}", "."],
    "pipelined LIST answered in full", got[3:8])
t.ok(got[8].startswith("+OK 1 ") and got[9].startswith("+OK"),
     "pipelined UIDL 1 and QUIT answered", got)

plain = base64.b64encode(b"\0ann@example.org\0ann's pass")
_, got = raw(b"AUTH PLAIN " + plain + b"\r\nSTAT\r\nRETR 2\r\nQUIT\r\n")
t.ok(got[0].startswith("+OK") and got[1] == f"+OK 3 {sizes}",
     "AUTH PLAIN with STAT pipelined behind it", got)
body = "\r\n".join(got[3:]).encode("latin-1")
t.ok(body.startswith(WANT[1]), "RETR pipelined behind AUTH PLAIN is "
     "byte for byte", body)

# --- failures with the real stage 2 ---
_, got = raw(b"USER ann@example.org\r\nPASS wrong\r\n"
             b"USER nobody-here@example.org\r\nPASS ann's pass\r\n"
             b"USER ann@example.org\r\nPASS ann's pass\r\nSTAT\r\nQUIT\r\n")
t.ok(got[1].startswith("-ERR [AUTH]"), "wrong password: -ERR [AUTH]", got)
t.eq(got[3][:11], got[1][:11], "unknown user: the same answer")
t.ok(got[5].startswith("+OK") and got[6] == f"+OK 3 {sizes}",
     "the third try logs in within the same connection", got)

_, got = raw(b"USER ann@example.org\r\nPASS a\r\nUSER ann@example.org\r\n"
             b"PASS b\r\nUSER ann@example.org\r\nPASS c\r\n"
             b"USER ann@example.org\r\nPASS ann's pass\r\nSTAT\r\n")
t.eq(sum(1 for l in got if l.startswith("-ERR [AUTH]")), 3,
     "three failures: three [AUTH]")
t.ok(not any(l.startswith("+OK 3") for l in got),
     "then the connection closes: the right password is never tried", got)
log = t.server_log()
t.ok(re.search(r"login failed: reason=bad-credentials failures=1/3 "
          r"user=ann@example.org method=USER rip=127\.0\.0\.1 ", log),
     "each failure logged with login and IP", log)
t.ok("ann's pass" not in log and "PASS a" not in log, "no password logged")

# --- [IN-USE] from stage 3 passes through the greeter ---
holder = poplib.POP3("127.0.0.1", port, timeout=10)
holder.user("ann@example.org")
holder.pass_("ann's pass")
_, got = raw(b"USER ann@example.org\r\nPASS ann's pass\r\nSTAT\r\n")
t.ok(got[1].startswith("-ERR [IN-USE]"), "a second session gets stage 3's "
     "-ERR [IN-USE]", got)
t.eq(holder.stat()[0], 3, "the first session is undisturbed")
holder.quit()

# --- APOP with a secret vuser set ---
r = subprocess.run([t.prog("vuser"), "-f", box.users, "apop", box.address],
                   input=b"apop secret\n", capture_output=True)
t.ok(r.returncode == 0, "vuser apop sets the APOP secret", r.stderr)
aport = t.serve(box.users, OPTS + ["--apop"])
p = poplib.POP3("127.0.0.1", aport, timeout=10)
t.ok(b"<" in p.getwelcome() and b"@test.example.org>" in p.getwelcome(),
     "--apop greeting carries the timestamp", p.getwelcome())
try:
    resp = p.apop(box.address, "apop secret")
    t.ok(resp.startswith(b"+OK"), "poplib apop() logs in through the chain")
    t.eq(p.stat()[0], 3, "and sees the maildrop")
    p.quit()
except poplib.error_proto as e:
    t.ok(False, "poplib apop() logs in through the chain", e)
    t.ok(False, "and sees the maildrop")
p = poplib.POP3("127.0.0.1", aport, timeout=10)
try:
    p.apop(box.address, "ann's pass")
    t.ok(False, "APOP with the login password instead of the secret fails")
except poplib.error_proto as e:
    t.ok(str(e).startswith("b'-ERR [AUTH]"),
         "APOP with the login password instead of the secret fails", e)
p.close()
r = subprocess.run(["curl", "-s", "--max-time", "20", "-u",
                    f"{box.address}:apop secret", "--login-options",
                    "AUTH=+APOP", f"pop3://127.0.0.1:{aport}/1"],
                   capture_output=True)
t.eq(r.stdout, WANT[0], "curl --login-options AUTH=+APOP fetches")
_, got = raw(b"USER ann@example.org\r\nPASS ann's pass\r\nSTAT\r\nQUIT\r\n",
             aport)
t.eq(got[2], f"+OK 3 {sizes}", "USER/PASS still works beside APOP")

# --- fetchmail: protocol apop against --apop, auth password (keep) ---
def fetchmail(how, password, port_):
    return t.fetchmail(how.split()[-1], f"127.0.0.1 service {port_} {how}",
                       box.address, password, 'keep no rewrite sslproto ""')


WANT_LF = sorted(w.replace(b"\r\n", b"\n") for w in WANT)
r, got = fetchmail("protocol apop", "apop secret", aport)
t.ok(r.returncode == 0, "fetchmail protocol apop", r.stderr)
t.eq(got, WANT_LF, "fetchmail APOP: every message byte for byte (LF form)")
r, got = fetchmail("protocol pop3 auth password", "ann's pass", port)
t.ok(r.returncode == 0, "fetchmail auth password", r.stderr)
t.eq(got, WANT_LF, "fetchmail auth password: every message byte for byte")
t.eq(len(box.files()), 3, "keep: nothing deleted")

# --- mutt over POP, in a pseudo-terminal (script), <fetch-mail> ---
def mutt(name, port_, password, authenticators):
    md = os.path.join(t.WORK, "mutt-" + name)
    os.mkdir(md, 0o700)
    spool = os.path.join(md, "spool")
    open(spool, "w").close()
    with open(os.path.join(md, "muttrc"), "w") as f:
        f.write(f'set pop_host="pop://ann%40example.org@127.0.0.1:{port_}"\n'
                f'set pop_pass="{password}"\n'
                f'set pop_authenticators="{authenticators}"\n'
                "set pop_delete=no\nset pop_last=no\nset quit=yes\n"
                "set move=no\nset mbox_type=mbox\nset ssl_starttls=no\n"
                "set ssl_force_tls=no\n"  # mutt 2 defaults to yes
                f'set spoolfile="{spool}"\nset folder="{md}"\n')
    env = dict(os.environ, HOME=md, TERM="vt100", MAIL=spool)
    cmd = f"mutt -n -F {md}/muttrc -e 'push <fetch-mail><quit>'"
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=env,
                       capture_output=True, timeout=60)
    return r, open(spool, "rb").read()


for name, port_, password, auth in (
        ("user", port, "ann's pass", "user"),
        ("apop", aport, "apop secret", "apop")):
    r, spool = mutt(name, port_, password, auth)
    t.ok(r.returncode == 0 and spool.count(b"\nFrom ") + spool.startswith(b"From ") == 3,
         f"mutt <fetch-mail> ({auth}) fetched three messages", r.stdout[-500:])
    t.ok(b"Hello.\n" in spool and b"CRLF body\nline 2\n" in spool and
         b"\n.\n..two\n.three\nend\n" in spool,
         f"mutt ({auth}): bodies intact, dots unstuffed", spool)

t.done()
