# SPDX-License-Identifier: ISC
# checkpassword/ -- stage 2: the checkpassword programs, and vuser for
# the virtual users file, with their integration tests.  Their lib
# modules and unit tests are in lib/local.mk.
sbin_PROGRAMS += checkpassword/checkpassword-virtual checkpassword/vuser \
	checkpassword/checkpassword-shadow checkpassword/checkpassword-pam
man_MANS += man/checkpassword-virtual.8 man/vuser.8 man/popkit-users.5 \
	man/popkit-aliases.5 man/checkpassword-shadow.8 man/checkpassword-pam.8

checkpassword_checkpassword_virtual_SOURCES = checkpassword/checkpassword-virtual.c
# MD5 for APOP comes from lib/md5, every password hash from libxcrypt
# (lib/pwcheck.h), linked in statically: nothing to load at every exec.
checkpassword_checkpassword_virtual_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
# Static, as pop3-maildir (pop3d/local.mk says when not): a login is
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
# checkpassword-ldap: accounts in an LDAP directory, over OpenLDAP's
# libldap (dynamic, as the library is).
sbin_PROGRAMS += checkpassword/checkpassword-ldap
checkpassword_checkpassword_ldap_SOURCES = checkpassword/checkpassword-ldap.c \
	checkpassword/ldapdir.c checkpassword/ldapdir.h checkpassword/ldap_recipients.c
checkpassword_checkpassword_ldap_LDADD = lib/libpopkit.a $(LDAP_LIBS) $(CRYPT_LIBS)
man_MANS += man/checkpassword-ldap.8

CPW_TESTS = tests/integration/checkpassword-virtual.sh tests/integration/checkpassword-vuser.sh \
	tests/integration/checkpassword-shadow.sh tests/integration/checkpassword-pam.sh \
	tests/integration/checkpassword-chain.sh
# vuser alias add/del/list on real files.
CPW_TESTS += tests/integration/vuser-alias.sh
CPW_TESTS += tests/integration/checkpassword-ldap.sh
TESTS += $(CPW_TESTS)
EXTRA_DIST += $(CPW_TESTS) tests/integration/cpw_accounts.sh \
	tests/integration/slapd.sh

# A PAM account module for the tests only (expiry), built as a shared
# object without libtool.
check_PROGRAMS += tests/integration/pam_expiry.so
tests_integration_pam_expiry_so_SOURCES = tests/integration/pam_expiry.c
tests_integration_pam_expiry_so_CFLAGS = $(AM_CFLAGS) -fPIC
tests_integration_pam_expiry_so_LDFLAGS = -shared
tests_integration_pam_expiry_so_LDADD = $(PAM_LIBS)
# And a crypt_rn counter, to test that every answer costs one crypt.
check_PROGRAMS += tests/integration/crypt_count.so
tests_integration_crypt_count_so_SOURCES = tests/integration/crypt_count.c
tests_integration_crypt_count_so_CFLAGS = $(AM_CFLAGS) -fPIC
tests_integration_crypt_count_so_LDFLAGS = -shared
tests_integration_crypt_count_so_LDADD = $(CRYPT_LIBS) -ldl
# The LD_PRELOAD counter cannot hook a static program, so the test counts
# the crypt calls of this dynamic twin: the same source, linked the same
# way but without -static.
check_PROGRAMS += tests/integration/checkpassword-virtual-dynamic
tests_integration_checkpassword_virtual_dynamic_SOURCES = checkpassword/checkpassword-virtual.c
tests_integration_checkpassword_virtual_dynamic_LDADD = lib/libpopkit.a $(CRYPT_LIBS)
