# SPDX-License-Identifier: ISC
# maildir/ -- maildirmake, maildir2mbox and maildirwatch, with their
# integration tests.  Their lib modules and unit tests are in
# lib/local.mk.
bin_PROGRAMS += maildir/maildirmake maildir/maildir2mbox maildir/maildirwatch
man_MANS += man/maildirmake.1 man/popkit-maildir.5 \
	man/maildir2mbox.1 man/popkit-mbox.5 man/maildirwatch.1

maildir_maildirmake_SOURCES = maildir/maildirmake.c
maildir_maildir2mbox_SOURCES = maildir/maildir2mbox.c
maildir_maildir2mbox_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
maildir_maildirwatch_SOURCES = maildir/maildirwatch.c
maildir_maildirwatch_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
maildir_maildirwatch_LDADD = lib/libpopkit.a $(NCURSES_LIBS)

# The test twin of maildir2mbox with lib/fault's hooks compiled in (see
# lib/fault.h): the tests kill it after every step and fill its disk at
# every write; the installed maildir2mbox reads no fault variable.
check_PROGRAMS += tests/integration/maildir2mbox-fault
tests_integration_maildir2mbox_fault_SOURCES = maildir/maildir2mbox.c \
	lib/mbox.c lib/fault.c
tests_integration_maildir2mbox_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_integration_maildir2mbox_fault_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)

MAILDIR_TESTS = tests/integration/maildirmake.sh \
	tests/integration/maildir2mbox.sh tests/integration/maildir2mbox_once.py \
	tests/integration/maildir2mbox_spool.sh \
	tests/integration/maildirwatch.sh
# maildir2mbox killed at each fault point, then a POP3 session, then again.
MAILDIR_TESTS += tests/integration/m2m_pop3.py
TESTS += $(MAILDIR_TESTS)
EXTRA_DIST += $(MAILDIR_TESTS)
