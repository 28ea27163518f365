# SPDX-License-Identifier: ISC
"""Moving from a Dovecot that used its default UIDLs keeps every UIDL,
so no client downloads its mail again.

Dovecot's default pop3_uidl_format is %08Xu%08Xv: the message's IMAP UID
and the mailbox's UIDVALIDITY in hex, from dovecot-uidlist.  A site that
switches its POP3 service to popkit asks pop3-maildir to read that file
(MIGRATE below); a leave-mail-on-server client then sees the very UIDLs
Dovecot gave, so it downloads nothing again.  Mail that arrives after the
switch gets popkit's own UIDL, the name before the colon.  popkit only
reads dovecot-uidlist, never writes it.  Checked the ways pop3-maildir(8)
gives: on a copy before the switch, with the live file, and with a copy
frozen at the switch for a site whose IMAP stays on Dovecot (which goes
on appending records to dovecot-uidlist, past its header's next UID).
Prints TAP.
"""
import os
import re
import shutil
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
t.ok(all(re.fullmatch(r"[0-9a-f]{16}", u) for u in dovecot.values()),
     "Dovecot's UIDLs are 16 hex digits, unlike the names", dovecot)

# The check pop3-maildir(8) advises before the switch: popkit on a copy
# of the Maildir gives the UIDLs the old server gives.
check = t.Mailbox("check@example.org", "a copy", users=box.users)
shutil.rmtree(check.maildir)
shutil.copytree(box.maildir, check.maildir, symlinks=True)
t.own(check.maildir)
d.eq(d.popkit_view(check, args=MIGRATE), dovecot,
     "before the switch, popkit %s on a copy gives Dovecot's UIDLs"
     % " ".join(MIGRATE))

# Mail Dovecot's LDA delivered after the client's last Dovecot session:
# the LDA appends its record to dovecot-uidlist, past the next UID the
# file's header gives (Dovecot rewrites the header only now and then).
names["lda unseen"] = dc.lda(box, m("lda unseen"))
uid = dc.view(box)["msgs"]["lda unseen"][0]
dovecot["lda unseen"] = "%08x%08x" % (uid, imap["validity"])
uidlist = os.path.join(box.maildir, "dovecot-uidlist")
with open(uidlist, "rb") as f:
    kept = f.read()
# The switch done as pop3-maildir(8) says for a site whose IMAP stays
# on Dovecot: a copy of the file frozen at the switch.
FROZEN = "popkit-uidl-dovecot"
shutil.copy2(uidlist, os.path.join(box.maildir, FROZEN))
t.own(box.maildir)
FROZEN_OPT = [MIGRATE[0] + ":" + FROZEN]

# popkit serves the Maildir from now on.
got = d.popkit_view(box, retr=["size"], args=MIGRATE)
d.eq(got, dovecot, "popkit %s: the UIDLs Dovecot gave, every one"
     % " ".join(MIGRATE), kept.decode(errors="replace"))
got = d.popkit_view(box, args=MIGRATE)
d.eq(got, dovecot, "popkit's next session: the same UIDLs")
got = d.popkit_view(box, args=FROZEN_OPT)
d.eq(got, dovecot, "popkit %s (the frozen copy): the same UIDLs"
     % " ".join(FROZEN_OPT))

late = d.craft(box, m("after the switch"))
got = d.popkit_view(box, args=MIGRATE)
want = dict(dovecot, **{"after the switch": d.base(late)})
d.eq(got, want, "mail delivered after the switch gets popkit's own UIDL "
     "(the name before the colon); the others keep Dovecot's")
with open(uidlist, "rb") as f:
    d.eq(f.read(), kept, "popkit left dovecot-uidlist as it was")

# IMAP is still served by Dovecot: its next look at the Maildir gives
# the late message a UID, appended to dovecot-uidlist.  With the live
# file the late message may then change UIDL (pop3-maildir(8) says so);
# the messages the client already knew must keep theirs.
dc.status(box)
with open(uidlist, "rb") as f:
    grown = f.read()
got = d.popkit_view(box, args=MIGRATE)
d.eq({k: v for k, v in got.items() if k != "after the switch"}
     if isinstance(got, dict) else got, dovecot,
     "after Dovecot's IMAP indexed the late message, %s still gives "
     "every earlier message Dovecot's UIDL" % " ".join(MIGRATE),
     grown.decode(errors="replace"))
got = d.popkit_view(box, args=FROZEN_OPT)
d.eq(got, want, "with the frozen copy every UIDL stays, the late "
     "message's too")

# Without the option, popkit does not read Dovecot's files.
got = d.popkit_view(box)
d.eq(got, {s: d.base(n) for s, n in
           dict(names, **{"after the switch": late}).items()},
     "without %s popkit serves its own UIDLs, the names" % " ".join(MIGRATE))

dc.stop()
t.done()
