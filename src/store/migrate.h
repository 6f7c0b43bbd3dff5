/* Schema migrations: schemas/NNN_name.sql applied in NNN order, each inside its
 * own transaction, under a PostgreSQL advisory lock so concurrent daemons and
 * orgbridgectl never apply the same file twice. Applied versions are recorded
 * in the schema_migrations table (created on first use). */
#ifndef OB_STORE_MIGRATE_H
#define OB_STORE_MIGRATE_H

#include "store/db.h"

/* Highest NNN present in dir, 0 if there is none; -1 if the directory cannot
 * be read or holds a badly named .sql file (logged). */
int migrate_latest_available(const char *dir) OB_MUST_USE;

/* Highest applied version (0 when schema_migrations is absent); -1 on error. */
int migrate_current_version(struct db_conn *conn) OB_MUST_USE;

/* Apply every pending migration of dir in order. *applied (may be NULL) gets
 * how many were applied. A failing file is rolled back entirely, later files
 * are not tried, and -1 is returned with the reason logged; 0 on success. */
int migrate_apply(struct db_conn *conn, const char *dir, int *applied) OB_MUST_USE;

#endif
