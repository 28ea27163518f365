# SPDX-License-Identifier: ISC
# bench/ -- the benchmark beside Dovecot.  popload (and tlsload, for
# bench/tls-run) are built for `make check` and `make bench` only, never
# installed; the runner and the Maildir generator are scripts.  Benchmark runs never join the test suite:
# only a smoke test of popload's usage and the generator's output does.
check_PROGRAMS += bench/popload bench/popfloor bench/mdfloor
bench_popload_SOURCES = bench/popload.c
bench_popload_LDADD = lib/libpopkit.a -lpthread
# The yardstick: a POP3 "server" that answers from memory with no work.
bench_popfloor_SOURCES = bench/popfloor.c
# The TLS load generator.
check_PROGRAMS += bench/tlsload
bench_tlsload_SOURCES = bench/tlsload.c
bench_tlsload_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
bench_tlsload_LDADD = lib/libpopkit.a $(OPENSSL_LIBS) -lpthread
# The delivery yardstick: the Maildir protocol's system calls and nothing
# else, into one or more Maildirs.
bench_mdfloor_SOURCES = bench/mdfloor.c
TESTS += tests/integration/bench_smoke.sh
EXTRA_DIST += tests/integration/bench_smoke.sh

# make bench [BENCH_ARGS=--quick]: run the side-by-side benchmark on this
# build (bench/run installs Dovecot from Debian when it is missing).
bench: all bench/popload$(EXEEXT) bench/popfloor$(EXEEXT) bench/mdfloor$(EXEEXT)
	$(srcdir)/bench/run --builddir '$(abs_top_builddir)' $(BENCH_ARGS)
.PHONY: bench
