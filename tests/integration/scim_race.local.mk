# SCIM writes (which share the org lock) racing each other and the management
# API's exclusive changes (tests/integration/test_scim_race.c).
check_PROGRAMS += tests/integration/test_scim_race
TESTS += tests/integration/test_scim_race
tests_integration_test_scim_race_SOURCES = tests/integration/test_scim_race.c \
	tests/integration/race_util.c tests/integration/race_util.h tests/metrics_text.h \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_race_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_race_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_race_LDADD = $(API_TEST_LIBS)
