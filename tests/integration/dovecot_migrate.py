"""Moving from a Dovecot that used its default UIDLs keeps every UIDL
(issue 11).

Dovecot's default pop3_uidl_format is %08Xu%08Xv: the message's IMAP UID
and the mailbox's UIDVALIDITY in hex, from dovecot-uidlist.  A site that
switches its POP3 service to popkit asks pop3-maildir to read that file
(MIGRATE below); a leave-mail-on-server client then sees the very UIDLs
Dovecot gave, so it downloads nothing again.  Mail that arrives after the
switch gets popkit's own UIDL, the name before the colon.  popkit only
reads dovecot-uidlist, never writes it.  Prints TAP.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import dovecotlib as d  # noqa: E402
import poptest as t  # noqa: E402

# The pop3-maildir option that picks up Dovecot's UIDLs.
MIGRATE = ["--uidl-from=dovecot"]

d.require_dovecot()
t.built("pop3-maildir")

box = t.Mailbox("joe@example.org", "moving house")
dc = d.Dovecot("migrate", [box], uidl_format=None)
dc.start()
m = d.message
names = {
    "lda": dc.lda(box, m("lda")),
    "lda big": dc.lda(box, m("lda big", "a line of text\n" * 100)),
    "plain": d.craft(box, m("plain")),
    "size": d.craft(box, m("size"), fields=",S=%d" % len(m("size"))),
    "cur seen": d.craft(box, m("cur seen"), sub="cur", info="S"),
}

# The client's last sessions on Dovecot: a RETR each time, as a client
# that leaves mail on the server does with the new message.
dovecot = dc.pop3(box, retr=["lda"])
again = dc.pop3(box, retr=["plain"])
d.eq(sorted(dovecot), sorted(names), "Dovecot's POP3 serves the 5 messages")
d.eq(again, dovecot, "Dovecot's UIDLs are the same in its next session")
imap = dc.view(box)
# Dovecot 2.3's X modifier writes lower-case hex digits, whatever the
# case of the letter in the format.
d.eq(dovecot, {s: "%08x%08x" % (uid, imap["validity"])
               for s, (uid, f) in imap["msgs"].items()},
     "Dovecot's default UIDLs are %08Xu%08Xv: IMAP UID and UIDVALIDITY in "
     "lower-case hex")
uidlist = os.path.join(box.maildir, "dovecot-uidlist")
with open(uidlist, "rb") as f:
    kept = f.read()

# The switch: popkit serves the Maildir from now on.
got = d.popkit_view(box, retr=["size"], args=MIGRATE)
d.eq(got, dovecot, "popkit %s: the UIDLs Dovecot gave, every one"
     % " ".join(MIGRATE))
got = d.popkit_view(box, args=MIGRATE)
d.eq(got, dovecot, "popkit's next session: the same UIDLs")

late = d.craft(box, m("after the switch"))
got = d.popkit_view(box, args=MIGRATE)
want = dict(dovecot, **{"after the switch": d.base(late)})
d.eq(got, want, "mail delivered after the switch gets popkit's own UIDL "
     "(the name before the colon); the others keep Dovecot's")
with open(uidlist, "rb") as f:
    d.eq(f.read(), kept, "popkit left dovecot-uidlist as it was")
t.ok(all(re.fullmatch(r"[0-9a-f]{16}", u) for u in dovecot.values()),
     "Dovecot's UIDLs were 16 hex digits, unlike the names", dovecot)

# IMAP is still served by Dovecot: its next look at the Maildir gives
# the late message a UID in dovecot-uidlist.  A POP3 client that has
# already seen that message under popkit's UIDL must keep seeing it.
dc.status(box)
got = d.popkit_view(box, args=MIGRATE)
d.eq(got, want, "after Dovecot's IMAP indexed the late message, popkit's "
     "UIDLs are still the same")

# Without the option, popkit does not read Dovecot's files.
got = d.popkit_view(box)
d.eq(got, {s: d.base(n) for s, n in dict(names, **{"after the switch": late}).items()},
     "without %s popkit serves its own UIDLs, the names" % " ".join(MIGRATE))

dc.stop()
t.done()
