# The pure SCIM engines: filter parser/printer/evaluator, PATCH path parser
# and PATCH engine, each against the small static schema view in scim_view.c.
check_PROGRAMS += tests/unit/test_scim_patch
TESTS += tests/unit/test_scim_patch
tests_unit_test_scim_patch_SOURCES = tests/unit/test_scim_patch.c tests/unit/scim_view.c \
	tests/unit/scim_view.h
tests_unit_test_scim_patch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_patch_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
# the golden cases the PATCH test reads
EXTRA_DIST += tests/data/scim_patch

check_PROGRAMS += tests/unit/test_scim_filter
TESTS += tests/unit/test_scim_filter
tests_unit_test_scim_filter_SOURCES = tests/unit/test_scim_filter.c tests/unit/scim_view.c \
	tests/unit/scim_view.h
tests_unit_test_scim_filter_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_filter_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_scim_path
TESTS += tests/unit/test_scim_path
tests_unit_test_scim_path_SOURCES = tests/unit/test_scim_path.c
tests_unit_test_scim_path_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_path_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_scim_token_cache
TESTS += tests/unit/test_scim_token_cache
tests_unit_test_scim_token_cache_SOURCES = tests/unit/test_scim_token_cache.c
tests_unit_test_scim_token_cache_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_scim_token_cache_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
