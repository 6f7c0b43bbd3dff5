/* LDAP sync at directory scale (docs/BENCH.md, issue 5 "Benchmark"). Run by
 * hand through bench/ldap-sync, not by make check.
 *
 * A generated directory (scripts/gen-ldif: 100,000 users, 2,000 groups, each
 * user in 3 of them, the first 3 groups also hold 20,000 members each) is
 * loaded into a private slapd. Entries carry modifyTimestamps one second
 * apart in the past, as in a directory that has lived a while (all entries
 * stamped by one slapadd second would make every incremental run re-read
 * them). PostgreSQL gets the schema and the org "bench" with its owner
 * (through the API of a real orgbridged), 100 directory teams and mappings
 * for every even-numbered group: half of them to a role (USER, VIEWER, a few
 * ADMIN), half to a team. Then, one after the other in this process:
 *   ldapsearch paged dump of the users, then of the groups with their member
 *     values (the attributes the sync reads), twice: the second is the baseline
 *   the first full sync             (everyone provisioned)
 *   its rows alone                  (copied by SQL into a second org, rolled back)
 *   a no-change full re-sync
 *   100 changes through LDAP modify (attribute edits and membership edits)
 *   an incremental sync
 *   a full sync after it            (a check: it must find nothing left to do)
 * Every sync is sync_run() in this process with the daemon's LDAP reader
 * (timed: the LDAP s column), so its peak RSS is this process's VmHWM (reset
 * through /proc/self/clear_refs before each step).
 *
 * Options: -u users, -g groups, -b big groups, -s their size, -c changes
 * before the incremental run, -p MS: PostgreSQL logs the statements slower
 * than MS ms to its postgres.log (profiling; OB_KEEP_TMP=1 keeps it, remove
 * the directories afterwards). */
#include <fcntl.h>
#include <getopt.h>
#include <ldap.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "store/db.h"
#include "sync/run.h"

#define DIRECTORY "bench"
#define PEOPLE "ou=people,dc=example,dc=org"
#define GROUPS "ou=groups,dc=example,dc=org"
#define TEAMS 100

extern char **environ;

static struct {
	int users, groups, per_user, big_groups, big_size, changes;
	int pg_log_ms; /* -1: PostgreSQL logs no statements */
	int orgs;      /* orgs mapping the directory alike: bench, bench-2, ... */
} opt = { 100000, 2000, 3, 3, 20000, 100, -1, 1 };

struct step {
	const char *label;
	double seconds;
	double read_s; /* of which reading the directory (the reader's calls) */
	long peak_kb;  /* -1: not measured (another process) */
	double pg_cpu_s, own_cpu_s; /* CPU of the run's PostgreSQL backend, of this process */
	char result[256];
};

/* The daemon's LDAP reader, timed: how much of a run is reading LDAP. */
static double read_seconds;

static int timed_read(void *arg, const struct directory_config *dir, bool full,
		      const char *watermark, struct dir_snapshot *out, char *err, size_t errcap)
{
	struct sync_reader r = sync_ldap_reader();
	double t0 = bench_now();
	int rc;

	(void)arg;
	rc = r.read(r.arg, dir, full, watermark, out, err, errcap);
	read_seconds += bench_now() - t0;
	return rc;
}

static int timed_fetch(void *arg, const struct directory_config *dir, const char *const *values,
		       size_t n, struct dir_snapshot *snap, char *err, size_t errcap)
{
	struct sync_reader r = sync_ldap_reader();
	double t0 = bench_now();
	int rc;

	(void)arg;
	rc = r.fetch(r.arg, dir, values, n, snap, err, errcap);
	read_seconds += bench_now() - t0;
	return rc;
}

/* ------------------------------------------------------------ the directory */

/* gen-ldif's output with createTimestamp/modifyTimestamp after every dn:
 * line, one second apart, the last one an hour ago. */
