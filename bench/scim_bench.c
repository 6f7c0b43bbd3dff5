/* SCIM under load (issue 4, "Benchmark"), next to PostgreSQL's own rates and
 * a bare libmicrohttpd server measured in the same run (docs/BENCH.md, SCIM).
 * Run by hand through bench/scim, not by make check.
 *
 * Starts the stack the way the integration tests do (tests/harness), on a
 * durable PostgreSQL (fsync, synchronous_commit and full_page_writes on, as
 * deployed; -F keeps the harness's fsync=off settings), then:
 *  - provisions one User through SCIM (Okta's create body) and loads N - 1
 *    more with one SQL statement as copies of it: members of the org with
 *    source_kind 'scim', the connection, and the profile exactly as the
 *    schema registry stored the first one (only the numbers differ); checks
 *    a few of them through GET against the first one's rendering;
 *  - baselines: pgbench -S (the read ceiling), a durable single-row INSERT
 *    through pgbench with synchronous_commit=on (the write ceiling), the same
 *    INSERT with synchronous_commit=off (what is left without the disk), and
 *    bench/hello_server (the HTTP floor);
 *  - wrk: GET /Users/{id} (random ids), GET /Users?filter=userName eq
 *    (random existing users), POST /Users (unique users), PATCH active toggle
 *    (Okta's path-less replace), and a 100-item page at a random startIndex;
 *  - pgbench writing just the rows a POST and a PATCH write (no HTTP, no
 *    daemon): how far the writes' targets are from what the schema allows;
 *  - the daemon's peak RSS (VmHWM) at the end.
 * Prints requests/s, p50, p99 and the ratios the targets are stated in.
 * -G instead measures SCIM Groups: Okta's and Entra ID's requests on a
 * 20,000-member group beside a 10-member one (groups_main). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "metrics_text.h"
#include "harness/internal.h" /* hx_spawn, hx_stop, hx_tcp_open: the hello server */

#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define PATCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"
/* wrk.format with a header table drops the -H headers (the token): add to
 * them instead. */
#define CONTENT_TYPE "wrk.headers[\"Content-Type\"] = \"application/scim+json\"\n"

static struct bench_options opt = { .n = 100000, .seconds = 10, .connections = 32, .threads = 2 };

/* PostgreSQL as deployed: durable commits, PostgreSQL's default buffers. */
static const char *const durable_settings[] = { "fsync=on", "synchronous_commit=on",
						"full_page_writes=on", "shared_buffers=128MB",
						NULL };
static const char *const harness_settings[] = { "shared_buffers=128MB", NULL };

struct ctx {
	struct bench_stack st;
	char scim_token[128];
	char base[128]; /* http://127.0.0.1:PORT */
	char users_url[256];
	long long mark; /* an audit count taken between warm-up and measured run */
	char big[40], small[40]; /* -G: the two groups' ids */
};

/* ---- SCIM requests for setup and checks ---- */

static long scim(const struct ctx *c, const char *method, const char *path, const char *body,
		 json_t **out)
{
	char url[1024], auth[256];
	struct http_result res;
	long status;

	snprintf(url, sizeof(url), "%s%s", c->base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->scim_token);
	const char *hdrs[] = { auth, "Content-Type: application/scim+json", NULL };
	if (http_request(method, url, hdrs, body, body ? strlen(body) : 0, &res) != 0)
		bench_die("%s %s: no answer", method, path);
	status = res.status;
	if (out != NULL)
		*out = http_result_json(&res);
	http_result_free(&res);
	return status;
}

/* The daemon's counter series from GET /metrics: -1 when it has none (a
 * daemon without that counter). */
static double daemon_metric(const struct ctx *c, const char *series)
{
	char url[256];
	struct http_result res;
	double v = -1;

	snprintf(url, sizeof(url), "%s/metrics", c->base);
	if (http_request("GET", url, NULL, NULL, 0, &res) == 0 && res.status == 200)
		v = metrics_text_sample(res.body, series);
	http_result_free(&res);
	return v;
}

/* The org, its SCIM connection (through the management API) and its token. */
static void connect_scim(struct ctx *c)
{
	char owner[128], url[256], auth[256];
	struct http_result res;
	json_t *doc;

	bench_owner_org(&c->st, "bench", owner, sizeof(owner));
	snprintf(url, sizeof(url), "%s/api/v1/orgs/bench/scim-connections", c->base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", owner);
	const char *hdrs[] = { "Content-Type: application/json", auth, NULL };
	const char *body = "{\"name\":\"bench\"}";
	if (http_request("POST", url, hdrs, body, strlen(body), &res) != 0 || res.status != 201 ||
	    (doc = http_result_json(&res)) == NULL)
		bench_die("SCIM connection creation failed");
	snprintf(c->scim_token, sizeof(c->scim_token), "%s",
		 json_string_value(json_object_get(doc, "token")));
	json_decref(doc);
	http_result_free(&res);
}

/* Okta's documented create body ("SCIM 2.0 with Okta"), for user n. The
 * numbers appear as "bench-user-<n>@", "ext-<n>" and " <n>\"" only, which
 * is what load_users substitutes. */
static char *okta_user(const char *n)
{
	char *body = NULL;

	if (asprintf(&body,
		     "{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"bench-user-%s@bench.example\","
		     "\"name\":{\"givenName\":\"Bench\",\"familyName\":\"User %s\"},"
		     "\"emails\":[{\"primary\":true,\"value\":\"bench-user-%s@bench.example\","
		     "\"type\":\"work\"}],\"displayName\":\"Bench User %s\",\"locale\":\"en-US\","
		     "\"externalId\":\"ext-%s\",\"groups\":[],\"active\":true}",
		     n, n, n, n, n) < 0)
		bench_die("out of memory");
	return body;
}

/* User 0 through SCIM; users 1..N-1 as copies of its stored row, with its
 * numbers replaced, in one statement. created_at steps by a microsecond so
 * the list order is the load order. The accounts behind them are made the
 * way provisioning makes them (email, display name). No audit events are
 * written for the copies: nothing measured reads them. */
static void load_users(struct ctx *c)
{
	char *body = okta_user("0"), *sql = NULL;
	json_t *doc = NULL;

	if (scim(c, "POST", "/scim/v2/Users", body, &doc) != 201)
		bench_die("POST of the template user failed");
	json_decref(doc);
	free(body);
	if (asprintf(&sql,
		     "WITH t AS (SELECT org_id, scim_connection_id, profile::text AS p, created_at"
		     "   FROM members WHERE source_kind = 'scim'"
		     "   AND username = 'bench-user-0@bench.example'),"
		     " a AS (INSERT INTO accounts (email, display_name)"
		     "   SELECT 'bench-user-' || g || '@bench.example', 'Bench User ' || g"
		     "   FROM generate_series(1, %d) g RETURNING id, email)"
		     " INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
		     "   scim_connection_id, external_id, profile, created_at, updated_at)"
		     " SELECT t.org_id, a.id, a.email, 'USER', 'active', 'scim', t.scim_connection_id,"
		     "   'ext-' || a.n, replace(replace(t.p, 'bench-user-0@', 'bench-user-' || a.n || '@'),"
		     "     ' 0\"', ' ' || a.n || '\"')::jsonb,"
		     "   t.created_at + a.n * interval '1 microsecond',"
		     "   t.created_at + a.n * interval '1 microsecond'"
		     " FROM t, (SELECT id, email, split_part(split_part(email, '@', 1), '-', 3)::int AS n"
		     "   FROM a) a",
		     opt.n - 1) < 0)
		bench_die("out of memory");
	if (pg_exec(c->st.conninfo, sql) != 0)
		bench_die("loading the users failed");
	free(sql);
	if (pg_exec(c->st.conninfo, "VACUUM ANALYZE") != 0 ||
	    pg_exec(c->st.conninfo, "CHECKPOINT") != 0)
		bench_die("VACUUM ANALYZE / CHECKPOINT failed");
}

/* s with every `from` replaced by `to` (malloc'd). */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	if ((out = malloc(strlen(s) + n * (nt + 1) + 1)) == NULL)
		bench_die("out of memory");
	for (o = out; (p = strstr(s, from)) != NULL; s = p + nf) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, to, nt);
		o += nt;
	}
	strcpy(o, s);
	return out;
}

