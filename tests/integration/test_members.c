/* Members through HTTP against a real orgbridged and PostgreSQL: listing
 * (paging, filters, stable order, history), the member object, each role's
 * allowed and refused member actions (SPEC 2), every role-change and removal
 * guardrail (SPEC 4, 6), suspension, immediate loss of access, IdP-managed
 * members (SPEC 7), the permission check for host applications, and 404 for
 * ids one may not see. */
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
	return fx_start("members", NULL);
}

static int group_teardown(void **state)
{
	(void)state;
	return fx_stop();
}

static long set_role(const struct person *actor, const char *slug, const char *id,
		     const char *role, json_t **out)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"role\":\"%s\"}", role);
	return fx_call(actor->token, "PATCH", out, body, "/api/v1/orgs/%s/members/%s", slug, id);
}

static long set_status(const struct person *actor, const char *slug, const char *id,
		       const char *status, json_t **out)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"status\":\"%s\"}", status);
	return fx_call(actor->token, "PATCH", out, body, "/api/v1/orgs/%s/members/%s", slug, id);
}

static long remove_member(const struct person *actor, const char *slug, const char *id,
			  json_t **out)
{
	return fx_call(actor->token, "DELETE", out, NULL, "/api/v1/orgs/%s/members/%s", slug, id);
}

/* Assert a 409 with this code, and free the answer. */
static void expect_409(long status, json_t **out, const char *code)
{
	assert_int_equal(status, 409);
	assert_string_equal(jerr(*out), code);
	json_decref(*out);
	*out = NULL;
}

/* ---- listing ---- */

static void test_member_object_has_every_field(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Fields");
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 o.slug, o.admin_id),
			 200);
	assert_string_equal(jstr(out, "id"), o.admin_id);
	assert_string_equal(jstr(out, "account_id"), o.admin.account_id);
	assert_string_equal(jstr(out, "email"), o.admin.email);
	assert_non_null(jstr(out, "username"));
	assert_non_null(jstr(out, "display_name"));
	assert_string_equal(jstr(out, "role"), "ADMIN");
	assert_string_equal(jstr(out, "effective_role"), "ADMIN");
	assert_string_equal(jstr(out, "status"), "active");
	assert_string_equal(jstr(out, "managed_by"), "local");
	assert_true(json_is_null(json_object_get(out, "external_id")));
	assert_true(json_is_array(json_object_get(out, "teams")));
	assert_non_null(jstr(out, "created_at"));
	assert_non_null(jstr(out, "updated_at"));
	assert_true(json_is_null(json_object_get(out, "removed_at")));
	json_decref(out);
	/* "me" is the caller's own membership. */
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s/members/me",
				 o.slug),
			 200);
	assert_string_equal(jstr(out, "id"), o.user_id);
	json_decref(out);
}

static void test_list_is_paged_in_stable_order_with_removed_as_history(void **state)
{
	struct org4 o;
	json_t *all = NULL, *page = NULL, *out = NULL;

	(void)state;
	fx_org4(&o, "Paging");
	assert_int_equal(remove_member(&o.owner, o.slug, o.viewer_id, &out), 204);
	json_decref(out);

	assert_int_equal(fx_call(o.user.token, "GET", &all, NULL, "/api/v1/orgs/%s/members", o.slug),
			 200);
	assert_int_equal(jint(all, "total"), 4);
	assert_int_equal(jint(all, "limit"), 50);
	assert_int_equal(jint(all, "offset"), 0);
	/* Order is (created_at, id): pages concatenate to the full list. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fx_call(o.user.token, "GET", &page, NULL,
					 "/api/v1/orgs/%s/members?limit=1&offset=%d", o.slug, i),
				 200);
		assert_int_equal(json_array_size(json_object_get(page, "items")), 1);
		assert_int_equal(jint(page, "total"), 4);
		char path[32];
		snprintf(path, sizeof(path), "items.%d.id", i);
		assert_string_equal(jstr(page, "items.0.id"), jstr(all, path));
		json_decref(page);
	}
	char *first_two = fx_sql_value(
		"SELECT string_agg(id::text, ',' ORDER BY created_at, id) FROM"
		" (SELECT m.id, m.created_at FROM members m JOIN organizations o ON o.id = m.org_id"
		"  WHERE o.slug = '%s' ORDER BY m.created_at, m.id LIMIT 2) x",
		o.slug);
	char got[128];
	snprintf(got, sizeof(got), "%s,%s", jstr(all, "items.0.id"), jstr(all, "items.1.id"));
	assert_string_equal(got, first_two);
	free(first_two);

	/* The removed viewer is listed with its removal time. */
	int found = 0;
	for (size_t i = 0; i < 4; i++) {
		json_t *m = json_array_get(json_object_get(all, "items"), i);
		if (strcmp(jstr(m, "id"), o.viewer_id) == 0) {
			found = 1;
			assert_string_equal(jstr(m, "status"), "removed");
			assert_non_null(jstr(m, "removed_at"));
		}
	}
	assert_true(found);
	json_decref(all);

	assert_int_equal(fx_call(o.user.token, "GET", &page, NULL,
				 "/api/v1/orgs/%s/members?limit=0", o.slug),
			 400);
	json_decref(page);
	assert_int_equal(fx_call(o.user.token, "GET", &page, NULL,
				 "/api/v1/orgs/%s/members?offset=-1", o.slug),
			 400);
	json_decref(page);
}

