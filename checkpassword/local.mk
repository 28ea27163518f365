# SPDX-License-Identifier: ISC
# checkpassword/local.mk -- owned by the helper for this area; += only (see Makefile.am).
# Stage 2: the checkpassword programs, and vuser for the virtual users file.
lib_libpopkit_a_SOURCES += \
	lib/cpw_read.c lib/cpw_args.c lib/cpw_args.h \
	lib/md5.c lib/md5.h \
	lib/acctfile.c lib/acctfile.h \
	lib/privdrop.c lib/privdrop_nss.c lib/privdrop.h \
	lib/slurp.c lib/slurp.h \
	lib/pwcheck.c lib/pwcheck.h \
	lib/userdb.c lib/userdb.h \
	lib/linefile.c lib/linefile.h

sbin_PROGRAMS += checkpassword/checkpassword-virtual checkpassword/vuser \
	checkpassword/checkpassword-shadow checkpassword/checkpassword-pam
checkpassword_checkpassword_virtual_SOURCES = checkpassword/checkpassword-virtual.c
# MD5 for APOP comes from lib/md5, every password hash from libxcrypt
# (lib/pwcheck.h), linked in statically: nothing to load at every exec.
checkpassword_checkpassword_virtual_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
# Static, as pop3-maildir (pop3d/maildir.mk says when not): a login is
# one exec, and the dynamic one cost ld.so, libc and libcrypt at every
# session.  It uses no NSS (acctfile.h), so the link is clean: no "uses
# getpwnam... requires at runtime the shared libraries" warning.
checkpassword_checkpassword_virtual_LDFLAGS = $(STATIC_LINK)
checkpassword_vuser_SOURCES = checkpassword/vuser.c
checkpassword_vuser_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
checkpassword_checkpassword_shadow_SOURCES = checkpassword/checkpassword-shadow.c \
	checkpassword/sysacct.c checkpassword/sysacct.h
checkpassword_checkpassword_shadow_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
checkpassword_checkpassword_pam_SOURCES = checkpassword/checkpassword-pam.c \
	checkpassword/sysacct.c checkpassword/sysacct.h
checkpassword_checkpassword_pam_LDADD = lib/libpopkit.a $(PAM_LIBS)

check_PROGRAMS += tests/unit/test_cpw_read tests/unit/test_pwcheck \
	tests/unit/test_userdb tests/unit/test_privdrop tests/unit/test_md5 \
	tests/unit/test_acctfile tests/unit/test_slurp tests/unit/test_privdrop_nss
tests_unit_test_md5_LDADD = lib/libpopkit.a
tests_unit_test_acctfile_LDADD = lib/libpopkit.a
tests_unit_test_slurp_LDADD = lib/libpopkit.a
tests_unit_test_cpw_read_LDADD = lib/libpopkit.a
tests_unit_test_pwcheck_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
tests_unit_test_userdb_LDADD = lib/libpopkit.a
tests_unit_test_privdrop_LDADD = lib/libpopkit.a
tests_unit_test_privdrop_nss_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_cpw_read tests/unit/test_pwcheck \
	tests/unit/test_userdb tests/unit/test_privdrop tests/unit/test_md5 \
	tests/unit/test_acctfile tests/unit/test_slurp tests/unit/test_privdrop_nss \
	tests/integration/checkpassword-virtual.sh tests/integration/checkpassword-vuser.sh
EXTRA_DIST += tests/integration/checkpassword-virtual.sh tests/integration/checkpassword-vuser.sh
man_MANS += man/checkpassword-virtual.8 man/vuser.8 man/popkit-users.5

# A PAM account module for the tests only (expiry), built as a shared
# object without libtool.
check_PROGRAMS += tests/integration/pam_expiry.so
tests_integration_pam_expiry_so_SOURCES = tests/integration/pam_expiry.c
tests_integration_pam_expiry_so_CFLAGS = $(AM_CFLAGS) -fPIC
tests_integration_pam_expiry_so_LDFLAGS = -shared
tests_integration_pam_expiry_so_LDADD = $(PAM_LIBS)
# And a crypt_rn counter, to test that every answer costs one crypt.
check_PROGRAMS += tests/integration/crypt_count.so
# The LD_PRELOAD counter cannot hook a static program, so the test counts
# the crypt calls of this dynamic twin: the same source, linked the same
# way but without -static.
check_PROGRAMS += tests/integration/checkpassword-virtual-dynamic
tests_integration_checkpassword_virtual_dynamic_SOURCES = checkpassword/checkpassword-virtual.c
tests_integration_checkpassword_virtual_dynamic_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
tests_integration_crypt_count_so_SOURCES = tests/integration/crypt_count.c
tests_integration_crypt_count_so_CFLAGS = $(AM_CFLAGS) -fPIC
tests_integration_crypt_count_so_LDFLAGS = -shared
tests_integration_crypt_count_so_LDADD = $(CRYPT_LIBS) -ldl
TESTS += tests/integration/checkpassword-shadow.sh tests/integration/checkpassword-pam.sh \
	tests/integration/checkpassword-chain.sh
EXTRA_DIST += tests/integration/checkpassword-shadow.sh tests/integration/checkpassword-pam.sh \
	tests/integration/checkpassword-chain.sh \
	tests/integration/cpw_accounts.sh
man_MANS += man/checkpassword-shadow.8 man/checkpassword-pam.8

# checkpassword-ldap: accounts in an LDAP directory, over OpenLDAP's
# libldap (dynamic, as the library is; not in the musl build).
lib_libpopkit_a_SOURCES += lib/ldapcfg.c lib/ldapcfg.h \
	lib/ldapfilter.c lib/ldapfilter.h
sbin_PROGRAMS += checkpassword/checkpassword-ldap
checkpassword_checkpassword_ldap_SOURCES = checkpassword/checkpassword-ldap.c
checkpassword_checkpassword_ldap_LDADD = lib/libpopkit.a $(LDAP_LIBS) $(CRYPT_LIBS)
check_PROGRAMS += tests/unit/test_ldapfilter tests/unit/test_ldapcfg
tests_unit_test_ldapfilter_LDADD = lib/libpopkit.a
tests_unit_test_ldapcfg_LDADD = lib/libpopkit.a
TESTS += tests/unit/test_ldapfilter tests/unit/test_ldapcfg \
	tests/integration/checkpassword-ldap.sh
EXTRA_DIST += tests/integration/checkpassword-ldap.sh
man_MANS += man/checkpassword-ldap.8
