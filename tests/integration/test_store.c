/* The libpq pool (src/store/db.c) against a real PostgreSQL: borrowing and
 * returning, parameters, error details, transactions, exhaustion, recovery
 * after a server restart, and use from many threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "harness/harness.h"
#include "store/db.h"

static struct pg_server pg;
static int db_counter;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A pool on a database of its own, so no test sees another's tables. */
static struct db_pool *fresh_pool(unsigned size, unsigned acquire_timeout_ms, char *conninfo,
				  size_t cap)
{
	char name[32];
	struct db_pool_options opt = { 0 };
	struct db_pool *pool;

	snprintf(name, sizeof(name), "store_%d", ++db_counter);
	assert_int_equal(pg_create_database(&pg, name, conninfo, cap), 0);
	opt.conninfo = conninfo;
	opt.size = size;
	opt.connect_timeout_s = 5;
	opt.acquire_timeout_ms = acquire_timeout_ms;
	opt.application_name = "test_store";
	pool = db_pool_new(&opt);
	assert_non_null(pool);
	return pool;
}

static long query_long(struct db_conn *c, const char *sql)
{
	PGresult *res = db_exec(c, sql, 0, NULL);
	long v;

	assert_non_null(res);
	assert_int_equal(PQntuples(res), 1);
	v = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

static int group_setup(void **state)
{
	/* The pool logs every SQL error; keep the expected ones quiet. */
	log_configure(LOG_LVL_ERROR, LOG_FMT_TEXT);
	return pg_server_start(&pg);
}

static int group_teardown(void **state)
{
	return pg_server_stop(&pg);
}

static void test_pool_creation_is_lazy_and_dead_server_fails_acquire_cleanly(void **state)
{
	char conninfo[200];
	struct db_pool_options opt = { 0 };
	struct db_pool *pool;
	unsigned port = harness_free_port(); /* nothing listens there */

	assert_true(port != 0);
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%u user=postgres dbname=x", port);
	opt.conninfo = conninfo;
	opt.size = 2;
	opt.connect_timeout_s = 2;
	opt.acquire_timeout_ms = 1000;
	pool = db_pool_new(&opt);
	assert_non_null(pool);
	assert_null(db_acquire(pool));
	assert_int_equal(db_ping(pool), -1);
	/* The failed slot went back: a second attempt fails the same way
	 * instead of waiting for the acquire timeout. */
	long t0 = now_ms();
	assert_null(db_acquire(pool));
	assert_true(now_ms() - t0 < 900);
	db_pool_free(pool);
}

static void test_acquire_release_reuses_the_connection(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(2, 2000, conninfo, sizeof(conninfo));
	struct db_conn *a = db_acquire(pool), *b = db_acquire(pool);
	int pid_a, pid_b;

	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	pid_a = PQbackendPID(db_pgconn(a));
	pid_b = PQbackendPID(db_pgconn(b));
	assert_int_not_equal(pid_a, pid_b);
	assert_int_equal(query_long(a, "SELECT 41 + 1"), 42);
	db_release(a);
	db_release(b);

	/* Both come back over the same two sessions: nothing reconnected. */
	a = db_acquire(pool);
	b = db_acquire(pool);
	assert_non_null(a);
	assert_non_null(b);
	int x = PQbackendPID(db_pgconn(a)), y = PQbackendPID(db_pgconn(b));
	assert_true((x == pid_a && y == pid_b) || (x == pid_b && y == pid_a));
	db_release(a);
	db_release(b);
	assert_int_equal(db_ping(pool), 0);
	db_release(NULL); /* allowed */
	db_pool_free(pool);
}

static void test_parameters_round_trip_null_and_quotes_without_injection(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *evil = "O'Brien\"; DROP TABLE people; --\\ \xc3\xa9";
	const char *params[2];
	PGresult *res;

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE people (id int PRIMARY KEY, name text)", 0, NULL), 0);
	params[0] = "1";
	params[1] = evil;
	assert_int_equal(db_command(c, "INSERT INTO people (id, name) VALUES ($1, $2)", 2, params), 0);
	params[0] = "2";
	params[1] = NULL;
	assert_int_equal(db_command(c, "INSERT INTO people (id, name) VALUES ($1, $2)", 2, params), 0);

	res = db_exec(c, "SELECT id, name FROM people ORDER BY id", 0, NULL);
	assert_non_null(res);
	assert_int_equal(PQntuples(res), 2);
	assert_string_equal(PQgetvalue(res, 0, 1), evil);
	assert_false(PQgetisnull(res, 0, 1));
	assert_true(PQgetisnull(res, 1, 1));
	PQclear(res);

	/* The value was data, not SQL: the table survived and a lookup by the
	 * hostile string finds exactly that row. */
	params[0] = evil;
	res = db_exec(c, "SELECT id FROM people WHERE name = $1", 1, params);
	assert_non_null(res);
	assert_int_equal(PQntuples(res), 1);
	assert_string_equal(PQgetvalue(res, 0, 0), "1");
	PQclear(res);
	params[0] = "x' OR '1'='1";
	res = db_exec(c, "SELECT id FROM people WHERE name = $1", 1, params);
	assert_non_null(res);
	assert_int_equal(PQntuples(res), 0);
	PQclear(res);
	assert_int_equal(query_long(c, "SELECT count(*) FROM people"), 2);
	db_release(c);
	db_pool_free(pool);
}

static void test_unique_violation_keeps_sqlstate_message_and_constraint(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *params[1] = { "a@example.org" };

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE users (email text CONSTRAINT users_email_key UNIQUE)",
				    0, NULL), 0);
	assert_string_equal(db_sqlstate(c), "");
	assert_int_equal(db_command(c, "INSERT INTO users (email) VALUES ($1)", 1, params), 0);
	assert_int_equal(db_command(c, "INSERT INTO users (email) VALUES ($1)", 1, params), -1);
	assert_string_equal(db_sqlstate(c), "23505");
	assert_string_equal(db_constraint(c), "users_email_key");
	assert_non_null(strstr(db_errmsg(c), "duplicate key"));
	assert_false(db_conn_lost(c));

	/* A syntax error has a SQLSTATE but no constraint. */
	assert_null(db_exec(c, "SELEC 1", 0, NULL));
	assert_string_equal(db_sqlstate(c), "42601");
	assert_string_equal(db_constraint(c), "");

	/* The next successful statement starts from a clean slate. */
	assert_int_equal(db_command(c, "SELECT 1", 0, NULL), 0);
	assert_string_equal(db_sqlstate(c), "");
	assert_string_equal(db_errmsg(c), "");
	db_release(c);
	db_pool_free(pool);
}

