# store/batch: lookups answered together, with threads and a counted pool.
check_PROGRAMS += tests/unit/test_batch
TESTS += tests/unit/test_batch
tests_unit_test_batch_SOURCES = tests/unit/test_batch.c
tests_unit_test_batch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_batch_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
