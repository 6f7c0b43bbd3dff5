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
 * a SIGHUP reload adds, removes or retimes directories for the next check. */
#ifndef OB_SYNC_SCHEDULER_H
#define OB_SYNC_SCHEDULER_H

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
	const struct sync_reader *reader; /* NULL: sync_default_reader() */
	struct metrics *metrics;          /* may be NULL */
};

/* Start the thread (env is copied). NULL on failure (logged). What env
 * points at must outlive the scheduler. */
struct sync_scheduler *sync_scheduler_start(const struct sync_scheduler_env *env) OB_MUST_USE;

/* Stop promptly: wake the thread, cancel a run in progress between its steps
 * (the organizations already applied stay applied; the run is recorded as
 * failed, the watermark does not move), join. NULL is fine. */
void sync_scheduler_stop(struct sync_scheduler *s);

#endif
