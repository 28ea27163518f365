# SPDX-License-Identifier: ISC
"""dovecotlib -- Dovecot from Debian beside popkit over one Maildir.

Shared by tests/integration/dovecot_*.py.  Builds on poptest (work
directory, mail owner, the popkit chain under tcpserver) and adds a
private Dovecot (IMAP and POP3 on free loopback ports, its own base_dir
and state_dir, never the system's 110/143/993/995), the IMAP and POP3
views a user would look at, and deliveries the way Dovecot's LDA and
other agents write them.  Everything started is stopped at exit.

As root the mail owner is poptest's (nobody) and Dovecot runs as
Debian installs it (users dovecot and dovenull).  As a normal user
Dovecot runs entirely as that user: its internal and login users are
set to us and its login processes do not chroot.
"""
import atexit
import grp
import imaplib
import os
import poplib
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

# Each bounded: no test may hang on a server that does not answer.
START_SECS = 15
CLIENT_SECS = 20

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"


def require_dovecot():
    """SKIP the whole file, with the reason, when Debian's Dovecot is not
    installed (scripts/deps installs it: dovecot-core, -imapd, -pop3d)."""
    missing = [p for p in (DOVECOT, "/usr/lib/dovecot/imap",
                           "/usr/lib/dovecot/pop3", LDA)
               if not os.access(p, os.X_OK)]
    if missing:
        t.skip_all("Dovecot is not installed (%s missing; scripts/deps "
                   "installs dovecot-core dovecot-imapd dovecot-pop3d)"
                   % ", ".join(missing))
    if not shutil.which("tcpserver"):
        t.skip_all("tcpserver is not installed (ucspi-tcp)")


CONF = """# written by tests/dovecotlib.py
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = popkit-test-{tag}
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = {dir}/log
mail_location = maildir:~/Maildir
{uidl}
{unpriv}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = {dir}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
{chroot}}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
{chroot}}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
{chroot}}}
"""

# Without root Dovecot can neither switch users nor chroot: every one of
# its processes runs as the user who started it.
UNPRIV = """default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
"""


class Dovecot:
    """A private Dovecot serving IMAP and POP3 for the given Mailboxes.

    uidl_format: pop3_uidl_format, or None for Dovecot's default
    (%08Xu%08Xv, UID and UIDVALIDITY from dovecot-uidlist)."""

    def __init__(self, tag, boxes, uidl_format="%f"):
        self.dir = os.path.join(t.WORK, "dovecot-" + tag)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.imap_port = t.free_port()
        self.pop3_port = t.free_port()
        while self.pop3_port == self.imap_port:
            self.pop3_port = t.free_port()
        self.boxes = boxes
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for b in boxes:
                f.write("%s:{PLAIN}%s:%d:%d::%s::\n"
                        % (b.address, b.password, t.OWNER_PW.pw_uid,
                           t.OWNER_PW.pw_gid, b.home))
        unpriv = chroot = ""
        if os.getuid() != 0:
            me = pwd.getpwuid(os.getuid())
            unpriv = UNPRIV.format(user=me.pw_name,
                                   group=grp.getgrgid(os.getgid()).gr_name)
            chroot = "  chroot =\n"
        uidl = ("pop3_uidl_format = " + uidl_format) if uidl_format else ""
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=self.dir, tag="%s-%d" % (tag, os.getpid()),
                                uidl=uidl, unpriv=unpriv, chroot=chroot,
                                imap=self.imap_port, pop3=self.pop3_port))
        self.proc = None
        atexit.register(self.stop)

    def start(self):
        err = open(os.path.join(self.dir, "stderr"), "ab")
        # Its own process group, so stop() reaches every child by id.
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=err,
                                     start_new_session=True)
        end = time.monotonic() + START_SECS
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            if (t.wait_port(self.imap_port, 0.1)
                    and t.wait_port(self.pop3_port, 0.1)):
                return
        print("Bail out! Dovecot did not start:\n# " +
              self.log().replace("\n", "\n# "))
        sys.exit(1)

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        pgid = self.proc.pid
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        try:
            os.killpg(pgid, signal.SIGKILL)   # any child left behind
        except OSError:
            pass

    def log(self):
        out = ""
        for n in ("stderr", "log"):
            try:
                with open(os.path.join(self.dir, n), errors="replace") as f:
                    out += f.read()
            except OSError:
                pass
        return out[-3000:]

    # ---------------------------------------------------------- delivery

    def lda(self, box, data):
        """Deliver with Dovecot's LDA, as a site's MTA would; return the
        new file's name."""
        before = set(box.files())
        subprocess.run([LDA, "-c", self.conf, "-d", box.address], input=data,
                       check=True, timeout=CLIENT_SECS)
        new = set(box.files()) - before
        assert len(new) == 1, new
        return new.pop()

    # -------------------------------------------------------------- IMAP

    def imap(self, box):
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=CLIENT_SECS)
        m.login(box.address, box.password)
        return m

    def status(self, box):
        """IMAP STATUS: what a client polls, and what makes Dovecot index
        mail still in new/ without moving it."""
        m = self.imap(box)
        typ, data = m.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY)")
        m.logout()
        return dict(re.findall(r"(\w+) (\d+)", data[0].decode()))

    def view(self, box, readonly=True):
        """What an IMAP client sees: UIDVALIDITY, UIDNEXT and, for each
        message by its Subject, (UID, sorted flags without \\Recent).
        EXAMINE (readonly) leaves new/ alone; SELECT lets Dovecot move
        new/ to cur/ as it does for its IMAP users."""
        m = self.imap(box)
        typ, _ = m.select("INBOX", readonly=readonly)
        assert typ == "OK"
        validity = int(m.response("UIDVALIDITY")[1][0])
        uidnext = int(m.response("UIDNEXT")[1][0])
        msgs = {}
        typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta, hdr = item[0].decode(), item[1].decode()
            uid = int(re.search(r"UID (\d+)", meta).group(1))
            flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()
            flags = tuple(sorted(f for f in flags if f != "\\Recent"))
            subj = hdr.split(":", 1)[1].strip()
            msgs[subj] = (uid, flags)
        m.logout()
        return {"validity": validity, "uidnext": uidnext, "msgs": msgs}

    def store(self, box, subject, flags):
        """Set flags on a message over IMAP, as a mail reader does."""
        m = self.imap(box)
        m.select("INBOX")
        typ, data = m.uid("SEARCH", "HEADER", "Subject", subject)
        uid = data[0].split()[0]
        m.uid("STORE", uid, "+FLAGS", "(%s)" % flags)
        m.logout()

    # -------------------------------------------------------------- POP3

    def pop3(self, box, retr=()):
        """A session with Dovecot's POP3 (see pop_view)."""
        return pop_view(self.pop3_port, box, retr)


