# SPDX-License-Identifier: ISC
"""popkit-lmtpd over a real socket (tcpserver), with python's smtplib.LMTP
and raw writes: per-recipient replies after DATA, PIPELINING, the line
and size bounds, bare LF, NUL, dot-stuffing, RSET, a client gone in the
middle of DATA, the parser's lack of privilege, the owner of delivered
mail, OpenSMTPD's own Return-Path and Delivered-To, and the peak memory of a connection's processes."""
import os
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

LMTPD = t.built("popkit-lmtpd")
SIZE = 20000
ALIASES = os.path.join(t.WORK, "aliases")
os.mkdir(ALIASES)
EMPTY = t.privsep_dir()

joe = t.Mailbox("joe@example.org")
full = t.Mailbox("full@example.org", users=joe.users)
# Maildir++: a 100-octet quota, already used up to 90.
with open(os.path.join(full.maildir, "maildirsize"), "w") as f:
    f.write("100S\n90 1\n")
t.own(full.maildir)

# A domain whose default entry is bad: its unlisted names wait for the
# fix (a temporary failure), they neither bounce nor fall anywhere.
t.Mailbox("owner@temp.test", users=joe.users)
with open(os.path.join(ALIASES, "temp.test"), "w") as f:
    f.write("-: |/bin/sh\n")

ARGS = ["-f", joe.users, "-a", ALIASES, f"--privsep-dir={EMPTY}",
        "--hostname=lmtp.test", f"--size={SIZE}", "--max-recipients=3",
        "--timeout=5"]
PORT = t.free_port()
log = open(os.path.join(t.WORK, "server.log"), "ab")
server = subprocess.Popen(["tcpserver", "-R", "-H", "-l0", "127.0.0.1",
                           str(PORT), LMTPD, *ARGS],
                          stdout=subprocess.DEVNULL, stderr=log)
t._procs.append(server)
if not t.wait_port(PORT):
    print("Bail out! popkit-lmtpd under tcpserver did not start")
    sys.exit(1)


def eqd(got, want, desc, diag=None):
    """t.eq, with what the server said when it differs."""
    return t.ok(got == want, desc, None if got == want
                else f"got:  {got!r}\nwant: {want!r}\n{diag!r:.1500}")


def new_files(box):
    return sorted(os.listdir(os.path.join(box.maildir, "new")))


def tmp_files(box):
    return sorted(os.listdir(os.path.join(box.maildir, "tmp")))


def read_new(box, name):
    with open(os.path.join(box.maildir, "new", name), "rb") as f:
        return f.read()


