/* SQL on a test's own database, printf-style, for the integration tests that
 * start their own PostgreSQL (test_auth, test_invitations, test_transfer).
 * Each helper asserts (cmocka) where it says so. */
#ifndef OB_TESTS_SQL_FIXTURE_H
#define OB_TESTS_SQL_FIXTURE_H

/* Run the statements; asserts they succeed. */
void tsql(const char *conninfo, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First value of the first row, malloc'd (NULL when no row or NULL). */
char *tsql_value(const char *conninfo, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A count (the first value as a number); asserts there is one. */
long long tsql_count(const char *conninfo, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
