# Case folding of SCIM values, ASCII and Unicode (needs the C.UTF-8 locale).
check_PROGRAMS += tests/unit/test_scim_fold
TESTS += tests/unit/test_scim_fold
tests_unit_test_scim_fold_SOURCES = tests/unit/test_scim_fold.c
tests_unit_test_scim_fold_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_fold_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
