#include "store/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock serialising every migration run against one database:
 * the ASCII bytes "orgbridg" read as a big-endian 64-bit integer
 * (0x6f72676272696467). Any other tool taking advisory locks on the same
 * database must avoid this key. */
#define MIGRATE_LOCK_KEY "8030604370357957735"

/* Versions are small positive numbers; more digits than this is a typo. */
#define MIGRATE_MAX_DIGITS 9

struct migration {
	int version;
	char *name; /* the part between "NNN_" and ".sql" */
	char *path;
};

struct migration_set {
	struct migration *items;
	size_t n;
	size_t cap;
};

static void set_free(struct migration_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].name);
		free(s->items[i].path);
	}
	free(s->items);
	s->items = NULL;
	s->n = s->cap = 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* NNN_name.sql: 3+ digits, '_', then [a-z0-9_]+. Returns 0 and fills
 * *version and the name span, -1 if fname does not have that shape. */
static int parse_name(const char *fname, int *version, const char **name, size_t *name_len)
{
	const char *p = fname;
	size_t digits = 0, len = strlen(fname);
	long v = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		p++;
		if (++digits > MIGRATE_MAX_DIGITS)
			return -1;
	}
	if (digits < 3 || *p != '_' || v < 1)
		return -1;
	p++;
	*name = p;
	*name_len = (size_t)(fname + len - 4 - p); /* minus ".sql" */
	if (*name_len == 0)
		return -1;
	for (size_t i = 0; i < *name_len; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	*version = (int)v;
	return 0;
}

static int cmp_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

/* Every migration file of dir, sorted by version. Files not ending in .sql
 * are ignored (README, local.mk); a .sql file with any other name, or two
 * files with one number, make the whole directory invalid. */
static int scan_dir(const char *dir, struct migration_set *out)
{
	DIR *d = NULL;
	struct dirent *e;
	struct migration *m;

	*out = (struct migration_set){ 0 };
	d = opendir(dir);
	if (d == NULL) {
		log_warn("migrate: cannot read %s", dir);
		goto fail;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		const char *name;
		size_t name_len;
		int version;

		if (!has_suffix(e->d_name, ".sql"))
			continue;
		if (parse_name(e->d_name, &version, &name, &name_len) != 0) {
			log_warnx("migrate: %s/%s: badly named migration (expected NNN_name.sql: "
				  "3 or more digits, '_', then [a-z0-9_])", dir, e->d_name);
			goto fail;
		}
		if (out->n == out->cap) {
			size_t cap = out->cap != 0 ? out->cap * 2 : 16;
			struct migration *grown = realloc(out->items, cap * sizeof(*grown));
			if (grown == NULL) {
				log_warnx("migrate: out of memory scanning %s", dir);
				goto fail;
			}
			out->items = grown;
			out->cap = cap;
		}
		m = &out->items[out->n];
		*m = (struct migration){ .version = version };
		m->name = strndup(name, name_len);
		if (m->name == NULL || asprintf(&m->path, "%s/%s", dir, e->d_name) < 0) {
			free(m->name);
			log_warnx("migrate: out of memory scanning %s", dir);
			goto fail;
		}
		out->n++;
	}
	if (errno != 0) {
		log_warn("migrate: reading %s", dir);
		goto fail;
	}
	closedir(d);
	d = NULL;

	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_version);
	for (size_t i = 1; i < out->n; i++) {
		if (out->items[i].version == out->items[i - 1].version) {
			log_warnx("migrate: %s and %s have the same number %d", out->items[i - 1].path,
				  out->items[i].path, out->items[i].version);
			goto fail;
		}
	}
	return 0;

fail:
	if (d != NULL)
		closedir(d);
	set_free(out);
	return -1;
}

int migrate_latest_available(const char *dir)
{
	struct migration_set s;
	int latest;

	if (scan_dir(dir, &s) != 0)
		return -1;
	latest = s.n > 0 ? s.items[s.n - 1].version : 0;
	set_free(&s);
	return latest;
}

