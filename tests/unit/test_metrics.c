/* src/metrics.c: request counters by route and status, duration histograms,
 * registered series, and a rendering that Prometheus' text format 0.0.4
 * accepts (checked line by line here). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "metrics_text.h"

static void nop(struct http_request *req)
{
	(void)req;
}

static const struct http_route routes[] = {
	{ "GET", "/a", nop },
	{ "POST", "/orgs/{slug}", nop },
	{ "GET", "/orgs/{slug}/members", nop },
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* The exposition as a malloc'd string. */
static char *render(struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(metrics_render(m, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static bool valid_metric_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':'))
			return false;
	}
	return true;
}

/* Text format 0.0.4, as Prometheus parses it: every sample line is
 * name[{labels}] value, its family was announced by exactly one HELP and one
 * TYPE before its first sample (histogram samples may add _bucket, _sum,
 * _count), and no family is announced twice. */
static void assert_valid_exposition(const char *text)
{
	char family[256] = "", type[32] = "";
	char announced[64][128];
	size_t n_announced = 0;

	assert_true(text[strlen(text) - 1] == '\n');
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = (size_t)(end - line);
		char buf[1024];

		assert_true(len < sizeof(buf));
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strncmp(buf, "# HELP ", 7) == 0) {
			size_t nl = strcspn(buf + 7, " ");
			assert_true(valid_metric_name(buf + 7, nl));
			snprintf(family, sizeof(family), "%.*s", (int)nl, buf + 7);
			for (size_t i = 0; i < n_announced; i++)
				assert_string_not_equal(announced[i], family);
			assert_true(n_announced < 64);
			snprintf(announced[n_announced++], sizeof(announced[0]), "%s", family);
			type[0] = '\0';
		} else if (strncmp(buf, "# TYPE ", 7) == 0) {
			size_t nl = strcspn(buf + 7, " ");
			assert_int_equal(nl, strlen(family));
			assert_memory_equal(buf + 7, family, nl);
			snprintf(type, sizeof(type), "%s", buf + 8 + nl);
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
				    strcmp(type, "histogram") == 0);
		} else {
			size_t nl = strcspn(buf, "{ ");
			assert_true(type[0] != '\0');
			bool ok = nl == strlen(family) && strncmp(buf, family, nl) == 0;
			if (!ok && strcmp(type, "histogram") == 0) {
				for (const char *suffix = "_bucket\0_sum\0_count\0"; *suffix && !ok;
				     suffix += strlen(suffix) + 1)
					ok = nl == strlen(family) + strlen(suffix) &&
					     strncmp(buf, family, strlen(family)) == 0 &&
					     strncmp(buf + strlen(family), suffix, strlen(suffix)) == 0;
			}
			if (!ok)
				fail_msg("sample outside its family %s: %s", family, buf);
			const char *rest = buf + nl;
			if (*rest == '{') {
				/* label="value" pairs; values may contain escaped quotes */
				rest++;
				while (*rest != '}') {
					size_t ln = strcspn(rest, "=");
					assert_true(valid_metric_name(rest, ln));
					rest += ln;
					assert_true(rest[0] == '=' && rest[1] == '"');
					rest += 2;
					while (*rest != '"') {
						assert_true(*rest != '\0' && *rest != '\n');
						rest += rest[0] == '\\' ? 2 : 1;
					}
					rest++;
					if (*rest == ',')
						rest++;
				}
				rest++;
			}
			assert_true(*rest == ' ');
			char *num_end;
			strtod(rest + 1, &num_end);
			assert_true(num_end != rest + 1 && *num_end == '\0');
		}
		line = end + 1;
	}
}

static void test_requests_are_counted_by_method_route_and_status(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);

	metrics_http_observe(m, 0, "GET", 200, 0.001);
	metrics_http_observe(m, 0, "HEAD", 200, 0.001);
	metrics_http_observe(m, 1, "POST", 201, 0.01);
	metrics_http_observe(m, 1, "POST", 409, 0.01);
	char *text = render(m);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"GET\",route=\"/a\","
				      "status=\"200\"}"),
			 2);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"POST\","
				      "route=\"/orgs/{slug}\",status=\"201\"}"),
			 1);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"POST\","
				      "route=\"/orgs/{slug}\",status=\"409\"}"),
			 1);
	/* Nothing observed on the third route: no series for it. */
	assert_null(strstr(text, "/orgs/{slug}/members"));
	assert_valid_exposition(text);
	free(text);
	metrics_free(m);
}

