/* Teams through HTTP against a real orgbridged and PostgreSQL: CRUD, role
 * grants (never OWNER), team membership, effective roles and permissions
 * raised by a grant, removed and IdP-managed members, IdP-managed teams, and
 * guardrails that count own roles only (deleting a team never breaks them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"
#include "orgs_fixture.h"

static int group_setup(void **state)
{
	(void)state;
	return fx_start("teams", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

/* POST /teams; the new team's id into id (cap >= 40). */
static void make_team(const struct person *actor, const char *slug, const char *body, char *id)
{
	json_t *out = NULL;

	assert_int_equal(fx_call(actor->token, "POST", &out, body, "/api/v1/orgs/%s/teams", slug), 201);
	assert_non_null(jstr(out, "id"));
	snprintf(id, 40, "%s", jstr(out, "id"));
	json_decref(out);
}

static long add_to_team(const struct person *actor, const char *slug, const char *team,
			const char *member, json_t **out)
{
	return fx_call(actor->token, "PUT", out, NULL, "/api/v1/orgs/%s/teams/%s/members/%s", slug,
		       team, member);
}

static const char *effective_role(const struct person *asker, const char *slug, const char *id)
{
	static char buf[16];
	json_t *out = NULL;

	assert_int_equal(fx_call(asker->token, "GET", &out, NULL, "/api/v1/orgs/%s/members/%s", slug,
				 id),
			 200);
	snprintf(buf, sizeof(buf), "%s", jstr(out, "effective_role"));
	json_decref(out);
	return buf;
}

/* ---- CRUD ---- */

static void test_team_crud_by_admin_with_audit(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Team Crud");
	assert_int_equal(fx_call(o.admin.token, "POST", &out,
				 "{\"name\":\"Platform\",\"description\":\"infra folks\",\"role\":\"user\"}",
				 "/api/v1/orgs/%s/teams", o.slug),
			 201);
	assert_string_equal(jstr(out, "name"), "Platform");
	assert_string_equal(jstr(out, "description"), "infra folks");
	assert_string_equal(jstr(out, "role"), "USER");
	assert_string_equal(jstr(out, "managed_by"), "local");
	assert_int_equal(jint(out, "member_count"), 0);
	assert_non_null(jstr(out, "created_at"));
	snprintf(team, sizeof(team), "%s", jstr(out, "id"));
	json_decref(out);

	/* Any member reads. */
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", o.slug,
				 team),
			 200);
	assert_string_equal(jstr(out, "name"), "Platform");
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.id"), team);
	json_decref(out);

	assert_int_equal(fx_call(o.owner.token, "PATCH", &out,
				 "{\"name\":\"Platform Eng\",\"role\":null}",
				 "/api/v1/orgs/%s/teams/%s", o.slug, team),
			 200);
	assert_string_equal(jstr(out, "name"), "Platform Eng");
	assert_true(json_is_null(json_object_get(out, "role")));
	assert_string_equal(jstr(out, "description"), "infra folks");
	json_decref(out);
	/* An absent role keeps the grant. */
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"role\":\"VIEWER\"}",
				 "/api/v1/orgs/%s/teams/%s", o.slug, team),
			 200);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"description\":\"\"}",
				 "/api/v1/orgs/%s/teams/%s", o.slug, team),
			 200);
	assert_string_equal(jstr(out, "role"), "VIEWER");
	assert_string_equal(jstr(out, "description"), "");
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/teams/%s",
				 o.slug, team),
			 204);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", o.slug,
				 team),
			 404);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action IN ('team.created', 'team.updated', 'team.deleted')",
				      team),
			 5);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'team.updated' AND before->>'name' = 'Platform'"
				      " AND after->>'name' = 'Platform Eng'",
				      team),
			 1);
}

static void test_team_name_is_unique_case_insensitively_and_validated(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Team Names");
	make_team(&o.owner, o.slug, "{\"name\":\"Ops\"}", team);
	assert_int_equal(fx_call(o.owner.token, "POST", &out, "{\"name\":\"OPS\"}",
				 "/api/v1/orgs/%s/teams", o.slug),
			 409);
	assert_string_equal(jerr(out), "team_name_taken");
	json_decref(out);
	const char *bad[] = { "{}", "{\"name\":\"\"}", "{\"name\":\"a\\u0001b\"}", "{\"name\":5}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fx_call(o.owner.token, "POST", &out, bad[i], "/api/v1/orgs/%s/teams",
					 o.slug),
				 400);
		json_decref(out);
	}
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{}", "/api/v1/orgs/%s/teams/%s",
				 o.slug, team),
			 400);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams t JOIN organizations o"
				      " ON o.id = t.org_id WHERE o.slug = '%s'",
				      o.slug),
			 1);
}

