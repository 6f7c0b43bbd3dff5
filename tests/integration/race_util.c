#include "race_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "metrics_text.h"
#include "orgs_fixture.h"

struct race_job *race_vadd(struct race *r, const char *token, const char *method,
			   const char *body, const char *fmt, va_list ap)
{
	struct race_job *j;

	assert_true(r->n < RACE_MAX_JOBS);
	j = &r->jobs[r->n++];
	memset(j, 0, sizeof(*j));
	j->token = token;
	snprintf(j->method, sizeof(j->method), "%s", method);
	snprintf(j->body, sizeof(j->body), "%s", body ? body : "");
	vsnprintf(j->path, sizeof(j->path), fmt, ap);
	return j;
}

struct race_job *race_add(struct race *r, const char *token, const char *method,
			  const char *body, const char *fmt, ...)
{
	struct race_job *j;
	va_list ap;

	va_start(ap, fmt);
	j = race_vadd(r, token, method, body, fmt, ap);
	va_end(ap);
	return j;
}

void race_send_api(struct race_job *j)
{
	json_t *out = NULL;

	j->status = fx_call(j->token, j->method, &out, j->body[0] ? j->body : NULL, "%s", j->path);
	snprintf(j->code, sizeof(j->code), "%s", jerr(out));
	json_decref(out);
}

struct runner {
	pthread_barrier_t *start;
	struct race_job *job;
};

static void *run_job(void *arg)
{
	struct runner *run = arg;

	pthread_barrier_wait(run->start);
	(run->job->send ? run->job->send : race_send_api)(run->job);
	return NULL;
}

void race_fire(struct race *r)
{
	pthread_t threads[RACE_MAX_JOBS];
	struct runner runs[RACE_MAX_JOBS];

	assert_int_equal(pthread_barrier_init(&r->start, NULL, (unsigned)r->n), 0);
	for (size_t i = 0; i < r->n; i++) {
		runs[i] = (struct runner){ &r->start, &r->jobs[i] };
		assert_int_equal(pthread_create(&threads[i], NULL, run_job, &runs[i]), 0);
	}
	for (size_t i = 0; i < r->n; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&r->start);
}

bool race_one_of(const char *code, const char *const *codes)
{
	for (; *codes; codes++)
		if (strcmp(code, *codes) == 0)
			return true;
	return false;
}

double race_metric(const char *series)
{
	char url[256];
	struct http_result res;
	double v;

	snprintf(url, sizeof(url), "%s/metrics", fx_daemon.base_url);
	assert_int_equal(http_request("GET", url, NULL, NULL, 0, &res), 0);
	assert_int_equal(res.status, 200);
	v = metrics_text_sample(res.body, series);
	http_result_free(&res);
	return v;
}
