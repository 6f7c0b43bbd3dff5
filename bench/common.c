#include "common.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#define BENCH_LUA_MARK "bench-lua:"

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_parse_options(int argc, char **argv, const char *usage, const char *extra_flags,
			 struct bench_options *o)
{
	char spec[64];
	int c;

	snprintf(spec, sizeof(spec), "n:d:c:t:h%s", extra_flags);
	while ((c = getopt(argc, argv, spec)) != -1) {
		switch (c) {
		case 'n': o->n = atoi(optarg); break;
		case 'd': o->seconds = atoi(optarg); break;
		case 'c': o->connections = atoi(optarg); break;
		case 't': o->threads = atoi(optarg); break;
		case 'h': printf("usage: %s\n", usage); exit(0);
		default:
			if (c > 0 && c < 128 && c != '?' && strchr(extra_flags, c) != NULL) {
				o->flags[c] = true;
				break;
			}
			fprintf(stderr, "usage: %s\n", usage);
			exit(2);
		}
	}
	if (optind != argc || o->n < 1 || o->seconds < 1 || o->connections < 1 ||
	    o->threads < 1 || o->threads > o->connections)
		bench_die("bad option values; usage: %s", usage);
}

/* "1.23ms", "456.00us", "2.01s" -> milliseconds. */
static double duration_ms(const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (strncmp(end, "us", 2) == 0)
		return v / 1000.0;
	if (strncmp(end, "ms", 2) == 0)
		return v;
	if (*end == 's')
		return v * 1000.0;
	if (*end == 'm')
		return v * 60000.0;
	return -1;
}

/* The value after `key` on the line where it appears, or NULL. */
static const char *after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (p == NULL)
		return NULL;
	p += strlen(key);
	while (*p == ' ')
		p++;
	return p;
}

int bench_run(const char *const *argv, char **out)
{
	char *err = NULL;
	int rc = harness_run_tool(argv, out, &err);

	if (rc != 0) {
		fprintf(stderr, "bench: %s exited with %d\n%s", argv[0], rc, err ? err : "");
		if (out != NULL && *out != NULL)
			fputs(*out, stderr);
	}
	free(err);
	return rc;
}

void bench_stack_start(struct bench_stack *s, const char *const *pg_settings,
		       const char *conf_extra)
{
	char *conf = NULL;

	memset(s, 0, sizeof(*s));
	if (pg_server_start_with(&s->pg, pg_settings) != 0 ||
	    pg_create_database(&s->pg, "bench", s->conninfo, sizeof(s->conninfo)) != 0 ||
	    pg_create_database(&s->pg, "pgbench", s->pgbench_conninfo,
			       sizeof(s->pgbench_conninfo)) != 0)
		bench_die("cannot start PostgreSQL");
	s->d.port = harness_free_port();
	if (asprintf(&conf,
		     "[server]\nlisten = 127.0.0.1\nport = %u\npublic_base_url = http://127.0.0.1:%u\n"
		     "[database]\nconninfo = \"%s\"\nschema_dir = %s/schemas\n"
		     "[log]\nlevel = warn\n"
		     "[mail]\ntransport = file\nfile_dir = %s/mail\n%s",
		     s->d.port, s->d.port, s->conninfo, harness_srcdir(),
		     harness_tmpdir("benchmail"), conf_extra ? conf_extra : "") < 0)
		bench_die("out of memory");
	if (daemon_start_with_config(&s->d, conf) != 0)
		bench_die("cannot start orgbridged");
	free(conf);
	const char *migrate[] = { "orgbridged", "-c", s->d.conf_path, "--migrate", NULL };
	if (bench_run(migrate, NULL) != 0)
		bench_die("migration failed");
}

int bench_stack_stop(struct bench_stack *s)
{
	int rc = daemon_stop(&s->d);

	pg_server_stop(&s->pg);
	return rc;
}

void bench_owner_org(const struct bench_stack *s, const char *slug, char *token, size_t cap)
{
	char url[256];
	struct http_result res;
	json_t *doc;

	snprintf(url, sizeof(url), "%s/api/v1/signup", s->d.base_url);
	const char *json_hdr[] = { "Content-Type: application/json", NULL };
	const char *signup = "{\"email\":\"owner@bench.example\",\"password\":\"bench password 1\"}";
	if (http_request("POST", url, json_hdr, signup, strlen(signup), &res) != 0 ||
	    res.status != 201 || (doc = http_result_json(&res)) == NULL)
		bench_die("sign-up failed");
	snprintf(token, cap, "%s", json_string_value(json_object_get(doc, "token")));
	json_decref(doc);
	http_result_free(&res);

	bench_org(s, token, "Bench", slug);
}