static void test_list_filters_by_role_status_and_source(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Filters");
	assert_int_equal(remove_member(&o.admin, o.slug, o.viewer_id, &out), 204);
	json_decref(out);

	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?status=active", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 3);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?role=admin", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.id"), o.admin_id);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?role=VIEWER&status=removed", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?source=local", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 4);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?source=scim", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 0);
	json_decref(out);

	const char *bad[] = { "role=GOD", "status=gone", "source=ad" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s/members?%s",
					 o.slug, bad[i]),
				 400);
		assert_string_equal(jerr(out), "invalid_value");
		json_decref(out);
	}
}

/* ---- SPEC 2: who may change roles and remove ---- */

static void test_owner_and_admin_may_change_roles(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Role Changers");
	assert_int_equal(set_role(&o.owner, o.slug, o.user_id, "VIEWER", &out), 200);
	assert_string_equal(jstr(out, "role"), "VIEWER");
	assert_string_equal(jstr(out, "effective_role"), "VIEWER");
	json_decref(out);
	assert_int_equal(set_role(&o.admin, o.slug, o.viewer_id, "admin", &out), 200);
	assert_string_equal(jstr(out, "role"), "ADMIN");
	json_decref(out);
	assert_string_equal(fx_member_state(o.user_id), "VIEWER/active");
	assert_string_equal(fx_member_state(o.viewer_id), "ADMIN/active");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'member.role_changed' AND target_id = '%s'"
				      " AND before->>'role' = 'USER' AND after->>'role' = 'VIEWER'"
				      " AND actor_account_id = '%s'",
				      o.user_id, o.owner.account_id),
			 1);
	/* Same role: nothing changes, nothing audited. */
	assert_int_equal(set_role(&o.owner, o.slug, o.user_id, "VIEWER", &out), 200);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'member.role_changed' AND target_id = '%s'",
				      o.user_id),
			 1);
}

static void test_user_and_viewer_cannot_change_roles_or_remove(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "No Power");
	fx_assert_admin_required(set_role(&o.user, o.slug, o.viewer_id, "USER", &out), &out);
	fx_assert_admin_required(set_role(&o.viewer, o.slug, o.user_id, "VIEWER", &out), &out);
	fx_assert_admin_required(set_role(&o.user, o.slug, o.user_id, "ADMIN", &out), &out);
	fx_assert_admin_required(remove_member(&o.user, o.slug, o.viewer_id, &out), &out);
	fx_assert_admin_required(remove_member(&o.viewer, o.slug, o.user_id, &out), &out);
	fx_assert_admin_required(set_status(&o.user, o.slug, o.viewer_id, "suspended", &out), &out);
	assert_string_equal(fx_member_state(o.user_id), "USER/active");
	assert_string_equal(fx_member_state(o.viewer_id), "VIEWER/active");
}

