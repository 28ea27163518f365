# SPDX-License-Identifier: ISC
# tests/ -- unit tests of the lead's lib modules and the full-chain client
# tests.  Other areas register their tests in their own fragments.
EXTRA_DIST += tests/tap.h
check_PROGRAMS += tests/unit/test_util tests/unit/test_io tests/unit/test_log tests/unit/test_netenv
tests_unit_test_netenv_LDADD = lib/libpopkit.a
tests_unit_test_util_LDADD = lib/libpopkit.a
tests_unit_test_io_LDADD = lib/libpopkit.a
tests_unit_test_log_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_util tests/unit/test_io tests/unit/test_log tests/unit/test_netenv
TESTS += tests/integration/clients.py
EXTRA_DIST += tests/integration/clients.py
# Every program: --version, --help, an unknown option, a man page; and
# every man page lint-clean.
TESTS += tests/integration/programs.sh tests/integration/manpages.sh
EXTRA_DIST += tests/integration/programs.sh tests/integration/manpages.sh
check_PROGRAMS += tests/unit/test_lfscan
TESTS += tests/unit/test_lfscan
check_PROGRAMS += tests/unit/test_usage
tests_unit_test_usage_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_usage
# Logging (lib/log): the chain under xinetd (fd 2 is the client socket),
# --syslog on each chain program, journald's <N> prefixes.
TESTS += tests/integration/xinetd.py tests/integration/logging.py
EXTRA_DIST += tests/integration/xinetd.py tests/integration/logging.py
# Dovecot from Debian beside popkit over one Maildir: the same UIDLs,
# IMAP UIDs and flags kept, so a site can run or swap both.
DOVECOT_TESTS = tests/integration/dovecot_uids.py tests/integration/dovecot_uidl.py \
	tests/integration/dovecot_seen.py tests/integration/dovecot_migrate.py
TESTS += $(DOVECOT_TESTS)
EXTRA_DIST += $(DOVECOT_TESTS) tests/dovecotlib.py
TESTS += tests/integration/hardening.sh
EXTRA_DIST += tests/integration/hardening.sh
# Shared by the tests that run pop3-maildir alone (stage3.py,
# uidl_migrate.py, m2m_pop3.py): TAP, the mail owner, a private copy.
EXTRA_DIST += tests/stage3lib.py
# Debian's Postfix, a private instance on loopback, into popkit's Maildirs
# through popkit-lmtpd and popkit-deliver (issue 14).
TESTS += tests/integration/postfix.py
EXTRA_DIST += tests/integration/postfix.py
