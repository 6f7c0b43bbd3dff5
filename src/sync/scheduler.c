/* See scheduler.h. */
#include "sync/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "worker.h"

/* Longest wait between two looks at the directories' state. */
#define CHECK_MAX_S 5

/* A manual run: shared by its thread, the scheduler's list and the request
 * waiting for it (refs). */
struct manual {
	struct manual *next; /* the scheduler's list */
	struct sync_scheduler *s;
	pthread_t thread;
	char *directory;
	struct sync_run_options opt;
	/* Guarded by s->mlock: */
	unsigned refs;
	bool done;
	long long run_id;           /* once recorded */
	int rc;                     /* sync_run's, once done */
	struct sync_run_result res; /* once done, until a waiter takes it */
	char err[512];
};

struct sync_scheduler {
	struct sync_scheduler_env env;
	struct sync_reader ldap_reader; /* env.reader points here when it was NULL */
	struct sync_ldap_source ldap_src; /* ldap_reader's: stops with worker.cancel */
	struct worker worker; /* cancel also stops a run in progress (manual ones too) */
	unsigned db_failures;
	pthread_mutex_t mlock;
	pthread_cond_t mchanged; /* CLOCK_MONOTONIC: a manual run recorded or ended */
	struct manual *manual;   /* guarded by mlock: threads not joined yet */
	bool stopping;           /* guarded by mlock */
	unsigned waiters;        /* guarded by mlock: callers in sync_scheduler_run_now */
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
	pthread_condattr_t attr;
	int err;

	if (s == NULL) {
		log_error("sync: scheduler: out of memory");
		return NULL;
	}
	s->env = *env;
	if (s->env.reader == NULL) {
		s->ldap_src = (struct sync_ldap_source){ .tls = s->env.ldap_tls,
							 .stop = &s->worker.cancel };
		s->ldap_reader = sync_ldap_reader_stoppable(&s->ldap_src);
		s->env.reader = &s->ldap_reader;
	}
	pthread_mutex_init(&s->mlock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->mchanged, &attr);
	pthread_condattr_destroy(&attr);
	err = worker_start(&s->worker, run, s);
	if (err != 0) {
		log_error("sync: cannot start the scheduler thread: %s", strerror(err));
		pthread_cond_destroy(&s->mchanged);
		pthread_mutex_destroy(&s->mlock);
		free(s);
		return NULL;
	}
	return s;
}

/* ---- manual runs ---- */

/* Drop a reference to m; s->mlock held. */
static void manual_unref(struct manual *m)
{
	if (--m->refs > 0)
		return;
	sync_run_result_clear(&m->res);
	free(m->directory);
	free(m);
}

/* Join the manual runs that ended; s->mlock held (their threads no longer
 * need it once done is set). */
static void manual_reap(struct sync_scheduler *s)
{
	for (struct manual **p = &s->manual; *p != NULL;) {
		struct manual *m = *p;

		if (!m->done) {
			p = &m->next;
			continue;
		}
		*p = m->next;
		pthread_join(m->thread, NULL);
		manual_unref(m);
	}
}

static void manual_recorded(void *arg, long long run_id)
{
	struct manual *m = arg;

	pthread_mutex_lock(&m->s->mlock);
	m->run_id = run_id;
	pthread_cond_broadcast(&m->s->mchanged);
	pthread_mutex_unlock(&m->s->mlock);
}

static void *manual_main(void *arg)
{
	struct manual *m = arg;
	struct sync_scheduler *s = m->s;
	void *token = NULL;
	const struct config *cfg = s->env.config_hold(s->env.arg, &token);
	struct db_conn *conn = db_acquire(s->env.db);
	struct sync_run_result res = { 0 };
	char err[512] = "";
	int rc = -1;

	if (conn == NULL)
		snprintf(err, sizeof(err), "no database connection");
	else
		rc = sync_run(conn, cfg, s->env.reader, &m->opt, &res, err, sizeof(err));
	db_release(conn);
	s->env.config_release(s->env.arg, token);
	if (rc != 0)
		log_warnx("sync: directory %s: %s", m->directory, err);
	pthread_mutex_lock(&s->mlock);
	m->rc = rc;
	m->res = res;
	snprintf(m->err, sizeof(m->err), "%s", err);
	m->done = true;
	pthread_cond_broadcast(&s->mchanged);
	pthread_mutex_unlock(&s->mlock);
	return NULL;
}

/* A new manual run of directory, started, in s's list with a reference for
 * the caller; s->mlock held. NULL with out->error filled. */
