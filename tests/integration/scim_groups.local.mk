# SCIM Groups (with group -> role mappings) and Bulk through HTTP against a
# real orgbridged and PostgreSQL (tests/integration/test_scim_{groups,bulk}.c).
SCIM_GROUPS_TEST_FIXTURE = $(SCIM_USERS_TEST_FIXTURE) tests/integration/scim_groups_fixture.c \
	tests/integration/scim_groups_fixture.h

check_PROGRAMS += tests/integration/test_scim_groups
TESTS += tests/integration/test_scim_groups
tests_integration_test_scim_groups_SOURCES = tests/integration/test_scim_groups.c \
	$(SCIM_GROUPS_TEST_FIXTURE)
tests_integration_test_scim_groups_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_groups_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_groups_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_scim_bulk
TESTS += tests/integration/test_scim_bulk
tests_integration_test_scim_bulk_SOURCES = tests/integration/test_scim_bulk.c \
	$(SCIM_GROUPS_TEST_FIXTURE)
tests_integration_test_scim_bulk_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_bulk_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_bulk_LDADD = $(API_TEST_LIBS)
