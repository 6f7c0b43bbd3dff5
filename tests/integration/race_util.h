/* Racing requests against a running orgbridged (tests/integration/
 * test_race.c, test_scim_race.c): jobs are queued, then fired at once, each
 * its own libcurl request on its own thread, released together by a barrier;
 * every answer is kept in its job. */
#ifndef OB_TESTS_RACE_UTIL_H
#define OB_TESTS_RACE_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define RACE_MAX_JOBS 256

/* The daemon's extra config: more pooled connections than the default 8, so
 * most requests reach the database at once and really contend for the
 * org's rows. */
#define RACE_DAEMON_CONFIG "[database]\npool_size = 24\nacquire_timeout_ms = 60000\n"

struct race_job;
/* Send j's request and fill its results (status, code, id). */
typedef void (*race_send_fn)(struct race_job *j);

struct race_job {
	race_send_fn send; /* NULL: race_send_api */
	const char *token;
	char method[8];
	char path[256];
	char body[640];
	long want; /* what the test expects of it (the test's own use) */
	/* results */
	long status;
	char code[48]; /* the API's error code, or SCIM's scimType */
	char id[40];   /* "id" of the answer (when the sender keeps it) */
};

struct race {
	pthread_barrier_t start;
	struct race_job jobs[RACE_MAX_JOBS];
	size_t n;
};

/* Queue a management API job (body NULL: none; the path printf-style).
 * Asserts there is room. */
struct race_job *race_add(struct race *r, const char *token, const char *method,
			  const char *body, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same with a va_list, for a test's own wrapper. */
struct race_job *race_vadd(struct race *r, const char *token, const char *method,
			   const char *body, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* A management API request (fx_call): its status and "error.code". */
void race_send_api(struct race_job *j);

/* Fire every queued job at once; waits for all. */
void race_fire(struct race *r);

/* The value of one series of the daemon's GET /metrics (asserts 200). */
double race_metric(const char *series);

/* Is code one of the NULL-terminated codes? */
bool race_one_of(const char *code, const char *const *codes);

#endif
