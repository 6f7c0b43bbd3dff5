# SCIM filters, differentially: the list endpoints' SQL translation against
# the in-memory matcher over the same Users and Groups
# (tests/integration/test_scim_filter_diff.c).
check_PROGRAMS += tests/integration/test_scim_filter_diff
TESTS += tests/integration/test_scim_filter_diff
tests_integration_test_scim_filter_diff_SOURCES = tests/integration/test_scim_filter_diff.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_filter_diff_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_filter_diff_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_filter_diff_LDADD = $(API_TEST_LIBS)
