# SPDX-License-Identifier: ISC
"""IMAP UIDs, UIDVALIDITY and flags stay as Dovecot gave them while
popkit serves the same Maildir over POP3.

A site runs Dovecot's IMAP beside popkit's POP3: the phone's IMAP client
keys its cache on UIDVALIDITY and UIDs, so a UID that changes means the
message is downloaded again and the old one vanishes.  Dovecot keys a
message on the part of its file name before the colon, so popkit may
change only the info part after ":2,".

(a) mail Dovecot indexed while still in new/: delivered by Dovecot's
    LDA (names with ,S= and ,W=) and by other agents (no fields, ,S=
    only), indexed by an IMAP STATUS; then popkit sessions move it to
    cur/.
(b) mail already in cur/ with flags (\\Flagged as F, a keyword as
    Dovecot's letter a), moved there by Dovecot's IMAP.
Prints TAP.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import dovecotlib as d  # noqa: E402
import poptest as t  # noqa: E402

d.require_dovecot()
t.built("pop3-maildir")

box = t.Mailbox("joe@example.org", "imap and pop")
box2 = t.Mailbox("ann@example.org", "in cur", users=box.users)
dc = d.Dovecot("uids", [box, box2])
dc.start()


def same_imap(before, after, what):
    """What an IMAP client would compare: UIDVALIDITY, every message's
    UID and flags, and UIDNEXT (no UID given out since)."""
    d.eq(after["validity"], before["validity"], what + ": UIDVALIDITY unchanged")
    d.eq(after["msgs"], before["msgs"],
         what + ": every message keeps its UID and flags")
    d.eq(after["uidnext"], before["uidnext"],
         what + ": UIDNEXT unchanged (no message got a new UID)")


# ---------------------------------------------- (a) indexed in new/
names = {
    "lda one": dc.lda(box, d.message("lda one")),
    "lda two": dc.lda(box, d.message("lda two", "a longer body\n" * 20)),
    "plain": d.craft(box, d.message("plain")),
    "size only": d.craft(box, d.message("size only"),
                         fields=",S=%d" % len(d.message("size only"))),
    "qmail": d.craft(box, d.message("qmail", "x\n" * 300)),
}
t.ok(all(",S=" in names[s] and ",W=" in names[s] for s in ("lda one", "lda two")),
     "Dovecot's LDA names carry ,S= and ,W=", names)
st = dc.status(box)
d.eq(st.get("MESSAGES"), "5", "IMAP STATUS: Dovecot indexed the 5 messages")
d.eq(sorted(os.listdir(os.path.join(box.maildir, "new"))), sorted(names.values()),
     "STATUS left them in new/")
first = dc.view(box)
d.eq(sorted(u for u, f in first["msgs"].values()), [1, 2, 3, 4, 5],
     "Dovecot gave UIDs 1-5")
d.eq(str(first["validity"]), st.get("UIDVALIDITY"), "EXAMINE shows STATUS's UIDVALIDITY")

got = d.popkit_view(box)
d.eq(sorted(got) if isinstance(got, dict) else got, sorted(names),
     "popkit's first session serves the 5 messages")
d.eq(os.listdir(os.path.join(box.maildir, "new")), [],
     "popkit's first session moved new/ to cur/")
cur = sorted(os.listdir(os.path.join(box.maildir, "cur")))
d.eq(sorted(d.base(n) for n in cur), sorted(names.values()),
     "the move kept every name before the colon", cur)
same_imap(first, dc.view(box), "IMAP after popkit's first session")

got = d.popkit_view(box)
t.ok(isinstance(got, dict) and len(got) == 5, "popkit's second session", got)
same_imap(first, dc.view(box), "IMAP after popkit's second session")

# A new delivery after popkit's sessions gets the next UID, and only it.
before = dc.view(box)
names["late"] = dc.lda(box, d.message("late"))
d.popkit_view(box)
after = dc.view(box)
d.eq(after["msgs"].get("late", (None,))[0], before["uidnext"],
     "a message delivered later gets the next UID")
d.eq({k: v for k, v in after["msgs"].items() if k != "late"}, first["msgs"],
     "and the others keep the UIDs they had before popkit's first session")

# ------------------------------------------ (b) in cur/ with flags
# Dovecot's IMAP moves the mail to cur/ (SELECT) and writes the flags a
# mail reader sets: \Flagged is F, the keyword gets letter a in
# dovecot-keywords.
names2 = {
    "flagged": dc.lda(box2, d.message("flagged")),
    "keyword": dc.lda(box2, d.message("keyword")),
    "both": d.craft(box2, d.message("both"), fields=",S=%d" % len(d.message("both"))),
    "answered": d.craft(box2, d.message("answered")),
    "unflagged": d.craft(box2, d.message("unflagged")),
}
dc.view(box2, readonly=False)
dc.store(box2, "flagged", "\\Flagged")
dc.store(box2, "keyword", "Work")
dc.store(box2, "both", "\\Flagged Work")
dc.store(box2, "answered", "\\Answered")
d.eq(os.listdir(os.path.join(box2.maildir, "new")), [], "Dovecot's SELECT moved new/ to cur/")
cur = {d.base(n): n.split(":", 1)[1] for n in os.listdir(os.path.join(box2.maildir, "cur"))}
d.eq(cur.get(names2["both"]), "2,Fa", "Dovecot wrote \\Flagged and the keyword as 2,Fa")
first = dc.view(box2)
d.eq(first["msgs"].get("both", (0, ()))[1], tuple(sorted(("\\Flagged", "Work"))),
     "IMAP shows \\Flagged and Work")

got = d.popkit_view(box2)
t.ok(isinstance(got, dict) and sorted(got) == sorted(names2),
     "popkit serves the 5 messages in cur/", got)
after = {d.base(n): n.split(":", 1)[1] for n in os.listdir(os.path.join(box2.maildir, "cur"))}
d.eq(after, cur, "a session without RETR leaves every name in cur/ as it was")
same_imap(first, dc.view(box2), "IMAP after a popkit session on cur/")
got = d.popkit_view(box2, top=["both", "flagged"])
same_imap(first, dc.view(box2), "IMAP after a popkit session with TOP")

dc.stop()
t.done()
