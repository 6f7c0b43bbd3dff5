# SCIM connections and Users through HTTP against a real orgbridged and
# PostgreSQL (tests/integration/test_scim_{connections,users}.c).
SCIM_USERS_TEST_FIXTURE = $(ORGS_TEST_FIXTURE) tests/integration/scim_users_fixture.c \
	tests/integration/scim_users_fixture.h

check_PROGRAMS += tests/integration/test_scim_connections
TESTS += tests/integration/test_scim_connections
tests_integration_test_scim_connections_SOURCES = tests/integration/test_scim_connections.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_connections_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_connections_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_connections_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_scim_users
TESTS += tests/integration/test_scim_users
tests_integration_test_scim_users_SOURCES = tests/integration/test_scim_users.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_users_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_users_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_users_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_scim_roles
TESTS += tests/integration/test_scim_roles
tests_integration_test_scim_roles_SOURCES = tests/integration/test_scim_roles.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_roles_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_roles_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_roles_LDADD = $(API_TEST_LIBS)
