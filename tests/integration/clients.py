# SPDX-License-Identifier: ISC
"""Real mail clients fetch real mail through the whole chain:
tcpserver -> pop3-greeter -> checkpassword-virtual -> pop3-maildir.
Every message is compared byte for byte with its Maildir file."""
import os
import poplib
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

box = t.Mailbox("joe@example.org", "s3cret pass")
other = t.Mailbox("joe@another.example", "different", users=box.users)
names = {}
for i, (key, data) in enumerate(t.SAMPLES.items()):
    names[key] = box.deliver(data)
    if i % 2:   # every other one named as maildrop and Dovecot name it
        os.rename(os.path.join(box.maildir, "new", names[key]),
                  os.path.join(box.maildir, "new", names[key] + ",S=%d" % len(data)))
        names[key] += ",S=%d" % len(data)
other.deliver(b"Subject: not joe's\n\nfor the other joe\n")
order = list(t.SAMPLES)            # delivery order == message numbers
port = t.serve(box.users)
url = f"pop3://127.0.0.1:{port}"
auth = f"{box.address}:{box.password}"


def curl(*args):
    return subprocess.run(["curl", "-s", "--max-time", "20", *args],
                          capture_output=True)


# --- curl, its default SASL and AUTH=LOGIN, USER/PASS ---
r = curl(f"{url}/", "-u", auth)
t.eq(r.returncode, 0, "curl lists the maildrop (default SASL)")
listing = dict(line.split() for line in r.stdout.decode().split("\r\n") if line)
t.eq(sorted(listing), [str(i) for i in range(1, len(order) + 1)],
     "curl sees every message, numbered 1..N")
for i, key in enumerate(order, 1):
    want = t.wire(t.SAMPLES[key])
    t.eq(int(listing.get(str(i), -1)), len(want),
         f"LIST size of '{key}' is the octets RETR sends")
for i, key in enumerate(order, 1):
    r = curl(f"{url}/{i}", "-u", auth)
    t.eq(r.stdout, t.wire(t.SAMPLES[key]), f"curl RETR '{key}' byte for byte")
r = curl(f"{url}/1", "-u", auth, "--login-options", "AUTH=LOGIN")
t.eq(r.stdout, t.wire(t.SAMPLES["plain"]), "curl with AUTH=LOGIN fetches")
r = curl(f"{url}/1", "-u", auth, "--login-options", "AUTH=PLAIN")
t.eq(r.stdout, t.wire(t.SAMPLES["plain"]), "curl with AUTH=PLAIN fetches")
r = curl(f"{url}/1", "-u", f"{box.address}:wrong")
t.ok(r.returncode != 0 and r.stdout == b"", "curl with a wrong password gets nothing")
r = curl(f"{url}/1", "-u", f"{other.address}:different")
t.eq(r.stdout, t.wire(b"Subject: not joe's\n\nfor the other joe\n"),
     "same local part, other domain: another user with another Maildir")
r = curl(f"{url}/1", "-u", f"{box.address}:different")
t.ok(r.stdout == b"", "the other domain's password does not open joe@example.org")

# --- python3 poplib ---
p = poplib.POP3("127.0.0.1", port, timeout=20)
t.ok(p.getwelcome().startswith(b"+OK") and b"test.example.org" in p.getwelcome(),
     "greeting names the host")
caps = p.capa()
for cap in ("USER", "SASL", "TOP", "UIDL", "RESP-CODES", "PIPELINING"):
    t.ok(cap in caps, f"CAPA before login lists {cap}")
p.user(box.address)
p.pass_(box.password)
count, size = p.stat()
t.eq(count, len(order), "poplib STAT counts the messages")
t.eq(size, sum(len(t.wire(d)) for d in t.SAMPLES.values()), "STAT size is the sum of RETR sizes")
uidls = [line.split()[1] for line in p.uidl()[1]]
t.eq(len(set(uidls)), len(order), "UIDLs are distinct")
# The whole name before the colon, ",S=" and ",W=" included (it used to
# stop at the first ","; qmail-pop3d and Dovecot's %f keep them, so a
# client that moves between them downloads nothing twice).
t.eq([u.decode() for u in uidls], [names[k].split(":")[0] for k in order],
     "UIDL is the file name before the colon (qmail-pop3d, Dovecot %f)")
for i, key in enumerate(order, 1):
    resp, lines, octets = p.retr(i)
    t.eq(b"\r\n".join(lines) + b"\r\n", t.wire(t.SAMPLES[key]),
         f"poplib RETR '{key}' byte for byte")