static void test_unrouted_requests_have_route_none_and_known_methods_only(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);

	metrics_http_observe(m, METRICS_NO_ROUTE, "GET", 404, 0.001);
	metrics_http_observe(m, METRICS_NO_ROUTE, "BREW", 404, 0.001);
	metrics_http_observe(m, METRICS_NO_ROUTE, "X-JUNK-1", 404, 0.001);
	metrics_http_observe(m, 17, "PUT", 405, 0.001); /* out of range: unrouted */
	char *text = render(m);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"GET\",route=\"none\","
				      "status=\"404\"}"),
			 1);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"other\","
				      "route=\"none\",status=\"404\"}"),
			 2);
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_requests_total{method=\"PUT\",route=\"none\","
				      "status=\"405\"}"),
			 1);
	assert_null(strstr(text, "BREW"));
	assert_int_equal(metrics_text_sample(text, "orgbridge_http_request_duration_seconds_count{method=\"any\","
				      "route=\"none\"}"),
			 4);
	assert_valid_exposition(text);
	free(text);
	metrics_free(m);
}

static void test_durations_fill_cumulative_buckets(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);
	const char *l = "method=\"GET\",route=\"/orgs/{slug}/members\"";
	char series[256];

	metrics_http_observe(m, 2, "GET", 200, 0.003);
	metrics_http_observe(m, 2, "GET", 200, 0.2);
	metrics_http_observe(m, 2, "GET", 500, 30.0);
	char *text = render(m);
#define BUCKET(le) (snprintf(series, sizeof(series), \
	"orgbridge_http_request_duration_seconds_bucket{%s,le=\"%s\"}", l, le), \
	metrics_text_sample(text, series))
	assert_int_equal(BUCKET("0.0025"), 0);
	assert_int_equal(BUCKET("0.005"), 1);
	assert_int_equal(BUCKET("0.1"), 1);
	assert_int_equal(BUCKET("0.25"), 2);
	assert_int_equal(BUCKET("10"), 2);
	assert_int_equal(BUCKET("+Inf"), 3);
#undef BUCKET
	snprintf(series, sizeof(series), "orgbridge_http_request_duration_seconds_count{%s}", l);
	assert_int_equal(metrics_text_sample(text, series), 3);
	snprintf(series, sizeof(series), "orgbridge_http_request_duration_seconds_sum{%s}", l);
	assert_float_equal(metrics_text_sample(text, series), 30.203, 1e-6);
	assert_valid_exposition(text);
	free(text);
	metrics_free(m);
}

struct hammer {
	struct metrics *m;
	struct metrics_series *s;
	int id;
};

#define THREADS 8
#define PER_THREAD 20000

static void *hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		/* Many statuses, so threads race to claim the same new slots. */
		metrics_http_observe(h->m, (size_t)(i % 3), "GET", 200 + (unsigned)(i % 50), 0.001);
		metrics_add(h->s, 1);
	}
	return NULL;
}

static void test_concurrent_updates_lose_nothing(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);
	struct metrics_series *s =
		metrics_series_add(m, METRICS_COUNTER, "orgbridge_test_total", "test", NULL);
	pthread_t t[THREADS];
	struct hammer h[THREADS];
	double total = 0;

	for (int i = 0; i < THREADS; i++) {
		h[i] = (struct hammer){ m, s, i };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *text = render(m);
	int series = 0;
	for (const char *p = text; (p = strstr(p, "orgbridge_http_requests_total{")) != NULL; p++) {
		/* the value follows the last space of the line */
		const char *eol = strchr(p, '\n'), *v = eol;
		while (v > p && v[-1] != ' ')
			v--;
		total += strtod(v, NULL);
		series++;
	}
	assert_int_equal(series, 150); /* 3 routes x 50 statuses, each exactly once */
	assert_int_equal(total, (double)THREADS * PER_THREAD);
	assert_int_equal(metrics_text_sample(text, "orgbridge_test_total"), THREADS * PER_THREAD);
	assert_int_equal(metrics_text_sample(text, "orgbridge_metrics_dropped_requests_total"), 0);
	free(text);
	metrics_free(m);
}

