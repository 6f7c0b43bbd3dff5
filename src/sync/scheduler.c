/* See scheduler.h. */
#include "sync/scheduler.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker.h"

/* Longest wait between two looks at the directories' state. */
#define CHECK_MAX_S 5

struct sync_scheduler {
	struct sync_scheduler_env env;
	struct worker worker; /* cancel also stops a run in progress */
	unsigned db_failures;
};

/* Due: never run, or the last run (by any daemon) is interval seconds old,
 * and the last run did not stop at the deletion threshold. 1 due, 0 not,
 * -1 database error. */
static int due(struct db_conn *conn, const struct directory_config *dir)
{
	static const char sql[] =
		"SELECT s.last_run_at IS NULL OR (s.last_run_at <= now() - make_interval(secs => $2::bigint)"
		" AND coalesce(r.status, '') <> 'threshold_exceeded')"
		" FROM (SELECT 1) one LEFT JOIN ldap_sync_state s ON s.directory_name = $1"
		" LEFT JOIN ldap_sync_runs r ON r.id = s.last_run_id";
	char interval[24];
	PGresult *res;
	int rc;

	snprintf(interval, sizeof(interval), "%u", dir->interval_s);
	const char *params[] = { dir->name, interval };
	res = db_exec(conn, sql, 2, params);
	if (res == NULL)
		return -1;
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static bool stopping(struct sync_scheduler *s)
{
	return atomic_load(&s->worker.cancel);
}

/* Look at every directory once; run the due ones. Returns the seconds to
 * wait before the next look. */
static unsigned check(struct sync_scheduler *s)
{
	void *token = NULL;
	const struct config *cfg = s->env.config_hold(s->env.arg, &token);
	struct db_conn *conn = NULL;
	unsigned wait = CHECK_MAX_S;

	for (size_t i = 0; i < cfg->n_directories && !stopping(s); i++) {
		const struct directory_config *dir = &cfg->directories[i];
		struct sync_run_options opt = { .directory = dir->name, .trigger = "scheduler",
						.cancel = &s->worker.cancel, .metrics = s->env.metrics };
		struct sync_run_result res;
		char err[512];
		int is_due;

		if (dir->interval_s == 0)
			continue;
		if (dir->interval_s < wait)
			wait = dir->interval_s;
		if (conn == NULL && (conn = db_acquire(s->env.db)) == NULL) {
			if (s->db_failures++ % 30 == 0)
				log_warnx("sync: scheduler: no database connection");
			break;
		}
		is_due = due(conn, dir);
		if (is_due < 0) {
			if (s->db_failures++ % 30 == 0)
				log_warnx("sync: scheduler: %s", db_errmsg(conn));
			break;
		}
		s->db_failures = 0;
		if (!is_due)
			continue;
		if (sync_run(conn, cfg, s->env.reader, &opt, &res, err, sizeof(err)) != 0)
			log_warnx("sync: directory %s: %s", dir->name, err);
		else
			sync_run_result_clear(&res);
	}
	db_release(conn);
	s->env.config_release(s->env.arg, token);
	return wait;
}

static void *run(void *arg)
{
	struct sync_scheduler *s = arg;

	log_info("sync: scheduler started");
	for (;;) {
		unsigned wait_s = check(s);

		if (worker_sleep(&s->worker, (int64_t)wait_s * 1000))
			break;
	}
	log_info("sync: scheduler stopped");
	return NULL;
}

struct sync_scheduler *sync_scheduler_start(const struct sync_scheduler_env *env)
{
	struct sync_scheduler *s = calloc(1, sizeof(*s));
	int err;

	if (s == NULL) {
		log_error("sync: scheduler: out of memory");
		return NULL;
	}
	s->env = *env;
	if (s->env.reader == NULL)
		s->env.reader = sync_default_reader();
	err = worker_start(&s->worker, run, s);
	if (err != 0) {
		log_error("sync: cannot start the scheduler thread: %s", strerror(err));
		free(s);
		return NULL;
	}
	return s;
}

void sync_scheduler_stop(struct sync_scheduler *s)
{
	if (s == NULL)
		return;
	worker_stop(&s->worker);
	free(s);
}