void bench_org(const struct bench_stack *s, const char *token, const char *name,
	       const char *slug)
{
	char url[256], body[256], auth[256];
	struct http_result res;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	const char *hdrs[] = { "Content-Type: application/json", auth, NULL };
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"slug\":\"%s\"}", name, slug);
	snprintf(url, sizeof(url), "%s/api/v1/orgs", s->d.base_url);
	if (http_request("POST", url, hdrs, body, strlen(body), &res) != 0 || res.status != 201)
		bench_die("org creation failed");
	http_result_free(&res);
}

struct bench_result bench_wrk(const struct bench_wrk *w)
{
	char threads[16], conns[16], dur[16], header[256];
	const char *argv[16];
	size_t n = 0;
	char *out = NULL;
	struct bench_result r = { 0 };
	const char *v;

	snprintf(threads, sizeof(threads), "%d", w->threads);
	snprintf(conns, sizeof(conns), "%d", w->connections);
	snprintf(dur, sizeof(dur), "%ds", w->seconds);
	argv[n++] = "/usr/bin/wrk";
	argv[n++] = "--latency";
	argv[n++] = "-t";
	argv[n++] = threads;
	argv[n++] = "-c";
	argv[n++] = conns;
	argv[n++] = "-d";
	argv[n++] = dur;
	if (w->token != NULL) {
		snprintf(header, sizeof(header), "Authorization: Bearer %s", w->token);
		argv[n++] = "-H";
		argv[n++] = header;
	}
	if (w->script != NULL) {
		argv[n++] = "-s";
		argv[n++] = w->script;
	}
	argv[n++] = w->url;
	argv[n] = NULL;
	if (bench_run(argv, &out) != 0)
		bench_die("wrk failed (is the Debian package wrk installed? "
			  "scripts/install-deps --bench)");
	/* What a check script printed (bench_lua_prelude). */
	for (v = strstr(out, BENCH_LUA_MARK); v != NULL; v = strstr(v + 1, BENCH_LUA_MARK))
		fprintf(stderr, "bench: %s: %.*s\n", w->url, (int)strcspn(v, "\n"), v);
	if ((v = after(out, "Requests/sec:")) != NULL)
		r.rate = strtod(v, NULL);
	if ((v = strstr(out, " requests in ")) != NULL) {
		while (v > out && v[-1] >= '0' && v[-1] <= '9')
			v--;
		r.requests = strtol(v, NULL, 10);
	}
	if ((v = after(out, " 50%")) != NULL)
		r.p50_ms = duration_ms(v);
	if ((v = after(out, " 99%")) != NULL)
		r.p99_ms = duration_ms(v);
	if ((v = after(out, "Non-2xx or 3xx responses:")) != NULL)
		r.errors += strtol(v, NULL, 10);
	if ((v = after(out, "Socket errors:")) != NULL) {
		r.errors += 1;
		fprintf(stderr, "bench: wrk %s: Socket errors: %.*s\n", w->url,
			(int)strcspn(v, "\n"), v);
	}
	free(out);
	return r;
}

const char *bench_pgbench_path(void)
{
	static char bin[600];

	snprintf(bin, sizeof(bin), "%s/pgbench",
		 getenv("OB_PG_BINDIR") ? getenv("OB_PG_BINDIR") : "/usr/lib/postgresql/15/bin");
	return bin;
}

void bench_pgbench_init(const struct bench_stack *s, int scale)
{
	char port[16], sc[16];

	snprintf(port, sizeof(port), "%u", s->pg.port);
	snprintf(sc, sizeof(sc), "%d", scale);
	const char *init[] = { bench_pgbench_path(), "-h", "127.0.0.1", "-p", port, "-U",
			       "postgres", "-i", "-q", "-s", sc, "pgbench", NULL };
	if (bench_run(init, NULL) != 0)
		bench_die("pgbench -i failed");
}

