/* Manual LDAP sync runs through the management API against a real slapd and
 * orgbridged ([sync] request_wait = 3 s): a fast run answers 200 with its
 * report; a slow one (slapd paused, so the run waits on its bind) answers
 * 202 with a Location that shows it running, refuses a second run with 409,
 * then shows it finished with its counts once slapd answers; a dry run still
 * answers in the request and writes nothing; SIGTERM during a manual run
 * cancels it like a scheduled run (recorded failed, nothing applied). Each
 * test has its own directory section and group. */
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
	"dn: " G("term") "\nobjectClass: groupOfNames\ncn: term\nmember: " U(07) "\n";

/* One directory per test; a long operation timeout so a paused slapd makes
 * a slow run, not a failed one. */
static const char *conf(void)
{
	static char text[8192];
	char keys[1024];

	snprintf(keys, sizeof(keys), "%s", lx_reader_keys(ldap.uri));
	snprintf(text, sizeof(text),
		 "[sync]\nrequest_wait = 3\n"
		 "[directory fast]\n%sinterval = 0\n"
		 "[directory slow]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n"
		 "[directory dry]\n%sinterval = 0\n"
		 "[directory term]\n%sinterval = 0\nnetwork_timeout = 30\ntimeout = 60\n",
		 keys, keys, keys, keys);
	return text;
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

static void test_sigterm_cancels_a_manual_run(void **state)
{
	(void)state;
	struct org o;
	struct daemon_proc d;
	json_t *out = NULL;
	char location[256];

	org_mapped(&o, "term", "term");
	assert_int_equal(daemon_start(&d, fx_conninfo, conf()), 0);
	lx_pause(&ldap);
	long status = post_sync(&d, o.owner.token, "term", "", &out, location);
	if (status != 202) {
		lx_resume(&ldap);
		fail_msg("HTTP %ld, expected 202: %s", status, jerr(out));
	}
	long long id = jint(out, "id");
	json_decref(out);
	assert_int_equal(daemon_signal(&d, SIGTERM), 0);
	/* Stopping has begun (the scheduler's cancel flag is set) before the
	 * directory answers, so the run stops after its read. */
	bool stopping = log_has(&d, "sync: scheduler stopped", 10000);
	lx_resume(&ldap);
	assert_true(stopping);
	assert_int_equal(daemon_wait(&d, 15000), 0);
	char *v = fx_sql_value("SELECT status || '/' || coalesce(error, '')"
			       " FROM ldap_sync_runs WHERE id = %lld", id);
	assert_non_null(v);
	assert_non_null(strstr(v, "failed/cancelled"));
	free(v);
	assert_int_equal(ldap_members(&o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_run_answers_200_with_the_report),
		cmocka_unit_test(test_slow_run_answers_202_and_finishes_in_the_background),
		cmocka_unit_test(test_dry_run_answers_in_the_request_and_writes_nothing),
		cmocka_unit_test(test_sigterm_cancels_a_manual_run),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
