/* The migration runner (src/store/migrate.c) against a real PostgreSQL, with
 * the sample directories in tests/data/migrations and ad-hoc ones written
 * into temporary directories. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "harness/harness.h"
#include "store/db.h"
#include "store/migrate.h"

static struct pg_server pg;
static int db_counter;
static char good_dir[600], broken_dir[600];

static struct db_pool *fresh_pool(unsigned size, char *conninfo, size_t cap)
{
	char name[32];
	struct db_pool_options opt = { 0 };
	struct db_pool *pool;

	snprintf(name, sizeof(name), "migrate_%d", ++db_counter);
	assert_int_equal(pg_create_database(&pg, name, conninfo, cap), 0);
	opt.conninfo = conninfo;
	opt.size = size;
	opt.connect_timeout_s = 5;
	opt.acquire_timeout_ms = 5000;
	pool = db_pool_new(&opt);
	assert_non_null(pool);
	return pool;
}

/* The single value of a query as an int; -1 for NULL. */
static int value_int(const char *conninfo, const char *sql)
{
	char *v = pg_query_value(conninfo, sql);
	int n = v != NULL ? atoi(v) : -1;
	free(v);
	return n;
}

static bool table_exists(const char *conninfo, const char *table)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT (to_regclass('%s') IS NOT NULL)::int", table);
	return value_int(conninfo, sql) == 1;
}

/* A temporary migration directory holding the given files (name, SQL pairs,
 * NULL-ended). */
static const char *make_dir(const char *const *files)
{
	const char *dir = harness_tmpdir("migrations");
	assert_non_null(dir);
	for (size_t i = 0; files[i] != NULL; i += 2) {
		char path[700];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i + 1], f);
		fclose(f);
	}
	return dir;
}

static int group_setup(void **state)
{
	snprintf(good_dir, sizeof(good_dir), "%s/tests/data/migrations/good", harness_srcdir());
	snprintf(broken_dir, sizeof(broken_dir), "%s/tests/data/migrations/broken", harness_srcdir());
	log_configure(LOG_LVL_ERROR, LOG_FMT_TEXT);
	return pg_server_start(&pg);
}

static int group_teardown(void **state)
{
	return pg_server_stop(&pg);
}

static void test_fresh_database_gets_every_file_in_order(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	int applied = -1;

	assert_non_null(c);
	assert_int_equal(migrate_current_version(c), 0); /* no schema_migrations yet */
	assert_false(table_exists(conninfo, "schema_migrations"));

	assert_int_equal(migrate_apply(c, good_dir, &applied), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(migrate_current_version(c), 2);
	/* 002 altered 001's table and references it: order was respected. */
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM mig_b JOIN mig_a ON a_id = mig_a.id"), 1);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM information_schema.columns "
					     "WHERE table_name = 'mig_a' AND column_name = 'note'"), 1);
	char *names = pg_query_value(conninfo, "SELECT string_agg(version || ':' || name, ',' "
					       "ORDER BY version) FROM schema_migrations");
	assert_non_null(names);
	assert_string_equal(names, "1:a,2:b");
	free(names);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM schema_migrations "
					     "WHERE applied_at IS NULL"), 0);
	/* The connection is clean for its next borrower. */
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	db_release(c);
	db_pool_free(pool);
}

static void test_rerun_is_a_no_op(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	int applied = -1;

	assert_non_null(c);
	assert_int_equal(migrate_apply(c, good_dir, &applied), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(migrate_apply(c, good_dir, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(migrate_apply(c, good_dir, NULL), 0);
	assert_int_equal(migrate_current_version(c), 2);
	/* Nothing ran twice: 001's INSERT would have added a second row. */
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM mig_a"), 1);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM schema_migrations"), 2);
	db_release(c);
	db_pool_free(pool);
}

static void test_broken_migration_rolls_back_entirely(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	int applied = -1;

	assert_non_null(c);
	assert_int_equal(migrate_apply(c, broken_dir, &applied), -1);
	assert_int_equal(applied, 1);
	assert_true(table_exists(conninfo, "mig_ok"));
	assert_false(table_exists(conninfo, "mig_bad"));   /* created, then rolled back */
	assert_false(table_exists(conninfo, "mig_never")); /* later files not tried */
	assert_int_equal(migrate_current_version(c), 1);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM schema_migrations"), 1);

	/* The connection is usable and holds neither a transaction nor the
	 * advisory lock. */
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0);
	/* Running it again fails the same way, without reapplying 001. */
	assert_int_equal(migrate_apply(c, broken_dir, &applied), -1);
	assert_int_equal(applied, 0);
	assert_int_equal(migrate_current_version(c), 1);
	db_release(c);
	db_pool_free(pool);
}