static void test_owner_and_admin_may_remove_members(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Removers");
	assert_int_equal(remove_member(&o.admin, o.slug, o.user_id, &out), 204);
	json_decref(out);
	assert_int_equal(remove_member(&o.owner, o.slug, o.admin_id, &out), 204);
	json_decref(out);
	assert_string_equal(fx_member_state(o.user_id), "USER/removed");
	assert_string_equal(fx_member_state(o.admin_id), "ADMIN/removed");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE action ="
				      " 'member.removed' AND target_id = '%s'"
				      " AND before->>'status' = 'active' AND after->>'status' = 'removed'",
				      o.admin_id),
			 1);
}

/* ---- SPEC 4: role-change guardrails ---- */

static void test_owner_cannot_be_demoted(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Owner Stays Owner");
	expect_409(set_role(&o.admin, o.slug, o.owner_id, "ADMIN", &out), &out,
		   "owner_cannot_be_demoted");
	expect_409(set_role(&o.owner, o.slug, o.owner_id, "USER", &out), &out,
		   "owner_cannot_be_demoted");
	assert_string_equal(fx_member_state(o.owner_id), "OWNER/active");
}

static void test_owner_role_is_only_given_by_transfer(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "No Second Owner");
	expect_409(set_role(&o.owner, o.slug, o.admin_id, "OWNER", &out), &out,
		   "ownership_transfer_required");
	assert_string_equal(fx_member_state(o.admin_id), "ADMIN/active");
}

static void test_invalid_role_is_400(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Bad Role");
	assert_int_equal(set_role(&o.owner, o.slug, o.user_id, "SUPERUSER", &out), 400);
	assert_string_equal(jerr(out), "invalid_role");
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{\"role\":7}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.user_id),
			 400);
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out, "{}", "/api/v1/orgs/%s/members/%s",
				 o.slug, o.user_id),
			 400);
	json_decref(out);
	assert_int_equal(set_status(&o.owner, o.slug, o.user_id, "removed", &out), 400);
	assert_string_equal(jerr(out), "invalid_value");
	json_decref(out);
	assert_string_equal(fx_member_state(o.user_id), "USER/active");
}

static void test_removed_member_cannot_be_modified(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Removed Is Final");
	assert_int_equal(remove_member(&o.owner, o.slug, o.user_id, &out), 204);
	json_decref(out);
	expect_409(set_role(&o.owner, o.slug, o.user_id, "ADMIN", &out), &out, "member_removed");
	expect_409(set_status(&o.owner, o.slug, o.user_id, "active", &out), &out, "member_removed");
	expect_409(set_status(&o.admin, o.slug, o.user_id, "suspended", &out), &out, "member_removed");
	expect_409(remove_member(&o.owner, o.slug, o.user_id, &out), &out, "member_removed");
	assert_string_equal(fx_member_state(o.user_id), "USER/removed");
	/* Still readable as history. */
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL, "/api/v1/orgs/%s/members/%s",
				 o.slug, o.user_id),
			 200);
	assert_string_equal(jstr(out, "status"), "removed");
	json_decref(out);
}

/* SPEC 4: "an admin may demote themselves while another admin-like member
 * remains". The owner always remains admin-like (exactly one active owner
 * is a database invariant), so self-demotion is allowed even for the only
 * ADMIN; and the refusal "last admin-like" cannot be reached through the API
 * while the owner rule holds -- what is reachable is the owner's refusal. */
static void test_admin_may_demote_self_while_owner_remains(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Self Demote");
	assert_int_equal(set_role(&o.admin, o.slug, o.admin_id, "USER", &out), 200);
	assert_string_equal(jstr(out, "role"), "USER");
	json_decref(out);
	/* The change bites on the very next request. */
	fx_assert_admin_required(set_role(&o.admin, o.slug, o.user_id, "VIEWER", &out), &out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM members m JOIN organizations o"
				      " ON o.id = m.org_id WHERE o.slug = '%s' AND m.status = 'active'"
				      " AND m.role IN ('OWNER', 'ADMIN')",
				      o.slug),
			 1);
}

