# SPDX-License-Identifier: ISC
# deliver/ -- the delivery side: popkit-deliver (and popkit-lmtpd) over
# lib/deliver, with their integration tests.  Their lib modules and unit
# tests are in lib/local.mk.
# popkit-deliver: the local delivery agent (pipe, mda, qmail-local).
sbin_PROGRAMS += deliver/popkit-deliver
deliver_popkit_deliver_SOURCES = deliver/popkit-deliver.c
man_MANS += man/popkit-deliver.8
TESTS += tests/integration/deliver.py tests/integration/deliver_crash.py \
	tests/integration/deliver_concurrent.py tests/integration/deliver_hosts.py
EXTRA_DIST += tests/integration/deliver.py tests/integration/deliver_crash.py \
	tests/integration/deliver_concurrent.py tests/integration/deliver_hosts.py

# popkit-lmtpd: the LMTP server (RFC 2033); lmtp.h says how its parts meet.
# Static with musl when configure found it, as pop3-greeter: the root
# part and the parser live the whole connection, and a static musl image
# holds a fraction of a dynamic glibc one's memory (the issue's 1 MB for
# a connection's processes).  musl reads the owners' accounts from
# /etc/passwd and /etc/group itself (no NSS modules).  Else dynamic:
# deliver_recipient becomes each owner through NSS (getpwnam,
# getgrouplist), which a static glibc cannot load safely.
sbin_PROGRAMS += deliver/popkit-lmtpd
deliver_popkit_lmtpd_SOURCES = deliver/popkit-lmtpd.c deliver/lmtp.h \
	deliver/lmtp_root.c deliver/lmtp_cmds.c
if POPKIT_MUSL
deliver_popkit_lmtpd_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
deliver_popkit_lmtpd_LDFLAGS = $(STATIC_LDFLAGS)
deliver_popkit_lmtpd_LDADD = lib/libpopkit_musl.a
else
deliver_popkit_lmtpd_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
endif
man_MANS += man/popkit-lmtpd.8
TESTS += tests/integration/lmtp.py
EXTRA_DIST += tests/integration/lmtp.py
# Both with --ldap, against slapd (tests/integration/slapd.sh).
TESTS += tests/integration/deliver-ldap.sh
EXTRA_DIST += tests/integration/deliver-ldap.sh
# The test twins of both with lib/fault's hooks compiled in (lib/fault.h):
# confinement.py stops a delivery child where it writes the Maildir and
# reads its /proc/PID/status.  The installed programs read no fault
# variable.
check_PROGRAMS += tests/integration/popkit-deliver-fault \
	tests/integration/popkit-lmtpd-fault
tests_integration_popkit_deliver_fault_SOURCES = deliver/popkit-deliver.c \
	lib/deliver_mailbox.c lib/fault.c
tests_integration_popkit_deliver_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_integration_popkit_deliver_fault_LDADD = lib/libpopkit.a
tests_integration_popkit_lmtpd_fault_SOURCES = deliver/popkit-lmtpd.c \
	deliver/lmtp_root.c deliver/lmtp_cmds.c lib/deliver_mailbox.c lib/fault.c
tests_integration_popkit_lmtpd_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_integration_popkit_lmtpd_fault_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
# A stand-in sendmail that notes its own /proc/self/status (set-ID
# copies of it show what the forward child can still gain by exec).
check_PROGRAMS += tests/integration/sendmail_status
tests_integration_sendmail_status_SOURCES = tests/integration/sendmail_status.c
TESTS += tests/integration/confinement.py
EXTRA_DIST += tests/integration/confinement.py
# The parser against a fake root part: every request and reply, no Maildir.
check_PROGRAMS += tests/unit/test_lmtp
tests_unit_test_lmtp_SOURCES = tests/unit/test_lmtp.c deliver/lmtp_cmds.c
tests_unit_test_lmtp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/deliver
tests_unit_test_lmtp_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
TESTS += tests/unit/test_lmtp
# The root part against a hostile parser (the test's own lmtp_parse).
check_PROGRAMS += tests/unit/test_lmtp_root
tests_unit_test_lmtp_root_SOURCES = tests/unit/test_lmtp_root.c \
	deliver/lmtp_root.c
tests_unit_test_lmtp_root_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/deliver
tests_unit_test_lmtp_root_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
TESTS += tests/unit/test_lmtp_root