static int query_int(struct db_conn *conn, const char *sql, int *out)
{
	PGresult *res = db_exec(conn, sql, 0, NULL);
	int rc = -1;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && PQnfields(res) == 1 && !PQgetisnull(res, 0, 0)) {
		*out = atoi(PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int migrate_current_version(struct db_conn *conn)
{
	int exists = 0, version = 0;

	if (query_int(conn, "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int",
		      &exists) != 0)
		return -1;
	if (!exists)
		return 0;
	if (query_int(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations",
		      &version) != 0)
		return -1;
	return version;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		log_warn("migrate: cannot open %s", path);
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536);
			if (grown == NULL) {
				log_warnx("migrate: out of memory reading %s", path);
				goto fail;
			}
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		log_warn("migrate: reading %s", path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		log_warnx("migrate: %s contains a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;

fail:
	fclose(f);
	free(buf);
	return NULL;
}

static bool is_applied(const PGresult *applied, int version)
{
	for (int i = 0; i < PQntuples(applied); i++) {
		if (atoi(PQgetvalue(applied, i, 0)) == version)
			return true;
	}
	return false;
}

/* One file and its schema_migrations row in one transaction. */
static int apply_one(struct db_conn *conn, const struct migration *m)
{
	char *sql = NULL, version[16];
	const char *params[2];
	PGresult *res = NULL;

	sql = read_file(m->path);
	if (sql == NULL)
		return -1;
	if (db_begin(conn) != 0)
		goto fail;
	/* PQexec (simple query protocol) runs the file's several statements in
	 * one go. This is the one place SQL text is not a constant: the files
	 * are trusted SQL shipped with the daemon, never user input. */
	res = PQexec(db_pgconn(conn), sql);
	if (res == NULL || PQresultStatus(res) == PGRES_FATAL_ERROR ||
	    PQresultStatus(res) == PGRES_BAD_RESPONSE || PQresultStatus(res) == PGRES_NONFATAL_ERROR) {
		const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		char msg[512];
		size_t n;
		snprintf(msg, sizeof(msg), "%s",
			 res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(db_pgconn(conn)));
		n = strlen(msg);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		log_warnx("migrate: %s failed (SQLSTATE %s): %s", m->path,
			  state != NULL ? state : "none", msg);
		goto fail;
	}
	/* A file that commits on its own would escape the all-or-nothing rule. */
	if (PQtransactionStatus(db_pgconn(conn)) != PQTRANS_INTRANS) {
		log_warnx("migrate: %s must not contain transaction control (BEGIN/COMMIT/ROLLBACK)",
			  m->path);
		goto fail;
	}
	PQclear(res);
	res = NULL;

	snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	if (db_command(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
		       2, params) != 0)
		goto fail;
	if (db_commit(conn) != 0)
		goto fail;
	log_info("migrate: applied %s", m->path);
	free(sql);
	return 0;

fail:
	PQclear(res);
	db_rollback(conn);
	free(sql);
	return -1;
}

int migrate_apply(struct db_conn *conn, const char *dir, int *applied)
{
	const char *lock_param[1] = { MIGRATE_LOCK_KEY };
	struct migration_set set;
	PGresult *recorded = NULL;
	bool locked = false;
	int count = 0, rc = -1;

	if (applied != NULL)
		*applied = 0;
	if (scan_dir(dir, &set) != 0)
		return -1;

	/* A session lock, taken before and released after the whole run: every
	 * file commits separately, so a transaction-scoped lock would not
	 * cover the run. Waits for a concurrent run to finish. */
	if (db_command(conn, "SELECT pg_advisory_lock($1::bigint)", 1, lock_param) != 0)
		goto done;
	locked = true;
	if (db_command(conn,
		       "CREATE TABLE IF NOT EXISTS schema_migrations ("
		       " version integer PRIMARY KEY,"
		       " name text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now())",
		       0, NULL) != 0)
		goto done;
	/* Read after taking the lock, so a run that just finished is seen. */
	recorded = db_exec(conn, "SELECT version FROM schema_migrations ORDER BY version", 0, NULL);
	if (recorded == NULL)
		goto done;

	for (size_t i = 0; i < set.n; i++) {
		if (is_applied(recorded, set.items[i].version))
			continue;
		if (apply_one(conn, &set.items[i]) != 0)
			goto done;
		count++;
	}
	if (count == 0)
		log_debug("migrate: schema is up to date");
	rc = 0;

done:
	PQclear(recorded);
	if (locked) {
		db_rollback(conn);
		/* The connection goes back to a pool: never leave the lock on it.
		 * If the connection is gone, the server already released it. */
		if (db_command(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, lock_param) != 0) {
			log_warnx("migrate: could not release the advisory lock");
			rc = -1;
		}
	}
	set_free(&set);
	if (applied != NULL)
		*applied = count;
	return rc;
}