/* The rendered User without what differs between users anyway (id, meta),
 * as sorted compact JSON. */
static char *comparable(json_t *user)
{
	char *text;

	json_object_del(user, "id");
	json_object_del(user, "meta");
	if ((text = json_dumps(user, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		bench_die("out of memory");
	return text;
}

static json_t *get_user_by_name(const struct ctx *c, long n, json_t **list)
{
	char path[256];

	snprintf(path, sizeof(path),
		 "/scim/v2/Users?filter=userName%%20eq%%20%%22bench-user-%ld%%40bench.example%%22", n);
	if (scim(c, "GET", path, NULL, list) != 200 || *list == NULL ||
	    json_integer_value(json_object_get(*list, "totalResults")) != 1)
		bench_die("filter userName eq for user %ld did not find exactly one", n);
	return json_array_get(json_object_get(*list, "Resources"), 0);
}

/* A few loaded users, found by filter and read by id, must render exactly
 * like user 0 with their number in place of 0; the list must count N. */
static void check_users(const struct ctx *c)
{
	const long picks[] = { 1, 2, opt.n / 3, opt.n / 2, opt.n - 1 };
	json_t *list = NULL, *doc = NULL;
	char path[256], num[24], from[64], to[64], *want0, *want, *tmp, *got;

	want0 = comparable(json_deep_copy(get_user_by_name(c, 0, &list)));
	json_decref(list);
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		long n = picks[i];
		if (n < 1 || n >= opt.n)
			continue;
		snprintf(num, sizeof(num), "%ld", n);
		json_t *found = get_user_by_name(c, n, &list);
		snprintf(path, sizeof(path), "/scim/v2/Users/%s",
			 json_string_value(json_object_get(found, "id")));
		if (scim(c, "GET", path, NULL, &doc) != 200 || doc == NULL ||
		    !json_equal(doc, found))
			bench_die("GET %s does not match the filter's answer", path);
		/* The numbers appear as "bench-user-<n>@", "ext-<n>" and " <n>\"". */
		snprintf(from, sizeof(from), "bench-user-%s@", num);
		tmp = replace_all(want0, "bench-user-0@", from);
		snprintf(from, sizeof(from), "ext-%s\"", num);
		want = replace_all(tmp, "ext-0\"", from);
		free(tmp);
		snprintf(to, sizeof(to), " %s\"", num);
		tmp = replace_all(want, " 0\"", to);
		free(want);
		got = comparable(doc);
		if (strcmp(tmp, got) != 0)
			bench_die("user %ld renders differently from user 0:\n  %s\n  %s", n, got, tmp);
		free(tmp);
		free(got);
		json_decref(doc);
		json_decref(list);
	}
	free(want0);
	if (scim(c, "GET", "/scim/v2/Users?count=1", NULL, &list) != 200 ||
	    json_integer_value(json_object_get(list, "totalResults")) != opt.n)
		bench_die("the list does not count %d users", opt.n);
	json_decref(list);
	fprintf(stderr, "bench: %d users loaded; %zu checked through GET and filter\n", opt.n,
		sizeof(picks) / sizeof(picks[0]));
}

/* ---- wrk scripts ---- */

/* A wrk script as two files: for the warm-up (printing the first non-2xx
 * answer of each thread) and for the measured run. Both start with the
 * prelude (ids, slot, mine) and define `tag` ("w" / "m"), which tells the
 * runs' new user names apart. */
struct lua_pair {
	char *warm, *run;
};

static struct lua_pair lua_pair(const char *ids, const char *body)
{
	struct lua_pair p;
	char *text = NULL;

	for (int i = 0; i < 2; i++) {
		char *prelude = bench_lua_prelude(ids, opt.threads, i == 0);
		if (asprintf(&text, "%slocal tag = \"%s\"\n%s", prelude, i == 0 ? "w" : "m",
			     body) < 0)
			bench_die("out of memory");
		*(i == 0 ? &p.warm : &p.run) = bench_write_temp("script.lua", text);
		free(text);
		free(prelude);
	}
	return p;
}

static void lua_pair_free(struct lua_pair *p)
{
	free(p->warm);
	free(p->run);
}

/* GET by id: a random loaded user. */
static const char lua_get[] =
	"request = function()\n"
	"  return wrk.format(\"GET\", \"/scim/v2/Users/\" .. ids[math.random(#ids)])\n"
	"end\n";

/* POST: Okta's create body, with user names no run used before. */
static const char lua_post[] =
	CONTENT_TYPE
	"local k = 0\n"
	"request = function()\n"
	"  k = k + 1\n"
	"  local n = tag .. \"-\" .. slot .. \"-\" .. k\n"
	"  return wrk.format(\"POST\", \"/scim/v2/Users\", nil,\n"
	"    '{\"schemas\":[\"" USER_SCHEMA "\"],\"userName\":\"post-' .. n ..\n"
	"    '@bench.example\",\"name\":{\"givenName\":\"Post\",\"familyName\":\"' .. n ..\n"
	"    '\"},\"emails\":[{\"primary\":true,\"value\":\"post-' .. n ..\n"
	"    '@bench.example\",\"type\":\"work\"}],\"displayName\":\"Post ' .. n ..\n"
	"    '\",\"locale\":\"en-US\",\"externalId\":\"post-' .. n ..\n"
	"    '\",\"groups\":[],\"active\":true}')\n"
	"end\n";

/* PATCH: Okta's path-less replace of active. Each thread toggles its own
 * users; all start active (reactivate_all), so every request is a real
 * change: a suspension, and a reactivation when a thread comes round. */
static const char lua_patch[] =
	CONTENT_TYPE
	"local active, k = {}, 0\n"
	"request = function()\n"
	"  local i = mine(k)\n"
	"  k = k + 1\n"
	"  active[i] = (active[i] == false)\n"
	"  return wrk.format(\"PATCH\", \"/scim/v2/Users/\" .. ids[i], nil,\n"
	"    '{\"schemas\":[\"" PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"replace\","
	"\"value\":{\"active\":' .. tostring(active[i]) .. '}}]}')\n"
	"end\n";

static long long audit_count(const struct ctx *c, const char *actions)
{
	char sql[256], *v;
	long long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_events WHERE action IN (%s)",
		 actions);
	v = pg_query_value(c->st.conninfo, sql);
	n = v ? atoll(v) : -1;
	free(v);
	return n;
}

#define PROVISIONED "'member.provisioned'"
#define STATUS_CHANGES "'member.suspended', 'member.reactivated'"

static void mark_provisioned(struct ctx *c)
{
	c->mark = audit_count(c, PROVISIONED);
}

/* Every SCIM user active again, as the PATCH script assumes. */
static void reactivate_all(struct ctx *c)
{
	if (pg_exec(c->st.conninfo, "UPDATE members SET status = 'active'"
				    " WHERE status = 'suspended' AND source_kind = 'scim'") != 0)
		bench_die("cannot reactivate the users");
	c->mark = audit_count(c, STATUS_CHANGES);
}

/* The database's part of a write alone: the rows a POST or a PATCH writes
 * (the member's status and its event; an account, a member and its event),
 * one prepared statement per transaction through pgbench, with no HTTP, no
 * daemon and no SCIM rules. The write targets compare requests with a
 * single-row INSERT; these rows tell how much of that gap is the rows
 * themselves (members' indexes, CHECK constraints and triggers). The
 * events are minimal, and their actions are not ones the counts above
 * read. */
static const char floor_setup_sql[] =
	"CREATE TABLE bench_member_ids AS SELECT row_number() OVER () AS n, org_id, id"
	"  FROM members WHERE source_kind = 'scim' AND status = 'active';"
	"CREATE UNIQUE INDEX ON bench_member_ids (n);"
	"CREATE TABLE bench_post_template AS SELECT org_id, scim_connection_id, profile"
	"  FROM members WHERE username = 'bench-user-0@bench.example';"
	"CREATE SEQUENCE bench_floor_seq;"
	"ANALYZE bench_member_ids;";

static const char floor_patch_script[] =
	"\\set n random(1, %ld)\n"
	"WITH u AS (UPDATE members m SET status = CASE m.status WHEN 'active' THEN 'suspended'"
	" ELSE 'active' END, updated_at = now() FROM bench_member_ids b"
	" WHERE b.n = :n AND m.org_id = b.org_id AND m.id = b.id"
	" RETURNING m.org_id, m.id, m.status)"
	" INSERT INTO audit_events (org_id, actor_label, source, action, target_type, target_id,"
	" before, after) SELECT org_id, 'bench', 'scim' || chr(58) || 'bench',"
	" 'bench.status_changed', 'member', id::text, jsonb_build_object('status',"
	" CASE status WHEN 'active' THEN 'suspended' ELSE 'active' END),"
	" jsonb_build_object('status', status) FROM u;\n";

static const char floor_post_script[] =
	"WITH a AS (INSERT INTO accounts (email, display_name)"
	" SELECT 'floor-' || s || '@bench.example', 'Floor ' || s"
	" FROM nextval('bench_floor_seq') s RETURNING id, email),"
	" m AS (INSERT INTO members (org_id, account_id, username, role, status, source_kind,"
	" scim_connection_id, external_id, profile) SELECT t.org_id, a.id, a.email, 'USER',"
	" 'active', 'scim', t.scim_connection_id, a.email, t.profile FROM a, bench_post_template t"
	" RETURNING org_id, id, username)"
	" INSERT INTO audit_events (org_id, actor_label, source, action, target_type, target_id,"
	" after) SELECT org_id, 'bench', 'scim' || chr(58) || 'bench', 'bench.provisioned',"
	" 'member', id::text, jsonb_build_object('id', id, 'username', username) FROM m;\n";

static void floor_rates(struct ctx *c, struct bench_result *post, struct bench_result *patch)
{
	char *n = NULL, *patch_text = NULL, *patch_sql, *post_sql;

	if (pg_exec(c->st.conninfo, floor_setup_sql) != 0 ||
	    (n = pg_query_value(c->st.conninfo, "SELECT count(*) FROM bench_member_ids")) == NULL ||
	    asprintf(&patch_text, floor_patch_script, atol(n)) < 0)
		bench_die("cannot set up the writes' own rows");
	patch_sql = bench_write_temp("floor_patch.sql", patch_text);
	post_sql = bench_write_temp("floor_post.sql", floor_post_script);
	const char *patch_args[] = { "-M", "prepared", "-f", patch_sql, NULL };
	const char *post_args[] = { "-M", "prepared", "-f", post_sql, NULL };
	*post = bench_pgbench(&c->st, post_args, "bench", opt.connections, opt.threads,
			      opt.seconds);
	*patch = bench_pgbench(&c->st, patch_args, "bench", opt.connections, opt.threads,
			       opt.seconds);
	free(n);
	free(patch_text);
	free(patch_sql);
	free(post_sql);
}

static const char *users_url_of(struct ctx *c)
{
	snprintf(c->users_url, sizeof(c->users_url), "%s/scim/v2/Users", c->base);
	return c->users_url;
}

/* ---- the hello server ---- */

static pid_t hello_start(unsigned *port)
{
	char path[700], portstr[16];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/bench/hello_server", harness_builddir());
	*port = harness_free_port();
	snprintf(portstr, sizeof(portstr), "%u", *port);
	const char *argv[] = { path, portstr, NULL };
	struct hx_spawn sp = { .argv = argv, .out_fd = -1, .err_fd = 2, .death_sig = SIGKILL,
			       .kill_sig = SIGKILL };
	if ((pid = hx_spawn(&sp)) < 0)
		bench_die("cannot start %s", path);
	for (int i = 0; i < 200 && !hx_tcp_open(*port); i++)
		hx_sleep_ms(25);
	if (!hx_tcp_open(*port))
		bench_die("%s does not listen on %u", path, *port);
	return pid;
}

/* ---- measuring ---- */

static void status_line(const char *field, pid_t pid, char *out, size_t cap)
{
	char path[64], line[256];
	FILE *f;

	snprintf(out, cap, "?");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, strlen(field)) == 0) {
			const char *v = line + strlen(field);
			v += strspn(v, " \t");
			snprintf(out, cap, "%.*s", (int)strcspn(v, "\n"), v);
		}
	}
	fclose(f);
}

