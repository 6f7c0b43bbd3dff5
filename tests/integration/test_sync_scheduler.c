/* The LDAP sync scheduler (src/sync/scheduler.h) in the test process, with
 * the in-memory directory of sync_fixture.h: it runs a due directory, two
 * schedulers on one database share the interval instead of doubling it, a
 * directory stopped at the deletion threshold waits for an admin, and stop
 * is prompt and cancels a run in progress. Manual runs (the API's): ended
 * within the wait they come back finished; past it, running with an id that
 * is recorded, then they finish on their own; a second one of the directory
 * is refused, as is one whose advisory lock is held elsewhere; stop cancels
 * them like scheduled runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api_util.h"
#include "sync/scheduler.h"
#include "sync_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	return sync_fx_start("sync_scheduler", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return sync_fx_stop();
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A daemon's worth of context around e's directory, in this process. */
struct proc {
	struct config *cfg;
	struct db_pool *db;
	struct sync_scheduler *sched;
};

static const struct config *hold(void *arg, void **token)
{
	*token = NULL;
	return ((struct proc *)arg)->cfg;
}

static void release(void *arg, void *token)
{
	(void)arg;
	(void)token;
}

static void proc_start(struct proc *p, struct sync_env *e, unsigned interval)
{
	struct db_pool_options dbo = { .conninfo = fx_conninfo, .size = 2, .connect_timeout_s = 5,
				       .acquire_timeout_ms = 5000, .application_name = "scheduler" };
	struct directory_config *dir;

	p->cfg = sync_config(NULL, e->name, interval);
	dir = (struct directory_config *)config_directory(p->cfg, e->name);
	dir->delete_max_count = e->dir->delete_max_count;
	dir->delete_max_percent = e->dir->delete_max_percent;
	p->db = db_pool_new(&dbo);
	assert_non_null(p->db);
	struct sync_scheduler_env env = { .db = p->db, .config_hold = hold,
					  .config_release = release, .arg = p, .reader = &e->reader };
	p->sched = sync_scheduler_start(&env);
	assert_non_null(p->sched);
}

static void proc_stop(struct proc *p)
{
	sync_scheduler_stop(p->sched);
	db_pool_free(p->db);
	config_free(p->cfg);
}

static long long runs(const struct sync_env *e, const char *status)
{
	return fx_sql_count("SELECT count(*) FROM ldap_sync_runs WHERE directory_name = '%s'"
			    " AND ('%s' = '' OR status = '%s')",
			    e->name, status, status);
}

/* Wait until pred() or timeout; returns pred(). */
static bool wait_for_runs(const struct sync_env *e, const char *status, long long n, int ms)
{
	for (int waited = 0; runs(e, status) < n && waited < ms; waited += 100)
		sleep_ms(100);
	return runs(e, status) >= n;
}

static void test_runs_a_due_directory(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;

	sync_env_init(&e, "sched");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	proc_start(&p, &e, 1);
	assert_true(wait_for_runs(&e, "success", 1, 10000));
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	/* The interval comes round again. */
	assert_true(wait_for_runs(&e, "success", 2, 10000));
	char *trigger = fx_sql_value("SELECT counts->>'trigger' FROM ldap_sync_runs"
				     " WHERE directory_name = '%s' ORDER BY id LIMIT 1", e.name);
	assert_string_equal(trigger, "scheduler");
	free(trigger);
	proc_stop(&p);
	sync_env_free(&e);
}

/* Two daemons on one database: the due time is the database's, so together
 * they run the directory about once per interval, not twice. */
static void test_two_schedulers_share_the_interval(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc a, b;

	sync_env_init(&e, "shared");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	proc_start(&a, &e, 3);
	proc_start(&b, &e, 3);
	sleep_ms(7500);
	proc_stop(&a);
	proc_stop(&b);
	/* 0 s, 3 s, 6 s: three runs (one more if a check straddles); each
	 * scheduler alone would have made as many. */
	long long n = runs(&e, "");
	if (n < 2 || n > 4)
		fail_msg("%lld runs in 7.5 s at a 3 s interval with two schedulers", n);
	sync_env_free(&e);
}