static void stamp_ldif(const char *in_path, const char *out_path)
{
	FILE *in = fopen(in_path, "r"), *out = fopen(out_path, "w");
	char *line = NULL;
	size_t cap = 0;
	long entries = 0, k = 0;
	time_t base;

	if (in == NULL || out == NULL)
		bench_die("cannot open %s or %s", in_path, out_path);
	while (getline(&line, &cap, in) > 0)
		entries += strncmp(line, "dn: ", 4) == 0;
	rewind(in);
	base = time(NULL) - 3600 - entries;
	while (getline(&line, &cap, in) > 0) {
		fputs(line, out);
		if (strncmp(line, "dn: ", 4) == 0) {
			time_t t = base + k++;
			struct tm tm;
			char stamp[32];
			gmtime_r(&t, &tm);
			strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%SZ", &tm);
			fprintf(out, "createTimestamp: %s\nmodifyTimestamp: %s\n", stamp, stamp);
		}
	}
	free(line);
	fclose(in);
	if (fclose(out) != 0)
		bench_die("cannot write %s", out_path);
}

static void start_directory(struct slapd_server *ldap)
{
	char users[16], groups[16], per_user[16], big_groups[16], big_size[16];
	char gen_path[600], ldif_path[600];
	const char *dir = harness_tmpdir("benchldif");

	snprintf(users, sizeof(users), "%d", opt.users);
	snprintf(groups, sizeof(groups), "%d", opt.groups);
	snprintf(per_user, sizeof(per_user), "%d", opt.per_user);
	snprintf(big_groups, sizeof(big_groups), "%d", opt.big_groups);
	snprintf(big_size, sizeof(big_size), "%d", opt.big_size);
	const char *args[] = { "--users", users, "--groups", groups, "--per-user", per_user,
			       "--big-groups", big_groups, "--big-size", big_size, NULL };
	snprintf(gen_path, sizeof(gen_path), "%s/gen.ldif", dir);
	snprintf(ldif_path, sizeof(ldif_path), "%s/dir.ldif", dir);
	if (harness_gen_ldif(gen_path, args) != 0)
		bench_die("gen-ldif failed");
	stamp_ldif(gen_path, ldif_path);
	if (slapd_server_start(ldap, ldif_path) != 0)
		bench_die("cannot start slapd");
}

/* ldapsearch's paged dump of base/filter with attrs, LDIF to /dev/null. */
static double dump(const struct slapd_server *ldap, const char *base, const char *filter,
		   const char *const *attrs)
{
	const char *argv[32] = { "/usr/bin/ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H",
				 ldap->uri, "-D", ldap->root_dn, "-w", ldap->root_pw, "-b", base,
				 "-E", "pr=1000/noprompt", filter };
	size_t n = 16;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	double t0;

	for (; *attrs != NULL && n < 31; attrs++)
		argv[n++] = *attrs;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = bench_now();
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
		bench_die("cannot run ldapsearch (Debian package ldap-utils)");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_die("ldapsearch failed");
	posix_spawn_file_actions_destroy(&fa);
	return bench_now() - t0;
}

static const char *const user_attrs[] = { "uid", "mail", "givenName", "sn", "cn", "entryUUID",
					  "modifyTimestamp", NULL };
static const char *const group_attrs[] = { "cn", "member", "modifyTimestamp", NULL };

/* gen-ldif's layout: user i is in groups (7i + 13k) mod M, k < per_user;
 * group j < big_groups also holds users j mod stride + n * stride. */
static bool in_group(int i, int j)
{
	int stride = opt.big_size > 0 ? opt.users / opt.big_size : 0;

	for (int k = 0; k < opt.per_user; k++)
		if ((int)(((long)i * 7 + k * 13) % opt.groups) == j)
			return true;
	if (stride < 1)
		stride = 1;
	return j < opt.big_groups && opt.big_size > 0 && i % stride == j % stride;
}

static void user_dn(int i, char *buf, size_t cap)
{
	snprintf(buf, cap, "uid=u%06d," PEOPLE, i);
}

