# SCIM filter -> SQL translation run against a real PostgreSQL.
check_PROGRAMS += tests/integration/test_scim_query
TESTS += tests/integration/test_scim_query
tests_integration_test_scim_query_SOURCES = tests/integration/test_scim_query.c
tests_integration_test_scim_query_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_scim_query_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_query_LDADD = tests/harness/libharness.a src/liborgbridge.a \
	$(DEPS_LIBS) $(CMOCKA_LIBS)
