#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Two hosts delivering into one Maildir at once, as front ends on shared
storage do: each "host" is a UTS namespace with its own host name and a
PID namespace of its own, so the two hand out the same process ids.
Every delivery gets a name of its own (the Maildir spec's NFS rule: the
host name in the unique part), nothing collides and nothing is lost."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import poptest as t  # noqa: E402

PD = t.built("popkit-deliver")
EACH = 40
HOSTS = ("mx-a.example.net", "mx-b.example.net")

if os.geteuid() != 0:
    t.skip_all("needs root for UTS and PID namespaces (unshare)")
# --mount-proc: a /proc of the namespace's own, where a program finds
# itself by its pid (LeakSanitizer does, in the sanitizer build).
UNSHARE = ["unshare", "--uts", "--pid", "--fork", "--mount-proc"]
probe = subprocess.run(UNSHARE + ["true"],
                       capture_output=True)
if probe.returncode != 0:
    t.skip_all("no UTS, PID or mount namespaces here: %s"
               % probe.stderr.decode(errors="replace").strip())

ALIASES = os.path.join(t.WORK, "aliases")
os.mkdir(ALIASES)
mb = t.Mailbox("joe@abc.com", "secret")

# One shell loop a host: the host name set inside the namespace (what
# gethostname(2) gives popkit-deliver), then EACH deliveries, each a
# child of the loop, so both namespaces count their pids alike.
LOOP = r'''
hostname "$1"
host=$1; shift
k=0
while [ $k -lt $EACH ]; do
    printf 'Subject: %s %d\n\nbody %d\n' "$host" $k $k |
        "$@" || echo "failed: $host $k $?" >&2
    k=$((k + 1))
done
'''
cmd = [PD, "-f", mb.users, "-a", ALIASES, "-r", "a@b", "joe@abc.com"]
env = dict(os.environ, EACH=str(EACH))


def host_env(h):
    """Each host a TMPDIR of its own, as two machines have: the same pids
    in both (PID namespaces) would otherwise make the same temporary
    names there (valgrind's, from a seed of the pid, collided)."""
    tmp = os.path.join(t.WORK, "tmp-" + h)
    os.makedirs(tmp, exist_ok=True)
    os.chmod(tmp, 0o1777)
    return dict(env, TMPDIR=tmp)


procs = [subprocess.Popen(UNSHARE + ["sh", "-c", LOOP, "sh", h] + cmd,
                          env=host_env(h), stderr=subprocess.PIPE)
         for h in HOSTS]
errs = [p.communicate(timeout=300)[1].decode(errors="replace") for p in procs]
t.eq([p.returncode for p in procs], [0, 0], "both hosts' loops ended")
t.eq("".join(errs), "", "every delivery exited 0")

new = os.listdir(os.path.join(mb.maildir, "new"))
t.eq(len(new), 2 * EACH, "%d messages in new/, none lost" % (2 * EACH))
t.eq(len(set(new)), len(new), "no two share a name")
pat = re.compile(r"^\d+\.M\d+P(\d+)Q\d+\.([^,:]+),S=\d+,W=\d+$")
parts = [pat.match(n) for n in new]
t.ok(all(parts), "every name is SECONDS.M<usec>P<pid>Q<n>.HOST,S=,W=",
     [n for n, m in zip(new, parts) if not m][:5])
by_host = {h: [m for m in parts if m and m.group(2) == h] for h in HOSTS}
t.eq([len(by_host[h]) for h in HOSTS], [EACH, EACH],
     "each host's name is in its own deliveries' names")
pids = [set(m.group(1) for m in by_host[h]) for h in HOSTS]
t.ok(pids[0] & pids[1], "the two hosts used the same process ids (%d in "
     "common): the host name is what keeps their names apart"
     % len(pids[0] & pids[1]))
bodies = set()
for n in new:
    with open(os.path.join(mb.maildir, "new", n), "rb") as f:
        m = re.search(rb"^Subject: (\S+ \d+)$", f.read(), re.M)
        bodies.add(m.group(1).decode() if m else "?")
t.eq(sorted(bodies), sorted("%s %d" % (h, k) for h in HOSTS
                            for k in range(EACH)),
     "every message is there once, with its own content")
t.eq(os.listdir(os.path.join(mb.maildir, "tmp")), [], "tmp/ is empty")
t.done()
