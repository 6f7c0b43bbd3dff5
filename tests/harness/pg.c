/* A private PostgreSQL cluster per test program: copied from a template made
 * once per build by initdb, started as our own child (as the postgres user
 * when we are root) so that we hold its pid and it dies with us. */
#include "harness/harness.h"
#include "harness/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG_READY_TIMEOUT_MS 15000
#define PG_STOP_TIMEOUT_MS 30000
#define PG_START_ATTEMPTS 4
#define PG_MAX_SETTINGS 16

/* Start-up outcome that a different port may fix. */
#define PG_PORT_CLASH (-2)

static const char *pg_bindir(void)
{
	const char *s = getenv("OB_PG_BINDIR");
	return s != NULL && *s != '\0' ? s : "/usr/lib/postgresql/15/bin";
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *connect_quiet(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (c != NULL)
		PQsetNoticeProcessor(c, quiet_notices, NULL);
	return c;
}

/* The template cluster: initdb is the slow part (about a second), so it runs
 * once per build tree and every server starts from a copy. The flock makes
 * the test programs that `make -j check` runs in parallel wait for the first
 * one instead of racing it. */
static int ensure_template(char *tmpl, size_t cap)
{
	char tests_dir[600], lock_path[700], version[800], staging[700], log_path[700];
	const char *work;
	char initdb[600];
	int lock_fd = -1, rc = -1;

	snprintf(tests_dir, sizeof(tests_dir), "%s/tests", harness_builddir());
	if (mkdir(tests_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "harness: mkdir %s: %s\n", tests_dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(tmpl, cap, "%s/.pg-template", tests_dir) >= cap) {
		fprintf(stderr, "harness: build directory path too long\n");
		return -1;
	}
	snprintf(lock_path, sizeof(lock_path), "%s/.pg-template.lock", tests_dir);
	snprintf(version, sizeof(version), "%s/PG_VERSION", tmpl);

	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0) {
		fprintf(stderr, "harness: lock %s: %s\n", lock_path, strerror(errno));
		goto done;
	}
	if (access(version, F_OK) == 0) {
		rc = 0;
		goto done;
	}

	/* initdb runs as postgres, which may not be able to write into the
	 * build tree: make it in a temporary directory, then copy it in. */
	work = harness_tmpdir("pg-initdb");
	if (work == NULL || hx_chown_postgres(work) != 0)
		goto done;
	snprintf(staging, sizeof(staging), "%s/data", work);
	snprintf(log_path, sizeof(log_path), "%s/initdb.log", work);
	snprintf(initdb, sizeof(initdb), "%s/initdb", pg_bindir());
	{
		const char *argv[] = { initdb, "-D", staging, "-A", "trust", "--nosync",
				       "-U", "postgres", "-E", "UTF8", "--locale=C", NULL };
		if (hx_run(argv, true, log_path, 120000) != 0) {
			fprintf(stderr, "harness: initdb failed\n");
			hx_print_tail("initdb", log_path, 30);
			goto done;
		}
	}
	{
		char partial[700];
		snprintf(partial, sizeof(partial), "%s.partial", tmpl);
		const char *rm_argv[] = { "/bin/rm", "-rf", "--", partial, tmpl, NULL };
		const char *cp_argv[] = { "/bin/cp", "-a", staging, partial, NULL };
		if (hx_run(rm_argv, false, NULL, 60000) != 0 ||
		    hx_run(cp_argv, false, log_path, 60000) != 0 || rename(partial, tmpl) != 0) {
			fprintf(stderr, "harness: cannot install the template cluster in %s\n", tmpl);
			goto done;
		}
	}
	rc = 0;

done:
	if (lock_fd >= 0)
		close(lock_fd); /* releases the flock */
	return rc;
}

/* Whether the server answering on our port is ours and not another test
 * program's that grabbed the port first. */
static bool serves_our_directory(PGconn *c, const char *datadir)
{
	PGresult *res = PQexec(c, "SHOW data_directory");
	char a[PATH_MAX], b[PATH_MAX];
	bool ours = false;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		const char *theirs = PQgetvalue(res, 0, 0);
		ours = strcmp(theirs, datadir) == 0 ||
		       (realpath(theirs, a) != NULL && realpath(datadir, b) != NULL &&
			strcmp(a, b) == 0);
	}
	PQclear(res);
	return ours;
}