static void group_dn(int j, char *buf, size_t cap)
{
	snprintf(buf, cap, "cn=g%05d," GROUPS, j);
}

static void modify(LDAP *ld, const char *dn, int op, const char *attr, const char *value)
{
	char *values[] = { (char *)value, NULL };
	LDAPMod mod = { .mod_op = op, .mod_type = (char *)attr, .mod_values = values };
	LDAPMod *mods[] = { &mod, NULL };
	int rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);

	if (rc != LDAP_SUCCESS)
		bench_die("modify %s %s: %s", dn, attr, ldap_err2string(rc));
}

/* n changes spread over the directory: three in five are attribute edits
 * (cn, sn or mail of a user), the others membership edits on mapped (even)
 * groups: a user added to a group, or one of a group's members removed.
 * Writes what was done to summary. */
static void change_directory(const struct slapd_server *ldap, int n, char *summary, size_t cap)
{
	LDAP *ld = NULL;
	int version = LDAP_VERSION3, edits = 0, adds = 0, removals = 0;
	struct berval cred = { strlen(ldap->root_pw), (char *)ldap->root_pw };

	if (ldap_initialize(&ld, ldap->uri) != LDAP_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_sasl_bind_s(ld, ldap->root_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL) !=
		    LDAP_SUCCESS)
		bench_die("cannot bind to slapd as its root DN");
	for (int c = 0; c < n; c++) {
		int i = (int)((c * 7919L + 101) % opt.users);
		char dn[128], gdn[128], value[128];
		user_dn(i, dn, sizeof(dn));
		if (c % 5 < 3) {
			static const char *const attrs[] = { "cn", "sn", "mail" };
			const char *attr = attrs[c % 3];
			if (c % 3 == 2)
				snprintf(value, sizeof(value), "u%06d.changed@example.org", i);
			else
				snprintf(value, sizeof(value), "Changed %d", i);
			modify(ld, dn, LDAP_MOD_REPLACE, attr, value);
			edits++;
		} else if (c % 5 == 3) {
			/* A mapped group the user is not in (and no big group). */
			int j = (int)(((long)i * 7 + 500) % opt.groups) & ~1;
			while (in_group(i, j) || j < opt.big_groups)
				j = (j + 2) % opt.groups;
			group_dn(j, gdn, sizeof(gdn));
			modify(ld, gdn, LDAP_MOD_ADD, "member", dn);
			adds++;
		} else {
			/* The user's first mapped group. */
			int j = -1;
			for (int k = 0; k < opt.per_user && j < 0; k++) {
				int g = (int)(((long)i * 7 + k * 13) % opt.groups);
				if (g % 2 == 0)
					j = g;
			}
			if (j < 0)
				bench_die("user %d is in no mapped group", i);
			group_dn(j, gdn, sizeof(gdn));
			modify(ld, gdn, LDAP_MOD_DELETE, "member", dn);
			removals++;
		}
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	snprintf(summary, cap, "%d attribute edits, %d members added to groups, %d removed", edits,
		 adds, removals);
}

/* --------------------------------------------------------------- database */

/* In every org (-o): 100 directory teams; every even group mapped: j % 4 ==
 * 0 to a role (ADMIN when j % 200 == 100, VIEWER when j % 8 == 4, else
 * USER), j % 4 == 2 to team (j / 4) % 100. */
static void seed_mappings(const char *conninfo)
{
	char *sql = NULL;

	if (asprintf(&sql,
		     "WITH o AS (SELECT id FROM organizations WHERE slug ~ '^bench(-[0-9]+)?$')"
		     " INSERT INTO teams (org_id, name, source_kind, directory_name)"
		     " SELECT o.id, 'team-' || lpad(t::text, 3, '0'), 'ldap', '" DIRECTORY "'"
		     " FROM o, generate_series(0, %d) t",
		     TEAMS - 1) < 0 ||
	    pg_exec(conninfo, sql) != 0)
		bench_die("cannot create the teams");
	free(sql);
	if (asprintf(&sql,
		     "WITH o AS (SELECT id FROM organizations WHERE slug ~ '^bench(-[0-9]+)?$')"
		     " INSERT INTO group_role_mappings (org_id, source_kind, directory_name,"
		     "  group_key, role, team_id)"
		     " SELECT o.id, 'ldap', '" DIRECTORY "',"
		     "  'cn=g' || lpad(j::text, 5, '0') || '," GROUPS "',"
		     "  CASE WHEN j %% 4 = 0 THEN CASE WHEN j %% 200 = 100 THEN 'ADMIN'"
		     "   WHEN j %% 8 = 4 THEN 'VIEWER' ELSE 'USER' END END,"
		     "  CASE WHEN j %% 4 = 2 THEN (SELECT t.id FROM teams t WHERE t.org_id = o.id"
		     "   AND t.name = 'team-' || lpad(((j / 4) %% %d)::text, 3, '0')) END"
		     " FROM o, generate_series(0, %d, 2) j",
		     TEAMS, opt.groups - 1) < 0 ||
	    pg_exec(conninfo, sql) != 0)
		bench_die("cannot create the mappings");
	free(sql);
}

/* Profiling: the cluster logs statements slower than -p MS to its
 * postgres.log (kept with OB_KEEP_TMP=1). */
static void log_statements(const struct bench_stack *st)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "ALTER DATABASE bench SET log_min_duration_statement = %d",
		 opt.pg_log_ms);
	if (pg_exec(st->conninfo, sql) != 0)
		bench_die("cannot set log_min_duration_statement");
	fprintf(stderr, "bench: statements over %d ms are logged to %s/postgres.log\n",
		opt.pg_log_ms, st->pg.dir);
}

