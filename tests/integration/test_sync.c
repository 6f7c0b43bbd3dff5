/* LDAP sync runs through a real PostgreSQL, with the directory given as an
 * in-memory reader (tests/integration/sync_fixture.h): apply, run history,
 * the watermark, thresholds, fail-closed reads, the advisory lock, dry runs,
 * leave policies, the owner, per-org atomicity, and the read-only rule for
 * LDAP-managed members through the daemon's API. */
#include <pthread.h>
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
#include "core/directories.h"
#include "sync/history.h"
#include "sync_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	return sync_fx_start("sync", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return sync_fx_stop();
}

static char *watermark(const struct sync_env *e)
{
	return fx_sql_value("SELECT watermark FROM ldap_sync_state WHERE directory_name = '%s'",
			    e->name);
}

/* ---------------------------------------------------------------------- */

static void test_first_run_provisions_roles_and_teams(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "first");
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	tdir_user(e.tdir, "cid"); /* in no mapped group */
	tdir_group(e.tdir, "admins", "ann", NULL);
	tdir_group(e.tdir, "eng", "ann", "bob", NULL);
	const char *team = sync_team(e.org_id, "Engineering", e.name);
	char team_id[40];
	snprintf(team_id, sizeof(team_id), "%s", team);
	sync_map(&e, e.org_id, "admins", "ADMIN", NULL);
	sync_map(&e, e.org_id, "eng", "USER", team_id);

	sync_env_run(&e, SYNC_KIND_AUTO, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_true(res.run_id > 0);
	assert_string_equal(jstr(res.report, "kind"), "full");
	assert_int_equal(jint(res.report, "counts.added"), 2);
	assert_int_equal(jint(res.report, "counts.users_seen"), 3);
	assert_int_equal(jint(res.report, "counts.team_changes"), 2);
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "applied");
	sync_run_result_clear(&res);

	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "cid@corp.example"), "(none)");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'",
				      team_id), 2);
	/* Stored as the directory wrote them. */
	char *dn = fx_sql_value("SELECT ldap_dn || ' ' || external_id || ' ' || directory_name"
				" FROM members WHERE id = '%s'",
				sync_member_id(e.org_id, "bob@corp.example"));
	assert_non_null(dn);
	assert_non_null(strstr(dn, "uid=bob,ou=people,dc=example,dc=org id-bob-"));
	free(dn);
	/* Audited as the directory. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND source = 'ldap:%s' AND action = 'member.provisioned'",
				      e.org_id, e.name), 2);
	/* The after-image is the member as member_view shows it, with the
	 * effective role, before the member joined any team. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events ev JOIN member_view v"
				      " ON v.org_id = ev.org_id AND v.id::text = ev.target_id"
				      " WHERE ev.org_id = '%s' AND ev.action = 'member.provisioned'"
				      " AND ev.after = (v.member_json::jsonb - 'teams')"
				      "   || jsonb_build_object('teams', '[]'::jsonb,"
				      "   'effective_role', v.role)", e.org_id), 2);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND source = 'ldap:%s' AND action = 'team.member_added'",
				      e.org_id, e.name), 2);
	/* The watermark is the newest stamp read. */
	char *wm = watermark(&e);
	assert_non_null(wm);
	assert_int_equal(atol(wm), e.tdir->clock);
	free(wm);
	sync_env_free(&e);
}

static void test_unchanged_directory_changes_nothing(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "same");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	long long audits = fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'", e.org_id);
	char *version = fx_sql_value("SELECT version FROM members WHERE id = '%s'",
				     sync_member_id(e.org_id, "ann@corp.example"));

	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_int_equal(jint(res.report, "counts.added"), 0);
	assert_int_equal(jint(res.report, "counts.updated"), 0);
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "unchanged");
	sync_run_result_clear(&res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'", e.org_id),
			 audits);
	char *again = fx_sql_value("SELECT version FROM members WHERE id = '%s'",
				   sync_member_id(e.org_id, "ann@corp.example"));
	assert_string_equal(version, again);
	free(version);
	free(again);
	sync_env_free(&e);
}

static void test_dn_rename_updates_the_same_member(void **state)
{
	(void)state;
	struct sync_env e;

	sync_env_init(&e, "rename");
	struct tdir_user *u = tdir_user(e.tdir, "ann");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char id[40];
	snprintf(id, sizeof(id), "%s", sync_member_id(e.org_id, "ann@corp.example"));

	snprintf(u->dn, sizeof(u->dn), "uid=ann,ou=staff,dc=example,dc=org");
	tdir_touch(e.tdir, u);
	tdir_group_set(e.tdir, g, NULL);
	tdir_group_add_value(e.tdir, g, "uid=ann,ou=staff,dc=example,dc=org");
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(sync_member_id(e.org_id, "ann@corp.example"), id);
	char *dn = fx_sql_value("SELECT ldap_dn FROM members WHERE id = '%s'", id);
	assert_string_equal(dn, "uid=ann,ou=staff,dc=example,dc=org");
	free(dn);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
				      " AND status = 'removed'", e.org_id), 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.updated'", id), 1);
	sync_env_free(&e);
}

