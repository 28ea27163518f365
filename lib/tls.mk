# SPDX-License-Identifier: ISC
# lib/tls.mk -- the TLS relay (RFC 2595 STLS, RFC 8314 implicit TLS).  Its own library so that only
# the programs that start a relay link OpenSSL:
#   PROG_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)
noinst_LIBRARIES += lib/libpopkit_tls.a
lib_libpopkit_tls_a_SOURCES = lib/tls.c lib/tls.h
lib_libpopkit_tls_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)

check_PROGRAMS += tests/unit/test_tls
tests_unit_test_tls_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_tls_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)
TESTS += tests/unit/test_tls
EXTRA_DIST += tests/integration/mkcert.sh

# Through the whole chain under tcpserver (they skip until pop3-greeter
# has --tls-cert).
TESTS += tests/integration/tls_clients.py tests/integration/tls_policy.py
EXTRA_DIST += tests/integration/tls_clients.py tests/integration/tls_policy.py

# bench/tlsload: the TLS load generator for bench/tls-run (never
# installed; built for make check like bench/popload).
check_PROGRAMS += bench/tlsload
bench_tlsload_SOURCES = bench/tlsload.c
bench_tlsload_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
bench_tlsload_LDADD = lib/libpopkit.a $(OPENSSL_LIBS) -lpthread
