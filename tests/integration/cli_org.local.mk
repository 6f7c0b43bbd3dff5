# orgbridgectl org/member/token against a real PostgreSQL and orgbridged
# (tests/integration/test_cli_org.c); uses the orgs fixture for people and SQL.
check_PROGRAMS += tests/integration/test_cli_org
TESTS += tests/integration/test_cli_org
tests_integration_test_cli_org_SOURCES = tests/integration/test_cli_org.c $(ORGS_TEST_FIXTURE)
tests_integration_test_cli_org_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_cli_org_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_cli_org_LDADD = $(API_TEST_LIBS)
