/* The management API under load, next to PostgreSQL's own ceiling measured
 * in the same run (docs/BENCH.md). Run by hand through bench/api, not by
 * make check.
 *
 * Starts the stack the way the integration tests do (tests/harness: a
 * private PostgreSQL and orgbridged on free loopback ports, stopped by pid at
 * exit), seeds an org with N members, then runs in turn:
 *   pgbench -S  (select-only: one primary-key SELECT per transaction)
 *   wrk GET /healthz                       (HTTP without the database)
 *   wrk GET /api/v1/me                     (session + account + memberships)
 *   wrk GET /api/v1/orgs/{slug}/members    (session + org gate + a page of 50)
 *   wrk PATCH /api/v1/orgs/{slug}/members/{id} (role changes: the org row lock,
 *       policy, the update, an audit event, the guardrail trigger at commit)
 * and prints requests/s, p50, p99 and each rate as a fraction of pgbench's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct result {
	double rate; /* requests or transactions per second */
	double p50_ms, p99_ms;
	long errors; /* non-2xx answers or failed transactions */
};

static struct {
	int members;
	int seconds;
	int connections;
	int threads;
} opt = { 1000, 10, 8, 2 };

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

/* script: a wrk Lua script making the requests (NULL: GET url). */
static struct result wrk(const char *url, const char *token, const char *script, int seconds)
{
	char threads[16], conns[16], dur[16], header[256];
	const char *argv[16];
	size_t n = 0;
	char *out = NULL;
	struct result r = { 0 };
	const char *v;

	snprintf(threads, sizeof(threads), "%d", opt.threads);
	snprintf(conns, sizeof(conns), "%d", opt.connections);
	snprintf(dur, sizeof(dur), "%ds", seconds);
	argv[n++] = "/usr/bin/wrk";
	argv[n++] = "--latency";
	argv[n++] = "-t";
	argv[n++] = threads;
	argv[n++] = "-c";
	argv[n++] = conns;
	argv[n++] = "-d";
	argv[n++] = dur;
	if (token != NULL) {
		snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
		argv[n++] = "-H";
		argv[n++] = header;
	}
	if (script != NULL) {
		argv[n++] = "-s";
		argv[n++] = script;
	}
	argv[n++] = url;
	argv[n] = NULL;
	if (bench_run(argv, &out) != 0)
		bench_die("wrk failed (is the Debian package wrk installed? scripts/install-deps --bench)");
	if ((v = after(out, "Requests/sec:")) != NULL)
		r.rate = strtod(v, NULL);
	if ((v = after(out, " 50%")) != NULL)
		r.p50_ms = duration_ms(v);
	if ((v = after(out, " 99%")) != NULL)
		r.p99_ms = duration_ms(v);
	if ((v = after(out, "Non-2xx or 3xx responses:")) != NULL)
		r.errors += strtol(v, NULL, 10);
	if ((v = after(out, "Socket errors:")) != NULL)
		r.errors += 1;
	free(out);
	return r;
}

static struct result pgbench(const struct pg_server *pg)
{
	char bin[600], port[16], conns[16], threads[16], dur[16], *out = NULL;
	struct result r = { 0 };
	const char *v;

	snprintf(bin, sizeof(bin), "%s/pgbench", getenv("OB_PG_BINDIR") ? getenv("OB_PG_BINDIR")
									  : "/usr/lib/postgresql/15/bin");
	snprintf(port, sizeof(port), "%u", pg->port);
	snprintf(conns, sizeof(conns), "%d", opt.connections);
	snprintf(threads, sizeof(threads), "%d", opt.threads);
	snprintf(dur, sizeof(dur), "%d", opt.seconds);
	const char *init[] = { bin, "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-i", "-q",
			       "-s", "10", "pgbench", NULL };
	if (bench_run(init, NULL) != 0)
		bench_die("pgbench -i failed");
	/* pgbench's summary has the average latency only (percentiles would need
	 * its per-transaction log), so that is what the table shows for it. */
	const char *bench[] = { bin, "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-S", "-n",
				"-c", conns, "-j", threads, "-T", dur, "pgbench", NULL };
	if (bench_run(bench, &out) != 0)
		bench_die("pgbench -S failed");
	if ((v = after(out, "tps =")) != NULL)
		r.rate = strtod(v, NULL);
	if ((v = after(out, "latency average =")) != NULL)
		r.p50_ms = -strtod(v, NULL); /* negative: an average, not a median */
	if ((v = after(out, "number of failed transactions:")) != NULL)
		r.errors = strtol(v, NULL, 10);
	free(out);
	return r;
}