def raw(data, wait_close=True, timeout=10):
    """Send data in one write; return all the server says until it closes."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
            if not wait_close and out.count(b"\r\n") >= wait_close:
                break
    except socket.timeout:
        pass
    s.close()
    return out


def codes(out):
    """The reply codes, one per reply (multi-line ones once)."""
    return [ln[:3] for ln in out.decode("latin-1").split("\r\n")
            if len(ln) >= 4 and ln[3] == " "]


def transaction(rcpts, body, sender="<s@sender.test>"):
    cmds = b"LHLO client.test\r\nMAIL FROM:" + sender.encode() + b"\r\n"
    for r in rcpts:
        cmds += b"RCPT TO:<" + r.encode() + b">\r\n"
    return cmds + b"DATA\r\n" + body + b".\r\n"


# ---- smtplib.LMTP: LHLO and per-recipient replies ----
c = smtplib.LMTP("127.0.0.1", PORT, timeout=10)
code, msg = c.ehlo_or_helo_if_needed() or (None, None)
t.ok(c.does_esmtp, "LHLO answered with extensions")
for ext in ("pipelining", "enhancedstatuscodes", "8bitmime"):
    t.ok(c.has_extn(ext), f"LHLO advertises {ext.upper()}")
t.eq(c.esmtp_features.get("size"), str(SIZE), "LHLO advertises SIZE with --size")
t.eq(c.mail("s@sender.test")[0], 250, "MAIL accepted")
t.eq(c.rcpt("joe@example.org")[0], 250, "RCPT of a user: 250")
code, msg = c.rcpt("bob@example.org")
t.eq((code, msg[:5]), (550, b"5.1.1"), "RCPT of an unknown user: 550 5.1.1")
t.eq(c.rcpt("full@example.org")[0], 250, "RCPT of a user over quota: 250 (known at DATA)")
t.eq(c.rcpt("x@foreign.test")[0], 550, "RCPT outside popkit's domains: 550 (no relay)")
code, msg = c.rcpt("anyone@temp.test")
t.eq((code, msg[:5]), (451, b"4.3.0"), "RCPT that cannot be resolved now (a bad '-' entry): 451 4.3.0")
before_full = new_files(full)
code, msg = c.data(b"Subject: per-recipient\r\n\r\n" + b"x" * 200 + b"\r\n")
t.eq((code, msg[:5]), (250, b"2.0.0"), "first reply after DATA: joe delivered")
code, msg = c.getreply()
t.eq((code, msg[:5]), (552, b"5.2.2"), "second reply after DATA: full is over quota, 552 5.2.2")
t.ok(b"full@example.org" in msg, "each reply names its recipient", msg)
t.eq(len(new_files(joe)), 1, "joe's message is in new/")
t.eq(new_files(full), before_full, "nothing in full's new/")
name = new_files(joe)[0]
data = read_new(joe, name)
t.ok(data.startswith(b"Return-Path: <s@sender.test>\nDelivered-To: joe@example.org\n"),
     "Return-Path and Delivered-To prepended", data[:120])
t.ok(b"\r" not in data, "stored with LF line ends")
t.ok(",S=%d," % len(data) in name, "the name carries ,S= of the file", name)
st = os.stat(os.path.join(joe.maildir, "new", name))
t.eq(st.st_uid, t.OWNER_PW.pw_uid, f"the message belongs to the mailbox's owner ({t.OWNER})")
t.eq(c.docmd("RSET")[0], 250, "RSET after a transaction")
t.eq(c.docmd("HELO", "x")[0], 500, "HELO is not LMTP: 500")
t.eq(c.docmd("VRFY", "joe")[0], 252, "VRFY: 252")
c.quit()

# ---- one mailbox, message after message on a kept connection ----
# The parser accepts a recipient the root part accepted lately without
# asking again (params.h: LMTP_RCPT_SEEN_*); every message still gets
# its own delivery and its own reply.
before = set(new_files(joe))
cmds = b"LHLO client.test\r\n"
for i in range(3):
    cmds += (b"MAIL FROM:<s@sender.test>\r\nRCPT TO:<joe@example.org>\r\n"
             b"DATA\r\nSubject: again %d\r\n\r\nbody\r\n.\r\n" % i)
out = raw(cmds + b"QUIT\r\n")
eqd(codes(out), ["220", "250"] + ["250", "250", "354", "250"] * 3 + ["221"],
    "three messages to one recipient on one connection: each accepted", out)
got = sorted(set(new_files(joe)) - before)
t.eq(len(got), 3, "and three files in new/")
t.eq(sorted(read_new(joe, n).split(b"Subject: again ")[1][:1] for n in got),
     [b"0", b"1", b"2"], "one of each message")

# ---- dot-stuffing, both ways: smtplib stuffs, we unstuff ----
c = smtplib.LMTP("127.0.0.1", PORT, timeout=10)
c.ehlo("client.test")
c.mail("s@sender.test")
c.rcpt("joe@example.org")
before = set(new_files(joe))
code, _ = c.data(b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\n")
c.quit()
added = sorted(set(new_files(joe)) - before)
body = read_new(joe, added[0]).split(b"\n\n", 1)[1] if added else b""
t.eq((code, body), (250, b".leading dot\n..two\n.\n"),
     "a dot-stuffed line arrives unstuffed")

# ---- PIPELINING: a whole session in one write ----
before = set(new_files(joe))
out = raw(transaction(["joe@example.org", "bob@example.org"],
                      b"Subject: pipelined\r\n\r\nhello\r\n") + b"QUIT\r\n")
eqd(codes(out), ["220", "250", "250", "250", "550", "354", "250", "221"],
     "all commands in one write: every reply, in order", out)
t.eq(len(set(new_files(joe)) - before), 1, "and the message delivered once")

# ---- bounds ----
out = raw(b"LHLO c\r\nNOOP " + b"x" * 600 + b"\r\nNOOP\r\nQUIT\r\n")
eqd(codes(out), ["220", "250", "500", "250", "221"],
     "a 600-octet command line: 500, and the session goes on", out)
t.ok(b"500 5.5.2" in out, "with 5.5.2")
out = raw(b"LHLO c\r\nMAIL FROM:<s@sender.test> SIZE=%d\r\nQUIT\r\n" % (SIZE + 1))
t.ok(b"552 5.3.4" in out, "SIZE over the limit at MAIL: 552 5.3.4", out)
before = set(new_files(joe))
out = raw(transaction(["joe@example.org"], b"Subject: big\r\n\r\n" +
                      (b"y" * 998 + b"\r\n") * (SIZE // 1000 + 2)) + b"QUIT\r\n")
t.ok(b"552 5.3.4" in out, "a message over the limit in DATA: 552 5.3.4", out)
t.eq(set(new_files(joe)) - before, set(), "and nothing delivered")
before = set(new_files(joe))
out = raw(transaction(["joe@example.org"], b"Subject: wide\r\n\r\n" +
                      b"w" * 8000 + b"\r\n") + b"QUIT\r\n")
added = sorted(set(new_files(joe)) - before)
t.ok(added and read_new(joe, added[0]).endswith(b"\n\n" + b"w" * 8000 + b"\n"),
     "a line of 8000 octets (twice the input buffer, within the limit) is stored whole", out)
out = raw(transaction(["joe@example.org"], b"Subject: long\r\n\r\n" +
                      b"z" * 9000 + b"\r\nend\r\n") + b"NOOP\r\nQUIT\r\n")
t.ok(b"554 5.6.0" in out, "a DATA line over 8192 octets refuses the message: 554 5.6.0", out)
eqd(codes(out)[-2:], ["250", "221"], "the session goes on after it")
out = raw(b"LHLO c\r\nMAIL FROM:<s@sender.test>\r\n" +
          b"".join(b"RCPT TO:<joe@example.org>\r\n" for _ in range(4)) + b"QUIT\r\n")
eqd(codes(out), ["220", "250", "250", "250", "250", "250", "452", "221"],
     "the recipient past --max-recipients: 452", out)

# ---- bare LF, NUL ----
before = set(new_files(joe))
out = raw(b"LHLO c\nMAIL FROM:<s@sender.test>\nRCPT TO:<joe@example.org>\nDATA\n"
          b"Subject: bare\n\nline one\r\nline two\n.\nQUIT\n")
added = sorted(set(new_files(joe)) - before)
eqd(codes(out), ["220", "250", "250", "250", "354", "250", "221"],
     "bare LF line ends are taken", out)
t.ok(added and read_new(joe, added[0]).endswith(b"Subject: bare\n\nline one\nline two\n"),
     "and the message is stored with LF")
before = set(new_files(joe))
out = raw(transaction(["joe@example.org"], b"Subject: nul\r\n\r\na\0b\r\n") + b"QUIT\r\n")
t.ok(b"554 5.6.0" in out, "a NUL in the message: 554 5.6.0", out)
t.eq(set(new_files(joe)) - before, set(), "and nothing delivered")
out = raw(b"LHLO c\r\nNO\0OP\r\nQUIT\r\n")
eqd(codes(out), ["220", "250", "500", "221"], "a NUL in a command: 500", out)

# ---- RSET ----
out = raw(b"LHLO c\r\nMAIL FROM:<s@sender.test>\r\nRCPT TO:<joe@example.org>\r\n"
          b"RSET\r\nDATA\r\nRCPT TO:<joe@example.org>\r\nMAIL FROM:<>\r\nQUIT\r\n")
eqd(codes(out), ["220", "250", "250", "250", "250", "503", "503", "250", "221"],
     "RSET forgets sender and recipients; a new MAIL is taken", out)

# ---- a client that leaves in the middle of DATA ----
before = set(new_files(joe))
s = socket.create_connection(("127.0.0.1", PORT), 10)
s.sendall(transaction(["joe@example.org"], b"Subject: cut\r\n\r\npart")[:-3])
time.sleep(0.3)
s.close()
# Wait for the server to have seen the close (valgrind makes it slow).
GONE = "client left in the middle of DATA"
deadline = time.time() + (60 if os.environ.get("POPKIT_VALGRIND") else 10)
while GONE not in t.server_log() and time.time() < deadline:
    time.sleep(0.1)
t.eq(set(new_files(joe)) - before, set(), "a client gone mid-DATA: nothing in new/")
t.eq(tmp_files(joe), [], "and nothing in tmp/")
t.ok(GONE in t.server_log(), "the log says so")


# ---- the parser holds no privilege; memory ----
def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                if int(st[1]) == pid:
                    out.append(int(p))
            except OSError:
                pass
    return out


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln)


maps, dynamic = "", True   # what the parser's maps say, below
# The connections above end on their own time (a root part lingers on
# the client's close): wait until none is left, so the one below is the
# only connection tcpserver serves.
deadline = time.time() + (60 if os.environ.get("POPKIT_VALGRIND") else 15)
while children(server.pid) and time.time() < deadline:
    time.sleep(0.1)
c = smtplib.LMTP("127.0.0.1", PORT, timeout=10)
c.ehlo("client.test")
c.mail("s@sender.test")
c.rcpt("joe@example.org")
c.data(b"Subject: rss\r\n\r\n" + b"r" * 4000 + b"\r\n")
roots = children(server.pid)
kids = children(roots[0]) if len(roots) == 1 else []


def mem_holds(pid, needle):
    """Whether the process's writable memory holds needle (root only)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("rw") or "[vvar" in line or "[vsyscall" in line:
                continue
            lo, hi = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(lo)
                if needle in mem.read(hi - lo):
                    return True
            except OSError:
                continue
    return False


