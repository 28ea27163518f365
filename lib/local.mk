# SPDX-License-Identifier: ISC
# lib/ -- the transport core, libpopkit.a.  Each module: NAME.h (contract),
# NAME.c, tests/unit/test_NAME.c.  Keep one line a source, grouped by owner.
noinst_LIBRARIES += lib/libpopkit.a
lib_libpopkit_a_SOURCES = \
	lib/params.h lib/exitcode.h \
	lib/log.c lib/log.h \
	lib/util.c lib/util.h \
	lib/usage.c lib/usage.h \
	lib/io.c lib/io.h \
	lib/netenv.c lib/netenv.h \
	lib/addrslot.c lib/addrslot.h \
	lib/cpw.h lib/cpw_record.c \
	lib/lfscan.h

# The modules that pop3-greeter and pop3-maildir use, compiled once more
# against musl when configure found it (--with-musl): those two programs
# live through the whole session, and a static musl image starts in a
# seventh of the CPU and holds a quarter of the memory of a static glibc
# one.  The unit tests keep testing the glibc build of the same sources.
if POPKIT_MUSL
noinst_LIBRARIES += lib/libpopkit_musl.a
lib_libpopkit_musl_a_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
lib_libpopkit_musl_a_SOURCES = \
	lib/log.c lib/util.c lib/usage.c lib/io.c lib/netenv.c lib/addrslot.c \
	lib/acctfile.c lib/slurp.c lib/privdrop.c lib/privsep.c \
	lib/base64.c lib/sasl.c lib/cpw_record.c lib/cpw_spawn.c lib/tls_spawn.c \
	lib/maildir.c lib/maildir_cache.c lib/maildir_name.c \
	lib/maildir_array.c lib/maildir_size.c lib/maildir_move.c \
	lib/maildir_scan.c lib/maildir_msg.c lib/maildir_deliver.c \
	lib/msgfmt.c lib/pop3caps.c lib/pop3cmd.c
endif

# lib/pop3cmd: the command dispatcher of both POP3 states (the greeter's
# and pop3-maildir's), so in both builds (its musl line is above).
lib_libpopkit_a_SOURCES += lib/pop3cmd.c lib/pop3cmd.h
check_PROGRAMS += tests/unit/test_pop3cmd
tests_unit_test_pop3cmd_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_pop3cmd

# lib/cpw_record: the checkpassword record (cpw.h).
check_PROGRAMS += tests/unit/test_cpw_record
tests_unit_test_cpw_record_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_cpw_record

# lib/aliases: the per-domain alias files (popkit-aliases(5)) and the
# resolution of a recipient, for vuser and the delivery side (issue 14);
# not in the musl build: neither pop3-greeter nor pop3-maildir uses it.
lib_libpopkit_a_SOURCES += lib/aliases.c lib/aliases.h
check_PROGRAMS += tests/unit/test_aliases
tests_unit_test_aliases_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_aliases
man_MANS += man/popkit-aliases.5
# vuser alias add/del/list (checkpassword/vuser.c) on real files.
TESTS += tests/integration/vuser-alias.sh
EXTRA_DIST += tests/integration/vuser-alias.sh

# lib/uidlmap: the UIDLs the POP3 server before popkit left in the Maildir
# (pop3-maildir --uidl-from), for pop3-maildir and so in both builds.
lib_libpopkit_a_SOURCES += lib/uidlmap.c lib/uidlmap.h
if POPKIT_MUSL
lib_libpopkit_musl_a_SOURCES += lib/uidlmap.c
endif
check_PROGRAMS += tests/unit/test_uidlmap
tests_unit_test_uidlmap_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_uidlmap
TESTS += tests/integration/uidl_migrate.py
EXTRA_DIST += tests/integration/uidl_migrate.py
# maildir2mbox killed at each fault point, then a POP3 session, then again.
TESTS += tests/integration/m2m_pop3.py
EXTRA_DIST += tests/integration/m2m_pop3.py

# lib/mdquota: Maildir++ quota (maildirsize), for pop3-maildir's removals
# at QUIT and vuser quota now, the delivery agent and LMTP server next.
lib_libpopkit_a_SOURCES += lib/mdquota.c lib/mdquota.h
if POPKIT_MUSL
lib_libpopkit_musl_a_SOURCES += lib/mdquota.c
endif
check_PROGRAMS += tests/unit/test_mdquota
tests_unit_test_mdquota_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_mdquota
TESTS += tests/integration/quota.py
EXTRA_DIST += tests/integration/quota.py

# lib/msgsend: RETR and TOP's answer from a message file (pop3-maildir),
# so in both builds.
lib_libpopkit_a_SOURCES += lib/msgsend.c lib/msgsend.h
if POPKIT_MUSL
lib_libpopkit_musl_a_SOURCES += lib/msgsend.c
endif
check_PROGRAMS += tests/unit/test_msgsend
tests_unit_test_msgsend_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_msgsend
# lib/mdmake: making a Maildir, for maildirmake and vuser.
lib_libpopkit_a_SOURCES += lib/mdmake.c lib/mdmake.h
check_PROGRAMS += tests/unit/test_mdmake
tests_unit_test_mdmake_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_mdmake
# lib/mailenv: $MAILDIR and $MAIL or their defaults under $HOME, for
# maildirwatch, maildir2mbox and qail.
lib_libpopkit_a_SOURCES += lib/mailenv.c lib/mailenv.h
check_PROGRAMS += tests/unit/test_mailenv
tests_unit_test_mailenv_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_mailenv

# lib/privsep: the parser's account, directory and drop, for the programs
# with a privilege line (pop3-greeter, popkit-lmtpd); its musl line is above.
lib_libpopkit_a_SOURCES += lib/privsep.c lib/privsep.h

# lib/fdpass: a datagram with one descriptor (SCM_RIGHTS), for
# popkit-lmtpd's parser and root part, so in both builds.
lib_libpopkit_a_SOURCES += lib/fdpass.c lib/fdpass.h
if POPKIT_MUSL
lib_libpopkit_musl_a_SOURCES += lib/fdpass.c
endif
check_PROGRAMS += tests/unit/test_fdpass
tests_unit_test_fdpass_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_fdpass
