#include "sync_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "api_util.h"
#include "sync/plan.h"

static struct db_pool *pool;
static struct db_conn *conn;

/* ------------------------------------------------------- the directory */

const char *tdir_user_dn(const char *uid)
{
	static char buf[8][160];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "uid=%s,ou=people,dc=example,dc=org", uid);
	return buf[k];
}

const char *tdir_group_dn(const char *cn)
{
	static char buf[8][160];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "cn=%s,ou=groups,dc=example,dc=org", cn);
	return buf[k];
}

struct tdir_user *tdir_user(struct tdir *d, const char *uid)
{
	struct tdir_user *u;

	assert_true(d->n_users < TDIR_MAX_USERS);
	u = &d->users[d->n_users++];
	memset(u, 0, sizeof(*u));
	snprintf(u->dn, sizeof(u->dn), "%s", tdir_user_dn(uid));
	snprintf(u->id, sizeof(u->id), "id-%s-%d", uid, fx_next());
	snprintf(u->uid, sizeof(u->uid), "%s", uid);
	snprintf(u->email, sizeof(u->email), "%s@corp.example", uid);
	snprintf(u->display, sizeof(u->display), "User %s", uid);
	u->active = u->exists = true;
	u->stamp = ++d->clock;
	return u;
}

void tdir_touch(struct tdir *d, struct tdir_user *u)
{
	u->stamp = ++d->clock;
}

static void group_fill(struct tdir *d, struct tdir_group *g, va_list ap)
{
	const char *uid;

	g->n = 0;
	while ((uid = va_arg(ap, const char *)) != NULL) {
		assert_true(g->n < TDIR_MAX_MEMBERS);
		snprintf(g->members[g->n++], sizeof(g->members[0]), "%s",
			 d->uids ? uid : tdir_user_dn(uid));
	}
	g->stamp = ++d->clock;
}

struct tdir_group *tdir_group(struct tdir *d, const char *cn, ...)
{
	struct tdir_group *g;
	va_list ap;

	assert_true(d->n_groups < TDIR_MAX_GROUPS);
	g = &d->groups[d->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->dn, sizeof(g->dn), "%s", tdir_group_dn(cn));
	snprintf(g->cn, sizeof(g->cn), "%s", cn);
	va_start(ap, cn);
	group_fill(d, g, ap);
	va_end(ap);
	return g;
}

void tdir_group_set(struct tdir *d, struct tdir_group *g, ...)
{
	va_list ap;

	va_start(ap, g);
	group_fill(d, g, ap);
	va_end(ap);
}

void tdir_group_add_value(struct tdir *d, struct tdir_group *g, const char *value)
{
	assert_true(g->n < TDIR_MAX_MEMBERS);
	snprintf(g->members[g->n++], sizeof(g->members[0]), "%s", value);
	g->stamp = ++d->clock;
}

static char *dup(const char *s)
{
	char *c = s ? strdup(s) : NULL;
	if (s != NULL)
		assert_non_null(c);
	return c;
}

static void put_user(struct dir_snapshot *s, const struct tdir_user *u)
{
	struct dir_user *o;

	s->users = realloc(s->users, (s->n_users + 1) * sizeof(*s->users));
	assert_non_null(s->users);
	o = &s->users[s->n_users++];
	memset(o, 0, sizeof(*o));
	o->dn = dup(u->dn);
	o->stable_id = dup(u->id);
	o->username = dup(u->uid);
	o->email = u->email[0] ? dup(u->email) : NULL;
	o->display_name = dup(u->display);
	o->active = u->active;
}

static void stamp_text(long stamp, char *buf, size_t cap)
{
	snprintf(buf, cap, "%014ld", stamp);
}

