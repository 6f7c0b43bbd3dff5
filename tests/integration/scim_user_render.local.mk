# Reads (rendered in C) against writes (rendered in SQL): the same User text.
check_PROGRAMS += tests/integration/test_scim_user_render
TESTS += tests/integration/test_scim_user_render
tests_integration_test_scim_user_render_SOURCES = tests/integration/test_scim_user_render.c \
	$(SCIM_USERS_TEST_FIXTURE)
tests_integration_test_scim_user_render_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_scim_user_render_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_scim_user_render_LDADD = $(API_TEST_LIBS)
