#include "store/db.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* A statement prepared on one connection, named "ob<slot>". */
struct prepared {
	char *sql;              /* NULL: slot free */
	uint64_t hash;
	unsigned long last_use; /* for evicting the least recently used */
};

/* Enough for every constant statement the daemon sends; dynamic SQL (SCIM
 * filters) takes the least recently used slot when full. */
#define PREPARED_SLOTS 192

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;         /* NULL until the first connect */
	struct prepared prepared[PREPARED_SLOTS];
	unsigned long uses; /* clock for last_use */
	bool in_use;        /* guarded by pool->mu */
	bool lost;          /* last failure was the connection itself */
	char sqlstate[6];
	char errmsg[512];
	char constraint[128];
};

/* A borrower waiting for a connection; lives on its stack. give_back
 * hands a connection over under the lock and posts sem after unlocking, so
 * the woken waiter does not block at once on the lock its waker still
 * holds (with a condition variable signalled under the lock every handover
 * cost two sleeps and wake-ups: a fifth of a SCIM GET's daemon CPU at 32
 * connections on the pool of 8). A waiter that timed out after being given
 * a connection still takes the post before its sem goes out of scope. */
struct pool_waiter {
	struct pool_waiter *next;
	sem_t sem;
	struct db_conn *given; /* handed over by give_back */
};

struct db_pool {
	pthread_mutex_t mu;
	/* Waiters in arrival order. A returned connection goes straight to the
	 * first of them, so a busy thread returning and re-borrowing cannot
	 * overtake them: waits are first come, first served, which is what
	 * keeps the latency tail short when requests outnumber connections. */
	struct pool_waiter *first, *last;
	char *conninfo;
	char *password;
	char *application_name;
	unsigned size;
	unsigned connect_timeout_s;
	unsigned acquire_timeout_ms;
	struct db_conn *slots;
	unsigned long long acquire_timeouts; /* guarded by mu */
};

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = true;
	return d;
}

struct db_pool *db_pool_new(const struct db_pool_options *opt)
{
	struct db_pool *pool;
	bool failed = false;

	if (opt == NULL || opt->conninfo == NULL || opt->size < 1) {
		log_warnx("db: pool needs a conninfo and a size >= 1");
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->conninfo = dup_or_null(opt->conninfo, &failed);
	pool->password = dup_or_null(opt->password, &failed);
	pool->application_name = dup_or_null(
		opt->application_name != NULL ? opt->application_name : "orgbridged", &failed);
	pool->size = opt->size;
	pool->connect_timeout_s = opt->connect_timeout_s;
	pool->acquire_timeout_ms = opt->acquire_timeout_ms;
	pool->slots = calloc(opt->size, sizeof(*pool->slots));
	if (failed || pool->slots == NULL)
		goto fail;
	for (unsigned i = 0; i < pool->size; i++)
		pool->slots[i].pool = pool;

	if (pthread_mutex_init(&pool->mu, NULL) != 0)
		goto fail;
	return pool;

fail:
	free(pool->slots);
	free(pool->conninfo);
	free(pool->password);
	free(pool->application_name);
	free(pool);
	return NULL;
}

/* A new or reset session has no prepared statements. */
static void forget_prepared(struct db_conn *c)
{
	for (unsigned i = 0; i < PREPARED_SLOTS; i++) {
		free(c->prepared[i].sql);
		c->prepared[i].sql = NULL;
	}
}

void db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	for (unsigned i = 0; i < pool->size; i++) {
		if (pool->slots[i].in_use)
			log_warnx("db: pool freed while connection %u is still borrowed", i);
		if (pool->slots[i].pg != NULL)
			PQfinish(pool->slots[i].pg);
		forget_prepared(&pool->slots[i]);
	}
	pthread_mutex_destroy(&pool->mu);
	free(pool->slots);
	if (pool->password != NULL)
		memset(pool->password, 0, strlen(pool->password));
	free(pool->conninfo);
	free(pool->password);
	free(pool->application_name);
	free(pool);
}

static void clear_error(struct db_conn *c)
{
	c->lost = false;
	c->sqlstate[0] = '\0';
	c->errmsg[0] = '\0';
	c->constraint[0] = '\0';
}

