/* Incremental LDAP sync runs that load and plan only the affected members
 * (src/sync/plan.h plan_scan_new), through a real PostgreSQL with the
 * in-memory directory (tests/integration/sync_fixture.h): role changes from
 * a group edit and from a nested group's edit, leaving every group under
 * each policy, a DN rename, batched attribute updates and their audit
 * images, the deletion threshold counted against the whole org. Each test
 * ends with a full run that must find nothing left to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "sync_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	return sync_fx_start("sync_incr", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return sync_fx_stop();
}

/* An incremental run of e: its status; *report kept when asked. */
static void run_incremental(struct sync_env *e, bool force, const char *status,
			    struct sync_run_result *res)
{
	sync_env_run(e, SYNC_KIND_INCREMENTAL, false, force, res);
	assert_string_equal(res->status, status);
	assert_string_equal(jstr(res->report, "kind"), "incremental");
}

/* A full run after the incremental one finds nothing left to do. */
static void assert_full_run_changes_nothing(struct sync_env *e)
{
	struct sync_run_result res;

	sync_env_run(e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "unchanged");
	sync_run_result_clear(&res);
}

static void test_group_edit_changes_roles_and_teams(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "grp");
	const char *uids[] = { "ann", "bob", "cid", "dan", "eve", "fay" };
	for (size_t i = 0; i < 6; i++)
		tdir_user(e.tdir, uids[i]);
	struct tdir_group *admins = tdir_group(e.tdir, "admins", "ann", NULL);
	tdir_group(e.tdir, "staff", "ann", "bob", "cid", "dan", "eve", "fay", NULL);
	char team[40];
	snprintf(team, sizeof(team), "%s", sync_team(e.org_id, "Ops", e.name));
	sync_map(&e, e.org_id, "admins", "ADMIN", team);
	sync_map(&e, e.org_id, "staff", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");

	/* Only the admins group changes: bob in, ann out. */
	tdir_group_set(e.tdir, admins, "bob", NULL);
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.role_changes"), 2);
	assert_int_equal(jint(res.report, "counts.team_changes"), 2);
	/* Everyone the groups hold is in scope, loaded or not. */
	assert_int_equal(jint(res.report, "counts.in_scope"), 6);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "cid@corp.example"), "USER/active/ldap");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'"
				      " AND member_id = '%s'", team,
				      sync_member_id(e.org_id, "bob@corp.example")), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'",
				      team), 1);
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

static void test_nested_group_edit_changes_roles(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "nest");
	e.dir->nested_groups = true;
	e.dir->nested_depth = 5;
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	tdir_user(e.tdir, "cid");
	struct tdir_group *admins = tdir_group(e.tdir, "admins", "ann", NULL);
	struct tdir_group *oncall = tdir_group(e.tdir, "oncall", "bob", NULL);
	tdir_group_add_value(e.tdir, admins, tdir_group_dn("oncall"));
	tdir_group(e.tdir, "staff", "ann", "bob", "cid", NULL);
	sync_map(&e, e.org_id, "admins", "ADMIN", NULL);
	sync_map(&e, e.org_id, "staff", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");

	/* Only the nested group changes; the mapped group's entry does not. */
	tdir_group_set(e.tdir, oncall, "cid", NULL);
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.role_changes"), 2);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "cid@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "ADMIN/active/ldap");
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

static void test_leaving_every_group_under_each_policy(void **state)
{
	(void)state;
	for (size_t i = 0; i < sync_n_leave_cases; i++) {
		const struct sync_leave_case *c = &sync_leave_cases[i];
		struct sync_env e;
		struct sync_run_result res;
		char bob[40];
		struct tdir_group *g = sync_leave_env(&e, c->policy, "cid", bob);

		/* bob's entry does not change: only the group's. */
		tdir_group_set(e.tdir, g, "ann", "cid", NULL);
		run_incremental(&e, false, "success", &res);
		assert_int_equal(jint(res.report, "counts.deprovisions"), 1);
		assert_int_equal(jint(res.report, "counts.managed_before"), 3);
		sync_run_result_clear(&res);
		sync_leave_check(&e, c, bob);
		/* A second incremental run has nothing more to do for the leaver. */
		run_incremental(&e, false, "success", &res);
		assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "unchanged");
		sync_run_result_clear(&res);
		assert_full_run_changes_nothing(&e);

		/* Back in the group, incrementally: active and ADMIN again. */
		tdir_group_set(e.tdir, g, "ann", "bob", "cid", NULL);
		run_incremental(&e, false, "success", &res);
		sync_run_result_clear(&res);
		assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");
		assert_full_run_changes_nothing(&e);
		sync_env_free(&e);
	}
}

