# SPDX-License-Identifier: ISC
# tests/ -- the tests of the whole chain and of every program at once,
# and what the tests share.  The unit tests are registered with their
# modules (lib/local.mk), each program's tests beside it.
EXTRA_DIST += tests/lib.sh tests/poptest.py
TESTS += tests/integration/clients.py
EXTRA_DIST += tests/integration/clients.py
# Every program: --version, --help, an unknown option, a man page; and
# every man page lint-clean.
TESTS += tests/integration/programs.sh tests/integration/manpages.sh
EXTRA_DIST += tests/integration/programs.sh tests/integration/manpages.sh
# Logging (lib/log): the chain under xinetd (fd 2 is the client socket),
# --syslog on each chain program, journald's <N> prefixes.
TESTS += tests/integration/xinetd.py tests/integration/logging.py
EXTRA_DIST += tests/integration/xinetd.py tests/integration/logging.py
# Dovecot from Debian beside popkit over one Maildir.
DOVECOT_TESTS = tests/integration/dovecot_uids.py tests/integration/dovecot_uidl.py \
	tests/integration/dovecot_seen.py tests/integration/dovecot_migrate.py
TESTS += $(DOVECOT_TESTS)
EXTRA_DIST += $(DOVECOT_TESTS) tests/dovecotlib.py
TESTS += tests/integration/hardening.sh
# docs/DESIGN.md names only files, C names and modules that exist, and
# every lib module and program.
TESTS += tests/integration/design_doc.sh
EXTRA_DIST += tests/integration/design_doc.sh
# Maildir++ quota over the real chain: vuser quota, QUIT's negative line.
TESTS += tests/integration/quota.py
EXTRA_DIST += tests/integration/quota.py
EXTRA_DIST += tests/integration/hardening.sh
# Shared by the tests that run pop3-maildir alone (stage3.py,
# uidl_migrate.py, m2m_pop3.py): TAP, the mail owner, a private copy.
EXTRA_DIST += tests/stage3lib.py
# Debian's Postfix, a private instance on loopback, into popkit's Maildirs
# through popkit-lmtpd and popkit-deliver (issue 14).
TESTS += tests/integration/postfix.py
EXTRA_DIST += tests/integration/postfix.py
# Issue 15's proof, as root: two hosts (network namespaces) over one
# GlusterFS volume mounted twice, behind HAProxy with send-proxy-v2.
TESTS += tests/integration/cluster.py
EXTRA_DIST += tests/integration/cluster.py
