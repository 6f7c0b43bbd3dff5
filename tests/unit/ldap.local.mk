# LDAP escaping and value helpers (pure, no server).
check_PROGRAMS += tests/unit/test_ldap_escape
TESTS += tests/unit/test_ldap_escape
tests_unit_test_ldap_escape_SOURCES = tests/unit/test_ldap_escape.c
tests_unit_test_ldap_escape_CPPFLAGS = $(AM_CPPFLAGS)
tests_unit_test_ldap_escape_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ldap_escape_LDADD = src/liborgbridge.a $(DEPS_LIBS) $(CMOCKA_LIBS)
