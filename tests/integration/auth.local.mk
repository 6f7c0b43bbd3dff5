# Accounts, sessions and org API tokens through HTTP (tests/integration/test_auth.c).
# SQL helpers shared by the tests that start their own PostgreSQL
# (test_auth here; test_invitations and test_transfer in mail.local.mk).
SQL_TEST_FIXTURE = tests/integration/sql_fixture.c tests/integration/sql_fixture.h

check_PROGRAMS += tests/integration/test_auth
TESTS += tests/integration/test_auth
tests_integration_test_auth_SOURCES = tests/integration/test_auth.c $(SQL_TEST_FIXTURE)
tests_integration_test_auth_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration
tests_integration_test_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_auth_LDADD = $(API_TEST_LIBS)