/* A user leaves every mapped group, under each policy. */
static void test_leave_policies(void **state)
{
	(void)state;
	for (size_t i = 0; i < sync_n_leave_cases; i++) {
		const struct sync_leave_case *c = &sync_leave_cases[i];
		struct sync_env e;
		char bob[40];
		struct tdir_group *g = sync_leave_env(&e, c->policy, NULL, bob);

		tdir_group_set(e.tdir, g, "ann", NULL);
		assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
		sync_leave_check(&e, c, bob);
		if (c->policy == DIR_LEAVE_REMOVE)
			assert_string_equal(fx_member_state(bob), "ADMIN/removed");
		/* Back in the group: active and ADMIN again (a removed one as a new member). */
		tdir_group_set(e.tdir, g, "ann", "bob", NULL);
		assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
		assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");
		sync_env_free(&e);
	}
}

static void test_owner_in_mapped_group_is_untouched(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "owner");
	/* The owner is in the directory under the owner's own email. */
	struct tdir_user *o = tdir_user(e.tdir, "theowner");
	snprintf(o->email, sizeof(o->email), "%s", e.owner.email);
	tdir_user(e.tdir, "ann");
	struct tdir_group *g = tdir_group(e.tdir, "viewers", "theowner", "ann", NULL);
	sync_map(&e, e.org_id, "viewers", "VIEWER", NULL);
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_int_equal(jint(res.report, "counts.skipped_by_reason.owner_managed_locally"), 1);
	assert_string_equal(jstr(res.report, "counts.orgs.0.skipped.0.reason"),
			    "owner_managed_locally");
	sync_run_result_clear(&res);
	assert_string_equal(fx_member_state(e.owner_member_id), "OWNER/active");

	/* Disabled, then gone from every group: still the active owner. */
	o->active = false;
	tdir_touch(e.tdir, o);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(fx_member_state(e.owner_member_id), "OWNER/active");
	tdir_group_set(e.tdir, g, "ann", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(fx_member_state(e.owner_member_id), "OWNER/active");
	sync_env_free(&e);
}

static void test_local_member_claimed_by_email(void **state)
{
	(void)state;
	struct sync_env e;
	struct person p;
	char id[40];

	sync_env_init(&e, "claim");
	fx_person(&p, "local");
	fx_join(e.slug, &p, "VIEWER", id);
	struct tdir_user *u = tdir_user(e.tdir, "loc");
	snprintf(u->email, sizeof(u->email), "%s", p.email);
	tdir_group(e.tdir, "eng", "loc", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	assert_string_equal(sync_member_id(e.org_id, p.email), id); /* the same member */
	assert_string_equal(sync_member(e.org_id, p.email), "USER/active/ldap");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'member.claimed'", id), 1);
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* Fail closed, thresholds, the watermark                                   */

static void test_read_error_applies_nothing_and_keeps_the_watermark(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "readerr");
	tdir_user(e.tdir, "ann");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char *before = watermark(&e);

	tdir_user(e.tdir, "bob");
	tdir_group_set(e.tdir, g, "bob", NULL);
	snprintf(e.tdir->fail, sizeof(e.tdir->fail), "ldap://127.0.0.1:1: Can't contact LDAP server");
	sync_env_run(&e, SYNC_KIND_AUTO, false, false, &res);
	assert_string_equal(res.status, "failed");
	assert_non_null(strstr(jstr(res.report, "error"), "Can't contact LDAP server"));
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "(none)");
	char *after = watermark(&e);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM ldap_sync_state WHERE directory_name = '%s'"
				      " AND last_run_id <> (SELECT max(id) FROM ldap_sync_runs"
				      " WHERE directory_name = '%s' AND status = 'success')",
				      e.name, e.name), 1);

	/* The server is back: the next run applies and moves the watermark. */
	e.tdir->fail[0] = '\0';
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_AUTO, false), "success");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "(none)");
	after = watermark(&e);
	assert_true(atol(after) > atol(before));
	free(after);
	free(before);
	sync_env_free(&e);
}

static void test_zero_users_is_an_error(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "zero");
	struct tdir_user *u = tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	u->exists = false; /* e.g. a wrong user_base: nobody comes back */
	sync_env_run(&e, SYNC_KIND_FULL, false, true, &res); /* even forced */
	assert_string_equal(res.status, "failed");
	assert_non_null(strstr(jstr(res.report, "error"), "no users"));
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	sync_env_free(&e);
}

