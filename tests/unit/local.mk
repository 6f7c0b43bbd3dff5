# Unit tests: one cmocka program per module, each a single group.
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_config_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
# test_config reads the sample files, the shipped sample config and its doc.
EXTRA_DIST += tests/data/config docs/CONFIG.md