/* The owner signs up and creates the org through the API; the other members
 * go in with one SQL statement (the API path is not what is measured). */
static void seed(const struct daemon_proc *d, const char *conninfo, char *token, size_t cap,
		 char *slug, size_t slug_cap)
{
	char *sql = NULL;

	bench_owner_org(d, "owner@bench.example", "bench", token, cap);
	snprintf(slug, slug_cap, "bench");

	if (asprintf(&sql,
		     "WITH o AS (SELECT id FROM organizations WHERE slug = 'bench'),"
		     " a AS (INSERT INTO accounts (email) SELECT 'member-' || g || '@bench.example'"
		     "   FROM generate_series(1, %d) g RETURNING id, email)"
		     " INSERT INTO members (org_id, account_id, username, role)"
		     " SELECT o.id, a.id, split_part(a.email, '@', 1),"
		     "   (ARRAY['ADMIN', 'USER', 'USER', 'VIEWER'])[1 + abs(hashtext(a.email)) %% 4]"
		     " FROM o, a",
		     opt.members - 1) < 0 ||
	    pg_exec(conninfo, sql) != 0)
		bench_die("seeding members failed");
	free(sql);
	if (pg_exec(conninfo, "ANALYZE") != 0)
		bench_die("ANALYZE failed");
}

/* A wrk script that flips members between USER and VIEWER. Thread t takes
 * the ids i with i mod T = t (no two threads touch one member) and remembers
 * each member's role, starting from USER (reset_roles), so every request is
 * a real change that is written and audited. Only USER and VIEWER members
 * are used, so no guardrail is ever in play. */
static char *role_change_script(const char *conninfo, const char *slug, const char *token)
{
	char *ids = pg_query_value(conninfo,
				   "SELECT string_agg('\"' || id || '\"', ',') FROM (SELECT m.id"
				   " FROM members m JOIN organizations o ON o.id = m.org_id"
				   " WHERE o.slug = 'bench' AND m.role IN ('USER', 'VIEWER')"
				   " ORDER BY m.id) s");
	char *path = NULL;
	FILE *f;

	if (ids == NULL)
		bench_die("no USER or VIEWER members to change (use -n 2 or more)");
	if (asprintf(&path, "%s/roles.lua", harness_tmpdir("benchlua")) < 0 ||
	    (f = fopen(path, "w")) == NULL)
		bench_die("cannot write the wrk script");
	fprintf(f,
		"local ids = { %s }\n"
		"local threads, started = %d, 0\n"
		"setup = function(thread) thread:set(\"slot\", started); started = started + 1 end\n"
		"local role, k = {}, 0\n"
		"request = function()\n"
		"  local mine = math.floor((#ids - slot - 1) / threads) + 1\n"
		"  local i = slot + 1 + (k %% mine) * threads\n"
		"  k = k + 1\n"
		"  role[i] = (role[i] == \"VIEWER\") and \"USER\" or \"VIEWER\"\n"
		"  return wrk.format(\"PATCH\", \"/api/v1/orgs/%s/members/\" .. ids[i],\n"
		"    { [\"Content-Type\"] = \"application/json\",\n"
		"      [\"Authorization\"] = \"Bearer %s\" },\n"
		"    '{\"role\":\"' .. role[i] .. '\"}')\n"
		"end\n",
		ids, opt.threads, slug, token);
	fclose(f);
	free(ids);
	return path;
}

/* Every USER or VIEWER member back to USER, as the script assumes. */
static void reset_roles(const char *conninfo)
{
	if (pg_exec(conninfo, "UPDATE members SET role = 'USER' WHERE role = 'VIEWER'"
			      " AND org_id = (SELECT id FROM organizations WHERE slug = 'bench')") != 0)
		bench_die("cannot reset the roles");
}

