# Benchmarks, run by hand (bench/api, bench/ldap-sync), never by make check.
# EXTRA_PROGRAMS are built only on request: make bench/api_bench.
BENCH_COMMON = bench/common.c bench/common.h
EXTRA_PROGRAMS = bench/api_bench
bench_api_bench_SOURCES = bench/api_bench.c $(BENCH_COMMON)
bench_api_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_api_bench_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS)
EXTRA_DIST += bench/api
CLEANFILES += bench/api_bench

EXTRA_PROGRAMS += bench/ldap_sync_bench
bench_ldap_sync_bench_SOURCES = bench/ldap_sync_bench.c $(BENCH_COMMON)
bench_ldap_sync_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
bench_ldap_sync_bench_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS)
EXTRA_DIST += bench/ldap-sync bench/build
CLEANFILES += bench/ldap_sync_bench