static void test_rollback_discards_and_commit_keeps(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE t (v int)", 0, NULL), 0);
	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "INSERT INTO t VALUES (1)", 0, NULL), 0);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 1);
	db_rollback(c);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 0);

	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "INSERT INTO t VALUES (2)", 0, NULL), 0);
	assert_int_equal(db_commit(c), 0);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 1);
	db_rollback(c); /* outside a transaction: harmless */
	db_release(c);
	db_pool_free(pool);
}

static void test_commit_after_a_failed_statement_reports_failure(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE t (v int PRIMARY KEY)", 0, NULL), 0);
	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "INSERT INTO t VALUES (1)", 0, NULL), 0);
	assert_int_equal(db_command(c, "INSERT INTO t VALUES (1)", 0, NULL), -1);
	assert_int_equal(db_commit(c), -1);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 0);

	/* A deferred constraint fails at COMMIT itself. */
	assert_int_equal(db_command(c, "CREATE TABLE d (v int, CONSTRAINT d_v_key UNIQUE (v) "
				       "DEFERRABLE INITIALLY DEFERRED)", 0, NULL), 0);
	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "INSERT INTO d VALUES (1), (1)", 0, NULL), 0);
	assert_int_equal(db_commit(c), -1);
	assert_string_equal(db_sqlstate(c), "23505");
	assert_string_equal(db_constraint(c), "d_v_key");
	assert_int_equal(query_long(c, "SELECT count(*) FROM d"), 0);
	db_release(c);
	db_pool_free(pool);
}