static struct config *sync_config(const struct slapd_server *ldap)
{
	char path[600], *text = NULL;
	struct config *cfg = NULL;
	struct config_error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bind.pw", harness_tmpdir("benchpw"));
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", ldap->root_pw) < 0 || fclose(f))
		bench_die("cannot write %s", path);
	if (chmod(path, 0600) != 0) /* orgbridged refuses secrets others can read */
		bench_die("cannot chmod %s", path);
	if (asprintf(&text,
		     "[directory " DIRECTORY "]\nuri = %s\nbind_dn = %s\nbind_password_file = %s\n"
		     "user_base = " PEOPLE "\ngroup_base = " GROUPS "\ninterval = 0\n",
		     ldap->uri, ldap->root_dn, path) < 0)
		bench_die("out of memory");
	if (config_parse(text, strlen(text), "bench", &cfg, &err) != 0)
		bench_die("config: %s:%u: %s", err.file, err.line, err.message);
	free(text);
	return cfg;
}

/* ------------------------------------------------------------- measuring */

static void reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd < 0 || write(fd, "5", 1) != 1)
		bench_die("cannot reset VmHWM through /proc/self/clear_refs");
	close(fd);
}

/* CPU seconds (user + system) a process has used so far: the backend's
 * from /proc/PID/stat, this process's (every thread) from getrusage. On a
 * machine shared with other work these move far less than wall time. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime = 0, stime = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state is field 3, utime 14, stime 15. */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double own_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* VmHWM or VmRSS of this process in kB. */