static void test_badly_named_files_are_rejected(void **state)
{
	static const char *const bad_names[] = {
		"01_short.sql", "001-dash.sql", "001_Upper.sql", "001_.sql", "abc.sql",
		"001_with space.sql", "000_zero.sql", "001.sql", "1234567890_long.sql",
	};
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);

	assert_non_null(c);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		const char *files[] = { "001_fine.sql", "CREATE TABLE fine (id int);",
					bad_names[i], "SELECT 1;", NULL };
		const char *dir = make_dir(files);
		int applied = -1;
		print_message("# checking %s\n", bad_names[i]);
		assert_int_equal(migrate_latest_available(dir), -1);
		assert_int_equal(migrate_apply(c, dir, &applied), -1);
		assert_int_equal(applied, 0);
		/* Rejected before anything ran. */
		assert_false(table_exists(conninfo, "fine"));
	}
	assert_int_equal(migrate_current_version(c), 0);
	db_release(c);
	db_pool_free(pool);
}

static void test_duplicate_numbers_are_rejected(void **state)
{
	const char *files[] = { "001_one.sql", "CREATE TABLE one (id int);",
				"002_two.sql", "CREATE TABLE two (id int);",
				"0002_again.sql", "CREATE TABLE again (id int);", NULL };
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *dir = make_dir(files);
	int applied = -1;

	assert_non_null(c);
	assert_int_equal(migrate_latest_available(dir), -1);
	assert_int_equal(migrate_apply(c, dir, &applied), -1);
	assert_int_equal(applied, 0);
	assert_false(table_exists(conninfo, "one"));
	db_release(c);
	db_pool_free(pool);
}

static void test_file_that_commits_itself_is_rejected(void **state)
{
	const char *files[] = { "001_sneaky.sql", "CREATE TABLE sneaky (id int); COMMIT;", NULL };
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *dir = make_dir(files);

	assert_non_null(c);
	assert_int_equal(migrate_apply(c, dir, NULL), -1);
	assert_int_equal(migrate_current_version(c), 0);
	db_release(c);
	db_pool_free(pool);
}

static void test_latest_available_reads_the_highest_number(void **state)
{
	const char *none[] = { "README", "not a migration", "notes.txt", "x", NULL };
	const char *gap[] = { "001_a.sql", "SELECT 1;", "010_j.sql", "SELECT 1;",
			      "002_b.sql", "SELECT 1;", NULL };
	char schemas[600];

	assert_int_equal(migrate_latest_available(good_dir), 2);
	assert_int_equal(migrate_latest_available(broken_dir), 3);
	assert_int_equal(migrate_latest_available(make_dir(none)), 0);
	assert_int_equal(migrate_latest_available(make_dir(gap)), 10);
	assert_int_equal(migrate_latest_available("/nonexistent/migrations"), -1);
	/* The project's own schema directory is well-formed. */
	snprintf(schemas, sizeof(schemas), "%s/schemas", harness_srcdir());
	assert_true(migrate_latest_available(schemas) >= 1);
}

static void test_current_version_fails_on_a_broken_connection(void **state)
{
	char conninfo[600], sql[100];
	struct db_pool *pool = fresh_pool(1, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);

	assert_non_null(c);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", PQbackendPID(db_pgconn(c)));
	assert_int_equal(pg_exec(pg.conninfo, sql), 0);
	assert_int_equal(migrate_current_version(c), -1);
	assert_int_equal(migrate_apply(c, good_dir, NULL), -1);
	db_release(c);
	db_pool_free(pool);
}

struct runner {
	struct db_conn *conn;
	pthread_barrier_t *start;
	int rc;
	int applied;
};

static void *run_migrations(void *arg)
{
	struct runner *r = arg;
	pthread_barrier_wait(r->start);
	r->rc = migrate_apply(r->conn, good_dir, &r->applied);
	return NULL;
}

static void test_concurrent_runs_apply_each_file_once(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(2, conninfo, sizeof(conninfo));
	pthread_barrier_t start;
	struct runner r[2];
	pthread_t th[2];

	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct runner){ .conn = db_acquire(pool), .start = &start, .rc = -9 };
		assert_non_null(r[i].conn);
	}
	assert_int_not_equal(PQbackendPID(db_pgconn(r[0].conn)), PQbackendPID(db_pgconn(r[1].conn)));
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, run_migrations, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);

	assert_int_equal(r[0].rc, 0);
	assert_int_equal(r[1].rc, 0);
	assert_int_equal(r[0].applied + r[1].applied, 2);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM schema_migrations"), 2);
	assert_int_equal(value_int(conninfo, "SELECT count(*) FROM mig_a"), 1);
	for (int i = 0; i < 2; i++)
		db_release(r[i].conn);
	db_pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_database_gets_every_file_in_order),
		cmocka_unit_test(test_rerun_is_a_no_op),
		cmocka_unit_test(test_broken_migration_rolls_back_entirely),
		cmocka_unit_test(test_badly_named_files_are_rejected),
		cmocka_unit_test(test_duplicate_numbers_are_rejected),
		cmocka_unit_test(test_file_that_commits_itself_is_rejected),
		cmocka_unit_test(test_latest_available_reads_the_highest_number),
		cmocka_unit_test(test_current_version_fails_on_a_broken_connection),
		cmocka_unit_test(test_concurrent_runs_apply_each_file_once),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
