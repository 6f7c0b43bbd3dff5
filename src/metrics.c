#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Slots of the (route, status) request counter table: routes x distinct
 * statuses stays far below this; a full table counts in `dropped`. */
#define HTTP_SLOTS 4096

struct http_slot {
	_Atomic uint32_t key; /* 0: free; else (route + 1) << 10 | status */
	atomic_uint_least64_t count;
};

/* Per route (plus one for "no route"): histogram buckets, not cumulative
 * (bucket i counts durations in (bound[i-1], bound[i]]; the last is +Inf). */
struct http_hist {
	atomic_uint_least64_t buckets[METRICS_N_BUCKETS + 1];
	atomic_uint_least64_t sum_us;
};

struct metrics_series {
	struct metrics_series *next;
	enum metrics_type type;
	char *name;
	char *help;
	char *labels; /* rendered: `a="x",b="y"`, or "" */
	atomic_int_least64_t value;
};

struct metrics {
	const struct http_route *routes;
	size_t n_routes;
	struct http_slot slots[HTTP_SLOTS];
	struct http_hist *hist; /* n_routes + 1: the last is for unrouted requests */
	atomic_uint_least64_t dropped;
	double start_time;
	pthread_mutex_t lock; /* the series list (registration and rendering) */
	struct metrics_series *series;
};

static const double bounds[METRICS_N_BUCKETS] = METRICS_DURATION_BUCKETS;
static const char *const methods[] = { "other", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
				       "OPTIONS" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

struct metrics *metrics_new(const struct http_route *routes, size_t n_routes)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct timespec now;

	if (m == NULL)
		return NULL;
	m->hist = calloc(n_routes + 1, sizeof(*m->hist));
	if (m->hist == NULL) {
		free(m);
		return NULL;
	}
	m->routes = routes;
	m->n_routes = n_routes;
	clock_gettime(CLOCK_REALTIME, &now);
	m->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (struct metrics_series *s = m->series, *next; s != NULL; s = next) {
		next = s->next;
		free(s->name);
		free(s->help);
		free(s->labels);
		free(s);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->hist);
	free(m);
}

/* ------------------------------------------------------------------ HTTP */

static unsigned method_code(const char *method)
{
	for (unsigned i = 1; method != NULL && i < N_METHODS; i++)
		if (strcmp(method, methods[i]) == 0)
			return i;
	return 0;
}

/* Key layout: route + 1 in the top bits, then a 3-bit method code (only for
 * unrouted requests; 0 otherwise), then the status in 10 bits. */
static uint32_t slot_key(size_t route, unsigned method, unsigned status)
{
	return (uint32_t)(route + 1) << 13 | (uint32_t)method << 10 | (status & 0x3ff);
}

static void count_request(struct metrics *m, uint32_t key)
{
	uint32_t h = key * 2654435761u; /* Knuth's multiplicative hash */

	for (uint32_t probe = 0; probe < HTTP_SLOTS; probe++) {
		struct http_slot *s = &m->slots[(h + probe) % HTTP_SLOTS];
		uint32_t k = atomic_load_explicit(&s->key, memory_order_acquire);
		if (k == 0) {
			uint32_t expected = 0;
			if (atomic_compare_exchange_strong(&s->key, &expected, key))
				k = key;
			else
				k = expected; /* another thread took it: is it ours? */
		}
		if (k == key) {
			atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
}

void metrics_http_observe(struct metrics *m, size_t route, const char *method, unsigned status,
			  double seconds)
{
	size_t r, b = 0;
	unsigned mc;

	if (m == NULL)
		return;
	r = route < m->n_routes ? route : m->n_routes;
	mc = r == m->n_routes ? method_code(method) : 0;
	if (status > 999)
		status = 999;
	count_request(m, slot_key(r, mc, status));
	while (b < METRICS_N_BUCKETS && seconds > bounds[b])
		b++;
	atomic_fetch_add_explicit(&m->hist[r].buckets[b], 1, memory_order_relaxed);
	if (seconds > 0)
		atomic_fetch_add_explicit(&m->hist[r].sum_us, (uint64_t)(seconds * 1e6 + 0.5),
					  memory_order_relaxed);
}

/* ---------------------------------------------------------------- series */

static bool valid_name(const char *s)
{
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':'))
			return false;
	}
	return true;
}

