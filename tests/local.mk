# tests: see Makefile.am for the conventions
include $(srcdir)/tests/unit/http.local.mk
include $(srcdir)/tests/integration/daemon.local.mk
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/unit/policy.local.mk

# The integration-test harness: real PostgreSQL, slapd, SMTP and orgbridged
# on loopback (tests/harness/harness.h), linked by every integration test.
check_LIBRARIES += tests/harness/libharness.a
tests_harness_libharness_a_SOURCES = tests/harness/harness.h tests/harness/internal.h \
	tests/harness/harness.c tests/harness/pg.c tests/harness/slapd.c \
	tests/harness/smtp.c tests/harness/daemon.c tests/harness/http.c
tests_harness_libharness_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_harness_libharness_a_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
EXTRA_DIST += tests/harness/smtp_server.py tests/data/migrations

check_PROGRAMS += tests/integration/test_harness
TESTS += tests/integration/test_harness
tests_integration_test_harness_SOURCES = tests/integration/test_harness.c
tests_integration_test_harness_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_harness_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_harness_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/integration/test_store
TESTS += tests/integration/test_store
tests_integration_test_store_SOURCES = tests/integration/test_store.c
tests_integration_test_store_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_store_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_store_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/integration/test_migrate
TESTS += tests/integration/test_migrate
tests_integration_test_migrate_SOURCES = tests/integration/test_migrate.c
tests_integration_test_migrate_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_migrate_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_migrate_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)

# The template cluster the harness copies for every PostgreSQL it starts
# (made once per build tree by initdb).
clean-local: clean-pg-template
clean-pg-template:
	-rm -rf tests/.pg-template tests/.pg-template.partial tests/.pg-template.lock
.PHONY: clean-pg-template
include $(srcdir)/tests/integration/schema.local.mk
include $(srcdir)/tests/integration/auth.local.mk
include $(srcdir)/tests/integration/mail.local.mk
include $(srcdir)/tests/integration/orgs.local.mk
include $(srcdir)/tests/integration/scim_users.local.mk
include $(srcdir)/tests/unit/sync.local.mk
include $(srcdir)/tests/integration/sync.local.mk
include $(srcdir)/tests/integration/scim_query.local.mk
include $(srcdir)/tests/unit/scim_schema.local.mk
include $(srcdir)/tests/integration/scim_discovery.local.mk
include $(srcdir)/tests/unit/scim.local.mk
include $(srcdir)/tests/integration/scim_groups.local.mk
include $(srcdir)/tests/unit/scim_groups.local.mk
include $(srcdir)/tests/unit/ldap.local.mk
include $(srcdir)/tests/integration/ldap.local.mk
include $(srcdir)/tests/integration/cli_org.local.mk
include $(srcdir)/tests/unit/metrics.local.mk
include $(srcdir)/tests/integration/metrics.local.mk
include $(srcdir)/tests/integration/openapi.local.mk
include $(srcdir)/tests/integration/ldap_ranges.local.mk
include $(srcdir)/tests/unit/in_chain.local.mk
include $(srcdir)/tests/integration/sync_ad.local.mk
include $(srcdir)/tests/integration/scim_race.local.mk
include $(srcdir)/tests/integration/sync_manual.local.mk
include $(srcdir)/tests/integration/sync_incremental.local.mk
include $(srcdir)/tests/unit/scim_user_render.local.mk
include $(srcdir)/tests/integration/scim_user_render.local.mk
include $(srcdir)/tests/man.local.mk
include $(srcdir)/tests/unit/scim_fold.local.mk
include $(srcdir)/tests/integration/scim_fold.local.mk
include $(srcdir)/tests/unit/batch.local.mk
include $(srcdir)/tests/integration/scim_patch_batch.local.mk
include $(srcdir)/tests/integration/daemon_logs.local.mk
include $(srcdir)/tests/integration/scim_filter_diff.local.mk
include $(srcdir)/tests/integration/scim_post_batch.local.mk
include $(srcdir)/tests/integration/scim_groups_scale.local.mk
include $(srcdir)/tests/integration/tenant_sweep.local.mk
