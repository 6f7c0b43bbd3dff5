# SCIM User POSTs written together, raced against a real orgbridged and
# PostgreSQL (tests/integration/test_scim_post_batch.c).
check_PROGRAMS += tests/integration/test_scim_post_batch
TESTS += tests/integration/test_scim_post_batch
tests_integration_test_scim_post_batch_SOURCES = tests/integration/test_scim_post_batch.c \
	tests/integration/race_util.c tests/integration/race_util.h tests/metrics_text.h \
	tests/integration/cut_proxy.c tests/integration/cut_proxy.h \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_post_batch_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_post_batch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_post_batch_LDADD = $(API_TEST_LIBS)