static long long role_changes(const char *conninfo)
{
	char *v = pg_query_value(conninfo, "SELECT count(*) FROM audit_events"
					   " WHERE action = 'member.role_changed'");
	long long n = v ? atoll(v) : -1;
	free(v);
	return n;
}

static void print_row(const char *what, const struct result *r, double ceiling)
{
	char p50[32], p99[32];

	if (r->p50_ms < 0)
		snprintf(p50, sizeof(p50), "avg %.2f", -r->p50_ms);
	else
		snprintf(p50, sizeof(p50), "%.2f", r->p50_ms);
	if (r->p99_ms > 0)
		snprintf(p99, sizeof(p99), "%.2f", r->p99_ms);
	else
		snprintf(p99, sizeof(p99), "-");
	printf("%-44s %10.0f %10s %8s %7.2f%s\n", what, r->rate, p50, p99, r->rate / ceiling,
	       r->errors ? "  (ERRORS: see above)" : "");
}

int main(int argc, char **argv)
{
	struct bench_stack st;
	char conninfo[600], bench_conninfo[600], token[128], slug[64], url[256];
	int c;

	while ((c = getopt(argc, argv, "n:d:c:t:h")) != -1) {
		switch (c) {
		case 'n': opt.members = atoi(optarg); break;
		case 'd': opt.seconds = atoi(optarg); break;
		case 'c': opt.connections = atoi(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: api_bench [-n members] [-d seconds] [-c connections]"
					" [-t threads]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (opt.members < 1 || opt.seconds < 1 || opt.connections < 1 || opt.threads < 1 ||
	    opt.threads > opt.connections)
		bench_die("bad option values");

	bench_stack_start(&st, NULL);
	if (pg_create_database(&st.pg, "pgbench", bench_conninfo, sizeof(bench_conninfo)) != 0)
		bench_die("cannot create the pgbench database");
	snprintf(conninfo, sizeof(conninfo), "%s", st.conninfo);
	seed(&st.d, conninfo, token, sizeof(token), slug, sizeof(slug));

	fprintf(stderr, "bench: %d members, %d s per run, %d connections, %d threads\n",
		opt.members, opt.seconds, opt.connections, opt.threads);
	struct result base = pgbench(&st.pg);
	if (base.rate <= 0)
		bench_die("pgbench reported no rate");

	struct {
		const char *label, *path, *script;
		bool auth;
		struct result r;
	} runs[] = {
		{ .label = "GET /healthz (no database)", .path = "/healthz" },
		{ .label = "GET /api/v1/me", .path = "/api/v1/me", .auth = true },
		{ .label = "GET /api/v1/orgs/{slug}/members (50 of N)", .auth = true },
		{ .label = "PATCH /api/v1/orgs/{slug}/members/{id} role", .path = "/",
		  .script = role_change_script(conninfo, slug, token) },
	};
	char members_path[128];
	snprintf(members_path, sizeof(members_path), "/api/v1/orgs/%s/members", slug);
	runs[2].path = members_path;
	long long changes = 0;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const char *auth = runs[i].auth ? token : NULL;
		snprintf(url, sizeof(url), "%s%s", st.d.base_url, runs[i].path);
		if (runs[i].script != NULL)
			reset_roles(conninfo);
		(void)wrk(url, auth, runs[i].script, 2); /* warm-up */
		if (runs[i].script != NULL)
			reset_roles(conninfo);
		long long before = role_changes(conninfo);
		runs[i].r = wrk(url, auth, runs[i].script, opt.seconds);
		if (runs[i].script != NULL)
			changes = role_changes(conninfo) - before;
	}

	printf("\n%-44s %10s %10s %8s %7s\n", "", "per second", "p50 ms", "p99 ms", "ratio");
	print_row("pgbench -S (select-only, the ceiling)", &base, base.rate);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		print_row(runs[i].label, &runs[i].r, base.rate);
	printf("\nratio = rate / pgbench -S rate in this run; N = %d members; "
	       "%d connections, %d threads, %d s each.\n"
	       "role changes written and audited during the measured run: %lld\n",
	       opt.members, opt.connections, opt.threads, opt.seconds, changes);
	free((char *)runs[3].script);

	return bench_stack_stop(&st) == 0 ? 0 : 1;
}