static struct manual *manual_start(struct sync_scheduler *s, const char *directory,
				   enum sync_kind kind, bool force, const char *trigger,
				   struct sync_manual_outcome *out)
{
	struct manual *m = calloc(1, sizeof(*m));
	int err;

	if (m == NULL || (m->directory = strdup(directory)) == NULL) {
		free(m);
		snprintf(out->error, sizeof(out->error), "out of memory");
		return NULL;
	}
	m->s = s;
	m->refs = 2; /* the list's and the caller's */
	m->opt = (struct sync_run_options){ .directory = m->directory, .kind = kind, .force = force,
					    .trigger = trigger, .cancel = &s->worker.cancel,
					    .metrics = s->env.metrics, .on_recorded = manual_recorded,
					    .on_recorded_arg = m };
	err = pthread_create(&m->thread, NULL, manual_main, m);
	if (err != 0) {
		snprintf(out->error, sizeof(out->error), "cannot start a sync thread: %s",
			 strerror(err));
		free(m->directory);
		free(m);
		return NULL;
	}
	m->next = s->manual;
	s->manual = m;
	return m;
}

void sync_scheduler_run_now(struct sync_scheduler *s, const char *directory, enum sync_kind kind,
			    bool force, const char *trigger, int64_t wait_ms,
			    struct sync_manual_outcome *out)
{
	struct timespec deadline = clock_deadline_ms(wait_ms);
	struct manual *m;
	bool waited_enough = wait_ms <= 0;

	memset(out, 0, sizeof(*out));
	out->state = SYNC_MANUAL_ERROR;
	pthread_mutex_lock(&s->mlock);
	manual_reap(s);
	if (s->stopping) {
		snprintf(out->error, sizeof(out->error), "the daemon is stopping");
		goto unlock;
	}
	for (m = s->manual; m != NULL; m = m->next)
		if (strcmp(m->directory, directory) == 0) {
			out->state = SYNC_MANUAL_BUSY;
			goto unlock;
		}
	m = manual_start(s, directory, kind, force, trigger, out);
	if (m == NULL)
		goto unlock;
	s->waiters++;
	/* Until it ends, or the wait is over and the run has its id. */
	while (!m->done && !(waited_enough && m->run_id > 0)) {
		if (waited_enough)
			pthread_cond_wait(&s->mchanged, &s->mlock);
		else if (pthread_cond_timedwait(&s->mchanged, &s->mlock, &deadline) == ETIMEDOUT)
			waited_enough = true;
	}
	if (!m->done) {
		out->state = SYNC_MANUAL_RUNNING;
		out->run_id = m->run_id;
	} else if (m->rc != 0) {
		snprintf(out->error, sizeof(out->error), "%s", m->err);
	} else if (strcmp(m->res.status, "skipped") == 0) {
		out->state = SYNC_MANUAL_BUSY;
	} else {
		out->state = SYNC_MANUAL_FINISHED;
		out->run_id = m->res.run_id;
		out->result = m->res;
		memset(&m->res, 0, sizeof(m->res));
	}
	s->waiters--;
	pthread_cond_broadcast(&s->mchanged); /* a stop may wait for the waiters */
	manual_unref(m);
unlock:
	pthread_mutex_unlock(&s->mlock);
}

void sync_scheduler_cancel(struct sync_scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mlock);
	s->stopping = true; /* no new manual runs */
	pthread_mutex_unlock(&s->mlock);
	/* Sets cancel: the runs (manual ones too) stop between their steps,
	 * and the LDAP reader's waits end within LDAPC_STOP_POLL_MS. */
	worker_cancel(&s->worker);
}

const atomic_bool *sync_scheduler_stop_flag(struct sync_scheduler *s)
{
	return s != NULL ? &s->worker.cancel : NULL;
}

void sync_scheduler_stop(struct sync_scheduler *s)
{
	if (s == NULL)
		return;
	sync_scheduler_cancel(s);
	worker_stop(&s->worker);
	pthread_mutex_lock(&s->mlock);
	while (s->manual != NULL) {
		struct manual *m = s->manual;

		s->manual = m->next;
		pthread_mutex_unlock(&s->mlock);
		pthread_join(m->thread, NULL);
		pthread_mutex_lock(&s->mlock);
		manual_unref(m);
	}
	while (s->waiters > 0)
		pthread_cond_wait(&s->mchanged, &s->mlock);
	pthread_mutex_unlock(&s->mlock);
	pthread_cond_destroy(&s->mchanged);
	pthread_mutex_destroy(&s->mlock);
	free(s);
}