static int tdir_read(void *arg, const struct directory_config *dir, bool full,
		     const char *watermark, struct dir_snapshot *out, char *err, size_t errcap)
{
	struct tdir *d = arg;
	long since = watermark ? atol(watermark) : 0, high = 0;
	char text[32];

	(void)dir;
	atomic_fetch_add(&d->reads, 1);
	memset(out, 0, sizeof(*out));
	if (d->read_delay_ms > 0) {
		struct timespec ts = { d->read_delay_ms / 1000, (d->read_delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (d->fail[0] != '\0') {
		snprintf(err, errcap, "%s", d->fail);
		return -1;
	}
	out->full = full;
	out->members_are_uids = d->uids;
	for (int i = 0; i < d->n_users; i++) {
		const struct tdir_user *u = &d->users[i];
		if (!u->exists || (!full && u->stamp < since))
			continue;
		put_user(out, u);
		if (u->stamp > high)
			high = u->stamp;
	}
	out->groups = calloc(d->n_groups ? (size_t)d->n_groups : 1, sizeof(*out->groups));
	assert_non_null(out->groups);
	for (int i = 0; i < d->n_groups; i++) {
		const struct tdir_group *g = &d->groups[i];
		struct dir_group *o = &out->groups[out->n_groups++];
		o->dn = dup(g->dn);
		o->name = dup(g->cn);
		o->members = calloc(g->n ? (size_t)g->n : 1, sizeof(char *));
		assert_non_null(o->members);
		for (int j = 0; j < g->n; j++)
			o->members[o->n_members++] = dup(g->members[j]);
		if (g->stamp > high)
			high = g->stamp;
	}
	if (high > 0) {
		stamp_text(high, text, sizeof(text));
		out->high_watermark = dup(text);
	}
	return 0;
}

static int tdir_fetch(void *arg, const struct directory_config *dir, const char *const *values,
		      size_t n, struct dir_snapshot *snap, char *err, size_t errcap)
{
	struct tdir *d = arg;

	(void)dir;
	(void)err;
	(void)errcap;
	atomic_fetch_add(&d->fetches, 1);
	for (size_t k = 0; k < n; k++) {
		char *want = d->uids ? strdup(values[k]) : plan_dn_normalize(values[k]);
		assert_non_null(want);
		for (int i = 0; i < d->n_users; i++) {
			const struct tdir_user *u = &d->users[i];
			char *have = d->uids ? strdup(u->uid) : plan_dn_normalize(u->dn);
			assert_non_null(have);
			if (u->exists && strcmp(have, want) == 0) {
				put_user(snap, u);
				d->fetched++;
			}
			free(have);
		}
		free(want);
	}
	return 0;
}

struct sync_reader tdir_reader(struct tdir *d)
{
	return (struct sync_reader){ .read = tdir_read, .fetch = tdir_fetch, .arg = d };
}

/* ------------------------------------------------------- environments */

int sync_fx_start(const char *dbname, const char *conf_extra)
{
	struct db_pool_options opt = { 0 };

	if (fx_start(dbname, conf_extra) != 0)
		return -1;
	opt.conninfo = fx_conninfo;
	opt.size = 2;
	opt.connect_timeout_s = 5;
	opt.acquire_timeout_ms = 5000;
	opt.application_name = "test_sync";
	pool = db_pool_new(&opt);
	if (pool == NULL)
		return -1;
	conn = db_acquire(pool);
	return conn ? 0 : -1;
}

int sync_fx_stop(void)
{
	db_release(conn);
	conn = NULL;
	db_pool_free(pool);
	pool = NULL;
	return fx_stop();
}

struct db_conn *sync_fx_conn(void)
{
	return conn;
}

struct config *sync_config(const char *extra_text, const char *name, unsigned interval)
{
	struct config *cfg = NULL;
	struct config_error err;
	char *text = NULL;

	assert_true(asprintf(&text,
			     "%s\n[directory %s]\n"
			     "uri = ldap://127.0.0.1:1\n"
			     "user_base = ou=people,dc=example,dc=org\n"
			     "group_base = ou=groups,dc=example,dc=org\n"
			     "interval = %u\n",
			     extra_text ? extra_text : "", name, interval) > 0);
	if (config_parse(text, strlen(text), "test", &cfg, &err) != 0)
		fail_msg("config: %s:%u: %s", err.file, err.line, err.message);
	free(text);
	return cfg;
}

void sync_env_init(struct sync_env *e, const char *tag)
{
	char *v;

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s%d", tag, fx_next());
	e->cfg = sync_config(NULL, e->name, 0);
	/* Tests change the directory's policy in place. */
	e->dir = (struct directory_config *)config_directory(e->cfg, e->name);
	assert_non_null(e->dir);
	e->dir->delete_max_count = 0;
	e->dir->delete_max_percent = 0;
	e->tdir = calloc(1, sizeof(*e->tdir));
	assert_non_null(e->tdir);
	e->reader = tdir_reader(e->tdir);
	fx_person(&e->owner, tag);
	fx_org(&e->owner, tag, e->slug, sizeof(e->slug), e->owner_member_id);
	v = fx_sql_value("SELECT id FROM organizations WHERE slug = '%s'", e->slug);
	assert_non_null(v);
	snprintf(e->org_id, sizeof(e->org_id), "%s", v);
	free(v);
}

void sync_env_free(struct sync_env *e)
{
	config_free(e->cfg);
	free(e->tdir);
	memset(e, 0, sizeof(*e));
}

void sync_env_org(struct sync_env *e, const char *tag, char *slug, char *org_id)
{
	char *v;

	fx_org(&e->owner, tag, slug, 64, NULL);
	v = fx_sql_value("SELECT id FROM organizations WHERE slug = '%s'", slug);
	assert_non_null(v);
	snprintf(org_id, 40, "%s", v);
	free(v);
}

const char *sync_team(const char *org_id, const char *name, const char *directory)
{
	static char buf[8][40];
	static int k;
	char *v;

	if (directory != NULL)
		v = fx_sql_value("INSERT INTO teams (org_id, name, source_kind, directory_name)"
				 " VALUES ('%s', '%s', 'ldap', '%s') RETURNING id",
				 org_id, name, directory);
	else
		v = fx_sql_value("INSERT INTO teams (org_id, name) VALUES ('%s', '%s') RETURNING id",
				 org_id, name);
	assert_non_null(v);
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s", v);
	free(v);
	return buf[k];
}

void sync_map_dn(const struct sync_env *e, const char *org_id, const char *group_dn,
		 const char *role, const char *team_id)
{
	char role_sql[32], team_sql[64];

	snprintf(role_sql, sizeof(role_sql), role ? "'%s'" : "NULL", role ? role : "");
	snprintf(team_sql, sizeof(team_sql), team_id ? "'%s'" : "NULL", team_id ? team_id : "");
	fx_sql("INSERT INTO group_role_mappings (org_id, source_kind, directory_name, group_key,"
	       " role, team_id) VALUES ('%s', 'ldap', '%s', '%s', %s, %s)",
	       org_id, e->name, group_dn, role_sql, team_sql);
}

void sync_map(struct sync_env *e, const char *org_id, const char *cn, const char *role,
	      const char *team_id)
{
	sync_map_dn(e, org_id, tdir_group_dn(cn), role, team_id);
}

void sync_env_run(struct sync_env *e, enum sync_kind kind, bool dry_run, bool force,
		  struct sync_run_result *res)
{
	struct sync_run_options opt = { .directory = e->name, .kind = kind, .dry_run = dry_run,
					.force = force, .trigger = "test" };
	char err[256] = "";

	if (sync_run(conn, e->cfg, &e->reader, &opt, res, err, sizeof(err)) != 0)
		fail_msg("sync_run could not start: %s", err);
}

const char *sync_env_run_status(struct sync_env *e, enum sync_kind kind, bool force)
{
	static char status[24];
	struct sync_run_result res;

	sync_env_run(e, kind, false, force, &res);
	snprintf(status, sizeof(status), "%s", res.status);
	if (strcmp(status, "success") != 0 && res.report != NULL) {
		/* One short TAP comment line (cmocka cuts long messages). */
		print_message("# run %s: %.200s\n", status, jstr(res.report, "error") ? jstr(res.report, "error") : "");
	}
	sync_run_result_clear(&res);
	return status;
}

const char *sync_member(const char *org_id, const char *email)
{
	static char buf[96];
	char *v = fx_sql_value("SELECT m.role || '/' || m.status || '/' || m.source_kind"
			       " FROM members m JOIN accounts a ON a.id = m.account_id"
			       " WHERE m.org_id = '%s' AND lower(a.email) = lower('%s')"
			       " AND m.status <> 'removed'",
			       org_id, email);

	snprintf(buf, sizeof(buf), "%s", v ? v : "(none)");
	free(v);
	return buf;
}

const char *sync_member_id(const char *org_id, const char *email)
{
	static char buf[8][40];
	static int k;
	char *v = fx_sql_value("SELECT m.id FROM members m JOIN accounts a ON a.id = m.account_id"
			       " WHERE m.org_id = '%s' AND lower(a.email) = lower('%s')"
			       " AND m.status <> 'removed'",
			       org_id, email);

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s", v ? v : "");
	free(v);
	return buf[k];
}

const struct sync_leave_case sync_leave_cases[] = {
	{ DIR_LEAVE_REMOVE, "(none)" },
	{ DIR_LEAVE_DOWNGRADE, "VIEWER/active/ldap" },
	{ DIR_LEAVE_SUSPEND, "ADMIN/suspended/ldap" },
};
const size_t sync_n_leave_cases = sizeof(sync_leave_cases) / sizeof(sync_leave_cases[0]);

struct tdir_group *sync_leave_env(struct sync_env *e, enum dir_leave_policy policy,
				  const char *extra, char *bob)
{
	struct tdir_group *g;
	char team[40];

	sync_env_init(e, "leave");
	e->dir->on_leave = policy;
	tdir_user(e->tdir, "ann");
	tdir_user(e->tdir, "bob");
	if (extra != NULL)
		tdir_user(e->tdir, extra);
	g = tdir_group(e->tdir, "eng", "ann", "bob", extra, NULL);
	snprintf(team, sizeof(team), "%s", sync_team(e->org_id, "Eng", e->name));
	sync_map(e, e->org_id, "eng", "ADMIN", team);
	assert_string_equal(sync_env_run_status(e, SYNC_KIND_FULL, false), "success");
	snprintf(bob, 40, "%s", sync_member_id(e->org_id, "bob@corp.example"));
	return g;
}

void sync_leave_check(const struct sync_env *e, const struct sync_leave_case *c,
		      const char *bob)
{
	assert_string_equal(sync_member(e->org_id, "bob@corp.example"), c->after);
	assert_string_equal(sync_member(e->org_id, "ann@corp.example"), "ADMIN/active/ldap");
	/* Out of the directory's team in every case. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE member_id = '%s'",
				      bob), 0);
}
