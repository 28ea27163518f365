# SPDX-License-Identifier: ISC
# lib/ -- the transport core, libpopkit.a, and its unit tests: the one
# list of lib sources.  Each module is NAME.h (its contract), NAME.c and
# tests/unit/test_NAME.c; one line a module.
#
# LIB_ANY_LIBC needs nothing but libc and is built into both libraries
# below, so a module pop3-greeter or pop3-maildir comes to call is
# already in their musl link.  LIB_GLIBC_ONLY is what musl-gcc cannot
# build or would build wrong; a new module goes there only for a reason
# of that kind, written above its line.
LIB_ANY_LIBC = \
	lib/params.h lib/exitcode.h \
	lib/log.c lib/log.h \
	lib/util.c lib/util.h \
	lib/usage.c lib/usage.h \
	lib/io.c lib/io.h \
	lib/msgsend.c lib/msgsend.h \
	lib/lfscan.h \
	lib/fault.h \
	lib/netenv.c lib/netenv.h \
	lib/addrslot.c lib/addrslot.h \
	lib/proxyproto.c lib/proxyproto.h \
	lib/cpw.h lib/cpw_record.c lib/cpw_spawn.c lib/cpw_read.c \
	lib/cpw_args.c lib/cpw_args.h \
	lib/base64.c lib/base64.h \
	lib/sasl.c lib/sasl.h \
	lib/md5.c lib/md5.h \
	lib/tls_spawn.c \
	lib/acctfile.c lib/acctfile.h \
	lib/slurp.c lib/slurp.h \
	lib/caps.c lib/caps.h \
	lib/privdrop.c lib/privdrop.h \
	lib/privdrop_nss.c \
	lib/privsep.c lib/privsep.h \
	lib/sandbox.c lib/sandbox.h \
	lib/fdpass.c lib/fdpass.h \
	lib/userdb.c lib/userdb.h \
	lib/ldapcfg.c lib/ldapcfg.h \
	lib/ldapfilter.c lib/ldapfilter.h \
	lib/ldaprcpt.c lib/ldaprcpt.h \
	lib/linefile.c lib/linefile.h \
	lib/aliases.c lib/aliases.h \
	lib/aliases_table.c lib/aliases_table.h \
	lib/deliver.c lib/deliver.h \
	lib/deliver_mailbox.c \
	lib/deliver_pool.c lib/deliver_pool.h \
	lib/deliver_spool.c lib/deliver_spool.h \
	lib/deliver_status.c lib/deliver_status.h \
	lib/mailenv.c lib/mailenv.h \
	lib/mdmake.c lib/mdmake.h \
	lib/maildir.c lib/maildir.h \
	lib/maildir_scan.c \
	lib/maildir_msg.c \
	lib/maildir_move.c lib/maildir_move.h \
	lib/maildir_size.c lib/maildir_size.h \
	lib/maildir_cache.c lib/maildir_cache.h \
	lib/maildir_array.c lib/maildir_array.h \
	lib/maildir_name.c lib/maildir_name.h \
	lib/msgfmt.c lib/msgfmt.h \
	lib/pop3caps.c lib/pop3caps.h \
	lib/pop3cmd.c lib/pop3cmd.h \
	lib/uidlmap.c lib/uidlmap.h \
	lib/mdquota.c lib/mdquota.h
# libxcrypt's crypt_rn, built for glibc only:
LIB_GLIBC_ONLY = lib/pwcheck.c lib/pwcheck.h
# liblockfile's dotlocks, likewise:
LIB_GLIBC_ONLY += lib/mbox.c lib/mbox.h
# charsets through iconv, of which musl's knows few:
LIB_GLIBC_ONLY += lib/rfc2047.c lib/rfc2047.h

noinst_LIBRARIES += lib/libpopkit.a
lib_libpopkit_a_SOURCES = $(LIB_ANY_LIBC) $(LIB_GLIBC_ONLY)

