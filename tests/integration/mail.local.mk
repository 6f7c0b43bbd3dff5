# Invitations, ownership transfer and mail through HTTP
# (tests/integration/test_invitations.c, test_transfer.c, test_mail.c).
check_PROGRAMS += tests/integration/test_invitations
TESTS += tests/integration/test_invitations
tests_integration_test_invitations_SOURCES = tests/integration/test_invitations.c $(SQL_TEST_FIXTURE)
tests_integration_test_invitations_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration
tests_integration_test_invitations_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_invitations_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_transfer
TESTS += tests/integration/test_transfer
tests_integration_test_transfer_SOURCES = tests/integration/test_transfer.c $(SQL_TEST_FIXTURE)
tests_integration_test_transfer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration
tests_integration_test_transfer_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_transfer_LDADD = $(API_TEST_LIBS)

check_PROGRAMS += tests/integration/test_mail
TESTS += tests/integration/test_mail
tests_integration_test_mail_SOURCES = tests/integration/test_mail.c
tests_integration_test_mail_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests -I$(top_srcdir)/tests/integration
tests_integration_test_mail_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_integration_test_mail_LDADD = $(API_TEST_LIBS)
