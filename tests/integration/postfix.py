#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Postfix from Debian into popkit's Maildirs, end to end (issue 14).

A private Postfix instance -- its own main.cf, master.cf, queue and data
directories and log file (maillog_file), smtpd on a free loopback port,
nothing on port 25, no system service -- takes mail over SMTP (python
smtplib) for two popkit domains made with vuser:

  abc.test  users joe, sue, rest; aliases all: joe sue, fwd: pal@ext.test,
            loop1: loop2, loop2: loop1, and "-: rest" for every other name
  xyz.test  users ann, full and small (both over their Maildir++ quota,
            small by a --quota-tempfail transport); no "-"

and delivers them each way popkit offers: virtual_transport =
lmtp:inet:127.0.0.1:PORT with popkit-lmtpd under tcpserver (as root);
lmtp:unix:private/popkit-lmtp with popkit-lmtpd run by Postfix's spawn(8)
(as the mail owner); and a pipe(8) transport running popkit-deliver.  The
spawn and pipe entries are contrib/postfix/master.cf.in's own lines.
Each case is checked in the Maildirs and in Postfix's log (the status=,
dsn= of each recipient; the bounce that comes back to the sender; a
forward's new queue id) or queue (postqueue -j for a deferral); the first
message is fetched back by POP3 with curl.  Outside domains (src.test,
the senders', and ext.test, the forward's) go to a pipe that stores each
message under WORK/pf/catch/RECIPIENT/QUEUEID.

Postfix's sendmail hands mail to the set-gid postdrop, which takes a
configuration directory other than /etc/postfix only when the one in
/etc/postfix/main.cf lists it.  So the test runs in a private mount
namespace (unshare -m) with its own directory mounted on /etc/postfix:
forwarding then uses the real /usr/sbin/sendmail as a site would.
Without a namespace the forward cases are skipped and the rest run with
postfix -c.  Postfix starts only as root: otherwise the test is skipped.
"""
import os
import shutil
import subprocess
import sys

NS_MARK = "POPKIT_POSTFIX_NS"
# Before poptest makes its work directory: re-run in a private mount
# namespace when one can be had (the mount on /etc/postfix is seen by
# this process tree alone and goes when it ends).
if os.getuid() == 0 and NS_MARK not in os.environ and shutil.which("unshare") \
        and shutil.which("postfix"):
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True)
    env = dict(os.environ, **{NS_MARK: "1" if probe.returncode == 0 else "0"})
    if probe.returncode == 0:
        r = subprocess.run(["unshare", "-m", "--propagation", "private",
                            sys.executable, os.path.abspath(__file__)], env=env)
        sys.exit(r.returncode)
    os.environ[NS_MARK] = "0"

import json  # noqa: E402
import pwd  # noqa: E402
import re  # noqa: E402
import smtplib  # noqa: E402
import time  # noqa: E402
import atexit  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

if os.getuid() != 0:
    t.skip_all("Postfix starts only as root (postfix start); run as root")
if not shutil.which("postfix") or not os.path.isdir("/usr/lib/postfix/sbin"):
    t.skip_all("Postfix is not installed (Debian: postfix)")
if not shutil.which("tcpserver"):
    t.skip_all("tcpserver is not installed (Debian: ucspi-tcp)")

# popkit-deliver and popkit-lmtpd live in deliver/, which poptest does not
# copy; the copies sit with the others where the mail owner can run them.
for f in ("popkit-deliver", "popkit-lmtpd"):
    src = os.path.join(t.TOP_BUILD, "deliver", f)
    if os.access(src, os.X_OK):
        shutil.copy2(src, t.BIN)
DELIVER = t.built("popkit-deliver")
LMTPD = t.built("popkit-lmtpd")
VUSER = t.built("vuser")

IN_NS = os.environ.get(NS_MARK) == "1"
PF = os.path.join(t.WORK, "pf")
CONF = "/etc/postfix" if IN_NS else os.path.join(PF, "conf")
QUEUE = os.path.join(PF, "queue")
MAILLOG = os.path.join(PF, "maillog")
CATCH = os.path.join(PF, "catch")
USERS = os.path.join(t.WORK, "users")
ALIASES = os.path.join(t.WORK, "aliases")
SENDER = "sender@src.test"
OWNER = t.OWNER


def run(*cmd, check=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        print(f"Bail out! {' '.join(cmd)}: {r.returncode} {r.stderr.strip()[:500]}")
        sys.exit(1)
    return r


def postcmd(name, *args, check=True):
    """A Postfix command against this instance's configuration."""
    return run(name, "-c", CONF, *args, check=check)