static void test_admin_may_demote_self_while_another_admin_remains(void **state)
{
	struct org4 o;
	struct person second;
	char second_id[40];
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Two Admins");
	fx_person(&second, "second-admin");
	fx_join(o.slug, &second, "ADMIN", second_id);
	assert_int_equal(set_role(&o.admin, o.slug, o.admin_id, "VIEWER", &out), 200);
	json_decref(out);
	assert_int_equal(set_role(&second, o.slug, o.admin_id, "USER", &out), 200);
	json_decref(out);
	assert_string_equal(fx_member_state(o.admin_id), "USER/active");
}

/* ---- SPEC 6: removal guardrails ---- */

static void test_admins_cannot_remove_themselves(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "No Self Removal");
	expect_409(remove_member(&o.admin, o.slug, o.admin_id, &out), &out, "cannot_remove_self");
	expect_409(remove_member(&o.admin, o.slug, "me", &out), &out, "cannot_remove_self");
	assert_string_equal(fx_member_state(o.admin_id), "ADMIN/active");
}

static void test_owner_cannot_be_removed(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Owner Not Removable");
	expect_409(remove_member(&o.admin, o.slug, o.owner_id, &out), &out, "owner_cannot_be_removed");
	/* The owner's own attempt is refused as self-removal first. */
	expect_409(remove_member(&o.owner, o.slug, o.owner_id, &out), &out, "cannot_remove_self");
	assert_string_equal(fx_member_state(o.owner_id), "OWNER/active");
}

static void test_removal_revokes_access_on_the_next_request(void **state)
{
	struct org4 o;
	char other_slug[64], token[128];
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Revoke Now");
	/* The admin also owns another org, and made an API token in this one. */
	fx_org(&o.admin, "Admins Own", other_slug, sizeof(other_slug), NULL);
	assert_int_equal(fx_call(o.admin.token, "POST", &out, "{\"name\":\"ci\",\"role\":\"ADMIN\"}",
				 "/api/v1/orgs/%s/api-tokens", o.slug),
			 201);
	snprintf(token, sizeof(token), "%s", jstr(out, "token"));
	json_decref(out);
	assert_int_equal(fx_call(token, "GET", &out, NULL, "/api/v1/orgs/%s/members", o.slug), 200);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 200);
	json_decref(out);

	assert_int_equal(remove_member(&o.owner, o.slug, o.admin_id, &out), 204);
	json_decref(out);

	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 404);
	assert_string_equal(jerr(out), "not_found");
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s/members", o.slug),
			 404);
	json_decref(out);
	/* Their API token died with the membership. */
	assert_int_equal(fx_call(token, "GET", &out, NULL, "/api/v1/orgs/%s/members", o.slug), 401);
	json_decref(out);
	/* Their other org keeps working, and the org is gone from their list. */
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs/%s", other_slug), 200);
	json_decref(out);
	assert_int_equal(fx_call(o.admin.token, "GET", &out, NULL, "/api/v1/orgs"), 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.slug"), other_slug);
	json_decref(out);
}

/* ---- suspension ---- */

static void test_suspend_blocks_access_and_reactivate_restores_it(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Suspension");
	assert_int_equal(set_status(&o.admin, o.slug, o.user_id, "suspended", &out), 200);
	assert_string_equal(jstr(out, "status"), "suspended");
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 403);
	assert_string_equal(jerr(out), "member_suspended");
	json_decref(out);
	/* A suspended member's permissions are empty. */
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.user_id),
			 200);
	assert_int_equal(json_array_size(json_object_get(out, "allowed_actions")), 0);
	json_decref(out);

	assert_int_equal(set_status(&o.owner, o.slug, o.user_id, "active", &out), 200);
	assert_string_equal(jstr(out, "status"), "active");
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL, "/api/v1/orgs/%s", o.slug), 200);
	json_decref(out);
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'"
				      " AND action IN ('member.suspended', 'member.reactivated')",
				      o.user_id),
			 2);
}

static void test_owner_and_self_cannot_be_suspended(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "No Suspend");
	expect_409(set_status(&o.admin, o.slug, o.owner_id, "suspended", &out), &out,
		   "owner_cannot_be_suspended");
	expect_409(set_status(&o.admin, o.slug, o.admin_id, "suspended", &out), &out,
		   "cannot_suspend_self");
	assert_string_equal(fx_member_state(o.owner_id), "OWNER/active");
	assert_string_equal(fx_member_state(o.admin_id), "ADMIN/active");
}

