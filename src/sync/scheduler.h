/* The LDAP sync scheduler: one background thread per daemon that runs each
 * configured directory (with interval > 0) when it is due. Due is decided
 * from the database, not from this daemon's memory: the directory's last
 * run (any daemon's, ldap_sync_state.last_run_at) is at least `interval`
 * seconds old. So N daemons sharing a database still sync a directory about
 * once per interval, and the advisory lock (sync/run.h) keeps two of them
 * from running it at once. Each run is full or incremental as sync_run
 * decides (full_run_every). A directory whose last run stopped at the
 * deletion threshold is not run again by the scheduler: an admin reviews it
 * and re-runs it with force (API or CLI).
 *
 * The thread reads the current configuration generation on every check, so
 * a SIGHUP reload adds, removes or retimes directories for the next check.
 *
 * Manual runs (POST /directories/{name}/sync) are handed to the scheduler
 * too, each on a thread of its own (so a long scheduled run of one directory
 * never delays a manual run of another) with its own database connection
 * from env.db and the configuration generation current when it starts:
 * the HTTP request only waits a while for it, and a run outlives a request
 * that stopped waiting. At most one manual run per directory per daemon;
 * across daemons (and against the scheduled runs) the advisory lock decides
 * (sync/run.h). */
#ifndef OB_SYNC_SCHEDULER_H
#define OB_SYNC_SCHEDULER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "store/db.h"
#include "sync/run.h"

struct sync_scheduler;

/* What the scheduler runs with. The configuration is pinned for one check
 * of every directory and released after, so a reload never changes it under
 * a run (the daemon passes app_config_hold/app_config_release). */
struct sync_scheduler_env {
	struct db_pool *db;
	const struct config *(*config_hold)(void *arg, void **token);
	void (*config_release)(void *arg, void *token);
	void *arg;
	/* NULL: sync_ldap_reader_stoppable, with ldap_tls and the cancel flag */
	const struct sync_reader *reader;
	struct ldap_tls_cache *ldap_tls;  /* may be NULL */
	struct metrics *metrics;          /* may be NULL */
};

/* Start the thread (env is copied). NULL on failure (logged). What env
 * points at must outlive the scheduler. */
struct sync_scheduler *sync_scheduler_start(const struct sync_scheduler_env *env) OB_MUST_USE;

/* Begin stopping without waiting: no new manual runs, and the runs in
 * progress (scheduled and manual) stop between their steps or, when the
 * scheduler reads with its own LDAP reader (env.reader NULL), while blocked
 * on the directory (a wait ends within LDAPC_STOP_POLL_MS, a connect within
 * network_timeout). A run stopped before its apply records failed with
 * SYNC_STOPPED_TEXT and nothing applied; one stopped between organizations
 * keeps those it committed. The watermark does not move. The daemon calls it
 * as its shutdown begins, so runs end while requests drain. NULL is fine. */
void sync_scheduler_cancel(struct sync_scheduler *s);

/* The flag sync_scheduler_cancel sets, for work done outside the
 * scheduler that must stop with it (a dry run in a request); NULL for NULL. */
const atomic_bool *sync_scheduler_stop_flag(struct sync_scheduler *s);

/* Stop promptly: sync_scheduler_cancel, join every thread, wait for the
 * callers of sync_scheduler_run_now to return. NULL is fine. */
void sync_scheduler_stop(struct sync_scheduler *s);

enum sync_manual_state {
	SYNC_MANUAL_FINISHED, /* the run ended within the wait: result holds it */
	SYNC_MANUAL_RUNNING,  /* it goes on: run_id names it (GET .../runs/{id}) */
	SYNC_MANUAL_BUSY,     /* a run of the directory is in progress (this daemon's
			       * manual run, or the advisory lock is held): nothing ran */
	SYNC_MANUAL_ERROR,    /* it could not start (error), e.g. no database */
};

struct sync_manual_outcome {
	enum sync_manual_state state;
	long long run_id;              /* FINISHED, RUNNING */
	struct sync_run_result result; /* FINISHED; the caller clears it */
	char error[512];               /* ERROR */
};

/* A manual run of directory (kind, force; trigger as in sync_run_options;
 * never a dry run: a preview writes nothing and runs in its caller): start
 * it on its own thread and wait up to wait_ms (0: none) for it to end. Past
 * wait_ms it still waits until the run is recorded (bounded by the
 * database's connect and acquire timeouts), so RUNNING always carries an id.
 * *out is always filled. */
void sync_scheduler_run_now(struct sync_scheduler *s, const char *directory, enum sync_kind kind,
			    bool force, const char *trigger, int64_t wait_ms,
			    struct sync_manual_outcome *out);

#endif
