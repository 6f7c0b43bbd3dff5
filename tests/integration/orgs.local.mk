# Organizations, members, teams and the guardrail race, through HTTP against a
# real orgbridged and PostgreSQL (tests/integration/test_{orgs,members,teams,race}.c).
ORGS_TEST_FIXTURE = tests/integration/orgs_fixture.c tests/integration/orgs_fixture.h
ORGS_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration

check_PROGRAMS += tests/integration/test_orgs
TESTS += tests/integration/test_orgs
tests_integration_test_orgs_SOURCES = tests/integration/test_orgs.c $(ORGS_TEST_FIXTURE)
tests_integration_test_orgs_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_orgs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_orgs_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_members
TESTS += tests/integration/test_members
tests_integration_test_members_SOURCES = tests/integration/test_members.c $(ORGS_TEST_FIXTURE)
tests_integration_test_members_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_members_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_members_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_teams
TESTS += tests/integration/test_teams
tests_integration_test_teams_SOURCES = tests/integration/test_teams.c $(ORGS_TEST_FIXTURE)
tests_integration_test_teams_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_teams_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_teams_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_race
TESTS += tests/integration/test_race
tests_integration_test_race_SOURCES = tests/integration/test_race.c $(ORGS_TEST_FIXTURE) \
	tests/integration/race_util.c tests/integration/race_util.h
tests_integration_test_race_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_race_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_race_LDADD = $(API_TEST_LIBS)
