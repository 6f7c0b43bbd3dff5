# Active Directory's ranged retrieval through the directory reader, against a
# small LDAP server that answers like AD (tests/integration/fake_ad.py).
check_PROGRAMS += tests/integration/test_ldap_ranges
TESTS += tests/integration/test_ldap_ranges
tests_integration_test_ldap_ranges_SOURCES = tests/integration/test_ldap_ranges.c \
	$(LDAP_TEST_FIXTURE)
tests_integration_test_ldap_ranges_CPPFLAGS = $(tests_integration_test_ldap_client_CPPFLAGS)
tests_integration_test_ldap_ranges_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_ldap_ranges_LDADD = $(tests_integration_test_ldap_client_LDADD)
EXTRA_DIST += tests/integration/fake_ad.py
