# SCIM discovery (/ServiceProviderConfig, /ResourceTypes, /Schemas) through
# HTTP against a real orgbridged and PostgreSQL (test_scim_discovery.c).
check_PROGRAMS += tests/integration/test_scim_discovery
TESTS += tests/integration/test_scim_discovery
tests_integration_test_scim_discovery_SOURCES = tests/integration/test_scim_discovery.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_discovery_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_discovery_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_discovery_LDADD = $(API_TEST_LIBS)