/* The daemon's peak RSS (VmHWM) in kB since the last reset, then reset
 * it (clear_refs 5) so the next reading covers only what follows. */
static long rss_peak_take(pid_t pid)
{
	char v[64], path[64];
	FILE *f;

	status_line("VmHWM:", pid, v, sizeof(v));
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("5", f);
		fclose(f);
	}
	return atol(v);
}

/* A 2 s warm-up with warm_script, reset (may be NULL), then the measured
 * run with script_path; *peak_kb (may be NULL): the daemon's peak RSS
 * during the measured run. */
static struct bench_result measure(struct ctx *c, const char *path, const char *token,
				   const char *warm_script, const char *script_path,
				   void (*reset)(struct ctx *), long *peak_kb)
{
	struct bench_result r;

	char url[512];
	struct bench_wrk w = { .url = url, .token = token, .script = warm_script, .seconds = 2,
			       .connections = opt.connections, .threads = opt.threads };

	snprintf(url, sizeof(url), "%s", path);
	(void)bench_wrk(&w);
	if (reset != NULL)
		reset(c);
	w.script = script_path;
	w.seconds = opt.seconds;
	if (peak_kb != NULL)
		(void)rss_peak_take(c->st.d.pid);
	r = bench_wrk(&w);
	if (peak_kb != NULL)
		*peak_kb = rss_peak_take(c->st.d.pid);
	return r;
}