/* A label value or HELP text with \, " (values only) and newlines escaped. */
static void write_escaped(FILE *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static char *render_labels(const char *const *labels)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2) {
		if (!valid_name(labels[i]) || labels[i + 1] == NULL) {
			fclose(f);
			free(text);
			return NULL;
		}
		fprintf(f, "%s%s=\"", i == 0 ? "" : ",", labels[i]);
		write_escaped(f, labels[i + 1], true);
		fputc('"', f);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

struct metrics_series *metrics_series_add(struct metrics *m, enum metrics_type type,
					  const char *name, const char *help,
					  const char *const *labels)
{
	struct metrics_series *s = NULL, **tail;
	char *rendered;

	if (m == NULL || !valid_name(name) || help == NULL)
		return NULL;
	rendered = render_labels(labels);
	if (rendered == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	for (tail = &m->series; *tail != NULL; tail = &(*tail)->next) {
		struct metrics_series *e = *tail;
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->type != type || strcmp(e->help, help) != 0)
			goto out; /* one family, one type and help */
		if (strcmp(e->labels, rendered) == 0) {
			s = e;
			goto out;
		}
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto out;
	s->type = type;
	s->name = strdup(name);
	s->help = strdup(help);
	s->labels = rendered;
	rendered = NULL;
	if (s->name == NULL || s->help == NULL) {
		free(s->name);
		free(s->help);
		free(s->labels);
		free(s);
		s = NULL;
		goto out;
	}
	*tail = s;
out:
	pthread_mutex_unlock(&m->lock);
	free(rendered);
	return s;
}

void metrics_add(struct metrics_series *s, uint64_t n)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->value, (int64_t)n, memory_order_relaxed);
}

void metrics_set(struct metrics_series *s, int64_t v)
{
	if (s != NULL)
		atomic_store_explicit(&s->value, v, memory_order_relaxed);
}

/* ------------------------------------------------------------- rendering */

