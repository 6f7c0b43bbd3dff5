# GET /metrics on a real orgbridged and PostgreSQL (tests/integration/test_metrics.c).
check_PROGRAMS += tests/integration/test_metrics
TESTS += tests/integration/test_metrics
tests_integration_test_metrics_SOURCES = tests/integration/test_metrics.c tests/metrics_text.h $(ORGS_TEST_FIXTURE)
tests_integration_test_metrics_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_metrics_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_metrics_LDADD = $(API_TEST_LIBS)
