#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""greeter_chat.py PORT [--hold FILE] -- a raw POP3 client for the tests.

Reads the greeting, then writes all of standard input in ONE send (so the
server sees the commands pipelined, CRLFs as given), half-closes, and
prints everything the server answers until it closes the connection.
With --hold FILE it sends nothing until FILE exists (the test inspects the
server meanwhile), then sends standard input as above.  Bounded: gives up
after 30 seconds of silence.
"""
import os
import socket
import sys
import time

def main():
    port = int(sys.argv[1])
    hold = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--hold" else None
    data = sys.stdin.buffer.read()
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.settimeout(30)
    out = sys.stdout.buffer
    greeting = b""
    while not greeting.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        greeting += chunk
    out.write(greeting)
    out.flush()
    if hold:
        for _ in range(600):
            if os.path.exists(hold):
                break
            time.sleep(0.05)
    if data:
        s.sendall(data)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out.write(chunk)
    except (socket.timeout, ConnectionResetError):
        out.write(b"[client: timeout or reset]\r\n")
    out.flush()

main()
