/* Manual LDAP sync runs through the management API against a real slapd and
 * orgbridged ([sync] request_wait = 3 s): a fast run answers 200 with its
 * report; a slow one (slapd paused, so the run waits on its bind) answers
 * 202 with a Location that shows it running, refuses a second run with 409,
 * then shows it finished with its counts once slapd answers; a dry run still
 * answers in the request and writes nothing; SIGTERM while a manual or a
 * scheduled run waits on a stopped slapd exits within a few seconds (not the
 * 60 s operation timeout), the run recorded failed ("stopped: daemon shutting
 * down") with nothing applied, and the next daemon's run succeeds; SIGHUP
 * during such a run reloads without waiting for it; a dry run blocked in its
 * request stops with the daemon too. Each test has its own
 * directory section and group. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api_util.h"
#include "ldap_fixture.h"
#include "orgs_fixture.h"

#define PEOPLE ",ou=people,dc=example,dc=org"
#define GROUPS ",ou=groups,dc=example,dc=org"
#define U(n) "uid=u0000" #n PEOPLE
#define G(cn) "cn=" cn GROUPS

static struct slapd_server ldap;

static const char groups[] =
	"dn: " G("fast") "\nobjectClass: groupOfNames\ncn: fast\nmember: " U(01) "\nmember: " U(02)
	"\n\n"
	"dn: " G("slow") "\nobjectClass: groupOfNames\ncn: slow\nmember: " U(03) "\nmember: " U(04)
	"\nmember: " U(05) "\n\n"
	"dn: " G("dry") "\nobjectClass: groupOfNames\ncn: dry\nmember: " U(06) "\n\n"
	"dn: " G("term") "\nobjectClass: groupOfNames\ncn: term\nmember: " U(07) "\n\n"
	"dn: " G("sched") "\nobjectClass: groupOfNames\ncn: sched\nmember: " U(00) "\n\n"
	"dn: " G("hup") "\nobjectClass: groupOfNames\ncn: hup\nmember: " U(00) "\n";

/* One directory per test; a long operation timeout so a paused slapd makes
 * a slow run, not a failed one. Directory sched runs every sched_interval
 * seconds (0: manual runs only, as in the fixture's daemon). */
static const char *conf_with(unsigned sched_interval)
{
	static char text[8192];
	char keys[1024];

	snprintf(keys, sizeof(keys), "%s", lx_reader_keys(ldap.uri));
	snprintf(text, sizeof(text),
		 "[sync]\nrequest_wait = 3\n"
		 "[directory fast]\n%sinterval = 0\n"
		 "[directory slow]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n"
		 "[directory dry]\n%sinterval = 0\n"
		 "[directory term]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n"
		 "[directory sched]\n%sinterval = %u\nnetwork_timeout = 30\ntimeout = 60\n"
		 "[directory hup]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n"
		 "[directory drystop]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n",
		 keys, keys, keys, keys, keys, sched_interval, keys, keys);
	return text;
}

static const char *conf(void)
{
	return conf_with(0);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--users", "8", "--groups", "1", NULL };
	(void)state;
	if (lx_slapd(&ldap, lx_ldif(args, groups), NULL) != 0)
		return -1;
	return fx_start("sync_manual", conf());
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = fx_stop();
	slapd_server_stop(&ldap);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

struct org {
	struct person owner;
	char slug[64], id[40];
};

/* A new org whose owner maps group cn of directory to USER. */
static void org_mapped(struct org *o, const char *directory, const char *cn)
{
	char member[40], body[256];
	json_t *out = NULL;
	char *v;

	fx_person(&o->owner, directory);
	fx_org(&o->owner, directory, o->slug, sizeof(o->slug), member);
	v = fx_sql_value("SELECT id FROM organizations WHERE slug = '%s'", o->slug);
	assert_non_null(v);
	snprintf(o->id, sizeof(o->id), "%s", v);
	free(v);
	snprintf(body, sizeof(body), "{\"directory\":\"%s\",\"group\":\"cn=%s" GROUPS "\","
		 "\"role\":\"USER\"}", directory, cn);
	long status = fx_call(o->owner.token, "POST", &out, body,
			      "/api/v1/orgs/%s/directory-mappings", o->slug);
	if (status != 201)
		fail_msg("mapping %s: %ld %s", cn, status, jerr(out));
	json_decref(out);
}

static long long ldap_members(const struct org *o)
{
	return fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
			    " AND source_kind = 'ldap' AND status <> 'removed'", o->id);
}

static long long runs_of(const char *directory)
{
	return fx_sql_count("SELECT count(*) FROM ldap_sync_runs WHERE directory_name = '%s'",
			    directory);
}

/* POST /directories/{directory}/sync{query} to d: the status, *out the JSON
 * body, location (cap 256) the Location header or "". */