def fd_target(pid, fd):
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return None     # the parser is undumpable: not ours to read


# The delivery child the connection keeps for the owner (lib/deliver's
# pool) has /dev/null on fd 0; the parser reads the client there.
pool = [k for k in kids if fd_target(k, 0) == "/dev/null"]
parsers = [k for k in kids if k not in pool]
t.ok(len(pool) == 1, "after a delivery, the connection keeps one delivery "
     "child for the owner", kids)
if len(parsers) != 1:
    t.ok(False, "found the connection's root part and parser", (roots, kids))
else:
    rst, pst = status(roots[0]), status(parsers[0])
    dst = status(pool[0]) if pool else rst
    if os.getuid() == 0:
        t.eq(rst["Uid"].split()[0], "0", "the root part keeps uid 0")
        uids = pst["Uid"].split()
        t.ok(all(u != "0" for u in uids) and len(set(uids)) == 1,
             "the parser's real, effective, saved and fs uid are one, not 0", uids)
        t.ok(all(g != "0" for g in pst["Gid"].split()), "and its gids not 0", pst["Gid"])
        t.eq(os.readlink(f"/proc/{parsers[0]}/root"), EMPTY,
             "the parser is chrooted to --privsep-dir")
        t.eq(pst.get("NoNewPrivs", "").strip(), "1", "no_new_privs is set")
        t.ok(set(dst["Uid"].split()) == {str(t.OWNER_PW.pw_uid)},
             "the delivery child runs as the mailbox's owner only", dst["Uid"])
    else:
        print("# skip privilege checks: not root, nothing to drop")
    if pool:
        fds = sorted(int(f) for f in os.listdir(f"/proc/{pool[0]}/fd"))
        if os.environ.get("POPKIT_VALGRIND"):
            # valgrind keeps descriptors of its own at the top of the range.
            fds = [f for f in fds if f < 1000]
        t.eq((fds, fd_target(pool[0], 1), (fd_target(pool[0], 3) or "")[:7]),
             ([0, 1, 2, 3], "/dev/null", "socket:"),
             "it holds nothing of the connection: /dev/null, stderr, its socket")
        if t.sanitized():
            print("# skip the memory search: built with sanitizers, whose "
                  "shadow memory is terabytes of mappings")
        elif os.getuid() == 0:
            # The users file's password hashes are the root part's to
            # hold: the child runs a fresh image of the program (deliver.h),
            # not a fork of the root part's memory.
            with open(joe.users, "rb") as f:
                hashes = [ln.split(b":")[1] for ln in f if ln.count(b":") >= 3]
            t.ok(hashes and all(mem_holds(roots[0], h) for h in hashes),
                 "the root part's memory holds the users file's hashes "
                 "(the search finds them)")
            t.ok(not any(mem_holds(pool[0], h) for h in hashes),
                 "the delivery child's memory holds none of them")
    hwm = [int(s["VmHWM"].split()[0]) for s in (rst, pst, dst)]
    if not pool:
        hwm[2] = 0
    print(f"# peak RSS: root part {hwm[0]} kB, parser {hwm[1]} kB, "
          f"delivery child {hwm[2]} kB, together {sum(hwm)} kB")
    # The parser makes itself undumpable, so its maps are root's to read:
    # not root, the root part's (the same program, the same libraries).
    try:
        with open(f"/proc/{parsers[0]}/maps") as f:
            maps = f.read()
    except PermissionError:
        with open(f"/proc/{roots[0]}/maps") as f:
            maps = f.read()
    dynamic = "/ld-" in maps
    # Static (musl) the bound holds; a dynamic glibc build maps
    # its loader and libc into every process, some 3 MB each.
    bound = 12288 if dynamic else 1024
    if "libasan" in maps or "libubsan" in maps:
        print("# skip the RSS bound: built with sanitizers, whose shadow "
              "memory is most of it")
    elif os.environ.get("POPKIT_VALGRIND"):
        print("# skip the RSS bound: under valgrind, whose own memory is "
              "most of it")
    else:
        t.ok(sum(hwm) < bound, f"peak RSS of root part, parser and delivery "
             f"child: {sum(hwm)} kB (< {bound} kB, "
             f"{'dynamic' if dynamic else 'static'} build)")