/* Drop libpq's trailing newline so messages fit on one log line. */
static void copy_message(char *dst, size_t cap, const char *src)
{
	size_t n;

	snprintf(dst, cap, "%s", src != NULL ? src : "");
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '\r'))
		dst[--n] = '\0';
}

/* Record why a command failed. A broken connection has no SQLSTATE worth
 * acting on (the contract says ""), so callers test db_conn_lost instead. */
static void record_error(struct db_conn *c, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *cons = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	clear_error(c);
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		c->lost = true;
		copy_message(c->errmsg, sizeof(c->errmsg), msg != NULL ? msg : PQerrorMessage(c->pg));
		log_warnx("db: connection lost (SQLSTATE %s): %s", state != NULL ? state : "none",
			  c->errmsg);
		return;
	}
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state != NULL ? state : "");
	copy_message(c->errmsg, sizeof(c->errmsg),
		     msg != NULL ? msg : (res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(c->pg)));
	snprintf(c->constraint, sizeof(c->constraint), "%s", cons != NULL ? cons : "");
	if (c->constraint[0] != '\0')
		log_warnx("db: SQLSTATE %s: %s (constraint %s)", c->sqlstate, c->errmsg,
			  c->constraint);
	else
		log_warnx("db: SQLSTATE %s: %s", c->sqlstate[0] != '\0' ? c->sqlstate : "?????",
			  c->errmsg);
}

/* NOTICEs (e.g. "relation already exists, skipping") would otherwise go to
 * stderr unformatted; they are only interesting when debugging. */
static void notice_to_log(void *arg, const char *message)
{
	char line[512];

	(void)arg;
	copy_message(line, sizeof(line), message);
	log_debug("db: %s", line);
}

static int open_connection(struct db_conn *c)
{
	const struct db_pool *p = c->pool;
	const char *keys[6], *vals[6];
	char timeout[16];
	int n = 0;

	/* dbname first with expand_dbname=1: the conninfo string is expanded in
	 * its place, and the keywords after it (ours) take precedence. */
	keys[n] = "dbname";
	vals[n++] = p->conninfo;
	if (p->password != NULL) {
		keys[n] = "password";
		vals[n++] = p->password;
	}
	if (p->connect_timeout_s > 0) {
		snprintf(timeout, sizeof(timeout), "%u", p->connect_timeout_s);
		keys[n] = "connect_timeout";
		vals[n++] = timeout;
	}
	keys[n] = "application_name";
	vals[n++] = p->application_name;
	keys[n] = NULL;
	vals[n] = NULL;

	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL) {
		log_warnx("db: out of memory opening a connection");
		return -1;
	}
	PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
	return PQstatus(c->pg) == CONNECTION_OK ? 0 : -1;
}

/* libpq only notices a server restart when it next reads the socket, so an
 * idle connection still says CONNECTION_OK. A readable idle socket means the
 * server sent something unasked -- typically a FATAL termination notice
 * followed by EOF: consume and parse it (the notice goes to the notice
 * processor) until libpq reads the EOF and flags the connection bad. */
