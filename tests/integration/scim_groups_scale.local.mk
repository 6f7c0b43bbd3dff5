# SCIM Groups at IdP scale: whole-list writes with one change and racing
# one-member PATCHes on large groups (tests/integration/test_scim_groups_scale.c).
check_PROGRAMS += tests/integration/test_scim_groups_scale
TESTS += tests/integration/test_scim_groups_scale
tests_integration_test_scim_groups_scale_SOURCES = tests/integration/test_scim_groups_scale.c \
	tests/integration/race_util.c tests/integration/race_util.h tests/metrics_text.h \
	$(SCIM_GROUPS_TEST_FIXTURE)
tests_integration_test_scim_groups_scale_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_groups_scale_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_groups_scale_LDADD = $(API_TEST_LIBS)
