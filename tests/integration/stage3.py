#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""stage3 -- pop3-maildir run directly over a socketpair, as stage 2 would.

Every command, malformed and hostile command lines, two sessions at once, DELE+QUIT
removing exactly the right files, a dropped connection removing nothing,
a vanished file, and RETR bytes equal to the files after CRLF conversion.
As root the program runs as the mail owner (nobody), since it refuses
uid 0.  Prints TAP.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
from stage3lib import (OWNER, ROOT, TOP_BUILD, as_owner, chown_tree,  # noqa: E402
                       done, is_, ok, skip, work)

WORK, PROG = work("popkit-stage3.")
HOME = os.path.join(WORK, "home")
MD = os.path.join(HOME, "Maildir")


def fresh_maildir():
    shutil.rmtree(HOME, ignore_errors=True)
    for d in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(MD, d), 0o700)
    chown_tree(HOME)


SEQ = [0]


def deliver(data, sub="new", name=None, when=None):
    SEQ[0] += 1
    when = when or 1700000000 + SEQ[0]
    name = name or "%d.M%06dP%d.test" % (when, SEQ[0], os.getpid())
    path = os.path.join(MD, sub, name)
    with open(path, "wb") as f:
        f.write(data)
    chown_tree(path)
    return name


def wire(data):
    """What the client keeps of a message: CRLF line ends, final line end."""
    out = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    if out and not out.endswith(b"\n"):
        out += b"\n" if out.endswith(b"\r") else b"\r\n"
    return out


def stuff(data):
    return re.sub(rb"(?m)^\.", b"..", data) if data else data


class Session:
    def __init__(self, maildir="Maildir", root=False, env_extra=None,
                 args=()):
        self.sock, child = socket.socketpair()
        env = {"PATH": "/usr/bin:/bin", "HOME": HOME, "USER": "alice",
               "TCPREMOTEIP": "192.0.2.7"}
        env.update(env_extra or {})
        self.errfile = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [PROG] + list(args) + [maildir], stdin=child, stdout=child, stderr=self.errfile,
            cwd=HOME, env=env, preexec_fn=None if root else as_owner)
        child.close()
        self.sock.settimeout(20)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def multi(self):
        """Lines up to the dot line, raw (still stuffed), CRLF-joined."""
        out = []
        while True:
            ln = self.line()
            if ln == b".":
                return b"".join(x + b"\r\n" for x in out)
            out.append(ln)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def close(self):
        self.sock.close()
        return self.wait()

    def wait(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)   # as a client does at the end
        except OSError:
            pass
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "hung"
        self.errfile.seek(0)
        self.log = self.errfile.read().decode("utf-8", "replace")
        self.errfile.close()
        return rc


def files():
    return sorted(os.listdir(os.path.join(MD, "new")) +
                  os.listdir(os.path.join(MD, "cur")))


MESSAGES = [
    b"Subject: lf\n\nplain LF lines\nsecond\n",
    b"Subject: crlf\r\n\r\nCRLF lines\r\nkept\r\n",
    b"Subject: dots\n\n.\n..two\n.leading dot\nmid.dot\n",
    b"Subject: nonl\n\nno final newline",
    b"Subject: nul\n\nNUL\x00byte\n\x00\n",
    b"Subject: 8bit \xe9\xe8\n\n\xff\xfe\xc3\xa9t\xc3\xa9\n",
    b"Subject: cr\n\nlone\rCR\r\r\nand CR end\r",
    b"",
]


