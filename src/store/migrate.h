/* Schema migrations: schemas/NNN_name.sql applied in NNN order, each inside its
 * own transaction, under a PostgreSQL advisory lock (session lock; the key is
 * documented in migrate.c) so concurrent daemons and orgbridgectl never apply
 * the same file twice. Applied versions are recorded in the table
 * schema_migrations(version integer primary key, name text -- the "name" part
 * of the file name --, applied_at timestamptz), created on first use.
 *
 * File names: 3 or more digits (a version >= 1), '_', then [a-z0-9_]+, then
 * ".sql". Other files are ignored, but any other name ending in .sql, or two
 * files with one version, make the whole directory invalid. A file must not
 * contain transaction control (BEGIN/COMMIT/ROLLBACK): the runner wraps it. */
#ifndef OB_STORE_MIGRATE_H
#define OB_STORE_MIGRATE_H

#include "store/db.h"

/* Highest NNN present in dir, 0 if there is none; -1 if the directory cannot
 * be read or is invalid (badly named .sql file, duplicate version; logged). */
int migrate_latest_available(const char *dir) OB_MUST_USE;

/* Highest applied version (0 when schema_migrations is absent); -1 on error. */
int migrate_current_version(struct db_conn *conn) OB_MUST_USE;

/* Apply every pending (not yet recorded) migration of dir in order. *applied
 * (may be NULL) gets how many were applied. A failing file is rolled back
 * entirely, later files are not tried, and -1 is returned with the reason
 * (and SQLSTATE) logged; 0 on success. An invalid directory applies nothing.
 * The connection is returned idle, without the lock. */
int migrate_apply(struct db_conn *conn, const char *dir, int *applied) OB_MUST_USE;

#endif
