check_PROGRAMS += tests/integration/test_daemon
TESTS += tests/integration/test_daemon
tests_integration_test_daemon_SOURCES = tests/integration/test_daemon.c
tests_integration_test_daemon_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_integration_test_daemon_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_daemon_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
TESTS += tests/integration/test_systemd_unit.sh
EXTRA_DIST += tests/integration/test_systemd_unit.sh