resp, lines, octets = p.top(1, 10**9)
t.eq(b"\r\n".join(lines) + b"\r\n", t.wire(t.SAMPLES["plain"]), "TOP with a huge line count is the whole message")
resp, lines, octets = p.top(3, 0)
t.eq(b"\r\n".join(lines) + b"\r\n", b"From: c@example.org\r\nSubject: dots\r\n\r\n", "TOP n 0 is the header and the blank line")
resp, lines, octets = p.top(3, 2)
t.eq(lines[-2:], [b".", b"..two"], "TOP n 2 gives two body lines, dots intact")
p.quit()
uid_again = poplib.POP3("127.0.0.1", port, timeout=20)
uid_again.user(box.address)
uid_again.pass_(box.password)
t.eq([line.split()[1] for line in uid_again.uidl()[1]], uidls, "UIDLs are stable across sessions (after new -> cur)")
uid_again.quit()
t.eq(os.listdir(os.path.join(box.maildir, "new")), [], "new/ emptied into cur/ after a session")

# --- pipelining across all three stages in one write ---
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.recv(512)
s.sendall(f"USER {box.address}\r\nPASS {box.password}\r\nSTAT\r\nLIST\r\nQUIT\r\n".encode())
buf = t.read_to_close(s)
lines = buf.split(b"\r\n")
t.eq(sum(1 for line in lines if line.startswith(b"+OK")), 5,
     "pipelined USER PASS STAT LIST QUIT: five +OK answers")
t.ok(b"+OK 5 " in buf and lines.count(b".") == 1, "pipelined STAT and LIST answered in full", buf)

# --- fetchmail: keep and UIDL ---
FM = ("keep", f"127.0.0.1 service {port} protocol pop3 uidl", box.address,
      box.password, 'keep no rewrite sslproto ""')
r, got = t.fetchmail(*FM)
t.eq(r.returncode, 0, "fetchmail fetches (keep, uidl)")
t.eq(len(got), len(order), "fetchmail delivered every message")
wants = sorted(t.wire(d).replace(b"\r\n", b"\n") for d in t.SAMPLES.values())
t.eq(sorted(got), wants, "fetchmail's copies match the Maildir byte for byte (LF form)")
r, got2 = t.fetchmail(*FM)
t.eq((r.returncode, len(got2)), (1, len(order)), "fetchmail run again with UIDL: nothing new (exit 1), nothing fetched twice")
t.eq(len(box.files()), len(order), "keep: nothing deleted on the server")

# --- getmail6 into a Maildir, deleting on the server ---
gmdir = os.path.join(t.WORK, "getmail")
dest = os.path.join(gmdir, "Maildir")
for sub in ("tmp", "new", "cur"):
    os.makedirs(os.path.join(dest, sub))
with open(os.path.join(gmdir, "getmailrc"), "w") as f:
    f.write((f"[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = {port}\n"
            f"username = {box.address}\npassword = {box.password}\n"
            f"[destination]\ntype = Maildir\npath = {dest}/\n"
            + (f"user = {t.OWNER}\n" if os.getuid() == 0 else "")
            + f"[options]\ndelete = true\nreceived = false\ndelivered_to = false\n"
            f"message_log_verbose = false\nverbose = 0\n"))
t.own(gmdir)  # getmail refuses to deliver as root; it becomes the owner
r = subprocess.run(["getmail", "--getmaildir", gmdir, "--rcfile", "getmailrc"],
                   capture_output=True, timeout=60)
t.eq(r.returncode, 0, "getmail6 fetches and deletes", )
got = []
for n in sorted(os.listdir(os.path.join(dest, "new"))):
    with open(os.path.join(dest, "new", n), "rb") as f:
        msg = f.read()
    # getmail6 always adds a Return-Path line of its own; the rest is ours.
    got.append(msg[len(b"Return-Path: <unknown>\n"):]
               if msg.startswith(b"Return-Path: <unknown>\n") else msg)
t.eq(len(got), len(order), "getmail6 delivered every message to its Maildir")
t.eq(sorted(got), wants, "getmail6's copies match byte for byte (LF form)")
t.eq(box.files(), [], "getmail6's DELE + QUIT emptied the maildrop")
t.eq(len(other.files()), 1, "the other domain's joe still has his mail")

# --- inetd style: the connection on fds 0 and 1, no TCPREMOTEIP ---
other.deliver(b"Subject: via inetd\n\nhello\n")
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(1)
env = {k: v for k, v in os.environ.items() if not k.startswith("TCP")}
logpath = os.path.join(t.WORK, "inetd.log")


def inetd_once():
    conn, _ = lsock.accept()
    with open(logpath, "wb") as log:
        subprocess.run([t.prog("pop3-greeter"), "test.example.org",
                        t.prog("checkpassword-virtual"), "-f", box.users,
                        t.prog("pop3-maildir"), "Maildir"],
                       stdin=conn, stdout=conn, stderr=log, env=env, timeout=60)
    conn.close()


th = threading.Thread(target=inetd_once)
th.start()
p = poplib.POP3("127.0.0.1", lsock.getsockname()[1], timeout=20)
p.user(other.address)
p.pass_(other.password)
t.eq(p.stat()[0], 2, "inetd style: the chain serves a connection on fds 0 and 1")
p.quit()
th.join(30)
log = open(logpath).read()
t.ok("rip=127.0.0.1" in log, "without tcpserver the log still names the client (from the socket)", log)
t.done()