void metrics_write_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	write_escaped(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

void metrics_write_sample(FILE *out, const char *name, const char *label_name,
			  const char *label_value, double value)
{
	fputs(name, out);
	if (label_name != NULL && label_value != NULL) {
		fprintf(out, "{%s=\"", label_name);
		write_escaped(out, label_value, true);
		fputs("\"}", out);
	}
	if (value == (double)(long long)value && value < 9007199254740992.0 &&
	    value > -9007199254740992.0)
		fprintf(out, " %lld\n", (long long)value);
	else
		fprintf(out, " %.17g\n", value);
}

/* method and route labels of a table entry. */
static void route_labels(const struct metrics *m, size_t r, unsigned mc, FILE *out)
{
	fprintf(out, "method=\"%s\",route=\"", r < m->n_routes ? m->routes[r].method : methods[mc]);
	write_escaped(out, r < m->n_routes ? m->routes[r].pattern : "none", true);
	fputc('"', out);
}

static void render_requests(struct metrics *m, FILE *out)
{
	metrics_write_header(out, "orgbridge_http_requests_total", "counter",
			     "HTTP requests answered, by method, route pattern and status");
	for (size_t i = 0; i < HTTP_SLOTS; i++) {
		uint32_t key = atomic_load_explicit(&m->slots[i].key, memory_order_acquire);
		if (key == 0)
			continue;
		size_t r = (size_t)(key >> 13) - 1;
		unsigned mc = (key >> 10) & 7, status = key & 0x3ff;
		fputs("orgbridge_http_requests_total{", out);
		route_labels(m, r, mc < N_METHODS ? mc : 0, out);
		fprintf(out, ",status=\"%u\"} %llu\n", status,
			(unsigned long long)atomic_load_explicit(&m->slots[i].count,
								 memory_order_relaxed));
	}
	metrics_write_header(out, "orgbridge_metrics_dropped_requests_total", "counter",
			     "Requests not counted by route and status because the table was full");
	metrics_write_sample(out, "orgbridge_metrics_dropped_requests_total", NULL, NULL,
			     (double)atomic_load(&m->dropped));
}

/* Unrouted requests of every method share one histogram (route="none",
 * method="any"): durations of junk requests need no finer split. */
static void render_durations(struct metrics *m, FILE *out)
{
	static const char name[] = "orgbridge_http_request_duration_seconds";

	metrics_write_header(out, name, "histogram",
			     "Time from a request's first byte to its answer, by route pattern");
	for (size_t r = 0; r <= m->n_routes; r++) {
		uint64_t counts[METRICS_N_BUCKETS + 1], total = 0;
		for (size_t b = 0; b <= METRICS_N_BUCKETS; b++) {
			counts[b] = atomic_load_explicit(&m->hist[r].buckets[b], memory_order_relaxed);
			total += counts[b];
		}
		if (total == 0)
			continue;
		uint64_t cumulative = 0;
		for (size_t b = 0; b <= METRICS_N_BUCKETS; b++) {
			cumulative += counts[b];
			fprintf(out, "%s_bucket{", name);
			if (r < m->n_routes)
				route_labels(m, r, 0, out);
			else
				fputs("method=\"any\",route=\"none\"", out);
			if (b < METRICS_N_BUCKETS)
				fprintf(out, ",le=\"%g\"} %llu\n", bounds[b],
					(unsigned long long)cumulative);
			else
				fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
		}
		for (int part = 0; part < 2; part++) {
			fprintf(out, "%s_%s{", name, part == 0 ? "sum" : "count");
			if (r < m->n_routes)
				route_labels(m, r, 0, out);
			else
				fputs("method=\"any\",route=\"none\"", out);
			if (part == 0)
				fprintf(out, "} %.6f\n",
					(double)atomic_load_explicit(&m->hist[r].sum_us,
								     memory_order_relaxed) /
						1e6);
			else
				fprintf(out, "} %llu\n", (unsigned long long)total);
		}
	}
}

static void render_series(struct metrics *m, FILE *out)
{
	pthread_mutex_lock(&m->lock);
	/* Families in first-seen order; each family's series together. */
	for (struct metrics_series *first = m->series; first != NULL; first = first->next) {
		bool seen = false;
		for (struct metrics_series *e = m->series; e != first && !seen; e = e->next)
			seen = strcmp(e->name, first->name) == 0;
		if (seen)
			continue;
		metrics_write_header(out, first->name,
				     first->type == METRICS_COUNTER ? "counter" : "gauge",
				     first->help);
		for (struct metrics_series *s = first; s != NULL; s = s->next) {
			if (strcmp(s->name, first->name) != 0)
				continue;
			fprintf(out, "%s%s%s%s %lld\n", s->name, s->labels[0] ? "{" : "", s->labels,
				s->labels[0] ? "}" : "",
				(long long)atomic_load_explicit(&s->value, memory_order_relaxed));
		}
	}
	pthread_mutex_unlock(&m->lock);
}

int metrics_render(struct metrics *m, FILE *out)
{
	metrics_write_header(out, "process_start_time_seconds", "gauge",
			     "Start time of the process since the Unix epoch, in seconds");
	fprintf(out, "process_start_time_seconds %.3f\n", m->start_time);
	metrics_write_header(out, "orgbridge_build_info", "gauge",
			     "Always 1; the version of orgbridged as a label");
	metrics_write_sample(out, "orgbridge_build_info", "version", PACKAGE_VERSION, 1);
	render_requests(m, out);
	render_durations(m, out);
	render_series(m, out);
	return ferror(out) ? -1 : 0;
}