static void test_team_can_never_grant_owner(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "No Owner Grant");
	assert_int_equal(fx_call(o.owner.token, "POST", &out, "{\"name\":\"Kings\",\"role\":\"OWNER\"}",
				 "/api/v1/orgs/%s/teams", o.slug),
			 400);
	assert_string_equal(jerr(out), "invalid_team_role");
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "POST", &out, "{\"name\":\"Gods\",\"role\":\"GOD\"}",
				 "/api/v1/orgs/%s/teams", o.slug),
			 400);
	assert_string_equal(jerr(out), "invalid_team_role");
	json_decref(out);
	make_team(&o.owner, o.slug, "{\"name\":\"Peasants\",\"role\":\"VIEWER\"}", team);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"role\":\"OWNER\"}",
				 "/api/v1/orgs/%s/teams/%s", o.slug, team),
			 400);
	assert_string_equal(jerr(out), "invalid_team_role");
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s' AND role = 'VIEWER'",
				      team),
			 1);
}

static void test_user_and_viewer_cannot_manage_teams(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "No Team Power");
	make_team(&o.admin, o.slug, "{\"name\":\"Core\"}", team);
	const struct person *who[] = { &o.user, &o.viewer };
	for (int i = 0; i < 2; i++) {
		fx_assert_admin_required(fx_call(who[i]->token, "POST", &out, "{\"name\":\"Mine\"}",
						 "/api/v1/orgs/%s/teams", o.slug),
					 &out);
		fx_assert_admin_required(fx_call(who[i]->token, "PATCH", &out, "{\"name\":\"Mine\"}",
						 "/api/v1/orgs/%s/teams/%s", o.slug, team),
					 &out);
		fx_assert_admin_required(fx_call(who[i]->token, "DELETE", &out, NULL,
						 "/api/v1/orgs/%s/teams/%s", o.slug, team),
					 &out);
		fx_assert_admin_required(add_to_team(who[i], o.slug, team, o.user_id, &out), &out);
		fx_assert_admin_required(fx_call(who[i]->token, "DELETE", &out, NULL,
						 "/api/v1/orgs/%s/teams/%s/members/%s", o.slug, team,
						 o.user_id),
					 &out);
		/* Reading is fine. */
		assert_int_equal(fx_call(who[i]->token, "GET", &out, NULL,
					 "/api/v1/orgs/%s/teams/%s/members", o.slug, team),
				 200);
		json_decref(out);
	}
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s' AND name = 'Core'",
				      team),
			 1);
}

/* ---- membership ---- */

static void test_team_membership_add_list_remove(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Membership");
	make_team(&o.owner, o.slug, "{\"name\":\"Readers\"}", team);
	assert_int_equal(add_to_team(&o.admin, o.slug, team, o.user_id, &out), 200);
	assert_string_equal(jstr(out, "id"), o.user_id);
	assert_string_equal(jstr(out, "teams.0.id"), team);
	assert_string_equal(jstr(out, "teams.0.name"), "Readers");
	json_decref(out);
	/* Idempotent, audited once. */
	assert_int_equal(add_to_team(&o.admin, o.slug, team, o.user_id, &out), 200);
	json_decref(out);
	assert_int_equal(add_to_team(&o.admin, o.slug, team, o.viewer_id, &out), 200);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action = 'team.member_added'",
				      team),
			 2);

	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s/members",
				 o.slug, team),
			 200);
	assert_int_equal(jint(out, "total"), 2);
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", o.slug,
				 team),
			 200);
	assert_int_equal(jint(out, "member_count"), 2);
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/teams/%s/members/%s", o.slug, team, o.user_id),
			 204);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/teams/%s/members/%s", o.slug, team, o.user_id),
			 404);
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s/members",
				 o.slug, team),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.id"), o.viewer_id);
	json_decref(out);
}

static void test_removed_member_cannot_be_added_and_removal_drops_teams(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Removed Teams");
	make_team(&o.owner, o.slug, "{\"name\":\"Alpha\"}", team);
	assert_int_equal(add_to_team(&o.owner, o.slug, team, o.user_id, &out), 200);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 o.slug, o.user_id),
			 204);
	json_decref(out);
	/* Removal took the member out of the team. */
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE member_id = '%s'",
				      o.user_id),
			 0);
	assert_int_equal(add_to_team(&o.owner, o.slug, team, o.user_id, &out), 409);
	assert_string_equal(jerr(out), "member_removed");
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE member_id = '%s'",
				      o.user_id),
			 0);
}

