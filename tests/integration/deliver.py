#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""popkit-deliver as each MTA runs it (popkit-deliver(8)): Postfix pipe's
argv, Exim's and OpenSMTPD's environment, qmail-local's with a
virtualdomains prefix; both exit-code conventions for a user, an
unknown name, the '-' default, an alias fan-out with a forward through
a fake sendmail, over quota with and without --quota-tempfail, a loop;
OpenSMTPD's own Return-Path and Delivered-To with --mta-delivered-to;
as root, files owned by the owner account; a full disk; and the
delivered mail fetched by pop3-maildir, whose STAT and LIST open no
message file."""
import os
import poplib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

PD = os.path.join(t.TOP_BUILD, "deliver", "popkit-deliver")
if not os.access(PD, os.X_OK):
    print("Bail out! popkit-deliver not built")
    sys.exit(1)
t.built("pop3-maildir")

W = t.WORK
ALIASES = os.path.join(W, "aliases")
os.mkdir(ALIASES)
joe = t.Mailbox("joe@abc.com", "secret")
ann = t.Mailbox("ann@abc.com", "secret", users=joe.users)
sam = t.Mailbox("sam@other.org", "secret", users=joe.users)
with open(os.path.join(ALIASES, "abc.com"), "w") as f:
    f.write("all: joe ann kim@outside.example\n-: joe\nself: self\n")
with open(os.path.join(ALIASES, "other.org"), "w") as f:
    f.write("postmaster: sam\n")

# A fake sendmail, run as nobody when root: records argv and stdin.
SM_DIR = os.path.join(W, "sm")
os.mkdir(SM_DIR)
os.chmod(SM_DIR, 0o1777)
SM = os.path.join(SM_DIR, "sendmail")
with open(SM, "w") as f:
    f.write("#!/bin/sh\nprintf '%s\\n' \"$@\" > " + SM_DIR + "/argv\n"
            "cat > " + SM_DIR + "/stdin\nexit ${SM_EXIT:-0}\n")
os.chmod(SM, 0o755)

def strace_works():
    """strace is there and may trace here (containers may forbid ptrace)."""
    return bool(shutil.which("strace")) and subprocess.run(
        ["strace", "-f", "-qq", "-o", "/dev/null", "true"],
        capture_output=True).returncode == 0


STRACE = strace_works()
MSG = b"Subject: hello\r\nFrom: a@b.example\r\n\r\nbody line\r\n.dot\r\n"
MSG_LF = MSG.replace(b"\r\n", b"\n")


def run(args, env=None, data=MSG, wrap=()):
    """popkit-deliver with only env in its environment (as an MTA gives
    it); (exit code, stderr)."""
    e = {"PATH": "/usr/bin:/bin"}
    e.update(env or {})
    cmd = list(wrap) + [PD, "-f", joe.users, "-a", ALIASES,
                        "--sendmail=" + SM] + list(args)
    p = subprocess.run(cmd, input=data, env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def new_files(mb):
    d = os.path.join(mb.maildir, "new")
    return sorted(os.listdir(d))


def newest(mb):
    d = os.path.join(mb.maildir, "new")
    # By the delivery time in the name (seconds, microseconds): file
    # mtimes are too coarse to order two deliveries a moment apart.
    def when(n):
        m = re.match(r"(\d+)\.M(\d+)P", n)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    names = sorted(os.listdir(d), key=when)
    with open(os.path.join(d, names[-1]), "rb") as f:
        return names[-1], f.read()


def clear(*mbs):
    for mb in mbs:
        for sub in ("new", "cur", "tmp"):
            d = os.path.join(mb.maildir, sub)
            for n in os.listdir(d):
                os.unlink(os.path.join(d, n))


# ---- Postfix pipe(8): argv=popkit-deliver -r ${sender} -d ${recipient} ----
rc, err = run(["-r", "ann@x.example", "-d", "joe@abc.com"])
t.eq(rc, 0, "Postfix pipe argv: delivered, exit 0")
name, data = newest(joe)
want = b"Return-Path: <ann@x.example>\nDelivered-To: joe@abc.com\n" + MSG_LF
t.eq(data, want, "Return-Path and Delivered-To prepended, CRLF made LF")
t.ok(name.endswith(",S=%d,W=%d" % (len(want), len(t.wire(want)))),
     "the name carries ,S= and ,W=", name)
t.eq(os.listdir(os.path.join(joe.maildir, "tmp")), [], "tmp/ left empty")
if os.getuid() == 0:
    st = os.stat(os.path.join(joe.maildir, "new", name))
    t.eq((st.st_uid, st.st_gid), (t.OWNER_PW.pw_uid, t.OWNER_PW.pw_gid),
         "run as root: the file belongs to the owner account")
    t.eq(st.st_mode & 0o777, 0o600, "mode 0600")
rc, err = run(["-r", "MAILER-DAEMON", "joe@abc.com"])
t.eq((rc, newest(joe)[1][:16]), (0, b"Return-Path: <>\n"),
     "Postfix's MAILER-DAEMON is the null sender")
rc, err = run(["-r", "", "--", "joe@abc.com"])
t.eq((rc, newest(joe)[1][:16]), (0, b"Return-Path: <>\n"),
     "null_sender= (an empty -r): <>")

# ---- Exim's pipe transport and OpenSMTPD's mda: the environment ----
clear(joe)
rc, err = run([], {"SENDER": "ex@im.example", "RECIPIENT": "joe@abc.com",
                   "LOCAL_PART": "joe", "DOMAIN": "abc.com",
                   "LOCAL_PART_PREFIX": "", "LOCAL_PART_SUFFIX": "",
                   "MESSAGE_ID": "1abc-000001-XX", "QUALIFY_DOMAIN": "abc.com",
                   "HOME": "/", "USER": t.OWNER, "LOGNAME": t.OWNER})
t.eq(rc, 0, "Exim environment: SENDER and RECIPIENT")
t.eq(newest(joe)[1][:52], b"Return-Path: <ex@im.example>\nDelivered-To: joe@abc.c",
     "... taken from it")
rc, err = run([], {"SENDER": "o@smtpd.example", "RECIPIENT": "joe@abc.com",
                   "ORIGINAL_RECIPIENT": "joe@abc.com", "LOCAL": "joe",
                   "DOMAIN": "abc.com", "EXTENSION": "", "HOME": "/",
                   "USER": t.OWNER})
t.eq(rc, 0, "OpenSMTPD mda environment")
t.ok(newest(joe)[1].startswith(b"Return-Path: <o@smtpd.example>\n"),
     "... its SENDER")
rc, err = run([], {"RECIPIENT": "joe@abc.com"})
t.eq(rc, 75, "no sender anywhere: 75 (the MTA's setup, deferred)")
rc, err = run([], {"SENDER": "a@b"})
t.eq(rc, 75, "no recipient anywhere: 75")

# ---- qmail-local: control/virtualdomains abc.com:alias-abc ----
QENV = {"SENDER": "q@mail.example", "NEWSENDER": "q@mail.example",
        "RECIPIENT": "alias-abc-joe@abc.com", "USER": "alias",
        "HOME": "/var/qmail/alias", "LOCAL": "alias-abc-joe",
        "HOST": "abc.com", "HOST2": "abc", "HOST3": "abc", "HOST4": "abc",
        "EXT": "abc-joe", "EXT2": "joe", "EXT3": "", "EXT4": "",
        "DEFAULT": "joe",
        "DTLINE": "Delivered-To: alias-abc-joe@abc.com\n",
        "RPLINE": "Return-Path: <q@mail.example>\n",
        "UFLINE": "From q@mail.example Thu Dec  3 15:00:00 2026\n"}
clear(joe)
rc, err = run(["--qmail"], QENV)
t.eq(rc, 0, "qmail ~alias/.qmail-abc-default: exit 0")
t.ok(newest(joe)[1].startswith(b"Return-Path: <q@mail.example>\n"
                               b"Delivered-To: joe@abc.com\n"),
     "recipient $DEFAULT@$HOST, Delivered-To the virtual address")
q2 = dict(QENV, RECIPIENT="abc-joe@abc.com", USER="abc", LOCAL="abc-joe",
          EXT="joe", EXT2="", DEFAULT="joe")
rc, err = run(["--qmail"], q2)
t.eq(rc, 0, "qmail abc.com:abc, ~abc/.qmail-default (EXT=DEFAULT=joe)")
q3 = dict(QENV, EXT="ann")
del q3["DEFAULT"]
rc, err = run(["--qmail"], q3)
t.eq((rc, len(new_files(ann))), (0, 1), "no $DEFAULT (.qmail-ann): $EXT@$HOST")
q4 = dict(QENV, DEFAULT="nosuch")
rc, err = run(["--qmail"], dict(q4, HOST="other.org"))
t.eq(rc, 100, "qmail, unknown user of a domain without '-': 100")
t.ok(err.startswith("5.1.1 "), "the line starts with 5.1.1", err)

# ---- unknown, '-', fan-out, forward ----
rc, err = run(["-r", "a@b", "nosuch@other.org"])
t.eq(rc, 67, "unknown user of a domain without '-': 67")
t.ok(err.startswith("5.1.1 "), "stderr starts with its RFC 3463 code", err)
rc, err = run(["-r", "a@b", "kim@nowhere.example"])
t.eq(rc, 67, "an address outside popkit's domains: refused, not relayed")
clear(joe, ann)
rc, err = run(["-r", "a@b", "whoever@abc.com"])
t.eq((rc, len(new_files(joe))), (0, 1), "'-': an unlisted name goes to joe")
t.ok(newest(joe)[1].startswith(b"Return-Path: <a@b>\nDelivered-To: whoever@abc.com\n"),
     "... with Delivered-To the address it came for")
clear(joe, ann)
rc, err = run(["-r", "fan@x.example", "all@abc.com"])
t.eq(rc, 0, "alias fan-out: exit 0")
t.eq((len(new_files(joe)), len(new_files(ann))), (1, 1), "joe and ann have it")
with open(os.path.join(SM_DIR, "argv")) as f:
    argv = f.read().split("\n")[:-1]
t.eq(argv, ["-i", "-f", "fan@x.example", "--", "kim@outside.example"],
     "the outside address through sendmail -i -f SENDER --")
with open(os.path.join(SM_DIR, "stdin"), "rb") as f:
    t.eq(f.read(), b"Delivered-To: all@abc.com\n" + MSG_LF,
         "sendmail gets the message with Delivered-To prepended")
rc, err = run(["-r", "", "all@abc.com"])
with open(os.path.join(SM_DIR, "argv")) as f:
    t.eq(f.read().split("\n")[2], "<>", "a bounce is forwarded with -f <>")
rc, err = run(["-r", "a@b", "all@abc.com"], {"SM_EXIT": "75"})
t.eq(rc, 75, "sendmail failing: the recipient is deferred (75)")
rc, err = run(["-r", "a@b", "self@abc.com"])
t.eq(rc, 65, "an alias loop: 65")
t.ok(err.startswith("5.4.6 "), "5.4.6", err)

# ---- loops ----
looped = b"Delivered-To: joe@abc.com\n" + MSG_LF
clear(joe)
rc, err = run(["-r", "a@b", "joe@abc.com"], data=looped)
t.eq(rc, 65, "its own Delivered-To: a loop, 65")
rc, err = run(["--qmail"], QENV, data=looped)
t.eq(rc, 100, "a loop under qmail: 100")
t.eq(new_files(joe), [], "nothing delivered for a loop")
looped = b"Delivered-To: all@abc.com\n" + MSG_LF
rc, err = run(["-r", "a@b", "all@abc.com"], data=looped)
t.eq(rc, 65, "a forward come back (Delivered-To: all@): loop")

# ---- quota ----
QF = os.path.join(joe.maildir, "maildirsize")
with open(QF, "w") as f:
    f.write("50S\n0 0\n")
t.own(joe.maildir)
for args, env, want in ((["-r", "a@b", "joe@abc.com"], {}, 67),
                        (["--qmail"], QENV, 100),
                        (["--quota-tempfail", "-r", "a@b", "joe@abc.com"], {}, 75),
                        (["--quota-tempfail", "--qmail"], QENV, 111)):
    rc, err = run(args, env)
    t.eq(rc, want, "over quota %s: %d" % (" ".join(args[:2]), want))
    code = "4.2.2 " if want in (75, 111) else "5.2.2 "
    t.ok(err.startswith(code), "... " + code.strip(), err)
t.eq(new_files(joe), [], "nothing in new/ over quota")
with open(QF, "w") as f:
    f.write("100000S\n0 0\n")
rc, err = run(["-r", "a@b", "joe@abc.com"])
t.eq(rc, 0, "under quota: delivered")
with open(QF) as f:
    lines = f.read().split("\n")
t.eq(lines[2], "%d 1" % (len(MSG_LF) + len("Return-Path: <a@b>\nDelivered-To: joe@abc.com\n")),
     "maildirsize gets the delivery's size line")
os.unlink(QF)

# ---- OpenSMTPD's mda: it prepends Return-Path and Delivered-To itself ----
OSENV = {"SENDER": "o@smtpd.example", "RECIPIENT": "joe@abc.com",
         "ORIGINAL_RECIPIENT": "joe@abc.com", "LOCAL": "joe",
         "DOMAIN": "abc.com", "EXTENSION": "", "HOME": "/", "USER": t.OWNER}
OS_TOP = (b"Return-Path: <o@smtpd.example>\nDelivered-To: joe@abc.com\n"
          b"Received: from mx.example (mx.example [192.0.2.1])\n"
          b"\tby smtpd.example (OpenSMTPD) with ESMTP id 1a2b3c4d\n"
          b"\tfor <joe@abc.com>;\n")
smtpd = OS_TOP + MSG_LF
clear(joe, ann)
with open(QF, "w") as f:
    f.write("100000S\n0 0\n")
t.own(joe.maildir)
rc, err = run([], OSENV, data=smtpd)
t.eq(rc, 65, "OpenSMTPD's lines without --mta-delivered-to: a loop, as before")
rc, err = run(["--mta-delivered-to"], OSENV, data=smtpd)
t.ok(rc == 0, "with --mta-delivered-to: delivered", err)
name, data = newest(joe)
t.eq(data, smtpd, "stored as OpenSMTPD gave it: no second Return-Path or "
     "Delivered-To")
t.ok(name.endswith(",S=%d,W=%d" % (len(smtpd), len(t.wire(smtpd)))),
     "... ,S= and ,W= of what is stored", name)
with open(QF) as f:
    t.eq(f.read().split("\n")[2], "%d 1" % len(smtpd),
         "... and maildirsize its exact size")
os.unlink(QF)
rc, err = run(["--mta-delivered-to"], OSENV,
              data=OS_TOP + b"Delivered-To: joe@abc.com\n" + MSG_LF)
t.eq(rc, 65, "with it, an older Delivered-To below OpenSMTPD's: a loop")
t.ok(err.startswith("5.4.6 "), "... 5.4.6", err)
t.eq(len(new_files(joe)), 1, "nothing delivered for it")
fan = dict(OSENV, RECIPIENT="all@abc.com", ORIGINAL_RECIPIENT="all@abc.com",
           LOCAL="all")
rc, err = run(["--mta-delivered-to"], fan,
              data=OS_TOP.replace(b"Delivered-To: joe@", b"Delivered-To: all@")
              + MSG_LF)
t.ok(rc == 0, "an alias with OpenSMTPD's Delivered-To: all@: delivered", err)
t.eq((len(new_files(joe)), len(new_files(ann))), (2, 1), "joe and ann have it")
t.eq(newest(ann)[1].count(b"Return-Path:"), 1, "... one Return-Path only")
with open(os.path.join(SM_DIR, "stdin"), "rb") as f:
    t.eq(f.read().count(b"Delivered-To: all@abc.com\n"), 1,
         "... and the forward carries OpenSMTPD's Delivered-To: all@ alone")

# ---- permissions and a missing Maildir ----
if os.getuid() == 0:
    bad = os.path.join(W, "users-root")
    shutil.copy(joe.users, bad)
    with open(bad, "a") as f:
        f.write("rooty@abc.com:x:root:%s\n" % joe.home)
    p = subprocess.run([PD, "-f", bad, "-a", ALIASES, "-r", "a@b", "rooty@abc.com"],
                       input=MSG, capture_output=True, timeout=30)
    t.eq(p.returncode, 77, "a mailbox owned by root: refused, 77")
shutil.rmtree(os.path.join(ann.maildir, "tmp"))
rc, err = run(["-r", "a@b", "ann@abc.com"])
t.eq(rc, 73, "no tmp/: 73 (cannot create)")
t.ok(err.startswith("4.2.0 "), "4.2.0: Postfix defers it as Exim does", err)
os.mkdir(os.path.join(ann.maildir, "tmp"))
t.own(ann.maildir)

# ---- a full disk ----
def full_disk():
    """A 256 KiB tmpfs holding a Maildir (root), or None."""
    if os.getuid() != 0 or not shutil.which("mount"):
        return None
    mnt = os.path.join(W, "full")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        os.rmdir(mnt)
        return None
    return mnt


mnt = full_disk()
if mnt:
    try:
        home = os.path.join(mnt, "h")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(home, "Maildir", sub))
        t.own(home)
        users = os.path.join(W, "users-full")
        with open(users, "w") as f:
            f.write("full@abc.com:x:%s:%s\n" % (t.OWNER, home))
        big = b"Subject: big\n\n" + (b"x" * 1000 + b"\n") * 400
        for args, want in ((["-r", "a@b", "full@abc.com"], 75),
                           (["--qmail"], 111)):
            env = {"PATH": "/usr/bin:/bin"}
            if "--qmail" in args:
                env.update(QENV, DEFAULT="full")
            p = subprocess.run([PD, "-f", users, "-a", ALIASES] + args,
                               input=big, env=env, capture_output=True, timeout=30)
            t.eq(p.returncode, want, "disk full: %d" % want)
            t.ok(p.stderr.startswith(b"4.3.1 "), "4.3.1", p.stderr)
            t.eq(os.listdir(os.path.join(home, "Maildir", "new")), [],
                 "nothing in new/")
            t.eq(os.listdir(os.path.join(home, "Maildir", "tmp")), [],
                 "and the partial file removed from tmp/")
    finally:
        subprocess.run(["umount", mnt])
elif STRACE:
    # Not root: every write(2) after the spool's fails with ENOSPC, and
    # every sendfile(2) (the message's copy into tmp/).  ann keeps what
    # the cases above gave her: nothing may be added to it.
    before = new_files(ann)
    rc, err = run(["-r", "a@b", "ann@abc.com"],
                  wrap=["strace", "-f", "-qq", "-o", "/dev/null",
                        "-e", "trace=write,sendfile",
                        "-e", "inject=write:error=ENOSPC:when=2+",
                        "-e", "inject=sendfile:error=ENOSPC"])
    t.eq(rc, 75, "disk full (strace ENOSPC): 75")
    t.eq(new_files(ann), before, "nothing new in new/")
    t.eq(os.listdir(os.path.join(ann.maildir, "tmp")), [],
         "and the partial file removed from tmp/")
else:
    t.ok(True, "# SKIP disk full: neither root nor strace")

# ---- fetched by pop3-maildir: STAT/LIST read no file ----
clear(joe)
bodies = [MSG, b"Subject: two\n\n" + b"y" * 5000 + b"\n", b"no header end"]
for b in bodies:
    rc, err = run(["-r", "p@q", "joe@abc.com"], data=b)
    t.eq(rc, 0, "delivered for the POP3 check")
names = new_files(joe)
sizes = {}
for n in names:
    with open(os.path.join(joe.maildir, "new", n), "rb") as f:
        sizes[n] = len(t.wire(f.read()))
trace = os.path.join(SM_DIR, "strace.log")   # writable as the owner
chain = None
if STRACE:
    chain = [t.prog("checkpassword-virtual"), "-f", joe.users, "strace", "-f",
             "-qq", "-e", "trace=open,openat,openat2", "-o", trace,
             t.prog("pop3-maildir"), "Maildir"]
port = t.serve(joe.users, chain=chain)
p = poplib.POP3("127.0.0.1", port, timeout=10)
p.user("joe@abc.com")
try:
    p.pass_("secret")
except poplib.error_proto as e:
    print("Bail out! login: %s; log: %s" % (e, t.server_log()[-800:]))
    sys.exit(1)
count, total = p.stat()
t.eq((count, total), (3, sum(sizes.values())), "STAT: the wire sizes' sum")
listed = sorted(int(x.split()[1]) for x in p.list()[1])
t.eq(listed, sorted(sizes.values()), "LIST: each message's wire size")
p.quit()
if chain:
    with open(trace) as f:
        log = f.read()
    bases = [n.split(",")[0] for n in names]
    opened = [b for b in bases if b in log]
    t.eq(opened, [], "under strace: STAT and LIST opened no message file")
    t.ok("openat" in log or "open(" in log, "(the trace did record opens)")
else:
    t.ok(True, "# SKIP no strace")

# ---- misuse ----
p = subprocess.run([PD, "--help"], capture_output=True)
t.ok(p.returncode == 0 and p.stdout.startswith(b"usage: popkit-deliver "),
     "--help")
p = subprocess.run([PD, "-x"], capture_output=True)
t.eq(p.returncode, 2, "an unknown option: 2")
p = subprocess.run([PD, "a@b", "c@d"], capture_output=True)
t.eq(p.returncode, 2, "two recipients: 2")

t.done()
