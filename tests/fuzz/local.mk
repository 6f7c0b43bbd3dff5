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
