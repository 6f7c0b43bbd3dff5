# The schema and its guardrail backstop against a real PostgreSQL.
check_PROGRAMS += tests/integration/test_schema
TESTS += tests/integration/test_schema
tests_integration_test_schema_SOURCES = tests/integration/test_schema.c
tests_integration_test_schema_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_schema_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_schema_LDADD = tests/harness/libharness.a src/liborgbridge.a \
	$(DEPS_LIBS) $(CMOCKA_LIBS)
