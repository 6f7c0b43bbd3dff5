# Benchmarks, run by hand (bench/api), never by make check. EXTRA_PROGRAMS are
# built only on request: make bench/api_bench.
EXTRA_PROGRAMS = bench/api_bench
bench_api_bench_SOURCES = bench/api_bench.c
bench_api_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_api_bench_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS)
EXTRA_DIST += bench/api
CLEANFILES += bench/api_bench