static void test_threshold_exceeded_then_forced(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;
	static const char *const uids[] = { "u1", "u2", "u3", "u4", "u5" };

	sync_env_init(&e, "thresh");
	e.dir->delete_max_count = 2;
	e.dir->delete_max_percent = 0;
	for (size_t i = 0; i < 5; i++)
		tdir_user(e.tdir, uids[i]);
	struct tdir_group *g = tdir_group(e.tdir, "eng", "u1", "u2", "u3", "u4", "u5", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char *before = watermark(&e);

	tdir_user(e.tdir, "u6");
	tdir_group_set(e.tdir, g, "u1", "u6", NULL); /* 4 leave, 1 joins */
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "threshold_exceeded");
	assert_string_equal(jstr(res.report, "errors.0.code"), "deletion_threshold");
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "threshold_exceeded");
	assert_int_equal(jint(res.report, "counts.orgs.0.counts.deprovisions"), 4);
	sync_run_result_clear(&res);
	/* Nothing applied: not the removals, not the add. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
				      " AND source_kind = 'ldap' AND status = 'active'", e.org_id), 5);
	assert_string_equal(sync_member(e.org_id, "u6@corp.example"), "(none)");
	char *after = watermark(&e);
	assert_string_equal(before, after);
	free(after);
	/* Stays stopped until forced. */
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "threshold_exceeded");
	sync_env_run(&e, SYNC_KIND_FULL, false, true, &res);
	assert_string_equal(res.status, "success");
	assert_true(json_is_true(json_object_get(res.report, "forced")));
	assert_int_equal(jint(res.report, "counts.removed"), 4);
	sync_run_result_clear(&res);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
				      " AND source_kind = 'ldap' AND status = 'active'", e.org_id), 2);
	after = watermark(&e);
	assert_string_not_equal(before, after);
	free(after);
	free(before);
	sync_env_free(&e);
}

static void test_percentage_threshold(void **state)
{
	(void)state;
	struct sync_env e;

	sync_env_init(&e, "pct");
	e.dir->delete_max_count = 500;
	e.dir->delete_max_percent = 20;
	tdir_user(e.tdir, "a");
	tdir_user(e.tdir, "b");
	tdir_user(e.tdir, "c");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "a", "b", "c", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	tdir_group_set(e.tdir, g, "a", "b", NULL); /* 1 of 3 = 33% > 20% */
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "threshold_exceeded");
	assert_string_equal(sync_member(e.org_id, "c@corp.example"), "USER/active/ldap");
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* Per-org atomicity and guardrail refusals                                 */

/* A database refusal in the middle of one org's changes undoes that org's
 * other changes; another org of the same directory still applies. */
static void test_refusal_mid_apply_leaves_the_org_untouched(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;
	char slug2[64], org2[40];

	sync_env_init(&e, "atomic");
	sync_env_org(&e, "atomic2", slug2, org2);
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	sync_map(&e, org2, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char ann[40];
	snprintf(ann, sizeof(ann), "%s", sync_member_id(e.org_id, "ann@corp.example"));

	/* Next run: bob joins (an add) and ann becomes ADMIN (a role change
	 * the backstop refuses in the first org only). */
	fx_sql("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
	       " BEGIN RAISE EXCEPTION 'refused by test' USING ERRCODE = 'OB002'; END $$");
	fx_sql("CREATE TRIGGER test_refuse BEFORE UPDATE OF role ON members FOR EACH ROW"
	       " WHEN (NEW.id = '%s') EXECUTE FUNCTION test_refuse()", ann);
	tdir_group_set(e.tdir, g, "ann", "bob", NULL);
	fx_sql("UPDATE group_role_mappings SET role = 'ADMIN' WHERE directory_name = '%s'", e.name);
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	fx_sql("DROP TRIGGER test_refuse ON members");
	fx_sql("DROP FUNCTION test_refuse()");
	assert_string_equal(res.status, "failed");
	assert_string_equal(jstr(res.report, "errors.0.org"), e.slug);
	assert_string_equal(jstr(res.report, "errors.0.code"), "last_admin_like");
	assert_string_equal(jstr(res.report, "errors.0.member_id"), ann);
	assert_string_equal(jstr(res.report, "errors.0.action"), "promote");
	sync_run_result_clear(&res);
	/* The first org: neither the add nor the promotion. */
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "(none)");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");
	/* The second org: both. */
	assert_string_equal(sync_member(org2, "bob@corp.example"), "ADMIN/active/ldap");
	assert_string_equal(sync_member(org2, "ann@corp.example"), "ADMIN/active/ldap");
	/* A failed run does not move the watermark; the next run finishes it. */
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_AUTO, false), "success");
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "ADMIN/active/ldap");
	sync_env_free(&e);
}

/* The planner's own refusal: an org (made broken on purpose, without an
 * owner) whose last admin-like member the directory would demote. */