static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			kb = strtol(line + strlen(key), NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

static long long count(const json_t *counts, const char *key)
{
	return (long long)json_integer_value(json_object_get(counts, key));
}

static void sync_step(struct db_conn *conn, const struct config *cfg, enum sync_kind kind,
		      struct step *s)
{
	struct sync_run_options o = { .directory = DIRECTORY, .kind = kind, .trigger = "bench" };
	struct sync_run_result res;
	char err[512] = "";
	double t0;

	static const struct sync_reader reader = { .read = timed_read, .fetch = timed_fetch };

	int backend = PQbackendPID(db_pgconn(conn));
	double pg0 = proc_cpu_s(backend), own0 = own_cpu_s();

	reset_peak();
	read_seconds = 0;
	t0 = bench_now();
	if (sync_run(conn, cfg, &reader, &o, &res, err, sizeof(err)) != 0)
		bench_die("%s: sync_run could not start: %s", s->label, err);
	s->seconds = bench_now() - t0;
	s->pg_cpu_s = proc_cpu_s(backend) - pg0;
	s->own_cpu_s = own_cpu_s() - own0;
	s->read_s = read_seconds;
	s->peak_kb = status_kb("VmHWM:");
	json_t *c = json_object_get(res.report, "counts");
	const char *kind_done = json_string_value(json_object_get(res.report, "kind"));
	snprintf(s->result, sizeof(s->result),
		 "%s %s: %lld users read, %lld added, %lld updated, %lld role changes, "
		 "%lld team changes, %lld removed, %lld skipped",
		 kind_done ? kind_done : "?", res.status, count(c, "users_seen"), count(c, "added"),
		 count(c, "updated"), count(c, "role_changes"), count(c, "team_changes"),
		 count(c, "removed"), count(c, "skipped"));
	if (strcmp(res.status, "success") != 0) {
		const char *e = json_string_value(json_object_get(res.report, "error"));
		char *errors = json_dumps(json_object_get(res.report, "errors"), JSON_COMPACT);
		bench_die("%s: %s: %s %.2000s", s->label, res.status, e ? e : "",
			  errors ? errors : "");
	}
	fprintf(stderr,
		"bench: %s: %.2f s (reading LDAP %.2f s; CPU: PostgreSQL %.2f s, bench %.2f s),"
		" peak RSS %ld MB: %s\n",
		s->label, s->seconds, s->read_s, s->pg_cpu_s, s->own_cpu_s, s->peak_kb / 1024,
		s->result);
	sync_run_result_clear(&res);
}

/* ------------------------------------------------ the rows alone */

/* PostgreSQL's part of the first sync alone: the rows it wrote (accounts,
 * members, team memberships, events) written again as copies into a second
 * org by one INSERT ... SELECT per table, in one transaction that is rolled
 * back. No LDAP, no planning, no JSON, no per-batch round trips: what the
 * schema costs for these rows on this machine, whatever the sync does. The
 * copies join their sources to new ids (a hash join of 100,000 rows each,
 * a few percent of the total). One org only (-o 1): the copies of several
 * orgs' members would collide in one org's usernames. */
static const char *const floor_prep[] = {
	"BEGIN",
	"INSERT INTO organizations (name, slug) VALUES ('Floor', 'floor')",
	"CREATE TEMP TABLE floor_teams ON COMMIT DROP AS SELECT t.id AS old_id,"
	" gen_random_uuid() AS new_id FROM teams t JOIN organizations o ON o.id = t.org_id"
	" WHERE o.slug = 'bench'",
	"INSERT INTO teams (id, org_id, name, source_kind, directory_name)"
	" SELECT f.new_id, (SELECT id FROM organizations WHERE slug = 'floor'), t.name,"
	" t.source_kind, t.directory_name FROM teams t JOIN floor_teams f ON f.old_id = t.id",
	"CREATE TEMP TABLE floor_members ON COMMIT DROP AS SELECT m.id AS old_id,"
	" gen_random_uuid() AS new_id, m.account_id AS old_account,"
	" gen_random_uuid() AS new_account FROM members m JOIN organizations o ON o.id = m.org_id"
	" WHERE o.slug = 'bench' AND m.source_kind = 'ldap'",
	"ANALYZE floor_teams, floor_members",
};

/* nparams: the events take the first sync's id range ($1, $2). */
static const struct {
	const char *label, *sql;
	int nparams;
} floor_parts[] = {
	{ "accounts",
	  "INSERT INTO accounts (id, email, display_name, created_at, updated_at)"
	  " SELECT f.new_account, 'floor.' || a.email, a.display_name, a.created_at, a.updated_at"
	  " FROM floor_members f JOIN accounts a ON a.id = f.old_account", 0 },
	{ "members",
	  "INSERT INTO members (id, org_id, account_id, username, role, status, source_kind,"
	  " directory_name, external_id, ldap_dn, profile, created_at, updated_at)"
	  " SELECT f.new_id, (SELECT id FROM organizations WHERE slug = 'floor'), f.new_account,"
	  " m.username, m.role, m.status, m.source_kind, m.directory_name, m.external_id,"
	  " m.ldap_dn, m.profile, m.created_at, m.updated_at"
	  " FROM floor_members f JOIN members m ON m.id = f.old_id"
	  " AND m.org_id = (SELECT id FROM organizations WHERE slug = 'bench')", 0 },
	{ "team memberships",
	  "INSERT INTO team_members (team_id, member_id, org_id, created_at)"
	  " SELECT ft.new_id, fm.new_id, (SELECT id FROM organizations WHERE slug = 'floor'),"
	  " tm.created_at FROM team_members tm JOIN floor_members fm ON fm.old_id = tm.member_id"
	  " JOIN floor_teams ft ON ft.old_id = tm.team_id", 0 },
	{ "events",
	  "INSERT INTO audit_events (org_id, occurred_at, actor_account_id, actor_label, source,"
	  " action, target_type, target_id, before, after, request_id)"
	  " SELECT CASE WHEN e.org_id IS NOT NULL"
	  " THEN (SELECT id FROM organizations WHERE slug = 'floor') END, e.occurred_at,"
	  " e.actor_account_id, e.actor_label, e.source, e.action, e.target_type, e.target_id,"
	  " e.before, e.after, e.request_id FROM audit_events e WHERE e.id > $1 AND e.id <= $2", 2 },
};

static long long max_event_id(const struct bench_stack *st)
{
	char *v = pg_query_value(st->conninfo, "SELECT coalesce(max(id), 0) FROM audit_events");
	long long id = v ? atoll(v) : -1;

	free(v);
	if (id < 0)
		bench_die("cannot read the audit log");
	return id;
}

/* events_after < id <= events_upto: the first sync's events. */
static void rows_alone(struct db_conn *conn, long long events_after, long long events_upto,
		       struct step *s)
{
	PGconn *pg = db_pgconn(conn);
	int backend = PQbackendPID(pg);
	char after[24], upto[24], parts[200] = "";
	size_t used = 0;
	double pg0;

	snprintf(after, sizeof(after), "%lld", events_after);
	snprintf(upto, sizeof(upto), "%lld", events_upto);
	const char *params[] = { after, upto };
	for (size_t i = 0; i < sizeof(floor_prep) / sizeof(floor_prep[0]); i++) {
		PGresult *r = PQexec(pg, floor_prep[i]);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			bench_die("rows alone: %s: %s", floor_prep[i], PQerrorMessage(pg));
		PQclear(r);
	}
	pg0 = proc_cpu_s(backend);
	s->seconds = 0;
	for (size_t i = 0; i < sizeof(floor_parts) / sizeof(floor_parts[0]); i++) {
		double t0 = bench_now();
		PGresult *r = PQexecParams(pg, floor_parts[i].sql, floor_parts[i].nparams, NULL,
					   floor_parts[i].nparams ? params : NULL, NULL, NULL, 0);
		double t = bench_now() - t0;
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			bench_die("rows alone: %s: %s", floor_parts[i].label, PQerrorMessage(pg));
		s->seconds += t;
		used += (size_t)snprintf(parts + used, sizeof(parts) - used, "%s%s %s %.2f s",
					 i ? ", " : "", PQcmdTuples(r), floor_parts[i].label, t);
		PQclear(r);
	}
	s->pg_cpu_s = proc_cpu_s(backend) - pg0;
	PQclear(PQexec(pg, "ROLLBACK"));
	snprintf(s->result, sizeof(s->result), "%s; rolled back", parts);
	fprintf(stderr, "bench: %s: %.2f s (PostgreSQL CPU %.2f s): %s\n", s->label, s->seconds,
		s->pg_cpu_s, s->result);
}

static void print_step(const struct step *s, double baseline, const char *target)
{
	char peak[24] = "-", read[24] = "-", pg[24] = "-", own[24] = "-";

	if (s->peak_kb >= 0) {
		snprintf(peak, sizeof(peak), "%ld", s->peak_kb / 1024);
		snprintf(read, sizeof(read), "%.2f", s->read_s);
		snprintf(own, sizeof(own), "%.2f", s->own_cpu_s);
	}
	if (s->peak_kb >= 0 || s->pg_cpu_s > 0)
		snprintf(pg, sizeof(pg), "%.2f", s->pg_cpu_s);
	printf("%-36s %8.2f %7.2f %7s %8s %6s %6s  %-12s %s\n", s->label, s->seconds,
	       baseline > 0 ? s->seconds / baseline : 0, read, peak, pg, own, target, s->result);
}

int main(int argc, char **argv)
{
	struct slapd_server ldap;
	struct bench_stack st;
	char token[128], changes[256];
	int c;

	while ((c = getopt(argc, argv, "u:g:b:s:c:p:o:h")) != -1) {
		switch (c) {
		case 'u': opt.users = atoi(optarg); break;
		case 'g': opt.groups = atoi(optarg); break;
		case 'b': opt.big_groups = atoi(optarg); break;
		case 's': opt.big_size = atoi(optarg); break;
		case 'c': opt.changes = atoi(optarg); break;
		case 'p': opt.pg_log_ms = atoi(optarg); break;
		case 'o': opt.orgs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: ldap_sync_bench [-u users] [-g groups] [-b big groups]"
					" [-s big group size] [-c changes] [-p log_ms] [-o orgs]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (opt.users < 10 || opt.groups < 4 || opt.big_groups < 0 || opt.big_size < 0 ||
	    opt.big_groups > opt.groups || opt.changes < 0 || opt.orgs < 1 || opt.orgs > 99)
		bench_die("bad option values");
	log_configure(LOG_LVL_WARN, LOG_FMT_TEXT);

	double t0 = bench_now();
	start_directory(&ldap);
	fprintf(stderr, "bench: directory of %d users and %d groups generated and loaded in %.1f s\n",
		opt.users, opt.groups, bench_now() - t0);
	bench_stack_start(&st, NULL, NULL);
	bench_owner_org(&st, "bench", token, sizeof(token));
	for (int k = 2; k <= opt.orgs; k++) {
		char name[32], slug[32];
		snprintf(name, sizeof(name), "Bench %d", k);
		snprintf(slug, sizeof(slug), "bench-%d", k);
		bench_org(&st, token, name, slug);
	}
	seed_mappings(st.conninfo);
	if (opt.pg_log_ms >= 0)
		log_statements(&st);
	/* The daemon made the owner and the org; the syncs run here, so it
	 * stops to leave the machine to them. */
	if (daemon_stop(&st.d) != 0)
		bench_die("orgbridged did not stop cleanly");

	struct config *cfg = sync_config(&ldap);
	struct db_pool_options po = { .conninfo = st.conninfo, .size = 1, .connect_timeout_s = 5,
				      .acquire_timeout_ms = 5000, .application_name = "ldap_sync_bench" };
	struct db_pool *pool = db_pool_new(&po);
	struct db_conn *conn = pool ? db_acquire(pool) : NULL;
	if (conn == NULL)
		bench_die("cannot connect to PostgreSQL");

	struct step users = { .label = "ldapsearch users", .peak_kb = -1 },
		    groups = { .label = "ldapsearch groups + members", .peak_kb = -1 },
		    raw = { .label = "raw paged dump (users + groups)", .peak_kb = -1 },
		    first = { .label = "first full sync" },
		    alone = { .label = "its rows alone (SQL copies)", .peak_kb = -1 },
		    again = { .label = "no-change full re-sync" },
		    incr = { .label = "incremental after changes" },
		    check = { .label = "full sync after it (check)" };
	double cold = dump(&ldap, PEOPLE, "(objectClass=inetOrgPerson)", user_attrs) +
		      dump(&ldap, GROUPS, "(objectClass=groupOfNames)", group_attrs);
	users.seconds = dump(&ldap, PEOPLE, "(objectClass=inetOrgPerson)", user_attrs);
	groups.seconds = dump(&ldap, GROUPS, "(objectClass=groupOfNames)", group_attrs);
	raw.seconds = users.seconds + groups.seconds;
	snprintf(raw.result, sizeof(raw.result), "the baseline (first, cold dump: %.2f s)", cold);
	fprintf(stderr, "bench: raw dump %.2f s (users %.2f, groups %.2f; cold %.2f)\n",
		raw.seconds, users.seconds, groups.seconds, cold);

	long long events_before = max_event_id(&st);
	sync_step(conn, cfg, SYNC_KIND_FULL, &first);
	if (opt.orgs == 1)
		rows_alone(conn, events_before, max_event_id(&st), &alone);
	sync_step(conn, cfg, SYNC_KIND_FULL, &again);
	change_directory(&ldap, opt.changes, changes, sizeof(changes));
	fprintf(stderr, "bench: %s\n", changes);
	sync_step(conn, cfg, SYNC_KIND_INCREMENTAL, &incr);
	sync_step(conn, cfg, SYNC_KIND_FULL, &check);

	char *members = pg_query_value(st.conninfo,
				       "SELECT count(*) FILTER (WHERE source_kind = 'ldap') || ' ldap-managed, '"
				       " || count(*) FILTER (WHERE role = 'ADMIN') || ' admins'"
				       " FROM members WHERE status = 'active'");
	printf("\n%d users, %d groups (%d of %d members), %d mapped groups, %d teams%s; "
	       "members now: %s\nchanges: %s\n\n",
	       opt.users, opt.groups, opt.big_groups, opt.big_size, (opt.groups + 1) / 2, TEAMS,
	       opt.orgs > 1 ? " in each org" : "", members ? members : "?", changes);
	if (opt.orgs > 1)
		printf("%d orgs map the directory alike\n\n", opt.orgs);
	free(members);
	printf("%-36s %8s %7s %7s %8s %6s %6s  %-12s %s\n", "step", "seconds", "x dump", "LDAP s",
	       "peak MB", "PG cpu", "cpu", "target", "result");
	print_step(&users, raw.seconds, "");
	print_step(&groups, raw.seconds, "");
	print_step(&raw, raw.seconds, "");
	print_step(&first, raw.seconds, "<= 3x dump");
	if (opt.orgs == 1)
		print_step(&alone, raw.seconds, "");
	print_step(&again, raw.seconds, "<= 1.5x");
	print_step(&incr, raw.seconds, "< 1 s");
	print_step(&check, raw.seconds, "");
	printf("\nLDAP s: of the step, the time in the reader (connect, bind, paged searches, "
	       "entries to a snapshot).\npeak MB: VmHWM of this process (the sync runs in it), "
	       "reset before each step; target < 300 MB.\n"
	       "PG cpu, cpu: CPU seconds of the run's PostgreSQL backend and of this process (the "
	       "reader thread too);\nthey move far less than seconds when other work shares the "
	       "machine.\n");
	if (opt.orgs == 1 && alone.seconds > 0)
		printf("its rows alone: the rows the first sync wrote, copied into a second org by "
		       "one INSERT ... SELECT\nper table in one transaction (rolled back): %.2f s "
		       "= %.2f x dump; the first sync took %.2f x that.\n",
		       alone.seconds, alone.seconds / raw.seconds, first.seconds / alone.seconds);

	db_release(conn);
	db_pool_free(pool);
	config_free(cfg);
	slapd_server_stop(&ldap);
	/* The daemon stopped after the set-up (checked there). */
	return pg_server_stop(&st.pg) == 0 ? 0 : 1;
}