def test_everything():
    fresh_maildir()
    names = [deliver(m) for m in MESSAGES]
    # One already in cur/ with flags: keeps its place by time.
    cur_name = deliver(b"Subject: old\n\nin cur\n", "cur",
                       "1600000000.M1P1.old:2,S")
    msgs = [b"Subject: old\n\nin cur\n"] + MESSAGES
    uids = ["1600000000.M1P1.old"] + names
    total = sum(len(wire(m)) for m in msgs)

    s = Session()
    greet = s.line()
    is_(greet, b"+OK maildrop has %d messages (%d octets)" % (len(msgs), total),
        "login answered with counts")
    is_(s.cmd("STAT"), b"+OK %d %d" % (len(msgs), total), "STAT")
    is_(s.cmd("LIST"), b"+OK %d messages (%d octets)" % (len(msgs), total),
        "LIST +OK")
    want = b"".join(b"%d %d\r\n" % (i + 1, len(wire(m)))
                    for i, m in enumerate(msgs))
    is_(s.multi(), want, "LIST sizes are the converted sizes, oldest first")
    ok(s.cmd("UIDL").startswith(b"+OK"), "UIDL +OK")
    want = b"".join(b"%d %s\r\n" % (i + 1, u.encode())
                    for i, u in enumerate(uids))
    is_(s.multi(), want, "UIDL is the name before the colon")
    is_(s.cmd("LIST 3"), b"+OK 3 %d" % len(wire(msgs[2])), "LIST n")
    is_(s.cmd("uidl 2"), b"+OK 2 " + uids[1].encode(), "uidl n, lower case")
    good = 0
    for i, m in enumerate(msgs):
        r = s.cmd("RETR %d" % (i + 1))
        body = s.multi()
        if r == b"+OK %d octets" % len(wire(m)) and body == stuff(wire(m)):
            good += 1
        else:
            print("# RETR %d: %r %r" % (i + 1, r, body))
    is_(good, len(msgs), "RETR of every kind of message: exact bytes")
    is_(s.cmd("TOP 4 0"), b"+OK top of message follows", "TOP +OK")
    is_(s.multi(), b"Subject: dots\r\n\r\n", "TOP n 0: header and blank")
    s.cmd("TOP 4 2")
    is_(s.multi(), b"Subject: dots\r\n\r\n..\r\n...two\r\n", "TOP n 2, stuffed")
    s.cmd("TOP 2 99999999999999999999999")
    is_(s.multi(), stuff(wire(msgs[1])), "TOP with a huge line count")
    capa = s.cmd("CAPA")
    lines = s.multi().split(b"\r\n")
    # After login CAPA lists what the TRANSACTION state offers (RFC 2449
    # §5): no longer USER or SASL, which were listed here before.
    ok(capa.startswith(b"+OK") and b"TOP" in lines and b"UIDL" in lines and
       b"PIPELINING" in lines and b"RESP-CODES" in lines and
       b"AUTH-RESP-CODE" in lines and b"UTF8 USER" in lines and
       b"IMPLEMENTATION popkit" in lines and b"USER" not in lines and
       not any(l.startswith(b"SASL") for l in lines),
       "CAPA lists the TRANSACTION state's capabilities", lines)
    is_(s.cmd("NOOP"), b"+OK", "NOOP")
    is_(s.cmd("LAST"), b"+OK %d" % len(msgs), "LAST: highest RETR'd")

    # Bad input: each gets -ERR and the session goes on.
    bad = {
        "LIST 4294967297": "LIST 4294967297",
        "RETR 0": "RETR 0",
        "RETR -1": "RETR -1",
        "RETR 99": "RETR past the end",
        "RETR": "RETR without argument",
        "RETR 1 2": "RETR with two arguments",
        "TOP 1": "TOP without line count",
        "TOP 1 -1": "TOP with negative line count",
        "STAT 1": "STAT with an argument",
        "XYZZY": "unknown command",
        "USER alice": "USER in TRANSACTION state",
        "PASS secret": "PASS in TRANSACTION state",
        "AUTH PLAIN": "AUTH in TRANSACTION state",
        "STLS": "STLS after login",
        "": "empty line",
        "LIST 1x": "LIST with junk number",
    }
    for c, what in bad.items():
        ok(s.cmd(c).startswith(b"-ERR"), what + ": -ERR")
    s.send(b"NOOP " + b"x" * 400 + b"\r\n")
    ok(s.line().startswith(b"-ERR"), "overlong line: -ERR")
    s.send(b"ST\x00AT\r\n")
    ok(s.line().startswith(b"-ERR"), "NUL in a command: -ERR")
    is_(s.cmd("NOOP"), b"+OK", "session still fine after bad input")

    # DELE, STAT counting only undeleted, RSET, DELE twice.
    is_(s.cmd("DELE 2"), b"+OK message 2 deleted", "DELE")
    ok(s.cmd("DELE 2").startswith(b"-ERR"), "DELE twice: -ERR")
    ok(s.cmd("RETR 2").startswith(b"-ERR"), "RETR deleted: -ERR")
    ok(s.cmd("LIST 2").startswith(b"-ERR"), "LIST deleted: -ERR")
    is_(s.cmd("STAT"), b"+OK %d %d" % (len(msgs) - 1,
                                        total - len(wire(msgs[1]))),
        "STAT counts only undeleted")
    s.cmd("LIST")
    listed = [l.split(b" ")[0] for l in s.multi().split(b"\r\n") if l]
    ok(b"2" not in listed and b"3" in listed, "LIST leaves out the deleted one")
    ok(s.cmd("RSET").startswith(b"+OK"), "RSET")
    is_(s.cmd("STAT"), b"+OK %d %d" % (len(msgs), total), "RSET unmarks")
    is_(s.cmd("LAST"), b"+OK 0", "LAST after RSET is 0")
    s.cmd("DELE 1")
    s.cmd("dele 4")
    before = files()
    is_(s.cmd("QUIT"), b"+OK bye", "QUIT")
    is_(s.wait(), 0, "exit 0 after QUIT")
    after = files()
    gone = sorted(set(before) - set(after))
    ok(len(gone) == 2 and gone[0].startswith("1600000000.M1P1.old") and
       gone[1].startswith(names[2]), "DELE+QUIT removed exactly messages 1 and 4",
       gone)
    ok(os.listdir(os.path.join(MD, "new")) == [], "new/ emptied at login")
    # This used to assert that the move added ",W=<size>" before the
    # colon; now the base is never changed (clients key their UIDLs and
    # Dovecot its IMAP UIDs on it).  The RETRs came before
    # the RSET, which forgets them (as Dovecot does): no S.
    is_(sorted(os.listdir(os.path.join(MD, "cur"))),
        sorted(n + ":2," for i, n in enumerate(names) if i != 2),
        "moved messages keep their names, :2, added; RSET forgot the RETRs")
    # The keys come last, as in every stage's lines (log.h).
    ok(re.search(r"login: messages=9 .* user=alice rip=192\.0\.2\.7", s.log) and
       re.search(r"logout: reason=quit top=\d+/\d+ retr=9/\d+ del=2/\d+ "
                 r"size=\d+ user=alice rip=192\.0\.2\.7", s.log),
       "login and logout logged", s.log)

    # The next session: same UIDLs, sizes from names without reading.
    s = Session()
    s.line()
    s.cmd("UIDL")
    got = [l.split(b" ")[1].decode() for l in s.multi().split(b"\r\n") if l]
    is_(got, [u for i, u in enumerate(uids) if i not in (0, 3)],
        "UIDLs stable after the move to cur/")
    s.cmd("QUIT")
    s.wait()
    ok("read=0" in s.log, "unchanged Maildir: no file read for sizes", s.log)