static void test_last_admin_like_refused_for_that_org(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "lastadmin");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "ADMIN", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	/* Take the owner out behind the triggers' back. */
	fx_sql("ALTER TABLE members DISABLE TRIGGER USER");
	fx_sql("UPDATE members SET status = 'removed', removed_at = now() WHERE id = '%s'",
	       e.owner_member_id);
	fx_sql("ALTER TABLE members ENABLE TRIGGER USER");
	fx_sql("UPDATE group_role_mappings SET role = 'USER' WHERE directory_name = '%s'", e.name);
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	assert_string_equal(res.status, "failed");
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "refused");
	assert_string_equal(jstr(res.report, "counts.orgs.0.refusal"), "last_admin_like");
	assert_string_equal(jstr(res.report, "errors.0.code"), "last_admin_like");
	sync_run_result_clear(&res);
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "ADMIN/active/ldap");
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* Dry runs, incremental runs, concurrency                                  */

static void test_dry_run_writes_nothing(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;
	static const char *const tables[] = { "members", "accounts", "audit_events", "team_members",
					      "ldap_sync_runs", "ldap_sync_state" };
	long long before[6];

	sync_env_init(&e, "dry");
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob");
	tdir_group(e.tdir, "eng", "ann", "bob", NULL);
	char team[40];
	snprintf(team, sizeof(team), "%s", sync_team(e.org_id, "Eng", e.name));
	sync_map(&e, e.org_id, "eng", "ADMIN", team);
	for (size_t i = 0; i < 6; i++)
		before[i] = fx_sql_count("SELECT count(*) FROM %s", tables[i]);
	sync_env_run(&e, SYNC_KIND_AUTO, true, false, &res);
	for (size_t i = 0; i < 6; i++)
		if (fx_sql_count("SELECT count(*) FROM %s", tables[i]) != before[i])
			fail_msg("a dry run wrote into %s", tables[i]);
	assert_string_equal(res.status, "planned");
	assert_int_equal(res.run_id, 0);
	assert_true(json_is_true(json_object_get(res.report, "dry_run")));
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "planned");
	assert_int_equal(jint(res.report, "counts.orgs.0.counts.added"), 2);
	/* Each planned change is listed. */
	assert_string_equal(jstr(res.report, "counts.orgs.0.changes.0.action"), "add");
	assert_string_equal(jstr(res.report, "counts.orgs.0.changes.0.role"), "ADMIN");
	assert_string_equal(jstr(res.report, "counts.orgs.0.changes.0.email"), "ann@corp.example");
	assert_string_equal(jstr(res.report, "counts.orgs.0.changes.2.action"), "team_add");
	assert_string_equal(jstr(res.report, "counts.orgs.0.changes.2.team_id"), team);
	sync_run_result_clear(&res);
	sync_env_free(&e);
}

static void test_incremental_run_sees_group_edits(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "incr");
	tdir_user(e.tdir, "ann");
	tdir_user(e.tdir, "bob"); /* in the directory, not yet in the group */
	struct tdir_user *cid = tdir_user(e.tdir, "cid");
	struct tdir_group *g = tdir_group(e.tdir, "eng", "ann", "cid", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_AUTO, false), "success");

	/* Only the group entry changes: bob in, cid out. */
	tdir_group_set(e.tdir, g, "ann", "bob", NULL);
	int fetches = atomic_load(&e.tdir->fetches);
	sync_env_run(&e, SYNC_KIND_AUTO, false, false, &res);
	assert_string_equal(res.status, "success");
	assert_string_equal(jstr(res.report, "kind"), "incremental");
	/* Users unchanged since the watermark are not read again... */
	assert_true(jint(res.report, "counts.users_seen") < 3);
	sync_run_result_clear(&res);
	/* ...bob, unknown to the database, was fetched by DN. */
	assert_int_equal(atomic_load(&e.tdir->fetches), fetches + 1);
	assert_string_equal(sync_member(e.org_id, "bob@corp.example"), "USER/active/ldap");
	assert_string_equal(sync_member(e.org_id, "cid@corp.example"), "(none)");
	assert_string_equal(sync_member(e.org_id, "ann@corp.example"), "USER/active/ldap");

	/* An attribute edit on a user is seen incrementally too. */
	snprintf(cid->display, sizeof(cid->display), "Changed");
	struct tdir_user *ann = &e.tdir->users[0];
	snprintf(ann->display, sizeof(ann->display), "Ann Changed");
	tdir_touch(e.tdir, ann);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_AUTO, false), "success");
	char *name = fx_sql_value("SELECT profile->>'displayName' FROM members WHERE id = '%s'",
				  sync_member_id(e.org_id, "ann@corp.example"));
	assert_string_equal(name, "Ann Changed");
	free(name);
	sync_env_free(&e);
}

static void test_full_run_when_due(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;

	sync_env_init(&e, "due");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_AUTO, false), "success");
	sync_env_run(&e, SYNC_KIND_AUTO, false, false, &res);
	assert_string_equal(jstr(res.report, "kind"), "incremental");
	sync_run_result_clear(&res);
	fx_sql("UPDATE ldap_sync_state SET last_full_run_at = now() - interval '2 days'"
	       " WHERE directory_name = '%s'", e.name);
	sync_env_run(&e, SYNC_KIND_AUTO, false, false, &res);
	assert_string_equal(jstr(res.report, "kind"), "full");
	sync_run_result_clear(&res);
	sync_env_free(&e);
}

