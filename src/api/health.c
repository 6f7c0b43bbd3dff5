#include <stdio.h>

#include "api/api.h"
#include "app.h"
#include "store/migrate.h"

/* Liveness: the process is up and serving HTTP. Deliberately touches nothing
 * else, so a database outage does not get the daemon restarted. */
void api_healthz(struct http_request *req)
{
	http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

static void not_ready(struct http_request *req, const char *reason)
{
	http_respond_json(req, 503, json_pack("{s:s, s:s}", "status", "unavailable", "reason", reason),
			  NULL);
}

/* Readiness: the database answers and its schema is the one this build
 * expects, so a load balancer only sends traffic to daemons that can serve it. */
void api_readyz(struct http_request *req)
{
	struct app *app = http_app(req);
	struct db_conn *conn = db_acquire(app->db);
	int latest = atomic_load(&app->schema_latest);
	int current;
	char reason[160];

	if (conn == NULL) {
		not_ready(req, "database unreachable");
		return;
	}
	current = migrate_current_version(conn);
	db_release(conn);
	if (current < 0) {
		not_ready(req, "database unreachable");
		return;
	}
	if (current != latest) {
		/* Behind: migrate. Ahead: a newer orgbridged migrated it during an
		 * upgrade, and migrating again from here would change nothing. */
		snprintf(reason, sizeof(reason),
			 current < latest ? "database schema is at version %d, this build expects %d "
					    "(run orgbridged --migrate)"
					  : "database schema is at version %d, this build expects %d "
					    "(a newer orgbridged migrated it: upgrade this one)",
			 current, latest);
		not_ready(req, reason);
		return;
	}
	http_respond_json(req, 200, json_pack("{s:s, s:i}", "status", "ready", "schema_version", current),
			  NULL);
}