def cur_names():
    return sorted(os.listdir(os.path.join(MD, "cur")))


def test_names_kept():
    """Issue 11: the name before the colon is never changed (Dovecot keys
    IMAP UIDs by it); UIDL is that name as qmail-pop3d and Dovecot's %f
    show it; sizes come from ,W= or are counted once."""
    fresh_maildir()
    plain = b"Subject: plain\n\nqmail-local names it\n"
    sized = b"Subject: S\n\nmaildrop writes S=\n"
    dove = b"Subject: SW\n\nDovecot writes S= and W=\n"
    flagged = b"Subject: keyword\n\nin new/ with an info already\n"
    spaced = b"Subject: hostile\n\na name with a space\n"
    n_plain = deliver(plain)
    n_sized = deliver(sized, name="1700000100.M1P1.mx,S=%d" % len(sized))
    n_dove = deliver(dove, name="1700000101.M2P1.mx,S=%d,W=%d" %
                     (len(dove), len(wire(dove))))
    n_flag = deliver(flagged, name="1700000102.M3P1.mx:2,Fa")
    n_space = deliver(spaced, name="1700000103.M4P1.a host")
    bodies = [plain, sized, dove, flagged, spaced]
    names = [n_plain, n_sized, n_dove, n_flag, n_space]
    s = Session()
    s.line()
    s.cmd("UIDL")
    uidl = s.multi().split(b"\r\n")[:-1]
    is_([u.split(b" ", 1)[1].decode() for u in uidl[:4]],
        [n_plain, n_sized, n_dove, n_flag.split(":")[0]],
        "UIDL = the name before the colon, ,S= and ,W= included")
    sp = uidl[4].split(b" ", 1)[1]
    ok(re.fullmatch(rb"[0-9a-f]{32}", sp), "a name with a space: a digest", sp)
    s.cmd("LIST")
    is_(s.multi(), b"".join(b"%d %d\r\n" % (i + 1, len(wire(b)))
                            for i, b in enumerate(bodies)),
        "sizes exact with and without ,W=")
    is_(cur_names(), sorted([n_plain + ":2,", n_sized + ":2,", n_dove + ":2,",
                             n_flag, n_space + ":2,"]),
        "moved new/ -> cur/: base kept, :2, added, an info kept as it is")
    s.cmd("QUIT")
    s.wait()
    ok(re.search(r"moved=5 moving=0 read=4 ", s.log),
       "four read for their size (W= trusted), five really moved", s.log)
    s = Session()
    s.line()
    s.cmd("UIDL")
    is_(s.multi().split(b"\r\n")[:-1], uidl, "UIDLs the same next session")
    s.cmd("QUIT")
    s.wait()
    ok("read=0" in s.log, "sizes from the cache: nothing read", s.log)


