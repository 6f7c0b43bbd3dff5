#include "app.h"

#include <stdlib.h>

#include "api/api.h"
#include "metrics.h"
#include "ldap/tls.h"
#include "scim/token_cache.h"
#include "scim/user_store.h"
#include "store/batch.h"
#include "store/migrate.h"

static struct app_config *app_config_new(struct config *cfg)
{
	struct app_config *ac = calloc(1, sizeof(*ac));
	if (ac == NULL)
		return NULL;
	ac->cfg = cfg;
	ac->current = true;
	return ac;
}

static void app_config_free(struct app_config *ac)
{
	if (ac == NULL)
		return;
	config_free(ac->cfg);
	free(ac);
}

/* A batcher over ops on app's pool, led by a quarter of the pool (at least
 * one), counting its items and rounds in the two named counters. */
static struct batcher *scim_batcher(struct app *app, const struct config *cfg,
				    const struct batch_ops *ops, size_t max, const char *items,
				    const char *items_help, const char *rounds,
				    const char *rounds_help)
{
	struct batch_counters counted = {
		metrics_series_add(app->metrics, METRICS_COUNTER, items, items_help, NULL),
		metrics_series_add(app->metrics, METRICS_COUNTER, rounds, rounds_help, NULL),
	};

	return batcher_new(ops, app->db, cfg->db_pool_size / 4 > 0 ? cfg->db_pool_size / 4 : 1,
			   max, counted);
}

int app_init(struct app *app, struct config *cfg)
{
	struct db_pool_options dbo;

	*app = (struct app){ 0 };
	pthread_mutex_init(&app->lock, NULL);
	app->config = app_config_new(cfg);
	if (app->config == NULL) {
		config_free(cfg);
		return -1;
	}
	dbo = (struct db_pool_options){
		.conninfo = cfg->db_conninfo,
		.password = cfg->db_password,
		.size = cfg->db_pool_size,
		.connect_timeout_s = cfg->db_connect_timeout_s,
		.acquire_timeout_ms = cfg->db_acquire_timeout_ms,
		.application_name = "orgbridged",
	};
	app->db = db_pool_new(&dbo);
	if (app->db == NULL)
		return -1;
	app->metrics = metrics_new(api_routes, api_routes_count);
	if (app->metrics == NULL)
		return -1;
	app->scim_tokens = scim_token_cache_new();
	if (app->scim_tokens == NULL)
		return -1;
	/* A quarter of the pool leads each batcher (at least one): for lookups
	 * at 32 clients on the default 8 that made batches of about five, a
	 * third of the database's work per GET, where 8 leaders made batches
	 * of 1.6 (docs/BENCH.md). The rest of the pool stays free. User
	 * PATCHes and PUTs, and POSTs, are written together the same way
	 * (docs/DECISIONS.md, "SCIM User PATCHes and PUTs written together",
	 * "SCIM User POSTs written together"). */
	app->scim_user_reads = scim_batcher(
		app, cfg, &user_store_lookup_ops, USER_STORE_LOOKUP_BATCH,
		"orgbridge_scim_user_lookups_total",
		"SCIM User lookups (GET by id, eq filters) answered together",
		"orgbridge_scim_user_lookup_rounds_total",
		"Rounds that answered them (lookups / rounds: the mean batch)");
	app->scim_user_writes = scim_batcher(
		app, cfg, &user_store_write_ops, USER_STORE_WRITE_BATCH,
		"orgbridge_scim_user_writes_together_total",
		"SCIM User PATCHes and PUTs taken by a batch transaction",
		"orgbridge_scim_user_write_rounds_total",
		"Batch transactions that took them (writes / rounds: the mean batch)");
	app->scim_user_creates = scim_batcher(
		app, cfg, &user_store_create_ops, USER_STORE_CREATE_BATCH,
		"orgbridge_scim_user_creates_together_total",
		"SCIM User POSTs taken by a batch transaction",
		"orgbridge_scim_user_create_rounds_total",
		"Batch transactions that took them (POSTs / rounds: the mean batch)");
	if (app->scim_user_reads == NULL || app->scim_user_writes == NULL ||
	    app->scim_user_creates == NULL)
		return -1;
	app->scim_user_creates_alone = metrics_series_add(
		app->metrics, METRICS_COUNTER, "orgbridge_scim_user_creates_alone_total",
		"SCIM User POSTs that ran alone (a match, a clash, a failed batch, roles_attribute)",
		NULL);
	app->ldap_tls = ldap_tls_cache_new();
	if (app->ldap_tls == NULL)
		return -1;
	int latest = migrate_latest_available(cfg->schema_dir);
	if (latest < 0)
		return -1;
	atomic_store(&app->schema_latest, latest);
	if (scim_fold_init_unicode(&app->unicode_fold) != 0)
		log_warnx("locale C.UTF-8 is missing: SCIM values compare with ASCII case folding "
			  "in memory even where the database folds Unicode");
	return 0;
}

void app_destroy(struct app *app)
{
	db_pool_free(app->db);
	app->db = NULL;
	metrics_free(app->metrics);
	app->metrics = NULL;
	scim_token_cache_free(app->scim_tokens);
	app->scim_tokens = NULL;
	batcher_free(app->scim_user_reads);
	app->scim_user_reads = NULL;
	batcher_free(app->scim_user_writes);
	app->scim_user_writes = NULL;
	batcher_free(app->scim_user_creates);
	app->scim_user_creates = NULL;
	ldap_tls_cache_free(app->ldap_tls);
	app->ldap_tls = NULL;
	scim_fold_clear(&app->unicode_fold);
	app_config_free(app->config);
	app->config = NULL;
	pthread_mutex_destroy(&app->lock);
}

struct app_config *app_config_hold(struct app *app)
{
	struct app_config *ac;

	pthread_mutex_lock(&app->lock);
	ac = app->config;
	ac->refs++;
	pthread_mutex_unlock(&app->lock);
	return ac;
}

void app_config_release(struct app *app, struct app_config *held)
{
	bool drop;

	if (held == NULL)
		return;
	pthread_mutex_lock(&app->lock);
	held->refs--;
	drop = held->refs == 0 && !held->current;
	pthread_mutex_unlock(&app->lock);
	if (drop)
		app_config_free(held);
}

static void log_restart_key(const char *section, const char *key, void *arg)
{
	log_warnx("config: [%s] %s changed; the new value takes effect after a restart", section,
		  key);
}

void app_config_swap(struct app *app, struct config *cfg)
{
	struct app_config *fresh = app_config_new(cfg), *old;
	bool drop;

	if (fresh == NULL) {
		log_warnx("config: out of memory, keeping the running configuration");
		config_free(cfg);
		return;
	}
	config_restart_keys(app->config->cfg, cfg, log_restart_key, NULL);
	log_configure(cfg->log_level, cfg->log_format);
	if (app->http != NULL)
		http_server_set_max_body(app->http, cfg->max_body_bytes);
	int latest = migrate_latest_available(cfg->schema_dir);

	pthread_mutex_lock(&app->lock);
	old = app->config;
	old->current = false;
	drop = old->refs == 0;
	app->config = fresh;
	if (latest >= 0)
		atomic_store(&app->schema_latest, latest);
	pthread_mutex_unlock(&app->lock);
	if (drop)
		app_config_free(old);
}
