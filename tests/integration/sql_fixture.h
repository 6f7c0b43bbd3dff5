/* The group set-up of the integration tests that start their own PostgreSQL
 * (test_auth, test_invitations, test_transfer): the servers, a clock the
 * tests move, and SQL on the test's own database, printf-style. Each helper
 * asserts (cmocka) where it says so. */
#ifndef OB_TESTS_SQL_FIXTURE_H
#define OB_TESTS_SQL_FIXTURE_H

#include "harness/harness.h"

/* The group's orgbridged, its database and its file mail directory. */
extern struct daemon_proc tfx_daemon;
extern char tfx_conninfo[600];
extern char tfx_mail_dir[700];

/* Group set-up/tear-down: PostgreSQL with database dbname, then orgbridged
 * (conf_extra, may be NULL) migrated, whose clock runs offset seconds ahead
 * (the file named by ORGBRIDGE_TEST_CLOCK_FILE in a temp dir made with
 * clock_tag; 0 at first). Return 0 / -1 (cmocka group style). */
int tfx_start(const char *dbname, const char *clock_tag, const char *conf_extra);
int tfx_stop(void);
/* Move the daemon's clock offset seconds ahead of now (0: now). */
void tfx_set_clock(long long offset);
/* A cmocka per-test set-up: the clock back to now. */
int tfx_reset_clock(void **state);

/* Run the statements; asserts they succeed. */
void tsql(const char *conninfo, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First value of the first row, malloc'd (NULL when no row or NULL). */
char *tsql_value(const char *conninfo, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A count (the first value as a number); asserts there is one. */
long long tsql_count(const char *conninfo, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
