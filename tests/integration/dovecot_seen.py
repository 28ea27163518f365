# SPDX-License-Identifier: ISC
"""A message fetched by POP3 shows as read over IMAP.

Dovecot's POP3 marks a message \\Seen when RETR fetched it, so a user
with a desktop on POP3 and a phone on IMAP does not see fetched mail as
unread on the phone.  popkit does the same at QUIT (S in the info part),
keeping the other flags and Dovecot's keyword letters, and the IMAP UID;
TOP (a client peeking at headers) does not mark; neither does anything
with --no-seen.  Prints TAP.
"""
import os
import poplib
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import dovecotlib as d  # noqa: E402
import poptest as t  # noqa: E402

d.require_dovecot()
t.built("pop3-maildir")

box = t.Mailbox("joe@example.org", "seen over imap")
dc = d.Dovecot("seen", [box])
dc.start()


def session(subjects, args=(), quit=True):
    """A POP3 session through popkit: for each (Subject, command) the
    command ("RETR", "TOP", "DELE") on that message; QUIT unless told
    not to (then the connection is just dropped)."""
    p = poplib.POP3("127.0.0.1", d.popkit(args), timeout=d.CLIENT_SECS)
    p.user(box.address)
    p.pass_(box.password)
    num = {}
    for i in range(1, len(p.list()[1]) + 1):
        hdr = p.top(i, 0)[1]
        num[[h.decode()[9:] for h in hdr if h.startswith(b"Subject: ")][0]] = i
    for subj, cmd in subjects:
        if cmd == "RETR":
            p.retr(num[subj])
        elif cmd == "TOP":
            p.top(num[subj], 3)
        elif cmd == "DELE":
            p.dele(num[subj])
    if quit:
        p.quit()
    else:
        p.sock.close()


def info(subject):
    """The info part of the file holding the message, or None."""
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(box.maildir, sub)):
            with open(os.path.join(box.maildir, sub, n), "rb") as f:
                if b"Subject: %s\n" % subject.encode() in f.read():
                    return n.split(":", 1)[1] if ":" in n else ""
    return None


# One message in cur/ with a flag and a keyword set over IMAP (\Flagged
# is F, the keyword Work gets Dovecot's letter a); then mail in new/,
# indexed by the IMAP client's STATUS.
dc.lda(box, d.message("flagged"))
dc.view(box, readonly=False)
dc.store(box, "flagged", "\\Flagged Work")
d.eq(info("flagged"), "2,Fa", "IMAP set \\Flagged and a keyword: 2,Fa")
for s in ("fetched", "peeked", "listed", "deleted", "dropped"):
    dc.lda(box, d.message(s))
d.craft(box, d.message("qmail"), fields="")
dc.status(box)
before = dc.view(box)
d.eq(sorted(s for s, (u, f) in before["msgs"].items() if "\\Seen" in f), [],
     "nothing is \\Seen over IMAP before POP3")

try:
    session([("fetched", "RETR"), ("flagged", "RETR"), ("qmail", "RETR"),
             ("peeked", "TOP"), ("deleted", "RETR"), ("deleted", "DELE")])
    failed = None
except (poplib.error_proto, OSError) as e:
    failed = "%r\n%s" % (e, t.server_log()[-1500:])
t.ok(failed is None, "POP3 session: RETR, TOP, DELE, QUIT", failed)
after = dc.view(box)
msgs = after["msgs"]
d.eq(msgs.get("fetched"), (before["msgs"]["fetched"][0], ("\\Seen",)),
     "RETR'd by popkit: \\Seen over IMAP, same UID")
d.eq(msgs.get("qmail"), (before["msgs"]["qmail"][0], ("\\Seen",)),
     "RETR'd, delivered by another agent: \\Seen over IMAP, same UID")
d.eq(msgs.get("flagged"), (before["msgs"]["flagged"][0],
                           tuple(sorted(("\\Flagged", "\\Seen", "Work")))),
     "RETR'd with \\Flagged and a keyword: all three over IMAP, same UID")
d.eq(info("flagged"), "2,FSa", "and the file's flags are 2,FSa (ASCII order)")
d.eq(msgs.get("peeked"), before["msgs"]["peeked"], "TOP: still unread over IMAP")
d.eq(msgs.get("listed"), before["msgs"]["listed"],
     "neither RETR nor TOP: still unread over IMAP")
t.ok("deleted" not in msgs and info("deleted") is None,
     "RETR then DELE: the message is gone (not kept as \\Seen)", msgs)
d.eq(after["validity"], before["validity"], "UIDVALIDITY unchanged")
d.eq(after["uidnext"], before["uidnext"], "no message got a new UID")

# A dropped connection changes nothing, as it removes nothing.
session([("dropped", "RETR")], quit=False)
d.eq(dc.view(box)["msgs"].get("dropped"), before["msgs"]["dropped"],
     "RETR without QUIT (connection dropped): still unread over IMAP")

# --no-seen: the old behaviour, for sites that want POP3 to leave IMAP's
# flags alone.
for s in ("kept unread", "kept peeked"):
    dc.lda(box, d.message(s))
before = dc.view(box)
try:
    session([("kept unread", "RETR"), ("kept peeked", "TOP")],
            args=["--no-seen"])
    failed = None
except (poplib.error_proto, OSError) as e:
    failed = "%r\n%s" % (e, t.server_log()[-1500:])
t.ok(failed is None, "POP3 session with pop3-maildir --no-seen", failed)
after = dc.view(box)
d.eq(after["msgs"].get("kept unread"), before["msgs"]["kept unread"],
     "--no-seen: RETR'd but still unread over IMAP, same UID")
d.eq(after["msgs"].get("kept peeked"), before["msgs"]["kept peeked"],
     "--no-seen: TOP: still unread over IMAP")
d.eq(after["msgs"], before["msgs"],
     "--no-seen: every message keeps its UID and flags")

dc.stop()
t.done()