static void test_pipeline_runs_statements_in_order_with_their_results(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *one[] = { "7" }, *two[] = { "o'brien", NULL };
	const struct db_stmt st[] = { { "BEGIN", 0, NULL, false },
				      { "INSERT INTO t VALUES ($1::int, 'x') RETURNING v", 1, one, false },
				      { "INSERT INTO t VALUES (8, $1), (9, $2)", 2, two, false },
				      { "SELECT count(*), string_agg(s, ',' ORDER BY v) FROM t", 0, NULL, false },
				      { "COMMIT", 0, NULL, false } };
	PGresult *res[5];

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE t (v int PRIMARY KEY, s text)", 0, NULL), 0);
	assert_int_equal(db_pipeline(c, st, 5, res), 0);
	assert_string_equal(PQgetvalue(res[1], 0, 0), "7");
	assert_string_equal(PQcmdStatus(res[2]), "INSERT 0 2");
	/* Each statement sees the ones before it. */
	assert_string_equal(PQgetvalue(res[3], 0, 0), "3");
	assert_string_equal(PQgetvalue(res[3], 0, 1), "x,o'brien");
	assert_string_equal(PQcmdStatus(res[4]), "COMMIT");
	for (int i = 0; i < 5; i++)
		PQclear(res[i]);
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	/* Committed; and the connection works as before outside the pipeline. */
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 3);
	db_release(c);
	db_pool_free(pool);
}

static void test_pipeline_stops_at_the_first_failure_and_commits_nothing(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const struct db_stmt dup[] = { { "BEGIN", 0, NULL, false },
				       { "INSERT INTO t VALUES (1)", 0, NULL, false },
				       { "INSERT INTO t VALUES (1)", 0, NULL, false },
				       { "INSERT INTO t VALUES (2)", 0, NULL, false },
				       { "COMMIT", 0, NULL, false } };
	const struct db_stmt deferred[] = { { "BEGIN", 0, NULL, false },
					    { "INSERT INTO d VALUES (1), (1)", 0, NULL, false },
					    { "COMMIT", 0, NULL, false } };
	PGresult *res[5] = { (PGresult *)1, (PGresult *)1, (PGresult *)1, (PGresult *)1,
			     (PGresult *)1 };

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE t (v int CONSTRAINT t_v_key PRIMARY KEY)", 0,
				    NULL), 0);
	assert_int_equal(db_pipeline(c, dup, 5, res), -1);
	for (int i = 0; i < 5; i++)
		assert_null(res[i]);
	assert_string_equal(db_sqlstate(c), "23505");
	assert_string_equal(db_constraint(c), "t_v_key");
	/* The batch's transaction is left failed for the caller to roll back. */
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_INERROR);
	db_rollback(c);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 0);

	/* A deferred constraint fails at the batch's COMMIT. */
	assert_int_equal(db_command(c, "CREATE TABLE d (v int, CONSTRAINT d_v_key UNIQUE (v) "
				       "DEFERRABLE INITIALLY DEFERRED)", 0, NULL), 0);
	assert_int_equal(db_pipeline(c, deferred, 3, res), -1);
	assert_string_equal(db_constraint(c), "d_v_key");
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	assert_int_equal(query_long(c, "SELECT count(*) FROM d"), 0);

	/* A COMMIT of a transaction that failed before the batch only rolls
	 * back: that is a failure too. */
	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "SELECT 1/0", 0, NULL), -1);
	const struct db_stmt commit[] = { { "COMMIT", 0, NULL, false } };
	assert_int_equal(db_pipeline(c, commit, 1, res), -1);
	assert_string_equal(db_sqlstate(c), "25P02");
	assert_int_equal(query_long(c, "SELECT 1"), 1);
	db_release(c);
	db_pool_free(pool);
}