struct racer {
	struct sync_env *e;
	struct db_pool *pool;
	char status[24];
};

static void *race_run(void *arg)
{
	struct racer *r = arg;
	struct db_conn *c = db_acquire(r->pool);
	struct sync_run_options opt = { .directory = r->e->name, .kind = SYNC_KIND_FULL,
					.trigger = "test" };
	struct sync_run_result res;
	char err[256];

	if (c != NULL && sync_run(c, r->e->cfg, &r->e->reader, &opt, &res, err, sizeof(err)) == 0) {
		snprintf(r->status, sizeof(r->status), "%s", res.status);
		sync_run_result_clear(&res);
	}
	db_release(c);
	return NULL;
}

/* Two runners (two daemons' worth of connections) at once: one runs, the
 * other skips without recording anything. */
static void test_concurrent_runs_one_skips(void **state)
{
	(void)state;
	struct sync_env e;
	struct db_pool_options opt = { .conninfo = fx_conninfo, .size = 2, .connect_timeout_s = 5,
				       .acquire_timeout_ms = 5000, .application_name = "race" };
	struct racer a = { 0 }, b = { 0 };
	pthread_t ta, tb;

	sync_env_init(&e, "race");
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	e.tdir->read_delay_ms = 1500;
	a.e = b.e = &e;
	a.pool = b.pool = db_pool_new(&opt);
	assert_non_null(a.pool);
	assert_int_equal(pthread_create(&ta, NULL, race_run, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race_run, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	db_pool_free(a.pool);
	if (!((strcmp(a.status, "success") == 0 && strcmp(b.status, "skipped") == 0) ||
	      (strcmp(a.status, "skipped") == 0 && strcmp(b.status, "success") == 0)))
		fail_msg("statuses %s and %s", a.status, b.status);
	assert_int_equal(atomic_load(&e.tdir->reads), 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM ldap_sync_runs WHERE directory_name = '%s'",
			       e.name), 1);
	/* The lock is released after the run. */
	e.tdir->read_delay_ms = 0;
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* History                                                                   */

static void test_run_history_and_status(void **state)
{
	(void)state;
	struct sync_env e;
	struct core_ctx ctx = { .conn = sync_fx_conn() };
	struct core_error err;
	json_t *out = NULL;

	sync_env_init(&e, "hist");
	ctx.cfg = e.cfg;
	tdir_user(e.tdir, "ann");
	struct tdir_user *nomail = tdir_user(e.tdir, "nomail");
	nomail->email[0] = '\0';
	tdir_group(e.tdir, "eng", "ann", "nomail", NULL);
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	snprintf(e.tdir->fail, sizeof(e.tdir->fail), "timeout");
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "failed");

	assert_int_equal(sync_history_runs(&ctx, e.name, 10, 0, &out, &err), 0);
	assert_int_equal(jint(out, "total"), 2);
	assert_string_equal(jstr(out, "items.0.status"), "failed");
	assert_string_equal(jstr(out, "items.1.status"), "success");
	assert_int_equal(jint(out, "items.1.counts.added"), 1);
	assert_int_equal(jint(out, "items.1.counts.skipped_by_reason.no_email"), 1);
	assert_true(jint(out, "items.1.duration_ms") >= 0);
	assert_null(json_object_get(json_object_get(json_array_get(json_object_get(out, "items"), 1),
						    "counts"),
				    "orgs"));
	char id[24];
	snprintf(id, sizeof(id), "%lld", jint(out, "items.1.id"));
	json_decref(out);

	assert_int_equal(sync_history_run(&ctx, e.name, id, &out, &err), 0);
	assert_string_equal(jstr(out, "counts.orgs.0.org"), e.slug);
	assert_string_equal(jstr(out, "counts.orgs.0.skipped.0.reason"), "no_email");
	assert_string_equal(jstr(out, "counts.trigger"), "test");
	json_decref(out);
	assert_int_equal(sync_history_run(&ctx, e.name, "99999999", &out, &err), -1);
	assert_int_equal(err.status, 404);
	assert_int_equal(sync_history_run(&ctx, "other", id, &out, &err), -1);
	assert_int_equal(sync_history_run(&ctx, e.name, "1; DROP", &out, &err), -1);
	assert_int_equal(err.status, 404);

	assert_int_equal(sync_history_status(&ctx, e.dir, NULL, &out, &err), 0);
	assert_string_equal(jstr(out, "name"), e.name);
	assert_string_equal(jstr(out, "last_run.status"), "failed");
	assert_non_null(jstr(out, "last_success_at"));
	assert_int_equal(jint(out, "mappings"), 1);
	assert_int_equal(jint(out, "managed_members"), 1);
	json_decref(out);
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* Read-only through the API                                                */

static void test_ldap_member_refuses_local_changes(void **state)
{
	(void)state;
	struct sync_env e;
	struct person p;
	char local[40];
	json_t *out = NULL;

	sync_env_init(&e, "ro");
	fx_person(&p, "coexist");
	fx_join(e.slug, &p, "USER", local);
	tdir_user(e.tdir, "ann");
	tdir_group(e.tdir, "eng", "ann", NULL);
	char team[40];
	snprintf(team, sizeof(team), "%s", sync_team(e.org_id, "Eng", e.name));
	sync_map(&e, e.org_id, "eng", "USER", team);
	assert_string_equal(sync_env_run_status(&e, SYNC_KIND_FULL, false), "success");
	char ann[40];
	snprintf(ann, sizeof(ann), "%s", sync_member_id(e.org_id, "ann@corp.example"));

	assert_int_equal(fx_call(e.owner.token, "PATCH", &out, "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/members/%s", e.slug, ann), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	assert_non_null(strstr(jstr(out, "error.message"), e.name));
	json_decref(out);
	assert_int_equal(fx_call(e.owner.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 e.slug, ann), 409);
	json_decref(out);
	/* The directory's team refuses local membership changes. */
	assert_int_equal(fx_call(e.owner.token, "PUT", &out, NULL,
				 "/api/v1/orgs/%s/teams/%s/members/%s", e.slug, team, local), 409);
	assert_non_null(strstr(jstr(out, "error.message"), e.name));
	json_decref(out);
	/* Shown, marked. */
	assert_int_equal(fx_call(e.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 e.slug, ann), 200);
	char managed[64];
	snprintf(managed, sizeof(managed), "ldap:%s", e.name);
	assert_string_equal(jstr(out, "managed_by"), managed);
	json_decref(out);
	/* The local member beside it keeps working. */
	assert_int_equal(fx_call(e.owner.token, "PATCH", &out, "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/members/%s", e.slug, local), 200);
	json_decref(out);
	assert_string_equal(fx_member_state(ann), "USER/active");
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* Mappings and directory access (core/directories.h), in process           */

static struct core_ctx account_ctx(const struct sync_env *e, const struct person *p)
{
	struct core_ctx ctx = { .conn = sync_fx_conn(), .cfg = e->cfg };
	ctx.actor.kind = ACTOR_ACCOUNT;
	ctx.actor.source = SOURCE_API;
	snprintf(ctx.actor.account_id, sizeof(ctx.actor.account_id), "%.36s", p->account_id);
	snprintf(ctx.actor.label, sizeof(ctx.actor.label), "%s", p->email);
	snprintf(ctx.actor.audit_source, sizeof(ctx.actor.audit_source), "api");
	return ctx;
}

static void test_mappings(void **state)
{
	(void)state;
	struct sync_env e;
	struct person user;
	struct core_error err;
	json_t *out = NULL;
	char uid[40], mapping[40];

	sync_env_init(&e, "maps");
	fx_person(&user, "plain");
	fx_join(e.slug, &user, "USER", uid);
	struct core_ctx owner = account_ctx(&e, &e.owner), plain = account_ctx(&e, &user);
	struct dir_mapping_input in = { .directory = e.name, .group = "cn=Admins,dc=example,dc=org",
					.role = "admin" };

	/* Non-admins: 403 (before anything about the input). */
	assert_int_equal(core_dir_mapping_create(&plain, e.slug, &in, &out, &err), -1);
	assert_int_equal(err.status, 403);
	assert_int_equal(core_dir_mappings_list(&plain, e.slug, NULL, &out, &err), -1);
	assert_int_equal(err.status, 403);

	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), 0);
	assert_string_equal(jstr(out, "role"), "ADMIN");
	assert_string_equal(jstr(out, "directory"), e.name);
	snprintf(mapping, sizeof(mapping), "%s", jstr(out, "id"));
	json_decref(out);
	/* The same group again, in another case: 409. */
	in.group = "CN=admins,DC=example,DC=org";
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_int_equal(err.status, 409);
	assert_string_equal(err.code, "mapping_exists");
	/* OWNER is never mapped; a role or a team is needed; the directory must exist. */
	in.group = "cn=owners,dc=example,dc=org";
	in.role = "OWNER";
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_string_equal(err.code, "invalid_role");
	in.role = NULL;
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_int_equal(err.status, 400);
	in.role = "USER";
	in.directory = "nosuchdir";
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_string_equal(err.code, "unknown_directory");
	in.directory = e.name;
	in.group = "";
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_int_equal(err.status, 400);

	/* A team by name is made as the directory's own; by name again it is reused. */
	in = (struct dir_mapping_input){ .directory = e.name, .group = "cn=eng,dc=example,dc=org",
					 .team = "Engineering" };
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), 0);
	assert_string_equal(jstr(out, "team_name"), "Engineering");
	assert_true(json_is_null(json_object_get(out, "role")));
	char team[40];
	snprintf(team, sizeof(team), "%s", jstr(out, "team_id"));
	json_decref(out);
	char *managed = fx_sql_value("SELECT source_kind || ':' || directory_name FROM teams"
				     " WHERE id = '%s'", team);
	char want[64];
	snprintf(want, sizeof(want), "ldap:%s", e.name);
	assert_string_equal(managed, want);
	free(managed);
	in.group = "cn=eng2,dc=example,dc=org";
	in.team = "ENGINEERING";
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), 0);
	assert_string_equal(jstr(out, "team_id"), team);
	json_decref(out);
	/* Another IdP's team is refused. */
	char *conn = fx_sql_value("INSERT INTO scim_connections (org_id, name) VALUES ('%s', 'okta')"
				  " RETURNING id", e.org_id);
	char *scim_team = fx_sql_value("INSERT INTO teams (org_id, name, source_kind, scim_connection_id)"
				       " VALUES ('%s', 'Okta team', 'scim', '%s') RETURNING id",
				       e.org_id, conn);
	in = (struct dir_mapping_input){ .directory = e.name, .group = "cn=x,dc=example,dc=org",
					 .team_id = scim_team };
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), -1);
	assert_string_equal(err.code, "managed_by_idp");
	assert_non_null(strstr(err.message, "okta"));
	free(conn);
	free(scim_team);
	/* A local team by id is fine. */
	in.team_id = sync_team(e.org_id, "Local", NULL);
	assert_int_equal(core_dir_mapping_create(&owner, e.slug, &in, &out, &err), 0);
	json_decref(out);

	assert_int_equal(core_dir_mappings_list(&owner, e.slug, NULL, &out, &err), 0);
	assert_int_equal(jint(out, "total"), 4);
	json_decref(out);
	assert_int_equal(core_dir_mapping_delete(&owner, e.slug, mapping, &err), 0);
	assert_int_equal(core_dir_mapping_delete(&owner, e.slug, mapping, &err), -1);
	assert_int_equal(err.status, 404);
	assert_int_equal(core_dir_mapping_delete(&owner, e.slug, "not-a-uuid", &err), -1);
	assert_int_equal(err.status, 404);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND action LIKE 'directory_mapping.%%'", e.org_id), 5);
	sync_env_free(&e);
}

