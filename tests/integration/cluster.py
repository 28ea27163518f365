#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""cluster -- issue 15's proof: any host serves any user over one store.

On one machine, as root: a GlusterFS volume (Debian's glusterfs-server,
one brick in WORK, its glusterd in a network namespace of its own so no
port or socket of the system's is touched) mounted twice through FUSE, as
two hosts' mounts; two network namespaces joined to this one by veth
links, each a "host" running the POP3 chain (tcpserver, pop3-greeter,
checkpassword-virtual, pop3-maildir) and popkit-lmtpd over its own mount
with --proxy-from naming its veth peer; Debian's haproxy in front of both
with send-proxy-v2.  Then, each part bounded in count and time:

  - one user logs in through both hosts at once: exactly one session,
    every other login -ERR [IN-USE] (the flock(2) session lock, which the
    brick enforces between the two mounts);
  - LMTP deliveries through both hosts while POP3 sessions through both
    RETR and DELE (some leave without QUIT): every delivered message is
    fetched by exactly one committed session or is still there at the
    end, none is lost or served twice, each arrives whole, and its UIDL is
    the same whichever host lists it;
  - each host's log names the client's own address and port (from the
    PROXY header), never the balancer's.

Everything it starts it stops, and it unmounts, deletes the volume and
the namespaces, also when it fails.  It skips only where it cannot run:
not root, no FUSE in the kernel, no network namespaces.  Prints TAP.
"""
import atexit
import hashlib
import os
import poplib
import random
import shutil
import signal
import smtplib
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import poptest as t  # noqa: E402

# --- May it run here? -------------------------------------------------------

if os.getuid() != 0:
    t.skip_all("needs root (network namespaces, FUSE mounts, glusterd)")


def kernel_has(fs):
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == fs for line in f if line.strip())


if not (os.path.exists("/dev/fuse") and kernel_has("fuse")):
    subprocess.run(["modprobe", "fuse"], capture_output=True)
    if not (os.path.exists("/dev/fuse") and kernel_has("fuse")):
        t.skip_all("the kernel has no FUSE (/dev/fuse, 'fuse' in "
                   "/proc/filesystems): GlusterFS cannot be mounted")
if not os.path.exists("/proc/self/ns/net"):
    t.skip_all("the kernel has no network namespaces (/proc/self/ns/net)")
# A child that only unshares its network namespace says whether we may.
probe = subprocess.run(["unshare", "--net", "true"], capture_output=True,
                       text=True)
if probe.returncode != 0:
    t.skip_all("cannot make a network namespace here (unshare --net: "
               f"{probe.stderr.strip()[:200]})")

TOOLS = {}
for name in ("glusterd", "gluster", "haproxy", "ip", "nsenter", "tcpserver"):
    TOOLS[name] = shutil.which(name) or shutil.which(
        name, path="/usr/sbin:/sbin:/usr/bin")
missing = [n for n, p in TOOLS.items() if not p]
if missing:
    print(f"Bail out! not installed: {', '.join(missing)} "
          "(scripts/deps installs glusterfs-server, haproxy, iproute2)")
    sys.exit(1)

# --- Teardown, first in, last out, whatever happens --------------------------

_undo = []


def undo_later(desc, fn):
    _undo.append((desc, fn))


def run_undo():
    while _undo:
        desc, fn = _undo.pop()
        try:
            fn()
        except Exception as e:  # keep tearing down; say what stuck
            print(f"# teardown: {desc}: {e}", flush=True)


# atexit runs last-registered first: this runs before poptest removes WORK
# (which must not happen through a live mount).
atexit.register(run_undo)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))


def sh(*cmd, check=True, timeout=60):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {r.returncode}: "
                           f"{(r.stderr or r.stdout).strip()[:400]}")
    return r


def setup_step(desc, fn):
    """Run one set-up step; on failure say which and stop (teardown runs)."""
    try:
        return fn()
    except Exception as e:
        t.ok(False, f"set-up: {desc}", e)
        print(f"Bail out! set-up failed: {desc}")
        sys.exit(1)


# --- Names: this run's own, so two runs never meet ---------------------------

PID = os.getpid()
TAG = f"pkc{PID % 1000000}"            # interface names stay < 16 octets
NS_STORE, NS = f"{TAG}s", {"a": f"{TAG}a", "b": f"{TAG}b"}
VOLUME = f"popkit{PID}"
# Two /30 links out of 198.18.0.0/15 (RFC 2544's benchmarking range, never
# routed), picked by pid; the addresses live only in this run's namespaces.
_base = (198 << 24) | (18 << 16) | ((PID % 16000) * 8)


def _ip(n):
    return socket.inet_ntoa(struct.pack("!I", _base + n))


LINK = {"a": (_ip(1), _ip(2)), "b": (_ip(5), _ip(6))}  # (balancer, host)
# The clients' own addresses: what each host's log must show.
SRC = {"pop-a": "127.15.0.10", "pop-b": "127.15.0.20",
       "lmtp-a": "127.15.0.11", "lmtp-b": "127.15.0.21"}
USER, PASSWORD = "joe@example.org", "cluster-secret"
HOSTNAME = {"a": "host-a.test", "b": "host-b.test"}
G = os.path.join(t.WORK, "gluster")
MNT = {"a": os.path.join(t.WORK, "mnt-a"), "b": os.path.join(t.WORK, "mnt-b")}
EMPTY = t.privsep_dir()
# Under scripts/test-valgrind every program starts and runs many times
# slower: the time bounds stretch, the counts stay.
SLOW = 4 if os.environ.get("POPKIT_VALGRIND") else 1


def in_ns(ns, *cmd):
    """cmd in network namespace ns, in this mount namespace (nsenter, not
    `ip netns exec`, which would make a mount namespace of its own)."""
    return [TOOLS["nsenter"], f"--net=/run/netns/{ns}", *map(str, cmd)]


def ns_add(ns):
    sh(TOOLS["ip"], "netns", "add", ns)
    undo_later(f"delete namespace {ns}", lambda: ns_delete(ns))
    sh(TOOLS["ip"], "-n", ns, "link", "set", "lo", "up")


def kill_ns_procs(ns):
    for p in sh(TOOLS["ip"], "netns", "pids", ns, check=False).stdout.split():
        try:
            os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass


def ns_delete(ns):
    """Kill whatever still runs in ns, then delete it (its veth with it)."""
    kill_ns_procs(ns)
    sh(TOOLS["ip"], "netns", "delete", ns, check=False)


# --- The store: glusterd, one volume, two FUSE mounts ------------------------

def gluster(*args, check=True, timeout=60):
    return sh(TOOLS["gluster"], f"--glusterd-sock={G}/glusterd.socket",
              "--mode=script", *args, check=check, timeout=timeout)


def start_glusterd():
    for d in ("work", "run", "brick", "log"):
        os.makedirs(os.path.join(G, d))
    ns_add(NS_STORE)
    vol = os.path.join(G, "glusterd.vol")
    with open(vol, "w") as f:
        # Its state, pid files and CLI socket in WORK: a system glusterd,
        # if any, is not disturbed (nor disturbs it).
        f.write(f"""volume management
    type mgmt/glusterd
    option working-directory {G}/work
    option run-directory {G}/run
    option glusterd-sockfile {G}/glusterd.socket
    option transport-type socket
    option transport.socket.listen-port 24007
    option ping-timeout 0
    option event-threads 1
end-volume
""")
    undo_later("stop glusterd", stop_glusterd)
    sh(*in_ns(NS_STORE, TOOLS["glusterd"], "-f", vol, "-p",
              f"{G}/glusterd.pid", "-l", f"{G}/log/glusterd.log"), timeout=90)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if os.path.exists(f"{G}/glusterd.socket") and gluster(
                "volume", "list", check=False, timeout=20).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("glusterd did not answer within 60 s")


def stop_glusterd():
    """glusterd, and the brick it started (both in the store namespace)."""
    kill_ns_procs(NS_STORE)


def brick_leftovers():
    """The brick's socket in /var/run/gluster and log in /var/log/glusterfs
    (glusterd puts them there whatever its options say), from its command
    line."""
    out = []
    pids = sh(TOOLS["ip"], "netns", "pids", NS_STORE, check=False).stdout
    for p in pids.split():
        try:
            args = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"--brick-name" not in args:
            continue
        out += [args[i + 1].decode() for i, a in enumerate(args[:-1])
                if a in (b"-S", b"-l")]
    return out


def make_volume():
    # 127.0.0.2: the store namespace's own loopback ("force": gluster
    # wants a real host's address and a brick not on the root file system).
    gluster("volume", "create", VOLUME, f"127.0.0.2:{G}/brick", "force")
    undo_later("delete the volume", lambda: gluster(
        "volume", "delete", VOLUME, timeout=30))
    # As pop3-maildir(8), SHARED STORAGE, says to set up a volume: the
    # bricks tell the clients what changed, so the clients' metadata
    # cache (1 s) does not hide a delivery made through the other host.
    for option in ("features.cache-invalidation",
                   "performance.cache-invalidation"):
        gluster("volume", "set", VOLUME, option, "on")
    gluster("volume", "start", VOLUME)
    leftovers = brick_leftovers()
    undo_later("remove the brick's socket and log",
               lambda: [os.unlink(p) for p in leftovers if os.path.exists(p)])
    undo_later("stop the volume", lambda: gluster(
        "volume", "stop", VOLUME, "force", timeout=30))


def mount(host):
    os.mkdir(MNT[host])
    sh(*in_ns(NS_STORE, "mount", "-t", "glusterfs", f"127.0.0.2:/{VOLUME}",
              MNT[host], "-o", f"log-file={G}/log/mount-{host}.log"))
    undo_later(f"unmount {MNT[host]}", lambda: unmount(MNT[host]))


def unmount(path):
    if sh("umount", path, check=False).returncode != 0:
        sh("umount", "-l", path, check=False)


def same_volume_through_both():
    probe_a = os.path.join(MNT["a"], "probe")
    with open(probe_a, "w") as f:
        f.write(TAG)
    with open(os.path.join(MNT["b"], "probe")) as f:
        seen = f.read()
    os.unlink(probe_a)
    return seen == TAG and os.stat(MNT["a"]).st_dev != os.stat(MNT["b"]).st_dev


# --- The hosts -----------------------------------------------------------------

def home(host):
    return os.path.join(MNT[host], "home", "joe")


def make_maildir():
    md = os.path.join(home("a"), "Maildir")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(md, sub))
    for root, dirs, files in os.walk(os.path.join(MNT["a"], "home")):
        os.chown(root, t.OWNER_PW.pw_uid, t.OWNER_PW.pw_gid)


def host_dir(host):
    return os.path.join(t.WORK, f"host-{host}")


def host_log(host):
    with open(os.path.join(host_dir(host), "log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def start_host(host):
    d = host_dir(host)
    os.makedirs(os.path.join(d, "aliases"))
    users = os.path.join(d, "users")
    with open(users, "w") as f:
        f.write(f"{USER}:{HASH}:{t.OWNER}:{home(host)}\n")
    ns = NS[host]
    ns_add(ns)
    outer, inner = f"{TAG}{host}0", f"{TAG}{host}1"
    lb, addr = LINK[host]
    sh(TOOLS["ip"], "link", "add", outer, "type", "veth", "peer", "name",
       inner, "netns", ns)
    sh(TOOLS["ip"], "addr", "add", f"{lb}/30", "dev", outer)
    sh(TOOLS["ip"], "link", "set", outer, "up")
    sh(TOOLS["ip"], "-n", ns, "addr", "add", f"{addr}/30", "dev", inner)
    sh(TOOLS["ip"], "-n", ns, "link", "set", inner, "up")
    undo_later(f"stop host {host}", lambda: kill_ns_procs(ns))
    log = open(os.path.join(d, "log"), "ab")
    pop3 = in_ns(ns, TOOLS["tcpserver"], "-R", "-H", "-l0", addr, "110",
                 t.built("pop3-greeter"), "--fail-delay=0",
                 f"--proxy-from={lb}/32", f"--privsep-dir={EMPTY}",
                 HOSTNAME[host], t.built("checkpassword-virtual"), "-f",
                 users, t.built("pop3-maildir"), "Maildir")
    lmtp = in_ns(ns, TOOLS["tcpserver"], "-R", "-H", "-l0", addr, "24",
                 t.built("popkit-lmtpd"), "-f", users, "-a",
                 os.path.join(d, "aliases"), f"--privsep-dir={EMPTY}",
                 f"--hostname={HOSTNAME[host]}", f"--proxy-from={lb}")
    for cmd in (pop3, lmtp):
        t._procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         stderr=log))
    # Up when a v2 LOCAL header (what a health check sends) is answered.
    for port, want in ((110, b"+OK"), (24, b"220 ")):
        end = time.monotonic() + 15
        while not local_hello(addr, port, lb).startswith(want):
            if time.monotonic() > end:
                raise RuntimeError(f"host {host}: nothing answers on "
                                   f"{addr}:{port}")
            time.sleep(0.1)


PROXY_V2_LOCAL = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"


def local_hello(addr, port, src):
    try:
        with socket.create_connection((addr, port), 2,
                                      source_address=(src, 0)) as s:
            s.sendall(PROXY_V2_LOCAL + b"QUIT\r\n")
            return s.recv(100)
    except OSError:
        return b""


# --- The balancer --------------------------------------------------------------

def start_haproxy():
    ports = {k: t.free_port() for k in ("pop3", "pop-a", "pop-b",
                                          "lmtp-a", "lmtp-b")}
    # "connect default": the check's connection takes the server line's
    # send-proxy-v2 (a bare "tcp-check connect" sends no header, and the
    # greeter, waiting for one, would time it out).
    check = ("    option tcp-check\n    tcp-check connect default\n"
             "    tcp-check expect rstring ^\\+OK\n"
             "    tcp-check send QUIT\\r\\n\n"
             "    tcp-check expect rstring ^\\+OK\n")
    a, b = LINK["a"][1], LINK["b"][1]
    cfg = f"""global
    maxconn 200
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout check {5 * SLOW}s
frontend pop3
    bind 127.0.0.1:{ports['pop3']}
    default_backend both
backend both
    balance roundrobin
{check}    server a {a}:110 send-proxy-v2 check inter 2s fall {3 * SLOW}
    server b {b}:110 send-proxy-v2 check inter 2s fall {3 * SLOW}
frontend pop-a
    bind 127.0.0.1:{ports['pop-a']}
    default_backend pop-a
backend pop-a
    server a {a}:110 send-proxy-v2
frontend pop-b
    bind 127.0.0.1:{ports['pop-b']}
    default_backend pop-b
backend pop-b
    server b {b}:110 send-proxy-v2
frontend lmtp-a
    bind 127.0.0.1:{ports['lmtp-a']}
    default_backend lmtp-a
backend lmtp-a
    server a {a}:24 send-proxy-v2
frontend lmtp-b
    bind 127.0.0.1:{ports['lmtp-b']}
    default_backend lmtp-b
backend lmtp-b
    server b {b}:24 send-proxy-v2
"""
    path = os.path.join(t.WORK, "haproxy.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    p = subprocess.Popen([TOOLS["haproxy"], "-db", "-f", path],
                         stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(t.WORK, "haproxy.log"), "ab"))
    t._procs.append(p)
    undo_later("stop haproxy", p.kill)
    for port in ports.values():
        if not t.wait_port(port, 10):
            raise RuntimeError(f"haproxy does not listen on {port}")
    return ports


# --- Clients: Python's poplib and smtplib, from chosen source addresses ------

class POP(poplib.POP3):
    """poplib's client, connecting from address src (the one each host's log
    must then show, since the balancer's header carries it)."""

    def __init__(self, port, src):
        self.src = src
        super().__init__("127.0.0.1", port, timeout=30)
        self.host_name = self.welcome.split()[1].decode() \
            if len(self.welcome.split()) > 1 else "?"
        self.local_port = self.sock.getsockname()[1]

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))

    def login(self):
        """+OK..., or the -ERR line, as text."""
        try:
            self.user(USER)
            return self.pass_(PASSWORD).decode()
        except poplib.error_proto as e:
            return e.args[0].decode() if isinstance(e.args[0], bytes) \
                else str(e.args[0])

    def abort(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


def in_use(answer):
    return answer.startswith("-ERR [IN-USE]")


# --- Set up ---------------------------------------------------------------------

def bail_out(kind, value, tb):
    """An exception the test did not expect: its trace, then a Bail out!
    line so the harness counts a failure (teardown still runs)."""
    sys.__excepthook__(kind, value, tb)
    print(f"Bail out! unexpected {kind.__name__}: {value}", flush=True)


sys.excepthook = bail_out
HASH = t.crypt_hash(PASSWORD)
began = time.monotonic()
setup_step("glusterd in its own network namespace", start_glusterd)
setup_step(f"volume {VOLUME} (one brick, force)", make_volume)
setup_step("mount it twice through FUSE", lambda: (mount("a"), mount("b")))
t.ok(same_volume_through_both(), "one GlusterFS volume, two FUSE mounts: a "
     "file written through one is read through the other")
setup_step("the user's Maildir on the volume", make_maildir)
setup_step("host a", lambda: start_host("a"))
setup_step("host b", lambda: start_host("b"))
# (Our own v2 LOCAL hellos said the hosts were up; haproxy's come after.)
LOCALS = {h: host_log(h).count("PROXY v2 LOCAL (a health check)")
          for h in ("a", "b")}
PORT = setup_step("haproxy with send-proxy-v2", start_haproxy)
t.ok(True, f"set up in {time.monotonic() - began:.1f} s: glusterd, volume, "
     "two mounts, two hosts, haproxy")

# --- 1. One session at a time, across hosts --------------------------------------

# (a) A session held through one host refuses a login through the other.
for first, second in (("a", "b"), ("b", "a")):
    holder = POP(PORT[f"pop-{first}"], SRC[f"pop-{first}"])
    got = holder.login()
    other = POP(PORT[f"pop-{second}"], SRC[f"pop-{second}"])
    refused = other.login()
    other.abort()
    holder.quit()
    after = POP(PORT[f"pop-{second}"], SRC[f"pop-{second}"])
    then = after.login()
    after.quit()
    t.ok(got.startswith("+OK") and holder.host_name == HOSTNAME[first],
         f"a session through host {first}", (holder.host_name, got))
    t.ok(in_use(refused) and other.host_name == HOSTNAME[second],
         f"meanwhile a login through host {second}: -ERR [IN-USE]",
         (other.host_name, refused))
    t.ok(then.startswith("+OK"), f"after its QUIT, a login through host "
         f"{second}: +OK", then)


# (b) Races: clients through the balanced port, started together; the one
# that wins holds its session until every other has its answer.
def race(n):
    gate = threading.Barrier(n)
    pending = [n]
    count = threading.Lock()
    all_answered = threading.Event()
    results = [("?", "no answer")] * n

    def answered():
        with count:
            pending[0] -= 1
            if pending[0] == 0:
                all_answered.set()

    def client(i):
        p = None
        try:
            gate.wait(10)
            p = POP(PORT["pop3"], f"127.15.1.{i + 1}")
            results[i] = (p.host_name, p.login())
        except Exception as e:
            results[i] = ("?", f"error: {e!r}")
        answered()
        if p is None:
            return
        if results[i][1].startswith("+OK"):
            all_answered.wait(15 * SLOW)
            try:
                p.quit()
            except (OSError, poplib.error_proto):
                p.abort()
        else:
            p.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(40 * SLOW)
    return results


ROUNDS, RACERS = 3, 6
winners = []
for r in range(ROUNDS):
    res = race(RACERS)
    won = [h for h, a in res if a.startswith("+OK")]
    lost = [h for h, a in res if in_use(a)]
    hosts = {h for h, _ in res}
    winners += won
    t.ok(len(won) == 1 and len(lost) == RACERS - 1,
         f"race {r + 1}: {RACERS} logins at once, exactly one session, the "
         "others -ERR [IN-USE]", res)
    t.ok(hosts == set(HOSTNAME.values()),
         f"race {r + 1}: the balancer spread them over both hosts", res)
print(f"# race winners: {winners}")

# --- 2. Deliveries and fetches through both hosts at once ------------------------

N_MSG = 40
sent = {}           # message id -> its body lines
delivered = set()
problems = []       # anything a client met that it should not have
lock = threading.Lock()


def message(host, i):
    mid = f"<{host}.{i}.{random.getrandbits(48):x}@cluster.test>"
    body = [f"message {i} delivered through host {host}",
            hashlib.sha256(mid.encode()).hexdigest(), ".leading dot"]
    text = (f"From: sender@example.net\r\nTo: {USER}\r\nMessage-ID: {mid}"
            f"\r\nSubject: cluster {host} {i}\r\n\r\n"
            + "".join(line + "\r\n" for line in body))
    return mid, body, text


def deliverer(host, count, first=0):
    i, count = first, first + count
    while i < count:
        try:
            with smtplib.LMTP("127.0.0.1", PORT[f"lmtp-{host}"],
                              source_address=(SRC[f"lmtp-{host}"], 0),
                              timeout=30) as c:
                for _ in range(5):          # five a connection
                    if i >= count:
                        break
                    mid, body, text = message(host, i)
                    i += 1
                    with lock:
                        sent[mid] = body
                    c.sendmail("sender@example.net", [USER], text)
                    with lock:
                        delivered.add(mid)
                    time.sleep(0.1)
        except (OSError, smtplib.SMTPException) as e:
            with lock:
                problems.append(f"LMTP via {host}: {e!r}")


# Every observation: (message id, UIDL, host, session number, committed?)
seen = []
fetched = []        # (message id, host, session, body ok)
sessions = {"a": 0, "b": 0}
committed = set()   # (host, session) whose QUIT was answered +OK
aborted = []        # (host, session) that RETRd and DELEd, then left
taking = {"a": 0, "b": 0}   # sessions that found messages to take
deliveries_done = threading.Event()


def parse(lines):
    mid = None
    for j, ln in enumerate(lines):
        if ln == b"":
            return mid, [x.decode("utf-8", "replace") for x in lines[j + 1:]]
        if ln.lower().startswith(b"message-id:"):
            mid = ln.split(b":", 1)[1].strip().decode()
    return mid, []


def fetch_session(host, sid, take):
    """One session: UIDL, then RETR and DELE of up to `take` messages
    (take=0: RETR of every one, no DELE), and QUIT -- but every other
    session that DELEs leaves without QUIT: nothing it marked may go, and
    what it fetched is served again later.  False when the maildrop was
    in use."""
    p = POP(PORT[f"pop-{host}"], SRC[f"pop-{host}"])
    got = p.login()
    if in_use(got):
        p.abort()
        return False
    if not got.startswith("+OK"):
        problems.append(f"login via {host}: {got}")
        p.abort()
        return True
    _, listing, _ = p.uidl()
    numbered = [ln.decode().split(" ", 1) for ln in listing]
    do_quit = True
    if take and numbered:
        taking[host] += 1
        do_quit = taking[host] % 2 != 0
    for n, uidl in numbered[:take] if take else numbered:
        _, lines, _ = p.retr(int(n))
        mid, body = parse(lines)
        with lock:
            seen.append((mid, uidl, host, sid))
            fetched.append((mid, host, sid, body == sent.get(mid)))
        if take:
            p.dele(int(n))
    for n, uidl in numbered[take:] if take else []:
        with lock:
            seen.append((None, uidl, host, sid))     # listed, not read
    if do_quit:
        answer = p.quit().decode()
        if answer.startswith("+OK"):
            with lock:
                committed.add((host, sid))
        else:
            problems.append(f"QUIT via {host}: {answer}")
    else:
        p.abort()
        aborted.append((host, sid))
    return True


def fetcher(host, deadline):
    extra = 2                       # sessions after the last delivery
    while time.monotonic() < deadline and extra > 0:
        if deliveries_done.is_set():
            extra -= 1
        sessions[host] += 1
        sid = sessions[host]
        try:
            if not fetch_session(host, sid, take=4):
                time.sleep(random.uniform(0.02, 0.1))
        except (OSError, poplib.error_proto, EOFError) as e:
            with lock:
                problems.append(f"session {sid} via {host}: {e!r}")
        time.sleep(random.uniform(0.0, 0.05))


began = time.monotonic()
deadline = began + 45 * SLOW
workers = [threading.Thread(target=deliverer, args=(h, N_MSG // 2))
           for h in ("a", "b")]
fetchers = [threading.Thread(target=fetcher, args=(h, deadline))
            for h in ("a", "b")]
for th in workers + fetchers:
    th.start()
for th in workers:
    th.join(max(1, deadline - time.monotonic()))
deliveries_done.set()
for th in fetchers:     # each stops by the deadline, a session at most later
    th.join(max(1, deadline - time.monotonic()) + 60 * SLOW)
t.ok(not any(th.is_alive() for th in workers + fetchers),
     f"deliveries and fetches ended within {45 * SLOW} s")
# Then one more through each host, when no session takes them: these must
# be there for the last look, whichever host it goes through.
late = threading.Thread(target=deliverer, args=("a", 1, N_MSG))
late.start()
deliverer("b", 1, N_MSG)
late.join(60 * SLOW)
took = time.monotonic() - began

# What is left, listed and read through each host in turn (no DELE).
final = {}
for host in ("a", "b"):
    sessions[host] += 1
    sid = sessions[host]
    try:
        for _ in range(20):
            if fetch_session(host, sid, take=0):
                break
            time.sleep(0.2)
    except (OSError, poplib.error_proto, EOFError) as e:
        problems.append(f"final session via {host}: {e!r}")
    final[host] = {(m, u) for m, u, h, s in seen if h == host and s == sid}

t.eq(problems, [], "no client met an error (IN-USE aside) in "
     f"{took:.1f} s of deliveries and fetches")
t.eq(len(delivered), N_MSG + 2, f"{N_MSG + 2} messages delivered, half "
     "through each host (LMTP 250 for each)")
t.ok(final["a"] == final["b"], "what is left is the same through both hosts: "
     f"{len(final['a'])} messages, the same UIDLs",
     (sorted(final["a"]), sorted(final["b"])))
left = {m for m, _ in final["a"]} | {m for m, _ in final["b"]}
final_sids = {(h, sessions[h]) for h in ("a", "b")}
served = {}                 # message id -> the committed sessions that took it
for mid, host, sid, whole in fetched:
    if (host, sid) in committed and (host, sid) not in final_sids:
        served.setdefault(mid, []).append((host, sid))
twice = {m: s for m, s in served.items() if len(s) > 1}
both = {m for m in served if m in left}
lost = delivered - set(served) - left
strangers = (set(served) | left) - set(sent)
t.eq(twice, {}, f"nothing served twice: {len(served)} messages each taken "
     "(RETR, DELE, QUIT +OK) by one session")
t.eq(sorted(both), [], "none both taken and still there")
t.ok(len(left) >= 2, f"{len(left)} still there at the end (at least the "
     "two delivered last)", sorted(left))
t.eq(sorted(lost), [], "nothing lost: every delivered message was taken "
     f"once or is still there ({len(served)} taken, {len(left)} left)")
t.eq(sorted(strangers), [], "no message that was not delivered")
t.eq([(m, h, s) for m, h, s, whole in fetched if not whole], [],
     "every RETR gave the message's body as delivered")
by_host = {h: {m for m, _, hh, _ in seen if m and hh == h}
           for h in ("a", "b")}
t.ok({h for ss in served.values() for h, _ in ss} == {"a", "b"},
     "both hosts took messages", served)
t.ok({h for h, _ in aborted} == {"a", "b"}, f"{len(aborted)} sessions "
     "through both hosts RETRd and DELEd, then left without QUIT (what "
     "they fetched was served again, which is allowed)", aborted)
# UIDLs: one per message whichever host listed it, and one message each.
uidls = {}
owners = {}
for mid, uidl, host, sid in seen:
    if mid:
        uidls.setdefault(mid, set()).add(uidl)
        owners.setdefault(uidl, set()).add(mid)
unstable = {m: u for m, u in uidls.items() if len(u) > 1}
shared = {u: m for u, m in owners.items() if len(m) > 1}
across = by_host["a"] & by_host["b"]
t.eq(unstable, {}, f"every message kept one UIDL ({len(uidls)} messages)")
t.eq(shared, {}, "no UIDL named two messages")
t.ok(len(across) > 0, f"{len(across)} messages were read through both hosts, "
     "with the same UIDL")
print(f"# {sessions['a']} sessions through a, {sessions['b']} through b, "
      f"{len(committed)} committed; {len(fetched)} RETRs")

# --- 3. Each host's log: the client's own address, from the header -----------

for host in ("a", "b"):
    log = host_log(host)
    lb = LINK[host][0]
    lines = log.splitlines()
    pop_src, lmtp_src = SRC[f"pop-{host}"], SRC[f"lmtp-{host}"]
    t.ok(any(f"PROXY v2 header from balancer {lb}: client port" in ln
             and f"rip={pop_src} " in ln + " " for ln in lines
             if ln.startswith("pop3-greeter:")),
         f"host {host}: pop3-greeter logs the header from balancer {lb} with "
         f"the client's rip={pop_src}")
    t.ok(any(ln.startswith("pop3-maildir:") and f"rip={pop_src} " in ln + " "
             for ln in lines),
         f"host {host}: pop3-maildir logs the client's rip={pop_src}")
    t.ok(any(ln.startswith("popkit-lmtpd:") and "PROXY v2 header from "
             f"balancer {lb}" in ln and f"rip={lmtp_src} " in ln + " "
             for ln in lines),
         f"host {host}: popkit-lmtpd logs the client's rip={lmtp_src}")
    wrong = [ln for ln in lines if f"rip={lb} " in ln + " " and
             ("pop3-maildir:" in ln or "user=" in ln)]
    t.eq(wrong[:5], [], f"host {host}: no session is logged as the "
         f"balancer's {lb}")
    t.ok(log.count("PROXY v2 LOCAL (a health check) from balancer "
                   f"{lb}: the socket's addresses kept rip={lb} ")
         > LOCALS[host], f"host {host}: haproxy's health checks came as v2 "
         "LOCAL headers and were greeted")

# One connection's own port, end to end.
p = POP(PORT["pop3"], "127.15.2.1")
me, host = p.local_port, p.host_name
p.quit()
h = "a" if host == HOSTNAME["a"] else "b"
end = time.monotonic() + 5
want = f"client port {me}, local port {PORT['pop3']} rip=127.15.2.1"
while want not in host_log(h) and time.monotonic() < end:
    time.sleep(0.05)
t.ok(want in host_log(h), f"host {h} logs this client's own port {me} and "
     "the balancer's front port", want)

run_undo()
t.ok(not any(os.path.ismount(m) for m in MNT.values()) and
     not any(os.path.exists(f"/run/netns/{n}")
             for n in (NS_STORE, *NS.values())),
     "torn down: both mounts gone, the namespaces deleted")
t.done()
