# Active Directory in-chain, the pure parts (tests/unit/test_in_chain.c):
# when it is used, the search filter, which groups a run asks about.
check_PROGRAMS += tests/unit/test_in_chain
TESTS += tests/unit/test_in_chain
tests_unit_test_in_chain_SOURCES = tests/unit/test_in_chain.c
tests_unit_test_in_chain_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_in_chain_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_in_chain_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