static void test_role_and_status_change_together_all_or_nothing(void **state)
{
	struct org4 o;
	json_t *out = NULL;

	(void)state;
	fx_org4(&o, "Both");
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out,
				 "{\"role\":\"VIEWER\",\"status\":\"suspended\"}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.admin_id),
			 200);
	assert_string_equal(jstr(out, "role"), "VIEWER");
	assert_string_equal(jstr(out, "status"), "suspended");
	json_decref(out);
	assert_string_equal(fx_member_state(o.admin_id), "VIEWER/suspended");
	/* The role change is allowed, the status is not: neither happens. */
	assert_int_equal(fx_call(o.owner.token, "PATCH", &out,
				 "{\"role\":\"ADMIN\",\"status\":\"bogus\"}",
				 "/api/v1/orgs/%s/members/%s", o.slug, o.user_id),
			 400);
	json_decref(out);
	assert_string_equal(fx_member_state(o.user_id), "USER/active");
	assert_int_equal(fx_sql_count("SELECT count(*) FROM audit_events WHERE target_id = '%s'",
				      o.user_id),
			 0);
}

/* ---- IdP-managed members (SPEC 7) ---- */

static void test_idp_managed_member_refuses_local_changes(void **state)
{
	struct org4 o;
	struct person scimmed;
	json_t *out = NULL;
	char *id;

	(void)state;
	fx_org4(&o, "Managed");
	fx_person(&scimmed, "scimmed");
	fx_sql("INSERT INTO scim_connections (org_id, name) SELECT id, 'okta' FROM organizations"
	       " WHERE slug = '%s'",
	       o.slug);
	fx_sql("INSERT INTO members (org_id, account_id, username, role, source_kind,"
	       " scim_connection_id, external_id)"
	       " SELECT o.id, '%s', 'scimmed', 'USER', 'scim', c.id, 'ext-1'"
	       " FROM organizations o JOIN scim_connections c ON c.org_id = o.id WHERE o.slug = '%s'",
	       scimmed.account_id, o.slug);
	id = fx_sql_value("SELECT id FROM members WHERE account_id = '%s'", scimmed.account_id);

	assert_int_equal(set_role(&o.owner, o.slug, id, "ADMIN", &out), 409);
	assert_string_equal(jerr(out), "managed_by_idp");
	assert_string_equal(jstr(out, "error.message"), "managed by identity provider okta");
	json_decref(out);
	expect_409(set_status(&o.admin, o.slug, id, "suspended", &out), &out, "managed_by_idp");
	expect_409(remove_member(&o.admin, o.slug, id, &out), &out, "managed_by_idp");
	/* Leaving is done in the IdP. */
	expect_409(fx_call(scimmed.token, "POST", &out, NULL, "/api/v1/orgs/%s/leave", o.slug), &out,
		   "managed_by_idp");
	assert_string_equal(fx_member_state(id), "USER/active");

	/* Admins still see it, marked. */
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members?source=scim", o.slug),
			 200);
	assert_int_equal(jint(out, "total"), 1);
	assert_string_equal(jstr(out, "items.0.managed_by"), "scim:okta");
	assert_string_equal(jstr(out, "items.0.external_id"), "ext-1");
	json_decref(out);
	free(id);
}

/* ---- the permission check for host applications ---- */

static void expect_actions(json_t *out, const char *const *want, size_t n)
{
	json_t *got = json_object_get(out, "allowed_actions");

	assert_int_equal(json_array_size(got), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(got, i)), want[i]);
}

