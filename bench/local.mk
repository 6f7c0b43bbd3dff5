# Benchmarks, run by hand (bench/api, bench/scim, bench/ldap-sync), never by
# make check. EXTRA_PROGRAMS are built only on request (bench/run does it).
BENCH_COMMON = bench/common.c bench/common.h
BENCH_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
BENCH_LDADD = tests/harness/libharness.a src/liborgbridge.a $(DEPS_LIBS)

EXTRA_PROGRAMS = bench/api_bench bench/scim_bench bench/ldap_sync_bench bench/hello_server
bench_api_bench_SOURCES = bench/api_bench.c $(BENCH_COMMON)
bench_api_bench_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_api_bench_LDADD = $(BENCH_LDADD)
bench_scim_bench_SOURCES = bench/scim_bench.c $(BENCH_COMMON)
bench_scim_bench_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_scim_bench_LDADD = $(BENCH_LDADD)
bench_ldap_sync_bench_SOURCES = bench/ldap_sync_bench.c $(BENCH_COMMON)
bench_ldap_sync_bench_CPPFLAGS = $(BENCH_CPPFLAGS)
bench_ldap_sync_bench_LDADD = $(BENCH_LDADD)
# The HTTP floor: libmicrohttpd alone, with orgbridged's thread model.
bench_hello_server_SOURCES = bench/hello_server.c
bench_hello_server_LDADD = $(MHD_LIBS) -lpthread
EXTRA_DIST += bench/run bench/api bench/scim bench/ldap-sync
CLEANFILES += bench/api_bench bench/scim_bench bench/ldap_sync_bench bench/hello_server
