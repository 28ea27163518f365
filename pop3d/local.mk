# SPDX-License-Identifier: ISC
# pop3d/ -- the POP3 service's first and last stage: pop3-greeter (with
# pop3-tls-relay, which it runs when a session starts TLS) and
# pop3-maildir, with their integration tests.  Their lib modules and
# unit tests are in lib/local.mk.
sbin_PROGRAMS += pop3d/pop3-greeter pop3d/pop3-tls-relay pop3d/pop3-maildir
man_MANS += man/pop3-greeter.8 man/pop3-tls-relay.8 man/pop3-maildir.8

pop3d_pop3_greeter_SOURCES = pop3d/pop3-greeter.c pop3d/greeter.h \
	pop3d/greeter_auth.c pop3d/greeter_root.c
pop3d_pop3_maildir_SOURCES = pop3d/pop3-maildir.c pop3d/trans_cmds.c \
	pop3d/trans.h
# pop3-greeter and pop3-maildir link only the core: no OpenSSL (the TLS
# relay is its own program, run only when TLS starts: libssl and
# libcrypto cost 0.8 ms and 2 MB RSS in every session), no PAM, no
# libcrypt.  Static: the exec skips the dynamic loader (a session is one
# exec of each), and the process maps no shared libc -- the greeter's
# root part stays resident beside stage 3 all session.  With musl when
# configure found it (lib/local.mk): a static musl pop3-maildir starts in
# 0.05 ms of CPU instead of 0.36 ms, and holds 0.2 MB for a 1,000-message
# session instead of 0.8 MB; the greeter likewise.  Static glibc
# otherwise (STATIC_LINK, Makefile.am: dynamic under sanitizers and
# valgrind).  Neither calls anything that loads NSS modules (the privsep
# account comes from /etc/passwd itself, greeter_root.c), so the static
# glibc link stays free of glibc's "requires at runtime the shared
# libraries" warning.
if POPKIT_MUSL
pop3d_pop3_greeter_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
pop3d_pop3_greeter_LDFLAGS = $(STATIC_LDFLAGS)
pop3d_pop3_greeter_LDADD = lib/libpopkit_musl.a
pop3d_pop3_maildir_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
pop3d_pop3_maildir_LDFLAGS = $(STATIC_LDFLAGS)
pop3d_pop3_maildir_LDADD = lib/libpopkit_musl.a
else
pop3d_pop3_greeter_LDFLAGS = $(STATIC_LINK)
pop3d_pop3_greeter_LDADD = lib/libpopkit.a
pop3d_pop3_maildir_LDFLAGS = $(STATIC_LINK)
pop3d_pop3_maildir_LDADD = lib/libpopkit.a
endif
# The test twin of pop3-greeter with the hook of lib/sandbox.h: its
# parser answers XSECCOMP with a system call outside its allow-list, so
# tests/integration/sandbox.py sees the filter kill it.  The installed
# pop3-greeter has no such command.  Linked as pop3-greeter is.
check_PROGRAMS += tests/integration/pop3-greeter-probe
tests_integration_pop3_greeter_probe_SOURCES = $(pop3d_pop3_greeter_SOURCES) \
	lib/sandbox.c
tests_integration_pop3_greeter_probe_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_SANDBOX_PROBE
tests_integration_pop3_greeter_probe_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
tests_integration_pop3_greeter_probe_LDFLAGS = $(pop3d_pop3_greeter_LDFLAGS)
tests_integration_pop3_greeter_probe_LDADD = $(pop3d_pop3_greeter_LDADD)
pop3d_pop3_tls_relay_SOURCES = pop3d/pop3-tls-relay.c
pop3d_pop3_tls_relay_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
pop3d_pop3_tls_relay_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)

# Stage 1 alone, with fake stages 2 and 3.
POP3D_TESTS = tests/integration/greeter.sh tests/integration/greeter_options.sh \
	tests/integration/greeter_tls.py tests/integration/greeter_chain.py \
	tests/integration/tls_relay.py
EXTRA_DIST += tests/integration/greeter_chat.py \
	tests/integration/greeter_fake2.sh tests/integration/greeter_fake3.sh \
	tests/integration/greeter_fakes.sh tests/integration/mkcert.sh
# Stage 3 alone, and with the UIDLs of the server before popkit
# (pop3-maildir --uidl-from).
POP3D_TESTS += tests/integration/stage3.py tests/integration/uidl_migrate.py
# Both stages: overlong lines, CAPA per state, UTF8, LOGIN-DELAY/EXPIRE.
POP3D_TESTS += tests/integration/protocol.py
# Hostile clients: a trickle against the deadlines, a flood from one
# address against --per-address, a forged size cache against the sizes
# clients are told.
POP3D_TESTS += tests/integration/deadlines.py tests/integration/per_address.py \
	tests/integration/forged_cache.py
# TLS through the whole chain under tcpserver (they skip until
# pop3-greeter has --tls-cert).
POP3D_TESTS += tests/integration/tls_clients.py tests/integration/tls_policy.py
# --proxy-from: PROXY v1/v2 headers from a balancer (issue 15).
POP3D_TESTS += tests/integration/proxy.py
# seccomp (lib/sandbox): the parser and the relay confined in a live
# session, and a forbidden call killing the parser of the test twin.
POP3D_TESTS += tests/integration/sandbox.py
TESTS += $(POP3D_TESTS)
EXTRA_DIST += $(POP3D_TESTS)
