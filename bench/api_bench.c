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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static struct bench_options opt = { .n = 1000, .seconds = 10, .connections = 8, .threads = 2 };

/* The owner signs up and creates the org through the API; the other members
 * go in with one SQL statement (the API path is not what is measured). */
static void seed(const struct bench_stack *st, char *token, size_t cap, char *slug,
		 size_t slug_cap)
{
	char *sql = NULL;

	bench_owner_org(st, "bench", token, cap);
	snprintf(slug, slug_cap, "bench");
	if (asprintf(&sql,
		     "WITH o AS (SELECT id FROM organizations WHERE slug = 'bench'),"
		     " a AS (INSERT INTO accounts (email) SELECT 'member-' || g || '@bench.example'"
		     "   FROM generate_series(1, %d) g RETURNING id, email)"
		     " INSERT INTO members (org_id, account_id, username, role)"
		     " SELECT o.id, a.id, split_part(a.email, '@', 1),"
		     "   (ARRAY['ADMIN', 'USER', 'USER', 'VIEWER'])[1 + abs(hashtext(a.email)) %% 4]"
		     " FROM o, a",
		     opt.n - 1) < 0 ||
	    pg_exec(st->conninfo, sql) != 0)
		bench_die("seeding members failed");
	free(sql);
	if (pg_exec(st->conninfo, "ANALYZE") != 0)
		bench_die("ANALYZE failed");
}

/* A wrk script that flips members between USER and VIEWER. Each thread takes
 * its own share of the members (no two threads touch one) and remembers each
 * member's role, starting from USER (reset_roles), so every request is a real
 * change that is written and audited. Only USER and VIEWER members are used,
 * so no guardrail is ever in play. */
static char *role_change_script(const char *conninfo, const char *slug, const char *token)
{
	long count;
	char *ids = bench_ids_file(conninfo,
				   "SELECT m.id FROM members m JOIN organizations o ON o.id = m.org_id"
				   " WHERE o.slug = 'bench' AND m.role IN ('USER', 'VIEWER')"
				   " ORDER BY m.id", &count);
	char *prelude, *text = NULL, *path;

	if (count < opt.threads)
		bench_die("too few USER or VIEWER members to change (use a larger -n)");
	prelude = bench_lua_prelude(ids, opt.threads, false);
	if (asprintf(&text,
		     "%s"
		     "local role, k = {}, 0\n"
		     "request = function()\n"
		     "  local i = mine(k)\n"
		     "  k = k + 1\n"
		     "  role[i] = (role[i] == \"VIEWER\") and \"USER\" or \"VIEWER\"\n"
		     "  return wrk.format(\"PATCH\", \"/api/v1/orgs/%s/members/\" .. ids[i],\n"
		     "    { [\"Content-Type\"] = \"application/json\",\n"
		     "      [\"Authorization\"] = \"Bearer %s\" },\n"
		     "    '{\"role\":\"' .. role[i] .. '\"}')\n"
		     "end\n",
		     prelude, slug, token) < 0)
		bench_die("out of memory");
	path = bench_write_temp("roles.lua", text);
	free(text);
	free(prelude);
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

int main(int argc, char **argv)
{
	struct bench_stack st;
	char token[128], slug[64], url[256];
	bench_parse_options(argc, argv,
			    "api_bench [-n members] [-d seconds] [-c connections] [-t threads]", "",
			    &opt);
	bench_stack_start(&st, NULL, NULL);
	seed(&st, token, sizeof(token), slug, sizeof(slug));

	fprintf(stderr, "bench: %d members, %d s per run, %d connections, %d threads\n",
		opt.n, opt.seconds, opt.connections, opt.threads);
	bench_pgbench_init(&st, 10);
	const char *select_only[] = { "-S", NULL };
	struct bench_result base = bench_pgbench(&st, select_only, "pgbench", opt.connections,
						 opt.threads, opt.seconds);
	if (base.rate <= 0)
		bench_die("pgbench reported no rate");

	struct {
		const char *label, *path, *script;
		bool auth;
		struct bench_result r;
	} runs[] = {
		{ .label = "GET /healthz (no database)", .path = "/healthz" },
		{ .label = "GET /api/v1/me", .path = "/api/v1/me", .auth = true },
		{ .label = "GET /api/v1/orgs/{slug}/members (50 of N)", .auth = true },
		{ .label = "PATCH /api/v1/orgs/{slug}/members/{id} role", .path = "/",
		  .script = role_change_script(st.conninfo, slug, token) },
	};
	char members_path[128];
	snprintf(members_path, sizeof(members_path), "/api/v1/orgs/%s/members", slug);
	runs[2].path = members_path;
	long long changes = 0;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct bench_wrk w = { .url = url, .token = runs[i].auth ? token : NULL,
				       .script = runs[i].script, .seconds = 2,
				       .connections = opt.connections, .threads = opt.threads };
		snprintf(url, sizeof(url), "%s%s", st.d.base_url, runs[i].path);
		if (runs[i].script != NULL)
			reset_roles(st.conninfo);
		(void)bench_wrk(&w); /* warm-up */
		if (runs[i].script != NULL)
			reset_roles(st.conninfo);
		long long before = role_changes(st.conninfo);
		w.seconds = opt.seconds;
		runs[i].r = bench_wrk(&w);
		if (runs[i].script != NULL)
			changes = role_changes(st.conninfo) - before;
	}

	bench_print_header();
	bench_print_row("pgbench -S (select-only, the ceiling)", &base, base.rate);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		bench_print_row(runs[i].label, &runs[i].r, base.rate);
	printf("\nratio = rate / pgbench -S rate in this run; N = %d members; "
	       "%d connections, %d threads, %d s each.\n"
	       "role changes written and audited during the measured run: %lld\n",
	       opt.n, opt.connections, opt.threads, opt.seconds, changes);
	free((char *)runs[3].script);

	return bench_stack_stop(&st) == 0 ? 0 : 1;
}