static void test_series_of_one_name_render_as_one_family(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);
	const char *const corp_ok[] = { "directory", "corp", "result", "ok", NULL };
	const char *const corp_failed[] = { "directory", "corp", "result", "failed", NULL };
	const char *const odd[] = { "directory", "a\"b\\c\nd", NULL };
	const char *help = "LDAP sync runs by directory and result";
	struct metrics_series *a =
		metrics_series_add(m, METRICS_COUNTER, "orgbridge_sync_runs_total", help, corp_ok);
	struct metrics_series *g =
		metrics_series_add(m, METRICS_GAUGE, "orgbridge_sync_last_run_seconds", "g", NULL);
	struct metrics_series *b =
		metrics_series_add(m, METRICS_COUNTER, "orgbridge_sync_runs_total", help, corp_failed);
	struct metrics_series *c =
		metrics_series_add(m, METRICS_COUNTER, "orgbridge_sync_runs_total", help, odd);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_ptr_not_equal(a, b);
	/* The same name and labels give the same series back. */
	assert_ptr_equal(metrics_series_add(m, METRICS_COUNTER, "orgbridge_sync_runs_total", help,
					    corp_ok),
			 a);
	metrics_add(a, 3);
	metrics_add(b, 1);
	metrics_add(c, 2);
	metrics_set(g, -5);
	metrics_add(NULL, 1); /* a series that could not be made: ignored */
	char *text = render(m);
	assert_int_equal(metrics_text_sample(text, "orgbridge_sync_runs_total{directory=\"corp\",result=\"ok\"}"),
			 3);
	assert_int_equal(
		metrics_text_sample(text, "orgbridge_sync_runs_total{directory=\"corp\",result=\"failed\"}"), 1);
	assert_int_equal(metrics_text_sample(text, "orgbridge_sync_runs_total{directory=\"a\\\"b\\\\c\\nd\"}"), 2);
	assert_int_equal(metrics_text_sample(text, "orgbridge_sync_last_run_seconds"), -5);
	assert_non_null(strstr(text, "# TYPE orgbridge_sync_runs_total counter\n"));
	assert_non_null(strstr(text, "# TYPE orgbridge_sync_last_run_seconds gauge\n"));
	assert_valid_exposition(text); /* one HELP/TYPE per family, samples grouped */
	free(text);
	metrics_free(m);
}

static void test_series_with_bad_names_or_clashing_types_are_refused(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);
	const char *const bad_label[] = { "9lives", "x", NULL };
	const char *const no_value[] = { "directory", NULL };

	assert_null(metrics_series_add(m, METRICS_COUNTER, "orgbridge sync", "h", NULL));
	assert_null(metrics_series_add(m, METRICS_COUNTER, "1abc", "h", NULL));
	assert_null(metrics_series_add(m, METRICS_COUNTER, "ok_total", "h", bad_label));
	assert_null(metrics_series_add(m, METRICS_COUNTER, "ok_total", "h", no_value));
	assert_non_null(metrics_series_add(m, METRICS_COUNTER, "ok_total", "h", NULL));
	assert_null(metrics_series_add(m, METRICS_GAUGE, "ok_total", "h", NULL));
	assert_null(metrics_series_add(m, METRICS_COUNTER, "ok_total", "other help", NULL));
	metrics_free(m);
}

static void test_render_has_start_time_and_build_info(void **state)
{
	struct metrics *m = metrics_new(routes, N_ROUTES);
	char *text = render(m);
	double start = metrics_text_sample(text, "process_start_time_seconds");

	assert_true(start > 1.6e9 && start < 4.1e9);
	assert_int_equal(metrics_text_sample(text, "orgbridge_build_info{version=\"" PACKAGE_VERSION "\"}"), 1);
	assert_valid_exposition(text);
	free(text);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_are_counted_by_method_route_and_status),
		cmocka_unit_test(test_unrouted_requests_have_route_none_and_known_methods_only),
		cmocka_unit_test(test_durations_fill_cumulative_buckets),
		cmocka_unit_test(test_concurrent_updates_lose_nothing),
		cmocka_unit_test(test_series_of_one_name_render_as_one_family),
		cmocka_unit_test(test_series_with_bad_names_or_clashing_types_are_refused),
		cmocka_unit_test(test_render_has_start_time_and_build_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