/* ---- grants and effective roles ---- */

static void test_team_grant_raises_effective_role_and_permissions(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Grants");
	make_team(&o.owner, o.slug, "{\"name\":\"Admins\",\"role\":\"ADMIN\"}", team);
	/* Without the team, the USER may not change roles. */
	fx_assert_admin_required(fx_call(o.user.token, "PATCH", &out, "{\"role\":\"USER\"}",
					 "/api/v1/orgs/%s/members/%s", o.slug, o.viewer_id),
				 &out);
	assert_int_equal(add_to_team(&o.owner, o.slug, team, o.user_id, &out), 200);
	assert_string_equal(jstr(out, "role"), "USER");
	assert_string_equal(jstr(out, "effective_role"), "ADMIN");
	json_decref(out);

	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.user_id),
			 200);
	assert_string_equal(jstr(out, "role"), "USER");
	assert_string_equal(jstr(out, "effective_role"), "ADMIN");
	int has_change_roles = 0;
	for (size_t i = 0; i < json_array_size(json_object_get(out, "allowed_actions")); i++)
		has_change_roles |= strcmp(json_string_value(json_array_get(
						   json_object_get(out, "allowed_actions"), i)),
					   "change_roles") == 0;
	assert_true(has_change_roles);
	json_decref(out);

	/* Now the USER changes a role, and sees its effective role in its org. */
	assert_int_equal(fx_call(o.user.token, "PATCH", &out, "{\"role\":\"USER\"}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.viewer_id),
			 200);
	json_decref(out);
	assert_string_equal(fx_member_state(o.viewer_id), "USER/active");
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 200);
	assert_string_equal(jstr(out, "role"), "USER");
	assert_string_equal(jstr(out, "effective_role"), "ADMIN");
	json_decref(out);
	/* A lower grant does not lower anyone: highest wins. */
	char low[40];
	make_team(&o.owner, o.slug, "{\"name\":\"Lows\",\"role\":\"VIEWER\"}", low);
	assert_int_equal(add_to_team(&o.owner, o.slug, low, o.admin_id, &out), 200);
	assert_string_equal(jstr(out, "effective_role"), "ADMIN");
	json_decref(out);

	/* Out of the team, the power goes on the next request. */
	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, NULL,
				 "/api/v1/orgs/%s/teams/%s/members/%s", o.slug, team, o.user_id),
			 204);
	json_decref(out);
	assert_string_equal(effective_role(&o.owner, o.slug, o.user_id), "USER");
	fx_assert_admin_required(fx_call(o.user.token, "PATCH", &out, "{\"role\":\"VIEWER\"}",
					 "/api/v1/orgs/%s/members/%s", o.slug, o.viewer_id),
				 &out);
}

/* Guardrails count own roles: a USER holding ADMIN through a team is not
 * admin-like for them, so deleting that team can never leave an org without
 * an admin, and the team grant cannot stand in for a real admin. */
static void test_team_deletion_never_breaks_guardrails(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	char team[40];

	(void)state;
	fx_org4(&o, "Guardrails Own Roles");
	make_team(&o.owner, o.slug, "{\"name\":\"Stand-ins\",\"role\":\"ADMIN\"}", team);
	assert_int_equal(add_to_team(&o.owner, o.slug, team, o.user_id, &out), 200);
	json_decref(out);
	assert_int_equal(add_to_team(&o.owner, o.slug, team, o.viewer_id, &out), 200);
	json_decref(out);
	/* The granted admins cannot demote or remove the owner either. */
	assert_int_equal(fx_call(o.user.token, "PATCH", &out, "{\"role\":\"USER\"}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.owner_id),
			 409);
	assert_string_equal(jerr(out), "owner_cannot_be_demoted");
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/teams/%s",
				 o.slug, team),
			 204);
	json_decref(out);
	assert_string_equal(effective_role(&o.owner, o.slug, o.user_id), "USER");
	assert_string_equal(effective_role(&o.owner, o.slug, o.viewer_id), "VIEWER");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.status = 'active'"
				      " AND m.role = 'OWNER'",
				      o.slug),
			 1);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.status = 'active'"
				      " AND m.role IN ('OWNER', 'ADMIN')",
				      o.slug),
			 2);
}

/* ---- IdP-managed ---- */

