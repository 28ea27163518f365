# maildir/local.mk -- owned by the helper for this area; += only (see Makefile.am).
# maildirmake, maildir2mbox, maildirwatch and their tests.
bin_PROGRAMS += maildir/maildirmake
maildir_maildirmake_SOURCES = maildir/maildirmake.c
maildir_maildirmake_LDADD = lib/libpopkit.a
man_MANS += man/maildirmake.1 man/maildir.5
TESTS += tests/integration/maildirmake.sh
EXTRA_DIST += tests/integration/maildirmake.sh
bin_PROGRAMS += maildir/maildir2mbox
maildir_maildir2mbox_SOURCES = maildir/maildir2mbox.c
maildir_maildir2mbox_LDADD = lib/libpopkit.a
lib_libpopkit_a_SOURCES += lib/mbox.c lib/mbox.h
check_PROGRAMS += tests/unit/test_mbox
tests_unit_test_mbox_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_mbox
man_MANS += man/maildir2mbox.1 man/mbox.5
TESTS += tests/integration/maildir2mbox.sh tests/integration/maildir2mbox.py
EXTRA_DIST += tests/integration/maildir2mbox.sh tests/integration/maildir2mbox.py
