/* PostgreSQL access: a fixed-size pool of libpq connections, transactions and
 * parameterised statements. SQL text is always a constant; values travel as
 * parameters (PQexecParams, text format), never spliced into the SQL.
 *
 * A connection that broke (server restart, network) is reset on the next
 * acquire, so the daemon recovers without a restart. */
#ifndef OB_STORE_DB_H
#define OB_STORE_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct db_pool;
struct db_conn;

struct db_pool_options {
	const char *conninfo;       /* libpq connection string */
	const char *password;       /* may be NULL (then libpq's own rules: PGPASSWORD, .pgpass) */
	unsigned size;              /* number of connections, >= 1 */
	unsigned connect_timeout_s; /* per connection attempt */
	unsigned acquire_timeout_ms;/* how long db_acquire waits for a free connection */
	const char *application_name;
};

/* Create the pool. Connections are opened lazily, so this succeeds while the
 * server is down. Returns NULL on allocation failure. */
struct db_pool *db_pool_new(const struct db_pool_options *opt) OB_MUST_USE;
/* Close every connection. All connections must have been released. NULL ok. */
void db_pool_free(struct db_pool *pool);

/* Borrow a healthy connection: waits up to acquire_timeout_ms for a free slot,
 * (re)connects when needed. NULL (and a log line) if none can be had. */
struct db_conn *db_acquire(struct db_pool *pool) OB_MUST_USE;
/* Return a connection. An open transaction is rolled back first. NULL ok. */
void db_release(struct db_conn *conn);

/* A snapshot of the pool, for metrics. */
struct db_pool_usage {
	unsigned size;
	unsigned in_use; /* borrowed right now */
	unsigned long long acquire_timeouts; /* db_acquire calls that gave up, since start */
};
void db_pool_usage(struct db_pool *pool, struct db_pool_usage *u);

/* The libpq handle, for the rare caller that needs it (COPY, notices). */
PGconn *db_pgconn(struct db_conn *conn);

/* Run one statement. Returns the result (caller PQclear()s it) when the status
 * is PGRES_COMMAND_OK or PGRES_TUPLES_OK; otherwise NULL, with the error kept
 * on the connection (db_sqlstate/db_errmsg). params may be NULL entries (SQL NULL).
 *
 * The statement is prepared once per connection (keyed by its text) and then
 * executed by name, so PostgreSQL skips parsing and, once it settles on a
 * generic plan, planning: that was most of a short request's database time.
 * A generic plan is made from the statistics of its time and kept until
 * ANALYZE (or DDL) invalidates it, so whatever loads rows in bulk ANALYZEs
 * afterwards (the sync does). */
PGresult *db_exec(struct db_conn *conn, const char *sql, int nparams,
		  const char *const *params) OB_MUST_USE;
/* Same, with the result in PostgreSQL's binary format (the send functions:
 * uuid as 16 bytes, timestamptz as microseconds since 2000-01-01 UTC, int
 * in network order, jsonb as a version byte and its text). For hot reads
 * that decode their columns themselves: the server skips the text output
 * functions and the answer does not depend on DateStyle or TimeZone. */
PGresult *db_exec_binary(struct db_conn *conn, const char *sql, int nparams,
			 const char *const *params) OB_MUST_USE;
/* Same, discarding the result: 0 on success, -1 on error. */
int db_command(struct db_conn *conn, const char *sql, int nparams,
	       const char *const *params) OB_MUST_USE;

/* One statement of db_pipeline. */
struct db_stmt {
	const char *sql;
	int nparams;
	const char *const *params;
	bool binary; /* result in binary format, as db_exec_binary */
};

/* Run n (1..DB_PIPELINE_MAX) statements in one round trip (libpq pipeline
 * mode): all are sent, then all results read. They run one after the other
 * as separate statements, as if by n db_exec calls, so "BEGIN" and "COMMIT"
 * may be among them; after the first failure PostgreSQL skips the rest.
 * 0: res[i] holds statement i's result (the caller PQclear()s each).
 * -1: the first failure is recorded as db_exec records it (a "COMMIT" that
 * only rolled back counts as one, "25P02") and no result is kept; a
 * transaction the batch began is left open, failed, for db_rollback.
 * (A short write's round trips cost PostgreSQL and the daemon about as
 * much CPU as its statements.) */
#define DB_PIPELINE_MAX 8
int db_pipeline(struct db_conn *conn, const struct db_stmt *stmts, int n,
		PGresult **res) OB_MUST_USE;

int db_begin(struct db_conn *conn) OB_MUST_USE;
int db_commit(struct db_conn *conn) OB_MUST_USE; /* -1 if the commit failed (deferred constraint...) */
void db_rollback(struct db_conn *conn);

/* The error of the last failed call on this connection (each db_exec,
 * db_command, db_begin and db_commit starts by clearing it): SQLSTATE ("23505",
 * "" if none or a connection failure), server message, violated constraint
 * name (or ""). A COMMIT that only rolled back an already-failed transaction
 * reports "25P02". Every failure is also logged with log_warnx. */
const char *db_sqlstate(const struct db_conn *conn);
const char *db_errmsg(const struct db_conn *conn);
const char *db_constraint(const struct db_conn *conn);
/* True when the last failure was a lost connection rather than an SQL error. */
bool db_conn_lost(const struct db_conn *conn);

/* Cheap round trip ("SELECT 1") on a borrowed connection: 0 when it answers. */
int db_ping(struct db_pool *pool) OB_MUST_USE;

#endif