static void test_idp_managed_team_and_member_refuse_local_changes(void **state)
{
	struct org4 o;
	struct person scimmed;
	json_t *out = NULL;
	char local_team[40];
	char *idp_team, *idp_member;

	(void)state;
	fx_org4(&o, "Managed Teams");
	fx_person(&scimmed, "scim-team");
	fx_sql("INSERT INTO scim_connections (org_id, name) SELECT id, 'entra' FROM organizations"
	       " WHERE slug = '%s'",
	       o.slug);
	fx_sql("INSERT INTO teams (org_id, name, source_kind, scim_connection_id, external_id)"
	       " SELECT o.id, 'Synced', 'scim', c.id, 'grp-1' FROM organizations o"
	       " JOIN scim_connections c ON c.org_id = o.id WHERE o.slug = '%s'",
	       o.slug);
	fx_sql("INSERT INTO members (org_id, account_id, username, role, source_kind,"
	       " scim_connection_id)"
	       " SELECT o.id, '%s', 'synced-user', 'USER', 'scim', c.id FROM organizations o"
	       " JOIN scim_connections c ON c.org_id = o.id WHERE o.slug = '%s'",
	       scimmed.account_id, o.slug);
	idp_team = fx_sql_value("SELECT t.id FROM teams t JOIN organizations o ON o.id = t.org_id"
				" WHERE o.slug = '%s' AND t.name = 'Synced'",
				o.slug);
	idp_member = fx_sql_value("SELECT id FROM members WHERE account_id = '%s'",
				  scimmed.account_id);

	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"name\":\"Mine Now\"}",
				 "/api/v1/orgs/%s/teams/%s", o.slug, idp_team),
			 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	assert_string_equal(jstr(out, "error.message"), "managed by identity provider entra");
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "DELETE", &out, NULL, "/api/v1/orgs/%s/teams/%s",
				 o.slug, idp_team),
			 409);
	json_decref(out);
	assert_int_equal(add_to_team(&o.owner, o.slug, idp_team, o.user_id, &out), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	json_decref(out);
	/* An IdP-managed member's teams are the IdP's too. */
	make_team(&o.owner, o.slug, "{\"name\":\"Local\"}", local_team);
	assert_int_equal(add_to_team(&o.owner, o.slug, local_team, idp_member, &out), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	json_decref(out);
	/* Admins still see the team, marked. */
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s", o.slug,
				 idp_team),
			 200);
	assert_string_equal(jstr(out, "managed_by"), "scim:entra");
	assert_string_equal(jstr(out, "external_id"), "grp-1");
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'"
				      " OR member_id = '%s'",
				      idp_team, idp_member),
			 0);
	free(idp_team);
	free(idp_member);
}

static void test_malformed_and_foreign_team_ids_are_404(void **state)
{
	struct org4 a, b;
	json_t *out = NULL;
	char team_a[40], team_b[40];
	const char *bad[] = { "nope", "00000000-0000-0000-0000-000000000000", team_b };

	(void)state;
	fx_org4(&a, "Team Ids A");
	fx_org4(&b, "Team Ids B");
	make_team(&a.owner, a.slug, "{\"name\":\"A\"}", team_a);
	make_team(&b.owner, b.slug, "{\"name\":\"B\"}", team_b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fx_call(a.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/teams/%s",
					 a.slug, bad[i]),
				 404);
		json_decref(out);
		assert_int_equal(fx_call(a.owner.token, "DELETE", &out, NULL,
					 "/api/v1/orgs/%s/teams/%s", a.slug, bad[i]),
				 404);
		json_decref(out);
		assert_int_equal(add_to_team(&a.owner, a.slug, bad[i], a.user_id, &out), 404);
		json_decref(out);
		/* A member of another org, or a malformed member id, is unknown too. */
		assert_int_equal(add_to_team(&a.owner, a.slug, team_a, i == 2 ? b.user_id : bad[i], &out),
				 404);
		json_decref(out);
	}
	assert_int_equal(fx_sql_count("SELECT count(*) FROM team_members WHERE team_id IN ('%s', '%s')",
				      team_a, team_b),
			 0);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM teams WHERE id = '%s'", team_b), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_team_crud_by_admin_with_audit),
		cmocka_unit_test(test_team_name_is_unique_case_insensitively_and_validated),
		cmocka_unit_test(test_team_can_never_grant_owner),
		cmocka_unit_test(test_user_and_viewer_cannot_manage_teams),
		cmocka_unit_test(test_team_membership_add_list_remove),
		cmocka_unit_test(test_removed_member_cannot_be_added_and_removal_drops_teams),
		cmocka_unit_test(test_team_grant_raises_effective_role_and_permissions),
		cmocka_unit_test(test_team_deletion_never_breaks_guardrails),
		cmocka_unit_test(test_idp_managed_team_and_member_refuse_local_changes),
		cmocka_unit_test(test_malformed_and_foreign_team_ids_are_404),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
