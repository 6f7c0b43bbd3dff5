systemdsystemunit_DATA = systemd/orgbridged.service
sysusersdir = $(prefix)/lib/sysusers.d
sysusers_DATA = systemd/orgbridge.conf
EXTRA_DIST += systemd/orgbridged.service.in systemd/orgbridge.sysusers
CLEANFILES += systemd/orgbridged.service systemd/orgbridge.conf

systemd/orgbridged.service: $(srcdir)/systemd/orgbridged.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed \
		-e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		-e 's|@docdir[@]|$(docdir)|g' \
		-e 's|@localstatedir[@]|$(localstatedir)|g' \
		$(srcdir)/systemd/orgbridged.service.in > $@.tmp && mv $@.tmp $@

systemd/orgbridge.conf: $(srcdir)/systemd/orgbridge.sysusers
	$(AM_V_GEN)$(MKDIR_P) systemd && cp $(srcdir)/systemd/orgbridge.sysusers $@

# systemd-analyze needs the ExecStart binary to exist at the unit's path; check
# a copy pointing at the build tree.
check-systemd-unit: systemd/orgbridged.service src/orgbridged
	$(AM_V_GEN)sed -e 's|$(sbindir)/orgbridged|$(abs_top_builddir)/src/orgbridged|g' \
		systemd/orgbridged.service > systemd/orgbridged-verify.service && \
	SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no systemd/orgbridged-verify.service; \
	rc=$$?; rm -f systemd/orgbridged-verify.service; exit $$rc
.PHONY: check-systemd-unit
