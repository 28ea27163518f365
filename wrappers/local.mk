# SPDX-License-Identifier: ISC
# wrappers/ -- qail, qine, qlm, elq, pinq: one source, installed once
# under each name (the name decides the reader), so no install hook is
# needed.
bin_PROGRAMS += wrappers/qail wrappers/qine wrappers/qlm wrappers/elq wrappers/pinq
man_MANS += man/qail.1 man/qine.1 man/qlm.1 man/elq.1 man/pinq.1
WRAPPER_CPPFLAGS = $(AM_CPPFLAGS) -DBINDIR='"$(bindir)"'
wrappers_qail_SOURCES = wrappers/qail.c
wrappers_qail_CPPFLAGS = $(WRAPPER_CPPFLAGS)
wrappers_qine_SOURCES = wrappers/qail.c
wrappers_qine_CPPFLAGS = $(WRAPPER_CPPFLAGS)
wrappers_qlm_SOURCES = wrappers/qail.c
wrappers_qlm_CPPFLAGS = $(WRAPPER_CPPFLAGS)
wrappers_elq_SOURCES = wrappers/qail.c
wrappers_elq_CPPFLAGS = $(WRAPPER_CPPFLAGS)
wrappers_pinq_SOURCES = wrappers/qail.c
wrappers_pinq_CPPFLAGS = $(WRAPPER_CPPFLAGS)
TESTS += tests/integration/wrappers.sh
EXTRA_DIST += tests/integration/wrappers.sh
