# The SCIM schema registry, validation and projection (src/scim/schema*.c).
check_PROGRAMS += tests/unit/test_scim_schema
TESTS += tests/unit/test_scim_schema
tests_unit_test_scim_schema_SOURCES = tests/unit/test_scim_schema.c
tests_unit_test_scim_schema_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_schema_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
