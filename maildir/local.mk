# SPDX-License-Identifier: ISC
# maildir/local.mk -- owned by the helper for this area; += only (see Makefile.am).
# maildirmake, maildir2mbox, maildirwatch and their tests.
bin_PROGRAMS += maildir/maildirmake
maildir_maildirmake_SOURCES = maildir/maildirmake.c
maildir_maildirmake_LDADD = lib/libpopkit.a
man_MANS += man/maildirmake.1 man/popkit-maildir.5
TESTS += tests/integration/maildirmake.sh
EXTRA_DIST += tests/integration/maildirmake.sh
bin_PROGRAMS += maildir/maildir2mbox
maildir_maildir2mbox_SOURCES = maildir/maildir2mbox.c
maildir_maildir2mbox_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
lib_libpopkit_a_SOURCES += lib/mbox.c lib/mbox.h lib/fault.h
# The test twin of maildir2mbox with lib/fault's hooks compiled in (see
# lib/fault.h): the tests kill it after every step and fill its disk at
# every write; the installed maildir2mbox reads no fault variable.
check_PROGRAMS += tests/integration/maildir2mbox-fault
tests_integration_maildir2mbox_fault_SOURCES = maildir/maildir2mbox.c \
	lib/mbox.c lib/fault.c
tests_integration_maildir2mbox_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_integration_maildir2mbox_fault_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
# lib/fault itself, with the hooks and (test_fault_off) without.
check_PROGRAMS += tests/unit/test_fault tests/unit/test_fault_off
tests_unit_test_fault_SOURCES = tests/unit/test_fault.c lib/fault.c
tests_unit_test_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_unit_test_fault_off_SOURCES = tests/unit/test_fault.c
TESTS += tests/unit/test_fault tests/unit/test_fault_off
check_PROGRAMS += tests/unit/test_mbox
tests_unit_test_mbox_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
TESTS += tests/unit/test_mbox
man_MANS += man/maildir2mbox.1 man/popkit-mbox.5
TESTS += tests/integration/maildir2mbox.sh tests/integration/maildir2mbox_once.py \
	tests/integration/maildir2mbox_spool.sh
EXTRA_DIST += tests/integration/maildir2mbox.sh tests/integration/maildir2mbox_once.py \
	tests/integration/maildir2mbox_spool.sh
lib_libpopkit_a_SOURCES += lib/rfc2047.c lib/rfc2047.h
check_PROGRAMS += tests/unit/test_rfc2047
tests_unit_test_rfc2047_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_rfc2047
bin_PROGRAMS += maildir/maildirwatch
maildir_maildirwatch_SOURCES = maildir/maildirwatch.c
maildir_maildirwatch_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
maildir_maildirwatch_LDADD = lib/libpopkit.a $(NCURSES_LIBS)
man_MANS += man/maildirwatch.1
TESTS += tests/integration/maildirwatch.sh
EXTRA_DIST += tests/integration/maildirwatch.sh