static long post_sync(const struct daemon_proc *d, const char *token, const char *directory,
		      const char *query, json_t **out, char *location)
{
	char url[512], auth[192];
	struct http_result res;
	long status;

	snprintf(url, sizeof(url), "%s/api/v1/directories/%s/sync%s", d->base_url, directory,
		 query);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	const char *headers[] = { auth, NULL };
	assert_int_equal(http_request("POST", url, headers, NULL, 0, &res), 0);
	status = res.status;
	*out = http_result_json(&res);
	char *loc = http_result_header(&res, "Location");
	snprintf(location, 256, "%s", loc ? loc : "");
	free(loc);
	http_result_free(&res);
	return status;
}

/* ---------------------------------------------------------------------- */

static void test_fast_run_answers_200_with_the_report(void **state)
{
	(void)state;
	struct org o;
	json_t *out = NULL, *run = NULL;
	char location[256];

	org_mapped(&o, "fast", "fast");
	long status = post_sync(&fx_daemon, o.owner.token, "fast", "", &out, location);
	assert_int_equal(status, 200);
	assert_string_equal(location, "");
	assert_string_equal(jstr(out, "status"), "success");
	assert_string_equal(jstr(out, "directory"), "fast");
	assert_int_equal(jint(out, "counts.added"), 2);
	assert_string_equal(jstr(out, "counts.trigger"), "api");
	assert_true(jint(out, "id") > 0);
	assert_true(json_is_integer(json_object_get(out, "duration_ms")));
	/* The report is the recorded run. */
	assert_int_equal(fx_call(o.owner.token, "GET", &run, NULL,
				 "/api/v1/directories/fast/runs/%lld", jint(out, "id")),
			 200);
	assert_string_equal(jstr(run, "status"), "success");
	assert_int_equal(jint(run, "counts.added"), 2);
	json_decref(run);
	json_decref(out);
	assert_int_equal(ldap_members(&o), 2);
}

static void test_slow_run_answers_202_and_finishes_in_the_background(void **state)
{
	(void)state;
	struct org o;
	json_t *out = NULL, *run = NULL;
	char location[256], want[256], other[256];

	org_mapped(&o, "slow", "slow");
	/* The run waits on its bind until slapd answers again. */
	lx_pause(&ldap);
	long status = post_sync(&fx_daemon, o.owner.token, "slow", "?full=true", &out, location);
	if (status != 202) {
		lx_resume(&ldap);
		fail_msg("HTTP %ld, expected 202: %s", status, jerr(out));
	}
	long long id = jint(out, "id");
	assert_true(id > 0);
	snprintf(want, sizeof(want), "/api/v1/directories/slow/runs/%lld", id);
	assert_string_equal(location, want);
	assert_string_equal(jstr(out, "location"), want);
	assert_string_equal(jstr(out, "status"), "running");
	json_decref(out);
	/* The status resource shows it running; a second run is refused. */
	assert_int_equal(fx_call(o.owner.token, "GET", &run, NULL, "%s", location), 200);
	assert_string_equal(jstr(run, "status"), "running");
	assert_string_equal(jstr(run, "kind"), "full");
	json_decref(run);
	run = NULL;
	assert_int_equal(post_sync(&fx_daemon, o.owner.token, "slow", "", &out, other), 409);
	assert_string_equal(jerr(out), "sync_in_progress");
	json_decref(out);
	assert_int_equal(runs_of("slow"), 1);
	lx_resume(&ldap);
	/* Polled until it is done: the run's outcome and counts. */
	const char *st = "running";
	for (int waited = 0; waited < 30000; waited += 100) {
		json_decref(run);
		run = NULL;
		assert_int_equal(fx_call(o.owner.token, "GET", &run, NULL, "%s", location), 200);
		st = jstr(run, "status");
		if (st == NULL || strcmp(st, "running") != 0)
			break;
		sleep_ms(100);
	}
	assert_non_null(st);
	assert_string_equal(st, "success");
	assert_int_equal(jint(run, "counts.added"), 3);
	assert_int_equal(jint(run, "counts.users_seen"), 8);
	assert_true(json_is_integer(json_object_get(run, "duration_ms")));
	json_decref(run);
	assert_int_equal(ldap_members(&o), 3);
	assert_int_equal(runs_of("slow"), 1);
}

