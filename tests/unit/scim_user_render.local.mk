# The read path's User renderer (src/scim/user_render.c), golden texts.
check_PROGRAMS += tests/unit/test_scim_user_render
TESTS += tests/unit/test_scim_user_render
tests_unit_test_scim_user_render_SOURCES = tests/unit/test_scim_user_render.c
tests_unit_test_scim_user_render_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_user_render_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