static void test_release_rolls_back_an_open_transaction(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	int backend;

	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE t (v int)", 0, NULL), 0);
	assert_int_equal(db_begin(c), 0);
	assert_int_equal(db_command(c, "INSERT INTO t VALUES (1)", 0, NULL), 0);
	backend = PQbackendPID(db_pgconn(c));
	db_release(c); /* forgot to commit */

	c = db_acquire(pool);
	assert_non_null(c);
	assert_int_equal(PQbackendPID(db_pgconn(c)), backend); /* same session */
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	assert_int_equal(query_long(c, "SELECT count(*) FROM t"), 0);

	/* Also a transaction left in the failed state. */
	assert_int_equal(db_begin(c), 0);
	assert_null(db_exec(c, "SELECT 1/0", 0, NULL));
	assert_string_equal(db_sqlstate(c), "22012");
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_INERROR);
	db_release(c);
	c = db_acquire(pool);
	assert_non_null(c);
	assert_int_equal(PQtransactionStatus(db_pgconn(c)), PQTRANS_IDLE);
	assert_int_equal(query_long(c, "SELECT 7"), 7);
	db_release(c);
	db_pool_free(pool);
}

struct waiter {
	struct db_pool *pool;
	long waited_ms;
	bool got;
};

static void *wait_for_connection(void *arg)
{
	struct waiter *w = arg;
	long t0 = now_ms();
	struct db_conn *c = db_acquire(w->pool);

	w->waited_ms = now_ms() - t0;
	w->got = c != NULL;
	db_release(c);
	return NULL;
}

static void test_acquire_times_out_when_the_pool_is_exhausted(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 300, conninfo, sizeof(conninfo));
	struct db_conn *held = db_acquire(pool), *c;
	long t0, elapsed;

	assert_non_null(held);
	t0 = now_ms();
	c = db_acquire(pool);
	elapsed = now_ms() - t0;
	assert_null(c);
	assert_true(elapsed >= 280);
	assert_true(elapsed < 3000);
	db_release(held);

	/* A waiter is woken by a release well before its timeout. */
	db_pool_free(pool);
	pool = fresh_pool(1, 10000, conninfo, sizeof(conninfo));
	held = db_acquire(pool);
	assert_non_null(held);
	struct waiter w = { .pool = pool };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, wait_for_connection, &w), 0);
	sleep_ms(200);
	db_release(held);
	pthread_join(th, NULL);
	assert_true(w.got);
	assert_true(w.waited_ms >= 150);
	assert_true(w.waited_ms < 5000);
	db_pool_free(pool);
}

/* Statements are prepared once per connection, executed by name after that,
 * and a connection never holds more than its bounded set of them. */
static void test_statements_are_prepared_once_and_bounded(void **state)
{
	static const char counted[] =
		"SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1'";
	char conninfo[600], sql[64], want[16];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	const char *three[] = { "3" };
	PGresult *res;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 3; i++) {
		res = db_exec(c, "SELECT $1::int + 1", 1, three);
		assert_non_null(res);
		assert_string_equal(PQgetvalue(res, 0, 0), "4");
		PQclear(res);
	}
	assert_int_equal(query_long(c, counted), 1);

	/* Many distinct texts: every one answers correctly, old ones are evicted. */
	for (int i = 0; i < 500; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		snprintf(want, sizeof(want), "%d", i);
		res = db_exec(c, sql, 0, NULL);
		assert_non_null(res);
		assert_string_equal(PQgetvalue(res, 0, 0), want);
		PQclear(res);
	}
	assert_in_range(query_long(c, "SELECT count(*) FROM pg_prepared_statements"), 100, 256);
	res = db_exec(c, "SELECT $1::int + 1", 1, three);
	assert_non_null(res);
	assert_string_equal(PQgetvalue(res, 0, 0), "4");
	PQclear(res);
	db_release(c);
	db_pool_free(pool);
}