static void test_dry_run_answers_in_the_request_and_writes_nothing(void **state)
{
	(void)state;
	struct org o;
	json_t *out = NULL;
	char location[256];

	org_mapped(&o, "dry", "dry");
	long status = post_sync(&fx_daemon, o.owner.token, "dry", "?dry_run=true", &out, location);
	assert_int_equal(status, 200);
	assert_string_equal(location, "");
	assert_string_equal(jstr(out, "status"), "planned");
	assert_true(json_is_true(json_object_get(out, "dry_run")));
	assert_true(json_is_null(json_object_get(out, "id")));
	assert_int_equal(jint(out, "counts.added"), 1);
	assert_string_equal(jstr(out, "counts.orgs.0.changes.0.action"), "add");
	json_decref(out);
	assert_int_equal(runs_of("dry"), 0);
	assert_int_equal(ldap_members(&o), 0);
}

/* The daemon's log holds text (waits up to ms). */
static bool log_has(const struct daemon_proc *d, const char *text, int ms)
{
	for (int waited = 0;; waited += 50) {
		FILE *f = fopen(d->log_path, "r");
		char line[2048];
		bool found = false;

		while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, text) != NULL;
		if (f != NULL)
			fclose(f);
		if (found || waited >= ms)
			return found;
		sleep_ms(50);
	}
}

/* Run id's "status/error". */
static char *run_outcome(long long id)
{
	char *v = fx_sql_value("SELECT status || '/' || coalesce(error, '')"
			       " FROM ldap_sync_runs WHERE id = %lld", id);
	assert_non_null(v);
	return v;
}

/* SIGTERM to d while slapd is paused (a run blocked on it): d must exit 0
 * within max_s, slapd still paused; slapd answers again afterwards. */
