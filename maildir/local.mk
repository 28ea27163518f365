# maildir/local.mk -- owned by the helper for this area; += only (see Makefile.am).
# maildirmake, maildir2mbox, maildirwatch and their tests.
bin_PROGRAMS += maildir/maildirmake
maildir_maildirmake_SOURCES = maildir/maildirmake.c
maildir_maildirmake_LDADD = lib/libpopkit.a
man_MANS += man/maildirmake.1
TESTS += tests/integration/maildirmake.sh
EXTRA_DIST += tests/integration/maildirmake.sh
