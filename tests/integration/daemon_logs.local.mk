# orgbridged's log holds no token or password (tests/integration/test_daemon_logs.c).
check_PROGRAMS += tests/integration/test_daemon_logs
TESTS += tests/integration/test_daemon_logs
tests_integration_test_daemon_logs_SOURCES = tests/integration/test_daemon_logs.c
tests_integration_test_daemon_logs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration
tests_integration_test_daemon_logs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_daemon_logs_LDADD = $(API_TEST_LIBS)
