# lib/ -- the transport core, libpopkit.a.  Each module: NAME.h (contract),
# NAME.c, tests/unit/test_NAME.c.  Keep one line a source, grouped by owner.
noinst_LIBRARIES += lib/libpopkit.a
lib_libpopkit_a_SOURCES = \
	lib/params.h \
	lib/log.c lib/log.h \
	lib/util.c lib/util.h \
	lib/io.c lib/io.h \
	lib/netenv.c lib/netenv.h \
	lib/cpw.h