def pop_view(port, box, retr=(), top=()):
    """One POP3 session as fetchmail or Thunderbird would do it: UIDL,
    TOP n 0 to see which message each is, RETR of the Subjects in retr,
    TOP n 1 of those in top, QUIT.  Returns {Subject: UIDL}."""
    p = poplib.POP3("127.0.0.1", port, timeout=CLIENT_SECS)
    p.user(box.address)
    p.pass_(box.password)
    out = {}
    num = {}
    for line in p.uidl()[1]:
        n, uidl = line.decode().split(" ", 1)
        hdr = p.top(int(n), 0)[1]
        subj = [h.decode().split(":", 1)[1].strip() for h in hdr
                if h.lower().startswith(b"subject:")][0]
        out[subj] = uidl
        num[subj] = int(n)
    for s in retr:
        p.retr(num[s])
    for s in top:
        p.top(num[s], 1)
    p.quit()
    return out


_servers = {}


def popkit(args=()):
    """The popkit chain (tcpserver, pop3-greeter, checkpassword-virtual,
    pop3-maildir ARGS Maildir) on a free loopback port; one a set of
    pop3-maildir options, started on first use.  Returns the port."""
    args = tuple(args)
    if args in _servers:
        return _servers[args]
    port = t.serve(os.path.join(t.WORK, "users"), stage3_args=args)
    _servers[args] = port
    return port


def popkit_view(box, retr=(), top=(), args=()):
    """A popkit session (see pop_view); {Subject: UIDL}, or the error a
    client would see as a string."""
    try:
        return pop_view(popkit(args), box, retr, top)
    except (poplib.error_proto, OSError, EOFError) as e:
        return "POP3 session failed: %r\n%s" % (e, t.server_log()[-600:])


# ------------------------------------------------------------ Maildir

def message(subject, body="body\n"):
    return ("From: sender@example.org\nTo: joe@example.org\n"
            "Subject: %s\nMessage-ID: <%s@example.org>\n\n%s"
            % (subject, subject.replace(" ", "."), body)).encode()


def wire_size(data):
    return len(t.wire(data))


_seq = [0]


def craft(box, data, sub="new", fields="", info=""):
    """Write a message as a delivery agent other than Dovecot's does
    (maildrop, Postfix, qmail-local, a mail reader's copy), with the
    name's fields (",S=..." etc.) and, in cur/, an info part."""
    _seq[0] += 1
    unique = "%d.M%dP%d.mx.example.org" % (1790000000 + _seq[0],
                                           100000 + _seq[0], os.getpid())
    name = unique + fields + (":2," + info if sub == "cur" else "")
    tmp = os.path.join(box.maildir, "tmp", unique)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(box.maildir, sub, name))
    t.own(box.maildir)
    return name


def base(name):
    """A Maildir name's unique part as every reader keys it: everything
    before the colon."""
    return name.split(":", 1)[0]


def eq(got, want, desc, diag=None):
    """poptest's eq, with a note saying what was looked at."""
    if got == want:
        return t.ok(True, desc)
    return t.ok(False, desc, "got:  %.900r\nwant: %.900r%s"
                % (got, want, "\n" + str(diag) if diag is not None else ""))