# ---------------------------------------------------------------- popkit side

def vuser(*args):
    return run(VUSER, "-f", USERS, "-a", ALIASES, *args, input="secret\n")


def home(address):
    return os.path.join(t.WORK, "home", address)


def make_domains():
    os.makedirs(os.path.join(t.WORK, "home"), 0o755)
    for a in ("joe@abc.test", "sue@abc.test", "rest@abc.test",
              "ann@xyz.test", "full@xyz.test", "small@xyz.test"):
        vuser("add", a, OWNER, home(a))
    vuser("alias", "add", "all@abc.test", "joe", "sue")
    vuser("alias", "add", "fwd@abc.test", "pal@ext.test")
    # A loop between two aliases: vuser warns and keeps it; delivery refuses.
    vuser("alias", "add", "loop1@abc.test", "loop2")
    vuser("alias", "add", "loop2@abc.test", "loop1")
    vuser("alias", "add", "-@abc.test", "rest")
    # full's and small's Maildirs already hold more than their quota, so
    # any message is over it (whether a delivery is checked before or
    # after adding it).  Mail for small goes by the --quota-tempfail
    # transport (transport_maps), for full by the usual one.
    for a in ("full@xyz.test", "small@xyz.test"):
        new = os.path.join(home(a), "Maildir", "new")
        with open(os.path.join(new, "1700000000.M1P1.fill"), "wb") as f:
            f.write(b"Subject: fill\n\n" + b"f" * 2000 + b"\n")
        t.own(home(a))
        vuser("quota", a, "1000")
    # popkit-deliver under pipe(8) runs as the mail owner and reads both.
    give_owner(USERS)
    for root, dirs, files in os.walk(ALIASES):
        give_owner(root)
        for f in files:
            give_owner(os.path.join(root, f))


def give_owner(path):
    os.chown(path, t.OWNER_PW.pw_uid, t.OWNER_PW.pw_gid)


def mail_files(address):
    """(name, bytes) of each message in new/ and cur/ (a POP3 session
    moves what it saw to cur/)."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(home(address), "Maildir", sub)
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append((n, f.read()))
    return out


def with_marker(address, marker):
    return [(n, d) for n, d in mail_files(address) if marker.encode() in d]


def caught(address):
    """What the catch pipe stored for an outside address: (queue id, bytes)."""
    d = os.path.join(CATCH, address)
    out = []
    if os.path.isdir(d):
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append((n, f.read()))
    return out


# --------------------------------------------------------------- Postfix side

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {pf}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {maillog}
maillog_file_prefixes = {pf}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.popkit.test
mydomain = popkit.test
myorigin = popkit.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
biff = no
# popkit's domains: the names are popkit's to accept or refuse.
virtual_mailbox_domains = abc.test xyz.test
virtual_transport = {transport}
# The outside world: the senders' and the forward's domains.
relay_domains = src.test ext.test
transport_maps = inline:{{ src.test=catch:, ext.test=catch:, small@xyz.test={tempfail} }}
# Retries soon, so a deferral shows within the test.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
# One recipient a popkit-deliver run: ${{recipient}} is one address.
popkit_destination_recipient_limit = 1
popkittf_destination_recipient_limit = 1
"""

MASTER_CF = """\
{smtp} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
smtp      unix  - - n -  - smtp
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
catch     unix  - n n -  - pipe
  flags=R user={owner} argv={pf}/catch.sh ${{recipient}} ${{queue_id}}
{popkit}
"""


def recipe(name, service, program, *opts):
    """The master.cf entry NAME of contrib/postfix/master.cf.in, as a site
    copies it, with this test's paths and account: SERVICE for its name,
    the program with opts and -f/-a after it, the mail owner for vmail."""
    with open(os.path.join(t.TOP_SRC, "contrib/postfix/master.cf.in")) as f:
        lines = f.read().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(name + " "))
    entry = [lines[start]]
    for ln in lines[start + 1:]:
        if not ln[:1].isspace():
            break
        entry.append(ln)
    text = "\n".join(entry).replace(name + " ", service + " ", 1)
    prog_name = os.path.basename(program)
    text = text.replace(f"@sbindir@/{prog_name}",
                        " ".join([program, *opts, "-f", USERS, "-a", ALIASES]))
    return text.replace("user=vmail", f"user={OWNER}")


