# tests/fuzz: libFuzzer harnesses, built only with --enable-fuzzers (CC=clang).
# Run one: ./tests/fuzz/fuzz_config tests/fuzz/corpus/config -max_total_time=60
EXTRA_DIST += tests/fuzz/corpus
if ENABLE_FUZZERS
# Coverage feedback for the library code the harnesses call.
AM_CFLAGS += -fsanitize=fuzzer-no-link
FUZZ_SAN = -fsanitize=fuzzer,address,undefined
noinst_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_CPPFLAGS = $(AM_CPPFLAGS)
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_config_LDADD = src/liborgbridge.a $(DEPS_LIBS)

fuzz: tests/fuzz/fuzz_config
endif

# The pure SCIM engines, against the test schema view of tests/unit.
if ENABLE_FUZZERS
FUZZ_SCIM_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
FUZZ_SCIM_VIEW = tests/unit/scim_view.c tests/unit/scim_view.h
noinst_PROGRAMS += tests/fuzz/fuzz_scim_filter tests/fuzz/fuzz_scim_path tests/fuzz/fuzz_scim_patch
tests_fuzz_fuzz_scim_filter_SOURCES = tests/fuzz/fuzz_scim_filter.c $(FUZZ_SCIM_VIEW)
tests_fuzz_fuzz_scim_filter_CPPFLAGS = $(FUZZ_SCIM_CPPFLAGS)
tests_fuzz_fuzz_scim_filter_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_filter_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_filter_LDADD = src/liborgbridge.a $(DEPS_LIBS)
tests_fuzz_fuzz_scim_path_SOURCES = tests/fuzz/fuzz_scim_path.c $(FUZZ_SCIM_VIEW)
tests_fuzz_fuzz_scim_path_CPPFLAGS = $(FUZZ_SCIM_CPPFLAGS)
tests_fuzz_fuzz_scim_path_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_path_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_path_LDADD = src/liborgbridge.a $(DEPS_LIBS)
tests_fuzz_fuzz_scim_patch_SOURCES = tests/fuzz/fuzz_scim_patch.c $(FUZZ_SCIM_VIEW)
tests_fuzz_fuzz_scim_patch_CPPFLAGS = $(FUZZ_SCIM_CPPFLAGS)
tests_fuzz_fuzz_scim_patch_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_patch_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_patch_LDADD = src/liborgbridge.a $(DEPS_LIBS)

noinst_PROGRAMS += tests/fuzz/fuzz_scim_validate
tests_fuzz_fuzz_scim_validate_SOURCES = tests/fuzz/fuzz_scim_validate.c
tests_fuzz_fuzz_scim_validate_CPPFLAGS = $(AM_CPPFLAGS)
tests_fuzz_fuzz_scim_validate_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_validate_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_SAN)
tests_fuzz_fuzz_scim_validate_LDADD = src/liborgbridge.a $(DEPS_LIBS)

fuzz: tests/fuzz/fuzz_scim_filter tests/fuzz/fuzz_scim_path tests/fuzz/fuzz_scim_patch \
	tests/fuzz/fuzz_scim_validate
endif
