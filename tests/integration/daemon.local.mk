check_PROGRAMS += tests/integration/test_daemon
TESTS += tests/integration/test_daemon
tests_integration_test_daemon_SOURCES = tests/integration/test_daemon.c
tests_integration_test_daemon_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_daemon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_daemon_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/integration/test_systemd_unit.sh
EXTRA_DIST += tests/integration/test_systemd_unit.sh

# Helpers for tests that drive the management API (tests/integration/api_util.h).
check_LIBRARIES += tests/integration/libapitest.a
tests_integration_libapitest_a_SOURCES = tests/integration/api_util.c tests/integration/api_util.h
tests_integration_libapitest_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
# Link order for API tests: tests/integration/libapitest.a tests/harness/libharness.a src/liborgbridge.a
API_TEST_LIBS = tests/integration/libapitest.a tests/harness/libharness.a src/liborgbridge.a \
	$(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/integration/test_cli
TESTS += tests/integration/test_cli
tests_integration_test_cli_SOURCES = tests/integration/test_cli.c
tests_integration_test_cli_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_cli_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_cli_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
