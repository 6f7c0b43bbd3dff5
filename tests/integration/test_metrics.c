/* GET /metrics on a real orgbridged and PostgreSQL: the exposition counts the
 * requests made, by route pattern (never the raw path), and shows the pool,
 * the mail outbox and the process start time; [server] metrics = false,
 * applied by SIGHUP, turns it off. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api_util.h"
#include "metrics_text.h"
#include "orgs_fixture.h"

/* GET /metrics: status, and the body into *text (malloc'd; may be NULL). */
static long scrape(char **text, char **content_type)
{
	char url[256];
	struct http_result res;

	snprintf(url, sizeof(url), "%s/metrics", fx_daemon.base_url);
	assert_int_equal(http_request("GET", url, NULL, NULL, 0, &res), 0);
	if (text != NULL)
		*text = strdup(res.body);
	if (content_type != NULL)
		*content_type = http_result_header(&res, "Content-Type");
	long status = res.status;
	http_result_free(&res);
	return status;
}

static double scrape_sample(const char *series)
{
	char *text = NULL;
	assert_int_equal(scrape(&text, NULL), 200);
	double v = metrics_text_sample(text, series);
	free(text);
	return v;
}

/* The exposition once series has reached want (or after 5 s, for the
 * assertions to report): a request is counted when the server has finished
 * sending its answer, which can be a moment after the client has read it. */
static char *scrape_once_counted(const char *series, double want)
{
	char *text = NULL;

	for (int i = 0; i < 100; i++) {
		free(text);
		text = NULL;
		assert_int_equal(scrape(&text, NULL), 200);
		if (metrics_text_sample(text, series) >= want)
			break;
		usleep(50 * 1000);
	}
	return text;
}

static int group_setup(void **state)
{
	(void)state;
	return fx_start("metrics", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

static void test_metrics_answer_in_prometheus_text_format(void **state)
{
	char *text = NULL, *type = NULL;

	assert_int_equal(scrape(&text, &type), 200);
	assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(text, "# TYPE orgbridge_http_requests_total counter\n"));
	assert_non_null(strstr(text, "# TYPE orgbridge_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "# TYPE process_start_time_seconds gauge\n"));
	double start = metrics_text_sample(text, "process_start_time_seconds");
	assert_true(start <= (double)time(NULL) + 1 && start > (double)time(NULL) - 3600);
	free(text);
	free(type);
}

static void test_requests_are_counted_by_route_pattern_and_status(void **state)
{
	struct person p;
	char slug[64], owner[40];
	const char *ok = "orgbridge_http_requests_total{method=\"GET\","
			 "route=\"/api/v1/orgs/{slug}/members\",status=\"200\"}";
	const char *missing = "orgbridge_http_requests_total{method=\"GET\","
			      "route=\"/api/v1/orgs/{slug}/members\",status=\"404\"}";

	fx_person(&p, "metrics");
	fx_org(&p, "Metrics", slug, sizeof(slug), owner);
	double ok_before = scrape_sample(ok), missing_before = scrape_sample(missing);
	for (int i = 0; i < 5; i++)
		assert_int_equal(fx_call(p.token, "GET", NULL, NULL, "/api/v1/orgs/%s/members", slug),
				 200);
	assert_int_equal(fx_call(p.token, "GET", NULL, NULL, "/api/v1/orgs/nope-%d/members",
				 fx_next()),
			 404);
	free(scrape_once_counted(ok, (ok_before < 0 ? 0 : ok_before) + 5));
	char *text = scrape_once_counted(missing, (missing_before < 0 ? 0 : missing_before) + 1);
	assert_int_equal(metrics_text_sample(text, ok) - (ok_before < 0 ? 0 : ok_before), 5);
	assert_int_equal(metrics_text_sample(text, missing) - (missing_before < 0 ? 0 : missing_before), 1);
	/* Route patterns only: the slug of a real org never appears. */
	assert_null(strstr(text, slug));
	/* The histogram counted the same requests. */
	assert_true(metrics_text_sample(text, "orgbridge_http_request_duration_seconds_count{method=\"GET\","
				 "route=\"/api/v1/orgs/{slug}/members\"}") >= 6);
	free(text);
}

static void test_unknown_paths_are_counted_without_their_path(void **state)
{
	const char *series = "orgbridge_http_requests_total{method=\"GET\",route=\"none\","
			     "status=\"404\"}";
	double before = scrape_sample(series);

	assert_int_equal(fx_call(NULL, "GET", NULL, NULL, "/secret-probe-%d", fx_next()), 404);
	char *text = scrape_once_counted(series, (before < 0 ? 0 : before) + 1);
	assert_int_equal(metrics_text_sample(text, series) - (before < 0 ? 0 : before), 1);
	assert_null(strstr(text, "secret-probe"));
	free(text);
}

static void test_pool_and_outbox_are_reported(void **state)
{
	char *text = NULL;

	fx_sql("INSERT INTO mail_outbox (recipient, subject, body, status, attempts, last_error)"
	       " VALUES ('f1@example.com', 's', 'b', 'failed', 5, 'test')");
	assert_int_equal(scrape(&text, NULL), 200);
	assert_int_equal(metrics_text_sample(text, "orgbridge_mail_outbox_messages{status=\"failed\"}"),
			 fx_sql_count("SELECT count(*) FROM mail_outbox WHERE status = 'failed'"));
	assert_true(metrics_text_sample(text, "orgbridge_mail_outbox_messages{status=\"failed\"}") >= 1);
	assert_true(metrics_text_sample(text, "orgbridge_mail_outbox_messages{status=\"queued\"}") >= 0);
	assert_true(metrics_text_sample(text, "orgbridge_mail_outbox_messages{status=\"sent\"}") >= 0);
	assert_int_equal(metrics_text_sample(text, "orgbridge_database_up"), 1);
	/* The harness's default pool: 8 connections, the scrape's own returned. */
	assert_int_equal(metrics_text_sample(text, "orgbridge_db_pool_size"), 8);
	assert_true(metrics_text_sample(text, "orgbridge_db_pool_connections{state=\"in_use\"}") >= 0);
	assert_int_equal(metrics_text_sample(text, "orgbridge_db_pool_connections{state=\"in_use\"}") +
				 metrics_text_sample(text, "orgbridge_db_pool_connections{state=\"idle\"}"),
			 8);
	assert_true(metrics_text_sample(text, "orgbridge_http_requests_in_flight") >= 1);
	free(text);
}

/* Last: it turns metrics off for the rest of the program. */
static void test_metrics_off_by_reload_answers_404(void **state)
{
	FILE *f = fopen(fx_daemon.conf_path, "a");
	long status = 0;

	assert_non_null(f);
	fputs("\n[server]\nmetrics = false\n", f);
	fclose(f);
	assert_int_equal(daemon_signal(&fx_daemon, SIGHUP), 0);
	for (int i = 0; i < 100 && (status = scrape(NULL, NULL)) == 200; i++)
		usleep(50 * 1000);
	assert_int_equal(status, 404);
	/* The rest of the daemon is unaffected. */
	assert_int_equal(fx_call(NULL, "GET", NULL, NULL, "/healthz"), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_answer_in_prometheus_text_format),
		cmocka_unit_test(test_requests_are_counted_by_route_pattern_and_status),
		cmocka_unit_test(test_unknown_paths_are_counted_without_their_path),
		cmocka_unit_test(test_pool_and_outbox_are_reported),
		cmocka_unit_test(test_metrics_off_by_reload_answers_404),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