static void test_permissions_per_role_for_any_member_asking(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	static const char *const owner[] = { "view", "update_org", "invite", "manage_invitations",
					     "change_roles", "remove_members", "manage_teams",
					     "manage_idp", "transfer_ownership", "delete_org",
					     "configure_app" };
	static const char *const admin[] = { "view", "update_org", "invite", "manage_invitations",
					     "change_roles", "remove_members", "manage_teams",
					     "manage_idp", "leave", "configure_app" };
	static const char *const user[] = { "view", "leave", "configure_app" };
	static const char *const viewer[] = { "view", "leave" };

	(void)state;
	fx_org4(&o, "Permissions");
	/* The VIEWER asks about everyone, the OWNER about the VIEWER. */
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.owner_id),
			 200);
	assert_string_equal(jstr(out, "member_id"), o.owner_id);
	assert_string_equal(jstr(out, "role"), "OWNER");
	assert_string_equal(jstr(out, "effective_role"), "OWNER");
	assert_string_equal(jstr(out, "status"), "active");
	expect_actions(out, owner, sizeof(owner) / sizeof(owner[0]));
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.admin_id),
			 200);
	expect_actions(out, admin, sizeof(admin) / sizeof(admin[0]));
	json_decref(out);
	assert_int_equal(fx_call(o.viewer.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.user_id),
			 200);
	expect_actions(out, user, sizeof(user) / sizeof(user[0]));
	json_decref(out);
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.viewer_id),
			 200);
	expect_actions(out, viewer, sizeof(viewer) / sizeof(viewer[0]));
	json_decref(out);
	/* A removed member may do nothing. */
	assert_int_equal(remove_member(&o.owner, o.slug, o.viewer_id, &out), 204);
	json_decref(out);
	assert_int_equal(fx_call(o.user.token, "GET", &out, NULL,
				 "/api/v1/orgs/%s/members/%s/permissions", o.slug, o.viewer_id),
			 200);
	assert_string_equal(jstr(out, "status"), "removed");
	expect_actions(out, NULL, 0);
	json_decref(out);
}

/* ---- ids one may not see ---- */

static void test_malformed_and_unknown_member_ids_are_404(void **state)
{
	struct org4 o;
	json_t *out = NULL;
	const char *ids[] = { "not-a-uuid", "12345", "00000000-0000-0000-0000-000000000000",
			      "0b9f2c4e-1d3a-4f5b-8c7d-9e0f1a2b3c4g", "'%20OR%201=1" };

	(void)state;
	fx_org4(&o, "Bad Ids");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
					 "/api/v1/orgs/%s/members/%s", o.slug, ids[i]),
				 404);
		assert_string_equal(jerr(out), "not_found");
		json_decref(out);
		assert_int_equal(set_role(&o.owner, o.slug, ids[i], "USER", &out), 404);
		json_decref(out);
		assert_int_equal(remove_member(&o.owner, o.slug, ids[i], &out), 404);
		json_decref(out);
		assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL,
					 "/api/v1/orgs/%s/members/%s/permissions", o.slug, ids[i]),
				 404);
		json_decref(out);
	}
	assert_int_equal(fx_call(o.owner.token, "GET", &out, NULL, "/api/v1/orgs/no-such-org/members"),
			 404);
	json_decref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_object_has_every_field),
		cmocka_unit_test(test_list_is_paged_in_stable_order_with_removed_as_history),
		cmocka_unit_test(test_list_filters_by_role_status_and_source),
		cmocka_unit_test(test_owner_and_admin_may_change_roles),
		cmocka_unit_test(test_user_and_viewer_cannot_change_roles_or_remove),
		cmocka_unit_test(test_owner_and_admin_may_remove_members),
		cmocka_unit_test(test_owner_cannot_be_demoted),
		cmocka_unit_test(test_owner_role_is_only_given_by_transfer),
		cmocka_unit_test(test_invalid_role_is_400),
		cmocka_unit_test(test_removed_member_cannot_be_modified),
		cmocka_unit_test(test_admin_may_demote_self_while_owner_remains),
		cmocka_unit_test(test_admin_may_demote_self_while_another_admin_remains),
		cmocka_unit_test(test_admins_cannot_remove_themselves),
		cmocka_unit_test(test_owner_cannot_be_removed),
		cmocka_unit_test(test_removal_revokes_access_on_the_next_request),
		cmocka_unit_test(test_suspend_blocks_access_and_reactivate_restores_it),
		cmocka_unit_test(test_owner_and_self_cannot_be_suspended),
		cmocka_unit_test(test_role_and_status_change_together_all_or_nothing),
		cmocka_unit_test(test_idp_managed_member_refuses_local_changes),
		cmocka_unit_test(test_permissions_per_role_for_any_member_asking),
		cmocka_unit_test(test_malformed_and_unknown_member_ids_are_404),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
