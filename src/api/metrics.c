/* GET /metrics: Prometheus text exposition. What the daemon counts itself
 * comes from src/metrics.c; the pool, in-flight requests and the mail outbox
 * are sampled here at scrape time.
 *
 * No authentication by default: like most exporters it is meant for a
 * scraper on the same host or network, and the daemon listens on loopback by
 * default. It shows counts and route patterns, never ids, emails or tokens.
 * When the port is public (SCIM must be reachable by the IdPs), [server]
 * metrics_token_file makes it ask for that bearer token, and metrics = false
 * turns it off (404). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app.h"
#include "metrics.h"

/* The outbox by status, from the database: the same numbers on every daemon
 * sharing it. -1 when the database cannot be asked. */
static int render_outbox(struct app *app, FILE *out)
{
	static const char sql[] =
		"SELECT s.status, (SELECT count(*) FROM mail_outbox o WHERE o.status = s.status)"
		" FROM unnest(ARRAY['queued', 'sending', 'sent', 'failed']) AS s(status)";
	struct db_conn *conn = db_acquire(app->db);
	PGresult *res;

	if (conn == NULL)
		return -1;
	res = db_exec(conn, sql, 0, NULL);
	db_release(conn);
	if (res == NULL)
		return -1;
	metrics_write_header(out, "orgbridge_mail_outbox_messages", "gauge",
			     "Messages in the mail outbox by status (the database's view, shared by "
			     "every daemon)");
	for (int i = 0; i < PQntuples(res); i++)
		metrics_write_sample(out, "orgbridge_mail_outbox_messages", "status",
				     PQgetvalue(res, i, 0), strtod(PQgetvalue(res, i, 1), NULL));
	PQclear(res);
	return 0;
}

static void render_sampled(struct app *app, FILE *out)
{
	struct db_pool_usage pool;

	db_pool_usage(app->db, &pool);
	metrics_write_header(out, "orgbridge_db_pool_connections", "gauge",
			     "Database connections of this daemon's pool");
	metrics_write_sample(out, "orgbridge_db_pool_connections", "state", "in_use", pool.in_use);
	metrics_write_sample(out, "orgbridge_db_pool_connections", "state", "idle",
			     pool.size - pool.in_use);
	metrics_write_header(out, "orgbridge_db_pool_size", "gauge",
			     "Size of the database pool ([database] pool_size)");
	metrics_write_sample(out, "orgbridge_db_pool_size", NULL, NULL, pool.size);
	metrics_write_header(out, "orgbridge_db_pool_acquire_timeouts_total", "counter",
			     "Requests for a database connection that gave up waiting");
	metrics_write_sample(out, "orgbridge_db_pool_acquire_timeouts_total", NULL, NULL,
			     (double)pool.acquire_timeouts);
	metrics_write_header(out, "orgbridge_http_requests_in_flight", "gauge",
			     "HTTP requests being read, handled or answered (this scrape included)");
	metrics_write_sample(out, "orgbridge_http_requests_in_flight", NULL, NULL,
			     app->http != NULL ? http_server_in_flight(app->http) : 0);
	int db_ok = render_outbox(app, out) == 0;
	metrics_write_header(out, "orgbridge_database_up", "gauge",
			     "1 when this scrape could query the database, else 0");
	metrics_write_sample(out, "orgbridge_database_up", NULL, NULL, db_ok);
}

/* Whether "Authorization: Bearer <token>" carries expected. Both sides are
 * hashed first, so the comparison takes the same time whatever is sent. */
static bool token_matches(const char *expected, const char *authorization)
{
	unsigned char want[crypto_generichash_BYTES], got[crypto_generichash_BYTES];
	const char *given;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	given = authorization + 7;
	while (*given == ' ')
		given++;
	crypto_generichash(want, sizeof(want), (const unsigned char *)expected, strlen(expected),
			   NULL, 0);
	crypto_generichash(got, sizeof(got), (const unsigned char *)given, strlen(given), NULL,
			   0);
	return sodium_memcmp(want, got, sizeof(want)) == 0;
}

void api_metrics(struct http_request *req)
{
	struct app *app = http_app(req);
	struct app_config *held = app_config_hold(app);
	bool enabled = held->cfg->metrics_enabled;
	bool allowed = held->cfg->metrics_token == NULL ||
		       token_matches(held->cfg->metrics_token, http_header(req, "Authorization"));
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	app_config_release(app, held);
	if (!enabled) {
		http_respond_error(req, 404, "not_found", "no such resource: %s", http_path(req));
		return;
	}
	if (!allowed) {
		http_add_header(req, "WWW-Authenticate", "Bearer realm=\"orgbridge-metrics\"");
		http_respond_error(req, 401, "unauthenticated",
				   "GET /metrics needs the bearer token of [server] metrics_token_file");
		return;
	}
	out = open_memstream(&text, &len);
	if (out == NULL) {
		http_respond_error(req, 500, "internal", "out of memory");
		return;
	}
	int rc = metrics_render(app->metrics, out);
	render_sampled(app, out);
	if (fclose(out) != 0 || rc != 0)
		http_respond_error(req, 500, "internal", "cannot render the metrics");
	else
		http_respond_raw(req, 200, METRICS_CONTENT_TYPE, text, len);
	free(text);
}