static void loadavg(char *out, size_t cap)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(out, cap, "?");
	if (f != NULL) {
		if (fgets(out, (int)cap, f) != NULL)
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static double max2(double a, double b)
{
	return a > b ? a : b;
}

static const char *verdict(bool met)
{
	return met ? "met" : "MISSED";
}

/* ---- -G: SCIM Groups at IdP scale ---- */

/* -G: a group of GROUP_BIG members beside one of GROUP_SMALL, each request
 * run against both, so big / small shows what grows with the group; the
 * loaded users after them are the spares the PATCHes add and remove. */
#define GROUP_BIG 20000
#define GROUP_SMALL 10
#define GROUP_SPARES 2000
#define GROUP_ACTIONS "'scim_group.members_changed'"

/* The loaded users (id, org_id, r) numbered r = 1, 2, ... in load order,
 * FIRST to LAST; the arguments are pasted as text (printf conversions). */
#define USERS_IN_ORDER(FIRST, LAST)                                                               \
	"SELECT id, org_id, r FROM (SELECT id, org_id, row_number() OVER (ORDER BY created_at, id)" \
	" AS r FROM members WHERE source_kind = 'scim') u WHERE r BETWEEN " #FIRST " AND " #LAST

/* Users first..last join group id in load order (those already in it
 * stay): pg_exec's status. */
static int add_members(struct ctx *c, const char *id, long first, long last)
{
	char *sql = NULL;
	int rc;

	if (asprintf(&sql,
		     "INSERT INTO team_members (team_id, member_id, org_id, created_at)"
		     " SELECT '%s', u.id, u.org_id, now() + u.r * interval '1 microsecond' FROM ("
		     USERS_IN_ORDER(%ld, %ld) ") u ON CONFLICT DO NOTHING", id, first, last) < 0)
		bench_die("out of memory");
	rc = pg_exec(c->st.conninfo, sql);
	free(sql);
	return rc;
}

/* A group through SCIM (POST, no members), its members loaded with SQL:
 * users first..last. Its id into id (cap >= 40). */
static void load_group(struct ctx *c, const char *name, long first, long last, char *id)
{
	char body[256];
	json_t *doc = NULL;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
		 "\"displayName\":\"%s\",\"members\":[]}", name);
	if (scim(c, "POST", "/scim/v2/Groups", body, &doc) != 201 || doc == NULL)
		bench_die("POST of group %s failed", name);
	snprintf(id, 40, "%s", json_string_value(json_object_get(doc, "id")));
	json_decref(doc);
	if (add_members(c, id, first, last) != 0)
		bench_die("loading the members of %s failed", name);
}

/* The group's member count as GET renders it. */
static long group_size(const struct ctx *c, const char *id)
{
	char path[128];
	json_t *doc = NULL;
	long n;

	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	if (scim(c, "GET", path, NULL, &doc) != 200 || doc == NULL)
		bench_die("GET %s failed", path);
	n = (long)json_array_size(json_object_get(doc, "members"));
	json_decref(doc);
	return n;
}