# A delivery child that dies (killed between two messages) costs nothing:
# the next message of that owner gets a new one.
if pool:
    os.kill(pool[0], 9)
    # Dead means its descriptors are closed: a zombie the root part has
    # not reaped yet (it reaps at its next use).  A child that dies with
    # a request in flight fails that one mailbox (451): not this case.
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with open(f"/proc/{pool[0]}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.05)
    before = set(new_files(joe))
    c.mail("s@sender.test")
    c.rcpt("joe@example.org")
    eqd(c.data(b"Subject: again\r\n\r\nx\r\n")[0], 250,
        "the delivery child killed: the next message on the connection is delivered")
    t.eq(len(set(new_files(joe)) - before), 1, "... once, into new/")
    again = [k for k in children(roots[0]) if fd_target(k, 0) == "/dev/null"]
    t.ok(len(again) == 1 and again[0] != pool[0], "by a new delivery child",
         (pool, again))
c.quit()

# ---- the largest process of a connection, deliveries included ----
# GNU time's %M is wait4's ru_maxrss of the root part, which covers every
# descendant it waited for: the parser and each delivery child.  (Not
# from python: a child forked from it starts with python's pages.)
if os.access("/usr/bin/time", os.X_OK):
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss=%M", LMTPD, *ARGS],
                       input=transaction(["joe@example.org", "full@example.org"],
                                         b"Subject: rss\r\n\r\n" + b"r" * 4000
                                         + b"\r\n") + b"QUIT\r\n",
                       capture_output=True, timeout=20)
    eqd(codes(r.stdout)[-3:], ["250", "552", "221"],
        "a connection on pipes: both recipients answered", r.stdout)
    kb = int(r.stderr.decode().rsplit("maxrss=", 1)[-1].split()[0])
    print(f"# peak RSS of the largest process of a connection (root part, "
          f"parser, delivery children): {kb} kB")
    if "libasan" in maps or "libubsan" in maps or dynamic:
        print("# skip its bound: not a static build without sanitizers")
    else:
        t.ok(kb < 1024, f"no process of the connection peaked at 1 MB ({kb} kB)")
