# SPDX-License-Identifier: ISC
# contrib/local.mk -- service files made from contrib/*.in with configure's
# paths, and installed: systemd units, sysusers.d and tmpfiles.d entries
# where systemd looks for them; the inetd, xinetd, daemontools/runit,
# fail2ban and PAM files under $(pkgdatadir)/contrib for the administrator
# to copy.  Made by make, not by AC_CONFIG_FILES, so paths are expanded in
# full (configure leaves ${prefix} in them) and follow `make prefix=...`.
contrib_edit = sed \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e '/@SANDBOX[@]/{r $(srcdir)/contrib/systemd/sandbox.inc' -e 'd;}'
# The recipe, the same for every template: $< is the .in, $@ the result.
contrib_make = $(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(contrib_edit) $< >$@.tmp && \
	if grep -n '@[a-zA-Z_]*@' $@.tmp; then \
	    echo "$@: unsubstituted name" >&2; rm -f $@.tmp; exit 1; fi && \
	chmod a-w $@.tmp && mv $@.tmp $@

contrib_made = \
	contrib/systemd/popkit-pop3@.service contrib/systemd/popkit-pop3s@.service \
	contrib/inetd/inetd.conf contrib/inetd/xinetd.pop3 \
	contrib/tcpserver/run contrib/tcpserver/virtual-run \
	contrib/systemd/popkit-lmtp@.service contrib/tcpserver/lmtp-run \
	contrib/postfix/main.cf contrib/postfix/master.cf \
	contrib/exim/popkit.conf contrib/opensmtpd/smtpd.conf \
	contrib/qmail/dot-qmail-abc-default
CLEANFILES += $(contrib_made)
EXTRA_DIST += $(contrib_made:=.in) contrib/systemd/sandbox.inc

contrib/systemd/popkit-pop3@.service: $(srcdir)/contrib/systemd/popkit-pop3@.service.in $(srcdir)/contrib/systemd/sandbox.inc Makefile
	$(contrib_make)
contrib/systemd/popkit-pop3s@.service: $(srcdir)/contrib/systemd/popkit-pop3s@.service.in $(srcdir)/contrib/systemd/sandbox.inc Makefile
	$(contrib_make)
contrib/systemd/popkit-lmtp@.service: $(srcdir)/contrib/systemd/popkit-lmtp@.service.in $(srcdir)/contrib/systemd/sandbox.inc Makefile
	$(contrib_make)
contrib/tcpserver/lmtp-run: $(srcdir)/contrib/tcpserver/lmtp-run.in Makefile
	$(contrib_make) && chmod a+x $@
contrib/inetd/inetd.conf: $(srcdir)/contrib/inetd/inetd.conf.in Makefile
	$(contrib_make)
contrib/inetd/xinetd.pop3: $(srcdir)/contrib/inetd/xinetd.pop3.in Makefile
	$(contrib_make)
contrib/tcpserver/run: $(srcdir)/contrib/tcpserver/run.in Makefile
	$(contrib_make) && chmod a+x $@
contrib/tcpserver/virtual-run: $(srcdir)/contrib/tcpserver/virtual-run.in Makefile
	$(contrib_make) && chmod a+x $@
# The MTA recipes of popkit-delivery(7).
contrib/postfix/main.cf: $(srcdir)/contrib/postfix/main.cf.in Makefile
	$(contrib_make)
contrib/postfix/master.cf: $(srcdir)/contrib/postfix/master.cf.in Makefile
	$(contrib_make)
contrib/exim/popkit.conf: $(srcdir)/contrib/exim/popkit.conf.in Makefile
	$(contrib_make)
contrib/opensmtpd/smtpd.conf: $(srcdir)/contrib/opensmtpd/smtpd.conf.in Makefile
	$(contrib_make)
contrib/qmail/dot-qmail-abc-default: $(srcdir)/contrib/qmail/dot-qmail-abc-default.in Makefile
	$(contrib_make)

if POPKIT_SYSTEMD
systemdsystemunit_DATA = contrib/systemd/popkit-pop3.socket \
	contrib/systemd/popkit-pop3s.socket \
	contrib/systemd/popkit-pop3@.service contrib/systemd/popkit-pop3s@.service \
	contrib/systemd/popkit-lmtp.socket contrib/systemd/popkit-lmtp@.service
endif
# Installed as popkit.conf in each directory.
if POPKIT_SYSUSERS
sysusers_DATA = contrib/sysusers.d/popkit.conf
endif
if POPKIT_TMPFILES
tmpfiles_DATA = contrib/tmpfiles.d/popkit.conf
endif

contribdir = $(pkgdatadir)/contrib
contribinetddir = $(contribdir)/inetd
contribinetd_DATA = contrib/inetd/inetd.conf contrib/inetd/xinetd.pop3
contribtcpserverdir = $(contribdir)/tcpserver
contribtcpserver_SCRIPTS = contrib/tcpserver/run contrib/tcpserver/virtual-run \
	contrib/tcpserver/lmtp-run
contribtcpserver_DATA = contrib/tcpserver/tcprules.pop3
contribtcpserverlogdir = $(contribtcpserverdir)/log
contribtcpserverlog_SCRIPTS = contrib/tcpserver/log/run
contribfail2bandir = $(contribdir)/fail2ban
contribfail2ban_DATA = contrib/fail2ban/popkit.conf contrib/fail2ban/popkit.jail
contribpamdir = $(contribdir)/pam.d
contribpam_DATA = contrib/pam.d/popkit
contribpostfixdir = $(contribdir)/postfix
contribpostfix_DATA = contrib/postfix/main.cf contrib/postfix/master.cf
contribeximdir = $(contribdir)/exim
contribexim_DATA = contrib/exim/popkit.conf
contribopensmtpddir = $(contribdir)/opensmtpd
contribopensmtpd_DATA = contrib/opensmtpd/smtpd.conf
contribqmaildir = $(contribdir)/qmail
contribqmail_DATA = contrib/qmail/virtualdomains contrib/qmail/dot-qmail-abc-default
contribhaproxydir = $(contribdir)/haproxy
contribhaproxy_DATA = contrib/haproxy/haproxy.cfg

TESTS += tests/integration/fail2ban.sh tests/integration/contrib.sh
EXTRA_DIST += tests/integration/fail2ban.sh tests/integration/contrib.sh
EXTRA_DIST += packaging
TESTS += tests/integration/package.sh
EXTRA_DIST += tests/integration/package.sh
# EXTRA_DIST's contrib copies the build tree's contrib/ too: the files
# made from templates are not sources.
dist-hook: dist-contrib-made
dist-contrib-made:
	for f in $(contrib_made); do rm -f "$(distdir)/$$f"; done
.PHONY: dist-contrib-made
# One domain end to end, with the recipes above.
man_MANS += man/popkit-delivery.7
