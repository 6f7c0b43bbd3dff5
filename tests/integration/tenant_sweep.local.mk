# Tenant isolation swept over every route of the daemon's route table, as
# every kind of caller of one org against another's objects
# (tests/integration/test_tenant_sweep.c).
check_PROGRAMS += tests/integration/test_tenant_sweep
TESTS += tests/integration/test_tenant_sweep
tests_integration_test_tenant_sweep_SOURCES = tests/integration/test_tenant_sweep.c \
	$(SCIM_GROUPS_TEST_FIXTURE)
tests_integration_test_tenant_sweep_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_tenant_sweep_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_tenant_sweep_LDADD = $(API_TEST_LIBS)
