# Manual LDAP sync runs through the API (200 / 202 + Location / 409, dry run,
# SIGTERM) against a real slapd and orgbridged (tests/integration/test_sync_manual.c).
check_PROGRAMS += tests/integration/test_sync_manual
TESTS += tests/integration/test_sync_manual
tests_integration_test_sync_manual_SOURCES = tests/integration/test_sync_manual.c \
	$(ORGS_TEST_FIXTURE) $(LDAP_TEST_FIXTURE)
tests_integration_test_sync_manual_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_manual_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_manual_LDADD = $(API_TEST_LIBS)