CATCH_SH = """#!/bin/sh
# The outside world: one file a message, CATCH/RECIPIENT/QUEUEID.
mkdir -p {catch}/"$1" && cat >{catch}/"$1"/"$2"
"""


class Postfix:
    def __init__(self):
        self.smtp_port = t.free_port()
        os.makedirs(os.path.join(PF, "conf"))
        os.makedirs(os.path.join(PF, "data"))
        os.makedirs(QUEUE)
        os.makedirs(CATCH)
        os.chown(os.path.join(PF, "data"), *self._ids("postfix"))
        os.chown(CATCH, t.OWNER_PW.pw_uid, t.OWNER_PW.pw_gid)
        with open(os.path.join(PF, "catch.sh"), "w") as f:
            f.write(CATCH_SH.format(catch=CATCH))
        os.chmod(os.path.join(PF, "catch.sh"), 0o755)
        # Debian's meta files (postfix-files, postfix-script, dynamicmaps.cf)
        # are looked for in the configuration directory.
        for n in os.listdir("/etc/postfix"):
            if n not in ("main.cf", "master.cf"):
                src = os.path.join("/etc/postfix", n)
                dst = os.path.join(PF, "conf", n)
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, dst)
        if IN_NS:
            run("mount", "--bind", os.path.join(PF, "conf"), "/etc/postfix")
        self.running = False

    @staticmethod
    def _ids(name):
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid

    def configure(self, transport, tempfail):
        with open(os.path.join(CONF, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(queue=QUEUE, pf=PF, maillog=MAILLOG,
                                   transport=transport, tempfail=tempfail))
        with open(os.path.join(CONF, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(smtp=f"127.0.0.1:{self.smtp_port}", pf=PF,
                                     owner=OWNER, popkit="\n".join([
                                         recipe("popkit", "popkit", DELIVER),
                                         recipe("popkit", "popkittf", DELIVER,
                                                "--quota-tempfail"),
                                         recipe("popkit-lmtp", "popkit-lmtp", LMTPD),
                                         recipe("popkit-lmtp", "popkit-lmtptf", LMTPD,
                                                "--quota-tempfail")])))

    def start(self, transport, tempfail):
        """Start with virtual_transport TRANSPORT, and mail for
        small@xyz.test sent by TEMPFAIL (the --quota-tempfail one)."""
        self.configure(transport, tempfail)
        postcmd("postfix", "check")
        postcmd("postfix", "start")
        self.running = True
        if not t.wait_port(self.smtp_port, 20):
            print("Bail out! Postfix's smtpd did not listen\n" + log_text()[-2000:])
            sys.exit(1)

    def stop(self):
        if self.running:
            postcmd("postfix", "stop", check=False)
            self.running = False
            # postfix stop returns before master has gone (and leaves
            # master.pid behind): wait until its pid is no more.
            end = time.time() + 10
            while time.time() < end and master_alive():
                time.sleep(0.1)


def master_alive():
    try:
        with open(os.path.join(QUEUE, "pid", "master.pid")) as f:
            os.kill(int(f.read().split()[0]), 0)
        return True
    except (OSError, ValueError, IndexError):
        return False


def log_text():
    try:
        with open(MAILLOG, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def qlines(qid):
    return [ln for ln in log_text().splitlines() if f" {qid}: " in ln]


def wait_log(pattern, secs=30.0):
    """Wait until a line of Postfix's log matches; return the match."""
    rx = re.compile(pattern, re.M)
    end = time.time() + secs
    while True:
        m = rx.search(log_text())
        if m or time.time() > end:
            return m
        time.sleep(0.2)


_seq = 0


def send(rcpt, extra_headers="", body_octets=0):
    """One message over SMTP; returns (queue id, marker)."""
    global _seq
    _seq += 1
    marker = f"popkit-test-{os.getpid()}-{_seq}"
    msg = (f"From: {SENDER}\r\nTo: {rcpt}\r\nSubject: case {_seq}\r\n"
           f"Message-ID: <{marker}@src.test>\r\n{extra_headers}\r\n"
           f"{marker}\r\n" + ("b" * 70 + "\r\n") * (body_octets // 72))
    s = smtplib.SMTP("127.0.0.1", PFX.smtp_port, timeout=30)
    s.ehlo("client.src.test")
    s.mail(SENDER)
    code, text = s.rcpt(rcpt)
    if code != 250:
        print(f"Bail out! RCPT {rcpt}: {code} {text!r}")
        sys.exit(1)
    code, text = s.data(msg.encode())
    s.quit()
    m = re.search(rb"queued as ([0-9A-F]+)", text)
    if code != 250 or not m:
        print(f"Bail out! DATA: {code} {text!r}")
        sys.exit(1)
    return m.group(1).decode(), marker


def wait_new_queue_id(marker, qid, secs=30.0):
    """The queue id, other than qid, of a message with the marker's
    Message-ID (a forward that came back through sendmail)."""
    end = time.time() + secs
    while True:
        ids = re.findall(rf" ([0-9A-F]+): message-id=<{marker}@src.test>", log_text())
        other = [q for q in ids if q != qid]
        if other or time.time() > end:
            return other[0] if other else None
        time.sleep(0.2)


def rcpt_status(qid, rcpt, secs=30.0):
    """Wait for Postfix's verdict on one recipient: (status, dsn, line)."""
    m = wait_log(rf"^.* {qid}: to=<{re.escape(rcpt)}>,.* dsn=([0-9.]+), "
                 rf"status=(\w+).*$", secs)
    if not m:
        return None, None, "\n".join(qlines(qid))
    return m.group(2), m.group(1), m.group(0)


def wait_removed(qid, secs=30.0):
    return wait_log(rf" {qid}: removed$", secs) is not None


# ---------------------------------------------------------------- the cases

def case_user(way):
    qid, mk = send("joe@abc.test")
    st, dsn, line = rcpt_status(qid, "joe@abc.test")
    t.ok(st == "sent" and dsn == "2.0.0", f"{way}: joe@abc.test sent, 2.0.0", line)
    got = with_marker("joe@abc.test", mk)
    t.eq(len(got), 1, f"{way}: joe's Maildir has the message once")
    if got:
        name, data = got[0]
        t.ok(data.startswith(b"Return-Path: <" + SENDER.encode() + b">\n"),
             f"{way}: it starts with Return-Path: <{SENDER}>", data[:200])
        t.ok(b"\nDelivered-To: joe@abc.test\n" in data.split(b"\n\n")[0] + b"\n",
             f"{way}: it carries Delivered-To: joe@abc.test", data[:300])
        t.ok(re.search(r",S=\d+,W=\d+", name), f"{way}: its name carries ,S= and ,W=", name)
        fetch_by_pop3(way, "joe@abc.test", name, data)


def fetch_by_pop3(way, address, name, data):
    """The last step of popkit-delivery(7): the delivered message fetched
    by POP3 through the real chain, with curl, as popkit-delivery(7) does."""
    if not shutil.which("curl"):
        t.ok(True, f"{way}: POP3 fetch # SKIP curl is not installed")
        return
    global POP3_PORT
    if POP3_PORT is None:
        POP3_PORT = t.serve(USERS, greeter_args=[f"--privsep-dir={EMPTY}"])
    url = f"pop3://127.0.0.1:{POP3_PORT}"
    listing = subprocess.run(["curl", "-s", "--max-time", "20", f"{url}/",
                              "-u", f"{address}:secret"], capture_output=True)
    sizes = dict(ln.split() for ln in listing.stdout.decode().splitlines() if ln)
    n = len(sizes)    # the newest message, numbered last
    got = subprocess.run(["curl", "-sS", "--max-time", "20", f"{url}/{n}",
                          "-u", f"{address}:secret"], capture_output=True)
    err, got = got.stderr, got.stdout
    t.ok(got.replace(b"\r\n", b"\n") == data and
         sizes.get(str(n)) == re.search(r",W=(\d+)", name).group(1),
         f"{way}: curl pop3:// lists it with its ,W= size and fetches it whole",
         f"LIST {sizes}\nRETR {got[:300]!r} {err[:300]!r}\n{t.server_log()[-1000:]}")


def case_fanout(way):
    qid, mk = send("all@abc.test")
    st, dsn, line = rcpt_status(qid, "all@abc.test")
    t.ok(st == "sent", f"{way}: all@abc.test sent", line)
    for u in ("joe@abc.test", "sue@abc.test"):
        t.eq(len(with_marker(u, mk)), 1, f"{way}: the fan-out reached {u} once")
    t.eq(len(with_marker("rest@abc.test", mk)), 0, f"{way}: and not the '-' default")


def case_default(way):
    qid, mk = send("whoever@abc.test")
    st, dsn, line = rcpt_status(qid, "whoever@abc.test")
    t.ok(st == "sent", f"{way}: whoever@abc.test (no such name) sent", line)
    got = with_marker("rest@abc.test", mk)
    t.eq(len(got), 1, f"{way}: the '-' default took it into rest's Maildir")
    if got:
        t.ok(b"Delivered-To: whoever@abc.test\n" in got[0][1] or
             b"Delivered-To: rest@abc.test\n" in got[0][1],
             f"{way}: with a Delivered-To line", got[0][1][:300])


def check_bounce(way, qid, rcpt, dsn_want, mk):
    """The bounce Postfix sent back to SENDER for qid: logged as a
    non-delivery notification with a new queue id, and arrived with a DSN
    naming the recipient and the status."""
    m = wait_log(rf" {qid}: sender non-delivery notification: ([0-9A-F]+)")
    t.ok(m, f"{way}: Postfix sent {SENDER} a non-delivery notification",
         "\n".join(qlines(qid)))
    if not m:
        return
    bqid = m.group(1)
    rcpt_status(bqid, SENDER)
    got = [d for n, d in caught(SENDER) if n == bqid]
    t.eq(len(got), 1, f"{way}: the bounce {bqid} arrived back at {SENDER}")
    if got:
        d = got[0]
        t.ok(f"Final-Recipient: rfc822; {rcpt}".encode() in d and
             f"Status: {dsn_want}".encode() in d and mk.encode() in d,
             f"{way}: its DSN says {rcpt}, Status: {dsn_want}, and quotes the message",
             d[:3000])


def case_unknown(way):
    before = {a: len(mail_files(a)) for a in ("ann@xyz.test", "small@xyz.test")}
    qid, mk = send("nobody@xyz.test")
    st, dsn, line = rcpt_status(qid, "nobody@xyz.test")
    t.ok(st == "bounced" and dsn == "5.1.1",
         f"{way}: nobody@xyz.test (a domain without '-') bounced, 5.1.1", line)
    check_bounce(way, qid, "nobody@xyz.test", "5.1.1", mk)
    t.eq({a: len(mail_files(a)) for a in before}, before,
         f"{way}: nothing was delivered in xyz.test")


def case_forward(way):
    if not IN_NS:
        t.ok(True, f"{way}: forward # SKIP no private mount namespace for "
             "/etc/postfix, so Postfix's sendmail cannot reach this instance")
        return
    qid, mk = send("fwd@abc.test")
    st, dsn, line = rcpt_status(qid, "fwd@abc.test")
    t.ok(st == "sent", f"{way}: fwd@abc.test (an alias to pal@ext.test) sent", line)
    # The forward re-enters Postfix through sendmail: a new queue id with
    # the same Message-ID, the original envelope sender, delivered outside.
    new = wait_new_queue_id(mk, qid)
    t.ok(new, f"{way}: the forward re-entered Postfix's queue under a new id",
         "\n".join(qlines(qid)))
    if not new:
        return
    fq = new
    t.ok(wait_log(rf" {fq}: uid=\d+ from=<{re.escape(SENDER)}>") or
         wait_log(rf" {fq}: from=<{re.escape(SENDER)}>"),
         f"{way}: {fq} was picked up with the envelope sender {SENDER} kept",
         "\n".join(qlines(fq)))
    st, dsn, line = rcpt_status(fq, "pal@ext.test")
    t.ok(st == "sent", f"{way}: {fq} to pal@ext.test sent", line)
    got = [d for n, d in caught("pal@ext.test") if n == fq]
    t.ok(len(got) == 1 and mk.encode() in got[0] and
         b"Delivered-To: fwd@abc.test\n" in got[0],
         f"{way}: pal@ext.test got it, with Delivered-To: fwd@abc.test",
         got[0][:500] if got else "nothing")


def case_loop(way):
    before = len(mail_files("joe@abc.test"))
    qid, mk = send("joe@abc.test", extra_headers="Delivered-To: joe@abc.test\r\n")
    st, dsn, line = rcpt_status(qid, "joe@abc.test")
    t.ok(st == "bounced" and dsn == "5.4.6",
         f"{way}: a message already Delivered-To joe@abc.test bounced, 5.4.6", line)
    check_bounce(way, qid, "joe@abc.test", "5.4.6", mk)
    t.eq(len(mail_files("joe@abc.test")), before, f"{way}: and joe's Maildir is unchanged")
    qid, mk = send("loop1@abc.test")
    st, dsn, line = rcpt_status(qid, "loop1@abc.test")
    t.ok(st == "bounced" and dsn == "5.4.6",
         f"{way}: loop1@abc.test (loop1 -> loop2 -> loop1) bounced, 5.4.6", line)


def case_quota(way):
    before = len(mail_files("full@xyz.test"))
    qid, mk = send("full@xyz.test", body_octets=1500)
    st, dsn, line = rcpt_status(qid, "full@xyz.test")
    t.ok(st == "bounced" and dsn == "5.2.2",
         f"{way}: full@xyz.test over its quota bounced, 5.2.2", line)
    check_bounce(way, qid, "full@xyz.test", "5.2.2", mk)
    t.eq(len(mail_files("full@xyz.test")), before, f"{way}: full's Maildir is unchanged")
    # --quota-tempfail: deferred, 4.2.2, and kept queued.
    before = len(mail_files("small@xyz.test"))
    qid, mk = send("small@xyz.test", body_octets=1500)
    st, dsn, line = rcpt_status(qid, "small@xyz.test")
    t.ok(st == "deferred" and dsn == "4.2.2",
         f"{way}: small@xyz.test over quota with --quota-tempfail is deferred, 4.2.2",
         line)
    queued = [json.loads(ln) for ln in postcmd("postqueue", "-j").stdout.splitlines()]
    mine = [q for q in queued if q.get("queue_id") == qid]
    t.ok(len(mine) == 1 and mine[0].get("queue_name") == "deferred" and
         [r.get("address") for r in mine[0].get("recipients", [])] == ["small@xyz.test"]
         and mine[0]["recipients"][0].get("delay_reason"),
         f"{way}: postqueue -j holds {qid} in the deferred queue for small@xyz.test, "
         "with the reason", queued)
    t.eq(len(mail_files("small@xyz.test")), before, f"{way}: small's Maildir is unchanged")
    postcmd("postsuper", "-d", qid)


def run_cases(way):
    case_user(way)
    case_fanout(way)
    case_default(way)
    case_unknown(way)
    case_forward(way)
    case_loop(way)
    case_quota(way)
    q = postcmd("postqueue", "-p").stdout
    t.ok("Mail queue is empty" in q, f"{way}: the queue is empty at the end", q)


# --------------------------------------------------------------------- main

make_domains()
PFX = Postfix()
atexit.register(PFX.stop)


def lmtpd(port, *opts):
    p = subprocess.Popen(["tcpserver", "-R", "-H", "-l0", "127.0.0.1", str(port),
                          LMTPD, *opts, f"--privsep-dir={EMPTY}",
                          "-f", USERS, "-a", ALIASES],
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(t.WORK, "lmtpd.log"), "ab"))
    t._procs.append(p)
    if not t.wait_port(port):
        print("Bail out! popkit-lmtpd under tcpserver did not listen")
        sys.exit(1)


EMPTY = t.privsep_dir()
POP3_PORT = None
# POSTFIX_WAYS=pipe (or lmtp) runs one way alone, to look into it.
WAYS = os.environ.get("POSTFIX_WAYS", "lmtp spawn pipe").split()

# 1. LMTP: popkit-lmtpd under tcpserver (and a second one with
#    --quota-tempfail for the deferral case).
if "lmtp" in WAYS:
    lport, tfport = t.free_port(), t.free_port()
    lmtpd(lport)
    lmtpd(tfport, "--quota-tempfail")
    PFX.start(f"lmtp:inet:127.0.0.1:{lport}", f"lmtp:inet:127.0.0.1:{tfport}")
    run_cases("lmtp")
    PFX.stop()

# 2. lmtp:unix: to popkit-lmtpd run by Postfix's spawn(8) on the socket
#    private/popkit-lmtp, as the mail owner (spawn never runs as root):
#    no tcpserver, one account owns the Maildirs.
if "spawn" in WAYS:
    PFX.start("lmtp:unix:private/popkit-lmtp", "lmtp:unix:private/popkit-lmtptf")
    run_cases("spawn")
    PFX.stop()

# 3. pipe(8) running popkit-deliver.
if "pipe" in WAYS:
    PFX.start("popkit:", "popkittf:")
    run_cases("pipe")
    PFX.stop()

if os.environ.get("T_KEEP"):
    print(f"# kept {t.WORK}")
t.done()
