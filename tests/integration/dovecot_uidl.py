# SPDX-License-Identifier: ISC
"""popkit's UIDLs are Dovecot's pop3_uidl_format=%f UIDLs.

A site moving between Dovecot (%f, as qmail-pop3d also shows) and
popkit, in either direction, or running both over one Maildir, must not
make a leave-mail-on-server client (fetchmail, Thunderbird) download
everything again: each message keeps one UIDL, the whole name before the
colon as it was delivered, ,S= and ,W= included, whichever server serves
it and after either has moved or flagged it.  Two Maildirs: one popkit
serves first, one Dovecot serves first; then they take turns, each with
a RETR so that flags change too.  Prints TAP.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import dovecotlib as d  # noqa: E402
import poptest as t  # noqa: E402

d.require_dovecot()
t.built("pop3-maildir")

first_popkit = t.Mailbox("joe@example.org", "popkit first")
first_dovecot = t.Mailbox("ann@example.org", "dovecot first",
                          users=first_popkit.users)
dc = d.Dovecot("uidl", [first_popkit, first_dovecot], uidl_format="%f")
dc.start()


def fill(box):
    """One of each name a delivery agent writes; {Subject: name}."""
    m = d.message
    names = {
        "lda": dc.lda(box, m("lda")),
        "plain": d.craft(box, m("plain")),
        "size": d.craft(box, m("size"), fields=",S=%d" % len(m("size"))),
        "size wire": d.craft(box, m("size wire"), fields=",S=%d,W=%d"
                             % (len(m("size wire")), d.wire_size(m("size wire")))),
        "cur seen": d.craft(box, m("cur seen"), sub="cur", info="S"),
        "cur fields": d.craft(box, m("cur fields"), sub="cur", info="FS",
                              fields=",S=%d,W=%d" % (len(m("cur fields")),
                                                     d.wire_size(m("cur fields")))),
    }
    return {s: d.base(n) for s, n in names.items()}


def check(box, want, turns):
    for server, retr in turns:
        if server == "popkit":
            got = d.popkit_view(box, retr=[retr])
        else:
            got = dc.pop3(box, retr=[retr])
        d.eq(got, want, "%s: %s's UIDLs are the names before the colon, "
             "as delivered" % (box.address, server),
             sorted(os.listdir(os.path.join(box.maildir, "new")) +
                    os.listdir(os.path.join(box.maildir, "cur"))))
        # what a client moving between the two would compare
        other = dc.pop3(box) if server == "popkit" else d.popkit_view(box)
        d.eq(other, got, "%s: right after, the other server gives the same "
             "UIDLs" % box.address)


want = fill(first_popkit)
t.ok(",S=" in want["lda"] and ",W=" in want["lda"],
     "Dovecot's LDA wrote ,S= and ,W=", want["lda"])
check(first_popkit, want, [("popkit", "plain"), ("dovecot", "size"),
                           ("popkit", "lda"), ("dovecot", "size wire")])

want = fill(first_dovecot)
check(first_dovecot, want, [("dovecot", "plain"), ("popkit", "size"),
                            ("dovecot", "lda"), ("popkit", "size wire")])

dc.stop()
t.done()