static void test_dn_rename_is_an_update(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "ren");
	struct tdir_user *u = tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "ann", "bob", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char id[40];
	snprintf(id, sizeof(id), "%s", sync_member_id(e.org_id, "ann@corp.example"));

	snprintf(u->dn, sizeof(u->dn), "uid=ann,ou=staff,dc=example,dc=org");
	tdir_touch(e.tdir, u);
	tdir_group_set(e.tdir, g, "bob", NULL);
	tdir_group_add_value(e.tdir, g, "uid=ann,ou=staff,dc=example,dc=org");
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.updated"), 1);
	assert_int_equal(jint(res.report, "counts.removed"), 0);
	assert_int_equal(jint(res.report, "counts.added"), 0);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member_id(e.org_id, "ann@corp.example"), id);
	char *dn = fx_sql_value("SELECT ldap_dn FROM members WHERE id = '%s'", id);
	assert_string_equal(dn, "uid=ann,ou=staff,dc=example,dc=org");
	free(dn);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.updated'", id), 1);
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* Several attribute updates are one batch: each audited with the images
 * core_member_json gives (member_view, effective role added). */
static void test_batched_updates_are_audited_each(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "batch");
	struct tdir_user *a = tdir_user(e.tdir, "ann");
	struct tdir_user *b = tdir_user(e.tdir, "bob");
	struct tdir_user *c = tdir_user(e.tdir, "cid");
	tdir_group(e.tdir, "eng", "ann", "bob", "cid", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char ann[40];
	snprintf(ann, sizeof(ann), "%s", sync_member_id(e.org_id, "ann@corp.example"));

	snprintf(a->uid, sizeof(a->uid), "ann2");
	snprintf(b->display, sizeof(b->display), "Bob Two");
	snprintf(c->display, sizeof(c->display), "Cid Two");
	tdir_touch(e.tdir, a);
	tdir_touch(e.tdir, b);
	tdir_touch(e.tdir, c);
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.updated"), 3);
	sync_run_result_clear(&res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND source = 'ldap:%s' AND action = 'member.updated'",
				      e.org_id, e.name), 3);
	/* After-images are the members as they are now... */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events ev JOIN member_view v"
				      " ON v.org_id = ev.org_id AND v.id::text = ev.target_id"
				      " WHERE ev.org_id = '%s' AND ev.action = 'member.updated'"
				      " AND ev.after = v.member_json::jsonb"
				      "   || jsonb_build_object('effective_role', v.role)",
				      e.org_id), 3);
	/* ...and before-images as they were. */
	char *names = fx_sql_value("SELECT (before->>'username') || '>' || (after->>'username')"
				   " FROM audit_events WHERE target_id = '%s'"
				   " AND action = 'member.updated'", ann);
	assert_string_equal(names, "ann>ann2");
	free(names);
	char *display = fx_sql_value("SELECT profile->>'displayName' FROM members WHERE id = '%s'",
				     sync_member_id(e.org_id, "cid@corp.example"));
	assert_string_equal(display, "Cid Two");
	free(display);
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* The threshold counts against every member the directory manages, not
 * the few an incremental run loads. */
static void test_threshold_refuses_an_incremental_run(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "thr");
	e.dir->delete_max_count = 2;
	e.dir->delete_max_percent = 0;
	struct tdir_group *g = tdir_group(e.tdir, "eng", NULL);
	char uid[16];
	for (int i = 0; i < 10; i++) {
		snprintf(uid, sizeof(uid), "u%d", i);
		tdir_user(e.tdir, uid);
		tdir_group_add_value(e.tdir, g, tdir_user_dn(uid));
	}
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char *wm = fx_sql_value("SELECT watermark FROM ldap_sync_state WHERE directory_name = '%s'",
				e.name);

	/* Three leave (the group keeps seven): over a limit of 2. */
	tdir_group_set(e.tdir, g, NULL);
	for (int i = 3; i < 10; i++) {
		snprintf(uid, sizeof(uid), "u%d", i);
		tdir_group_add_value(e.tdir, g, tdir_user_dn(uid));
	}
	run_incremental(&e, false, "threshold_exceeded", &res);
	assert_int_equal(jint(res.report, "counts.orgs.0.counts.deprovisions"), 3);
	assert_int_equal(jint(res.report, "counts.orgs.0.counts.managed_before"), 10);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "u0@corp.example"), "USER/active/ldap");
	char *still = fx_sql_value("SELECT watermark FROM ldap_sync_state WHERE directory_name = '%s'",
				   e.name);
	assert_string_equal(wm, still);
	free(still);
	free(wm);
	/* Forced, it applies. */
	run_incremental(&e, true, "success", &res);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "u0@corp.example"), "(none)");
	assert_string_equal(sync_member(e.org_id, "u3@corp.example"), "USER/active/ldap");
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* A mapping made between runs changes no entry: the scan still finds the
 * members whose roles it changes. */