# The same sources compiled once more against musl when configure found
# it (--with-musl), for pop3-greeter and pop3-maildir: those two programs
# live through the whole session, and a static musl image starts in a
# seventh of the CPU and holds a quarter of the memory of a static glibc
# one.  The unit tests keep testing the glibc build of the same sources.
if POPKIT_MUSL
noinst_LIBRARIES += lib/libpopkit_musl.a
lib_libpopkit_musl_a_CFLAGS = $(AM_CFLAGS) $(MUSL_CFLAGS)
lib_libpopkit_musl_a_SOURCES = $(LIB_ANY_LIBC)
endif

# The TLS relay: its own library, so that only the programs that start
# a relay link OpenSSL:
#   PROG_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)
noinst_LIBRARIES += lib/libpopkit_tls.a
lib_libpopkit_tls_a_SOURCES = lib/tls.c lib/tls.h \
	lib/tls_relay.c lib/tls_server.h
lib_libpopkit_tls_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)

# One a module, in the order above; each links libpopkit.a (LDADD,
# Makefile.am) unless it says what else it needs.
LIB_UNIT_TESTS = \
	tests/unit/test_log \
	tests/unit/test_util \
	tests/unit/test_usage \
	tests/unit/test_io \
	tests/unit/test_msgsend \
	tests/unit/test_lfscan \
	tests/unit/test_netenv \
	tests/unit/test_addrslot \
	tests/unit/test_proxyproto \
	tests/unit/test_cpw_record \
	tests/unit/test_cpw_spawn \
	tests/unit/test_tls_spawn \
	tests/unit/test_cpw_read \
	tests/unit/test_base64 \
	tests/unit/test_sasl \
	tests/unit/test_md5 \
	tests/unit/test_acctfile \
	tests/unit/test_slurp \
	tests/unit/test_caps \
	tests/unit/test_privdrop \
	tests/unit/test_privdrop_nss \
	tests/unit/test_fdpass \
	tests/unit/test_sandbox \
	tests/unit/test_userdb \
	tests/unit/test_ldapcfg \
	tests/unit/test_ldapfilter \
	tests/unit/test_ldaprcpt \
	tests/unit/test_aliases \
	tests/unit/test_deliver \
	tests/unit/test_deliver_pool \
	tests/unit/test_mailenv \
	tests/unit/test_mdmake \
	tests/unit/test_maildir \
	tests/unit/test_maildir_scan \
	tests/unit/test_maildir_msg \
	tests/unit/test_maildir_move \
	tests/unit/test_maildir_size \
	tests/unit/test_maildir_cache \
	tests/unit/test_maildir_array \
	tests/unit/test_maildir_name \
	tests/unit/test_msgfmt \
	tests/unit/test_pop3caps \
	tests/unit/test_pop3cmd \
	tests/unit/test_uidlmap \
	tests/unit/test_mdquota \
	tests/unit/test_pwcheck \
	tests/unit/test_mbox \
	tests/unit/test_fault \
	tests/unit/test_fault_off \
	tests/unit/test_rfc2047 \
	tests/unit/test_tls
check_PROGRAMS += $(LIB_UNIT_TESTS)
TESTS += $(LIB_UNIT_TESTS)
EXTRA_DIST += tests/tap.h tests/unit/maildir_fixture.h
tests_unit_test_pwcheck_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
tests_unit_test_mbox_LDADD = lib/libpopkit.a $(LOCKFILE_LIBS)
# lib/fault is compiled into test builds only (lib/fault.h): test_fault
# with the hooks, test_fault_off without them, as installed programs are.
tests_unit_test_fault_SOURCES = tests/unit/test_fault.c lib/fault.c
tests_unit_test_fault_CPPFLAGS = $(AM_CPPFLAGS) -DPOPKIT_FAULT_INJECTION
tests_unit_test_fault_off_SOURCES = tests/unit/test_fault.c
tests_unit_test_tls_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_tls_LDADD = lib/libpopkit_tls.a lib/libpopkit.a $(OPENSSL_LIBS)