else:
    print("# skip the peak RSS of delivery children: no /usr/bin/time (Debian: time)")

# ---- OpenSMTPD's lmtp action: its own Return-Path and Delivered-To ----
OS_TOP = (b"Return-Path: <s@sender.test>\r\nDelivered-To: joe@example.org\r\n"
          b"Received: from mx.test (OpenSMTPD) with ESMTP id 1a2b3c4d\r\n")
for extra, want, what in (([], "554", "without --mta-delivered-to: a loop, 554 5.4.6"),
                          (["--mta-delivered-to"], "250",
                           "with --mta-delivered-to: delivered")):
    before = set(new_files(joe))
    r = subprocess.run([LMTPD, *ARGS, *extra],
                       input=transaction(["joe@example.org"],
                                         OS_TOP + b"Subject: smtpd\r\n\r\nx\r\n")
                       + b"QUIT\r\n", capture_output=True, timeout=20)
    eqd(codes(r.stdout)[-2:], [want, "221"], what, r.stdout + r.stderr)
added = sorted(set(new_files(joe)) - before)
t.eq(len(added), 1, "one message in new/")
if added:
    data = read_new(joe, added[0])
    eqd(data, OS_TOP.replace(b"\r\n", b"\n") + b"Subject: smtpd\n\nx\n",
        "stored with OpenSMTPD's lines once, none added")
    t.ok(",S=%d," % len(data) in added[0], "... ,S= of the file", added[0])