static void test_directory_access(void **state)
{
	(void)state;
	struct sync_env e;
	struct person admin2, stranger;
	struct core_error err;
	char slug2[64], org2[40], id[40];
	json_t *orgs = NULL;

	sync_env_init(&e, "access");
	sync_env_org(&e, "access2", slug2, org2);
	fx_person(&admin2, "admin2");
	fx_join(slug2, &admin2, "ADMIN", id);
	fx_person(&stranger, "stranger");
	struct core_ctx owner = account_ctx(&e, &e.owner), other = account_ctx(&e, &admin2),
			nobody = account_ctx(&e, &stranger);
	struct core_ctx cli = { .conn = sync_fx_conn(), .cfg = e.cfg };
	actor_for_cli(&cli.actor);

	/* Mapped nowhere: only the operator may run it; any admin may look. */
	assert_int_equal(core_dir_access(&owner, e.name, DIR_ACCESS_RUN, NULL, &err), -1);
	assert_int_equal(err.status, 403);
	assert_int_equal(core_dir_access(&cli, e.name, DIR_ACCESS_RUN, NULL, &err), 0);
	assert_int_equal(core_dir_access(&owner, e.name, DIR_ACCESS_VIEW, NULL, &err), 0);
	assert_int_equal(core_dir_access(&nobody, e.name, DIR_ACCESS_VIEW, NULL, &err), -1);
	assert_int_equal(err.status, 403);

	/* Mapped to two orgs: the owner of both may run it; admin2, admin of
	 * one, may only look, and sees only that org. */
	sync_map(&e, e.org_id, "eng", "USER", NULL);
	sync_map(&e, org2, "eng", "USER", NULL);
	assert_int_equal(core_dir_access(&owner, e.name, DIR_ACCESS_RUN, NULL, &err), 0);
	assert_int_equal(core_dir_access(&other, e.name, DIR_ACCESS_RUN, NULL, &err), -1);
	assert_int_equal(err.status, 403);
	assert_non_null(strstr(err.message, "every organization"));
	assert_int_equal(core_dir_access(&other, e.name, DIR_ACCESS_VIEW, &orgs, &err), 0);
	assert_int_equal(json_array_size(orgs), 1);
	assert_string_equal(json_string_value(json_array_get(orgs, 0)), org2);
	json_decref(orgs);
	assert_int_equal(core_dir_access(&cli, e.name, DIR_ACCESS_VIEW, &orgs, &err), 0);
	assert_null(orgs); /* everything */
	sync_env_free(&e);
}