def test_seen():
    """RETR (not TOP) sets S at QUIT, flags in ASCII order, keywords
    kept; DELE still removes; --no-seen and a dropped session set none."""
    fresh_maildir()
    names = [deliver(b"Subject: %d\n\nbody\n" % i) for i in range(4)]
    kw = deliver(b"Subject: kw\n\nkeywords\n", "cur",
                 "1700000200.M1P1.kw,S=20:2,TRb")
    s = Session()
    s.line()
    for c in ("RETR 1", "TOP 2 0", "RETR 3", "DELE 3", "RETR 5"):
        s.cmd(c)
        if not c.startswith("DELE"):
            s.multi()
    s.cmd("QUIT")
    s.wait()
    is_(cur_names(), sorted([names[0] + ":2,S", names[1] + ":2,",
                             names[3] + ":2,", "1700000200.M1P1.kw,S=20:2,RSTb"]),
        "RETR'd: S added in order; TOP'd: untouched; DELE'd: removed")
    s = Session()
    s.line()
    s.cmd("UIDL")
    got = [l.split(b" ")[1].decode() for l in s.multi().split(b"\r\n") if l]
    is_(got, [names[0], names[1], names[3], "1700000200.M1P1.kw,S=20"],
        "UIDLs unchanged by the seen flag")
    s.cmd("RETR 1")       # already seen: nothing to do
    s.multi()
    s.cmd("RETR 2")       # then RSET forgets it
    s.multi()
    s.cmd("RSET")
    s.cmd("RETR 3")
    s.multi()
    s.close()             # dropped: no UPDATE state, no flag
    is_(cur_names(), sorted([names[0] + ":2,S", names[1] + ":2,",
                             names[3] + ":2,", "1700000200.M1P1.kw,S=20:2,RSTb"]),
        "dropped session: no flag set")
    s = Session(args=["--no-seen"])
    s.line()
    s.cmd("RETR 2")
    s.multi()
    s.cmd("QUIT")
    s.wait()
    is_(cur_names(), sorted([names[0] + ":2,S", names[1] + ":2,",
                             names[3] + ":2,", "1700000200.M1P1.kw,S=20:2,RSTb"]),
        "--no-seen: RETR sets no flag")
    s = Session()
    s.line()
    s.cmd("RETR 2")
    s.multi()
    s.cmd("RETR 3")
    s.multi()
    s.cmd("RSET")
    s.cmd("RETR 3")
    s.multi()
    is_(s.cmd("QUIT"), b"+OK bye", "QUIT after RETR, RSET, RETR")
    s.wait()
    is_(cur_names(), sorted([names[0] + ":2,S", names[1] + ":2,",
                             names[3] + ":2,S", "1700000200.M1P1.kw,S=20:2,RSTb"]),
        "RSET forgets earlier RETRs; the one after it is seen")
    s = Session()
    s.line()
    s.cmd("STAT")
    s.cmd("QUIT")
    s.wait()
    ok("read=0 listing=1" in s.log, "the session after the flags: from the listing",
       s.log)


def strace_session(tmpl, when, nmsg):
    """A first session on nmsg new messages with every renameat2 from the
    when-th on failing with ENOSPC (strace's fault injection: the binary
    is static, so LD_PRELOAD cannot reach it).  Returns (session log,
    names in new/, in cur/) or None when strace cannot trace here."""
    fresh_maildir()
    for i in range(nmsg):
        deliver(b"Subject: %d\n\nfull disk\n" % i)
    cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat2",
           "-e", "inject=renameat2:error=ENOSPC:when=%d+" % when]
    if ROOT:
        cmd += ["-u", OWNER.pw_name]
    sock, child = socket.socketpair()
    err = tempfile.TemporaryFile()
    env = {"PATH": "/usr/bin:/bin", "HOME": HOME, "USER": "alice",
           "TCPREMOTEIP": "192.0.2.7"}
    p = subprocess.Popen(cmd + [PROG, "Maildir"], stdin=child, stdout=child,
                         stderr=err, cwd=HOME, env=env)
    child.close()
    sock.settimeout(30)
    f = sock.makefile("rb")
    greet = f.readline()
    if not greet.startswith(b"+OK"):
        p.kill()
        p.wait()
        err.seek(0)
        print("# strace: %r %r" % (greet, err.read()[:300]))
        return None
    sock.sendall(b"STAT\r\nQUIT\r\n")
    f.readline()
    f.readline()
    sock.close()
    p.wait(timeout=60)
    err.seek(0)
    log = err.read().decode("utf-8", "replace")
    return log, os.listdir(os.path.join(MD, "new")), cur_names()


def test_move_failures():
    """Issue 11: a full disk made 382 of 400 renames fail while the log
    said moved=400.  Now each reason is logged once with its count, moved=
    counts what really moved, and nothing is lost."""
    if not shutil.which("strace"):
        for _ in range(6):
            skip("strace is not installed")
        return
    r = strace_session(None, 4, 10)
    if r is None:
        for _ in range(6):
            skip("strace cannot trace here (ptrace refused)")
        return
    log, new, cur = r
    ok(len(new) == 7 and len(cur) == 3, "few messages, ENOSPC from the 4th: "
       "3 in cur/, 7 kept in new/", (new, cur))
    ok(re.search(r"cannot move 7 messages from new/ to cur/: No space left on device", log)
       and re.search(r"login: .* moved=3 moving=0 ", log),
       "reason logged once with its count; login moved=3", log)
    n = 400
    r = strace_session(None, 19, n)
    log, new, cur = r
    # strace counts calls per process: the helper's 19th fails on; the
    # listing refresh after QUIT (this process) retries and gets 18 more.
    bases = sorted(new + [c.split(":")[0] for c in cur])
    ok(len(bases) == n and len(set(bases)) == n and 18 <= len(cur) <= 36,
       "400 messages (the helper renames), ENOSPC from the 19th: nothing lost, "
       "each once, the rest kept in new/", (len(new), len(cur)))
    ok(re.search(r"login: .* moved=0 moving=400 ", log) and
       re.search(r"moved: moved=18 failed=382 user=alice rip=192\.0\.2\.7", log),
       "login line says what is under way, the end says what moved", log)
    is_(len(re.findall(r"cannot move", log)), 1,
        "one line for 382 failures, not 382 lines")
    ok("cannot move 382 messages from new/ to cur/: No space left on device" in log,
       "with the reason and the count", log)