static void test_threshold_waits_for_an_admin(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;

	sync_env_init(&e, "held");
	e.dir->delete_max_count = 1;
	tdir_user(e.tdir, "a");
	tdir_user(e.tdir, "b");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "a", "b", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	tdir_group_set(e.tdir, g, NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "threshold_exceeded");
	long long before = runs(&e, "");
	proc_start(&p, &e, 1);
	sleep_ms(3500);
	proc_stop(&p);
	assert_int_equal(runs(&e, ""), before);
	assert_string_equal(sync_member(e.org_id, "a@corp.example"), "USER/active/ldap");
	sync_env_free(&e);
}

static void test_stop_is_prompt_and_cancels_the_run(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;

	sync_env_init(&e, "stop");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	e.tdir->read_delay_ms = 1000;
	proc_start(&p, &e, 1);
	for (int waited = 0; atomic_load(&e.tdir->reads) == 0 && waited < 10000; waited += 20)
		sleep_ms(20);
	assert_int_equal(atomic_load(&e.tdir->reads), 1);
	double t0 = now_s();
	proc_stop(&p);
	double took = now_s() - t0;
	if (took > 3.0)
		fail_msg("stopping took %.1f s", took);
	/* The read finished, then the run stopped before applying anything. */
	assert_int_equal(runs(&e, "failed"), 1);
	char *error = fx_sql_value("SELECT error FROM ldap_sync_runs WHERE directory_name = '%s'",
				   e.name);
	assert_non_null(strstr(error, "stopped: daemon shutting down"));
	free(error);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "(none)");
	/* Idle: stopping is immediate. */
	e.tdir->read_delay_ms = 0;
	proc_start(&p, &e, 3600);
	sleep_ms(300);
	t0 = now_s();
	proc_stop(&p);
	assert_true(now_s() - t0 < 1.0);
	sync_env_free(&e);
}


/* ---- manual runs (sync_scheduler_run_now) ---- */

static void manual_env(struct sync_env *e, const char *tag)
{
	sync_env_init(e, tag);
	tdir_user(e->tdir, "ann");
	tdir_user(e->tdir, "bob");
	tdir_group(e->tdir, "eng", "ann", "bob", NULL);
	sync_map(e, e->org_id, "eng", "USER", NULL);
}

static char *run_field(long long id, const char *expr)
{
	return fx_sql_value("SELECT %s FROM ldap_sync_runs WHERE id = %lld", expr, id);
}

static void test_manual_run_ending_within_the_wait_is_finished(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;
	struct sync_manual_outcome out;

	manual_env(&e, "man-fast");
	proc_start(&p, &e, 0); /* interval 0: only manual runs */
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 20000, &out);
	assert_int_equal(out.state, SYNC_MANUAL_FINISHED);
	assert_true(out.run_id > 0);
	assert_int_equal(out.result.run_id, out.run_id);
	assert_string_equal(out.result.status, "success");
	assert_int_equal(jint(out.result.report, "counts.added"), 2);
	assert_string_equal(jstr(out.result.report, "counts.trigger"), "api");
	sync_run_result_clear(&out.result);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	proc_stop(&p);
	sync_env_free(&e);
}

static void test_manual_run_past_the_wait_goes_on_and_finishes(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;
	struct sync_manual_outcome out;
	char *v;

	manual_env(&e, "man-slow");
	e.tdir->read_delay_ms = 1500;
	proc_start(&p, &e, 0);
	double t0 = now_s();
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_FULL, false, "api", 200, &out);
	double took = now_s() - t0;
	assert_int_equal(out.state, SYNC_MANUAL_RUNNING);
	if (took > 1.2)
		fail_msg("the caller waited %.1f s past a 0.2 s wait", took);
	/* The id names the recorded run, still going. */
	assert_true(out.run_id > 0);
	v = run_field(out.run_id, "status || '/' || kind || '/' || directory_name");
	char want[96];
	snprintf(want, sizeof(want), "running/full/%s", e.name);
	assert_string_equal(v, want);
	free(v);
	/* The run ends on its own, with its counts. */
	assert_true(wait_for_runs(&e, "success", 1, 15000));
	v = run_field(out.run_id, "status || '/' || (counts->>'added')");
	assert_string_equal(v, "success/2");
	free(v);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	proc_stop(&p);
	sync_env_free(&e);
}

