# LDAP sync runs, apply and history through a real PostgreSQL with an
# in-memory directory reader (tests/integration/test_sync.c).
SYNC_TEST_FIXTURE = $(ORGS_TEST_FIXTURE) tests/integration/sync_fixture.c \
	tests/integration/sync_fixture.h

check_PROGRAMS += tests/integration/test_sync
TESTS += tests/integration/test_sync
tests_integration_test_sync_SOURCES = tests/integration/test_sync.c $(SYNC_TEST_FIXTURE)
tests_integration_test_sync_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_sync_scheduler
TESTS += tests/integration/test_sync_scheduler
tests_integration_test_sync_scheduler_SOURCES = tests/integration/test_sync_scheduler.c \
	$(SYNC_TEST_FIXTURE)
tests_integration_test_sync_scheduler_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_scheduler_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_scheduler_LDADD = $(API_TEST_LIBS)

# End to end against slapd (tests/integration/test_sync_ldap.c).
check_PROGRAMS += tests/integration/test_sync_ldap
TESTS += tests/integration/test_sync_ldap
tests_integration_test_sync_ldap_SOURCES = tests/integration/test_sync_ldap.c \
	$(ORGS_TEST_FIXTURE) $(LDAP_TEST_FIXTURE)
tests_integration_test_sync_ldap_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_ldap_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_ldap_LDADD = $(API_TEST_LIBS)
