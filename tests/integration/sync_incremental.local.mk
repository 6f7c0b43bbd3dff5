# Incremental LDAP sync runs planning only the affected members
# (tests/integration/test_sync_incremental.c).
check_PROGRAMS += tests/integration/test_sync_incremental
TESTS += tests/integration/test_sync_incremental
tests_integration_test_sync_incremental_SOURCES = tests/integration/test_sync_incremental.c \
	$(SYNC_TEST_FIXTURE)
tests_integration_test_sync_incremental_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_incremental_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_incremental_LDADD = $(API_TEST_LIBS)
