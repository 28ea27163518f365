# SPDX-License-Identifier: ISC
# deliver/local.mk -- the delivery side (issue 14): popkit-deliver and
# popkit-lmtpd over lib/deliver.  += only (see Makefile.am).

# lib/deliver: the status table, the spool, one Maildir, a recipient.
lib_libpopkit_a_SOURCES += lib/deliver.c lib/deliver.h
check_PROGRAMS += tests/unit/test_deliver
tests_unit_test_deliver_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_deliver

# popkit-deliver: the local delivery agent (pipe, mda, qmail-local).
sbin_PROGRAMS += deliver/popkit-deliver
deliver_popkit_deliver_SOURCES = deliver/popkit-deliver.c
deliver_popkit_deliver_LDADD = lib/libpopkit.a
man_MANS += man/popkit-deliver.8
TESTS += tests/integration/deliver.py tests/integration/deliver_crash.py \
	tests/integration/deliver_concurrent.py
EXTRA_DIST += tests/integration/deliver.py tests/integration/deliver_crash.py \
	tests/integration/deliver_concurrent.py

# popkit-lmtpd: the LMTP server (RFC 2033); lmtp.h says how its parts meet.
# Linked dynamically: deliver_recipient becomes each owner through NSS
# (getpwnam, getgrouplist), which a static glibc cannot load safely.
sbin_PROGRAMS += deliver/popkit-lmtpd
deliver_popkit_lmtpd_SOURCES = deliver/popkit-lmtpd.c deliver/lmtp.h \
	deliver/lmtp_root.c deliver/lmtp_cmds.c
deliver_popkit_lmtpd_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
man_MANS += man/popkit-lmtpd.8
TESTS += tests/integration/lmtp.py
EXTRA_DIST += tests/integration/lmtp.py
# The parser against a fake root part: every request and reply, no Maildir.
check_PROGRAMS += tests/unit/test_lmtp
tests_unit_test_lmtp_SOURCES = tests/unit/test_lmtp.c deliver/lmtp_cmds.c
tests_unit_test_lmtp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/deliver
tests_unit_test_lmtp_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
TESTS += tests/unit/test_lmtp