static void test_second_manual_run_of_a_directory_is_busy(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;
	struct sync_manual_outcome first, second;

	manual_env(&e, "man-busy");
	e.tdir->read_delay_ms = 1500;
	proc_start(&p, &e, 0);
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 0, &first);
	assert_int_equal(first.state, SYNC_MANUAL_RUNNING);
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 0, &second);
	assert_int_equal(second.state, SYNC_MANUAL_BUSY);
	assert_true(wait_for_runs(&e, "success", 1, 15000));
	/* Once it ended, the directory runs again. */
	for (int waited = 0; waited < 5000; waited += 50) {
		sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 20000, &second);
		if (second.state != SYNC_MANUAL_BUSY)
			break;
		sleep_ms(50); /* the first run's thread still between its row and its end */
	}
	assert_int_equal(second.state, SYNC_MANUAL_FINISHED);
	assert_string_equal(second.result.status, "success");
	sync_run_result_clear(&second.result);
	assert_int_equal(runs(&e, ""), 2);
	proc_stop(&p);
	sync_env_free(&e);
}

/* The directory's advisory lock held by another session (another daemon's
 * run): nothing runs, nothing is recorded. */
static void test_manual_run_with_the_lock_held_elsewhere_is_busy(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;
	struct sync_manual_outcome out;
	const char *params[1];

	manual_env(&e, "man-lock");
	proc_start(&p, &e, 0);
	params[0] = e.name;
	PGresult *res = db_exec(sync_fx_conn(),
				"SELECT pg_try_advisory_lock(1868720228, hashtext($1))", 1, params);
	assert_non_null(res);
	assert_string_equal(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 20000, &out);
	assert_int_equal(out.state, SYNC_MANUAL_BUSY);
	assert_int_equal(runs(&e, ""), 0);
	assert_int_equal(db_command(sync_fx_conn(),
				    "SELECT pg_advisory_unlock(1868720228, hashtext($1))", 1, params),
			 0);
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 20000, &out);
	assert_int_equal(out.state, SYNC_MANUAL_FINISHED);
	sync_run_result_clear(&out.result);
	proc_stop(&p);
	sync_env_free(&e);
}

static void test_stop_cancels_a_manual_run(void **state)
{
	(void)state;
	struct sync_env e;
	struct proc p;
	struct sync_manual_outcome out;

	manual_env(&e, "man-stop");
	e.tdir->read_delay_ms = 1000;
	proc_start(&p, &e, 0);
	sync_scheduler_run_now(p.sched, e.name, SYNC_KIND_AUTO, false, "api", 0, &out);
	assert_int_equal(out.state, SYNC_MANUAL_RUNNING);
	double t0 = now_s();
	proc_stop(&p);
	double took = now_s() - t0;
	if (took > 3.0)
		fail_msg("stopping took %.1f s", took);
	char *v = run_field(out.run_id, "status || '/' || error");
	assert_non_null(strstr(v, "failed/stopped: daemon shutting down"));
	free(v);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "(none)");
	sync_env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_a_due_directory),
		cmocka_unit_test(test_two_schedulers_share_the_interval),
		cmocka_unit_test(test_threshold_waits_for_an_admin),
		cmocka_unit_test(test_stop_is_prompt_and_cancels_the_run),
		cmocka_unit_test(test_manual_run_ending_within_the_wait_is_finished),
		cmocka_unit_test(test_manual_run_past_the_wait_goes_on_and_finishes),
		cmocka_unit_test(test_second_manual_run_of_a_directory_is_busy),
		cmocka_unit_test(test_manual_run_with_the_lock_held_elsewhere_is_busy),
		cmocka_unit_test(test_stop_cancels_a_manual_run),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