static void test_reconnects_after_server_restart_without_new_pool(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(2, 2000, conninfo, sizeof(conninfo));
	struct db_conn *a = db_acquire(pool), *b = db_acquire(pool);

	/* Both slots hold a live session before the outage. */
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(db_command(a, "CREATE TABLE t (v int)", 0, NULL), 0);
	assert_int_equal(db_command(a, "INSERT INTO t VALUES (1)", 0, NULL), 0);
	/* Prepared in both sessions: the new sessions must prepare it again. */
	assert_int_equal(query_long(a, "SELECT count(*) FROM t"), 1);
	assert_int_equal(query_long(b, "SELECT count(*) FROM t"), 1);
	db_release(a);
	db_release(b);

	assert_int_equal(pg_server_stop(&pg), 0);
	assert_null(db_acquire(pool));
	assert_int_equal(db_ping(pool), -1);

	assert_int_equal(pg_server_restart(&pg), 0);
	a = db_acquire(pool);
	assert_non_null(a);
	b = db_acquire(pool);
	assert_non_null(b);
	assert_int_equal(query_long(a, "SELECT count(*) FROM t"), 1);
	assert_int_equal(query_long(b, "SELECT count(*) FROM t"), 1);
	assert_false(db_conn_lost(a));
	db_release(a);
	db_release(b);
	assert_int_equal(db_ping(pool), 0);
	db_pool_free(pool);
}

static void test_connection_killed_mid_use_is_reported_lost_then_reset(void **state)
{
	char conninfo[600], sql[128];
	struct db_pool *pool = fresh_pool(1, 2000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	int backend;

	assert_non_null(c);
	backend = PQbackendPID(db_pgconn(c));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", backend);
	char *killed = pg_query_value(pg.conninfo, sql);
	assert_non_null(killed);
	assert_string_equal(killed, "t");
	free(killed);
	sleep_ms(100);

	assert_null(db_exec(c, "SELECT 1", 0, NULL));
	assert_true(db_conn_lost(c));
	assert_string_equal(db_sqlstate(c), "");
	assert_true(strlen(db_errmsg(c)) > 0);
	db_release(c);

	c = db_acquire(pool);
	assert_non_null(c);
	assert_int_not_equal(PQbackendPID(db_pgconn(c)), backend);
	assert_int_equal(query_long(c, "SELECT 5"), 5);
	db_release(c);
	db_pool_free(pool);
}

#define N_THREADS 8
#define N_ROUNDS 40

struct shared {
	struct db_pool *pool;
	pthread_mutex_t mu;
	int busy_backends[N_THREADS]; /* backend pids currently borrowed */
	int failures;
	int overlaps;
};

struct worker {
	struct shared *sh;
	int id;
};

/* No cmocka asserts off the main thread: failures are counted instead. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	char id[16], round[16];
	const char *params[2] = { id, round };

	snprintf(id, sizeof(id), "%d", w->id);
	for (int i = 0; i < N_ROUNDS; i++) {
		struct db_conn *c = db_acquire(sh->pool);
		int backend;
		if (c == NULL) {
			__atomic_add_fetch(&sh->failures, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		backend = PQbackendPID(db_pgconn(c));
		pthread_mutex_lock(&sh->mu);
		for (int k = 0; k < N_THREADS; k++)
			sh->overlaps += sh->busy_backends[k] == backend;
		sh->busy_backends[w->id] = backend;
		pthread_mutex_unlock(&sh->mu);

		snprintf(round, sizeof(round), "%d", i);
		if (db_begin(c) != 0 ||
		    db_command(c, "INSERT INTO hits (thread, round) VALUES ($1, $2)", 2, params) != 0 ||
		    db_commit(c) != 0)
			__atomic_add_fetch(&sh->failures, 1, __ATOMIC_SEQ_CST);

		pthread_mutex_lock(&sh->mu);
		sh->busy_backends[w->id] = 0;
		pthread_mutex_unlock(&sh->mu);
		db_release(c);
	}
	return NULL;
}

/* A borrower that returns its connection and at once asks again (a busy
 * request thread) does not overtake one already waiting: the connection is
 * handed to the waiter, and waiters are served in arrival order. */
struct fifo_waiter {
	struct db_pool *pool;
	int *served;      /* order of service, by waiter index */
	int *n_served;
	pthread_mutex_t *mu;
	int index;
	bool got;
};

static void *fifo_wait(void *arg)
{
	struct fifo_waiter *w = arg;
	struct db_conn *c = db_acquire(w->pool);

	if (c == NULL)
		return NULL;
	w->got = true;
	pthread_mutex_lock(w->mu);
	w->served[(*w->n_served)++] = w->index;
	pthread_mutex_unlock(w->mu);
	db_release(c);
	return NULL;
}

static void test_waiting_borrowers_are_served_first_come_first_served(void **state)
{
	char conninfo[600];
	struct db_pool *pool = fresh_pool(1, 10000, conninfo, sizeof(conninfo));
	struct db_conn *c = db_acquire(pool);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct fifo_waiter w[4];
	pthread_t t[4];
	int served[4], n_served = 0, again_before_waiters = 0;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct fifo_waiter){ pool, served, &n_served, &mu, i, false };
		assert_int_equal(pthread_create(&t[i], NULL, fifo_wait, &w[i]), 0);
		sleep_ms(150); /* so they queue in index order */
	}
	/* Return and borrow again at once, as a busy thread would. */
	db_release(c);
	c = db_acquire(pool);
	assert_non_null(c);
	pthread_mutex_lock(&mu);
	again_before_waiters = 4 - n_served;
	pthread_mutex_unlock(&mu);
	db_release(c);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(w[i].got);
		assert_int_equal(served[i], i);
	}
	/* The re-borrow queued behind all four. */
	assert_int_equal(again_before_waiters, 0);
	db_pool_free(pool);
}

