# LDAP sync of Active Directory with the in-chain matching rule, against
# tests/integration/fake_ad.py and a real PostgreSQL (test_sync_ad.c).
check_PROGRAMS += tests/integration/test_sync_ad
TESTS += tests/integration/test_sync_ad
tests_integration_test_sync_ad_SOURCES = tests/integration/test_sync_ad.c \
	$(SYNC_TEST_FIXTURE) $(LDAP_TEST_FIXTURE)
tests_integration_test_sync_ad_CPPFLAGS = $(ORGS_TEST_CPPFLAGS)
tests_integration_test_sync_ad_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_sync_ad_LDADD = $(API_TEST_LIBS)