/* Start the postmaster on pg->dir/data and pg->port and wait until it
 * accepts connections. 0, PG_PORT_CLASH, or -1. */
static int launch(struct pg_server *pg)
{
	char postgres[600], datadir[600], log_path[600], conninfo[200];
	char c_port[32], c_sock[600];
	long deadline;
	int fd;

	snprintf(postgres, sizeof(postgres), "%s/postgres", pg_bindir());
	snprintf(datadir, sizeof(datadir), "%s/data", pg->dir);
	snprintf(log_path, sizeof(log_path), "%s/postgres.log", pg->dir);
	snprintf(c_port, sizeof(c_port), "port=%u", pg->port);
	snprintf(c_sock, sizeof(c_sock), "unix_socket_directories=%s", pg->dir);
	const char *argv[20 + 2 * PG_MAX_SETTINGS] = {
		postgres, "-D", datadir,
		"-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "listen_addresses=127.0.0.1",
		"-c", c_port, "-c", c_sock, "-c", "max_connections=200",
		"-c", "shared_buffers=32MB", NULL };
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	/* Later -c settings override earlier ones. */
	for (size_t i = 0; pg->settings != NULL && pg->settings[i] != NULL; i++) {
		if (i == PG_MAX_SETTINGS) {
			fprintf(stderr, "harness: more than %d PostgreSQL settings\n", PG_MAX_SETTINGS);
			return -1;
		}
		argv[n++] = "-c";
		argv[n++] = pg->settings[i];
	}
	argv[n] = NULL;

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "harness: %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	/* SIGQUIT on our death: immediate shutdown, the postmaster takes its
	 * backends down with it. */
	struct hx_spawn sp = { .argv = argv, .out_fd = fd, .err_fd = fd, .as_postgres = true,
			       .death_sig = SIGQUIT, .kill_sig = SIGQUIT };
	pg->pid = hx_spawn(&sp);
	close(fd);
	if (pg->pid < 0) {
		pg->pid = 0;
		return -1;
	}

	snprintf(conninfo, sizeof(conninfo),
		 "host=127.0.0.1 port=%u user=postgres dbname=postgres connect_timeout=2", pg->port);
	deadline = hx_now_ms() + PG_READY_TIMEOUT_MS;
	while (hx_now_ms() < deadline) {
		if (!hx_alive(pg->pid)) {
			hx_wait(pg->pid, 0, NULL);
			pg->pid = 0;
			hx_print_tail("postgres (exited during start-up)", log_path, 20);
			return PG_PORT_CLASH;
		}
		PGconn *c = connect_quiet(conninfo);
		if (PQstatus(c) == CONNECTION_OK) {
			bool ours = serves_our_directory(c, datadir);
			PQfinish(c);
			if (ours)
				return 0;
			fprintf(stderr, "harness: port %u is served by another PostgreSQL\n", pg->port);
			hx_stop(pg->pid, SIGQUIT, 5000);
			pg->pid = 0;
			return PG_PORT_CLASH;
		}
		PQfinish(c);
		hx_sleep_ms(50);
	}
	fprintf(stderr, "harness: PostgreSQL not ready after %d ms\n", PG_READY_TIMEOUT_MS);
	hx_print_tail("postgres", log_path, 30);
	hx_stop(pg->pid, SIGQUIT, 5000);
	pg->pid = 0;
	return -1;
}

static void make_conninfo(const struct pg_server *pg, const char *db, char *out, size_t cap)
{
	snprintf(out, cap, "host=127.0.0.1 port=%u user=postgres dbname=%s", pg->port, db);
}

int pg_server_start(struct pg_server *pg)
{
	return pg_server_start_with(pg, NULL);
}

