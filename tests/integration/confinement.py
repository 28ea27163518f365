#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The delivery processes, confined (popkit-deliver(8), popkit-lmtpd(8)):
each mailbox's delivery child, caught alive where it writes the Maildir
(the test twins stop it there: lib/fault.h, POPKIT_FAULT_STOP=deliver),
shows in /proc/PID/status no_new_privs and no capability, its bounding
set empty when it was root; the forward child's sendmail (a stand-in
that copies its own status), from the twin and from the installed
popkit-lmtpd (musl's static build when configured), no capability and
an empty bounding set,
and no no_new_privs, so that a set-group-ID sendmail (Postfix's
postdrop) still gets its group and a set-user-ID-root one (Exim's) its
root."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

HERE = os.path.join(t.TOP_BUILD, "tests", "integration")
PD = os.path.join(HERE, "popkit-deliver-fault")
LMTPD = os.path.join(HERE, "popkit-lmtpd-fault")
SM_STATUS = os.path.join(HERE, "sendmail_status")
for p in (PD, LMTPD, SM_STATUS):
    if not os.access(p, os.X_OK):
        print(f"Bail out! {os.path.basename(p)} not built")
        sys.exit(1)

ROOT = os.getuid() == 0
Z = "0000000000000000"
CAPS = ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd")
W = t.WORK
ALIASES = os.path.join(W, "aliases")
os.mkdir(ALIASES)
joe = t.Mailbox("joe@abc.com")
with open(os.path.join(ALIASES, "abc.com"), "w") as f:
    f.write("fwd: kim@outside.example\n")
MSG = b"Subject: confined\r\nFrom: a@b.example\r\n\r\nbody\r\n"


def status_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict((k, v.strip()) for k, v in
                    (ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln))


def descendants(pid):
    """Every process below pid, by the PPid of each in /proc."""
    parent = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            parent[int(p)] = int(status_of(p)["PPid"])
        except (OSError, KeyError, ValueError):
            pass
    out, todo = [], [pid]
    while todo:
        top = todo.pop()
        kids = [c for c, pp in parent.items() if pp == top]
        out += kids
        todo += kids
    return out


def stopped_below(pid, secs=20):
    """The one process below pid stopped by the twin's hook, and its
    status read while it is stopped there; (None, None) if none came."""
    deadline = time.time() + secs
    while time.time() < deadline:
        for c in descendants(pid):
            try:
                st = status_of(c)
            except OSError:
                continue
            if st.get("State", "").startswith("T"):
                return c, st
        time.sleep(0.05)
    return None, None


def check_confined(st, who):
    """Assert what a confined delivery child shows in its status."""
    t.eq(st.get("NoNewPrivs"), "1", f"{who}: NoNewPrivs: 1")
    want = {k: Z for k in CAPS}
    got = {k: st.get(k) for k in CAPS}
    if ROOT:
        t.eq(st["Uid"].split(), [str(t.OWNER_PW.pw_uid)] * 4,
             f"{who}: real, effective, saved and fs uid are the owner's")
        t.eq(got, want, f"{who}: CapInh, CapPrm, CapEff, CapAmb and CapBnd all 0")
    else:
        del want["CapBnd"], got["CapBnd"]
        t.eq(got, want, f"{who}: not root: no capability (no bounding set "
                        "to empty as a user)")


# ---- popkit-deliver: the mailbox's delivery child ----
env = {"PATH": "/usr/bin:/bin", "POPKIT_FAULT_STOP": "deliver"}
p = subprocess.Popen([PD, "-f", joe.users, "-a", ALIASES, "-r", "a@b.example",
                      "joe@abc.com"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
t._procs.append(p)
p.stdin.write(MSG)
p.stdin.close()
child, st = stopped_below(p.pid)
if not t.ok(child is not None, "popkit-deliver: the delivery child caught "
            "where it writes the Maildir"):
    t.done()
check_confined(st, "popkit-deliver's delivery child")
os.kill(child, signal.SIGCONT)
err = p.stderr.read()
p.wait(timeout=60)
t.eq(p.returncode, 0, "let go, it delivers: exit 0")
t.eq(len(os.listdir(os.path.join(joe.maildir, "new"))), 1, "the message is in new/")
if ROOT:
    parent = status_of(os.getpid())  # the suite's own, for comparison
    t.ok(parent["CapEff"] != Z, "(the test itself runs with capabilities: "
         "the zeros above are the drop's)", parent["CapEff"])

# ---- popkit-lmtpd: the root part's delivery child ----
EMPTY = t.privsep_dir()
log = open(os.path.join(W, "server.log"), "ab")
def lmtpd_serving(prog, what, extra=(), env=None):
    """prog under tcpserver on a free loopback port, over joe's users file
    and the aliases; its port."""
    port = t.free_port()
    srv = subprocess.Popen(["tcpserver", "-R", "-H", "-l0", "127.0.0.1",
                            str(port), prog, "-f", joe.users, "-a", ALIASES,
                            f"--privsep-dir={EMPTY}", "--hostname=lmtp.test",
                            *extra],
                           stdout=subprocess.DEVNULL, stderr=log, env=env)
    t._procs.append(srv)
    if not t.wait_port(port):
        print(f"Bail out! {what} under tcpserver did not start")
        sys.exit(1)
    return srv, port


def transaction(port, rcpt, timeout):
    """A connection that sends one message to rcpt and QUIT at once; the
    socket, for the caller to read with t.read_to_close."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(b"LHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<" + rcpt +
              b">\r\nDATA\r\n" + MSG + b".\r\nQUIT\r\n")
    return s


server, PORT = lmtpd_serving(LMTPD, "popkit-lmtpd-fault",
                             env=dict(os.environ, POPKIT_FAULT_STOP="deliver"))
s = transaction(PORT, b"joe@abc.com", 30)
child, st = stopped_below(server.pid)
if t.ok(child is not None, "popkit-lmtpd: a delivery child caught where it "
        "writes the Maildir"):
    check_confined(st, "popkit-lmtpd's delivery child")
    os.kill(child, signal.SIGCONT)
out = t.read_to_close(s)
replies = out.split(b"\r\n")
t.ok(any(r.startswith(b"354") for r in replies) and
     replies[replies.index(next(r for r in replies if r.startswith(b"354"))) + 1]
     .startswith(b"250"), "let go, it delivers: 250 after DATA", out)
t.eq(len(os.listdir(os.path.join(joe.maildir, "new"))), 2, "the message is in new/")


# ---- the forward child, through stand-in sendmails ----
def forward(sm):
    """Forward one message through sm; (exit code, its status or None)."""
    res = os.path.join(os.path.dirname(sm), "status")
    if os.path.exists(res):
        os.unlink(res)
    r = subprocess.run([PD, "-f", joe.users, "-a", ALIASES, "--sendmail=" + sm,
                        "-r", "a@b.example", "fwd@abc.com"], input=MSG,
                       capture_output=True, env={"PATH": "/usr/bin:/bin"},
                       timeout=60)
    return r.returncode, (status_from(res) if os.path.exists(res) else None)


def status_from(path):
    with open(path) as f:
        return dict((k, v.strip()) for k, v in
                    (ln.split(":", 1) for ln in f.read().splitlines() if ":" in ln))


def sendmail_copy(name, mode, gid=None):
    """A copy of the stand-in in a directory of its own that the forward
    user can write (it notes its status there)."""
    d = os.path.join(W, name)
    os.mkdir(d)
    os.chmod(d, 0o1777)
    sm = os.path.join(d, "sendmail")
    shutil.copy(SM_STATUS, sm)
    if gid is not None:
        os.chown(sm, 0, gid)
    os.chmod(sm, mode)
    return sm


rc, st = forward(sendmail_copy("plain", 0o755))
t.eq(rc, 0, "a forward through a plain sendmail: exit 0")
if t.ok(st is not None, "the stand-in sendmail ran and noted its status"):
    if ROOT:
        t.eq({k: st.get(k) for k in CAPS}, {k: Z for k in CAPS},
             "the forward child: no capability, CapBnd 0")
        t.eq(st["Uid"].split(), [str(pwd.getpwnam("nobody").pw_uid)] * 4,
             "as nobody (DELIVER_FORWARD_USER)")
    t.eq(st.get("NoNewPrivs"), "0",
         "and no no_new_privs: the MTA's sendmail may be set-ID (below)")

# The installed popkit-lmtpd (static with musl when configure found it:
# the same drop, another libc) forwarding through the same stand-in.
PLAIN = os.path.join(W, "plain", "sendmail")
os.unlink(os.path.join(W, "plain", "status"))
server2, PORT2 = lmtpd_serving(t.built("popkit-lmtpd"), "popkit-lmtpd",
                               extra=["--sendmail=" + PLAIN])
out = t.read_to_close(transaction(PORT2, b"fwd@abc.com", 60))
res = os.path.join(W, "plain", "status")
st = status_from(res) if os.path.exists(res) else None
if t.ok(st is not None, "popkit-lmtpd (installed build): the forward's "
        "sendmail ran and noted its status", out):
    if ROOT:
        t.eq({k: st.get(k) for k in CAPS}, {k: Z for k in CAPS},
             "popkit-lmtpd's forward child: no capability, CapBnd 0")
    else:
        t.eq({k: st.get(k) for k in CAPS if k != "CapBnd"},
             {k: Z for k in CAPS if k != "CapBnd"},
             "popkit-lmtpd's forward child: not root: no capability")

if not ROOT:
    t.ok(True, "# SKIP set-ID sendmails: making them takes root")
    t.done()
# Postfix's postdrop, OpenSMTPD's smtpctl: set-group-ID.  Its group must
# come with the exec, which no_new_privs would forbid.
MAIL_GID = 4321   # any group the forward user is not in
rc, st = forward(sendmail_copy("setgid", 0o2755, gid=MAIL_GID))
t.eq(rc, 0, "a forward through a set-group-ID sendmail: exit 0")
if st is not None and st["Gid"].split()[1] == str(MAIL_GID):
    t.ok(True, "the set-group-ID sendmail ran with its group (effective gid "
         f"{MAIL_GID}), as Postfix's postdrop needs")
    t.eq({k: st.get(k) for k in CAPS}, {k: Z for k in CAPS},
         "and with no capability, CapBnd 0")
else:
    t.ok(False, "the set-group-ID sendmail ran with its group", st)
# Exim's sendmail: set-user-ID root, whose root must keep its powers to
# become Exim's own user: the bounding set is kept for it.
sm = sendmail_copy("setuid", 0o4755, gid=0)
rc, st = forward(sm)
if os.statvfs(sm).f_flag & os.ST_NOSUID:
    t.ok(True, "# SKIP a set-user-ID-root sendmail: the test's directory "
         "is on a nosuid mount")
    t.done()
t.eq(rc, 0, "a forward through a set-user-ID-root sendmail: exit 0")
t.ok(st is not None and st["Uid"].split()[1] == "0"
     and st["Uid"].split()[0] == str(pwd.getpwnam("nobody").pw_uid),
     "the set-user-ID-root sendmail ran as root (effective), started by "
     "nobody (real)", st and st["Uid"])
t.ok(st is not None and st["CapEff"] != Z and st["CapBnd"] != Z,
     "and it gets root's capabilities (Exim's needs them to become its own "
     "user): the bounding set is kept for it",
     st and {k: st.get(k) for k in CAPS})
t.done()
