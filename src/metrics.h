/* Prometheus metrics (text exposition format 0.0.4), kept in memory by the
 * daemon and rendered by GET /metrics (src/api/metrics.c).
 *
 * One struct metrics per daemon, owned by struct app; nothing here is global.
 * Updates are lock-free (C11 atomics), so the HTTP threads and background
 * workers can count without contending: request counters live in a fixed
 * open-addressing table keyed by (route, status) that fills slots with a
 * compare-and-swap, durations in per-route histogram buckets.
 *
 * ADDING A COUNTER OR GAUGE (e.g. the LDAP sync's run counters):
 *
 *     static const char *const labels[] = { "directory", dir->name,
 *                                           "result", "ok", NULL };
 *     struct metrics_series *runs = metrics_series_add(app->metrics,
 *         METRICS_COUNTER, "orgbridge_ldap_sync_runs_total",
 *         "LDAP sync runs by directory and result", labels);
 *     ...
 *     metrics_add(runs, 1);
 *
 * metrics_series_add takes a mutex and may allocate: call it when the worker
 * starts (or on first use) and keep the pointer; it returns the same series
 * for the same name and labels, so calling it again after a reload is fine.
 * metrics_add / metrics_set are lock-free and accept NULL (a series that
 * could not be made is simply not counted). Series of one name are rendered
 * together under one HELP/TYPE header, in the order they were first added.
 * Names follow Prometheus conventions: orgbridge_<area>_<what>[_total for
 * counters][_seconds|_bytes units]. */
#ifndef OB_METRICS_H
#define OB_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "http/router.h"
#include "log.h"

/* Route index of a request that reached no handler (404, 405, 413...). */
#define METRICS_NO_ROUTE ((size_t)-1)

/* Upper bounds (seconds) of the request duration histogram's buckets. */
#define METRICS_DURATION_BUCKETS                                                         \
	{ 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0 }
#define METRICS_N_BUCKETS 13

struct metrics;
struct metrics_series;

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE };

/* The metrics of a daemon serving routes[0..n) (borrowed: they label the
 * HTTP series and must outlive the struct). NULL on allocation failure. */
struct metrics *metrics_new(const struct http_route *routes, size_t n_routes) OB_MUST_USE;
void metrics_free(struct metrics *m); /* NULL ok */

/* One answered request: route index into the routes given to metrics_new (or
 * METRICS_NO_ROUTE), HTTP status, time from its first byte to the answer.
 * method is the request's own, used only for METRICS_NO_ROUTE (anything but
 * the standard methods becomes "other", so junk cannot grow the table). */
void metrics_http_observe(struct metrics *m, size_t route, const char *method, unsigned status,
			  double seconds);

/* A counter or gauge series (see the top of this file). labels: NULL, or
 * name/value pairs ending with NULL; values are escaped when rendered. NULL
 * when the name or a label name is not a valid Prometheus name, the name is
 * already used with another type or help text, or allocation fails. */
struct metrics_series *metrics_series_add(struct metrics *m, enum metrics_type type,
					  const char *name, const char *help,
					  const char *const *labels);
void metrics_add(struct metrics_series *s, uint64_t n); /* counters (and gauges) */
void metrics_set(struct metrics_series *s, int64_t v);  /* gauges */

/* Everything above, plus process_start_time_seconds and
 * orgbridge_build_info, as text exposition. -1 on a write error. */
int metrics_render(struct metrics *m, FILE *out);

/* Helpers for values sampled at scrape time (pool usage, the outbox): one
 * family header, then samples. label_name/label_value may be NULL. */
void metrics_write_header(FILE *out, const char *name, const char *type, const char *help);
void metrics_write_sample(FILE *out, const char *name, const char *label_name,
			  const char *label_value, double value);

/* The Content-Type of the exposition. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