static void test_eight_threads_share_a_pool_of_three(void **state)
{
	char conninfo[600];
	struct shared sh = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	struct db_conn *c;

	sh.pool = fresh_pool(3, 20000, conninfo, sizeof(conninfo));
	c = db_acquire(sh.pool);
	assert_non_null(c);
	assert_int_equal(db_command(c, "CREATE TABLE hits (thread int, round int, "
				       "PRIMARY KEY (thread, round))", 0, NULL), 0);
	db_release(c);

	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .sh = &sh, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sh.failures, 0);
	assert_int_equal(sh.overlaps, 0); /* never one session lent twice */

	c = db_acquire(sh.pool);
	assert_non_null(c);
	assert_int_equal(query_long(c, "SELECT count(*) FROM hits"), N_THREADS * N_ROUNDS);
	assert_int_equal(query_long(c, "SELECT count(DISTINCT thread) FROM hits"), N_THREADS);
	db_release(c);
	/* The pool bounds the sessions: at most three served all the work. */
	char *sessions = pg_query_value(conninfo, "SELECT count(*) FROM pg_stat_activity "
						  "WHERE application_name = 'test_store' "
						  "AND datname = current_database()");
	assert_non_null(sessions);
	assert_true(atoi(sessions) >= 1 && atoi(sessions) <= 3);
	free(sessions);
	db_pool_free(sh.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_creation_is_lazy_and_dead_server_fails_acquire_cleanly),
		cmocka_unit_test(test_acquire_release_reuses_the_connection),
		cmocka_unit_test(test_parameters_round_trip_null_and_quotes_without_injection),
		cmocka_unit_test(test_unique_violation_keeps_sqlstate_message_and_constraint),
		cmocka_unit_test(test_rollback_discards_and_commit_keeps),
		cmocka_unit_test(test_commit_after_a_failed_statement_reports_failure),
		cmocka_unit_test(test_pipeline_runs_statements_in_order_with_their_results),
		cmocka_unit_test(test_pipeline_stops_at_the_first_failure_and_commits_nothing),
		cmocka_unit_test(test_release_rolls_back_an_open_transaction),
		cmocka_unit_test(test_acquire_times_out_when_the_pool_is_exhausted),
		cmocka_unit_test(test_statements_are_prepared_once_and_bounded),
		cmocka_unit_test(test_reconnects_after_server_restart_without_new_pool),
		cmocka_unit_test(test_connection_killed_mid_use_is_reported_lost_then_reset),
		cmocka_unit_test(test_waiting_borrowers_are_served_first_come_first_served),
		cmocka_unit_test(test_eight_threads_share_a_pool_of_three),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
