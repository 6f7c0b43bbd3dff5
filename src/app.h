/* The server context: the one place that holds the daemon's mutable state
 * (current configuration, database pool, HTTP server). Handlers reach it
 * through http_app(); nothing else is global except the log settings. */
#ifndef OB_APP_H
#define OB_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "config.h"
#include "http/server.h"
#include "scim/fold.h"
#include "store/db.h"

struct mail_sender;
struct metrics;
struct metrics_series;
struct sync_scheduler;

/* A configuration generation. Requests hold one for their whole duration so a
 * SIGHUP reload never changes settings under a running request. */
struct app_config {
	struct config *cfg; /* read-only once installed */
	unsigned refs;  /* guarded by app.lock */
	bool current;   /* false once replaced; freed when refs drops to 0 */
};

struct app {
	pthread_mutex_t lock;
	struct app_config *config;
	struct db_pool *db;
	struct http_server *http;
	struct mail_sender *mail; /* the outbox sender thread (mail/sender.h) */
	struct metrics *metrics;  /* counters and histograms for GET /metrics (metrics.h) */
	struct sync_scheduler *sync; /* the LDAP sync thread (sync/scheduler.h) */
	struct scim_token_cache *scim_tokens; /* verified SCIM tokens (scim/token_cache.h) */
	/* SCIM User lookups answered together under load (store/batch.h,
	 * user_store_lookup_ops): GET by id and the IdPs' eq filters. */
	struct batcher *scim_user_reads;
	/* SCIM User PATCHes written together under load (user_store_write_ops). */
	struct batcher *scim_user_writes;
	/* SCIM User POSTs written together under load (user_store_create_ops),
	 * and the POSTs that ran alone instead (counted by the endpoint). */
	struct batcher *scim_user_creates;
	struct metrics_series *scim_user_creates_alone;
	struct ldap_tls_cache *ldap_tls; /* directories' TLS contexts (ldap/tls.h) */
	atomic_int schema_latest; /* highest migration shipped in schema_dir */
	/* How the database's lower() folds, asked on first need (scim_call_fold):
	 * APP_FOLD_UNKNOWN, _ASCII or _UNICODE. */
	atomic_int db_fold;
	struct scim_fold unicode_fold; /* made at start; ASCII if C.UTF-8 is missing */
};

enum { APP_FOLD_UNKNOWN, APP_FOLD_ASCII, APP_FOLD_UNICODE };

/* Take ownership of cfg and open the database pool (lazily connecting).
 * -1 on failure (logged); app_destroy is still safe then. */
int app_init(struct app *app, struct config *cfg) OB_MUST_USE;
void app_destroy(struct app *app);

/* Pin the current configuration; release it when done. */
struct app_config *app_config_hold(struct app *app);
void app_config_release(struct app *app, struct app_config *held);

/* Install cfg (owned) as the current configuration: applies the reloadable
 * settings and logs every changed key that needs a restart. */
void app_config_swap(struct app *app, struct config *cfg);

#endif
