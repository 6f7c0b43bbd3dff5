# SCIM Group resources and PatchOps parsed into plain data (src/scim/group_input.c).
check_PROGRAMS += tests/unit/test_group_input
TESTS += tests/unit/test_group_input
tests_unit_test_group_input_SOURCES = tests/unit/test_group_input.c
tests_unit_test_group_input_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_group_input_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_group_input_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
