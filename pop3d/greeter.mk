# SPDX-License-Identifier: ISC
# pop3d/greeter.mk -- pop3-greeter (stage 1) and the lib modules it owns:
# base64, SASL, the checkpassword spawn side.  += only (see Makefile.am).
lib_libpopkit_a_SOURCES += \
	lib/base64.c lib/base64.h \
	lib/sasl.c lib/sasl.h \
	lib/cpw_spawn.c \
	lib/tls_spawn.c
sbin_PROGRAMS += pop3d/pop3-greeter pop3d/pop3-tls-relay
pop3d_pop3_greeter_SOURCES = pop3d/pop3-greeter.c pop3d/greeter.h \
	pop3d/greeter_auth.c pop3d/greeter_root.c
# No OpenSSL: the TLS relay is its own program, run only when TLS starts
# (libssl and libcrypto cost 0.8 ms and 2 MB RSS in every session).
# Static: the exec skips the dynamic loader, and the root part, resident
# beside stage 3 all session, maps no shared libc.  With musl when
# configure found it (lib/local.mk): a static musl greeter starts in a
# fraction of the CPU of a static glibc one and holds a fifth of the
# memory.  Else static glibc, as pop3-maildir (pop3d/maildir.mk): it
# calls nothing that loads NSS modules (the privsep account comes from
# /etc/passwd itself, greeter_root.c), so the link must stay free of
# glibc's "requires at runtime the shared libraries" warning; dynamic
# under sanitizers and with -DPOPKIT_DYNAMIC (valgrind).
if POPKIT_MUSL
pop3d_pop3_greeter_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
pop3d_pop3_greeter_LDFLAGS = $(STATIC_LDFLAGS)
pop3d_pop3_greeter_LDADD = lib/libpopkit_musl.a
else
pop3d_pop3_greeter_LDFLAGS = $(STATIC_LINK)
pop3d_pop3_greeter_LDADD = lib/libpopkit.a
endif
pop3d_pop3_tls_relay_SOURCES = pop3d/pop3-tls-relay.c
pop3d_pop3_tls_relay_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
pop3d_pop3_tls_relay_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)
check_PROGRAMS += tests/unit/test_base64 tests/unit/test_sasl \
	tests/unit/test_cpw_spawn tests/unit/test_tls_spawn
tests_unit_test_base64_LDADD = lib/libpopkit.a
tests_unit_test_sasl_LDADD = lib/libpopkit.a
tests_unit_test_cpw_spawn_LDADD = lib/libpopkit.a
tests_unit_test_tls_spawn_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_base64 tests/unit/test_sasl tests/unit/test_cpw_spawn \
	tests/unit/test_tls_spawn
TESTS += tests/integration/greeter.sh tests/integration/greeter_options.sh \
	tests/integration/greeter_tls.py tests/integration/greeter_chain.py \
	tests/integration/tls_relay.py
EXTRA_DIST += tests/integration/greeter.sh tests/integration/greeter_options.sh \
	tests/integration/tls_relay.py \
	tests/integration/greeter_tls.py tests/integration/greeter_chain.py \
	tests/integration/greeter_chat.py \
	tests/integration/greeter_fake2.sh tests/integration/greeter_fake3.sh \
	tests/integration/greeter_fakes.sh
man_MANS += man/pop3-greeter.8 man/pop3-tls-relay.8
# Issue 16's hostile clients: the trickle's deadlines.
TESTS += tests/integration/deadlines.py
EXTRA_DIST += tests/integration/deadlines.py
# lib/addrslot: the greeter's per-address limit (--per-address).
check_PROGRAMS += tests/unit/test_addrslot
tests_unit_test_addrslot_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_addrslot
TESTS += tests/integration/per_address.py
EXTRA_DIST += tests/integration/per_address.py
