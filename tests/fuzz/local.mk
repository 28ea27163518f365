# SPDX-License-Identifier: ISC
# tests/fuzz -- the libFuzzer harnesses of the parsers (issue 16).
# `make fuzz FUZZ_SECONDS=N` builds them with clang's libFuzzer and the
# sanitizers (scripts/fuzz) and runs each for N seconds (default 15), and
# at most FUZZ_RUNS=N executions (the long run of RESULTS.md); not
# part of `make check`.  What `make check` does: each harness, linked
# with a plain main() (replay.c) by the usual compiler, runs its seed
# corpus once (tests/fuzz/corpus.sh), so no harness can rot unseen.
FUZZ_REPLAYS = tests/fuzz/replay_aliases tests/fuzz/replay_cpw tests/fuzz/replay_io \
	tests/fuzz/replay_listing tests/fuzz/replay_lmtp \
	tests/fuzz/replay_maildir_cache tests/fuzz/replay_maildir_name tests/fuzz/replay_mbox tests/fuzz/replay_mdquota \
	tests/fuzz/replay_pop3cmd tests/fuzz/replay_proxyproto tests/fuzz/replay_rfc2047 tests/fuzz/replay_sasl \
	tests/fuzz/replay_uidlmap tests/fuzz/replay_userdb
check_PROGRAMS += $(FUZZ_REPLAYS)
tests_fuzz_replay_aliases_SOURCES = tests/fuzz/fuzz_aliases.c tests/fuzz/replay.c
tests_fuzz_replay_aliases_LDADD = lib/libpopkit.a
tests_fuzz_replay_cpw_SOURCES = tests/fuzz/fuzz_cpw.c tests/fuzz/replay.c
tests_fuzz_replay_cpw_LDADD = lib/libpopkit.a
tests_fuzz_replay_io_SOURCES = tests/fuzz/fuzz_io.c tests/fuzz/replay.c
tests_fuzz_replay_io_LDADD = lib/libpopkit.a
tests_fuzz_replay_listing_SOURCES = tests/fuzz/fuzz_listing.c tests/fuzz/replay.c
tests_fuzz_replay_listing_LDADD = lib/libpopkit.a
tests_fuzz_replay_lmtp_SOURCES = tests/fuzz/fuzz_lmtp.c tests/fuzz/replay.c deliver/lmtp_cmds.c
tests_fuzz_replay_lmtp_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/deliver
tests_fuzz_replay_lmtp_LDADD = lib/libpopkit.a
tests_fuzz_replay_maildir_cache_SOURCES = tests/fuzz/fuzz_maildir_cache.c tests/fuzz/replay.c
tests_fuzz_replay_maildir_cache_LDADD = lib/libpopkit.a
tests_fuzz_replay_maildir_name_SOURCES = tests/fuzz/fuzz_maildir_name.c tests/fuzz/replay.c
tests_fuzz_replay_maildir_name_LDADD = lib/libpopkit.a
tests_fuzz_replay_mbox_SOURCES = tests/fuzz/fuzz_mbox.c tests/fuzz/replay.c
tests_fuzz_replay_mbox_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
tests_fuzz_replay_mdquota_SOURCES = tests/fuzz/fuzz_mdquota.c tests/fuzz/replay.c
tests_fuzz_replay_mdquota_LDADD = lib/libpopkit.a
tests_fuzz_replay_pop3cmd_SOURCES = tests/fuzz/fuzz_pop3cmd.c tests/fuzz/replay.c
tests_fuzz_replay_pop3cmd_LDADD = lib/libpopkit.a
tests_fuzz_replay_proxyproto_SOURCES = tests/fuzz/fuzz_proxyproto.c tests/fuzz/replay.c
tests_fuzz_replay_proxyproto_LDADD = lib/libpopkit.a
tests_fuzz_replay_rfc2047_SOURCES = tests/fuzz/fuzz_rfc2047.c tests/fuzz/replay.c
tests_fuzz_replay_rfc2047_LDADD = lib/libpopkit.a
tests_fuzz_replay_sasl_SOURCES = tests/fuzz/fuzz_sasl.c tests/fuzz/replay.c
tests_fuzz_replay_sasl_LDADD = lib/libpopkit.a
tests_fuzz_replay_uidlmap_SOURCES = tests/fuzz/fuzz_uidlmap.c tests/fuzz/replay.c
tests_fuzz_replay_uidlmap_LDADD = lib/libpopkit.a
tests_fuzz_replay_userdb_SOURCES = tests/fuzz/fuzz_userdb.c tests/fuzz/replay.c
tests_fuzz_replay_userdb_LDADD = lib/libpopkit.a
TESTS += tests/fuzz/corpus.sh
EXTRA_DIST += tests/fuzz/corpus.sh tests/fuzz/fuzz.h tests/fuzz/corpus tests/fuzz/RESULTS.md

# scripts/fuzz exits 77 when there is no libFuzzer: said, and not an error.
fuzz:
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_RUNS='$(FUZZ_RUNS)' top_srcdir='$(abs_top_srcdir)' \
	top_builddir='$(abs_top_builddir)' LOCKFILE_LIBS='$(LOCKFILE_LIBS)' \
	$(SHELL) $(top_srcdir)/scripts/fuzz || test $$? -eq 77
.PHONY: fuzz
