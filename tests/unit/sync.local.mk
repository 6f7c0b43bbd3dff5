# The LDAP sync planner (tests/unit/test_sync_plan.c): pure, no servers.
check_PROGRAMS += tests/unit/test_sync_plan
TESTS += tests/unit/test_sync_plan
tests_unit_test_sync_plan_SOURCES = tests/unit/test_sync_plan.c
tests_unit_test_sync_plan_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sync_plan_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
