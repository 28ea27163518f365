"""stage3lib -- shared Python for the tests that run pop3-maildir by
itself, the way stage 2 execs it (tests/integration/stage3.py,
uidl_migrate.py, m2m_pop3.py): TAP points, the mail owner, and a private
copy of the built pop3-maildir that the owner can run.

Not tests/poptest.py: that one copies every program, puts them first in
PATH and wraps them for valgrind at import, for the whole chain under
tcpserver; these tests start no server and need only pop3-maildir.
"""
import atexit
import os
import pwd
import shutil
import sys
import tempfile

TOP_BUILD = os.environ.get("top_builddir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), ".."))

# The mail owner: ourselves, or as root nobody (pop3-maildir refuses
# uid 0, as stage 3 must never serve mail as root).
ROOT = os.geteuid() == 0
OWNER = pwd.getpwnam("nobody") if ROOT else pwd.getpwuid(os.getuid())

# The longest diagnostic a failed point prints, so one huge value (a
# whole log, a message) cannot bury the rest of the output.
DIAG_MAX = 4000

_n = 0
_failed = 0
_work = None


def ok(cond, desc, diag=None):
    """Record one test point; on failure print diag as TAP comments."""
    global _n, _failed
    _n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (_n, desc), flush=True)
    if not cond:
        _failed += 1
        if diag is not None:
            for line in str(diag)[:DIAG_MAX].splitlines():
                print("#   " + line)
    return bool(cond)


def is_(got, want, desc):
    return ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))


def skip(why):
    """A point that cannot run here: counted in the plan, says why."""
    global _n
    _n += 1
    print("ok %d # SKIP %s" % (_n, why), flush=True)


def done():
    """Print the plan (after the points) and exit 1 if any failed."""
    print("1..%d" % _n, flush=True)
    sys.exit(1 if _failed else 0)


def _cleanup():
    if _work:
        shutil.rmtree(_work, ignore_errors=True)


def work(prefix):
    """Make a private work directory (removed at exit, whatever happens)
    holding a copy of the built pop3-maildir; return (directory, program).
    Both are mode 755 so the mail owner can reach and run the copy."""
    global _work
    _work = tempfile.mkdtemp(prefix=prefix)
    atexit.register(_cleanup)
    os.chmod(_work, 0o755)
    prog = os.path.join(_work, "pop3-maildir")
    shutil.copy(os.path.join(TOP_BUILD, "pop3d", "pop3-maildir"), prog)
    os.chmod(prog, 0o755)
    return _work, prog


def as_owner():
    """preexec_fn: become the mail owner (no-op unless root)."""
    if ROOT:
        os.setgroups([])
        os.setgid(OWNER.pw_gid)
        os.setuid(OWNER.pw_uid)


def chown_tree(path):
    """Give the directory tree at path to the mail owner (no-op unless
    root); symlinks themselves, never what they point to.  A path that is
    not a directory is left as it is: os.walk yields nothing for it."""
    if not ROOT:
        return
    for dirpath, dirs, files in os.walk(path):
        os.chown(dirpath, OWNER.pw_uid, OWNER.pw_gid)
        for f in files:
            os.chown(os.path.join(dirpath, f), OWNER.pw_uid, OWNER.pw_gid,
                     follow_symlinks=False)