/* ---------------------------------------------------------------------- */
/* A bigger directory: batches, and a re-sync that does not grow with the    */
/* square of the org                                                         */

#define BIG 5000

static int big_read(void *arg, const struct directory_config *dir, bool full,
		    const char *watermark, struct dir_snapshot *out, char *err, size_t errcap)
{
	(void)arg;
	(void)dir;
	(void)watermark;
	(void)err;
	(void)errcap;
	memset(out, 0, sizeof(*out));
	out->full = full;
	out->users = calloc(BIG, sizeof(*out->users));
	out->groups = calloc(1, sizeof(*out->groups));
	assert_non_null(out->users);
	assert_non_null(out->groups);
	out->groups[0].dn = strdup(tdir_group_dn("all"));
	out->groups[0].members = calloc(BIG, sizeof(char *));
	assert_non_null(out->groups[0].members);
	for (int i = 0; i < BIG; i++) {
		struct dir_user *u = &out->users[i];
		char b[128];
		snprintf(b, sizeof(b), "uid=big%d,ou=people,dc=example,dc=org", i);
		u->dn = strdup(b);
		out->groups[0].members[i] = strdup(b);
		snprintf(b, sizeof(b), "big-id-%d", i);
		u->stable_id = strdup(b);
		snprintf(b, sizeof(b), "big%d", i);
		u->username = strdup(b);
		snprintf(b, sizeof(b), "big%d@big.example", i);
		u->email = strdup(b);
		u->active = true;
	}
	out->n_users = BIG;
	out->groups[0].n_members = BIG;
	out->n_groups = 1;
	return 0;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_big_directory(void **state)
{
	(void)state;
	struct sync_env e;
	struct sync_run_result res;
	char team[40];

	sync_env_init(&e, "big");
	e.reader.read = big_read;
	e.reader.fetch = NULL;
	snprintf(team, sizeof(team), "%s", sync_team(e.org_id, "Everyone", e.name));
	sync_map(&e, e.org_id, "all", "USER", team);
	char *before_run = fx_sql_value("SELECT clock_timestamp()::text");
	double t0 = seconds();
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	double first = seconds() - t0;
	assert_string_equal(res.status, "success");
	assert_int_equal(jint(res.report, "counts.added"), BIG);
	sync_run_result_clear(&res);
	/* Every batch landed, each change audited once. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members WHERE org_id = '%s'"
				      " AND source_kind = 'ldap' AND role = 'USER'", e.org_id), BIG);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'", team),
			 BIG);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND action = 'member.provisioned'", e.org_id), BIG);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE org_id = '%s'"
				      " AND action = 'team.member_added'", e.org_id), BIG);
	assert_int_equal(fx_sql_count("SELECT count(DISTINCT after->>'username') FROM audit_events"
				      " WHERE org_id = '%s' AND action = 'member.provisioned'"
				      " AND after->>'effective_role' = 'USER'", e.org_id), BIG);
	/* The run refreshed the statistics of what it grew (prepared statements
	 * keep plans made for the empty tables until ANALYZE), so the re-sync
	 * below plans with them too. */
	assert_true(fx_sql_count("SELECT count(*) FROM pg_stat_user_tables"
				 " WHERE relname IN ('members', 'accounts', 'team_members')"
				 " AND last_analyze > '%s'::timestamptz", before_run) == 3);
	t0 = seconds();
	sync_env_run(&e, SYNC_KIND_FULL, false, false, &res);
	double again = seconds() - t0;
	assert_string_equal(res.status, "success");
	assert_string_equal(jstr(res.report, "counts.orgs.0.status"), "unchanged");
	sync_run_result_clear(&res);
	print_message("# %d users: first sync %.2f s, no-change re-sync %.2f s\n", BIG, first, again);
	/* A re-sync reads and plans only: it must cost less than the writes. */
	if (again > first)
		fail_msg("re-sync %.2f s is slower than the first sync %.2f s", again, first);
	free(before_run);
	sync_env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run_provisions_roles_and_teams),
		cmocka_unit_test(test_unchanged_directory_changes_nothing),
		cmocka_unit_test(test_dn_rename_updates_the_same_member),
		cmocka_unit_test(test_leave_policies),
		cmocka_unit_test(test_owner_in_mapped_group_is_untouched),
		cmocka_unit_test(test_local_member_claimed_by_email),
		cmocka_unit_test(test_read_error_applies_nothing_and_keeps_the_watermark),
		cmocka_unit_test(test_zero_users_is_an_error),
		cmocka_unit_test(test_threshold_exceeded_then_forced),
		cmocka_unit_test(test_percentage_threshold),
		cmocka_unit_test(test_refusal_mid_apply_leaves_the_org_untouched),
		cmocka_unit_test(test_last_admin_like_refused_for_that_org),
		cmocka_unit_test(test_dry_run_writes_nothing),
		cmocka_unit_test(test_incremental_run_sees_group_edits),
		cmocka_unit_test(test_full_run_when_due),
		cmocka_unit_test(test_concurrent_runs_one_skips),
		cmocka_unit_test(test_run_history_and_status),
		cmocka_unit_test(test_ldap_member_refuses_local_changes),
		cmocka_unit_test(test_mappings),
		cmocka_unit_test(test_directory_access),
		cmocka_unit_test(test_big_directory),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