struct bench_result bench_pgbench(const struct bench_stack *s, const char *const *args,
				  const char *db, int clients, int threads, int seconds)
{
	char port[16], conns[16], thr[16], dur[16], *out = NULL;
	const char *argv[40];
	struct bench_result r = { 0 };
	size_t n = 0;
	const char *v;

	snprintf(port, sizeof(port), "%u", s->pg.port);
	snprintf(conns, sizeof(conns), "%d", clients);
	snprintf(thr, sizeof(thr), "%d", threads);
	snprintf(dur, sizeof(dur), "%d", seconds);
	const char *head[] = { bench_pgbench_path(), "-h", "127.0.0.1", "-p", port, "-U",
			       "postgres", "-n", "-c", conns, "-j", thr, "-T", dur };
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[n++] = head[i];
	for (size_t i = 0; args != NULL && args[i] != NULL && n < 38; i++)
		argv[n++] = args[i];
	argv[n++] = db;
	argv[n] = NULL;
	if (bench_run(argv, &out) != 0)
		bench_die("pgbench failed");
	/* pgbench's summary has the average latency only (percentiles would need
	 * its per-transaction log), so that is what the table shows for it. */
	if ((v = after(out, "tps =")) != NULL)
		r.rate = strtod(v, NULL);
	if ((v = after(out, "latency average =")) != NULL)
		r.p50_ms = -strtod(v, NULL);
	if ((v = after(out, "number of failed transactions:")) != NULL)
		r.errors = strtol(v, NULL, 10);
	free(out);
	return r;
}

void bench_print_header(void)
{
	printf("\n%-52s %10s %10s %8s %7s\n", "", "per second", "p50 ms", "p99 ms", "ratio");
}

void bench_print_row(const char *what, const struct bench_result *r, double ceiling)
{
	char p50[32], p99[32], ratio[16];

	if (r->p50_ms < 0)
		snprintf(p50, sizeof(p50), "avg %.2f", -r->p50_ms);
	else
		snprintf(p50, sizeof(p50), "%.2f", r->p50_ms);
	if (r->p99_ms > 0)
		snprintf(p99, sizeof(p99), "%.2f", r->p99_ms);
	else
		snprintf(p99, sizeof(p99), "-");
	if (ceiling > 0)
		snprintf(ratio, sizeof(ratio), "%.2f", r->rate / ceiling);
	else
		snprintf(ratio, sizeof(ratio), "-");
	printf("%-52s %10.0f %10s %8s %7s", what, r->rate, p50, p99, ratio);
	if (r->errors)
		printf("  (%ld errors)", r->errors);
	putchar('\n');
	fflush(stdout);
}

char *bench_write_temp(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	if (asprintf(&path, "%s/%s", harness_tmpdir("bench"), name) < 0 ||
	    (f = fopen(path, "w")) == NULL)
		bench_die("cannot write %s", name);
	if (fputs(text, f) == EOF || fclose(f) != 0)
		bench_die("cannot write %s", path);
	return path;
}

char *bench_ids_file(const char *conninfo, const char *sql, long *count)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = NULL;
	char *path = NULL;
	FILE *f;

	if (PQstatus(c) != CONNECTION_OK)
		bench_die("%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		bench_die("%s", PQerrorMessage(c));
	if (asprintf(&path, "%s/ids", harness_tmpdir("benchids")) < 0 ||
	    (f = fopen(path, "w")) == NULL)
		bench_die("cannot write the id file");
	for (int i = 0; i < PQntuples(res); i++)
		fprintf(f, "%s\n", PQgetvalue(res, i, 0));
	if (fclose(f) != 0)
		bench_die("cannot write %s", path);
	*count = PQntuples(res);
	PQclear(res);
	PQfinish(c);
	return path;
}

char *bench_lua_prelude(const char *ids_path, int threads, bool check)
{
	char *text = NULL, *load = NULL;

	if (ids_path != NULL &&
	    asprintf(&load, "for line in io.lines(\"%s\") do ids[#ids + 1] = line end\n",
		     ids_path) < 0)
		bench_die("out of memory");
	if (asprintf(&text,
		     "local ids = {}\n"
		     "%s"
		     "local threads, started = %d, 0\n"
		     "setup = function(thread) thread:set(\"slot\", started); started = started + 1 end\n"
		     "init = function(args) math.randomseed(7919 * (slot + 1)) end\n"
		     "local function mine(k)\n"
		     "  local n = math.floor((#ids - slot - 1) / threads) + 1\n"
		     "  return slot + 1 + (k %% n) * threads\n"
		     "end\n"
		     "%s",
		     load ? load : "", threads,
		     check ? "local shown = false\n"
			     "response = function(status, headers, body)\n"
			     "  if status >= 300 and not shown then\n"
			     "    shown = true\n"
			     "    io.write(\"" BENCH_LUA_MARK " \" .. status .. \" \" .. tostring(body) .. \"\\n\")\n"
			     "  end\n"
			     "end\n"
			   : "") < 0)
		bench_die("out of memory");
	free(load);
	return text;
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