static void stop_while_paused(struct daemon_proc *d, double max_s)
{
	struct timespec t0, t1;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(daemon_signal(d, SIGTERM), 0);
	status = daemon_wait(d, (int)(max_s * 1000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lx_resume(&ldap);
	if (status != 0)
		fail_msg("the daemon did not exit within %.0f s of SIGTERM (status %d)", max_s,
			 status);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("exited %.2f s after SIGTERM\n", took);
}

/* The bound asserted: far below the 60 s operation timeout the runs wait
 * on, with room for a loaded machine (sanitizers, two cores shared). */
#define STOP_BOUND_S 8.0

/* A new daemon *d, slapd paused, and a manual run of directory (mapped for
 * o) that waits on it: its id (the request answered 202). */
static long long start_blocked_run(struct org *o, struct daemon_proc *d, const char *directory)
{
	json_t *out = NULL;
	char location[256];

	org_mapped(o, directory, directory);
	assert_int_equal(daemon_start(d, fx_conninfo, conf()), 0);
	lx_pause(&ldap);
	long status = post_sync(d, o->owner.token, directory, "", &out, location);
	if (status != 202) {
		lx_resume(&ldap);
		fail_msg("HTTP %ld, expected 202: %s", status, jerr(out));
	}
	long long id = jint(out, "id");
	json_decref(out);
	return id;
}

static void test_sigterm_during_a_blocked_manual_run_exits_within_the_bound(void **state)
{
	(void)state;
	struct org o;
	struct daemon_proc d;
	json_t *out = NULL;
	char location[256];

	long long id = start_blocked_run(&o, &d, "term");
	/* The run waits on its bind (timeout = 60 s); slapd stays stopped
	 * until the daemon has exited. */
	stop_while_paused(&d, STOP_BOUND_S);
	char *v = run_outcome(id);
	assert_string_equal(v, "failed/stopped: daemon shutting down");
	free(v);
	assert_int_equal(ldap_members(&o), 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM ldap_sync_state"
				      " WHERE directory_name = 'term' AND watermark IS NOT NULL"),
			 0);
	/* The next daemon's run of the directory succeeds. */
	assert_int_equal(daemon_start(&d, fx_conninfo, conf()), 0);
	assert_int_equal(post_sync(&d, o.owner.token, "term", "", &out, location), 200);
	assert_string_equal(jstr(out, "status"), "success");
	json_decref(out);
	assert_int_equal(ldap_members(&o), 1);
	assert_int_equal(daemon_stop(&d), 0);
}

static long long last_run_of(const char *directory, const char *status)
{
	char *v = fx_sql_value("SELECT max(id) FROM ldap_sync_runs WHERE directory_name = '%s'"
			       " AND status = '%s'", directory, status);
	long long id = v ? atoll(v) : 0;

	free(v);
	return id;
}

static long long wait_run(const char *directory, const char *status, int ms)
{
	long long id = 0;

	for (int waited = 0; (id = last_run_of(directory, status)) == 0 && waited < ms;
	     waited += 100)
		sleep_ms(100);
	return id;
}

static void test_sigterm_during_a_blocked_scheduled_run_exits_within_the_bound(void **state)
{
	(void)state;
	struct org o;
	struct daemon_proc d;

	org_mapped(&o, "sched", "sched");
	lx_pause(&ldap);
	if (daemon_start(&d, fx_conninfo, conf_with(1)) != 0) {
		lx_resume(&ldap);
		fail_msg("daemon did not start");
	}
	/* The scheduler's first run of sched is recorded, then waits on its
	 * bind. */
	long long id = wait_run("sched", "running", 10000);
	if (id == 0) {
		lx_resume(&ldap);
		fail_msg("no scheduled run started");
	}
	sleep_ms(300); /* well inside the bind's wait */
	stop_while_paused(&d, STOP_BOUND_S);
	char *v = run_outcome(id);
	assert_string_equal(v, "failed/stopped: daemon shutting down");
	free(v);
	assert_int_equal(ldap_members(&o), 0);
	/* The next daemon's scheduled run succeeds. */
	assert_int_equal(daemon_start(&d, fx_conninfo, conf_with(1)), 0);
	long long ok = wait_run("sched", "success", 15000);
	assert_int_equal(daemon_stop(&d), 0);
	if (ok <= id) {
		char *runs = fx_sql_value("SELECT string_agg(id || ' ' || status || ' ' ||"
					  " coalesce(error, ''), '; ' ORDER BY id) FROM ldap_sync_runs"
					  " WHERE directory_name = 'sched'");
		fail_msg("no successful run after %lld: %s", id, runs ? runs : "(none)");
	}
	assert_int_equal(ldap_members(&o), 1);
}

static void test_sighup_during_a_blocked_run_does_not_hang(void **state)
{
	(void)state;
	struct org o;
	struct daemon_proc d;
	char url[300];
	struct http_result res;

	long long id = start_blocked_run(&o, &d, "hup");
	assert_int_equal(daemon_signal(&d, SIGHUP), 0);
	/* The reload is done (READY again) while the run still waits. */
	bool reloaded = log_has(&d, "reloading configuration", 5000);
	snprintf(url, sizeof(url), "%s/healthz", d.base_url);
	int rc = http_request("GET", url, NULL, NULL, 0, &res);
	long health = res.status;
	http_result_free(&res);
	char *during = run_outcome(id);
	if (!reloaded || rc != 0 || health != 200) {
		lx_resume(&ldap);
		fail_msg("reload logged %d, /healthz %ld", reloaded, health);
	}
	/* The main thread took the reload and went back to its signals: a
	 * SIGTERM now still ends the daemon within the bound. */
	stop_while_paused(&d, STOP_BOUND_S);
	assert_string_equal(during, "running/");
	free(during);
	char *v = run_outcome(id);
	assert_string_equal(v, "failed/stopped: daemon shutting down");
	free(v);
	assert_int_equal(ldap_members(&o), 0);
}

struct dry_post {
	pthread_t thread;
	const struct daemon_proc *d;
	const char *token;
	long status;
	json_t *out;
};

static void *dry_post_run(void *arg)
{
	struct dry_post *p = arg;
	char location[256];

	p->status = post_sync(p->d, p->token, "drystop", "?dry_run=true", &p->out, location);
	return NULL;
}

/* A dry run reads in its request: SIGTERM while it waits on the directory
 * ends it too (the drain does not wait out the 60 s timeout for it), and
 * the request is answered. */
static void test_sigterm_during_a_blocked_dry_run_exits_within_the_bound(void **state)
{
	(void)state;
	struct org o;
	struct daemon_proc d;
	struct dry_post p = { .d = &d };

	org_mapped(&o, "drystop", "hup");
	assert_int_equal(daemon_start(&d, fx_conninfo, conf()), 0);
	p.token = o.owner.token;
	lx_pause(&ldap);
	assert_int_equal(pthread_create(&p.thread, NULL, dry_post_run, &p), 0);
	sleep_ms(500); /* the request waits on its bind */
	stop_while_paused(&d, STOP_BOUND_S);
	pthread_join(p.thread, NULL);
	assert_int_equal(p.status, 200);
	assert_string_equal(jstr(p.out, "status"), "failed");
	assert_string_equal(jstr(p.out, "error"), "stopped: daemon shutting down");
	json_decref(p.out);
	assert_int_equal(runs_of("drystop"), 0);
	assert_int_equal(ldap_members(&o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_run_answers_200_with_the_report),
		cmocka_unit_test(test_slow_run_answers_202_and_finishes_in_the_background),
		cmocka_unit_test(test_dry_run_answers_in_the_request_and_writes_nothing),
		cmocka_unit_test(test_sigterm_during_a_blocked_manual_run_exits_within_the_bound),
		cmocka_unit_test(test_sigterm_during_a_blocked_scheduled_run_exits_within_the_bound),
		cmocka_unit_test(test_sighup_during_a_blocked_run_does_not_hang),
		cmocka_unit_test(test_sigterm_during_a_blocked_dry_run_exits_within_the_bound),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