def test_pipelining():
    fresh_maildir()
    m = [b"one\n", b"two\r\n"]
    for x in m:
        deliver(x)
    s = Session()
    s.send(b"STAT\r\nLIST\r\nRETR 1\r\nRETR 2\r\nUIDL\r\nQUIT\r\n")
    got = [s.line(), s.line()]
    got += [s.multi()]
    got += [s.line(), s.multi(), s.line(), s.multi(), s.line(), s.multi(),
            s.line()]
    ok(got[0].startswith(b"+OK maildrop has 2 messages"),
       "pipelined: login answer", got[0])
    is_(got[1], b"+OK 2 10", "pipelined: STAT")
    is_(got[4], b"one\r\n", "pipelined: RETR 1")
    is_(got[6], b"two\r\n", "pipelined: RETR 2")
    is_(got[-1], b"+OK bye", "pipelined: QUIT")
    is_(s.wait(), 0, "pipelined: exit 0")


def test_retr_sizes():
    """RETR reads no more than the listing's size says, without fstat:
    a short read ends the file.  Messages of every size around the output
    buffer and the read chunk, pipelined 40 at a time, come out exact; a
    name whose W understates the file still gets the whole file."""
    fresh_maildir()
    sizes = [1, 100, 4095, 4096, 4097, 32000, 32769, 65535, 65536, 70000,
             262143, 262144, 262145, 600000]
    bodies = []
    for i, n in enumerate(sizes):
        line = b".dot line\n" if i % 2 else b"plain line\r\n"
        body = (line * (n // len(line) + 1))[:n]
        bodies.append(body)
        deliver(body)
    liar = b"Subject: W lies\n\n" + b"x" * 5000 + b"\n"
    deliver(liar, "cur", "1800000000.M1P1.liar,W=%d:2," % len(liar))
    s = Session()
    s.line()
    cmds = b"".join(b"RETR %d\r\n" % (i + 1) for i in range(len(sizes)))
    s.send(cmds * 3)
    bad = []
    for k in range(3 * len(sizes)):
        i = k % len(sizes)
        head, body = s.line(), s.multi()
        if head != b"+OK %d octets" % len(wire(bodies[i])) or \
                body != stuff(wire(bodies[i])):
            bad.append((k, head, len(body)))
    is_(bad, [], "RETR of 14 sizes around the buffers, pipelined: exact")
    s.cmd("RETR %d" % (len(sizes) + 1))
    is_(s.multi(), stuff(wire(liar)), "W understating the file: whole file sent")
    s.cmd("TOP 1 0")
    is_(s.multi(), b"p\r\n", "TOP 1 0 of a 1-byte message: all header, line ended")
    s.cmd("QUIT")
    is_(s.wait(), 0, "RETR sizes: exit 0")


def test_fetch_loop():
    """Fetching one message after another, each RETR sent only after the
    last answer, with pauses: over a socket, and over plain pipes."""
    fresh_maildir()
    bodies = [b"Subject: %d\n\n%s\n" % (i, b"x" * (i * 37)) for i in range(40)]
    for b in bodies:
        deliver(b)
    s = Session()
    s.line()
    got = []
    for i in range(len(bodies)):
        s.cmd("RETR %d" % (i + 1))
        got.append(s.multi())
        if i % 10 == 9:
            time.sleep(0.01)   # a pause: the next wait sleeps
    is_(got, [stuff(wire(b)) for b in bodies], "fetch loop over a socket: exact")
    is_(s.cmd("QUIT"), b"+OK bye", "fetch loop: QUIT")
    is_(s.wait(), 0, "fetch loop: exit 0")
    env = {"PATH": "/usr/bin:/bin", "HOME": HOME, "USER": "alice"}
    p = subprocess.Popen([PROG, "Maildir"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         cwd=HOME, env=env, preexec_fn=as_owner)
    f = p.stdout
    f.readline()
    outs = []
    for i in range(3):
        p.stdin.write(b"RETR %d\r\n" % (i + 1))
        p.stdin.flush()
        f.readline()
        body = b""
        while not body.endswith(b"\r\n.\r\n"):
            body += f.readline()
        outs.append(body[:-3])
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    is_((outs, f.read()), ([stuff(wire(b)) for b in bodies[:3]], b"+OK bye\r\n"),
        "fetch loop over pipes: exact")
    is_(p.wait(timeout=20), 0, "fetch loop over pipes: exit 0")


def test_drops_and_locks():
    fresh_maildir()
    small = deliver(b"small\n")
    big = b"".join(b"line %d of a big message\n" % i for i in range(300000))
    bigname = deliver(big)
    n_files = len(files())

    s = Session()
    s.line()
    s.cmd("DELE 1")
    rc = s.close()
    is_(rc, 0, "dropped connection: exit 0")
    is_(len(files()), n_files, "dropped connection deletes nothing")
    ok("reason=disconnected" in s.log, "logged as disconnected", s.log)

    s = Session()
    s.line()
    s.cmd("DELE 1")
    s.send(b"RETR 2\r\n")
    s.sock.recv(1000)
    rc = s.close()
    is_(rc, 0, "disconnect mid-RETR: exit 0")
    is_(len(files()), n_files, "disconnect mid-RETR deletes nothing")

    a = Session()
    ok(a.line().startswith(b"+OK"), "first session in")
    b = Session()
    greet = b.line()
    ok(greet.startswith(b"-ERR [IN-USE]"), "second session: -ERR [IN-USE]",
       greet)
    is_(b.wait(), 0, "second session exits 0")
    ok(files() == sorted(os.listdir(os.path.join(MD, "new")) +
                         os.listdir(os.path.join(MD, "cur"))) and
       len(files()) == n_files, "refused session touched nothing")
    a.proc.send_signal(signal.SIGKILL)
    a.wait()
    a.sock.close()
    c = Session()
    ok(c.line().startswith(b"+OK"), "killed session's lock taken over")
    # Mail arriving during a session waits for the next one.
    late = deliver(b"late\n")
    is_(c.cmd("STAT").split(b" ")[1], b"2", "mail arriving now is not shown")
    # A file vanishing under the session.
    for f in os.listdir(os.path.join(MD, "cur")):
        if f.startswith(small):
            os.unlink(os.path.join(MD, "cur", f))
    r = c.cmd("RETR 1")
    ok(r.startswith(b"-ERR") and b"\r\n" not in r, "vanished file: clean -ERR", r)
    is_(c.cmd("NOOP"), b"+OK", "session goes on after a vanished file")
    is_(c.cmd("DELE 1"), b"+OK message 1 deleted", "DELE of a vanished one")
    # A flag change by another program does not lose the message.
    for f in os.listdir(os.path.join(MD, "cur")):
        if f == bigname + ":2,":
            os.rename(os.path.join(MD, "cur", f), os.path.join(MD, "cur", f + "S"))
    r = c.cmd("RETR 2")
    body = c.multi()
    ok(r.startswith(b"+OK") and body == stuff(wire(big)),
       "message renamed by another program still retrieved")
    is_(c.cmd("QUIT"), b"+OK bye", "QUIT with a vanished message marked")
    c.wait()
    d = Session()
    ok(d.line().startswith(b"+OK maildrop has 2 messages"),
       "late mail seen by the next session")
    d.cmd("UIDL")
    ok(late.encode() in d.multi(), "late mail listed")
    d.cmd("QUIT")
    d.wait()


def test_back_to_back():
    fresh_maildir()
    deliver(b"hello\n")
    bad = []
    for i in range(15):
        s = Session()
        g = s.line()
        if not g.startswith(b"+OK"):
            bad.append(g)
        if i % 3 != 2:         # every third one drops, then redials
            s.cmd("QUIT")
        s.sock.close()
        s.wait()
    is_(bad, [], "15 sessions back to back (QUIT or drop, then redial): "
        "never [IN-USE]")


def test_quit_over_tcp():
    """QUIT with more input queued behind it, over real TCP: answered,
    and the process ends (its half-close and drain are bounded)."""
    fresh_maildir()
    deliver(b"x\n")
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    cli = socket.create_connection(lsock.getsockname())
    srv, _ = lsock.accept()
    lsock.close()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([PROG, "Maildir"], stdin=srv, stdout=srv,
                            stderr=err, cwd=HOME, preexec_fn=as_owner,
                            env={"PATH": "/usr/bin:/bin", "HOME": HOME})
    srv.close()
    cli.settimeout(20)
    got = b""
    try:
        cli.sendall(b"STAT\r\nQUIT\r\n" + b"NOOP\r\n" * 2000)
        while b"+OK bye\r\n" not in got:
            d = cli.recv(65536)
            if not d:
                break
            got += d
    except OSError as e:
        got += repr(e).encode()
    ok(got.endswith(b"+OK bye\r\n"), "QUIT answered with input queued behind it (TCP)",
       got[-200:])
    cli.close()
    is_(proc.wait(timeout=20), 0, "exit 0 after QUIT over TCP")
    err.close()


def test_qmail_maildir():
    """A Maildir qmail-pop3d served: old names in cur/, no size fields.
    Same UIDLs as qmail gave; sizes read once, then from the caches."""
    fresh_maildir()
    msgs = {"1600000001.4242.oldhost:2,": b"Subject: a\n\nold one\n",
            "1600000002.4243.oldhost:2,S": b"Subject: b\r\n\r\nCRLF\r\n",
            "1600000003.4244.oldhost": b"no newline"}
    for name, data in msgs.items():
        deliver(data, "cur", name)
    order = sorted(msgs)
    reads = []
    for i in range(3):
        s = Session()
        s.line()
        s.cmd("UIDL")
        uidl = s.multi()
        s.cmd("LIST")
        sizes = s.multi()
        s.cmd("QUIT")
        s.wait()
        reads.append(re.search(r"read=(\d+) listing=(\d)", s.log).groups())
        time.sleep(0.1)   # past the listing cache's clock-tick guard
    is_(uidl, b"".join(b"%d %s\r\n" % (i + 1, n.split(":")[0].encode())
                       for i, n in enumerate(order)),
        "qmail names: UIDLs as qmail-pop3d gave them")
    is_(sizes, b"".join(b"%d %d\r\n" % (i + 1, len(wire(msgs[n])))
                        for i, n in enumerate(order)),
        "qmail names: sizes exact")
    is_(reads[0][0], "3", "first session reads the three files")
    ok(reads[1][0] == "0" and reads[2] == ("0", "1"),
       "later sessions read no file (size cache, then listing cache)", reads)


def param(name):
    """A limit from lib/params.h."""
    src = os.environ.get("top_srcdir") or os.path.join(TOP_BUILD)
    with open(os.path.join(src, "lib", "params.h")) as f:
        return int(re.search(r"#define %s (\d+)" % name, f.read()).group(1))


def test_many_new():
    """A first session with more new mail than MAILDIR_MOVE_ASYNC_MIN:
    the renames to cur/ go on behind the answers; every command sees the
    right messages, QUIT waits for them before it removes one, nothing is
    lost."""
    fresh_maildir()
    n = param("MAILDIR_MOVE_ASYNC_MIN") + 50
    bodies = [b"Subject: %d\n\n%s" % (i, b"line\n.dot\n" * (i % 9) +
              (b"end" if i % 4 == 0 else b"end\n")) for i in range(n)]
    names = [deliver(b) for b in bodies]
    s = Session()
    first = s.line()
    total = sum(len(wire(b)) for b in bodies)
    is_(first, b"+OK maildrop has %d messages (%d octets)" % (n, total),
        "many new: login answer with exact counts")
    is_(s.cmd("STAT"), b"+OK %d %d" % (n, total), "many new: STAT")
    s.cmd("UIDL")
    is_(s.multi(), b"".join(b"%d %s\r\n" % (i + 1, nm.encode())
                             for i, nm in enumerate(names)),
        "many new: UIDL while moving")
    s.cmd("LIST")
    is_(s.multi(), b"".join(b"%d %d\r\n" % (i + 1, len(wire(b)))
                             for i, b in enumerate(bodies)),
        "many new: LIST while moving")
    r = s.cmd("RETR %d" % n)
    is_((r, s.multi()), (b"+OK %d octets" % len(wire(bodies[-1])),
                         stuff(wire(bodies[-1]))), "many new: RETR of the last")
    is_(s.cmd("DELE 2"), b"+OK message 2 deleted", "many new: DELE")
    is_(s.cmd("QUIT"), b"+OK bye", "many new: QUIT")
    is_(s.wait(), 0, "many new: exit 0")
    is_(os.listdir(os.path.join(MD, "new")), [], "many new: new/ emptied")
    # It used to want NAME,W=<size>:2, here: the move kept no base then.
    # Now NAME:2, (the base is the message's identity for clients and
    # Dovecot), and the one RETR'd is seen.
    want = sorted(nm + (":2,S" if i == n - 1 else ":2,")
                  for i, nm in enumerate(names) if i != 1)
    is_(sorted(os.listdir(os.path.join(MD, "cur"))), want,
        "many new: all but the deleted one in cur/, names kept")
    s = Session()
    is_(s.line(), b"+OK maildrop has %d messages (%d octets)" %
        (n - 1, total - len(wire(bodies[1]))), "many new: next session")
    s.cmd("QUIT")
    s.wait()
    ok("moved=0 moving=0 read=0 listing=1" in s.log,
       "many new: next session from the listing the first one saved", s.log)


def test_many_new_quit_at_once():
    """QUIT right after login on a first session with many new messages
    and nothing deleted: answered at once, the renames finish after the
    answer, and the next session comes from the listing saved then."""
    fresh_maildir()
    n = param("MAILDIR_MOVE_ASYNC_MIN") + 50
    bodies = [b"Subject: %d\n\nbody\n" % i for i in range(n)]
    for b in bodies:
        deliver(b)
    s = Session()
    s.line()
    is_(s.cmd("QUIT"), b"+OK bye", "many new, QUIT at once: answered")
    is_(s.wait(), 0, "many new, QUIT at once: exit 0")
    is_((os.listdir(os.path.join(MD, "new")),
         len(os.listdir(os.path.join(MD, "cur")))), ([], n),
        "many new, QUIT at once: every message moved to cur/")
    s = Session()
    is_(s.line(), b"+OK maildrop has %d messages (%d octets)" %
        (n, sum(len(wire(b)) for b in bodies)),
        "many new, QUIT at once: next session sees them all")
    s.cmd("QUIT")
    s.wait()
    ok("moved=0 moving=0 read=0 listing=1" in s.log,
       "many new, QUIT at once: next session from the listing", s.log)


def test_idle():
    fresh_maildir()
    deliver(b"keep me\n")
    n = len(files())
    s = Session(args=["-t", "1"])
    s.line()
    s.cmd("DELE 1")
    try:
        rest = s.sock.recv(100)
    except socket.timeout:
        rest = b"(still open)"
    is_(rest, b"", "idle timeout: closed without a response (RFC 1939)")
    is_(s.wait(), 0, "idle timeout: exit 0")
    is_(len(files()), n, "idle timeout deletes nothing")
    ok("reason=idle-timeout " in s.log, "idle timeout logged", s.log)
    for bad in (["-t", "0"], ["-t", "601"], ["-t", "x"], ["-x"]):
        r = subprocess.run([PROG] + bad + ["Maildir"], capture_output=True)
        ok(r.returncode == 2 and b"usage:" in r.stderr,
           "bad option %s: usage, 2" % " ".join(bad))


def test_startup():
    fresh_maildir()
    s = Session(maildir="NoSuchMaildir")
    r = s.line()
    ok(r.startswith(b"-ERR [SYS/TEMP]"), "missing Maildir: -ERR [SYS/TEMP]", r)
    is_(s.wait(), 0, "missing Maildir: exit 0 (it spoke)")
    if ROOT:
        s = Session(root=True)
        r = s.line()
        ok(r.startswith(b"-ERR [SYS/PERM]"), "uid 0 refused", r)
        is_(s.wait(), 0, "uid 0: exit 0 after answering")
        is_(files(), [], "uid 0: nothing touched")
    else:
        skip("uid 0 check needs root")
        skip("uid 0 check needs root")
        skip("uid 0 check needs root")
    r = subprocess.run([PROG, "--help"], capture_output=True)
    ok(r.returncode == 0 and r.stdout.startswith(b"usage:"), "--help: usage, 0")
    ok(b"--no-seen" in r.stdout, "--help names --no-seen")
    r = subprocess.run([PROG], capture_output=True)
    ok(r.returncode == 2 and b"usage:" in r.stderr, "no argument: usage, 2")
    r = subprocess.run([PROG, "a", "b"], capture_output=True)
    is_(r.returncode, 2, "two arguments: 2")


def login_log(args=()):
    """One session that logs in and quits: its login line's numbers."""
    s = Session(args=args)
    s.line()
    s.cmd("QUIT")
    s.wait()
    m = re.search(r"moved=(\d+) moving=\d+ read=\d+ listing=(\d)", s.log)
    return (int(m.group(1)), int(m.group(2))) if m else s.log


def test_settle():
    """--settle: the listing cache waits for the directories to be older
    than the skew margin (shared storage) before it is saved; without
    it, on this local file system, the session right after one that
    moved mail already comes from the listing."""
    fresh_maildir()
    deliver(b"one\n")
    is_(login_log(), (1, 0), "a session moves the new message")
    is_(login_log(), (0, 1), "local, no margin: the next one uses the "
        "listing its QUIT saved")
    fresh_maildir()
    deliver(b"two\n")
    opt = ["--settle=4000"]
    is_(login_log(opt), (1, 0), "--settle=4000: a session moves it")
    is_(login_log(opt), (0, 0), "the next one at once: the directories are "
        "younger than the margin, read again, nothing saved")
    time.sleep(4.3)
    is_(login_log(opt), (0, 0), "past the margin: read once more, and saved")
    is_(login_log(opt), (0, 1), "then the listing is used")


def main():
    test_everything()
    test_names_kept()
    test_seen()
    test_move_failures()
    test_pipelining()
    test_retr_sizes()
    test_fetch_loop()
    test_drops_and_locks()
    test_back_to_back()
    test_quit_over_tcp()
    test_qmail_maildir()
    test_many_new()
    test_many_new_quit_at_once()
    test_idle()
    test_startup()
    test_settle()
    done()


main()
