# caseExact=false values in a GET filter (SQL) and a PATCH value path (in
# memory) agree: the same test on a C.UTF-8 database and on a C one.
check_PROGRAMS += tests/integration/test_scim_fold_utf8 tests/integration/test_scim_fold_c
TESTS += tests/integration/test_scim_fold_utf8 tests/integration/test_scim_fold_c
tests_integration_test_scim_fold_utf8_SOURCES = tests/integration/test_scim_fold.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_fold_utf8_CPPFLAGS = $(ORGS_TEST_CPPFLAGS) -DFOLD_UTF8
tests_integration_test_scim_fold_utf8_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_fold_utf8_LDADD = $(API_TEST_LIBS)
tests_integration_test_scim_fold_c_SOURCES = tests/integration/test_scim_fold.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_fold_c_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_fold_c_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_fold_c_LDADD = $(API_TEST_LIBS)
