# SPDX-License-Identifier: ISC
# pop3d/maildir.mk -- owned by the helper for this area; += only (see Makefile.am).
# The Maildir core (lib/maildir, lib/msgfmt), the shared CAPA list
# (lib/pop3caps) and stage 3, pop3-maildir, with their tests.
lib_libpopkit_a_SOURCES += \
	lib/maildir.c lib/maildir.h \
	lib/maildir_name.c lib/maildir_name.h \
	lib/maildir_array.c lib/maildir_array.h \
	lib/maildir_cache.c lib/maildir_cache.h \
	lib/maildir_size.c lib/maildir_size.h \
	lib/maildir_move.c lib/maildir_move.h \
	lib/maildir_scan.c lib/maildir_msg.c lib/maildir_deliver.c \
	lib/msgfmt.c lib/msgfmt.h \
	lib/pop3caps.c lib/pop3caps.h

sbin_PROGRAMS += pop3d/pop3-maildir
pop3d_pop3_maildir_SOURCES = pop3d/pop3-maildir.c pop3d/trans_cmds.c \
	pop3d/trans.h
# Only the core library: no OpenSSL, no PAM, no libcrypt.
if POPKIT_MUSL
pop3d_pop3_maildir_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
pop3d_pop3_maildir_LDADD = lib/libpopkit_musl.a
else
pop3d_pop3_maildir_LDADD = lib/libpopkit.a
endif

# lib/maildir: a unit test a layer, sharing tests/unit/maildir_fixture.h.
MAILDIR_UNIT_TESTS = tests/unit/test_maildir \
	tests/unit/test_maildir_name \
	tests/unit/test_maildir_array \
	tests/unit/test_maildir_cache \
	tests/unit/test_maildir_size \
	tests/unit/test_maildir_move \
	tests/unit/test_maildir_scan \
	tests/unit/test_maildir_msg \
	tests/unit/test_maildir_deliver
check_PROGRAMS += $(MAILDIR_UNIT_TESTS) tests/unit/test_msgfmt tests/unit/test_pop3caps
tests_unit_test_maildir_LDADD = lib/libpopkit.a
tests_unit_test_maildir_name_LDADD = lib/libpopkit.a
tests_unit_test_maildir_array_LDADD = lib/libpopkit.a
tests_unit_test_maildir_cache_LDADD = lib/libpopkit.a
tests_unit_test_maildir_size_LDADD = lib/libpopkit.a
tests_unit_test_maildir_move_LDADD = lib/libpopkit.a
tests_unit_test_maildir_scan_LDADD = lib/libpopkit.a
tests_unit_test_maildir_msg_LDADD = lib/libpopkit.a
tests_unit_test_maildir_deliver_LDADD = lib/libpopkit.a
EXTRA_DIST += tests/unit/maildir_fixture.h
tests_unit_test_msgfmt_LDADD = lib/libpopkit.a
tests_unit_test_pop3caps_LDADD = lib/libpopkit.a
TESTS += $(MAILDIR_UNIT_TESTS) tests/unit/test_msgfmt tests/unit/test_pop3caps
man_MANS += man/pop3-maildir.8
TESTS += tests/integration/stage3.py
EXTRA_DIST += tests/integration/stage3.py
# Static: exec skips the dynamic loader (a session is one exec) and the
# process maps no shared libc, about 0.8 MB less RSS.  With musl when
# configure found it (lib/local.mk): a static musl pop3-maildir starts in
# 0.05 ms of CPU instead of 0.36 ms, and holds 0.2 MB for a 1,000-message
# session instead of 0.8 MB.  Static glibc otherwise (STATIC_LINK,
# Makefile.am: dynamic under sanitizers and valgrind).
if POPKIT_MUSL
pop3d_pop3_maildir_LDFLAGS = $(STATIC_LDFLAGS)
else
pop3d_pop3_maildir_LDFLAGS = $(STATIC_LINK)
endif
# Both stages: overlong lines, CAPA per state, UTF8, LOGIN-DELAY/EXPIRE.
TESTS += tests/integration/protocol.py
EXTRA_DIST += tests/integration/protocol.py
# Issue 16: a forged size cache cannot change the sizes clients are told.
TESTS += tests/integration/forged_cache.py
EXTRA_DIST += tests/integration/forged_cache.py