# ---- a set-up that fails still answers ----
if os.getuid() == 0:
    bad = os.path.join(t.WORK, "writable")
    os.mkdir(bad)
    os.chmod(bad, 0o777)
    r = subprocess.run([LMTPD, *ARGS, f"--privsep-dir={bad}"], input=b"LHLO c\r\n",
                       capture_output=True, timeout=20)
    eqd((r.returncode, r.stdout[:9]), (111, b"421 4.3.0"),
        "a world-writable privsep dir: 421 4.3.0 in place of the greeting, exit 111",
        r.stdout + r.stderr)
else:
    print("# skip the failed set-up: not root, no privsep directory to check")

# ---- started by an ordinary user: delivers as itself ----
if os.getuid() == 0:
    before = set(new_files(joe))
    r = subprocess.run(["setpriv", f"--reuid={t.OWNER_PW.pw_uid}",
                        f"--regid={t.OWNER_PW.pw_gid}", "--clear-groups",
                        LMTPD, *ARGS],
                       input=transaction(["joe@example.org"], b"Subject: self\r\n\r\nx\r\n")
                       + b"QUIT\r\n", capture_output=True, timeout=20)
    eqd(codes(r.stdout)[-2:], ["250", "221"], "as the mailbox's owner, not root: delivered", r.stdout + r.stderr)
    t.ok(b"without privilege separation" in r.stderr, "and the log says there is nothing to drop", r.stderr)
    t.eq(len(set(new_files(joe)) - before), 1, "one message in new/")
else:
    print("# skip the non-root run: we are not root already")

t.done()