/* The PUT bodies: the group as loaded (a), and with its last member swapped
 * for the last spare (b). Alternating them, each PUT changes one member. */
static char *put_body(const struct ctx *c, const char *id, bool swapped, const char *file)
{
	char *sql = NULL, *v, *path;

	if (asprintf(&sql,
		     "SELECT json_build_object('schemas', json_build_array("
		     "'urn:ietf:params:scim:schemas:core:2.0:Group'), 'displayName', t.name,"
		     " 'members', (SELECT json_agg(json_build_object('value', CASE WHEN %s AND"
		     " tm.member_id = (SELECT member_id FROM team_members WHERE team_id = t.id"
		     " ORDER BY created_at DESC, member_id DESC LIMIT 1) THEN (SELECT id FROM"
		     " members WHERE source_kind = 'scim' ORDER BY created_at DESC, id DESC LIMIT 1)"
		     " ELSE tm.member_id END) ORDER BY tm.created_at, tm.member_id)"
		     " FROM team_members tm WHERE tm.team_id = t.id)) FROM teams t WHERE t.id = '%s'",
		     swapped ? "true" : "false", id) < 0 ||
	    (v = pg_query_value(c->st.conninfo, sql)) == NULL)
		bench_die("cannot build the PUT body of %s", id);
	free(sql);
	path = bench_write_temp(file, v);
	free(v);
	return path;
}

/* Both groups back to their loaded members (the PUTs swap one out, the
 * PATCHes add spares): each run starts from the same groups. Marks the
 * audit count. */
static void groups_reset(struct ctx *c)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "DELETE FROM team_members WHERE team_id IN ('%s', '%s') AND member_id IN"
		 " (SELECT id FROM (" USERS_IN_ORDER(%d, 2147483647) ") s)",
		 c->big, c->small, GROUP_BIG + GROUP_SMALL + 1);
	/* Requests wrk left in flight may still hold the rows (a slow PUT). */
	for (int i = 0; pg_exec(c->st.conninfo, sql) != 0 || add_members(c, c->big, 1, GROUP_BIG) != 0 ||
			add_members(c, c->small, GROUP_BIG + 1, GROUP_BIG + GROUP_SMALL) != 0;
	     i++) {
		if (i == 30)
			bench_die("cannot reset the groups");
		hx_sleep_ms(1000);
	}
	c->mark = audit_count(c, GROUP_ACTIONS);
}

/* PATCH one member in, one out, alternately: request 2p adds spare mine(p),
 * request 2p+1 removes the spare added LAG pairs before (long committed, so
 * the removal is real). %s: the group id, then the add and the remove
 * operations with ID where the member id goes. */
static char *toggle_lua(const char *group, const char *add_op, const char *remove_op)
{
	char *text = NULL;

	if (asprintf(&text,
		     CONTENT_TYPE
		     "local k, LAG = 0, 64\n"
		     "local function op(o, id) return (o:gsub('ID', id)) end\n"
		     "request = function()\n"
		     "  local p, add = math.floor(k / 2), k %% 2 == 0\n"
		     "  k = k + 1\n"
		     "  local o = add and op('%s', ids[mine(p)]) or op('%s', ids[mine(p - LAG)])\n"
		     "  return wrk.format(\"PATCH\", \"/scim/v2/Groups/%s\", nil,\n"
		     "    '{\"schemas\":[\"" PATCH_SCHEMA "\"],\"Operations\":[' .. o .. ']}')\n"
		     "end\n",
		     add_op, remove_op, group) < 0)
		bench_die("out of memory");
	return text;
}

static char *put_lua(const char *group, const char *a, const char *b)
{
	char *text = NULL;

	if (asprintf(&text,
		     CONTENT_TYPE
		     "local function slurp(p) local f = io.open(p) local s = f:read('*a') f:close()"
		     " return s end\n"
		     "local a, b, k = slurp('%s'), slurp('%s'), 0\n"
		     "request = function()\n"
		     "  k = k + 1\n"
		     "  return wrk.format(\"PUT\", \"/scim/v2/Groups/%s\", nil, k %% 2 == 1 and b or a)\n"
		     "end\n",
		     a, b, group) < 0)
		bench_die("out of memory");
	return text;
}

static char *get_lua_of(const char *path)
{
	char *text = NULL;

	if (asprintf(&text, "request = function() return wrk.format(\"GET\", \"%s\") end\n",
		     path) < 0)
		bench_die("out of memory");
	return text;
}

enum { G_OKTA, G_ENTRA, G_PUT, G_GET, G_FIND, G_FIND_ALL, G_KINDS };
static const char *const g_labels[G_KINDS] = {
	"PATCH add / remove members[value eq] (Okta)",
	"PATCH Add / Remove value [1] (Entra)",
	"PUT whole list, one member changed",
	"GET /Groups/{id}?excludedAttributes=members",
	"GET ?filter=displayName eq &excl.=members",
	"GET ?filter=displayName eq (with members)",
};

/* One request kind against one group: the script, the measured result,
 * and the membership changes audited during the measured run. */
static struct bench_result group_run(struct ctx *c, int kind, const char *id, const char *name,
				     const char *spares, const char *const put[2],
				     long long *changes)
{
	char path[256], *body;
	struct bench_result r;

	switch (kind) {
	case G_OKTA:
		body = toggle_lua(id, "{\"op\":\"add\",\"path\":\"members\",\"value\":"
				      "[{\"value\":\"ID\"}]}",
				  /* \\" in Lua's quotes: \" in the JSON */
				  "{\"op\":\"remove\",\"path\":\"members[value eq \\\\\"ID\\\\\"]\"}");
		break;
	case G_ENTRA:
		body = toggle_lua(id, "{\"op\":\"Add\",\"path\":\"members\",\"value\":"
				      "[{\"value\":\"ID\"}]}",
				  "{\"op\":\"Remove\",\"path\":\"members\",\"value\":"
				  "[{\"value\":\"ID\"}]}");
		break;
	case G_PUT:
		body = put_lua(id, put[0], put[1]);
		break;
	case G_GET:
		snprintf(path, sizeof(path), "/scim/v2/Groups/%s?excludedAttributes=members", id);
		body = get_lua_of(path);
		break;
	default:
		snprintf(path, sizeof(path),
			 "/scim/v2/Groups?filter=displayName%%20eq%%20%%22%s%%22%s", name,
			 kind == G_FIND ? "&excludedAttributes=members" : "");
		body = get_lua_of(path);
		break;
	}
	struct lua_pair lp = lua_pair(spares, body);
	snprintf(path, sizeof(path), "%s/scim/v2/Groups", c->base);
	/* A whole member list (a PUT, a GET with members) is one request per
	 * wrk thread at a time: an IdP sends those one by one, and 32 parallel
	 * 3.5 MB renders on two cores would measure the queue. */
	int connections = opt.connections;
	if (kind == G_PUT || kind == G_FIND_ALL)
		opt.connections = opt.threads;
	r = measure(c, path, c->scim_token, lp.warm, lp.run, groups_reset, NULL);
	opt.connections = connections;
	*changes = audit_count(c, GROUP_ACTIONS) - c->mark;
	lua_pair_free(&lp);
	free(body);
	return r;
}

