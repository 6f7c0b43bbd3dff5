# LDAP client and directory reader against real slapd servers
# (tests/integration/test_ldap_{client,reader}.c).
LDAP_TEST_FIXTURE = tests/integration/ldap_fixture.c tests/integration/ldap_fixture.h

check_PROGRAMS += tests/integration/test_ldap_client
TESTS += tests/integration/test_ldap_client
tests_integration_test_ldap_client_SOURCES = tests/integration/test_ldap_client.c \
	$(LDAP_TEST_FIXTURE)
tests_integration_test_ldap_client_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/integration
tests_integration_test_ldap_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ldap_client_LDADD = tests/harness/libharness.a src/liborgbridge.a \
	$(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/integration/test_ldap_reader
TESTS += tests/integration/test_ldap_reader
tests_integration_test_ldap_reader_SOURCES = tests/integration/test_ldap_reader.c \
	$(LDAP_TEST_FIXTURE)
tests_integration_test_ldap_reader_CPPFLAGS = $(tests_integration_test_ldap_client_CPPFLAGS)
tests_integration_test_ldap_reader_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ldap_reader_LDADD = $(tests_integration_test_ldap_client_LDADD)

# Pass-through sign-in through the HTTP API (also needs PostgreSQL and orgbridged).
check_PROGRAMS += tests/integration/test_ldap_login
TESTS += tests/integration/test_ldap_login
tests_integration_test_ldap_login_SOURCES = tests/integration/test_ldap_login.c \
	$(LDAP_TEST_FIXTURE) $(ORGS_TEST_FIXTURE)
tests_integration_test_ldap_login_CPPFLAGS = $(tests_integration_test_ldap_client_CPPFLAGS)
tests_integration_test_ldap_login_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ldap_login_LDADD = $(API_TEST_LIBS)
