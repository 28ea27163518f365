# tests/ -- unit tests of the lead's lib modules and the full-chain client
# tests.  Other areas register their tests in their own fragments.
EXTRA_DIST += tests/tap.h
check_PROGRAMS += tests/unit/test_util tests/unit/test_io tests/unit/test_log tests/unit/test_netenv
tests_unit_test_netenv_LDADD = lib/libpopkit.a
tests_unit_test_util_LDADD = lib/libpopkit.a
tests_unit_test_io_LDADD = lib/libpopkit.a
tests_unit_test_log_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_util tests/unit/test_io tests/unit/test_log tests/unit/test_netenv
TESTS += tests/integration/clients.py
EXTRA_DIST += tests/integration/clients.py
check_PROGRAMS += tests/unit/test_lfscan
TESTS += tests/unit/test_lfscan
TESTS += tests/integration/hardening.sh
EXTRA_DIST += tests/integration/hardening.sh