int pg_server_start_with(struct pg_server *pg, const char *const *settings)
{
	char tmpl[600], datadir[600], admin[200];
	const char *dir;
	int rc = -1;

	memset(pg, 0, sizeof(*pg));
	pg->settings = settings;
	if (ensure_template(tmpl, sizeof(tmpl)) != 0)
		return -1;
	dir = harness_tmpdir("pg");
	if (dir == NULL || hx_chown_postgres(dir) != 0)
		return -1;
	snprintf(pg->dir, sizeof(pg->dir), "%s", dir);
	snprintf(datadir, sizeof(datadir), "%s/data", pg->dir);
	{
		const char *cp_argv[] = { "/bin/cp", "-a", tmpl, datadir, NULL };
		if (hx_run(cp_argv, false, NULL, 60000) != 0) {
			fprintf(stderr, "harness: cannot copy the template cluster %s\n", tmpl);
			return -1;
		}
	}
	for (int attempt = 0; attempt < PG_START_ATTEMPTS; attempt++) {
		pg->port = harness_free_port();
		if (pg->port == 0)
			return -1;
		rc = launch(pg);
		if (rc != PG_PORT_CLASH)
			break;
	}
	if (rc != 0)
		return -1;

	make_conninfo(pg, "postgres", admin, sizeof(admin));
	if (pg_exec(admin, "CREATE DATABASE orgbridge") != 0) {
		pg_server_stop(pg);
		return -1;
	}
	make_conninfo(pg, "orgbridge", pg->conninfo, sizeof(pg->conninfo));
	return 0;
}

int pg_server_stop(struct pg_server *pg)
{
	int status;

	if (pg->pid <= 0) {
		fprintf(stderr, "harness: pg_server_stop: not running\n");
		return -1;
	}
	/* SIGINT is PostgreSQL's fast shutdown: sessions are terminated,
	 * nothing waits for clients to leave. */
	status = hx_stop(pg->pid, SIGINT, PG_STOP_TIMEOUT_MS);
	pg->pid = 0;
	return status == 0 ? 0 : -1;
}

int pg_server_restart(struct pg_server *pg)
{
	if (pg->pid > 0) {
		fprintf(stderr, "harness: pg_server_restart: still running\n");
		return -1;
	}
	if (launch(pg) != 0) {
		fprintf(stderr, "harness: PostgreSQL did not restart on port %u\n", pg->port);
		return -1;
	}
	return 0;
}

int pg_create_database(struct pg_server *pg, const char *name, char *conninfo, size_t cap)
{
	return pg_create_database_locale(pg, name, NULL, conninfo, cap);
}

int pg_create_database_locale(struct pg_server *pg, const char *name, const char *locale,
			      char *conninfo, size_t cap)
{
	char admin[200], *ident = NULL, *lit = NULL, *sql = NULL;
	PGconn *c = NULL;
	int rc = -1;

	/* Names stay plain so they need no quoting inside conninfo strings. */
	if (name == NULL || *name == '\0' || strlen(name) > 63 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
		fprintf(stderr, "harness: bad database name '%s' (use [a-z0-9_])\n",
			name != NULL ? name : "(null)");
		return -1;
	}
	make_conninfo(pg, "postgres", admin, sizeof(admin));
	c = connect_quiet(admin);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: %s", PQerrorMessage(c));
		goto done;
	}
	/* An identifier cannot be a statement parameter: escape it instead. */
	ident = PQescapeIdentifier(c, name, strlen(name));
	if (locale != NULL)
		lit = PQescapeLiteral(c, locale, strlen(locale));
	if (ident == NULL || (locale != NULL && lit == NULL) ||
	    (locale == NULL ? asprintf(&sql, "CREATE DATABASE %s", ident)
			    : asprintf(&sql, "CREATE DATABASE %s TEMPLATE template0 LOCALE %s",
				       ident, lit)) < 0) {
		sql = NULL;
		goto done;
	}
	PGresult *res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fprintf(stderr, "harness: CREATE DATABASE %s: %s", name, PQerrorMessage(c));
	else
		rc = 0;
	PQclear(res);
	if (rc == 0)
		make_conninfo(pg, name, conninfo, cap);

done:
	free(sql);
	PQfreemem(lit);
	PQfreemem(ident);
	PQfinish(c);
	return rc;
}

int pg_exec(const char *conninfo, const char *sql)
{
	PGconn *c = connect_quiet(conninfo);
	PGresult *res;
	int rc = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: pg_exec: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_EMPTY_QUERY)
		rc = 0;
	else
		fprintf(stderr, "harness: pg_exec: %s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	return rc;
}

char *pg_query_value(const char *conninfo, const char *sql)
{
	PGconn *c = connect_quiet(conninfo);
	PGresult *res;
	char *value = NULL;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: pg_query_value: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
			value = strdup(PQgetvalue(res, 0, 0));
	} else {
		fprintf(stderr, "harness: pg_query_value: %s", PQerrorMessage(c));
	}
	PQclear(res);
	PQfinish(c);
	return value;
}