static bool looks_alive(PGconn *pg)
{
	struct pollfd pfd;
	PGnotify *note;

	for (int round = 0; round < 4 && PQstatus(pg) == CONNECTION_OK; round++) {
		pfd.fd = PQsocket(pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return false;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (PQconsumeInput(pg) == 0)
			return false;
		(void)PQisBusy(pg);
		while ((note = PQnotifies(pg)) != NULL)
			PQfreemem(note);
	}
	return PQstatus(pg) == CONNECTION_OK;
}

/* Make the borrowed slot usable: first connect, or reset a broken one. Runs
 * outside the pool lock since it may block for connect_timeout_s. */
static int ensure_connected(struct db_conn *c)
{
	if (c->pg == NULL) {
		if (open_connection(c) == 0)
			return 0;
	} else {
		if (looks_alive(c->pg))
			return 0;
		log_info("db: connection broken, reconnecting");
		forget_prepared(c);
		PQreset(c->pg);
		if (PQstatus(c->pg) == CONNECTION_OK)
			return 0;
	}
	copy_message(c->errmsg, sizeof(c->errmsg),
		     c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
	c->lost = true;
	log_warnx("db: cannot connect: %s", c->errmsg);
	return -1;
}

/* A free slot, preferring one that is already connected. Called locked. */
static struct db_conn *take_free_slot(struct db_pool *pool)
{
	struct db_conn *unconnected = NULL;

	for (unsigned i = 0; i < pool->size; i++) {
		struct db_conn *c = &pool->slots[i];
		if (c->in_use)
			continue;
		if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK) {
			c->in_use = true;
			return c;
		}
		if (unconnected == NULL)
			unconnected = c;
	}
	if (unconnected != NULL)
		unconnected->in_use = true;
	return unconnected;
}

/* To the longest waiter if there is one (the slot stays in use), else free. */
static void give_back(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	struct pool_waiter *w;

	pthread_mutex_lock(&pool->mu);
	if ((w = pool->first) != NULL) {
		pool->first = w->next;
		if (pool->first == NULL)
			pool->last = NULL;
		w->given = c;
	} else {
		c->in_use = false;
	}
	pthread_mutex_unlock(&pool->mu);
	if (w != NULL)
		sem_post(&w->sem);
}

/* Take sem's post, whatever signals arrive meanwhile. */
static void take_post(sem_t *sem)
{
	while (sem_wait(sem) != 0 && errno == EINTR)
		;
}

/* Queue at the end and wait for a hand-over until deadline (measured on
 * the monotonic clock, so a wall-clock jump does not shorten or stretch
 * acquire_timeout_ms). Called locked; returns unlocked. */
static struct db_conn *wait_turn(struct db_pool *pool, const struct timespec *deadline)
{
	struct pool_waiter w = { 0 }, *prev = NULL;
	int rc;

	if (sem_init(&w.sem, 0, 0) != 0) {
		pthread_mutex_unlock(&pool->mu);
		return NULL;
	}
	if (pool->last != NULL)
		pool->last->next = &w;
	else
		pool->first = &w;
	pool->last = &w;
	pthread_mutex_unlock(&pool->mu);
	while ((rc = sem_clockwait(&w.sem, CLOCK_MONOTONIC, deadline)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		pthread_mutex_lock(&pool->mu);
		if (w.given == NULL) {
			/* Timed out, still queued: leave the queue. */
			for (struct pool_waiter *q = pool->first; q != &w; q = q->next)
				prev = q;
			if (prev != NULL)
				prev->next = w.next;
			else
				pool->first = w.next;
			if (pool->last == &w)
				pool->last = prev;
			pool->acquire_timeouts++;
			pthread_mutex_unlock(&pool->mu);
		} else {
			/* Handed over just as the wait ended: its post is coming. */
			pthread_mutex_unlock(&pool->mu);
			take_post(&w.sem);
		}
	}
	sem_destroy(&w.sem);
	return w.given;
}

struct db_conn *db_acquire(struct db_pool *pool)
{
	struct db_conn *c;
	struct timespec deadline;

	if (pool == NULL)
		return NULL;
	deadline = clock_deadline_ms(pool->acquire_timeout_ms);
	pthread_mutex_lock(&pool->mu);
	c = pool->first == NULL ? take_free_slot(pool) : NULL;
	if (c != NULL)
		pthread_mutex_unlock(&pool->mu);
	else
		c = wait_turn(pool, &deadline); /* unlocks */
	if (c == NULL) {
		log_warnx("db: no free connection within %u ms (pool size %u)",
			  pool->acquire_timeout_ms, pool->size);
		return NULL;
	}
	clear_error(c);
	if (ensure_connected(c) != 0) {
		give_back(c);
		return NULL;
	}
	return c;
}

void db_release(struct db_conn *conn)
{
	if (conn == NULL)
		return;
	/* The next borrower must start outside any transaction; a broken
	 * connection is left for the next db_acquire to reset. */
	if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK &&
	    PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
		db_rollback(conn);
	give_back(conn);
}

void db_pool_usage(struct db_pool *pool, struct db_pool_usage *u)
{
	*u = (struct db_pool_usage){ .size = pool->size };
	pthread_mutex_lock(&pool->mu);
	for (unsigned i = 0; i < pool->size; i++)
		u->in_use += pool->slots[i].in_use;
	u->acquire_timeouts = pool->acquire_timeouts;
	pthread_mutex_unlock(&pool->mu);
}

PGconn *db_pgconn(struct db_conn *conn)
{
	return conn->pg;
}

static uint64_t sql_hash(const char *sql)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 1099511628211ULL;
	return h;
}

static PGresult *checked(struct db_conn *conn, PGresult *res)
{
	ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	record_error(conn, res);
	PQclear(res);
	return NULL;
}

/* The slot holding sql, preparing it first if needed; -1 on error (recorded). */
static int prepared_slot(struct db_conn *conn, const char *sql, int nparams)
{
	uint64_t h = sql_hash(sql);
	unsigned victim = 0;
	char name[16], *copy;
	PGresult *res;

	for (unsigned i = 0; i < PREPARED_SLOTS; i++) {
		struct prepared *p = &conn->prepared[i];
		if (p->sql != NULL && p->hash == h && strcmp(p->sql, sql) == 0) {
			p->last_use = ++conn->uses;
			return (int)i;
		}
		if (conn->prepared[victim].sql != NULL &&
		    (p->sql == NULL || p->last_use < conn->prepared[victim].last_use))
			victim = i;
	}
	if ((copy = strdup(sql)) == NULL) {
		snprintf(conn->errmsg, sizeof(conn->errmsg), "out of memory");
		log_warnx("db: out of memory preparing a statement");
		return -1;
	}
	snprintf(name, sizeof(name), "ob%u", victim);
	if (conn->prepared[victim].sql != NULL) {
		char deallocate[32];
		snprintf(deallocate, sizeof(deallocate), "DEALLOCATE %s", name);
		if ((res = checked(conn, PQexec(conn->pg, deallocate))) == NULL)
			goto fail;
		PQclear(res);
		free(conn->prepared[victim].sql);
		conn->prepared[victim].sql = NULL;
	}
	if ((res = checked(conn, PQprepare(conn->pg, name, sql, nparams, NULL))) == NULL)
		goto fail;
	PQclear(res);
	conn->prepared[victim] = (struct prepared){ copy, h, ++conn->uses };
	return (int)victim;
fail:
	free(copy);
	return -1;
}

static PGresult *exec_format(struct db_conn *conn, const char *sql, int nparams,
			     const char *const *params, int result_format)
{
	char name[16];
	int slot;

	clear_error(conn);
	if ((slot = prepared_slot(conn, sql, nparams)) < 0)
		return NULL;
	snprintf(name, sizeof(name), "ob%d", slot);
	return checked(conn, PQexecPrepared(conn->pg, name, nparams, params, NULL, NULL,
					    result_format));
}

PGresult *db_exec(struct db_conn *conn, const char *sql, int nparams,
		  const char *const *params)
{
	return exec_format(conn, sql, nparams, params, 0);
}

PGresult *db_exec_binary(struct db_conn *conn, const char *sql, int nparams,
			 const char *const *params)
{
	return exec_format(conn, sql, nparams, params, 1);
}

int db_command(struct db_conn *conn, const char *sql, int nparams,
	       const char *const *params)
{
	PGresult *res = db_exec(conn, sql, nparams, params);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int db_begin(struct db_conn *conn)
{
	return db_command(conn, "BEGIN", 0, NULL);
}

/* COMMIT of a transaction that already failed succeeds as a command but
 * reports ROLLBACK: the caller's work was not kept. */
static bool commit_rolled_back(struct db_conn *conn, const PGresult *res)
{
	if (strcmp(PQcmdStatus((PGresult *)res), "ROLLBACK") != 0)
		return false;
	clear_error(conn);
	snprintf(conn->sqlstate, sizeof(conn->sqlstate), "25P02");
	snprintf(conn->errmsg, sizeof(conn->errmsg),
		 "transaction was aborted earlier; COMMIT rolled back");
	log_warnx("db: SQLSTATE %s: %s", conn->sqlstate, conn->errmsg);
	return true;
}

int db_commit(struct db_conn *conn)
{
	PGresult *res = db_exec(conn, "COMMIT", 0, NULL);
	int rc = 0;

	if (res == NULL)
		return -1;
	if (commit_rolled_back(conn, res))
		rc = -1;
	PQclear(res);
	return rc;
}

/* Read what is left of a pipeline up to its sync point and leave pipeline
 * mode. A connection that cannot leave it is reset (its transaction is
 * lost, as on any broken connection); false then, or when it broke. */
static bool pipeline_finish(struct db_conn *conn)
{
	PGconn *pg = conn->pg;
	PGresult *r;

	for (int round = 0; PQstatus(pg) == CONNECTION_OK && PQexitPipelineMode(pg) != 1; round++) {
		if (round == 64) {
			log_warnx("db: cannot leave pipeline mode; resetting the connection");
			forget_prepared(conn);
			PQreset(pg);
			return false;
		}
		if ((r = PQgetResult(pg)) != NULL)
			PQclear(r);
	}
	return PQstatus(pg) == CONNECTION_OK;
}

int db_pipeline(struct db_conn *conn, const struct db_stmt *stmts, int n, PGresult **res)
{
	char name[16];
	int slots[DB_PIPELINE_MAX], i, failed = -1;

	clear_error(conn);
	for (i = 0; i < n && i < DB_PIPELINE_MAX; i++)
		res[i] = NULL;
	if (n < 1 || n > DB_PIPELINE_MAX) {
		snprintf(conn->errmsg, sizeof(conn->errmsg), "pipeline of %d statements", n);
		log_warnx("db: %s (1..%d)", conn->errmsg, DB_PIPELINE_MAX);
		return -1;
	}
	/* Prepared first, each on its own (once per connection). */
	for (i = 0; i < n; i++)
		if ((slots[i] = prepared_slot(conn, stmts[i].sql, stmts[i].nparams)) < 0)
			return -1;
	if (PQenterPipelineMode(conn->pg) != 1) {
		record_error(conn, NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ob%d", slots[i]);
		if (PQsendQueryPrepared(conn->pg, name, stmts[i].nparams, stmts[i].params, NULL,
					NULL, stmts[i].binary ? 1 : 0) != 1)
			break;
	}
	if (i < n || PQpipelineSync(conn->pg) != 1) {
		record_error(conn, NULL);
		if (i < n)
			(void)PQpipelineSync(conn->pg);
		(void)pipeline_finish(conn);
		return -1;
	}
	/* Each statement's result, then NULL; a skipped one's is
	 * PGRES_PIPELINE_ABORTED. */
	for (i = 0; i < n; i++) {
		PGresult *r = PQgetResult(conn->pg), *extra;
		ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

		while ((extra = PQgetResult(conn->pg)) != NULL)
			PQclear(extra);
		if (failed < 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			failed = i;
			record_error(conn, r);
		} else if (failed < 0 && strcmp(stmts[i].sql, "COMMIT") == 0 &&
			   commit_rolled_back(conn, r)) {
			failed = i;
		}
		if (failed >= 0 || PQstatus(conn->pg) != CONNECTION_OK) {
			PQclear(r);
			r = NULL;
			if (failed < 0) {
				failed = i;
				record_error(conn, NULL);
			}
		}
		res[i] = r;
		if (PQstatus(conn->pg) != CONNECTION_OK)
			break;
	}
	if (!pipeline_finish(conn) && failed < 0) {
		failed = n;
		record_error(conn, NULL);
	}
	if (failed < 0)
		return 0;
	for (i = 0; i < n; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
	return -1;
}

void db_rollback(struct db_conn *conn)
{
	PGresult *res;

	if (conn == NULL || conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK ||
	    PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
		return;
	/* Not through db_exec: keep the error that made the caller roll back. */
	res = PQexec(conn->pg, "ROLLBACK");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		char msg[512];
		copy_message(msg, sizeof(msg), PQerrorMessage(conn->pg));
		log_warnx("db: ROLLBACK failed: %s", msg);
	}
	PQclear(res);
}

const char *db_sqlstate(const struct db_conn *conn)
{
	return conn->sqlstate;
}

const char *db_errmsg(const struct db_conn *conn)
{
	return conn->errmsg;
}

const char *db_constraint(const struct db_conn *conn)
{
	return conn->constraint;
}

bool db_conn_lost(const struct db_conn *conn)
{
	return conn->lost;
}

int db_ping(struct db_pool *pool)
{
	struct db_conn *c = db_acquire(pool);
	int rc;

	if (c == NULL)
		return -1;
	rc = db_command(c, "SELECT 1", 0, NULL);
	db_release(c);
	return rc;
}
