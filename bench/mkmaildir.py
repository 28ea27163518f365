#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""mkmaildir.py -- make a Maildir full of test messages for the benchmark.

usage: mkmaildir.py [options] DIR

Writes COUNT messages of SIZE bytes each (or sizes spread evenly between
SIZE and --size-max) into DIR/new (or DIR/cur with --cur), creating DIR,
DIR/tmp, DIR/new and DIR/cur.  Names look like a delivery agent's:
TIME.MusecPpidQn.bench[,S=size][:2,] with TIME rising by one second a
message, so name order is delivery order.  Bodies hold a line starting
with a dot in every message so byte-stuffing is exercised.  Line ends are
LF (as delivered to a Maildir) or CRLF with --crlf.  Sizes are exact on
disk; ,S= (with --sizes) gives that on-disk size.
"""
import argparse
import os
import sys

# A message may not be smaller than its headers; smaller requests are
# raised to this.
MIN_SIZE = 300
# Bounds so a typo cannot fill the disk.
MAX_COUNT = 2_000_000
MAX_SIZE = 1 << 30


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="mkmaildir.py",
        description="Make a Maildir of COUNT test messages.")
    p.add_argument("dir", help="the Maildir to create or fill")
    p.add_argument("-n", "--count", type=int, default=1000,
                   help="number of messages (default 1000)")
    p.add_argument("-s", "--size", type=int, default=4096,
                   help="message size in bytes (default 4096)")
    p.add_argument("--size-max", type=int, default=0,
                   help="spread sizes evenly from --size up to this")
    p.add_argument("--crlf", action="store_true",
                   help="store lines ending in CRLF instead of LF")
    p.add_argument("--sizes", action="store_true",
                   help="put ,S=SIZE in each name")
    p.add_argument("--cur", action="store_true",
                   help="put messages in cur/ (seen by a client) not new/")
    p.add_argument("--start-time", type=int, default=1700000000,
                   help="delivery time of the first message")
    a = p.parse_args(argv)
    if not 0 <= a.count <= MAX_COUNT:
        p.error("count must be 0..%d" % MAX_COUNT)
    if not 0 < a.size <= MAX_SIZE or a.size_max > MAX_SIZE:
        p.error("size must be 1..%d" % MAX_SIZE)
    return a


FILLER = ("The quick brown fox jumps over the lazy dog; "
          "popkit benchmark filler text 0123456789")[:70]


def body_block(nl, length):
    """A body of at least length bytes: filler lines, one dot-line."""
    lines = [".a line starting with a dot", FILLER]
    block = nl.join(lines) + nl
    line = FILLER + nl
    need = length - len(block)
    if need > 0:
        block += line * (need // len(line) + 1)
    return block


def message(i, size, nl, body):
    head = nl.join([
        "Return-Path: <sender@bench.invalid>",
        "Received: from bench by bench.invalid with local; message %d" % i,
        "From: Sender <sender@bench.invalid>",
        "To: Bench <bench@bench.invalid>",
        "Subject: benchmark message %d" % i,
        "Message-ID: <%d.bench@bench.invalid>" % i,
        "Date: Tue, 14 Nov 2023 22:13:20 +0000",
        "", ""])
    rest = size - len(head)
    text = head + body[:rest]
    # The message should end with a line end: replace a cut line's tail.
    if not text.endswith(nl):
        text = text[:len(text) - len(nl)] + nl
    return text.encode("ascii")


def main(argv):
    a = parse_args(argv)
    nl = "\r\n" if a.crlf else "\n"
    for sub in ("", "tmp", "new", "cur"):
        os.makedirs(os.path.join(a.dir, sub), mode=0o700, exist_ok=True)
    top = max(a.size, a.size_max)
    body = body_block(nl, max(top, MIN_SIZE))
    where = "cur" if a.cur else "new"
    pid = os.getpid()
    for i in range(a.count):
        size = a.size
        if a.size_max > a.size and a.count > 1:
            size = a.size + (a.size_max - a.size) * i // (a.count - 1)
        size = max(size, MIN_SIZE)
        data = message(i + 1, size, nl, body)
        name = "%d.M%dP%dQ%d.bench" % (a.start_time + i, i % 1000000,
                                       pid, i + 1)
        if a.sizes:
            name += ",S=%d" % len(data)
        if a.cur:
            name += ":2,"
        path = os.path.join(a.dir, where, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