static int groups_main(struct ctx *c)
{
	char load[128], load_after[128], *put_big[2], *put_small[2];
	long n_spares;

	if (opt.n < GROUP_BIG + GROUP_SMALL + GROUP_SPARES)
		bench_die("-G needs -n of at least %d", GROUP_BIG + GROUP_SMALL + GROUP_SPARES);
	load_group(c, "big", 1, GROUP_BIG, c->big);
	load_group(c, "small", GROUP_BIG + 1, GROUP_BIG + GROUP_SMALL, c->small);
	if (pg_exec(c->st.conninfo, "VACUUM ANALYZE") != 0)
		bench_die("VACUUM ANALYZE failed");
	if (group_size(c, c->big) != GROUP_BIG || group_size(c, c->small) != GROUP_SMALL)
		bench_die("the groups do not render %d and %d members", GROUP_BIG, GROUP_SMALL);
	char spares_sql[256];
	snprintf(spares_sql, sizeof(spares_sql), "SELECT id FROM (" USERS_IN_ORDER(%d, %d) ") s",
		 GROUP_BIG + GROUP_SMALL + 1, GROUP_BIG + GROUP_SMALL + GROUP_SPARES);
	char *spares = bench_ids_file(c->st.conninfo, spares_sql, &n_spares);
	put_big[0] = put_body(c, c->big, false, "put_big_a.json");
	put_big[1] = put_body(c, c->big, true, "put_big_b.json");
	put_small[0] = put_body(c, c->small, false, "put_small_a.json");
	put_small[1] = put_body(c, c->small, true, "put_small_b.json");
	if (opt.flags['S']) {
		printf("orgbridged pid %d at %s/scim/v2\nSCIM token: %s\nPostgreSQL: %s\n"
		       "groups: big %s, small %s; spare user ids in %s; PUT bodies %s %s\n"
		       "press Enter to stop\n",
		       (int)c->st.d.pid, c->base, c->scim_token, c->st.conninfo, c->big, c->small,
		       spares, put_big[0], put_big[1]);
		fflush(stdout);
		(void)getchar();
		return bench_stack_stop(&c->st) == 0 ? 0 : 1;
	}
	loadavg(load, sizeof(load));
	fprintf(stderr, "bench: groups of %d and %d members, %d spares; load average %s\n",
		GROUP_BIG, GROUP_SMALL, (int)n_spares, load);

	struct bench_result rb[G_KINDS], rs[G_KINDS];
	long long cb[G_KINDS], cs[G_KINDS];
	for (int k = 0; k < G_KINDS; k++) {
		/* Big, then small, adjacent: the ratio is taken within a run. */
		rb[k] = group_run(c, k, c->big, "big", spares, (const char *const *)put_big, &cb[k]);
		rs[k] = group_run(c, k, c->small, "small", spares, (const char *const *)put_small,
				  &cs[k]);
	}
	loadavg(load_after, sizeof(load_after));
	bench_print_header();
	printf("each request on the %d-member group (ratio: to the same request on the"
	       " %d-member group below it)\n", GROUP_BIG, GROUP_SMALL);
	for (int k = 0; k < G_KINDS; k++) {
		char label[128];
		snprintf(label, sizeof(label), "%s, %d", g_labels[k], GROUP_BIG);
		bench_print_row(label, &rb[k], rs[k].rate);
		snprintf(label, sizeof(label), "%s, %d", g_labels[k], GROUP_SMALL);
		bench_print_row(label, &rs[k], rs[k].rate);
	}
	printf("\nmembership changes audited during the measured runs (requests wrk completed):\n");
	for (int k = 0; k < G_PUT + 1; k++)
		printf("  %-45s %lld (%ld) / %lld (%ld)\n", g_labels[k], cb[k], rb[k].requests, cs[k],
		       rs[k].requests);
	printf("%d connections (PUT and GET with members: %d), %d wrk threads, %d s per run (after"
	       " 2 s warm-up); load average before: %s; after: %s\n",
	       opt.connections, opt.threads, opt.threads, opt.seconds, load, load_after);
	free(spares);
	for (int i = 0; i < 2; i++) {
		free(put_big[i]);
		free(put_small[i]);
	}
	return bench_stack_stop(&c->st) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ctx c;
	char load_before[128], load_after[128], rss[64];
	bench_parse_options(argc, argv,
			    "scim_bench [-n users] [-d seconds] [-c connections] [-t threads]"
			    " [-F (PostgreSQL with fsync off)] [-S (set up, then wait)]"
			    " [-G (Groups: 20000 members beside 10; -n at least 22010)]",
			    "FSG", &opt);
	if (opt.n < 200)
		bench_die("use at least 200 users");
	bool durable = !opt.flags['F'];

	memset(&c, 0, sizeof(c));
	/* -G PUTs a whole 20,000-member list: about 1 MB of JSON. */
	bench_stack_start(&c.st, durable ? durable_settings : harness_settings,
			  opt.flags['G'] ? "[server]\nmax_body_bytes = 16M\n" : NULL);
	snprintf(c.base, sizeof(c.base), "%s", c.st.d.base_url);
	connect_scim(&c);
	fprintf(stderr, "bench: loading %d users\n", opt.n);
	load_users(&c);
	check_users(&c);
	if (opt.flags['G'])
		return groups_main(&c);

	/* Scripts: ids of the loaded users, each thread with its own seed. */
	long n_ids;
	char *ids = bench_ids_file(c.st.conninfo,
				   "SELECT id FROM members WHERE source_kind = 'scim'"
				   " AND status = 'active' ORDER BY id", &n_ids);
	char *filter_body = NULL, *page_body = NULL;
	if (asprintf(&filter_body,
		     "request = function()\n"
		     "  return wrk.format(\"GET\", \"/scim/v2/Users?filter=userName%%20eq%%20"
		     "%%22bench-user-\" .. math.random(0, %d) .. \"%%40bench.example%%22\")\n"
		     "end\n",
		     opt.n - 1) < 0 ||
	    asprintf(&page_body,
		     "request = function()\n"
		     "  return wrk.format(\"GET\", \"/scim/v2/Users?startIndex=\" ..\n"
		     "    math.random(1, %d) .. \"&count=100\")\n"
		     "end\n",
		     opt.n - 99) < 0)
		bench_die("out of memory");
	struct lua_pair get_lua = lua_pair(ids, lua_get), filter_lua = lua_pair(ids, filter_body),
			page_lua = lua_pair(ids, page_body), post_lua = lua_pair(ids, lua_post),
			patch_lua = lua_pair(ids, lua_patch);
	free(filter_body);
	free(page_body);
	if (opt.flags['S']) {
		/* Set up only, for profiling by hand (docs/BENCH.md). */
		printf("orgbridged pid %d at %s\nSCIM token: %s\nPostgreSQL: %s\n"
		       "wrk scripts (add -H \"Authorization: Bearer <token>\" and the URL):\n"
		       "  GET by id  %s\n  filter eq  %s\n  page       %s\n  POST       %s\n"
		       "  PATCH      %s (all users active first)\n"
		       "press Enter to stop\n",
		       (int)c.st.d.pid, users_url_of(&c), c.scim_token, c.st.conninfo, get_lua.run,
		       filter_lua.run, page_lua.run, post_lua.run, patch_lua.run);
		fflush(stdout);
		(void)getchar();
		return bench_stack_stop(&c.st) == 0 ? 0 : 1;
	}

	/* Loading and checking: the first part of the daemon's peak RSS. */
	long setup_peak = rss_peak_take(c.st.d.pid);
	loadavg(load_before, sizeof(load_before));
	fprintf(stderr, "bench: %d s per run, %d connections, %d threads, load average %s\n",
		opt.seconds, opt.connections, opt.threads, load_before);

	/* Baselines. pgbench at the wrk connection count and at the daemon's
	 * pool size (8); the higher rate is the ceiling. */
	bench_pgbench_init(&c.st, 10);
	if (pg_exec(c.st.pgbench_conninfo,
		    "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, name text NOT NULL,"
		    " created_at timestamptz NOT NULL DEFAULT now())") != 0)
		bench_die("cannot create the INSERT table");
	char *insert_sql = bench_write_temp("insert.sql",
					    "INSERT INTO bench_insert (name) VALUES ('bench');\n");
	const char *select_only[] = { "-S", NULL };
	const char *insert[] = { "-f", insert_sql, NULL };
	const char *durable_db = "dbname=pgbench options='-c synchronous_commit=on'";
	const char *async_db = "dbname=pgbench options='-c synchronous_commit=off'";
	struct bench_result sel_c = bench_pgbench(&c.st, select_only, "pgbench", opt.connections,
						  opt.threads, opt.seconds);
	struct bench_result sel_8 = bench_pgbench(&c.st, select_only, "pgbench", 8, opt.threads,
						  opt.seconds);
	struct bench_result ins_c = bench_pgbench(&c.st, insert, durable_db, opt.connections,
						  opt.threads, opt.seconds);
	struct bench_result ins_8 = bench_pgbench(&c.st, insert, durable_db, 8, opt.threads,
						  opt.seconds);
	struct bench_result ins_async = bench_pgbench(&c.st, insert, async_db, opt.connections,
						      opt.threads, opt.seconds);
	double read_ceiling = max2(sel_c.rate, sel_8.rate);
	double write_ceiling = max2(ins_c.rate, ins_8.rate);
	if (read_ceiling <= 0 || write_ceiling <= 0)
		bench_die("pgbench reported no rate");

	unsigned hello_port;
	pid_t hello = hello_start(&hello_port);
	char hello_url[128];
	snprintf(hello_url, sizeof(hello_url), "http://127.0.0.1:%u/", hello_port);
	struct bench_result r_hello = measure(&c, hello_url, NULL, NULL, NULL, NULL, NULL);
	hx_stop(hello, SIGTERM, 5000);

	const char *users_url = users_url_of(&c);
	const char *tok = c.scim_token;
	long peak[5];
	struct bench_result r_get = measure(&c, users_url, tok, get_lua.warm, get_lua.run, NULL,
					    &peak[0]);
	struct bench_result r_filter = measure(&c, users_url, tok, filter_lua.warm, filter_lua.run,
					       NULL, &peak[1]);
	/* Changes are counted from the audit log: provisioned users and status
	 * changes must match the requests wrk completed (give or take the ones
	 * in flight when it stopped). */
	static const char *const batched[] = { "orgbridge_scim_user_creates_together_total",
						"orgbridge_scim_user_create_rounds_total",
						"orgbridge_scim_user_creates_alone_total" };
	double post_batches[3];
	for (int i = 0; i < 3; i++)
		post_batches[i] = daemon_metric(&c, batched[i]);
	struct bench_result r_post = measure(&c, users_url, tok, post_lua.warm, post_lua.run,
					     mark_provisioned, &peak[2]);
	long long provisioned = audit_count(&c, PROVISIONED) - c.mark;
	for (int i = 0; i < 3; i++)
		post_batches[i] = post_batches[i] < 0 ? -1 : daemon_metric(&c, batched[i]) - post_batches[i];
	struct bench_result r_patch = measure(&c, users_url, tok, patch_lua.warm, patch_lua.run,
					      reactivate_all, &peak[3]);
	long long toggled = audit_count(&c, STATUS_CHANGES) - c.mark;
	struct bench_result r_page = measure(&c, users_url, tok, page_lua.warm, page_lua.run, NULL,
					     &peak[4]);

	struct bench_result floor_post, floor_patch;
	floor_rates(&c, &floor_post, &floor_patch);

	long hwm_kb = setup_peak;
	for (size_t i = 0; i < sizeof(peak) / sizeof(peak[0]); i++)
		hwm_kb = peak[i] > hwm_kb ? peak[i] : hwm_kb;
	status_line("VmRSS:", c.st.d.pid, rss, sizeof(rss));
	loadavg(load_after, sizeof(load_after));

	bench_print_header();
	char label[128];
	printf("reads: ratio to the higher pgbench -S rate\n");
	snprintf(label, sizeof(label), "pgbench -S, %d clients", opt.connections);
	bench_print_row(label, &sel_c, read_ceiling);
	bench_print_row("pgbench -S, 8 clients", &sel_8, read_ceiling);
	bench_print_row("hello_server (libmicrohttpd, no work)", &r_hello, read_ceiling);
	bench_print_row("GET /Users/{id}", &r_get, read_ceiling);
	bench_print_row("GET /Users?filter=userName eq", &r_filter, read_ceiling);
	bench_print_row("GET /Users?startIndex=random&count=100", &r_page, read_ceiling);
	/* With -F, synchronous_commit=on waits for nothing: not durable. */
	const char *ins = durable ? "durable INSERT" : "INSERT (fsync off)";
	printf("writes: ratio to the higher %s rate\n", ins);
	snprintf(label, sizeof(label), "pgbench INSERT, synchronous_commit=on, %d clients",
		 opt.connections);
	bench_print_row(label, &ins_c, write_ceiling);
	bench_print_row("pgbench INSERT, synchronous_commit=on, 8 clients", &ins_8, write_ceiling);
	snprintf(label, sizeof(label), "pgbench INSERT, synchronous_commit=off, %d clients",
		 opt.connections);
	bench_print_row(label, &ins_async, write_ceiling);
	bench_print_row("POST /Users (unique users)", &r_post, write_ceiling);
	bench_print_row("PATCH /Users/{id} active toggle (Okta)", &r_patch, write_ceiling);
	snprintf(label, sizeof(label), "pgbench: a POST's rows alone, %d clients", opt.connections);
	bench_print_row(label, &floor_post, write_ceiling);
	snprintf(label, sizeof(label), "pgbench: a PATCH's rows alone, %d clients", opt.connections);
	bench_print_row(label, &floor_patch, write_ceiling);

	printf("\nN = %d users; %d connections, %d wrk threads, %d s per run (after 2 s warm-up);\n"
	       "PostgreSQL: %s; orgbridged pool: 8 connections.\n"
	       "users provisioned (audited) during the POST run: %lld (wrk completed %ld)\n"
	       "suspensions/reactivations (audited) during the PATCH run: %lld (wrk completed %ld)\n"
	       "orgbridged peak RSS (VmHWM): %.1f MB; at the end (VmRSS): %s\n"
	       "  peak by phase, MB: setup %.1f, GET %.1f, filter %.1f, POST %.1f, PATCH %.1f,"
	       " page %.1f (warm-ups not included)\n"
	       "load average before: %s; after: %s\n",
	       opt.n, opt.connections, opt.threads, opt.seconds,
	       durable ? "fsync=on, synchronous_commit=on, full_page_writes=on"
			   : "the harness's fsync=off, synchronous_commit=off (-F)",
	       provisioned, r_post.requests, toggled, r_patch.requests, hwm_kb / 1024.0, rss,
	       setup_peak / 1024.0, peak[0] / 1024.0, peak[1] / 1024.0, peak[2] / 1024.0,
	       peak[3] / 1024.0, peak[4] / 1024.0, load_before, load_after);
	if (post_batches[0] >= 0)
		printf("POSTs written together (warm-up and run): %.0f in %.0f batch transactions"
		       " (mean %.1f); %.0f ran alone\n",
		       post_batches[0], post_batches[1],
		       post_batches[1] > 0 ? post_batches[0] / post_batches[1] : 0, post_batches[2]);
	else
		printf("POSTs written together: not counted by this daemon\n");
	printf("\ntargets (issue 4):\n"
	       "  GET by id   >= 0.50 of pgbench -S: %.2f %s; p99 < 20 ms: %.1f %s\n"
	       "  filter eq   >= 0.50 of pgbench -S: %.2f %s; p99 < 20 ms: %.1f %s\n"
	       "  POST        >= 0.50 of %s: %.2f %s\n"
	       "  PATCH       >= 0.50 of %s: %.2f %s\n"
	       "  peak RSS    < 100 MB: %.1f MB %s\n"
	       "the writes against their own rows alone (pgbench, no HTTP, no daemon):\n"
	       "  POST  %.2f of its rows' rate, which is %.2f of the %s\n"
	       "  PATCH %.2f of its rows' rate, which is %.2f of the %s\n",
	       r_get.rate / read_ceiling, verdict(r_get.rate >= 0.5 * read_ceiling), r_get.p99_ms,
	       verdict(r_get.p99_ms > 0 && r_get.p99_ms < 20), r_filter.rate / read_ceiling,
	       verdict(r_filter.rate >= 0.5 * read_ceiling), r_filter.p99_ms,
	       verdict(r_filter.p99_ms > 0 && r_filter.p99_ms < 20), ins, r_post.rate / write_ceiling,
	       verdict(r_post.rate >= 0.5 * write_ceiling), ins, r_patch.rate / write_ceiling,
	       verdict(r_patch.rate >= 0.5 * write_ceiling), hwm_kb / 1024.0,
	       verdict(hwm_kb > 0 && hwm_kb < 100 * 1024),
	       floor_post.rate > 0 ? r_post.rate / floor_post.rate : 0,
	       floor_post.rate / write_ceiling, ins,
	       floor_patch.rate > 0 ? r_patch.rate / floor_patch.rate : 0,
	       floor_patch.rate / write_ceiling, ins);

	free(ids);
	lua_pair_free(&get_lua);
	lua_pair_free(&filter_lua);
	lua_pair_free(&page_lua);
	lua_pair_free(&post_lua);
	lua_pair_free(&patch_lua);
	free(insert_sql);
	return bench_stack_stop(&c.st) == 0 ? 0 : 1;
}