static void test_new_mapping_applies_incrementally(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "newmap");
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	tdir_group(e.tdir, "staff", "ann", "bob", NULL);
	tdir_group(e.tdir, "leads", "bob", NULL);
	sync_map(&e, e.org_id, "staff", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");

	sync_map(&e, e.org_id, "leads", "ADMIN", NULL);
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.role_changes"), 1);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* A disabled account still in its group stays suspended through an
 * incremental run that does not read its entry (fetched: its entry
 * decides), and is reactivated once enabled. */
static void test_disabled_member_stays_suspended(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "disabled");
	struct tdir_user *a = tdir_user(e.tdir, "ann");
	struct tdir_user *b = tdir_user(e.tdir, "bob");
	tdir_user(e.tdir, "admin");
	tdir_group(e.tdir, "eng", "ann", "bob", NULL);
	tdir_group(e.tdir, "admins", "admin", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	sync_map(&e, e.org_id, "admins", "ADMIN", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	b->active = false; /* (a disabled entry is never provisioned) */
	tdir_touch(e.tdir, b);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/suspended/ldap");

	/* Twice: the watermark is inclusive, so the first run still reads
	 * bob's entry (stamped at the watermark); the second does not. */
	for (int i = 0; i < 2; i++) {
		snprintf(a->display, sizeof(a->display), "Ann %d", i);
		tdir_touch(e.tdir, a);
		run_incremental(&e, false, "success", &res);
		assert_int_equal(jint(res.report, "counts.reactivated"), 0);
		if (i == 0)
			sync_run_result_clear(&res);
	}
	assert_int_equal(jint(res.report, "counts.users_seen"), 2); /* ann, and bob fetched */
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/suspended/ldap");
	assert_full_run_changes_nothing(&e);

	b->active = true;
	tdir_touch(e.tdir, b);
	run_incremental(&e, false, "success", &res);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* Several team changes of one kind are one batch, each audited. */
static void test_batched_team_changes_are_audited_each(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "teams");
	const char *uids[] = { "ann", "bob", "cid", "dan" };
	for (size_t i = 0; i < 4; i++)
		tdir_user(e.tdir, uids[i]);
	tdir_group(e.tdir, "staff", "ann", "bob", "cid", "dan", NULL);
	struct tdir_group *ops = tdir_group(e.tdir, "ops", "ann", "bob", NULL);
	char team[40];
	snprintf(team, sizeof(team), "%s", sync_team(e.org_id, "Ops", e.name));
	sync_map(&e, e.org_id, "staff", "USER", NULL);
	sync_map(&e, e.org_id, "ops", NULL, team);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	long long added = fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				       " AND action = 'team.member_added'", e.org_id);

	tdir_group_set(e.tdir, ops, "cid", "dan", NULL);
	run_incremental(&e, false, "success", &res);
	assert_int_equal(jint(res.report, "counts.team_changes"), 4);
	sync_run_result_clear(&res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members tm JOIN members m"
				      " ON m.id = tm.member_id WHERE tm.team_id = '%s'"
				      " AND m.username IN ('cid', 'dan')", team), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'",
				      team), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND action = 'team.member_added'", e.org_id), added + 2);
	/* Removals carry the membership as their before-image, as one by one. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events ev JOIN members m"
				      " ON m.id::text = ev.before->>'member_id'"
				      " WHERE ev.org_id = '%s' AND ev.action = 'team.member_removed'"
				      " AND ev.target_id = '%s' AND ev.before->>'team_id' = '%s'"
				      " AND ev.after IS NULL AND ev.source = 'ldap:%s'"
				      " AND m.username IN ('ann', 'bob')", e.org_id, team, team, e.name),
			 2);
	assert_full_run_changes_nothing(&e);
	sync_env_free(&e);
}

/* ------------------------------------------------ several orgs, one directory */

/* The report entry of the org with this slug. */
static json_t *org_report(json_t *report, const char *slug)
{
	json_t *orgs = json_object_get(json_object_get(report, "counts"), "orgs");
	size_t i;
	json_t *o;

	json_array_foreach (orgs, i, o)
		if (strcmp(json_string_value(json_object_get(o, "org")), slug) == 0)
			return o;
	fail_msg("no report for org %s", slug);
	return NULL;
}

/* The org's status and change counts in the run report, as
 * "status a=N u=N r=N t=N rm=N s=N reads=N". */
static const char *org_summary(json_t *report, const char *slug)
{
	static char buf[160];
	json_t *o = org_report(report, slug);

	snprintf(buf, sizeof(buf), "%s a=%lld u=%lld r=%lld t=%lld rm=%lld s=%lld reads=%lld",
		 jstr(o, "status"), jint(o, "counts.added"), jint(o, "counts.updated"),
		 jint(o, "counts.role_changes"), jint(o, "counts.team_changes"),
		 jint(o, "counts.removed"), jint(o, "counts.suspended"), jint(o, "member_reads"));
	return buf;
}

/* Three orgs mapping the groups of one directory. */
struct three_orgs {
	struct sync_env e;
	char slug[3][64], id[3][40];
	char team_b[40];
	struct tdir_user *dan;
	struct tdir_group *admins, *ops;
};

/* ann..eve; staff (ann bob cid dan), admins (ann), ops (cid dan). Org A:
 * staff USER, admins ADMIN; org B: staff VIEWER, ops USER and the
 * directory team Ops; org C: ops USER, admins ADMIN. A full run syncs
 * them, reading each org once. */
static void three_orgs_init(struct three_orgs *t, const char *tag)
{
	struct sync_env *e = &t->e;
	char sub[32];

	sync_env_init(e, tag);
	snprintf(t->slug[0], sizeof(t->slug[0]), "%s", e->slug);
	snprintf(t->id[0], sizeof(t->id[0]), "%s", e->org_id);
	for (int k = 1; k < 3; k++) {
		snprintf(sub, sizeof(sub), "%s%c", tag, 'a' + k);
		sync_env_org(e, sub, t->slug[k], t->id[k]);
	}
	const char *uids[] = { "ann", "bob", "cid", "dan", "eve" };
	for (size_t i = 0; i < 5; i++)
		tdir_user(e->tdir, uids[i]);
	t->dan = &e->tdir->users[3];
	tdir_group(e->tdir, "staff", "ann", "bob", "cid", "dan", NULL);
	t->admins = tdir_group(e->tdir, "admins", "ann", NULL);
	t->ops = tdir_group(e->tdir, "ops", "cid", "dan", NULL);
	snprintf(t->team_b, sizeof(t->team_b), "%s", sync_team(t->id[1], "Ops", e->name));
	sync_map(e, t->id[0], "staff", "USER", NULL);
	sync_map(e, t->id[0], "admins", "ADMIN", NULL);
	sync_map(e, t->id[1], "staff", "VIEWER", NULL);
	sync_map(e, t->id[1], "ops", "USER", t->team_b);
	sync_map(e, t->id[2], "ops", "USER", NULL);
	sync_map(e, t->id[2], "admins", "ADMIN", NULL);
	struct sync_run_result res;
	sync_env_run(e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	/* A full run too reads each org once: its preview is what it applies. */
	for (int k = 0; k < 3; k++) {
		json_t *o = org_report(res.report, t->slug[k]);
		assert_string_equal(jstr(o, "status"), "applied");
		assert_int_equal(jint(o, "member_reads"), 1);
	}
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(t->id[1], "cid@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(t->id[2], "ann@corp.example"), "ADMIN/active/ldap");
}

/* Edits touching every org: admins ann -> bob (A, C), ops cid dan -> dan
 * eve (B, C; eve's entry is older than the watermark, so it is fetched),
 * dan's display name (A, B, C). */
static void three_orgs_edit(struct three_orgs *t)
{
	tdir_group_set(t->e.tdir, t->admins, "bob", NULL);
	tdir_group_set(t->e.tdir, t->ops, "dan", "eve", NULL);
	snprintf(t->dan->display, sizeof(t->dan->display), "Dan Two");
	tdir_touch(t->e.tdir, t->dan);
}

/* What three_orgs_edit gives, and nothing else. */
static void three_orgs_assert_edited(struct three_orgs *t)
{
	const char **id = (const char **)(const char *[]){ t->id[0], t->id[1], t->id[2] };

	assert_string_equal(sync_member(id[0], "ann@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(id[0], "bob@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(id[0], "cid@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(id[0], "dan@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(id[0], "eve@corp.example"), "(none)");
	assert_string_equal(sync_member(id[1], "ann@corp.example"), "VIEWER/active/ldap");
	assert_string_equal(sync_member(id[1], "bob@corp.example"), "VIEWER/active/ldap");
	assert_string_equal(sync_member(id[1], "cid@corp.example"), "VIEWER/active/ldap");
	assert_string_equal(sync_member(id[1], "dan@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(id[1], "eve@corp.example"), "USER/active/ldap");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members tm JOIN members m"
				      " ON m.id = tm.member_id WHERE tm.team_id = '%s'"
				      " AND m.username IN ('dan', 'eve')", t->team_b), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'",
				      t->team_b), 2);
	assert_string_equal(sync_member(id[2], "ann@corp.example"), "(none)");
	assert_string_equal(sync_member(id[2], "bob@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(id[2], "cid@corp.example"), "(none)");
	assert_string_equal(sync_member(id[2], "dan@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(id[2], "eve@corp.example"), "USER/active/ldap");
	for (int k = 0; k < 3; k++)
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
					      " AND username = 'dan' AND profile->>'displayName' = 'Dan Two'",
					      id[k]), 1);
}

/* An incremental run of several orgs applies each org's changes, reading
 * each org's members once; the next run finds nothing to do. */
static void test_orgs_of_one_directory_are_read_once_each(void **state)
{
	(void)state;
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;

	three_orgs_init(&t, "multi");
	three_orgs_edit(&t);
	long long events = fx_sql_count("SELECT count(*) FROM audit_events");
	run_incremental(e, false, "success", &res);
	assert_string_equal(org_summary(res.report, t.slug[0]),
			    "applied a=0 u=1 r=2 t=0 rm=0 s=0 reads=1");
	assert_string_equal(org_summary(res.report, t.slug[1]),
			    "applied a=1 u=1 r=1 t=2 rm=0 s=0 reads=1");
	assert_string_equal(org_summary(res.report, t.slug[2]),
			    "applied a=2 u=1 r=0 t=0 rm=2 s=0 reads=1");
	sync_run_result_clear(&res);
	three_orgs_assert_edited(&t);
	/* A: 2 role changes, 1 update; B: 1 add, 1 team add, 1 role change, 1
	 * team removal, 1 update; C: 2 adds, 2 removals, 1 update. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events"), events + 13);

	/* Nothing left: every org unchanged, read once, nothing written. */
	events = fx_sql_count("SELECT count(*) FROM audit_events");
	run_incremental(e, false, "success", &res);
	for (int k = 0; k < 3; k++)
		assert_string_equal(org_summary(res.report, t.slug[k]),
				    "unchanged a=0 u=0 r=0 t=0 rm=0 s=0 reads=1");
	sync_run_result_clear(&res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events"), events);
	sync_env_run(e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	for (int k = 0; k < 3; k++)
		assert_string_equal(jstr(org_report(res.report, t.slug[k]), "status"), "unchanged");
	sync_run_result_clear(&res);
	sync_env_free(e);
}

/* The org of t a run reads first (last: the one it reads last); runs go in
 * slug order. */
static int three_orgs_run_end(const struct three_orgs *t, bool last)
{
	int end = 0;

	for (int k = 1; k < 3; k++)
		if ((strcmp(t->slug[k], t->slug[end]) > 0) == last)
			end = k;
	return end;
}

/* A reader that acts on org_id at one point of a run, once: on_read as
 * the directory is read (after the run read its mappings), on_fetch at an
 * incremental run's first fetch (after every org was read, before any is
 * applied), on_in_chain at a full run's in-chain step (the directory read
 * is then marked Active Directory's, so that the run takes that step:
 * after the first org was read, before any is planned). */
struct interloper {
	struct sync_reader inner;
	const char *org_id;
	void (*on_read)(const char *org_id);
	void (*on_fetch)(const char *org_id);
	void (*on_in_chain)(const char *org_id);
	int fetches, in_chains;
};

/* An admin makes dan a VIEWER in org_id the way every writer does (the
 * org's lock, the write, its audit event). The lock would be waited for if
 * the run still held it: a lock timeout fails the test instead of hanging
 * it. */
static void meddle_write(const char *org_id)
{
	fx_sql("SET lock_timeout = '5s';"
	       " SELECT 1 FROM organizations WHERE id = '%s' FOR UPDATE;"
	       " WITH m AS (UPDATE members SET role = 'VIEWER' WHERE org_id = '%s'"
	       "  AND username = 'dan' RETURNING id)"
	       " INSERT INTO audit_events (org_id, source, action, target_type, target_id)"
	       " SELECT '%s', 'api', 'member.role_changed', 'member', id::text FROM m",
	       org_id, org_id, org_id);
}

/* The org deleted, as an admin deletes it. */
static void delete_org(const char *org_id)
{
	fx_sql("DELETE FROM organizations WHERE id = '%s'", org_id);
}

static int interloper_read(void *arg, const struct directory_config *dir, bool full,
			   const char *watermark, struct dir_snapshot *out, char *err, size_t errcap)
{
	struct interloper *x = arg;
	int rc;

	if (x->on_read != NULL)
		x->on_read(x->org_id);
	rc = x->inner.read(x->inner.arg, dir, full, watermark, out, err, errcap);
	if (rc == 0 && x->on_in_chain != NULL)
		out->in_chain = true;
	return rc;
}

static int interloper_fetch(void *arg, const struct directory_config *dir,
			    const char *const *values, size_t n, struct dir_snapshot *snap,
			    char *err, size_t errcap)
{
	struct interloper *x = arg;

	if (x->fetches++ == 0 && x->on_fetch != NULL)
		x->on_fetch(x->org_id);
	return x->inner.fetch(x->inner.arg, dir, values, n, snap, err, errcap);
}

/* The groups hold users only, so their transitive members are their
 * members: nothing to replace. */
static int interloper_in_chain(void *arg, const struct directory_config *dir,
			       struct dir_snapshot *snap, const size_t *groups, size_t n,
			       char *err, size_t errcap)
{
	struct interloper *x = arg;

	(void)dir, (void)snap, (void)groups, (void)n, (void)err, (void)errcap;
	if (x->in_chains++ == 0 && x->on_in_chain != NULL)
		x->on_in_chain(x->org_id);
	return 0;
}

/* The reader e reads through, acting as x says. */
static void interloper_install(struct sync_env *e, struct interloper *x)
{
	x->inner = e->reader;
	e->reader = (struct sync_reader){ .read = interloper_read,
					  .fetch = x->inner.fetch ? interloper_fetch : NULL,
					  .in_chain = x->on_in_chain ? interloper_in_chain : NULL,
					  .arg = x };
}

/* An org written to after the run read it is read again under its lock
 * and planned afresh: the directory's role for dan comes back, the stale
 * preview (no change for dan) is not applied. */
static void test_org_changed_since_its_read_is_planned_afresh(void **state)
{
	(void)state;
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;
	three_orgs_init(&t, "meddle");
	int last = three_orgs_run_end(&t, true); /* never the run's first */
	struct interloper m = { .org_id = t.id[last], .on_fetch = meddle_write };
	interloper_install(e, &m);
	three_orgs_edit(&t);
	run_incremental(e, false, "success", &res);
	assert_int_equal(m.fetches, 1);
	for (int k = 0; k < 3; k++)
		assert_int_equal(jint(org_report(res.report, t.slug[k]), "member_reads"),
				 k == last ? 2 : 1);
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(t.id[last], "dan@corp.example"), "USER/active/ldap");
	e->reader = m.inner;
	three_orgs_assert_edited(&t);
	assert_string_equal(sync_env_run_status(e, SYNC_KIND_INCREMENTAL, false), "success");
	sync_env_free(e);
}

/* A full run reads every org once under its lock too, and applies the
 * preview only when nothing was audited in the org since: the first org,
 * written to after its read, is read again and planned afresh (dan's
 * directory role comes back), the others apply their previews. */
static void test_org_changed_since_its_full_read_is_planned_afresh(void **state)
{
	(void)state;
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;
	three_orgs_init(&t, "fmeddle");
	int first = three_orgs_run_end(&t, false);
	struct interloper m = { .org_id = t.id[first], .on_in_chain = meddle_write };
	interloper_install(e, &m);
	three_orgs_edit(&t);
	sync_env_run(e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_string_equal(jstr(res.report, "kind"), "full");
	assert_int_equal(m.in_chains, 1);
	for (int k = 0; k < 3; k++) {
		json_t *o = org_report(res.report, t.slug[k]);
		assert_string_equal(jstr(o, "status"), "applied");
		assert_int_equal(jint(o, "member_reads"), k == first ? 2 : 1);
	}
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(t.id[first], "dan@corp.example"), "USER/active/ldap");
	e->reader = m.inner;
	three_orgs_assert_edited(&t);
	sync_env_run(e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	for (int k = 0; k < 3; k++)
		assert_string_equal(jstr(org_report(res.report, t.slug[k]), "status"), "unchanged");
	sync_run_result_clear(&res);
	sync_env_free(e);
}

/* A deletion threshold exceeded in one org stops the whole run: no org is
 * applied, not the orgs planned before it nor the first org of an
 * incremental run, whose transaction is open from its read; each org was
 * read once, and the others are reported as not applied. Forced,
 * everything applies. */
static void test_threshold_in_one_org_applies_no_org(void **state)
{
	(void)state;
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;
	const enum sync_kind kinds[] = { SYNC_KIND_INCREMENTAL, SYNC_KIND_FULL };

	three_orgs_init(&t, "thrm");
	e->dir->delete_max_count = 1; /* org C loses ann and cid */
	e->dir->delete_max_percent = 0;
	three_orgs_edit(&t);
	for (size_t i = 0; i < 2; i++) {
		sync_env_run(e, kinds[i], false, false, &res);
		assert_string_equal(res.status, "threshold_exceeded");
		json_t *o = org_report(res.report, t.slug[2]);
		assert_string_equal(jstr(o, "status"), "threshold_exceeded");
		assert_int_equal(jint(o, "member_reads"), 1);
		/* The orgs held back are reported with what they would change. */
		for (int k = 0; k < 2; k++) {
			o = org_report(res.report, t.slug[k]);
			assert_string_equal(jstr(o, "status"), "not_applied");
			assert_int_equal(jint(o, "member_reads"), 1);
			assert_true(jint(o, "counts.updated") + jint(o, "counts.role_changes") > 0);
		}
		sync_run_result_clear(&res);
		assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id IN"
					      " ('%s', '%s', '%s') AND profile->>'displayName' = 'Dan Two'",
					      t.id[0], t.id[1], t.id[2]),
				 0);
		assert_string_equal(sync_member(t.id[0], "bob@corp.example"), "USER/active/ldap");
		assert_string_equal(sync_member(t.id[1], "eve@corp.example"), "(none)");
		assert_string_equal(sync_member(t.id[2], "ann@corp.example"), "ADMIN/active/ldap");
	}
	run_incremental(e, true, "success", &res);
	for (int k = 0; k < 3; k++)
		assert_int_equal(jint(org_report(res.report, t.slug[k]), "member_reads"), 1);
	sync_run_result_clear(&res);
	three_orgs_assert_edited(&t);
	sync_env_free(e);
}

static bool has_error(json_t *report, const char *slug, const char *code)
{
	json_t *e;
	size_t i;

	json_array_foreach (json_object_get(report, "errors"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "org")), slug) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
			return true;
	return false;
}

/* An org deleted during a run fails only itself: it is reported failed
 * (not_found), the run fails, and the other orgs are applied (planned, in
 * a dry run, which writes nothing and is not a failed run). */
static void gone_during_run(const char *tag, enum sync_kind kind, bool last, bool dry_run)
{
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;

	three_orgs_init(&t, tag);
	int k = three_orgs_run_end(&t, last);
	struct interloper d = { .org_id = t.id[k], .on_read = delete_org };
	interloper_install(e, &d);
	three_orgs_edit(&t);
	sync_env_run(e, kind, dry_run, false, &res);
	assert_string_equal(res.status, dry_run ? "planned" : "failed");
	for (int j = 0; j < 3; j++) {
		json_t *o = org_report(res.report, t.slug[j]);
		assert_string_equal(jstr(o, "status"), j == k	  ? "failed"
						       : dry_run ? "planned"
								 : "applied");
		if (j != k)
			assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
						      " AND username = 'dan'"
						      " AND profile->>'displayName' = 'Dan Two'",
						      t.id[j]),
					 dry_run ? 0 : 1);
	}
	assert_true(has_error(res.report, t.slug[k], "not_found"));
	sync_run_result_clear(&res);
	e->reader = d.inner;
	sync_env_free(e);
}

static void test_org_deleted_during_a_run_fails_only_itself(void **state)
{
	(void)state;
	gone_during_run("gonei", SYNC_KIND_INCREMENTAL, false, false); /* the locked first org */
	gone_during_run("gonej", SYNC_KIND_INCREMENTAL, true, false);
	gone_during_run("gonef", SYNC_KIND_FULL, false, false); /* read beside the directory */
	gone_during_run("goneg", SYNC_KIND_FULL, true, false);
	gone_during_run("goned", SYNC_KIND_INCREMENTAL, true, true);
	gone_during_run("gonee", SYNC_KIND_FULL, true, true);
}

/* A serialization failure in the apply of org `k` of t (once: the
 * sequence does not roll back) is retried from a fresh read and plan, not
 * with the kept preview; the report counts both reads. */
static void retry_once(const char *tag, enum sync_kind kind, bool last)
{
	struct three_orgs t;
	struct sync_run_result res;
	struct sync_env *e = &t.e;

	three_orgs_init(&t, tag);
	int k = three_orgs_run_end(&t, last);
	fx_sql("CREATE SEQUENCE %s_once", tag);
	fx_sql("CREATE FUNCTION %s_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$"
	       " BEGIN IF nextval('%s_once') = 1 THEN RAISE EXCEPTION 'test: serialization'"
	       "  USING ERRCODE = '40001'; END IF; RETURN NEW; END $$", tag, tag);
	fx_sql("CREATE TRIGGER %s_fail_once BEFORE UPDATE ON members FOR EACH ROW"
	       " WHEN (NEW.org_id = '%s') EXECUTE FUNCTION %s_fail_once()", tag, t.id[k], tag);
	three_orgs_edit(&t);
	sync_env_run(e, kind, false, false, &res);
	fx_sql("DROP TRIGGER %s_fail_once ON members", tag);
	fx_sql("DROP FUNCTION %s_fail_once()", tag);
	/* Raised once; the retry's updates got through. */
	assert_true(fx_sql_count("SELECT last_value FROM %s_once", tag) > 1);
	fx_sql("DROP SEQUENCE %s_once", tag);
	assert_string_equal(res.status, "success");
	for (int j = 0; j < 3; j++) {
		json_t *o = org_report(res.report, t.slug[j]);
		assert_string_equal(jstr(o, "status"), "applied");
		assert_int_equal(jint(o, "member_reads"), j == k ? 2 : 1);
	}
	sync_run_result_clear(&res);
	three_orgs_assert_edited(&t);
	sync_env_free(e);
}

/* The first org of an incremental run (planned in its open transaction)
 * and a later org of a full run (planned from its read under the lock). */
static void test_retried_org_is_read_and_planned_afresh(void **state)
{
	(void)state;
	retry_once("rtri", SYNC_KIND_INCREMENTAL, false);
	retry_once("rtrf", SYNC_KIND_FULL, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_edit_changes_roles_and_teams),
		cmocka_unit_test(test_nested_group_edit_changes_roles),
		cmocka_unit_test(test_leaving_every_group_under_each_policy),
		cmocka_unit_test(test_dn_rename_is_an_update),
		cmocka_unit_test(test_batched_updates_are_audited_each),
		cmocka_unit_test(test_threshold_refuses_an_incremental_run),
		cmocka_unit_test(test_new_mapping_applies_incrementally),
		cmocka_unit_test(test_disabled_member_stays_suspended),
		cmocka_unit_test(test_batched_team_changes_are_audited_each),
		cmocka_unit_test(test_orgs_of_one_directory_are_read_once_each),
		cmocka_unit_test(test_org_changed_since_its_read_is_planned_afresh),
		cmocka_unit_test(test_org_changed_since_its_full_read_is_planned_afresh),
		cmocka_unit_test(test_threshold_in_one_org_applies_no_org),
		cmocka_unit_test(test_org_deleted_during_a_run_fails_only_itself),
		cmocka_unit_test(test_retried_org_is_read_and_planned_afresh),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
